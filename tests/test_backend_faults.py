"""Every ordinary provider fault, through the real HTTP path, against the loopback fake server."""

from __future__ import annotations

import logging
import socket

import pytest
from fake_openai_server import FakeOpenAIServer
from pydantic import BaseModel, Field

from lesson_studio.errors import (
    AuthFailed,
    BackendTimeout,
    BackendUnreachable,
    ContentFiltered,
    ContextTooLong,
    GenerationFailed,
    IncompleteStream,
    RateLimited,
    ServerFailed,
    Truncated,
    UnexpectedResponse,
)
from lesson_studio.llm.catalog import BackendSpec
from lesson_studio.llm.notices import notices_to
from lesson_studio.llm.openai_compatible import OpenAICompatibleBackend
from lesson_studio.llm.structured import generate_structured

KEY = "sk-faults-0123456789abcdef"
HELLO = [{"role": "user", "content": "你好"}]


@pytest.fixture(scope="module")
def server():
    with FakeOpenAIServer() as running:
        yield running


@pytest.fixture(autouse=True)
def fresh(server):
    server.reset()


def backend_for(base_url: str, **overrides) -> OpenAICompatibleBackend:
    values = dict(
        id="fake-remote",
        base_url=base_url,
        model="fake-model",
        key_env_var="LESSON_TEST_FAULTS_KEY",
        timeout_s=10,
        deadline_s=20,
        retries=2,
        max_retry_wait_s=5,
    )
    values.update(overrides)
    backend = OpenAICompatibleBackend(BackendSpec(**values), {"LESSON_TEST_FAULTS_KEY": KEY})
    backend.waits = []  # type: ignore[attr-defined]
    backend.sleep = backend.waits.append  # record the waits instead of sleeping through them
    return backend


@pytest.fixture
def backend(server) -> OpenAICompatibleBackend:
    return backend_for(server.base_url)


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def run(backend, messages=HELLO, **kwargs) -> str:
    return "".join(backend.stream(messages, **kwargs))


def test_a_healthy_answer_streams(backend, server):
    assert run(backend).startswith("好的")
    assert server.received[0].headers["authorization"] == f"Bearer {KEY}"


def test_connection_refused_is_unreachable_without_retrying():
    backend = backend_for(f"http://127.0.0.1:{closed_port()}/v1")
    with pytest.raises(BackendUnreachable, match="连接不上") as raised:
        run(backend)
    assert "refused" in raised.value.detail.lower()
    assert backend.waits == []


def test_no_answer_ends_at_the_apps_deadline(server):
    backend = backend_for(server.base_url, timeout_s=30, deadline_s=0.5)
    server.fail_next("hang:seconds=10")
    with pytest.raises(BackendTimeout, match="0.5 秒内没有回应") as raised:
        run(backend)
    assert "app deadline" in raised.value.detail


def test_silence_past_the_http_timeout_is_a_timeout_too(server):
    backend = backend_for(server.base_url, timeout_s=0.3, deadline_s=30)
    server.fail_next("hang:seconds=10")
    with pytest.raises(BackendTimeout):
        run(backend)


def test_429_waits_as_the_provider_says_then_succeeds(backend, server):
    server.fail_next("429:retry_after=2", "429:retry_after=1")
    notices = []
    with notices_to(notices.append):
        assert run(backend).startswith("好的")
    assert backend.waits == [2.0, 1.0]
    assert server.requests == 3
    assert [n.kind for n in notices] == ["retrying", "retrying"] and "服务繁忙，正在重试" in notices[0].message


def test_retry_after_is_capped(server):
    backend = backend_for(server.base_url, max_retry_wait_s=1.5)
    server.fail_next("429:retry_after=120")
    run(backend)
    assert backend.waits == [1.5]


def test_rate_limit_that_persists_is_a_clear_error(backend, server):
    server.fail_next("429", "429", "429", "429")
    with pytest.raises(RateLimited, match="繁忙"):
        run(backend)
    assert server.requests == 3  # the first try and two retries


@pytest.mark.parametrize("fault", ["qianfan_rpm", "qianfan_tpm", "qianfan_qps", "qianfan_rpm_sse"])
def test_qianfan_rate_limit_codes_in_a_200_body_are_rate_limits(backend, server, fault):
    server.fail_next(fault, fault, fault)
    with pytest.raises(RateLimited) as raised:
        run(backend)
    assert "Qianfan error_code" in raised.value.detail
    assert server.requests == 3


def test_qianfan_daily_quota_is_not_retried(backend, server):
    server.fail_next("qianfan_daily")
    with pytest.raises(RateLimited, match="额度已用完"):
        run(backend)
    assert server.requests == 1


@pytest.mark.parametrize("status", ["500", "502", "503", "504"])
def test_server_errors_retry_with_backoff_then_fail_clearly(backend, server, status):
    server.fail_next(status, status, status)
    with pytest.raises(ServerFailed, match="重试后仍未成功") as raised:
        run(backend)
    assert f"HTTP {status}" in raised.value.detail
    assert server.requests == 3
    assert len(backend.waits) == 2 and backend.waits[1] > backend.waits[0]


def test_a_server_error_that_clears_up_is_invisible(backend, server):
    server.fail_next("503")
    assert run(backend).startswith("好的")
    assert server.requests == 2


@pytest.mark.parametrize("fault", ["401", "403", "qianfan_auth", "qianfan_expired"])
def test_refused_access_is_not_retried_and_sends_the_teacher_to_the_admin(backend, server, fault):
    server.fail_next(fault)
    with pytest.raises(AuthFailed, match="请联系管理员") as raised:
        run(backend)
    assert server.requests == 1
    assert raised.value.detail  # the admin sees what the provider said


def test_a_key_echoed_by_the_provider_never_reaches_message_or_detail(backend, server):
    server.fail_next("401")
    with pytest.raises(AuthFailed) as raised:
        run(backend)
    assert "Incorrect API key provided" in raised.value.detail
    for text in (str(raised.value), raised.value.detail, repr(raised.value), repr(backend)):
        assert KEY not in text and KEY[-12:] not in text
    assert raised.value.__cause__ is None and raised.value.__context__ is None


def test_context_too_long_is_its_own_error(backend, server):
    server.fail_next("context")
    with pytest.raises(ContextTooLong, match="减少参考资料"):
        run(backend)
    assert server.requests == 1


def test_a_stream_cut_off_midway_is_incomplete_with_the_partial_text(backend, server):
    server.fail_next("cut:after=3")
    pieces = []
    with pytest.raises(IncompleteStream, match="中途断开") as raised:
        for piece in backend.stream(HELLO):
            pieces.append(piece)
    assert pieces and raised.value.partial == "".join(pieces)
    assert server.requests == 1  # never retried once text was handed on


def test_a_stream_that_ends_without_finish_reason_is_incomplete(backend, server):
    server.fail_next("eof:after=2")
    with pytest.raises(IncompleteStream):
        run(backend)


def test_a_stream_that_goes_silent_midway_is_incomplete_not_retried(server):
    backend = backend_for(server.base_url, timeout_s=0.3, deadline_s=30)
    server.fail_next("stall:after=2,seconds=10")
    pieces = []
    with pytest.raises(IncompleteStream) as raised:
        for piece in backend.stream(HELLO):
            pieces.append(piece)
    assert len(pieces) == 2 and raised.value.partial == "".join(pieces)
    assert server.requests == 1


def test_a_drop_before_any_text_is_retried(backend, server):
    server.fail_next("cut:after=0")
    assert run(backend).startswith("好的")
    assert server.requests == 2


def test_finish_reason_length_is_truncated(backend, server):
    server.fail_next("length")
    with pytest.raises(Truncated, match="继续生成") as raised:
        run(backend)
    assert raised.value.partial


@pytest.mark.parametrize("fault", ["content_filter", "filtered_400"])
def test_content_filter_is_distinct_and_not_retried(backend, server, fault):
    server.fail_next(fault, fault)
    with pytest.raises(ContentFiltered, match="内容审核"):
        run(backend)
    assert server.requests == 1


def test_an_html_page_with_status_200_is_not_an_answer(backend, server):
    server.fail_next("html")
    with pytest.raises(UnexpectedResponse, match="网页") as raised:
        run(backend)
    assert "校园网" in raised.value.detail


class Material(BaseModel):
    material: str = Field(min_length=1, max_length=6)


def test_malformed_structured_output_is_repaired_once(backend, server):
    server.fail_next("malformed")
    answer = generate_structured(backend, HELLO, Material)
    assert answer.material and server.requests == 2


def test_malformed_twice_is_a_clear_error(backend, server):
    server.fail_next("malformed", "malformed")
    with pytest.raises(GenerationFailed, match="两次"):
        generate_structured(backend, HELLO, Material)
    assert server.requests == 2


def test_content_filter_in_structured_output_is_not_taken_for_malformed_json(backend, server):
    server.fail_next("content_filter")
    with pytest.raises(ContentFiltered):
        generate_structured(backend, HELLO, Material)
    assert server.requests == 1  # no "repair" of a moderated answer


def test_structured_output_cut_at_the_length_limit_is_asked_again_shorter(backend, server):
    server.fail_next("length")
    assert generate_structured(backend, HELLO, Material).material
    assert "截断" in server.received[1].body["messages"][-1]["content"]


def test_structured_output_cut_twice_is_truncated(backend, server):
    server.fail_next("length", "length")
    with pytest.raises(Truncated):
        generate_structured(backend, HELLO, Material)
    assert server.requests == 2


def test_waiting_never_runs_past_the_deadline(server):
    backend = backend_for(server.base_url, deadline_s=3, max_retry_wait_s=60)
    server.fail_next("429:retry_after=30")
    with pytest.raises(RateLimited):
        run(backend)
    assert backend.waits == [] and server.requests == 1


def test_the_key_stays_out_of_debug_logs(backend, server, caplog):
    caplog.set_level(logging.DEBUG)
    server.fail_next("401")
    with pytest.raises(AuthFailed):
        run(backend)
    assert run(backend)
    assert caplog.records and KEY not in caplog.text
