"""After a fault: fewer passages on a too-long prompt, 继续生成, one backend per job, what to offer."""

from __future__ import annotations

import threading

import pytest
from fake_openai_server import FakeOpenAIServer
from fakes import ScriptedBackend
from pydantic import BaseModel, Field

from lesson_studio.authoring.generate import generate_plan
from lesson_studio.errors import (
    AuthFailed,
    BackendUnreachable,
    ContentFiltered,
    ContextTooLong,
    GenerationFailed,
    IncompleteStream,
    NeedsKey,
    QuotaSpent,
    RateLimited,
    ServerFailed,
    Truncated,
    UnexpectedResponse,
)
from lesson_studio.llm.catalog import BackendSpec
from lesson_studio.llm.notices import notices_to
from lesson_studio.llm.openai_compatible import OpenAICompatibleBackend
from lesson_studio.llm.remedies import remedy_for
from lesson_studio.llm.routing import RoutedBackend, sticky_route
from lesson_studio.llm.structured import continue_structured, generate_structured
from lesson_studio.models import Citation, Hit

HELLO = [{"role": "user", "content": "你好"}]
PASSAGE_CHARS = 2000  # four of them overflow the server below, two fit


@pytest.fixture(scope="module")
def server():
    with FakeOpenAIServer(context_chars=7000) as running:
        yield running


@pytest.fixture(autouse=True)
def fresh(server):
    server.reset()


def remote(server, structured_output: str = "json_schema", **overrides) -> OpenAICompatibleBackend:
    values = dict(
        id="fake-remote",
        base_url=server.base_url,
        model="fake-model",
        structured_output=structured_output,
        timeout_s=10,
        deadline_s=20,
        retries=1,
    )
    values.update(overrides)
    backend = OpenAICompatibleBackend(BackendSpec(**values), {})
    backend.sleep = lambda seconds: None
    return backend


def passages(count: int) -> list[Hit]:
    return [
        Hit(
            chunk_id=f"guide:1:{n}",
            text=f"第{n}段：" + "幼儿在游戏中尝试用不同材料解决问题。" * (PASSAGE_CHARS // 18),
            score=1.0,
            citation=Citation(chunk_id=f"guide:1:{n}", document_id="guide", document_title="指南"),
        )
        for n in range(count)
    ]


# --- context too long: fewer passages, one retry (generate_plan), over real HTTP --------------------


@pytest.fixture
def whole_passages(monkeypatch):
    """Passages reach the prompt whole (not as excerpts), so four of them overflow the fake's window."""
    from lesson_studio.authoring import generate

    monkeypatch.setattr(generate, "PASSAGE_PROMPT_CHARS", 100_000)


def test_a_prompt_too_long_is_retried_once_with_half_the_passages(server, hat_request, whole_passages):
    notices = []
    with notices_to(notices.append):
        generate_plan(hat_request, backend=remote(server), retriever=lambda request: passages(4))
    counts = [str(r.body["messages"]).count("<<<资料") for r in server.received]
    # The overview reads no passages; the preparation is refused with four, then every section has two.
    assert counts[0] == 0 and counts[1] == 4 and set(counts[2:]) == {2}
    assert len(counts) == 1 + 8
    assert [n.kind for n in notices] == ["fewer_passages"]


def test_too_long_even_with_fewer_passages_is_a_clear_error(server, hat_request, whole_passages):
    with pytest.raises(ContextTooLong, match="太长"):
        generate_plan(hat_request, backend=remote(server), retriever=lambda request: passages(8))
    # The overview (no passages), then the preparation's first try and one retry: no loop.
    assert server.requests == 3


# --- 继续生成 --------------------------------------------------------------------------------------


class Idea(BaseModel):
    idea: str = Field(min_length=1, max_length=12)
    material: str = Field(min_length=1, max_length=6)


@pytest.mark.parametrize("method", ["json_schema", "function_calling", "json_mode", "prompt-only"])
def test_continue_after_truncation_completes_the_object(server, method):
    backend = remote(server, method)
    server.fail_next("length", "length")
    with pytest.raises(Truncated) as raised:
        generate_structured(backend, HELLO, Idea)
    partial = raised.value.partial
    seen = []
    idea = continue_structured(backend, HELLO, Idea, partial, on_text=seen.append)
    assert idea.idea and idea.material
    sent = server.received[-1].body["messages"]
    assert sent[-2] == {"role": "assistant", "content": partial} and "继续" in sent[-1]["content"]
    assert seen[-1].startswith(partial)  # the page keeps showing what was there, then the rest


def test_continue_that_is_cut_again_is_truncated_with_the_longer_text(server):
    backend = remote(server)
    server.fail_next("length", "length")
    with pytest.raises(Truncated) as first:
        generate_structured(backend, HELLO, Idea)
    server.fail_next("length")
    with pytest.raises(Truncated) as second:
        continue_structured(backend, HELLO, Idea, first.value.partial)
    assert second.value.partial.startswith(first.value.partial)
    assert len(second.value.partial) > len(first.value.partial)


def test_continue_that_gives_garbage_is_a_clear_error():
    backend = ScriptedBackend(respond=lambda messages, schema: "抱歉")
    with pytest.raises(GenerationFailed, match="继续生成"):
        continue_structured(backend, HELLO, Idea, '{"idea": "报纸')


# --- one backend per job -------------------------------------------------------------------------


def test_inside_a_job_a_route_keeps_to_the_backend_that_answered(server):
    fallback = ScriptedBackend(respond=lambda messages, schema: "备用")
    routed = RoutedBackend("generate", [remote(server, id="primary"), fallback])
    with sticky_route():
        assert "".join(routed.stream(HELLO)).startswith("好的")  # section one from the primary
        server.fail_next("503", "503")
        with pytest.raises(ServerFailed):  # section two: no switching model halfway through a plan
            list(routed.stream(HELLO))
    assert fallback.calls == [] and routed.id == "primary"


def test_outside_a_job_each_call_may_fall_back(server):
    fallback = ScriptedBackend(respond=lambda messages, schema: "备用")
    routed = RoutedBackend("generate", [remote(server, id="primary"), fallback])
    assert "".join(routed.stream(HELLO)).startswith("好的")
    server.fail_next("503", "503")
    assert "".join(routed.stream(HELLO)) == "备用" and routed.id == "fake"


def test_a_job_whose_first_backend_fails_before_any_text_still_falls_back(server):
    fallback = ScriptedBackend(respond=lambda messages, schema: "备用")
    routed = RoutedBackend("generate", [remote(server, id="primary"), fallback])
    server.fail_next("503", "503")
    with sticky_route():
        assert "".join(routed.stream(HELLO)) == "备用"
        assert "".join(routed.stream(HELLO)) == "备用"  # and stays there
    assert server.requests == 2 and len(fallback.calls) == 2


# --- "服务繁忙，正在重试" reaches whoever listens in the job's thread --------------------------------


def test_busy_notice_reaches_a_listener_in_the_generating_thread(server, hat_request):
    server.fail_next("429:retry_after=1")
    notices, errors = [], []

    def job():  # what JobRunner._generate will do around generate_plan
        try:
            with notices_to(notices.append), sticky_route():
                generate_plan(hat_request, backend=remote(server))
        except Exception as error:  # pragma: no cover - shown by the assertion below
            errors.append(error)

    worker = threading.Thread(target=job)
    worker.start()
    worker.join(30)
    assert errors == [] and [n.kind for n in notices] == ["retrying"]
    assert "服务繁忙，正在重试" in notices[0].message and notices[0].wait_s == 1.0


# --- what the teacher is offered -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("error", "kind", "offers"),
    [
        (IncompleteStream(partial="师：小朋友"), "incomplete", ("keep_partial", "continue", "regenerate")),
        (IncompleteStream(), "incomplete", ("regenerate",)),
        (Truncated(partial='{"title": "小熊'), "truncated", ("continue", "keep_partial", "regenerate")),
        (ContentFiltered(), "filtered", ("rephrase",)),
        (ContextTooLong(), "too_long", ("rephrase", "contact_admin")),
        (AuthFailed(), "refused", ("contact_admin",)),
        (NeedsKey("no key"), "no_key", ("contact_admin",)),
        (UnexpectedResponse(), "not_a_model", ("contact_admin", "retry_later")),
        (QuotaSpent(), "quota", ("contact_admin",)),
        (RateLimited(), "busy", ("retry_later",)),
        (BackendUnreachable(), "unreachable", ("retry_later", "contact_admin")),
        (ServerFailed(), "failing", ("retry_later",)),
        (GenerationFailed("twice"), "unusable", ("regenerate",)),
    ],
)
def test_each_fault_offers_what_can_help(error, kind, offers):
    remedy = remedy_for(error)
    assert (remedy.kind, remedy.offers) == (kind, offers)


def test_sections_kept_by_the_job_count_as_something_to_keep():
    assert remedy_for(IncompleteStream(), kept=True).offers == ("keep_partial", "continue", "regenerate")


def test_a_cut_stream_offers_its_partial_text(server):
    server.fail_next("cut:after=3")
    pieces = []
    with pytest.raises(IncompleteStream) as raised:
        for piece in remote(server).stream(HELLO):
            pieces.append(piece)
    remedy = remedy_for(raised.value)
    assert remedy.offers[0] == "keep_partial" and remedy.partial == "".join(pieces)
