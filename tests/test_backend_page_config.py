"""Backends configured on the 模型后端 page: rows and routes in the database, keys encrypted with a
key kept outside it, never shown back; the environment and secrets.toml still win."""

from __future__ import annotations

import os
import stat

import pytest
from fake_openai_server import FakeOpenAIServer
from sqlalchemy import create_engine, text

from lesson_studio.errors import InvalidInput, NotAllowed
from lesson_studio.llm.admin import check_connection, overview
from lesson_studio.llm.catalog import load_catalog
from lesson_studio.llm.page_config import key_source, save_backend, save_routes
from lesson_studio.llm.registry import get_backend
from lesson_studio.store import Store

KEY = "sk-school-0123456789abcdef"


@pytest.fixture
def server():
    with FakeOpenAIServer() as running:
        yield running


@pytest.fixture
def admin(settings):
    return Store(settings.db_url).ensure_user("boss", role="admin")


def test_a_backend_added_on_the_page_is_used_with_its_key(settings, admin, server, monkeypatch):
    monkeypatch.delenv("LESSON_STUDIO_KEY_SCHOOL", raising=False)
    save_backend(admin, settings, {"id": "school", "name": "校内服务器", "base_url": server.base_url, "model": "m"}, key=KEY)
    save_routes(admin, settings, {"generate": ["school", "local"]})
    catalog = load_catalog(settings)
    assert catalog.route("generate") == ("school", "local") and "模型后端页面" in catalog.sources[1]
    assert check_connection(admin, settings, "school").ok
    assert server.received[-1].headers.get("authorization") == f"Bearer {KEY}"
    assert get_backend(settings, "school").id == "school"


def test_a_key_is_stored_encrypted_and_never_shown_back(settings, admin):
    save_backend(admin, settings, {"id": "school", "base_url": "http://127.0.0.1:9/v1", "model": "m"}, key=KEY)
    engine = create_engine(settings.db_url)
    with engine.connect() as conn:
        stored = " ".join(conn.execute(text("SELECT value FROM backend_settings")).scalars())
    engine.dispose()
    assert KEY not in stored and KEY[-8:] not in stored
    status = next(b for b in overview(admin, settings).backends if b.id == "school")
    assert status.key_state == "configured" and status.key_tail == KEY[-4:].join(["…", ""]) and KEY not in repr(status)
    assert key_source(settings, "LESSON_STUDIO_KEY_SCHOOL") == "page"


def test_the_key_file_is_readable_by_the_app_only(settings, admin):
    save_backend(admin, settings, {"id": "school", "base_url": "http://127.0.0.1:9/v1", "model": "m"}, key=KEY)
    mode = stat.S_IMODE(os.stat(settings.data_dir / "backend-keys.secret").st_mode)
    assert mode == 0o600


def test_the_environment_wins_over_the_page(settings, admin, monkeypatch):
    save_backend(admin, settings, {"id": "school", "base_url": "http://127.0.0.1:9/v1", "model": "m"}, key=KEY)
    monkeypatch.setenv("LESSON_STUDIO_KEY_SCHOOL", "sk-from-the-environment-9999")
    assert key_source(settings, "LESSON_STUDIO_KEY_SCHOOL") == "environment"
    status = next(b for b in overview(admin, settings).backends if b.id == "school")
    assert status.key_tail == "…9999"


def test_a_key_saved_under_another_machines_secret_is_unreadable_not_wrong(settings, admin):
    save_backend(admin, settings, {"id": "school", "base_url": "http://127.0.0.1:9/v1", "model": "m"}, key=KEY)
    (settings.data_dir / "backend-keys.secret").write_bytes(b"wV0HZMP8jZBzkDbH0xZ3XMnGQAr2Kx2TbYKc2VwLxhI=")
    assert key_source(settings, "LESSON_STUDIO_KEY_SCHOOL") == "unreadable"
    assert next(b for b in overview(admin, settings).backends if b.id == "school").key_state == "missing"


@pytest.mark.parametrize(
    ("row", "reason"),
    [
        ({"id": "x", "base_url": "file:///etc/passwd", "model": "m"}, "base_url"),
        ({"id": "x", "base_url": "http://127.0.0.1:9/v1", "model": "m", "structured_output": "magic"}, "structured_output"),
        ({"base_url": "http://127.0.0.1:9/v1"}, "id"),
    ],
)
def test_a_bad_row_is_refused_with_its_field(settings, admin, row, reason):
    with pytest.raises(InvalidInput, match=reason):
        save_backend(admin, settings, row)


def test_a_route_must_name_configured_backends(settings, admin):
    with pytest.raises(InvalidInput, match="generate"):
        save_routes(admin, settings, {"generate": ["nowhere"]})


def test_only_admins_configure_backends(settings):
    teacher = Store(settings.db_url).ensure_user("wang")
    with pytest.raises(NotAllowed):
        save_backend(teacher, settings, {"id": "x", "base_url": "http://127.0.0.1:9/v1", "model": "m"}, key=KEY)
    with pytest.raises(NotAllowed):
        save_routes(teacher, settings, {"generate": ["local"]})


def test_the_admin_adds_a_backend_on_the_page_and_the_key_never_comes_back(tmp_path, monkeypatch, server):
    from pathlib import Path

    from page_session import sign_in_session
    from streamlit.testing.v1 import AppTest

    import studio_ui

    monkeypatch.setenv("LESSON_STUDIO_DATA_DIR", str(tmp_path / "app-data"))
    monkeypatch.setenv("LESSON_STUDIO_STARTER_LIBRARY", "0")
    monkeypatch.delenv("LESSON_STUDIO_BACKEND", raising=False)
    monkeypatch.delenv("LESSON_STUDIO_KEY_SCHOOL", raising=False)
    studio_ui.get_studio.clear()
    boss = studio_ui.get_studio().store.ensure_user("boss", role="admin")
    at = AppTest.from_file(str(Path(__file__).resolve().parents[1] / "pages" / "admin.py"), default_timeout=60)
    sign_in_session(at, boss).run()
    at.selectbox[0].set_value("").run()  # a new backend
    fields = {w.label: w for w in at.text_input}
    fields["id"].input("school")
    fields["base_url"].input(server.base_url)
    fields["模型"].input("m")
    fields["密钥（留空则不改）"].input(KEY)
    at.button(key="FormSubmitter:backend_row_0-测试连接").click().run()
    assert any("连接成功" in s.value for s in at.success)
    at.button(key="FormSubmitter:backend_row_0-保存").click().run()
    assert not at.exception, at.exception
    at.run()
    shown = " ".join(str(element.value) for kind in (at.markdown, at.caption, at.success, at.text_input) for element in kind)
    assert "在本页保存（已加密）" in shown and KEY not in shown and KEY[-4:] in shown
    studio_ui.get_studio.clear()
