"""The 账号与角色 page (admin) and which pages each role is offered."""

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

import studio_ui

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def fresh_studio(tmp_path, monkeypatch, fake_backend):
    monkeypatch.setenv("LESSON_STUDIO_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("LESSON_STUDIO_BACKEND", "fake")
    monkeypatch.setenv("LESSON_STUDIO_STARTER_LIBRARY", "0")
    studio_ui.get_studio.clear()
    yield studio_ui.get_studio()
    studio_ui.get_studio.clear()


def accounts_page(user) -> AppTest:
    at = AppTest.from_file(str(ROOT / "pages" / "accounts.py"), default_timeout=60)
    at.session_state["user"] = user
    return at.run()


def test_admin_gives_a_teacher_the_lead_role(fresh_studio):
    boss = fresh_studio.store.ensure_user("boss", role="admin")
    fresh_studio.sign_in("zhao")
    at = accounts_page(boss)
    at.text_input[0].input("zhao")
    at.selectbox[0].select("lead")
    at.button[0].click().run()
    assert not at.exception
    assert at.success and "zhao" in at.success[0].value
    assert fresh_studio.sign_in("zhao").role == "lead"


def test_teacher_opening_the_page_is_refused_by_the_core(fresh_studio):
    at = accounts_page(fresh_studio.sign_in("wang"))
    assert not at.exception
    assert any("只有管理员" in message.value for message in at.error)
    assert not at.table


@pytest.mark.parametrize(("role", "sees_admin_pages"), [("teacher", False), ("lead", False), ("admin", True)])
def test_navigation_offers_admin_pages_only_to_admins(fresh_studio, role, sees_admin_pages):
    offered = {path for path, _, _ in studio_ui.pages_for(fresh_studio.store.ensure_user(f"u-{role}", role=role))}
    assert "pages/new_lesson.py" in offered and "pages/templates.py" in offered
    assert ({"pages/admin.py", "pages/accounts.py"} <= offered) == sees_admin_pages
    assert all((ROOT / path).is_file() for path in offered)


def test_signed_in_app_runs_for_every_role(fresh_studio):
    for role in ("teacher", "lead", "admin"):
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
        at.session_state["user"] = fresh_studio.store.ensure_user(f"u-{role}", role=role)
        at.run()
        assert not at.exception, role
