"""Each task follows its own route from the backends file: generate, refine, rubric_fix, parse."""

import pytest
from fakes import ScriptedBackend

from lesson_studio.config import Settings
from lesson_studio.llm.registry import register_backend, unregister_backend
from lesson_studio.studio import Studio

ROUTES = {"generate": "writer", "refine": "editor", "rubric_fix": "fixer", "parse": "reader"}


@pytest.fixture
def routed(tmp_path):
    """A backends file whose four tasks route to four rows, each row served by its own scripted fake."""
    rows = "\n".join(
        f'[[backend]]\nid = "{row}"\nname = "{row}"\nbase_url = "http://127.0.0.1:9/v1"\nmodel = "m"\n'
        for row in ROUTES.values()
    )
    routes = "\n".join(f'{task} = ["{row}"]' for task, row in ROUTES.items())
    backends_file = tmp_path / "backends.toml"
    backends_file.write_text(f"{rows}\n[routes]\n{routes}\n", encoding="utf-8")
    fakes = {row: ScriptedBackend() for row in ROUTES.values()}
    for row, fake in fakes.items():
        fake.id = row
        register_backend(row, lambda _settings, fake=fake: fake)
    settings = Settings(data_dir=tmp_path / "data", backend="", backends_file=str(backends_file), starter_library=False)
    yield Studio(settings), fakes
    for row in fakes:
        unregister_backend(row)


def test_generation_uses_the_generate_route_and_records_who_answered(routed, teacher, hat_request):
    studio, fakes = routed
    view = studio.jobs.wait(teacher, studio.submit_generation(teacher, hat_request, idempotency_key="k"), timeout=10)
    assert view.status == "done"
    assert fakes["writer"].calls and not fakes["editor"].calls and not fakes["fixer"].calls
    assert studio.store.list_versions(teacher, view.draft_id)[0].backend == "writer"


@pytest.mark.parametrize(("kind", "payload", "row"), [
    ("section", {"section": "step:0", "instruction": "导入更有趣一些", "label": "导入"}, "editor"),
    ("chat", {"message": "材料只有纸杯"}, "editor"),
    ("fix", {}, "fixer"),
])
def test_each_refinement_follows_its_task_route(routed, teacher, hat_request, kind, payload, row):
    studio, fakes = routed
    view = studio.jobs.wait(teacher, studio.submit_generation(teacher, hat_request, idempotency_key="k"), timeout=10)
    for fake in fakes.values():
        fake.calls.clear()
    refinement_id = studio.submit_refinement(
        teacher, draft_id=view.draft_id, base_version_id=view.version_id, kind=kind, payload=payload, idempotency_key="r"
    )
    studio.jobs.wait_refinement(teacher, refinement_id, timeout=10)
    called = {name for name, fake in fakes.items() if fake.calls}
    # a rubric fix with nothing to fix may need no model call at all; it must never use another route
    assert called <= {row} and (called or kind == "fix")
    if called:
        version = studio.accept_refinement(teacher, refinement_id)
        assert version.backend == row  # the version names who answered, not the route


def test_sentence_parsing_asks_the_parse_route(routed, teacher):
    studio, fakes = routed
    studio.parse_request(teacher, "给小熊做帽子")  # no age band or domain: rules cannot tell, the model is asked
    assert fakes["reader"].calls and not fakes["writer"].calls


def test_tasks_routed_to_one_model_wait_in_one_queue(tmp_path, teacher, hat_request):
    """A job on the refine route waits behind one on the generate route when both name one model."""
    import threading

    hold = threading.Event()
    shared = ScriptedBackend(hold=hold)
    register_backend("shared", lambda _settings: shared)
    backends_file = tmp_path / "one.toml"
    backends_file.write_text(
        '[[backend]]\nid = "shared"\nname = "shared"\nbase_url = "http://127.0.0.1:9/v1"\nmodel = "m"\nconcurrency = 1\n'
        '[routes]\ngenerate = ["shared"]\nrefine = ["shared"]\n',
        encoding="utf-8",
    )
    try:
        studio = Studio(Settings(data_dir=tmp_path / "data", backend="", backends_file=str(backends_file), starter_library=False))
        first = studio.submit_generation(teacher, hat_request, idempotency_key="a")
        second = studio.submit_generation(
            teacher, hat_request.model_copy(update={"topic": "纸杯塔"}), idempotency_key="b", backend_id="task:refine"
        )
        for _ in range(100):  # the first job starts on its worker thread
            if studio.jobs.view(teacher, first).status == "running":
                break
            hold.wait(0.02)
        assert studio.jobs.view(teacher, second).queue_position == 1
        hold.set()
        assert studio.jobs.wait(teacher, first, timeout=10).status == "done"
        assert studio.jobs.wait(teacher, second, timeout=10).status == "done"
    finally:
        hold.set()
        unregister_backend("shared")


def test_a_remote_model_runs_as_many_jobs_at_once_as_its_concurrency(tmp_path, teacher, hat_request):
    """A provider serves many teachers at once; only the embedded model runs one job at a time."""
    import threading

    hold = threading.Event()
    shared = ScriptedBackend(hold=hold)
    register_backend("wide", lambda _settings: shared)
    backends_file = tmp_path / "wide.toml"
    backends_file.write_text(
        '[[backend]]\nid = "wide"\nbase_url = "http://127.0.0.1:9/v1"\nmodel = "m"\nconcurrency = 2\n'
        '[routes]\ngenerate = ["wide"]\n',
        encoding="utf-8",
    )
    try:
        studio = Studio(Settings(data_dir=tmp_path / "data", backend="", backends_file=str(backends_file), starter_library=False))
        ids = [
            studio.submit_generation(teacher, hat_request.model_copy(update={"minutes": 15 + n}), idempotency_key=str(n))
            for n in range(3)
        ]
        for _ in range(200):
            states = [studio.jobs.view(teacher, job).status for job in ids]
            if states.count("running") == 2:
                break
            hold.wait(0.02)
        assert states == ["running", "running", "queued"]
        assert studio.jobs.view(teacher, ids[2]).queue_position == 1
        hold.set()
        assert all(studio.jobs.wait(teacher, job, timeout=10).status == "done" for job in ids)
    finally:
        hold.set()
        unregister_backend("wide")
