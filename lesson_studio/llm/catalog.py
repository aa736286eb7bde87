"""Backends as configuration rows, and which backends each task routes to.

resources/backends.toml ships the rows (the embedded model, ERNIE via Qianfan v2, OpenAI, DeepSeek,
Qwen/DashScope, Ollama) and the routes; an admin's own file (LESSON_STUDIO_BACKENDS_FILE) is merged
over it: a row with a known id changes only the fields it names, a new id adds a backend, and a
route it names replaces the shipped one. Keys are never in these files, only the names of the
environment variables (or .streamlit/secrets.toml entries) that hold them.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from lesson_studio.config import RESOURCES_DIR, Settings
from lesson_studio.errors import InvalidInput

SHIPPED_FILE = RESOURCES_DIR / "backends.toml"
TASKS = ("generate", "refine", "rubric_fix", "parse")
KINDS = ("openai_compatible", "embedded")
STRUCTURED_OUTPUT = ("json_schema", "function_calling", "json_mode", "prompt-only")
MAX_TOKENS_FIELDS = ("max_tokens", "max_completion_tokens")


@dataclass(frozen=True)
class BackendSpec:
    """One row of the backends file."""

    id: str
    name: str = ""
    kind: str = "openai_compatible"
    model: str = ""
    base_url: str = ""
    key_env_var: str = ""  # empty: the server needs no key (a local Ollama)
    structured_output: str = "json_schema"
    timeout_s: float = 30.0  # the HTTP client's limit on connecting and on any silence while reading
    deadline_s: float = 180.0  # the app's own limit on one call, retries and waits included
    retries: int = 2  # extra attempts after a rate limit or a server error, before any text arrived
    max_retry_wait_s: float = 20.0  # cap on one wait, whatever Retry-After asks for
    concurrency: int = 4  # requests in flight to this backend from this process
    max_tokens_field: str = "max_tokens"  # OpenAI itself wants max_completion_tokens
    headers_from_env: tuple[tuple[str, str], ...] = field(default=())  # (header, env var), e.g. Qianfan's appid

    @property
    def display_name(self) -> str:
        return self.name or self.id


@dataclass(frozen=True)
class Catalog:
    backends: dict[str, BackendSpec]
    routes: dict[str, tuple[str, ...]]
    sources: tuple[str, ...] = ()

    def route(self, task: str) -> tuple[str, ...]:
        if task not in self.routes:
            raise InvalidInput(f"未知的任务：{task}（可选：{'、'.join(TASKS)}）/ Unknown task '{task}'")
        return self.routes[task]

    def tasks_for(self, backend_id: str) -> list[str]:
        """Tasks that route to this backend, in TASKS order."""
        return [task for task in TASKS if backend_id in self.routes.get(task, ())]


def lookup_secret(name: str, secrets: Mapping[str, Any] | None = None) -> str:
    """A key by its variable name: the environment first, then the secrets mapping (secrets.toml)."""
    if not name:
        return ""
    value: Any = os.environ.get(name)
    if not value and secrets is not None:
        try:
            value = secrets.get(name)
        except Exception:  # st.secrets raises on first use when there is no secrets.toml at all
            value = None
    return value.strip() if isinstance(value, str) else ""


def masked_tail(key: str) -> str:
    """What the admin may see of a key: its last four characters, for keys long enough to spare them."""
    return f"…{key[-4:]}" if len(key) >= 12 else "…"


def load_catalog(settings: Settings) -> Catalog:
    """The shipped rows and routes, with the admin's file merged over them; checked before use."""
    files = [SHIPPED_FILE]
    if settings.backends_file:
        override = Path(settings.backends_file).expanduser()
        if not override.is_file():
            raise InvalidInput(
                f"找不到模型后端配置文件：{override}（LESSON_STUDIO_BACKENDS_FILE）/ Backends file not found: {override}"
            )
        files.append(override)
    rows: dict[str, dict[str, Any]] = {}
    routes: dict[str, tuple[str, ...]] = {}
    layers: list[tuple[str, dict[str, Any]]] = [(path.name, _read(path)) for path in files]
    page_rows, page_routes = _page_layer(settings)
    if page_rows or page_routes:  # the 模型后端 page: over the shipped rows, under the admin's file
        layers.insert(1, ("模型后端页面", {"backend": page_rows, "routes": dict(page_routes)}))
    for source, data in layers:
        path = Path(source)
        for row in data.get("backend", []):
            if not isinstance(row, dict) or not isinstance(row.get("id"), str) or not row["id"]:
                raise InvalidInput(f"{path.name}：每个 [[backend]] 都要有 id / every [[backend]] needs an id")
            rows.setdefault(row["id"], {}).update(row)
        for task, ids in (data.get("routes") or {}).items():
            if isinstance(ids, str):
                ids = [ids]
            routes[task] = tuple(ids)
    backends = {backend_id: _spec(row) for backend_id, row in rows.items()}
    for task, ids in routes.items():
        if task not in TASKS:
            raise InvalidInput(
                f"[routes] 中的未知任务：{task}（可选：{'、'.join(TASKS)}）/ Unknown task in [routes]: {task}"
            )
        unknown = [backend_id for backend_id in ids if backend_id not in backends]
        if unknown or not ids:
            raise InvalidInput(
                f"[routes] {task} 指向未知的后端：{'、'.join(unknown) or '（空）'} / Route '{task}' names unknown backends: {unknown}"
            )
    for task in TASKS:  # a task nobody routed goes to the first route given, else the first row
        routes.setdefault(task, routes.get("generate") or (next(iter(backends)),))
    sources = [str(path) for path in files]
    if page_rows or page_routes:
        sources.insert(1, "模型后端页面 / the 模型后端 page")
    return Catalog(backends=backends, routes=routes, sources=tuple(sources))


def _page_layer(settings: Settings) -> tuple[list[dict[str, Any]], dict[str, tuple[str, ...]]]:
    from lesson_studio.llm.page_config import page_layer

    return page_layer(settings)


def _read(path: Path) -> dict[str, Any]:
    try:
        with open(path, "rb") as handle:
            return tomllib.load(handle)
    except tomllib.TOMLDecodeError as error:
        raise InvalidInput(
            f"模型后端配置文件格式有误：{path}（{error}）/ Backends file is not valid TOML: {path}"
        ) from error


def _spec(row: dict[str, Any]) -> BackendSpec:
    backend_id = row["id"]
    known = {f.name for f in fields(BackendSpec)}
    unknown = sorted(set(row) - known)
    if unknown:
        raise InvalidInput(
            f"后端 {backend_id} 有未知字段：{', '.join(unknown)} / Backend '{backend_id}' has unknown fields: {unknown}"
        )
    values = dict(row)
    headers = values.get("headers_from_env", {})
    if not isinstance(headers, dict) or not all(isinstance(v, str) for v in headers.values()):
        raise InvalidInput(
            f'后端 {backend_id} 的 headers_from_env 应是 header = "环境变量名" / headers_from_env must map header -> env var'
        )
    values["headers_from_env"] = tuple(sorted(headers.items()))
    if values.get("structured_output") == "prompt_only":
        values["structured_output"] = "prompt-only"
    try:
        for name in ("timeout_s", "deadline_s", "max_retry_wait_s"):
            if name in values:
                values[name] = float(values[name])
        for name in ("retries", "concurrency"):
            if name in values:
                values[name] = int(values[name])
        spec = BackendSpec(**values)
    except (TypeError, ValueError) as error:
        raise InvalidInput(
            f"后端 {backend_id} 的配置有误：{error} / Backend '{backend_id}' is misconfigured: {error}"
        ) from error
    _check(spec)
    return spec


def _check(spec: BackendSpec) -> None:
    def fail(zh: str, en: str) -> None:
        raise InvalidInput(f"后端 {spec.id}：{zh} / Backend '{spec.id}': {en}")

    if spec.kind not in KINDS:
        fail(f"kind 应是 {' 或 '.join(KINDS)}", f"kind must be one of {KINDS}")
    if spec.kind == "openai_compatible":
        parsed = urlparse(spec.base_url)
        if parsed.scheme not in ("http", "https") or not parsed.netloc:
            fail(
                f"base_url 必须以 http:// 或 https:// 开头（现在是“{spec.base_url}”）",
                "base_url must be an http(s) URL",
            )
        if not spec.model:
            fail("需要填写 model（模型名称）", "model is required")
    if spec.structured_output not in STRUCTURED_OUTPUT:
        fail(
            f"structured_output 应是 {'、'.join(STRUCTURED_OUTPUT)} 之一",
            f"structured_output must be one of {STRUCTURED_OUTPUT}",
        )
    if spec.max_tokens_field not in MAX_TOKENS_FIELDS:
        fail(
            f"max_tokens_field 应是 {'、'.join(MAX_TOKENS_FIELDS)} 之一",
            f"max_tokens_field must be one of {MAX_TOKENS_FIELDS}",
        )
    if spec.timeout_s <= 0 or spec.deadline_s <= 0 or spec.max_retry_wait_s < 0:
        fail("timeout_s、deadline_s 必须大于 0", "timeout_s and deadline_s must be positive")
    if spec.retries < 0 or spec.retries > 10 or spec.concurrency < 1:
        fail("retries 应在 0–10 之间，concurrency 至少为 1", "retries must be 0-10 and concurrency at least 1")
