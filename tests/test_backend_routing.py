"""Fallback to the next backend only before the first piece; the job layer never saves a broken answer."""

from __future__ import annotations

import socket

import pytest
from fake_openai_server import FakeOpenAIServer
from fakes import ScriptedBackend
from test_jobs import LessonJobs

from lesson_studio.errors import BackendUnreachable, ContentFiltered, IncompleteStream, NeedsKey
from lesson_studio.llm.catalog import BackendSpec
from lesson_studio.llm.notices import notices_to
from lesson_studio.llm.openai_compatible import OpenAICompatibleBackend
from lesson_studio.llm.routing import RoutedBackend

HELLO = [{"role": "user", "content": "你好"}]


@pytest.fixture(scope="module")
def server():
    with FakeOpenAIServer() as running:
        yield running


@pytest.fixture(autouse=True)
def fresh(server):
    server.reset()


def remote(base_url: str, backend_id: str = "primary", key_env_var: str = "") -> OpenAICompatibleBackend:
    spec = BackendSpec(
        id=backend_id, base_url=base_url, model="fake-model", key_env_var=key_env_var, deadline_s=10, retries=1
    )
    backend = OpenAICompatibleBackend(spec, {})
    backend.sleep = lambda seconds: None
    return backend


def closed_url() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{probe.getsockname()[1]}/v1"


def test_unreachable_primary_falls_back_and_names_who_answered():
    fallback = ScriptedBackend(respond=lambda messages, schema: "备用模型的回答")
    routed = RoutedBackend("generate", [remote(closed_url()), fallback])
    notices = []
    with notices_to(notices.append):
        assert "".join(routed.stream(HELLO)) == "备用模型的回答"
    assert routed.id == "fake"
    assert [n.kind for n in notices] == ["fallback"] and "改用" in notices[0].message


def test_a_backend_without_its_key_is_skipped(server):
    routed = RoutedBackend(
        "generate", [remote(server.base_url, "ernie", "LESSON_TEST_NEVER_SET"), remote(server.base_url, "ollama")]
    )
    assert "".join(routed.stream(HELLO)).startswith("好的")
    assert routed.id == "ollama" and server.requests == 1


def test_no_fallback_once_text_reached_the_teacher(server):
    fallback = ScriptedBackend()
    routed = RoutedBackend("generate", [remote(server.base_url), fallback])
    server.fail_next("cut:after=2")
    with pytest.raises(IncompleteStream):
        list(routed.stream(HELLO))
    assert fallback.calls == []


def test_content_filter_does_not_shop_for_another_model(server):
    fallback = ScriptedBackend()
    routed = RoutedBackend("generate", [remote(server.base_url), fallback])
    server.fail_next("filtered_400")
    with pytest.raises(ContentFiltered):
        list(routed.stream(HELLO))
    assert fallback.calls == []


def test_when_every_backend_fails_the_first_real_failure_is_reported(server):
    routed = RoutedBackend(
        "generate", [remote(server.base_url, "a", "LESSON_TEST_NEVER_SET"), remote(closed_url(), "b")]
    )
    with pytest.raises(BackendUnreachable):
        list(routed.stream(HELLO))


def test_only_missing_keys_reports_the_missing_key(server):
    routed = RoutedBackend("generate", [remote(server.base_url, "a", "LESSON_TEST_NEVER_SET")])
    with pytest.raises(NeedsKey, match="LESSON_TEST_NEVER_SET"):
        list(routed.stream(HELLO))


def test_a_cut_stream_is_never_saved_as_a_version(server, store, teacher, hat_request):
    backend = remote(server.base_url)
    server.fail_next("ok", "cut:after=3")  # the overview arrives, the preparation breaks off
    jobs = LessonJobs(store, lambda backend_id: backend)
    job_id = jobs.submit(teacher, hat_request, idempotency_key="cut", backend_id="primary")
    view = jobs.wait(teacher, job_id, timeout=30)
    assert view.status == "failed" and "中途断开" in view.error
    assert store.list_drafts(teacher) == []
    assert store.get_request(teacher, store.get_job(teacher, job_id).request_id) == hat_request


def test_an_unreachable_backend_fails_the_job_and_keeps_the_request(store, teacher, hat_request):
    jobs = LessonJobs(store, lambda backend_id: remote(closed_url()))
    job_id = jobs.submit(teacher, hat_request, idempotency_key="refused", backend_id="primary")
    view = jobs.wait(teacher, job_id, timeout=30)
    assert view.status == "failed" and "连接不上" in view.error and "请求已保存" in view.error
    assert store.list_drafts(teacher) == []
    assert store.get_request(teacher, store.get_job(teacher, job_id).request_id) == hat_request


def test_a_full_plan_generates_over_http(server, store, teacher, hat_request):
    jobs = LessonJobs(store, lambda backend_id: remote(server.base_url))
    job_id = jobs.submit(teacher, hat_request, idempotency_key="ok", backend_id="primary")
    view = jobs.wait(teacher, job_id, timeout=30)
    assert view.status == "done", view.error
    assert server.requests == 2 + 5 + 1  # overview, preparation, five steps, closing
