"""Backends an admin configures on the 模型后端 page: rows, routes and keys, kept in the database so
every app replica sees them.

Layers, later ones winning: the shipped resources/backends.toml, then what the page saved, then the
admin's own file (LESSON_STUDIO_BACKENDS_FILE). For a key: the environment, then
.streamlit/secrets.toml, then the page. Keys typed on the page are stored encrypted with Fernet
(the `cryptography` package); the Fernet key is never in the database: it is the
LESSON_STUDIO_KEYS_SECRET secret (give every replica the same one), or else a file only the app's
user can read (0600) in the data folder, made on first use. A key is never sent back to a page:
only its last four characters and where it comes from.
"""

from __future__ import annotations

import base64
import json
import os
import threading
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from sqlalchemy import create_engine, delete, insert, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError, ProgrammingError
from sqlalchemy.pool import NullPool

from lesson_studio import access
from lesson_studio.config import Settings
from lesson_studio.errors import InvalidInput
from lesson_studio.models import User

KEY_SECRET_NAME = "LESSON_STUDIO_KEYS_SECRET"
KEY_FILE_NAME = "backend-keys.secret"
# The fields a page row may set (kind is always openai_compatible: the embedded model is shipped).
PAGE_FIELDS = (
    "id", "name", "model", "base_url", "key_env_var", "structured_output", "timeout_s", "deadline_s", "retries",
    "max_retry_wait_s", "concurrency", "max_tokens_field",
)
_engines: dict[str, Engine] = {}
_lock = threading.Lock()


def _engine(settings: Settings) -> Engine:
    """A reader per database that holds no connection open (load_catalog runs often, in every
    process, on many data folders in the tests)."""
    with _lock:
        if settings.db_url not in _engines:
            _engines[settings.db_url] = create_engine(settings.db_url, poolclass=NullPool)
        return _engines[settings.db_url]


def _read(settings: Settings, name: str) -> str | None:
    from lesson_studio.store import backend_settings

    if settings.db_url.startswith("sqlite:///") and not Path(settings.db_url.removeprefix("sqlite:///")).exists():
        return None  # no database yet: nothing was saved on the page
    try:
        with _engine(settings).connect() as conn:
            return conn.execute(select(backend_settings.c.value).where(backend_settings.c.name == name)).scalar()
    except (OperationalError, ProgrammingError):  # a database the app has not migrated yet
        return None


def _write(settings: Settings, user: User, values: dict[str, str | None]) -> None:
    from lesson_studio.store import Store, backend_settings

    store = Store(settings.db_url)
    now = datetime.now(UTC)
    try:
        with store._write() as conn:
            for name, value in values.items():
                conn.execute(delete(backend_settings).where(backend_settings.c.name == name))
                if value is not None:
                    conn.execute(insert(backend_settings).values(name=name, value=value, updated_by=user.id, updated_at=now))
            store._audit(conn, user, "backend_config", ",".join(sorted(name.split(":")[0] for name in values)))
    finally:
        store.engine.dispose()


def page_layer(settings: Settings) -> tuple[list[dict[str, Any]], dict[str, tuple[str, ...]]]:
    """(rows, routes) the page saved, for load_catalog; nothing when it saved none."""
    rows = json.loads(_read(settings, "rows") or "[]")
    routes = {task: tuple(ids) for task, ids in json.loads(_read(settings, "routes") or "{}").items()}
    return rows, routes


def save_backend(user: User, settings: Settings, row: dict[str, Any], key: str = "") -> dict[str, Any]:
    """Add or change a backend row (and its key). The row is checked like a file's row; a key needs a
    variable name, so a row without one gets LESSON_STUDIO_KEY_<ID>. Admins only."""
    from lesson_studio.llm.catalog import _spec, load_catalog

    _require_admin(user)
    row = {name: value for name, value in row.items() if name in PAGE_FIELDS and value not in ("", None)}
    if not row.get("id"):
        raise InvalidInput("请填写后端的 id / The backend needs an id")
    if key and not row.get("key_env_var"):
        row["key_env_var"] = "LESSON_STUDIO_KEY_" + "".join(ch if ch.isalnum() else "_" for ch in row["id"]).upper()
    shipped = load_catalog(settings).backends.get(row["id"])
    base = {"id": row["id"]} if shipped is None else {"id": row["id"], "base_url": shipped.base_url, "model": shipped.model}
    _spec({**base, **row})  # the same checks as a backends file: an unknown value is refused with its field
    rows = [existing for existing in page_layer(settings)[0] if existing.get("id") != row["id"]] + [row]
    values: dict[str, str | None] = {"rows": json.dumps(rows, ensure_ascii=False)}
    if key:
        values[f"key:{row['key_env_var']}"] = _fernet(settings).encrypt(key.strip().encode()).decode()
    _write(settings, user, values)
    return row


def remove_backend(user: User, settings: Settings, backend_id: str) -> None:
    _require_admin(user)
    rows, routes = page_layer(settings)
    if any(backend_id in ids for ids in routes.values()):
        raise InvalidInput(f"还有任务路由到 {backend_id}，请先改路由 / Tasks still route to {backend_id}; change the routes first")
    _write(settings, user, {"rows": json.dumps([r for r in rows if r.get("id") != backend_id], ensure_ascii=False)})


def save_routes(user: User, settings: Settings, routes: dict[str, list[str]]) -> None:
    """The backends each task tries, in order (the page's layer; an admin's file still wins)."""
    from lesson_studio.llm.catalog import TASKS, load_catalog

    _require_admin(user)
    known = load_catalog(settings).backends
    for task, ids in routes.items():
        if task not in TASKS:
            raise InvalidInput(f"未知的任务：{task} / Unknown task {task}")
        if not ids or any(backend_id not in known for backend_id in ids):
            raise InvalidInput(f"任务 {task} 的路由至少要有一个已配置的后端 / Route '{task}' needs configured backends")
    _write(settings, user, {"routes": json.dumps({task: list(ids) for task, ids in routes.items()}, ensure_ascii=False)})


def key_source(settings: Settings, name: str, secrets: Mapping[str, Any] | None = None) -> str:
    """Where the key in effect comes from: environment | secrets.toml | page | unreadable | missing."""
    if not name:
        return "missing"
    if os.environ.get(name, "").strip():
        return "environment"
    if secrets is not None:
        try:
            value = secrets.get(name)
        except Exception:  # st.secrets raises when there is no secrets file
            value = None
        if isinstance(value, str) and value.strip():
            return "secrets.toml"
    token = _read(settings, f"key:{name}")
    if token is None:
        return "missing"
    try:
        _fernet(settings).decrypt(token.encode())
    except InvalidToken:
        return "unreadable"
    return "page"


class PageKeys(Mapping[str, str]):
    """The keys saved on the page, decrypted when asked for one (a Mapping, like st.secrets)."""

    def __init__(self, settings: Settings):
        self.settings = settings

    def __getitem__(self, name: str) -> str:
        token = _read(self.settings, f"key:{name}")
        if token is None:
            raise KeyError(name)
        try:
            return _fernet(self.settings).decrypt(token.encode()).decode()
        except InvalidToken:  # saved under another machine's key file: treated as missing
            raise KeyError(name) from None

    def __iter__(self) -> Iterator[str]:
        from lesson_studio.store import backend_settings

        try:
            with _engine(self.settings).connect() as conn:
                names = list(conn.execute(select(backend_settings.c.name).where(backend_settings.c.name.like("key:%"))).scalars())
        except (OperationalError, ProgrammingError):
            names = []
        return iter([name.removeprefix("key:") for name in names])

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def __repr__(self) -> str:
        return "<page keys>"


class WithPageKeys(Mapping[str, Any]):
    """Secrets as the backends read them: the given mapping (environment, secrets.toml) first, then
    the page's keys."""

    def __init__(self, first: Mapping[str, Any] | None, settings: Settings):
        self.first = first if first is not None else {}
        self.page = PageKeys(settings)

    def __getitem__(self, name: str) -> Any:
        try:
            value = self.first[name]
            if value:
                return value
        except Exception:  # KeyError, or st.secrets without a file
            pass
        return self.page[name]

    def get(self, name: str, default: Any = None) -> Any:  # type: ignore[override]
        try:
            return self[name]
        except KeyError:
            return default

    def __iter__(self) -> Iterator[str]:
        return iter(self.page)

    def __len__(self) -> int:
        return len(self.page)

    def __repr__(self) -> str:
        return "<secrets>"


def _fernet(settings: Settings) -> Fernet:
    secret = ""
    try:
        secret = str(settings.secrets.get(KEY_SECRET_NAME) or "")
    except Exception:
        secret = ""
    secret = secret or os.environ.get(KEY_SECRET_NAME, "")
    if secret:
        try:
            return Fernet(secret.encode())
        except ValueError:
            # Any phrase will do: stretched to a Fernet key (32 bytes, urlsafe base64).
            import hashlib

            return Fernet(base64.urlsafe_b64encode(hashlib.sha256(secret.encode()).digest()))
    path = settings.data_dir / KEY_FILE_NAME
    if not path.exists():
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        try:  # created readable by this user only; two processes racing: the first one wins
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(descriptor, "wb") as handle:
                handle.write(Fernet.generate_key())
        except FileExistsError:
            pass
    return Fernet(path.read_bytes().strip())


def _require_admin(user: User) -> None:
    access.require_admin(user, "配置模型后端", "configure model backends")


__all__ = [
    "KEY_SECRET_NAME",
    "PageKeys",
    "WithPageKeys",
    "key_source",
    "page_layer",
    "remove_backend",
    "save_backend",
    "save_routes",
]
