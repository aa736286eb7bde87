"""Fakes for library tests: deterministic embedding functions that need no model, and a loopback
OpenAI-compatible embeddings server for the real HTTP path."""

from __future__ import annotations

import hashlib
import json
import math
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from chromadb.api.types import Documents, EmbeddingFunction, Embeddings, Space
from chromadb.utils.embedding_functions import register_embedding_function

HASH_DIMENSIONS = 256


def hash_embedding(text: str) -> list[float]:
    """Character bigrams hashed into 256 buckets, L2-normalised: shared wording -> close vectors."""
    vector = [0.0] * HASH_DIMENSIONS
    padded = f" {text.strip()} "
    for position in range(len(padded) - 1):
        bigram = padded[position : position + 2]
        bucket = int.from_bytes(hashlib.blake2b(bigram.encode("utf-8"), digest_size=4).digest(), "little")
        vector[bucket % HASH_DIMENSIONS] += 1.0
    norm = math.sqrt(sum(value * value for value in vector)) or 1.0
    return [value / norm for value in vector]


@register_embedding_function
class HashEmbeddingFunction(EmbeddingFunction[Documents]):
    """Deterministic and instant; documents and queries are embedded the same way."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, input: Documents) -> Embeddings:
        self.calls += 1
        return [hash_embedding(text) for text in input]  # type: ignore[misc]

    def embed_query(self, input: Documents) -> Embeddings:
        return [hash_embedding(text) for text in input]  # type: ignore[misc]

    @staticmethod
    def name() -> str:
        return "lesson_studio_test_hash"

    def default_space(self) -> Space:
        return "cosine"

    def supported_spaces(self) -> list[Space]:
        return ["cosine", "ip", "l2"]

    def get_config(self) -> dict[str, Any]:
        return {}

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> HashEmbeddingFunction:
        return HashEmbeddingFunction()


class FailingEmbeddingFunction(HashEmbeddingFunction):
    """Fails when asked to embed a text containing the marker, after earlier calls succeeded."""

    def __init__(self, marker: str) -> None:
        super().__init__()
        self.marker = marker

    def __call__(self, input: Documents) -> Embeddings:
        if any(self.marker in text for text in input):
            raise RuntimeError("embedding backend crashed")
        return super().__call__(input)


class GatedEmbeddingFunction(HashEmbeddingFunction):
    """Document embedding waits until the test opens the gate: dense vectors arrive late."""

    def __init__(self) -> None:
        super().__init__()
        self.gate = threading.Event()

    def __call__(self, input: Documents) -> Embeddings:
        if not self.gate.wait(timeout=30):
            raise RuntimeError("gate never opened")
        return super().__call__(input)


class EmbeddingsServer:
    """A loopback OpenAI-compatible /v1/embeddings server answering with hash embeddings.

    Records the requests it got; `fail_next` answers that many requests with HTTP 500 first.
    """

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []
        self.fail_next = 0
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802  http.server's naming
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                server.requests.append(body)
                server.headers.append(dict(self.headers))
                if self.path != "/v1/embeddings":
                    self.send_error(404)
                    return
                if server.fail_next:
                    server.fail_next -= 1
                    self.send_response(500)
                    self.send_header("Retry-After", "0")
                    self.end_headers()
                    return
                texts = body["input"] if isinstance(body["input"], list) else [body["input"]]
                data = [
                    {"object": "embedding", "index": i, "embedding": hash_embedding(t)} for i, t in enumerate(texts)
                ]
                payload = json.dumps({"object": "list", "data": data[::-1], "model": body["model"]}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args: object) -> None:
                pass

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._httpd.server_address[1]}/v1"

    def __enter__(self) -> EmbeddingsServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
