"""One contract for every backend kind: the OpenAI-compatible class (against the loopback fake
server, once per structured-output method) and the embedded llama.cpp model (the real one, kept short).
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from fake_openai_server import FakeOpenAIServer
from pydantic import BaseModel, Field

from lesson_studio.config import Settings
from lesson_studio.errors import ContextTooLong, ModelUnavailable, NeedsKey, StudioError, Truncated
from lesson_studio.llm.catalog import BackendSpec
from lesson_studio.llm.structured import generate_structured

KEY = "sk-contract-0123456789abcdef"
KINDS = ["remote-json_schema", "remote-function_calling", "remote-json_mode", "remote-prompt-only", "embedded"]
OVERLONG = [{"role": "user", "content": "小熊的帽子总是掉下来。" * 900}]  # > the fake's 6,000 chars and > 512 tokens


class Material(BaseModel):
    material: str = Field(min_length=1, max_length=6)  # short: the embedded model writes ~10 tokens a second


class Kind:
    """What the contract needs from one backend kind."""

    def __init__(self, working, misconfigured, names: str, missing_error: type[StudioError]):
        self.working = working
        self.misconfigured = misconfigured  # a factory: a backend lacking what it needs
        self.names = names  # the setting the error must name
        self.missing_error = missing_error


@pytest.fixture(scope="module")
def server():
    with FakeOpenAIServer() as running:
        yield running


@pytest.fixture(scope="module")
def embedded(tmp_path_factory):
    pytest.importorskip("llama_cpp")
    from lesson_studio.llm.local import LocalLlamaBackend
    from lesson_studio.llm.model_files import ensure_bundled_model

    # One joined copy of the 1.1 GB model per machine, not per test run (sha256-checked, joined atomically).
    model = ensure_bundled_model(Path(tempfile.gettempdir()) / "lesson-studio-test-model")
    settings = Settings(
        data_dir=tmp_path_factory.mktemp("contract"), local_model_path=str(model), local_context=512, local_threads=2
    )
    backend = LocalLlamaBackend(settings)
    backend._llama()  # load once for the module
    return backend


@pytest.fixture(params=KINDS)
def kind(request, server) -> Kind:
    from lesson_studio.llm.openai_compatible import OpenAICompatibleBackend

    if request.param == "embedded":
        from lesson_studio.llm.local import LocalLlamaBackend

        def broken():
            return LocalLlamaBackend(Settings(local_model_path="/nonexistent/model.gguf"))

        return Kind(request.getfixturevalue("embedded"), broken, "LESSON_STUDIO_LOCAL_MODEL", ModelUnavailable)
    method = request.param.removeprefix("remote-")

    def remote(key_env_var: str = "LESSON_TEST_CONTRACT_KEY") -> OpenAICompatibleBackend:
        spec = BackendSpec(
            id="fake-remote",
            base_url=server.base_url,
            model="fake-model",
            key_env_var=key_env_var,
            structured_output=method,
            timeout_s=10,
            deadline_s=20,
        )
        return OpenAICompatibleBackend(spec, {"LESSON_TEST_CONTRACT_KEY": KEY})

    return Kind(remote(), lambda: remote("LESSON_TEST_ABSENT_KEY"), "LESSON_TEST_ABSENT_KEY", NeedsKey)


def test_stream_yields_text_in_pieces(kind):
    pieces = list(
        kind.working.stream([{"role": "user", "content": "用一个词回答：晴天的天空是什么颜色？"}], max_tokens=32)
    )
    assert pieces and all(isinstance(piece, str) and piece for piece in pieces)
    assert "".join(pieces).strip()


def test_structured_output_validates(kind):
    answer = generate_structured(
        kind.working,
        [{"role": "user", "content": "给小熊做帽子，用什么材料？"}],
        Material,
        max_tokens=24,
        temperature=0.0,
    )
    assert 1 <= len(answer.material) <= 6


def test_missing_key_or_model_names_what_to_set(kind):
    with pytest.raises(kind.missing_error, match=kind.names):
        list(kind.misconfigured().stream([{"role": "user", "content": "你好"}], max_tokens=8))


def test_length_limit_is_truncated_after_the_text(kind):
    pieces = []
    with pytest.raises(Truncated) as raised:
        for piece in kind.working.stream([{"role": "user", "content": "请讲一个关于小熊的长故事。"}], max_tokens=2):
            pieces.append(piece)
    assert raised.value.partial == "".join(pieces)


def test_prompt_longer_than_the_context_is_context_too_long(kind):
    with pytest.raises(ContextTooLong):
        list(kind.working.stream(OVERLONG, max_tokens=8))
