"""How an OpenAI-compatible provider fails, in the app's terms.

Every provider error becomes one StudioError subclass (errors.py) plus whether retrying can help
and how long the provider asked us to wait. Some faults arrive as HTTP 200: Qianfan puts its codes
in a JSON body ({"error_code": 336501, ...}), a captive portal or a wrong base_url answers with an
HTML page. A response hook on the HTTP client sees those bodies before the SDK does.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC
from email.utils import parsedate_to_datetime
from typing import Any

import httpx2
import openai

from lesson_studio.errors import (
    AuthFailed,
    BackendFault,
    BackendRejected,
    BackendTimeout,
    BackendUnreachable,
    ContentFiltered,
    ContextTooLong,
    IncompleteStream,
    QuotaSpent,
    RateLimited,
    ServerFailed,
    Truncated,
    UnexpectedResponse,
)

# Qianfan's error_code values (v1 codes, which its gateway still returns in 200 bodies).
QIANFAN_RATE_LIMIT = {4, 17, 18, 19, 336501, 336502}
QIANFAN_QUOTA_SPENT = {17, 19}  # daily / total quota: waiting a few seconds cannot help
QIANFAN_AUTH = {6, 13, 14, 110, 111, 336004}
QIANFAN_SERVER = {1, 2, 336000, 336100}
QIANFAN_CONTEXT = {336007, 336103}

CONTEXT_WORDS = re.compile(
    r"context[_ ]length|maximum context|context window|prompt is too long|too many tokens|tokens? exceed"
    r"|input length|range of input length|too long|超过.*长度|长度.*超|过长|超长",
    re.I,
)
FILTER_WORDS = re.compile(
    r"content[_ ]?filter|content[_ ]policy|data_inspection_failed|inappropriate|sensitive|moderation|safety"
    r"|敏感|违规|审核|不安全",
    re.I,
)
TRUNCATED_REASONS = {"length", "max_tokens", "model_length"}
FILTERED_REASONS = {"content_filter", "content_filtered", "sensitive"}
BROKEN_REASONS = {"insufficient_system_resource"}  # DeepSeek: the server gave up mid-answer
SECRET_SHAPES = re.compile(r"(sk-[\w-]{6,}|bce-v3/[\w/-]{6,}|ALTAK[\w-]{6,}|Bearer\s+[\w./-]{6,})")


@dataclass
class Failure:
    """A classified provider fault: the error to raise, and whether (and when) to try again."""

    error: BackendFault
    retryable: bool = False
    wait_s: float | None = None


class InBandError(openai.OpenAIError):
    """A fault found in a 200 response body. Subclassing OpenAIError lets it pass the SDK unwrapped."""

    def __init__(self, kind: str, body: Any, status: int = 200):
        super().__init__(f"{kind} in an HTTP {status} body")
        self.kind = kind  # "error_code" | "error" | "html" | "unexpected"
        self.body = body
        self.status = status


def mask(text: str, *secrets: str) -> str:
    """Provider detail with every key-like string removed (providers echo keys in 401 messages)."""
    for secret in secrets:
        if secret and len(secret) >= 4:
            text = text.replace(secret, "****")
    return SECRET_SHAPES.sub("****", text)


def retry_after_seconds(headers: Any) -> float | None:
    if headers is None:
        return None
    value = headers.get("retry-after-ms")
    if value:
        try:
            return max(0.0, float(value) / 1000)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        try:
            from datetime import datetime

            return max(0.0, (parsedate_to_datetime(value) - datetime.now(UTC)).total_seconds())
        except (TypeError, ValueError):
            return None


def classify(error: BaseException, *, backend_id: str, key: str = "") -> Failure:
    """Map any exception from the provider call to a Failure (unknown ones become ServerFailed)."""

    def fault(cls: type[BackendFault], detail: str, message: str = "") -> BackendFault:
        return cls(message, detail=mask(detail, key)[:500], backend_id=backend_id)

    chain = _chain(error)
    for item in chain:
        if isinstance(item, InBandError):
            return _in_band(item, fault)
        if isinstance(item, openai.APIStatusError):
            return _status(item, fault)
        if isinstance(item, openai.APITimeoutError):
            return Failure(fault(BackendTimeout, f"no data within the HTTP timeout ({type(item.__cause__).__name__})"))
    for item in chain:
        if isinstance(item, httpx2.ConnectError | ConnectionRefusedError):
            return Failure(fault(BackendUnreachable, f"cannot connect: {_first_line(item)}"))
        if isinstance(item, httpx2.ConnectTimeout):
            return Failure(fault(BackendUnreachable, f"connect timed out: {_first_line(item)}"))
        if isinstance(item, httpx2.TimeoutException):
            return Failure(fault(BackendTimeout, f"timed out: {_first_line(item)}"))
        if isinstance(item, httpx2.UnsupportedProtocol | httpx2.InvalidURL):
            return Failure(fault(BackendRejected, f"bad address: {_first_line(item)}"))
    for item in chain:
        if isinstance(item, httpx2.TransportError):  # dropped before any text: try again
            return Failure(fault(ServerFailed, f"connection dropped: {_first_line(item)}"), retryable=True)
        if isinstance(item, openai.APIError) and not isinstance(item, openai.APIConnectionError):
            # an {"error": ...} event inside the stream
            return _body(item.body if item.body is not None else {"message": item.message}, fault, status=None)
    if any(isinstance(item, openai.APIConnectionError) for item in chain):
        return Failure(fault(ServerFailed, f"connection error: {_first_line(error)}"), retryable=True)
    return Failure(fault(ServerFailed, f"{type(error).__name__}: {_first_line(error)}"))


def finish_fault(reason: str | None, *, backend_id: str, partial: str) -> BackendFault | None:
    """The fault a stream's finish_reason stands for, if any (None: it ended normally)."""
    if reason is None:
        return IncompleteStream(
            detail="the stream ended without a finish_reason", backend_id=backend_id, partial=partial
        )
    if reason in TRUNCATED_REASONS:
        return Truncated(detail=f"finish_reason={reason}", backend_id=backend_id, partial=partial)
    if reason in FILTERED_REASONS:
        return ContentFiltered(detail=f"finish_reason={reason}", backend_id=backend_id, partial=partial)
    if reason in BROKEN_REASONS:
        return IncompleteStream(detail=f"finish_reason={reason}", backend_id=backend_id, partial=partial)
    return None


# --- the pieces of classify -----------------------------------------------------------------------


def _chain(error: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    item: BaseException | None = error
    while item is not None and item not in seen:
        seen.append(item)
        item = item.__cause__ or item.__context__
    return seen


def _first_line(error: BaseException) -> str:
    return (str(error).strip().splitlines() or [type(error).__name__])[0][:200]


def _status(error: openai.APIStatusError, fault: Any) -> Failure:
    status = error.status_code
    body = error.body if error.body is not None else {"message": error.message}
    text = _describe(body, status)
    if status in (401, 403):
        return Failure(fault(AuthFailed, text))
    if status == 429:
        if "insufficient_quota" in text:  # OpenAI: the account is out of credit, not busy
            return Failure(fault(QuotaSpent, text))
        return Failure(fault(RateLimited, text), retryable=True, wait_s=retry_after_seconds(error.response.headers))
    if status in (408, 409) or status >= 500:
        return Failure(fault(ServerFailed, text), retryable=True, wait_s=retry_after_seconds(error.response.headers))
    return _body(body, fault, status=status)


def _body(body: Any, fault: Any, *, status: int | None) -> Failure:
    """A 4xx body or an in-stream error event: context, content filter, rate limit, or a rejection."""
    text = _describe(body, status)
    if CONTEXT_WORDS.search(text):
        return Failure(fault(ContextTooLong, text))
    if FILTER_WORDS.search(text):
        return Failure(fault(ContentFiltered, text))
    if re.search(r"rate[_ ]?limit|too many requests|overloaded|busy|繁忙", text, re.I):
        return Failure(fault(RateLimited, text), retryable=True)
    if status is None:  # an error event in an otherwise healthy stream: a server-side failure
        return Failure(fault(ServerFailed, text), retryable=True)
    if re.search(r"invalid[_ ]api[_ ]key|unauthori[sz]ed|authentication|permission|access token", text, re.I):
        return Failure(fault(AuthFailed, text))
    return Failure(fault(BackendRejected, text))


def _in_band(error: InBandError, fault: Any) -> Failure:
    body = error.body
    if error.kind == "html":
        return Failure(fault(UnexpectedResponse, f"HTTP {error.status} with an HTML page: {_html_title(body)}"))
    if error.kind == "error_code":
        code = body.get("error_code")
        text = f"Qianfan error_code {code}: {body.get('error_msg', '')}"
        if code in QIANFAN_QUOTA_SPENT:
            return Failure(fault(QuotaSpent, text))
        if code in QIANFAN_RATE_LIMIT:
            return Failure(fault(RateLimited, text), retryable=True)
        if code in QIANFAN_AUTH:
            return Failure(fault(AuthFailed, text))
        if code in QIANFAN_SERVER:
            return Failure(fault(ServerFailed, text), retryable=True)
        if code in QIANFAN_CONTEXT:
            return Failure(fault(ContextTooLong, text))
        return _body({"message": text}, fault, status=error.status)
    if error.kind == "error":
        return _body(body, fault, status=None)
    return Failure(fault(UnexpectedResponse, f"HTTP {error.status} that is not a model answer: {str(body)[:200]}"))


def _describe(body: Any, status: int | None) -> str:
    prefix = f"HTTP {status}" if status else "stream error"
    if isinstance(body, dict):
        inner = body.get("error") if isinstance(body.get("error"), dict) else body
        parts = [
            str(inner.get(name)) for name in ("code", "type", "message", "error_code", "error_msg") if inner.get(name)
        ]
        return f"{prefix}: " + " · ".join(parts) if parts else f"{prefix}: {json.dumps(body, ensure_ascii=False)[:300]}"
    text = str(body)
    if "<html" in text.lower():
        return f"{prefix}: HTML page {_html_title(text)}"
    return f"{prefix}: {text[:300]}"


def _html_title(text: Any) -> str:
    found = re.search(r"<title>(.*?)</title>", str(text), re.I | re.S) or re.search(
        r"<h1>(.*?)</h1>", str(text), re.I | re.S
    )
    return f"“{found.group(1).strip()[:80]}”" if found else "(no title)"


# --- the response hook that reads 200 bodies before the SDK does -------------------------------------


def sniff_response(response: httpx2.Response) -> None:
    """An httpx response hook: raise InBandError for a chat response that is 200 but not an answer.

    A streamed request must come back as text/event-stream; a JSON body (Qianfan's error_code) or an
    HTML page instead is read whole and raised. Inside an event stream, a `data:` line holding an
    error_code (Qianfan) is raised too; {"error": ...} events the SDK already raises itself. A hook,
    not a transport, so it also sees responses that came through a proxy from the environment.
    """
    request = response.request
    if request.method != "POST" or not request.url.path.endswith("/chat/completions") or response.status_code != 200:
        return
    if "text/event-stream" in response.headers.get("content-type", ""):
        response.stream = _SniffedStream(response.stream)  # type: ignore[arg-type]
    elif _asked_to_stream(request):
        raise _read_in_band(response)


def _asked_to_stream(request: httpx2.Request) -> bool:
    try:
        return bool(json.loads(request.content or b"{}").get("stream"))
    except (json.JSONDecodeError, AttributeError, httpx2.RequestNotRead):
        return False


def _read_in_band(response: httpx2.Response) -> InBandError:
    try:
        raw = response.read()[:65536]
    finally:
        response.close()
    text = raw.decode("utf-8", errors="replace")
    stripped = text.lstrip()
    if stripped.startswith("<") or "html" in response.headers.get("content-type", ""):
        return InBandError("html", text, response.status_code)
    try:
        body = json.loads(text)
    except json.JSONDecodeError:
        return InBandError("unexpected", text, response.status_code)
    if isinstance(body, dict) and "error_code" in body:
        return InBandError("error_code", body, response.status_code)
    if isinstance(body, dict) and body.get("error"):
        return InBandError("error", body, response.status_code)
    return InBandError("unexpected", text, response.status_code)


class _SniffedStream(httpx2.SyncByteStream):
    """Passes the event stream through; raises on a `data:` line that carries a Qianfan error_code."""

    def __init__(self, inner: Any):
        self.inner = inner

    def __iter__(self):  # type: ignore[no-untyped-def]
        pending = b""  # the unfinished last line
        for chunk in self.inner:
            data = pending + chunk
            if b"error_code" in data:
                *lines, pending = data.split(b"\n")
                for line in lines:
                    _raise_for_error_line(line)
            else:
                pending = data[data.rfind(b"\n") + 1 :][-4096:]
            yield chunk
        _raise_for_error_line(pending)

    def close(self) -> None:
        close = getattr(self.inner, "close", None)
        if close:
            close()


def _raise_for_error_line(line: bytes) -> None:
    if not line.startswith(b"data:") or b"error_code" not in line:
        return
    try:
        body = json.loads(line[5:].strip())
    except json.JSONDecodeError:
        return
    if isinstance(body, dict) and body.get("error_code"):
        raise InBandError("error_code", body)
