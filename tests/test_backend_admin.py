"""The admin's view of the backends: status, routes, 测试连接; admins only; keys never shown."""

from __future__ import annotations

from pathlib import Path

import pytest
from fake_openai_server import FakeOpenAIServer
from page_session import sign_in_session
from streamlit.testing.v1 import AppTest

import studio_ui
from lesson_studio.config import Settings
from lesson_studio.errors import AuthFailed, NotAllowed
from lesson_studio.llm import incidents
from lesson_studio.llm.admin import check_connection, overview
from lesson_studio.llm.registry import get_backend

ROOT = Path(__file__).resolve().parents[1]
KEY = "sk-admin-0123456789abcdef"


@pytest.fixture(scope="module")
def server():
    with FakeOpenAIServer() as running:
        yield running


@pytest.fixture
def school(tmp_path, server, monkeypatch) -> Settings:
    """A school that points ERNIE at the fake server and sends generation there first."""
    for variable in ("QIANFAN_API_KEY", "QIANFAN_APPID", "DEEPSEEK_API_KEY"):
        monkeypatch.delenv(variable, raising=False)
    path = tmp_path / "backends.toml"
    path.write_text(
        f'[[backend]]\nid = "ernie"\nbase_url = "{server.base_url}"\nretries = 0\n\n[routes]\ngenerate = ["ernie", "local"]\n',
        encoding="utf-8",
    )
    server.reset()
    incidents.forget()
    return Settings(data_dir=tmp_path / "data", backends_file=str(path), secrets={"QIANFAN_API_KEY": KEY})


@pytest.fixture
def admin(store):
    return store.ensure_user("boss", role="admin", display_name="园长")


def test_a_teacher_may_not_see_or_test_backends(school, teacher):
    with pytest.raises(NotAllowed):
        overview(teacher, school)
    with pytest.raises(NotAllowed):
        check_connection(teacher, school, "ernie")


def test_the_admin_sees_configured_or_missing_and_a_masked_tail(school, admin):
    info = overview(admin, school)
    by_id = {backend.id: backend for backend in info.backends}
    assert (by_id["ernie"].key_state, by_id["ernie"].key_tail) == ("configured", "…cdef")
    assert by_id["deepseek"].key_state == "missing"
    assert by_id["local"].key_state == "not needed"
    assert by_id["ernie"].tasks == ("generate",) and by_id["local"].first_choice_for == (
        "refine",
        "rubric_fix",
        "parse",
    )
    assert info.routes["generate"] == ("ernie", "local")
    assert KEY not in repr(info) and KEY[:-4] not in repr(info)


def test_secrets_from_the_page_count_as_configured(school, admin):
    info = overview(admin, school, {"DEEPSEEK_API_KEY": "sk-deepseek-from-secrets-toml"})
    assert next(b for b in info.backends if b.id == "deepseek").key_state == "configured"


def test_connection_check_reports_latency(school, admin, server):
    result = check_connection(admin, school, "ernie")
    assert result.ok and "连接成功" in result.message and result.seconds >= 0
    assert server.requests == 1


def test_connection_check_reports_the_providers_words(school, admin, server):
    server.fail_next("401")
    result = check_connection(admin, school, "ernie")
    assert not result.ok
    assert "请联系管理员" in result.message and "Incorrect API key provided" in result.message
    assert KEY not in result.message


def test_connection_check_with_a_missing_key_names_the_variable(school, admin):
    result = check_connection(admin, school, "deepseek")
    assert not result.ok and "DEEPSEEK_API_KEY" in result.message


def test_the_admin_sees_the_providers_words_for_a_teachers_failure(school, admin, server):
    server.fail_next("401")
    with pytest.raises(AuthFailed, match="请联系管理员"):  # what the teacher is told
        list(get_backend(school, "ernie").stream([{"role": "user", "content": "你好"}]))
    ernie = next(backend for backend in overview(admin, school).backends if backend.id == "ernie")
    fault = ernie.recent_faults[0]
    assert fault.kind == "AuthFailed" and "Incorrect API key provided" in fault.detail
    assert KEY not in repr(ernie) and KEY[-12:] not in repr(ernie)


@pytest.fixture
def admin_page(tmp_path, monkeypatch, server):
    monkeypatch.setenv("LESSON_STUDIO_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("LESSON_STUDIO_BACKEND", raising=False)
    monkeypatch.delenv("QIANFAN_API_KEY", raising=False)
    path = tmp_path / "backends.toml"
    path.write_text(f'[[backend]]\nid = "ernie"\nbase_url = "{server.base_url}"\nretries = 0\n', encoding="utf-8")
    monkeypatch.setenv("LESSON_STUDIO_BACKENDS_FILE", str(path))
    studio_ui.get_studio.clear()
    boss = studio_ui.get_studio().store.ensure_user("boss", role="admin")
    at = AppTest.from_file(str(ROOT / "pages" / "admin.py"), default_timeout=60)
    at.secrets["QIANFAN_API_KEY"] = KEY
    sign_in_session(at, boss)
    yield at
    studio_ui.get_studio.clear()


def test_admin_page_lists_backends_and_tests_a_connection(admin_page, server):
    server.reset()
    at = admin_page.run()
    assert not at.exception
    page_text = " ".join(str(element.value) for element in [*at.markdown, *at.caption, *at.title])
    assert "ernie" in page_text and "QIANFAN_API_KEY …cdef" in page_text and KEY not in page_text
    at.button(key="check-ernie").click().run()
    assert not at.exception
    assert any("连接成功" in message.value for message in at.success)


def test_admin_page_shows_recent_faults_without_the_key(admin_page, server):
    server.reset()
    incidents.forget()
    server.fail_next("401")
    at = admin_page.run()
    at.button(key="check-ernie").click().run()
    assert not at.exception
    assert any("最近的错误" in expander.label for expander in at.expander)
    shown = " ".join(str(element.value) for element in [*at.markdown, *at.code, *at.error])
    assert "AuthFailed" in shown and "Incorrect API key provided" in shown and KEY not in shown
    assert KEY not in repr(at.session_state.to_dict())  # the check's result is kept there, masked


def test_admin_page_refuses_a_teacher(admin_page):
    sign_in_session(admin_page, studio_ui.get_studio().store.ensure_user("wang"))
    at = admin_page.run()
    assert not at.exception
    assert any("只有管理员" in message.value for message in at.error)
