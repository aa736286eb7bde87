"""One class for every OpenAI-compatible provider (ERNIE/Qianfan v2, OpenAI, DeepSeek, Qwen, Ollama).

The providers differ only by their row in backends.toml. Calls go through LangChain's ChatOpenAI
with the SDK's own retries off and an HTTP timeout always set (its default is none: a hung server
would hang the app); this class adds what a teacher needs on top:

- the app's own deadline on the whole call, kept by reading the stream from a helper thread, so a
  server that never answers cannot hold a teacher longer than `deadline_s`;
- retries for rate limits (waiting as Retry-After says, capped) and server errors (backoff), only
  before the first piece of text was handed on — a retry after that would duplicate text;
- every failure as one StudioError subclass (faults.py), with the provider's words, keys masked,
  on `.detail` for the admin;
- a stream that breaks off, or ends without a finish_reason, raises IncompleteStream; one that
  stops at the length limit raises Truncated — after the text it did send.
"""

from __future__ import annotations

import hashlib
import json
import logging
import queue
import random
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import httpx2

from lesson_studio.errors import (
    BackendFault,
    BackendTimeout,
    ContentFiltered,
    IncompleteStream,
    NeedsKey,
    RateLimited,
    ServerFailed,
    Truncated,
)
from lesson_studio.llm import incidents
from lesson_studio.llm.base import ChatBackend, Message
from lesson_studio.llm.catalog import BackendSpec, lookup_secret
from lesson_studio.llm.faults import Failure, classify, finish_fault, sniff_response
from lesson_studio.llm.notices import Notice, notify
from lesson_studio.llm.structured import schema_instruction

CONNECT_TIMEOUT_S = 5.0  # a refused or unroutable address should fail fast, whatever timeout_s says
BACKOFF_BASE_S = 0.5
NO_KEY = "not-needed"  # the SDK insists on some key; servers without keys ignore it
TOOL_NAME = "answer"

log = logging.getLogger(__name__)
_slots: dict[tuple[str, str, int], threading.BoundedSemaphore] = {}
_slots_lock = threading.Lock()


def _slot(spec: BackendSpec) -> threading.BoundedSemaphore:
    """The process-wide limit on requests in flight to one backend."""
    key = (spec.id, spec.base_url, spec.concurrency)
    with _slots_lock:
        return _slots.setdefault(key, threading.BoundedSemaphore(spec.concurrency))


class _RetryBeforeText(Exception):
    def __init__(self, failure: Failure):
        super().__init__(str(failure.error))
        self.failure = failure


class _Raised:
    def __init__(self, error: BaseException):
        self.error = error


_END = object()


class OpenAICompatibleBackend(ChatBackend):
    def __init__(self, spec: BackendSpec, secrets: Mapping[str, Any] | None = None):
        self.spec = spec
        self.id = spec.id
        self.display_name = spec.display_name
        self.needs_key = bool(spec.key_env_var)
        self._secrets = secrets if secrets is not None else {}
        self._lock = threading.Lock()
        self._model: Any = None
        self._model_fingerprint = ""
        self.sleep: Callable[[float], None] = time.sleep  # the wait between attempts

    def __repr__(self) -> str:  # never the key
        return f"OpenAICompatibleBackend(id={self.id!r}, model={self.spec.model!r}, base_url={self.spec.base_url!r})"

    # --- configuration ---------------------------------------------------------------------------

    def key(self) -> str:
        """The API key from the environment or secrets.toml; NeedsKey names the variable if unset."""
        if not self.spec.key_env_var:
            return NO_KEY
        key = lookup_secret(self.spec.key_env_var, self._secrets)
        if not key:
            variable = self.spec.key_env_var
            raise NeedsKey(
                f"“{self.display_name}”还没有配置密钥：请管理员设置环境变量 {variable}，"
                f'或在 .streamlit/secrets.toml 中写入 {variable} = "…"。 / '
                f"No key for '{self.id}' — set {variable} or add it to .streamlit/secrets.toml"
            )
        return key

    def headers(self) -> dict[str, str]:
        headers = {}
        for header, variable in self.spec.headers_from_env:
            value = lookup_secret(variable, self._secrets)
            if value:
                headers[header] = value
        return headers

    def chat_model(self) -> Any:
        """The ChatOpenAI for the current key and headers (rebuilt when the admin changes them)."""
        key, headers = self.key(), self.headers()
        fingerprint = hashlib.sha256((key + "\n" + json.dumps(headers, sort_keys=True)).encode()).hexdigest()
        with self._lock:
            if self._model is None or fingerprint != self._model_fingerprint:
                from langchain_openai import ChatOpenAI  # heavy import: only when a remote backend is used

                timeout = httpx2.Timeout(self.spec.timeout_s, connect=min(self.spec.timeout_s, CONNECT_TIMEOUT_S))
                self._model = ChatOpenAI(
                    model=self.spec.model,
                    base_url=self.spec.base_url,
                    api_key=key,
                    timeout=timeout,
                    max_retries=0,  # retries are ours: they honour Retry-After, the deadline and the first piece
                    default_headers=headers or None,
                    http_client=httpx2.Client(timeout=timeout, event_hooks={"response": [sniff_response]}),
                    use_responses_api=False,
                    stream_usage=False,
                )
                self._model_fingerprint = fingerprint
            return self._model

    def request(
        self, messages: list[Message], json_schema: dict[str, Any] | None, max_tokens: int, temperature: float
    ) -> tuple[list[Message], dict[str, Any]]:
        """The messages and ChatOpenAI.stream keyword arguments for this row's structured-output method.

        response_format and max_tokens travel in extra_body: ChatOpenAI would otherwise switch to its
        beta parsing stream, and rename max_tokens to max_completion_tokens, which not every server knows.
        """
        extra_body: dict[str, Any] = {self.spec.max_tokens_field: max_tokens}
        kwargs: dict[str, Any] = {"temperature": temperature}
        method = self.spec.structured_output
        if json_schema is not None:
            if method == "json_schema":
                extra_body["response_format"] = {
                    "type": "json_schema",
                    "json_schema": {"name": TOOL_NAME, "schema": json_schema, "strict": False},
                }
            elif method == "function_calling":
                kwargs["tools"] = [
                    {
                        "type": "function",
                        "function": {
                            "name": TOOL_NAME,
                            "description": "给出答案 / give the answer",
                            "parameters": json_schema,
                        },
                    }
                ]
                kwargs["tool_choice"] = {"type": "function", "function": {"name": TOOL_NAME}}
            else:  # json_mode and prompt-only carry the schema in the prompt
                messages = _with_system_note(messages, schema_instruction(json_schema))
                if method == "json_mode":
                    extra_body["response_format"] = {"type": "json_object"}
        kwargs["extra_body"] = extra_body
        return messages, kwargs

    # --- the call --------------------------------------------------------------------------------

    def stream(
        self,
        messages: list[Message],
        *,
        json_schema: dict[str, Any] | None = None,
        max_tokens: int = 512,
        temperature: float = 0.3,
    ) -> Iterator[str]:
        model = self.chat_model()  # NeedsKey before anything is sent
        key = self.key()
        request_messages, kwargs = self.request(messages, json_schema, max_tokens, temperature)
        deadline = time.monotonic() + self.spec.deadline_s
        slot = _slot(self.spec)
        if not slot.acquire(timeout=self.spec.deadline_s):
            raise self._timeout(f"all {self.spec.concurrency} request slots stayed busy for {self.spec.deadline_s:g}s")
        try:
            for attempt in range(self.spec.retries + 1):
                try:
                    yield from self._attempt(model, request_messages, kwargs, deadline, key)
                    return
                except _RetryBeforeText as pending:
                    failure = pending.failure
                    wait = self._wait(failure, attempt)
                    if attempt == self.spec.retries or time.monotonic() + wait >= deadline:
                        raise failure.error from None
                    busy = isinstance(failure.error, RateLimited)
                    about = max(1, round(wait))
                    notify(
                        Notice(
                            kind="retrying",
                            message=(
                                f"服务繁忙，正在重试（第 {attempt + 1} 次，约 {about} 秒后）/ The service is busy — retrying (#{attempt + 1}) in about {about} s"
                                if busy
                                else f"模型服务暂时出错，正在重试（第 {attempt + 1} 次）/ The model service had a hiccup — retrying (#{attempt + 1})"
                            ),
                            backend_id=self.id,
                            wait_s=wait,
                            detail=failure.error.detail,
                        )
                    )
                    self.sleep(wait)
        except BackendFault as fault:
            # The admin's record of what the provider said (keys already masked); the teacher sees str(fault).
            log.warning("backend %s: %s — %s", self.id, type(fault).__name__, fault.detail)
            if not isinstance(fault, Truncated):  # a length limit is the caller's budget, not a provider fault
                incidents.record(fault)
            raise
        finally:
            slot.release()

    def _wait(self, failure: Failure, attempt: int) -> float:
        """As long as the provider asked (Retry-After), else exponential backoff; capped either way."""
        if failure.wait_s is not None:
            wait = failure.wait_s
        else:
            wait = BACKOFF_BASE_S * (2**attempt) * (1 + random.random() / 4)
        return min(wait, self.spec.max_retry_wait_s)

    def _timeout(self, detail: str) -> BackendTimeout:
        seconds = f"{self.spec.deadline_s:g}"
        return BackendTimeout(
            f"模型服务 {seconds} 秒内没有回应，已停止等待；您的请求已保存，请稍后重试。 / "
            f"The model service did not answer within {seconds} s; stopped waiting. Your request is saved — try again later.",
            detail=detail,
            backend_id=self.id,
        )

    def _attempt(
        self, model: Any, messages: list[Message], kwargs: dict[str, Any], deadline: float, key: str
    ) -> Iterator[str]:
        """One request. Before any text: raises _RetryBeforeText or a final fault; after: IncompleteStream."""
        events: queue.SimpleQueue[Any] = queue.SimpleQueue()
        stop = threading.Event()

        def produce() -> None:
            try:
                for chunk in model.stream(messages, **kwargs):
                    events.put(chunk)
                    if stop.is_set():
                        return  # leaving the loop closes the response
                events.put(_END)
            except BaseException as error:  # handed to the caller's thread, classified there
                events.put(_Raised(error))

        threading.Thread(target=produce, daemon=True, name=f"llm-{self.id}").start()
        pieces: list[str] = []
        finish: str | None = None
        try:
            while True:
                remaining = deadline - time.monotonic()
                try:
                    if remaining <= 0:
                        raise queue.Empty
                    event = events.get(timeout=remaining)
                except queue.Empty:
                    detail = f"no complete answer within the app deadline of {self.spec.deadline_s:g}s"
                    if pieces:
                        raise IncompleteStream(detail=detail, backend_id=self.id, partial="".join(pieces)) from None
                    raise self._timeout(detail) from None
                if event is _END:
                    break
                if isinstance(event, _Raised):
                    failure = classify(event.error, backend_id=self.id, key=key)
                    if pieces:  # text was handed on: no retry, and the caller gets what came
                        if isinstance(failure.error, ContentFiltered):  # moderation that stops an answer midway
                            failure.error.partial = "".join(pieces)
                            raise failure.error
                        raise IncompleteStream(detail=failure.error.detail, backend_id=self.id, partial="".join(pieces))
                    if failure.retryable:
                        raise _RetryBeforeText(failure)
                    raise failure.error
                finish = event.response_metadata.get("finish_reason") or finish
                piece = _text_of(event)
                if piece:
                    pieces.append(piece)
                    yield piece
        finally:
            stop.set()
        if finish is None and not pieces:  # an empty stream: nothing was shown, so try again
            raise _RetryBeforeText(
                Failure(ServerFailed(detail="the stream ended without any answer", backend_id=self.id), retryable=True)
            )
        fault = finish_fault(finish, backend_id=self.id, partial="".join(pieces))
        if fault is not None:
            raise fault


def _text_of(chunk: Any) -> str:
    """The text a chunk carries: content, or a forced tool call's argument pieces."""
    calls = getattr(chunk, "tool_call_chunks", None)
    if calls:
        return "".join(call.get("args") or "" for call in calls)
    content = chunk.content
    return content if isinstance(content, str) else chunk.text


def _with_system_note(messages: list[Message], note: str) -> list[Message]:
    if messages and messages[0].get("role") == "system":
        return [{**messages[0], "content": messages[0]["content"] + "\n\n" + note}, *messages[1:]]
    return [{"role": "system", "content": note}, *messages]
