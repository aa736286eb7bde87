"""Shared fixtures: a fresh data folder and database per test, a teacher, the scripted backend."""

from __future__ import annotations

import contextlib
import os
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

# Page tests build the app's Studio; they must not load the 1.1 GB embedded model in the background.
os.environ.setdefault("LESSON_STUDIO_PRELOAD", "0")
sys.path.insert(0, str(Path(__file__).resolve().parent))  # tests/fakes.py, tests/sample_plans.py
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # studio_ui.py for the page tests

from fakes import ScriptedBackend  # noqa: E402

from lesson_studio.config import Settings  # noqa: E402
from lesson_studio.llm.registry import register_backend, unregister_backend  # noqa: E402
from lesson_studio.models import LessonRequest, User  # noqa: E402
from lesson_studio.store import Store  # noqa: E402

SHARED = Path(__file__).resolve().parents[2] / "shared"


# The store and the library run against real servers when CI started them (.ci/servers.sh):
# LESSON_STUDIO_TEST_DATABASE_URL (PostgreSQL) and LESSON_STUDIO_TEST_CHROMA (host:port). Each test
# gets its own PostgreSQL schema and its own Chroma database, dropped afterwards. Unset (the
# default `pytest -q`), every test uses SQLite and embedded Chroma in its own tmp folder.
SERVER_DATABASE_URL = os.environ.get("LESSON_STUDIO_TEST_DATABASE_URL", "")
SERVER_CHROMA = os.environ.get("LESSON_STUDIO_TEST_CHROMA", "")


@pytest.fixture
def settings(tmp_path: Path) -> Iterator[Settings]:
    servers: dict[str, object] = {}
    name = f"t_{uuid.uuid4().hex[:12]}"
    if SERVER_DATABASE_URL:
        servers["database_url"] = _fresh_schema(name)
    if SERVER_CHROMA:
        host, _, port = SERVER_CHROMA.partition(":")
        servers.update(chroma_host=host, chroma_port=int(port), chroma_database=_fresh_chroma_database(host, int(port), name))
    yield Settings(data_dir=tmp_path / "data", backend="fake", starter_library=False, **servers)  # type: ignore[arg-type]
    if SERVER_DATABASE_URL:
        _drop_schema(name)
    if SERVER_CHROMA:
        _drop_chroma_database(host, int(port), name)


def _fresh_schema(name: str) -> str:
    from sqlalchemy import create_engine

    engine = create_engine(SERVER_DATABASE_URL)
    with engine.begin() as conn:
        conn.exec_driver_sql(f"CREATE SCHEMA {name}")
    engine.dispose()
    separator = "&" if "?" in SERVER_DATABASE_URL else "?"
    return f"{SERVER_DATABASE_URL}{separator}options=-csearch_path%3D{name}"


def _drop_schema(name: str) -> None:
    from sqlalchemy import create_engine

    engine = create_engine(SERVER_DATABASE_URL)
    with engine.begin() as conn:
        conn.exec_driver_sql(f"DROP SCHEMA IF EXISTS {name} CASCADE")
    engine.dispose()


def _fresh_chroma_database(host: str, port: int, name: str) -> str:
    import chromadb

    chromadb.AdminClient(chromadb.config.Settings(chroma_server_host=host, chroma_server_http_port=port,
                                                   chroma_api_impl="chromadb.api.fastapi.FastAPI",
                                                   anonymized_telemetry=False)).create_database(name)
    return name


def _drop_chroma_database(host: str, port: int, name: str) -> None:
    import chromadb

    admin = chromadb.AdminClient(chromadb.config.Settings(chroma_server_host=host, chroma_server_http_port=port,
                                                          chroma_api_impl="chromadb.api.fastapi.FastAPI",
                                                          anonymized_telemetry=False))
    with contextlib.suppress(Exception):  # the server may already be gone at the end of a run
        admin.delete_database(name)


@pytest.fixture
def store(settings: Settings) -> Store:
    return Store(settings.db_url)


@pytest.fixture
def teacher(store: Store) -> User:
    return store.ensure_user("wang", display_name="王老师")


@pytest.fixture
def other_teacher(store: Store) -> User:
    return store.ensure_user("li", display_name="李老师")


@pytest.fixture
def fake_backend():
    backend = ScriptedBackend()
    register_backend("fake", lambda _settings: backend)
    yield backend
    unregister_backend("fake")


@pytest.fixture
def hat_request() -> LessonRequest:
    return LessonRequest(
        age_band="中班", domain="艺术", topic="给小熊做一顶戴得住的帽子", minutes=20, materials=["旧报纸", "毛线"]
    )
