"""The embedded backend: llama.cpp in-process, no key, no server, no network.

The model is loaded once per process and calls are serialised with a lock (one llama context
cannot serve two generations at once). Structured output uses llama.cpp's JSON-schema grammar;
with maxLength on every string and a repeat penalty the 1.5B model stays valid (DESIGN.md).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from lesson_studio.config import Settings
from lesson_studio.errors import ContextTooLong, ModelUnavailable, Truncated
from lesson_studio.llm.base import ChatBackend, Message
from lesson_studio.llm.catalog import BackendSpec
from lesson_studio.llm.model_files import ensure_bundled_model

_models: dict[str, Any] = {}
_models_lock = threading.Lock()
# One generation at a time per process: llama.cpp contexts are not re-entrant.
_generation_lock = threading.Lock()

REPEAT_PENALTY = 1.15


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
                    verbose=False,
                )
            except Exception as error:
                raise ModelUnavailable(f"模型加载失败：{model_path.name}（{error}）/ Could not load model") from error
        return _models[key]


class LocalLlamaBackend(ChatBackend):
    id = "local"
    display_name = "内置本地模型 (Qwen2.5 1.5B, llama.cpp)"
    needs_key = False

    def __init__(self, settings: Settings, *, spec: BackendSpec | None = None):
        self.settings = settings
        if spec is not None:
            self.id, self.display_name = spec.id, spec.display_name

    def model_path(self) -> Path:
        if self.settings.local_model_path:
            return Path(self.settings.local_model_path).expanduser()
        return ensure_bundled_model(self.settings.model_cache_dir)

    def _llama(self) -> Any:
        threads = self.settings.local_threads or os.cpu_count() or 2
        return _load(self.model_path(), n_ctx=self.settings.local_context, n_threads=threads)

    def stream(
        self,
        messages: list[Message],
        *,
        json_schema: dict[str, Any] | None = None,
        max_tokens: int = 512,
        temperature: float = 0.3,
    ) -> Iterator[str]:
        llama = self._llama()
        response_format = {"type": "json_object", "schema": json_schema} if json_schema else None
        pieces: list[str] = []
        finish = None
        with _generation_lock:
            try:
                chunks = llama.create_chat_completion(
                    messages=messages,
                    stream=True,
                    max_tokens=max_tokens,
                    temperature=temperature,
                    repeat_penalty=REPEAT_PENALTY,
                    response_format=response_format,
                )
                for chunk in chunks:
                    choice = chunk["choices"][0]
                    finish = choice.get("finish_reason") or finish
                    piece = choice.get("delta", {}).get("content")
                    if piece:
                        pieces.append(piece)
                        yield piece
            except ValueError as error:  # llama.cpp: "Requested tokens (n) exceed context window of m"
                if "context window" not in str(error):
                    raise
                raise ContextTooLong(detail=str(error), backend_id=self.id) from None
        if finish == "length":  # the same contract as a remote backend: the text came, then the fault
            raise Truncated(
                detail=f"finish_reason=length at max_tokens={max_tokens}", backend_id=self.id, partial="".join(pieces)
            )
