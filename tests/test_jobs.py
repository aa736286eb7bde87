import threading

from fakes import ScriptedBackend

from lesson_studio.jobs import JobRunner
from lesson_studio.pipeline import Pipeline
from lesson_studio.resource_types import resource_type


class NoLibrary:
    """Grounding without a library: no passages, no 《指南》 catalogue."""

    def retriever(self, user):
        return None

    def catalogue(self, user):
        return None

    def catalogue_lines(self, user):
        return None


class LessonJobs(JobRunner):
    """The job runner given lesson-plan generation as its work, as the Studio wires it."""

    def __init__(self, store, backend_for):
        super().__init__(store, backend_for)
        self.pipeline = Pipeline(store, NoLibrary())

    def submit(self, user, request, *, idempotency_key, backend_id):
        work = self.pipeline.generation(resource_type("lesson_plan"), request)
        return super().submit(user, request, idempotency_key=idempotency_key, backend_id=backend_id, work=work)


def runner(store, backend):
    return LessonJobs(store, lambda backend_id: backend)


def test_finished_job_saves_one_version(store, teacher, hat_request):
    jobs = runner(store, ScriptedBackend())
    job_id = jobs.submit(teacher, hat_request, idempotency_key="a", backend_id="fake")
    view = jobs.wait(teacher, job_id, timeout=10)
    assert view.status == "done"
    assert [v.number for v in store.list_versions(teacher, view.draft_id)] == [1]


def test_twenty_submissions_of_one_request_make_one_model_run(store, teacher, hat_request):
    backend = ScriptedBackend()
    jobs = runner(store, backend)
    job_ids = []
    threads = [
        threading.Thread(target=lambda: job_ids.append(jobs.submit(teacher, hat_request, idempotency_key="same", backend_id="fake")))
        for _ in range(20)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(job_ids)) == 1
    jobs.wait(teacher, job_ids[0], timeout=10)
    sections = 2 + 5 + 1  # overview, preparation, five steps, closing
    assert len(backend.calls) == sections
    assert len(store.list_drafts(teacher)) == 1


def test_cancel_keeps_the_request_and_saves_nothing(store, teacher, hat_request):
    hold = threading.Event()
    jobs = runner(store, ScriptedBackend(hold=hold))
    job_id = jobs.submit(teacher, hat_request, idempotency_key="c", backend_id="fake")
    jobs.cancel(teacher, job_id)
    hold.set()
    view = jobs.wait(teacher, job_id, timeout=10)
    assert view.status == "cancelled"
    assert store.list_drafts(teacher) == []
    assert store.get_request(teacher, store.get_job(teacher, job_id).request_id) == hat_request


def test_model_failure_keeps_the_request_with_a_clear_error(store, teacher, hat_request):
    jobs = runner(store, ScriptedBackend(respond=lambda messages, schema: "<html>502</html>"))
    job_id = jobs.submit(teacher, hat_request, idempotency_key="f", backend_id="fake")
    view = jobs.wait(teacher, job_id, timeout=10)
    assert view.status == "failed" and "请求已保存" in view.error
    assert store.get_request(teacher, store.get_job(teacher, job_id).request_id) == hat_request
    assert store.list_drafts(teacher) == []


def test_second_job_waits_its_turn(store, teacher, hat_request):
    hold = threading.Event()
    jobs = runner(store, ScriptedBackend(hold=hold))
    first = jobs.submit(teacher, hat_request, idempotency_key="1", backend_id="fake")
    second = jobs.submit(teacher, hat_request.model_copy(update={"minutes": 25}), idempotency_key="2", backend_id="fake")
    assert jobs.view(teacher, second).status == "queued"
    hold.set()
    assert jobs.wait(teacher, first, timeout=10).status == "done"
    assert jobs.wait(teacher, second, timeout=10).status == "done"


def test_failed_job_can_be_retried_from_its_kept_request(settings, fake_backend, teacher, hat_request):
    from lesson_studio.studio import Studio

    studio = Studio(settings)
    fake_backend.respond = lambda messages, schema: "oops"
    failed = studio.jobs.wait(teacher, studio.submit_generation(teacher, hat_request, idempotency_key="x"), timeout=10)
    assert failed.status == "failed"
    fake_backend.respond = None
    retried = studio.retry_generation(teacher, failed.id, idempotency_key="retry-1")
    assert studio.retry_generation(teacher, failed.id, idempotency_key="retry-1") == retried  # double click
    assert studio.jobs.wait(teacher, retried, timeout=10).status == "done"


def test_restart_marks_running_jobs_failed_and_offers_them_again(settings, fake_backend, teacher, hat_request):
    from lesson_studio.studio import Studio

    first = Studio(settings)
    request_id = first.store.save_request(teacher, hat_request, "k")
    job, _ = first.store.create_job(teacher, request_id, "fake")  # as if the process died mid-run
    restarted = Studio(settings)
    (record, request), *_ = restarted.store.recent_jobs(teacher)
    assert record.id == job.id and record.status == "failed" and request == hat_request


def test_sections_rejected_for_links_are_counted_in_the_audit_log(store, teacher, hat_request):
    from test_generate import IMAGE, STEP_KEYS, linking

    jobs = runner(store, ScriptedBackend(respond=linking(STEP_KEYS, 1, "teacher", IMAGE)))
    view = jobs.wait(teacher, jobs.submit(teacher, hat_request, idempotency_key="k", backend_id="fake"), timeout=10)
    assert view.status == "done"
    assert store.events("links_rejected") == [(teacher.id, f"job:{view.id}:1")]


def test_a_second_studio_on_the_same_data_folder_leaves_the_first_ones_job_alone(settings, fake_backend, teacher, hat_request):
    """What a CLI command does when it starts beside the app: it must not fail the app's running job."""
    from lesson_studio.studio import Studio

    hold = threading.Event()
    fake_backend.hold = hold
    app = Studio(settings)
    app.grounding.use_library = False
    job_id = app.submit_generation(teacher, hat_request, idempotency_key="k", backend_id="fake")
    Studio(settings)  # `python -m lesson_studio users list` while the app generates
    assert app.store.get_job(teacher, job_id).status in ("queued", "running")
    hold.set()
    assert app.jobs.wait(teacher, job_id, timeout=10).status == "done"


def test_a_job_whose_process_is_gone_is_failed_and_offered_again(store, teacher, hat_request):
    from lesson_studio.jobs import process_id

    request_id = store.save_request(teacher, hat_request, "gone")
    dead = process_id().rsplit(":", 2)[0] + ":999999999:x"  # this machine, a process id that cannot exist
    job, _ = store.create_job(teacher, request_id, "fake", owner=dead)
    jobs = runner(store, ScriptedBackend())
    assert jobs.fail_orphans() == 1
    view = jobs.view(teacher, job.id)
    assert view.status == "failed" and "已经停止" in view.error and "regenerate" in view.offers


def test_another_machines_job_is_failed_only_after_its_heartbeat_stops(store, teacher, hat_request):
    from datetime import UTC, datetime, timedelta

    from sqlalchemy import update

    from lesson_studio.store import jobs as jobs_table

    request_id = store.save_request(teacher, hat_request, "remote")
    job, _ = store.create_job(teacher, request_id, "fake", owner="other-host:42:abc")
    runner_here = runner(store, ScriptedBackend())
    assert runner_here.fail_orphans() == 0  # alive: its heartbeat is fresh
    with store.engine.begin() as conn:
        conn.execute(update(jobs_table).values(heartbeat_at=datetime.now(UTC) - timedelta(minutes=5)))
    assert runner_here.fail_orphans() == 1


def test_cancelling_a_queued_job_shows_at_once(store, teacher, hat_request):
    hold = threading.Event()
    jobs = runner(store, ScriptedBackend(hold=hold))
    first = jobs.submit(teacher, hat_request, idempotency_key="1", backend_id="fake")
    second = jobs.submit(teacher, hat_request.model_copy(update={"minutes": 25}), idempotency_key="2", backend_id="fake")
    assert jobs.view(teacher, second).status == "queued"
    jobs.cancel(teacher, second)
    assert jobs.view(teacher, second).status == "cancelled"  # before the worker reaches it
    assert jobs.view(teacher, first).queue_position == 0
    hold.set()
    assert jobs.wait(teacher, first, timeout=10).status == "done"
    assert jobs.view(teacher, second).status == "cancelled"
    assert len(store.list_drafts(teacher)) == 1


def test_a_running_job_says_it_is_cancelling_until_it_stops(store, teacher, hat_request):
    hold = threading.Event()
    jobs = runner(store, ScriptedBackend(hold=hold))
    job_id = jobs.submit(teacher, hat_request, idempotency_key="r", backend_id="fake")
    deadline = threading.Event()
    while jobs.view(teacher, job_id).status != "running":
        deadline.wait(0.02)
    jobs.cancel(teacher, job_id)
    assert jobs.view(teacher, job_id).cancelling
    hold.set()
    assert jobs.wait(teacher, job_id, timeout=10).status == "cancelled"


def test_a_cancel_asked_for_in_another_process_reaches_the_running_job(store, teacher, hat_request, monkeypatch):
    import lesson_studio.jobs as jobs_module

    monkeypatch.setattr(jobs_module, "HEARTBEAT_S", 0.1)
    hold = threading.Event()
    owner = runner(store, ScriptedBackend(hold=hold))
    job_id = owner.submit(teacher, hat_request, idempotency_key="x", backend_id="fake")
    while owner.view(teacher, job_id).status != "running":
        hold.wait(0.02)
    other = runner(store, ScriptedBackend())  # another replica: no live job of its own
    other.cancel(teacher, job_id)
    live = owner._live[f"generation:{job_id}"]
    assert live.cancel.wait(timeout=10)  # delivered by the owner's heartbeat
    hold.set()
    assert owner.wait(teacher, job_id, timeout=10).status == "cancelled"
