"""What the admin sees of the backends, and the 测试连接 check. Admins only (checked here).

A key is reported as configured or missing, with at most its last four characters; the value
itself never leaves lesson_studio.llm. The provider's own words for recent faults (a teacher was
told "请联系管理员") are here too, keys masked.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from lesson_studio import access
from lesson_studio.config import Settings
from lesson_studio.errors import BackendFault, NotFound, StudioError, Truncated
from lesson_studio.llm import incidents
from lesson_studio.llm.catalog import BackendSpec, Catalog, load_catalog, lookup_secret, masked_tail
from lesson_studio.llm.incidents import Incident
from lesson_studio.models import User

CHECK_DEADLINE_S = 30.0
CHECK_PROMPT = [{"role": "user", "content": "请只回复一个字：好"}]


@dataclass(frozen=True)
class BackendStatus:
    id: str
    name: str
    kind: str
    model: str
    base_url: str
    structured_output: str
    key_env_var: str
    key_state: str  # "configured" | "missing" | "not needed"
    key_tail: str  # "…a1b2" or "" — never more of the key
    tasks: tuple[str, ...]  # tasks that route here (first choice or fallback)
    first_choice_for: tuple[str, ...]
    recent_faults: tuple[Incident, ...] = ()  # newest first, this process only

    @property
    def ready(self) -> bool:
        return self.key_state != "missing"


@dataclass(frozen=True)
class ConnectionCheck:
    backend_id: str
    ok: bool
    seconds: float
    message: str  # plain words for the admin: latency, or what the provider said
    reply: str = ""


def require_admin(user: User) -> None:
    access.require_admin(user, "查看和测试模型后端", "view and test model backends")


@dataclass(frozen=True)
class BackendOverview:
    backends: list[BackendStatus]
    routes: dict[str, tuple[str, ...]]  # task -> backend ids, in the order they are tried
    pinned: str  # LESSON_STUDIO_BACKEND: one backend for every task, overriding the routes
    sources: tuple[str, ...]  # the config files in effect, shipped first


def overview(user: User, settings: Settings, secrets: Mapping[str, Any] | None = None) -> BackendOverview:
    """Every configured backend with its key state and the tasks routed to it. Admins only."""
    require_admin(user)
    catalog = load_catalog(settings)
    layered = _secrets(settings, secrets)
    routes = {task: (settings.backend,) for task in catalog.routes} if settings.backend else dict(catalog.routes)
    return BackendOverview(
        backends=[_status(spec, catalog, settings, layered) for spec in catalog.backends.values()],
        routes=routes,
        pinned=settings.backend,
        sources=catalog.sources,
    )


def check_connection(
    user: User, settings: Settings, backend_id: str, secrets: Mapping[str, Any] | None = None
) -> ConnectionCheck:
    """A tiny request (a few tokens, no retries, a short deadline): latency, or the provider's error."""
    require_admin(user)
    catalog = load_catalog(settings)
    if backend_id not in catalog.backends:
        raise NotFound(f"没有这个模型后端：{backend_id} / No such backend: {backend_id}")
    return _check(settings, catalog.backends[backend_id], _secrets(settings, secrets))


def check_unsaved(user: User, settings: Settings, row: dict[str, Any], key: str = "") -> ConnectionCheck:
    """测试连接 for a row and key typed on the page, before anything is saved."""
    from lesson_studio.llm.catalog import _spec

    require_admin(user)
    values = {name: value for name, value in row.items() if value not in ("", None)}
    if key and not values.get("key_env_var"):
        values["key_env_var"] = "KEY_UNDER_TEST"  # a name for the typed key only
    spec = _spec(values)
    secrets = _Layered({spec.key_env_var: key}, _secrets(settings, None)) if key else _secrets(settings, None)
    return _check(settings, spec, secrets)


def _check(settings: Settings, spec: BackendSpec, secrets: Mapping[str, Any]) -> ConnectionCheck:
    from lesson_studio.llm.registry import build_backend

    quick = dataclasses.replace(spec, retries=0, deadline_s=min(spec.deadline_s, CHECK_DEADLINE_S))
    backend = build_backend(settings, quick, secrets)
    backend_id = spec.id
    started = time.monotonic()
    reply = ""
    try:
        for piece in backend.stream(CHECK_PROMPT, max_tokens=8, temperature=0.0):
            reply += piece
    except Truncated as cut:  # a few tokens were asked for: being cut short still proves it answers
        reply = cut.partial or reply
    except StudioError as error:
        seconds = time.monotonic() - started
        return ConnectionCheck(backend_id, False, seconds, _plain(error))
    seconds = time.monotonic() - started
    return ConnectionCheck(
        backend_id, True, seconds, f"连接成功，用时 {seconds:.2f} 秒 / Connected in {seconds:.2f} s", reply=reply[:40]
    )


def _plain(error: StudioError) -> str:
    """The teacher's sentence plus the provider's own words, for the admin."""
    headline = str(error)
    detail = getattr(error, "detail", "") if isinstance(error, BackendFault) else ""
    return f"{headline}\n{detail}" if detail else headline


def _secrets(settings: Settings, secrets: Mapping[str, Any] | None) -> Mapping[str, Any]:
    from lesson_studio.llm.page_config import WithPageKeys

    return WithPageKeys(settings.secrets if secrets is None else _Layered(secrets, settings.secrets), settings)


class _Layered(Mapping[str, Any]):
    """The page's fresh st.secrets first, then what the app started with."""

    def __init__(self, *layers: Mapping[str, Any]):
        self.layers = layers

    def __getitem__(self, name: str) -> Any:
        for layer in self.layers:
            try:
                value = layer[name]
            except (KeyError, AttributeError):
                continue
            if isinstance(value, str) and value:
                return value
        raise KeyError(name)

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter({name for layer in self.layers for name in layer})

    def __len__(self) -> int:
        return len({name for layer in self.layers for name in layer})

    def __repr__(self) -> str:
        return "<secrets>"


def _status(spec: BackendSpec, catalog: Catalog, settings: Settings, secrets: Mapping[str, Any]) -> BackendStatus:
    if spec.kind == "embedded" or not spec.key_env_var:
        key_state, tail = "not needed", ""
    else:
        key = lookup_secret(spec.key_env_var, secrets)
        key_state, tail = ("configured", masked_tail(key)) if key else ("missing", "")
    if settings.backend:
        tasks = tuple(catalog.routes) if settings.backend == spec.id else ()
        first = tasks
    else:
        tasks = tuple(catalog.tasks_for(spec.id))
        first = tuple(task for task in tasks if catalog.routes[task][0] == spec.id)
    return BackendStatus(
        id=spec.id,
        name=spec.display_name,
        kind=spec.kind,
        model=spec.model or ("（内置）" if spec.kind == "embedded" else ""),
        base_url=spec.base_url,
        structured_output=spec.structured_output,
        key_env_var=spec.key_env_var,
        key_state=key_state,
        key_tail=tail,
        tasks=tasks,
        first_choice_for=first,
        recent_faults=incidents.recent(spec.id),
    )
