"""Which backends exist and how to build one.

Backends are rows in resources/backends.toml (merged with the admin's LESSON_STUDIO_BACKENDS_FILE);
"task:<name>" ids follow that file's [routes] for the task. Settings.backend, when set, pins every
task to one backend (LESSON_STUDIO_BACKEND, the CLI's --backend, tests). Tests register scripted
fakes here; a registered id wins over a row of the same id.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from lesson_studio.config import Settings
from lesson_studio.errors import InvalidInput
from lesson_studio.llm.base import ChatBackend
from lesson_studio.llm.catalog import BackendSpec, load_catalog
from lesson_studio.llm.local import LocalLlamaBackend
from lesson_studio.llm.routing import RoutedBackend

BackendFactory = Callable[[Settings], ChatBackend]
TASK_PREFIX = "task:"

_factories: dict[str, BackendFactory] = {}


def task_backend_id(task: str) -> str:
    """The backend id that follows the configured route for a task: "task:generate"."""
    return TASK_PREFIX + task


def route_ids(settings: Settings, backend_id: str | None = None) -> tuple[str, ...]:
    """The concrete backend ids a call with this id tries, in order: a task's route, the pinned
    backend, or the id itself. The job layer can key its queues on the first one, so two tasks
    routed to the same model share one queue."""
    chosen = backend_id or settings.backend or task_backend_id("generate")
    if not chosen.startswith(TASK_PREFIX):
        return (chosen,)
    if settings.backend:
        return (settings.backend,)
    return load_catalog(settings).route(chosen.removeprefix(TASK_PREFIX))


def register_backend(backend_id: str, factory: BackendFactory) -> None:
    _factories[backend_id] = factory


def unregister_backend(backend_id: str) -> None:
    _factories.pop(backend_id, None)


def backend_ids(settings: Settings | None = None) -> list[str]:
    """Registered fakes, then the configured rows."""
    rows = list(load_catalog(settings or Settings()).backends)
    return [*_factories, *(row for row in rows if row not in _factories)]


def build_backend(settings: Settings, spec: BackendSpec, secrets: Mapping[str, Any] | None = None) -> ChatBackend:
    """One backend from its row; keys are looked up in the environment, then in `secrets`."""
    if spec.kind == "embedded":
        return LocalLlamaBackend(settings, spec=spec)
    from lesson_studio.llm.openai_compatible import OpenAICompatibleBackend  # the SDKs load on first use
    from lesson_studio.llm.page_config import WithPageKeys

    # The environment and secrets.toml first (OpenAICompatibleBackend asks os.environ itself), then
    # a key the admin typed on the 模型后端 page.
    return OpenAICompatibleBackend(spec, WithPageKeys(secrets if secrets is not None else settings.secrets, settings))


def get_backend(settings: Settings, backend_id: str | None = None) -> ChatBackend:
    chosen = backend_id or settings.backend or task_backend_id("generate")
    if chosen.startswith(TASK_PREFIX):
        if settings.backend:  # pinned: every task uses it
            return get_backend(settings, settings.backend)
        catalog = load_catalog(settings)
        task = chosen.removeprefix(TASK_PREFIX)
        backends = [get_backend(settings, row) for row in catalog.route(task)]
        return backends[0] if len(backends) == 1 else RoutedBackend(task, backends)
    if chosen in _factories:
        return _factories[chosen](settings)
    catalog = load_catalog(settings)
    if chosen not in catalog.backends:
        known = [*_factories, *catalog.backends]
        raise InvalidInput(f"未知的模型后端：{chosen}（可选：{'、'.join(known)}）/ Unknown backend '{chosen}'")
    return build_backend(settings, catalog.backends[chosen])
