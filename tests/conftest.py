"""Shared fixtures: a fresh data folder and database per test, a teacher, the scripted backend."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))  # tests/fakes.py, tests/sample_plans.py
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # studio_ui.py for the page tests

from fakes import ScriptedBackend  # noqa: E402

from lesson_studio.config import Settings  # noqa: E402
from lesson_studio.llm.registry import register_backend, unregister_backend  # noqa: E402
from lesson_studio.models import LessonRequest, User  # noqa: E402
from lesson_studio.store import Store  # noqa: E402

SHARED = Path(__file__).resolve().parents[2] / "shared"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data", backend="fake", starter_library=False)


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
