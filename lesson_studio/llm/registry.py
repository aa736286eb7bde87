"""Which backends exist and how to build one. The embedded model is the default.

Remote OpenAI-compatible backends (ERNIE/Qianfan, OpenAI, DeepSeek, Qwen, Ollama) come as
configuration rows in a later step; tests register their scripted fakes here.
"""

from __future__ import annotations

from collections.abc import Callable

from lesson_studio.config import Settings
from lesson_studio.errors import InvalidInput
from lesson_studio.llm.base import ChatBackend
from lesson_studio.llm.local import LocalLlamaBackend

BackendFactory = Callable[[Settings], ChatBackend]

_factories: dict[str, BackendFactory] = {"local": LocalLlamaBackend}


def register_backend(backend_id: str, factory: BackendFactory) -> None:
    _factories[backend_id] = factory


def unregister_backend(backend_id: str) -> None:
    if backend_id != "local":
        _factories.pop(backend_id, None)


def backend_ids() -> list[str]:
    return list(_factories)


def get_backend(settings: Settings, backend_id: str | None = None) -> ChatBackend:
    chosen = backend_id or settings.backend
    if chosen not in _factories:
        raise InvalidInput(
            f"未知的模型后端：{chosen}（可选：{'、'.join(_factories)}）/ Unknown backend '{chosen}'"
        )
    return _factories[chosen](settings)
