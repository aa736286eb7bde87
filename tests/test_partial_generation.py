"""A generation that stops midway keeps what arrived; 继续生成 writes only the missing sections;
a prompt too long for the model is retried once with fewer passages; fault notices reach the page."""

import pytest
from fakes import ScriptedBackend, answer_for

from lesson_studio.errors import (
    AuthFailed,
    ContentFiltered,
    ContextTooLong,
    IncompleteStream,
    RateLimited,
    StudioError,
    Truncated,
)
from lesson_studio.llm.notices import Notice, notify
from lesson_studio.models import Citation, Hit
from lesson_studio.studio import Studio


def cut_at_call(number: int, error: StudioError):
    """A backend whose `number`-th call breaks off with `error` (after a few pieces)."""
    count = {"n": 0}

    def respond(messages, schema):
        count["n"] += 1
        if count["n"] == number:
            raise error
        return answer_for(schema)

    return respond


@pytest.fixture
def studio(settings, fake_backend):
    return Studio(settings)


def generate(studio, teacher, request, key="k"):
    return studio.jobs.wait(teacher, studio.submit_generation(teacher, request, idempotency_key=key), timeout=10)


def test_cut_off_stream_keeps_finished_sections_and_saves_no_version(studio, teacher, hat_request, fake_backend):
    fake_backend.respond = cut_at_call(
        4, IncompleteStream(backend_id="fake")
    )  # overview, preparation, step 1, then cut
    view = generate(studio, teacher, hat_request)
    assert view.status == "failed" and "不完整" in view.error
    assert view.version_id is None and studio.store.list_drafts(teacher) == []
    assert view.partial is not None
    assert view.partial.overview is not None and view.partial.preparation is not None
    assert view.partial.steps[0] is not None and view.partial.steps[1] is None


def test_resume_writes_only_the_missing_sections(studio, teacher, hat_request, fake_backend):
    fake_backend.respond = cut_at_call(4, IncompleteStream(backend_id="fake"))
    failed = generate(studio, teacher, hat_request)
    calls_before = len(fake_backend.calls)
    fake_backend.respond = None
    resumed_id = studio.resume_generation(teacher, failed.id, idempotency_key="resume-1")
    view = studio.jobs.wait(teacher, resumed_id, timeout=10)
    assert view.status == "done" and view.version_id is not None
    new_schemas = fake_backend.schemas[calls_before:]
    steps_left = len(failed.partial.steps) - 1
    assert len(new_schemas) == steps_left + 1  # the remaining steps and the closing, nothing already written
    assert all(set(schema["properties"]) != {"experience", "materials"} for schema in new_schemas)
    plan = studio.load_plan(teacher, view.version_id)
    assert plan.steps[0].title == failed.partial.steps[0].title


def test_resume_twice_with_one_key_starts_one_job(studio, teacher, hat_request, fake_backend):
    fake_backend.respond = cut_at_call(2, IncompleteStream(backend_id="fake"))
    failed = generate(studio, teacher, hat_request)
    fake_backend.respond = None
    first = studio.resume_generation(teacher, failed.id, idempotency_key="same")
    assert studio.resume_generation(teacher, failed.id, idempotency_key="same") == first


def test_nothing_kept_means_resume_is_refused_with_a_reason(studio, teacher, hat_request, fake_backend):
    fake_backend.respond = cut_at_call(1, IncompleteStream(backend_id="fake"))
    failed = generate(studio, teacher, hat_request)
    assert failed.partial is None
    with pytest.raises(StudioError, match="重新生成"):
        studio.resume_generation(teacher, failed.id, idempotency_key="r")


def test_another_teacher_cannot_resume_my_job(studio, teacher, other_teacher, hat_request, fake_backend):
    fake_backend.respond = cut_at_call(3, IncompleteStream(backend_id="fake"))
    failed = generate(studio, teacher, hat_request)
    with pytest.raises(StudioError):
        studio.resume_generation(other_teacher, failed.id, idempotency_key="r")


def passage(number: int) -> Hit:
    citation = Citation(document_id=f"d{number}", document_title=f"资料{number}", heading="", chunk_id=f"d{number}:1:0")
    return Hit(chunk_id=f"d{number}:1:0", text=f"第{number}条资料的内容。" * 20, score=1.0, citation=citation)


@pytest.mark.parametrize(("overflowing_call", "cited"), [(2, 2), (4, 4)])
def test_context_too_long_retries_once_with_half_the_passages(hat_request, overflowing_call, cited):
    """The section that overflows is retried with two of four passages; the plan cites what was read:
    two when nothing had been written from all four (the overview, call 1, reads no passages),
    four when earlier sections had."""
    seen_passages = []

    def respond(messages, schema):
        seen_passages.append(messages[-1]["content"].count("<<<资料"))
        if len(seen_passages) == overflowing_call:
            raise ContextTooLong(detail="exceeds context window", backend_id="fake")
        return answer_for(schema)

    from lesson_studio.authoring.generate import generate_plan
    from lesson_studio.llm.notices import notices_to

    notices = []
    with notices_to(notices.append):
        result = generate_plan(
            hat_request,
            backend=ScriptedBackend(respond=respond),
            retriever=lambda _r: [passage(n) for n in range(1, 5)],
        )
    assert seen_passages[: overflowing_call + 1] == [0] + [4] * (overflowing_call - 1) + [2]
    assert set(seen_passages[overflowing_call:]) == {2}
    assert [notice.kind for notice in notices] == ["fewer_passages"]
    assert len(result.plan.citations) == cited


def test_context_too_long_twice_is_a_clear_error(hat_request):
    def respond(messages, schema):
        raise ContextTooLong(detail="exceeds context window", backend_id="fake")

    from lesson_studio.authoring.generate import generate_plan

    with pytest.raises(ContextTooLong, match="太长"):
        generate_plan(
            hat_request, backend=ScriptedBackend(respond=respond), retriever=lambda _r: [passage(1), passage(2)]
        )


def test_a_retrying_backend_shows_its_notice_while_the_job_runs(studio, teacher, hat_request, fake_backend):
    import threading

    noticed, release = threading.Event(), threading.Event()

    def respond(messages, schema):
        if not noticed.is_set():
            notify(Notice(kind="retrying", message="服务繁忙，正在重试", backend_id="fake", wait_s=1.0))
            noticed.set()
            release.wait(timeout=10)
        return answer_for(schema)

    fake_backend.respond = respond
    job_id = studio.submit_generation(teacher, hat_request, idempotency_key="busy")
    assert noticed.wait(timeout=10)
    view = studio.jobs.view(teacher, job_id)
    assert view.status == "running" and view.notice is not None and "正在重试" in view.notice.message
    release.set()
    done = studio.jobs.wait(teacher, job_id, timeout=10)
    assert done.status == "done" and done.notice is None


@pytest.mark.parametrize(
    ("error", "offers"),
    [
        (IncompleteStream(backend_id="fake"), ("keep_partial", "continue", "regenerate")),
        (ContentFiltered(backend_id="fake"), ("rephrase",)),
        (AuthFailed(backend_id="fake"), ("contact_admin",)),
        (RateLimited(backend_id="fake"), ("retry_later",)),
    ],
)
def test_a_failed_job_offers_what_fits_its_fault(studio, teacher, hat_request, fake_backend, error, offers):
    fake_backend.respond = cut_at_call(3, error)
    view = generate(studio, teacher, hat_request)
    assert view.status == "failed" and view.offers == offers


def test_nothing_kept_never_offers_continue(studio, teacher, hat_request, fake_backend):
    fake_backend.respond = cut_at_call(1, IncompleteStream(backend_id="fake"))
    assert "continue" not in generate(studio, teacher, hat_request).offers


def test_cancelled_job_offers_continue_when_sections_were_kept(studio, teacher, hat_request, fake_backend):
    import threading

    second_call, release = threading.Event(), threading.Event()

    def respond(messages, schema):
        if len(fake_backend.calls) == 2:
            second_call.set()
            release.wait(timeout=10)
        return answer_for(schema)

    fake_backend.respond = respond
    job_id = studio.submit_generation(teacher, hat_request, idempotency_key="c")
    assert second_call.wait(timeout=10)
    studio.jobs.cancel(teacher, job_id)
    release.set()
    view = studio.jobs.wait(teacher, job_id, timeout=10)
    assert view.status == "cancelled" and view.offers == ("continue", "regenerate")


def test_truncated_section_continues_from_the_text_that_came(studio, teacher, hat_request, fake_backend):
    """继续生成 after a length cut sends the cut text back and asks the model to write on."""
    calls = {"n": 0}
    step_answer = None

    def respond(messages, schema):
        nonlocal step_answer
        calls["n"] += 1
        if calls["n"] in (3, 4):  # the first step, and generate_structured's shorter retry: both cut
            step_answer = answer_for(schema)
            raise Truncated(backend_id="fake", partial=step_answer[:40])
        return answer_for(schema)

    fake_backend.respond = respond
    failed = generate(studio, teacher, hat_request)
    assert failed.status == "failed" and failed.offers[0] == "continue"
    assert failed.partial.cut_section == "step:0" and failed.partial.cut_text == step_answer[:40]

    def continue_answer(messages, schema):
        if messages[-2]["role"] == "assistant" and messages[-2]["content"] == step_answer[:40]:
            return step_answer[40:]  # the model writes on from where it was cut
        return answer_for(schema)

    fake_backend.respond = continue_answer
    view = studio.jobs.wait(teacher, studio.resume_generation(teacher, failed.id, idempotency_key="go"), timeout=10)
    assert view.status == "done"
    continued = [call for call in fake_backend.calls if call[-2].get("content") == step_answer[:40]]
    assert len(continued) == 1
