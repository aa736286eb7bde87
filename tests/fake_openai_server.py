"""A loopback OpenAI-compatible chat server with per-request fault switches and a request counter.

It speaks just enough of POST /v1/chat/completions (streamed SSE, or one JSON body) for the real
HTTP path of lesson_studio.llm.openai_compatible: answers that follow the request's JSON schema
(response_format json_schema, a forced tool, or a ```json schema fenced in the prompt), and the
ordinary ways real providers fail. Tests start it in-process; by hand:

    python tests/fake_openai_server.py --port 8765 [--fault 429] [--piece-delay 0.05]

    curl -s localhost:8765/_fake/stats                                   # {"requests": 3, ...}
    curl -s -XPOST localhost:8765/_fake/faults -d '{"faults": ["429", "cut"]}'   # next two requests
    curl -s -XPOST localhost:8765/_fake/reset

Faults (each consumed by one chat request, in order; then `default` applies):
    ok, hang, 429, 500, 502, 503, 504, 401, 403, context, content_filter, filtered_400, cut, eof,
    stall (goes silent midway), length, html, malformed, qianfan_rpm (336501), qianfan_tpm (336502), qianfan_qps (18),
    qianfan_daily (17), qianfan_auth (110), qianfan_expired (111), qianfan_rpm_sse, sse_error
A fault may carry options after a colon: "429:retry_after=3", "hang:seconds=5", "cut:after=2",
"stall:after=2,seconds=10".
Like a model, it continues when asked: a last user message that says 继续 (or "continue") after an
assistant message holding the beginning of the answer it would give gets the rest of that answer.
Only ever binds 127.0.0.1; every wait is bounded and ends when the server stops.
"""

from __future__ import annotations

import argparse
import itertools
import json
import re
import socket
import sys
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

ANSWER_TEXT = "好的，我们用报纸和毛线给小熊做一顶帽子。"
PIECE_CHARS = 4  # one streamed piece; counted as one token against max_tokens
HANG_LIMIT_S = 60.0
CONTEXT_CHARS = 6000  # the fake model's context window, in characters of the messages
FAULTS = [
    "ok",
    "hang",
    "429",
    "500",
    "502",
    "503",
    "504",
    "401",
    "403",
    "context",
    "content_filter",
    "filtered_400",
    "cut",
    "eof",
    "stall",
    "length",
    "html",
    "malformed",
    "qianfan_rpm",
    "qianfan_tpm",
    "qianfan_qps",
    "qianfan_daily",
    "qianfan_auth",
    "qianfan_expired",
    "qianfan_rpm_sse",
    "sse_error",
]
QIANFAN_CODES = {
    "qianfan_rpm": (336501, "Rate limit reached for RPM"),
    "qianfan_tpm": (336502, "Rate limit reached for TPM"),
    "qianfan_qps": (18, "Open api qps request limit reached"),
    "qianfan_daily": (17, "Open api daily request limit reached"),
    "qianfan_auth": (110, "Access token invalid or no longer valid"),
    "qianfan_expired": (111, "Access token expired"),
}
HTML_PAGE = "<!DOCTYPE html><html><head><title>登录 - 校园网</title></head><body><h1>请先登录</h1></body></html>"


@dataclass
class Fault:
    kind: str = "ok"
    options: dict[str, str] = field(default_factory=dict)

    @classmethod
    def parse(cls, text: str) -> Fault:
        kind, _, rest = text.partition(":")
        if kind not in FAULTS:
            raise ValueError(f"unknown fault {kind!r}; one of: {' '.join(FAULTS)}")
        options = dict(part.split("=", 1) for part in rest.split(",") if "=" in part)
        return cls(kind, options)


@dataclass
class Received:
    """One chat request as the server saw it (tests assert on headers and the body)."""

    body: dict[str, Any]
    headers: dict[str, str]
    fault: str


_STRING_OFFSETS = itertools.count()


def instance_for(schema: dict[str, Any]) -> Any:
    """The smallest value that satisfies a JSON schema of the kind strict_schema produces."""
    if "anyOf" in schema:
        return instance_for(schema["anyOf"][0])
    if "enum" in schema:
        return schema["enum"][0]
    if "const" in schema:
        return schema["const"]
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    if kind == "object":
        return {name: instance_for(sub) for name, sub in schema.get("properties", {}).items()}
    if kind == "array":
        return [instance_for(schema.get("items", {})) for _ in range(max(1, schema.get("minItems", 1)))]
    if kind == "string":
        alternatives = re.fullmatch(r"\^\(([^()]*)\)\$", schema.get("pattern", ""))
        if alternatives:  # a pattern like ^(教师|幼儿)$: the first alternative
            return alternatives.group(1).split("|")[0]
        low, high = schema.get("minLength", 0), schema.get("maxLength", 12)
        # No character a line may not end on (的, 和, 、…): the content checks would call it cut off;
        # and each string starts elsewhere, so a list is not one sentence repeated (a defect too).
        start = next(_STRING_OFFSETS) % 5
        return ("小熊戴帽子" * 12)[start : start + max(low, min(high, 5))]
    if kind == "integer":
        return int(schema.get("minimum", 1))
    if kind == "number":
        return float(schema.get("minimum", 1))
    if kind == "boolean":
        return True
    return None


def schema_in(body: dict[str, Any]) -> tuple[dict[str, Any] | None, bool]:
    """The JSON schema the request asks for, and whether the answer goes in a tool call."""
    tools = body.get("tools") or []
    if tools:
        return tools[0]["function"].get("parameters", {}), True
    response_format = body.get("response_format") or {}
    if response_format.get("type") == "json_schema":
        return response_format["json_schema"]["schema"], False
    for message in reversed(body.get("messages", [])):
        content = message.get("content") or ""
        if isinstance(content, str):
            for fenced in reversed(re.findall(r"```json\s*(\{.*?\})\s*```", content, re.S)):
                try:
                    candidate = json.loads(fenced)
                except json.JSONDecodeError:
                    continue
                if isinstance(candidate, dict) and "properties" in candidate:
                    return candidate, False
    return None, False


def continued_from(body: dict[str, Any], answer: str) -> str:
    """The part of `answer` already written, when the request asks to continue it ("" otherwise)."""
    messages = body.get("messages", [])
    if len(messages) < 2 or messages[-1].get("role") != "user" or messages[-2].get("role") != "assistant":
        return ""
    asked = str(messages[-1].get("content") or "")
    written = str(messages[-2].get("content") or "")
    if ("继续" in asked or "continue" in asked.lower()) and written and answer.startswith(written):
        return written if len(written) < len(answer) else ""
    return ""


class FakeOpenAIServer:
    """Start with `with FakeOpenAIServer() as server:`; `server.base_url` ends in /v1."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        piece_delay: float = 0.0,
        default: str = "ok",
        context_chars: int = CONTEXT_CHARS,
    ):
        if host not in ("127.0.0.1", "localhost", "::1"):
            raise ValueError("the fake server only listens on the loopback address")
        self.piece_delay = piece_delay
        self.context_chars = context_chars  # a longer prompt gets 400 context_length_exceeded, as from a real server
        self.default = Fault.parse(default)
        self.received: list[Received] = []
        self._faults: list[Fault] = []
        self._lock = threading.Lock()
        self.stopping = threading.Event()
        self.httpd = _Server((host, port), _Handler)
        self.httpd.fake = self  # type: ignore[attr-defined]
        self._thread: threading.Thread | None = None

    # --- control ---------------------------------------------------------------------------------

    @property
    def port(self) -> int:
        return self.httpd.server_address[1]

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    @property
    def requests(self) -> int:
        """How many chat requests arrived (faulty ones included)."""
        with self._lock:
            return len(self.received)

    def fail_next(self, *faults: str) -> None:
        """The next len(faults) chat requests get these faults, in order."""
        with self._lock:
            self._faults.extend(Fault.parse(text) for text in faults)

    def reset(self) -> None:
        with self._lock:
            self._faults.clear()
            self.received.clear()

    def next_fault(self, body: dict[str, Any], headers: dict[str, str]) -> Fault:
        with self._lock:
            fault = self._faults.pop(0) if self._faults else self.default
            self.received.append(Received(body=body, headers=headers, fault=fault.kind))
            return fault

    def start(self) -> FakeOpenAIServer:
        self._thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self.stopping.set()  # releases every hanging handler
        self.httpd.shutdown()
        self.httpd.server_close()

    def __enter__(self) -> FakeOpenAIServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        if isinstance(sys.exc_info()[1], ConnectionError | TimeoutError):
            return  # a client that hung up (a deadline, a cut test): expected here, not worth a traceback
        super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "FakeOpenAI/1.0"
    disable_nagle_algorithm = True  # streamed pieces go out at once, as from a real SSE server

    @property
    def fake(self) -> FakeOpenAIServer:
        return self.server.fake  # type: ignore[attr-defined]

    def log_message(self, format: str, *args: Any) -> None:  # quiet; tests read .received instead
        pass

    # --- plumbing ----------------------------------------------------------------------------------

    def _read_json(self) -> dict[str, Any]:
        length = int(self.headers.get("content-length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            return json.loads(raw or b"{}")
        except json.JSONDecodeError:
            return {}

    def _send(
        self, status: int, body: Any, *, content_type: str = "application/json", headers: dict[str, str] | None = None
    ) -> None:
        data = body.encode() if isinstance(body, str) else json.dumps(body, ensure_ascii=False).encode()
        self.send_response(status)
        self.send_header("content-type", content_type)
        self.send_header("content-length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def _start_stream(self) -> None:
        self.send_response(200)
        self.send_header("content-type", "text/event-stream")
        self.send_header("cache-control", "no-cache")
        self.send_header("transfer-encoding", "chunked")
        self.end_headers()

    def _chunk(self, data: bytes) -> None:
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.wfile.flush()

    def _event(self, payload: Any) -> None:
        text = payload if isinstance(payload, str) else json.dumps(payload, ensure_ascii=False)
        self._chunk(f"data: {text}\n\n".encode())

    def _end_stream(self) -> None:
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()

    def _drop(self) -> None:
        """Close the socket mid-response, as a crashing proxy or a dropped connection would."""
        self.close_connection = True
        try:
            self.wfile.flush()
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    # --- routes ------------------------------------------------------------------------------------

    def do_GET(self) -> None:
        if self.path.rstrip("/").endswith("/_fake/stats"):
            self._send(200, {"requests": self.fake.requests, "faults": [r.fault for r in self.fake.received]})
        elif self.path.rstrip("/").endswith("/models"):
            self._send(200, {"object": "list", "data": [{"id": "fake-model", "object": "model", "owned_by": "fake"}]})
        else:
            self._send(404, {"error": {"message": f"no route {self.path}", "type": "invalid_request_error"}})

    def do_POST(self) -> None:
        path = self.path.rstrip("/")
        body = self._read_json()
        if path.endswith("/_fake/faults"):
            try:
                self.fake.fail_next(*body.get("faults", []))
            except ValueError as error:
                self._send(400, {"error": str(error)})
                return
            self._send(200, {"queued": body.get("faults", [])})
        elif path.endswith("/_fake/reset"):
            self.fake.reset()
            self._send(200, {"reset": True})
        elif path.endswith("/chat/completions"):
            headers = {name.lower(): value for name, value in self.headers.items()}
            self._chat(body, self.fake.next_fault(body, headers))
        else:
            self._send(404, {"error": {"message": f"no route {self.path}", "type": "invalid_request_error"}})

    def _chat(self, body: dict[str, Any], fault: Fault) -> None:
        kind, options = fault.kind, fault.options
        if kind == "hang":
            self.fake.stopping.wait(float(options.get("seconds", HANG_LIMIT_S)))
            self._drop()
            return
        if kind == "429":
            error = {
                "message": "Rate limit reached for requests",
                "type": "rate_limit_error",
                "code": "rate_limit_exceeded",
            }
            self._send(429, {"error": error}, headers={"retry-after": options.get("retry_after", "1")})
            return
        if kind in ("500", "503", "504"):
            self._send(
                int(kind),
                {"error": {"message": "The server had an error while processing your request", "type": "server_error"}},
            )
            return
        if kind == "502":
            self._send(502, "<html><body><h1>502 Bad Gateway</h1>nginx</body></html>", content_type="text/html")
            return
        if kind in ("401", "403"):
            # Real providers echo (part of) the key; the app must never pass it on.
            key = self.headers.get("authorization", "").removeprefix("Bearer ")
            message = f"Incorrect API key provided: {key}" if kind == "401" else "You are not allowed to use this model"
            self._send(
                int(kind),
                {
                    "error": {
                        "message": message,
                        "type": "invalid_request_error",
                        "code": "invalid_api_key" if kind == "401" else "permission_denied",
                    }
                },
            )
            return
        prompt_chars = sum(len(str(m.get("content") or "")) for m in body.get("messages", []))
        if kind == "context" or prompt_chars > self.fake.context_chars:
            error = {
                "message": "This model's maximum context length is 8192 tokens. However, your messages resulted in 9120 tokens.",
                "type": "invalid_request_error",
                "code": "context_length_exceeded",
            }
            self._send(400, {"error": error})
            return
        if kind == "filtered_400":
            error = {
                "message": "Input data may contain inappropriate content.",
                "type": "data_inspection_failed",
                "code": "data_inspection_failed",
            }
            self._send(400, {"error": error})
            return
        if kind in QIANFAN_CODES:
            code, message = QIANFAN_CODES[kind]
            self._send(200, {"error_code": code, "error_msg": message, "id": "as-fake"})
            return
        if kind == "html":
            self._send(200, HTML_PAGE, content_type="text/html; charset=utf-8")
            return
        self._answer(body, kind, options)

    def _answer(self, body: dict[str, Any], kind: str, options: dict[str, str]) -> None:
        schema, as_tool = schema_in(body)
        if kind == "malformed":
            text = '{"title": "没写完'
        elif schema is not None:
            text = json.dumps(instance_for(schema), ensure_ascii=False)
        else:
            last = next((m.get("content") for m in reversed(body.get("messages", [])) if m.get("role") == "user"), "")
            text = ANSWER_TEXT + (f"（收到：{str(last)[:20]}）" if last else "")
        text = text[len(continued_from(body, text)) :]
        pieces = [text[i : i + PIECE_CHARS] for i in range(0, len(text), PIECE_CHARS)] or [""]
        max_tokens = body.get("max_completion_tokens") or body.get("max_tokens")
        finish = "tool_calls" if as_tool else "stop"
        if max_tokens and len(pieces) > int(max_tokens):
            pieces, finish = pieces[: int(max_tokens)], "length"
        if kind == "length":
            pieces, finish = pieces[: max(1, len(pieces) // 2)], "length"
        if kind == "content_filter":
            pieces, finish = pieces[:1], "content_filter"
        model = body.get("model", "fake-model")
        created = int(time.time())

        def chunk(delta: dict[str, Any], finish_reason: str | None = None) -> dict[str, Any]:
            return {
                "id": "chatcmpl-fake",
                "object": "chat.completion.chunk",
                "created": created,
                "model": model,
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish_reason}],
            }

        if not body.get("stream"):
            message: dict[str, Any] = {"role": "assistant", "content": None if as_tool else "".join(pieces)}
            if as_tool:
                message["tool_calls"] = [
                    {
                        "id": "call_1",
                        "type": "function",
                        "function": {"name": body["tools"][0]["function"]["name"], "arguments": "".join(pieces)},
                    }
                ]
            self._send(
                200,
                {
                    "id": "chatcmpl-fake",
                    "object": "chat.completion",
                    "created": created,
                    "model": model,
                    "choices": [{"index": 0, "message": message, "finish_reason": finish}],
                    "usage": {"prompt_tokens": 10, "completion_tokens": len(pieces), "total_tokens": 10 + len(pieces)},
                },
            )
            return

        self._start_stream()
        if kind == "qianfan_rpm_sse":
            self._event({"error_code": 336501, "error_msg": "Rate limit reached for RPM"})
            self._end_stream()
            return
        if kind == "sse_error":
            self._event(
                {"error": {"message": "The server is overloaded", "type": "server_error", "code": "server_overloaded"}}
            )
            self._end_stream()
            return
        self._event(chunk({"role": "assistant", "content": ""}))
        cut_after = int(options.get("after", 2)) if kind in ("cut", "eof", "stall") else None
        for number, piece in enumerate(pieces):
            if cut_after is not None and number == cut_after:
                if kind == "stall":  # silent with the connection open, as an overloaded provider
                    self.fake.stopping.wait(float(options.get("seconds", HANG_LIMIT_S)))
                    self._drop()
                elif kind == "cut":
                    self._drop()  # no terminating chunk: the client sees a broken body
                else:
                    self._end_stream()  # a clean end of body without finish_reason or [DONE]
                return
            if self.fake.piece_delay and self.fake.stopping.wait(self.fake.piece_delay):
                self._drop()
                return
            if as_tool:
                call: dict[str, Any] = {"index": 0, "function": {"arguments": piece}}
                if number == 0:
                    call.update(id="call_1", type="function")
                    call["function"]["name"] = body["tools"][0]["function"]["name"]
                self._event(chunk({"tool_calls": [call]}))
            else:
                self._event(chunk({"content": piece}))
        self._event(chunk({}, finish))
        if (body.get("stream_options") or {}).get("include_usage"):
            usage = {"prompt_tokens": 10, "completion_tokens": len(pieces), "total_tokens": 10 + len(pieces)}
            self._event({**chunk({}), "choices": [], "usage": usage})
        self._event("[DONE]")
        self._end_stream()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--fault", default="ok", help="the fault for every request once the queue is empty")
    parser.add_argument("--piece-delay", type=float, default=0.0, help="seconds between streamed pieces")
    args = parser.parse_args()
    server = FakeOpenAIServer(port=args.port, piece_delay=args.piece_delay, default=args.fault)
    print(
        f"fake OpenAI-compatible server on {server.base_url} (default fault: {args.fault}); Ctrl-C stops it", flush=True
    )
    try:
        server.httpd.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        server.stopping.set()
        server.httpd.server_close()


if __name__ == "__main__":
    main()
