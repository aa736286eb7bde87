"""The embedded backend: llama.cpp in-process, no key, no server, no network.

The model is loaded once per process (`preload` does it in the background at app start) and calls
are serialised with a lock (one llama context cannot serve two generations at once). Structured
output uses llama.cpp's JSON-schema grammar; with maxLength on every string and a repeat penalty the
1.5B model stays valid (DESIGN.md). Decoding goes through `decoding.Decoder`: the grammar checked
after sampling, prompt-lookup drafts, and the KV cache kept between calls (bench/speed_profile.py).
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lesson_studio.config import Settings
from lesson_studio.errors import ContextTooLong, ModelUnavailable, Truncated
from lesson_studio.llm.base import ChatBackend, Message
from lesson_studio.llm.catalog import BackendSpec
from lesson_studio.llm.decoding import CallStats, Decoder, DraftSettings
from lesson_studio.llm.model_files import ensure_bundled_model

log = logging.getLogger(__name__)

REPEAT_PENALTY = 1.15
# Measured on 2 cores (bench/speed_profile.py): flash attention read prompts at 53 tokens/s against
# 64 without, and decoded slower too.
FLASH_ATTENTION = False
# Prompt-lookup drafts (decoding.DraftSettings), off: on 2 AVX2 cores a batch of k tokens costs
# ~0.6k single steps (2: 70 ms, 4: 110 ms, 7: 200 ms against 45 ms for one), so drafts only pay
# when most are accepted. llama-cpp-python's LlamaPromptLookupDecoding (10 tokens after a 1–2
# token match) made writing ~3x slower in a replay of a whole plan; the best setting found,
# DraftSettings(2, 6, 3), wrote 18.9 tokens/s against 18.3 without, within the noise.
DRAFTS: DraftSettings | None = None
# False: llama-cpp-python's create_chat_completion, as before decoding.Decoder (for comparisons).
USE_DECODER = True

_models: dict[str, Any] = {}
_decoders: dict[int, Decoder | None] = {}
_models_lock = threading.Lock()
# One generation at a time per process: llama.cpp contexts are not re-entrant.
_generation_lock = threading.Lock()
# The last calls' statistics (newest last), for speed estimates and the benches.
recent_calls: deque[CallStats] = deque(maxlen=64)


def _load(model_path: Path, *, n_ctx: int, n_threads: int) -> Any:
    key = f"{model_path}:{n_ctx}:{n_threads}"
    with _models_lock:
        if key not in _models:
            try:
                from llama_cpp import Llama
            except ImportError as error:  # pragma: no cover - install problem
                raise ModelUnavailable(
                    "未安装 llama-cpp-python：请运行 pip install -r requirements.txt / llama-cpp-python is not installed"
                ) from error
            if not model_path.is_file():
                raise ModelUnavailable(
                    f"找不到模型文件：{model_path}（请检查 LESSON_STUDIO_LOCAL_MODEL）/ "
                    f"Model file not found: {model_path} (check LESSON_STUDIO_LOCAL_MODEL)"
                )
            try:
                _models[key] = Llama(
                    model_path=str(model_path),
                    n_ctx=n_ctx,
                    n_threads=n_threads,
                    n_threads_batch=n_threads,
                    flash_attn=FLASH_ATTENTION,
                    verbose=False,
                )
            except Exception as error:
                raise ModelUnavailable(f"模型加载失败：{model_path.name}（{error}）/ Could not load model") from error
        return _models[key]


def _decoder(llama: Any) -> Decoder | None:
    """The llama's Decoder, made once; None for a model file without a chat template (such a
    model goes through create_chat_completion and its own chat-format guess)."""
    if id(llama) not in _decoders:
        try:
            _decoders[id(llama)] = Decoder(llama, draft=DRAFTS)
        except ValueError:
            _decoders[id(llama)] = None
    decoder = _decoders[id(llama)]
    if decoder is not None:
        decoder.draft_settings = DRAFTS
    return decoder


class LocalLlamaBackend(ChatBackend):
    id = "local"
    display_name = "内置本地模型 (Qwen2.5 1.5B, llama.cpp)"
    needs_key = False

    def __init__(self, settings: Settings, *, spec: BackendSpec | None = None):
        self.settings = settings
        self.last_call: CallStats | None = None
        if spec is not None:
            self.id, self.display_name = spec.id, spec.display_name

    def model_path(self) -> Path:
        if self.settings.local_model_path:
            return Path(self.settings.local_model_path).expanduser()
        return ensure_bundled_model(self.settings.model_cache_dir)

    def threads(self) -> int:
        return self.settings.local_threads or os.cpu_count() or 2

    def _llama(self) -> Any:
        return _load(self.model_path(), n_ctx=self.settings.local_context, n_threads=self.threads())

    def warm(self, messages: list[Message]) -> int:
        """Evaluate the prompt prefix these messages start (a system prompt) into the KV cache, so
        the next call that starts with them reads only the rest. Returns the tokens read."""
        decoder = _decoder(self._llama()) if USE_DECODER else None
        if decoder is None:
            return 0
        with _generation_lock:
            return decoder.prefill(decoder.prefix_tokens(messages))

    def stream(
        self,
        messages: list[Message],
        *,
        json_schema: dict[str, Any] | None = None,
        max_tokens: int = 512,
        temperature: float = 0.3,
    ) -> Iterator[str]:
        llama = self._llama()
        decoder = _decoder(llama) if USE_DECODER else None
        pieces: list[str] = []
        self.last_call = None
        with _generation_lock:
            try:
                if decoder is not None:
                    chunks = decoder.generate(
                        messages,
                        json_schema=json_schema,
                        max_tokens=max_tokens,
                        temperature=temperature,
                        repeat_penalty=REPEAT_PENALTY,
                    )
                else:
                    chunks = self._stream_llama_cpp(llama, messages, json_schema, max_tokens, temperature)
                try:
                    for piece in chunks:
                        pieces.append(piece)
                        yield piece
                finally:
                    if decoder is not None and decoder.last is not None:
                        self.last_call = decoder.last
                    if self.last_call is not None:
                        recent_calls.append(self.last_call)
            except ValueError as error:  # llama.cpp: "Requested tokens (n) exceed context window of m"
                if "context window" not in str(error):
                    raise
                raise ContextTooLong(detail=str(error), backend_id=self.id) from None
        if self.last_call is not None and self.last_call.finish == "length":
            # The same contract as a remote backend: the text came, then the fault.
            raise Truncated(
                detail=f"finish_reason=length at max_tokens={max_tokens}", backend_id=self.id, partial="".join(pieces)
            )

    def _stream_llama_cpp(
        self,
        llama: Any,
        messages: list[Message],
        json_schema: dict[str, Any] | None,
        max_tokens: int,
        temperature: float,
    ) -> Iterator[str]:
        """llama-cpp-python's own chat completion (a model without a chat template; comparisons)."""
        response_format = {"type": "json_object", "schema": json_schema} if json_schema else None
        stats = CallStats()
        self.last_call = stats
        started = time.perf_counter()
        for chunk in llama.create_chat_completion(
            messages=messages,
            stream=True,
            max_tokens=max_tokens,
            temperature=temperature,
            repeat_penalty=REPEAT_PENALTY,
            response_format=response_format,
        ):
            choice = chunk["choices"][0]
            stats.finish = choice.get("finish_reason") or stats.finish
            piece = choice.get("delta", {}).get("content")
            if piece:
                stats.completion_tokens += 1
                stats.prompt_s = stats.prompt_s or time.perf_counter() - started
                stats.completion_s = time.perf_counter() - started - stats.prompt_s
                yield piece


@dataclass(frozen=True)
class Speed:
    """This machine's measured speed over the recent calls (an estimate needs both numbers)."""

    prompt_tokens_per_s: float
    tokens_per_s: float
    calls: int


def measured_speed() -> Speed | None:
    """Prompt reading and writing speed over the recent embedded calls; None before the first."""
    calls = [c for c in recent_calls if c.completion_tokens and c.completion_s > 0]
    read = [c for c in calls if c.read_tokens > 0 and c.prompt_s > 0]
    if not calls:
        return None
    prompt_rate = sum(c.read_tokens for c in read) / sum(c.prompt_s for c in read) if read else 0.0
    rate = sum(c.completion_tokens for c in calls) / sum(c.completion_s for c in calls)
    return Speed(prompt_tokens_per_s=round(prompt_rate, 1), tokens_per_s=round(rate, 1), calls=len(calls))


# --- loading at app start ---------------------------------------------------------------------

_preload_lock = threading.Lock()  # guards _preloads only; never held while loading
_preloads: dict[tuple[str, int, int], threading.Thread] = {}


def uses_embedded_model(settings: Settings) -> bool:
    """Whether any task routes to the embedded model (a pinned backend counts alone)."""
    from lesson_studio.llm.catalog import load_catalog

    try:
        catalog = load_catalog(settings)
    except Exception:  # a broken backends file is reported where it is used, not here
        return False
    if settings.backend:
        spec = catalog.backends.get(settings.backend)
        return spec is not None and spec.kind == "embedded"
    ids = {backend_id for route in catalog.routes.values() for backend_id in route}
    return any(catalog.backends[i].kind == "embedded" for i in ids if i in catalog.backends)


def system_prefix() -> list[Message]:
    """What every lesson-section prompt starts with: the lesson system prompt (warmed at load; the
    same for every request)."""
    from lesson_studio.prompts import render

    return [{"role": "system", "content": render("lesson_system")}]


def preload(settings: Settings, *, warm: list[Message] | None = None) -> threading.Thread | None:
    """Join (first run) and load the embedded model in a background thread, then evaluate the
    shared system prompt (`warm`, default `system_prefix()`) into its KV cache.

    Never blocks the caller: returns the started thread, the one already running for these
    settings, or None when there is nothing to do (no task routes to the embedded model, or a
    preload for these settings has finished). A generation that starts meanwhile waits for this
    load instead of loading a second copy (the same lock guards both), and a second process joins
    nothing twice (model_files locks the cache folder). Failures are logged, not raised: the
    first generation reports them to the teacher with what to do.
    """
    if not uses_embedded_model(settings):
        return None
    backend = LocalLlamaBackend(settings)
    key = (settings.local_model_path or str(settings.model_cache_dir), settings.local_context, backend.threads())
    with _preload_lock:
        thread = _preloads.get(key)
        if thread is not None:
            return thread if thread.is_alive() else None
        thread = threading.Thread(
            target=_preload, args=(backend, warm), name="lesson-studio-model-preload", daemon=True
        )
        _preloads[key] = thread
        thread.start()
        return thread


def _preload(backend: LocalLlamaBackend, warm: list[Message] | None) -> None:
    started = time.monotonic()
    try:
        backend._llama()
        loaded = time.monotonic()
        read = backend.warm(warm if warm is not None else system_prefix())
        log.info(
            "embedded model ready: loaded in %.1f s, %d prompt tokens warmed in %.1f s",
            loaded - started,
            read,
            time.monotonic() - loaded,
        )
    except Exception:  # reported again, with the teacher's message, by the first generation
        log.warning("preloading the embedded model failed", exc_info=True)
