"""Sign-in, the one-time set-up, 我的账号 and 账号与角色 in the app (AppTest)."""

from pathlib import Path

import pytest
from page_session import sign_in_session
from streamlit.testing.v1 import AppTest

import studio_ui

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "bear-hat-2026"


@pytest.fixture
def fresh_studio(tmp_path, monkeypatch, fake_backend):
    monkeypatch.setenv("LESSON_STUDIO_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("LESSON_STUDIO_BACKEND", "fake")
    monkeypatch.setenv("LESSON_STUDIO_STARTER_LIBRARY", "0")
    studio_ui.get_studio.clear()
    yield studio_ui.get_studio()
    studio_ui.get_studio.clear()


@pytest.fixture
def boss(fresh_studio):
    return fresh_studio.accounts.create_first_admin("boss", PASSWORD)


def app() -> AppTest:
    return AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)


def reopened(at: AppTest) -> AppTest:
    """The app as the next click shows it, with what the session kept. (AppTest keeps running the
    page it started on after st.navigation's page list changes; a browser goes to the default page.)"""
    fresh = app()
    if "signed_in" in at.session_state:
        fresh.session_state["signed_in"] = at.session_state["signed_in"]
    return fresh.run()


def accounts_page(user) -> AppTest:
    at = AppTest.from_file(str(ROOT / "pages" / "accounts.py"), default_timeout=60)
    sign_in_session(at, user)
    return at.run()


def texts(at: AppTest) -> str:
    return " ".join(element.value for kind in (at.markdown, at.caption, at.info, at.error, at.warning, at.success) for element in kind)


def test_a_fresh_install_opens_on_the_setup_page_and_nothing_else(fresh_studio):
    at = app().run()
    assert not at.exception
    assert "初始设置" in texts(at) + " ".join(h.value for h in at.subheader)
    assert [page for page in studio_ui.PAGES if page[0] in str(at)] == []  # no page is offered before sign-in
    at.text_input[0].input("boss")
    at.text_input[1].input("园长")
    at.text_input[2].input(PASSWORD)
    at.text_input[3].input(PASSWORD)
    at.button[0].click().run()
    assert not at.exception, at.exception
    assert fresh_studio.accounts.has_admin()
    assert "园长（管理员）" in " ".join(c.value for c in reopened(at).sidebar.caption)  # signed in as the new admin


def test_once_an_admin_exists_the_setup_form_is_gone(fresh_studio, boss):
    at = app().run()
    assert "初始设置" not in " ".join(h.value for h in at.subheader)
    assert [field.label for field in at.text_input] == ["用户名", "密码"]


def test_typing_an_admins_name_without_the_password_is_refused(fresh_studio, boss):
    at = app().run()
    at.text_input[0].input("boss")
    at.button[0].click().run()
    assert "用户名或密码不正确" in texts(at)
    assert "signed_in" not in at.session_state


def test_signing_in_with_the_password_opens_the_admins_pages(fresh_studio, boss):
    at = app().run()
    at.text_input[0].input("boss")
    at.text_input[1].input(PASSWORD)
    at.button[0].click().run()
    assert not at.exception, at.exception
    assert "boss（管理员）" in " ".join(c.value for c in reopened(at).sidebar.caption)


def test_a_demoted_lead_loses_lead_pages_on_the_next_click(fresh_studio, boss):
    lead = fresh_studio.accounts.add_user(boss, "zhao", role="lead", password=PASSWORD, must_change_password=False)
    at = app()
    sign_in_session(at, lead).run()
    at.switch_page("pages/templates.py").run()
    assert "上传" in " ".join(s.value for s in at.subheader)
    assert not any("只有教研组长" in info.value for info in at.info)
    fresh_studio.set_role(boss, "zhao", "teacher")
    at.run()  # the next click: the role is read again
    assert not at.exception
    assert any("只有" in info.value for info in at.info)  # the upload form is a lead's


def test_a_disabled_user_is_signed_out_on_the_next_click(fresh_studio, boss):
    teacher = fresh_studio.accounts.add_user(boss, "wang", password=PASSWORD, must_change_password=False)
    at = app()
    sign_in_session(at, teacher).run()
    fresh_studio.accounts.set_disabled(boss, "wang", True)
    at.run()
    assert "signed_in" not in at.session_state
    fresh = app()
    fresh.session_state["signed_out_reason"] = at.session_state["signed_out_reason"]
    assert "停用" in texts(fresh.run())


def test_a_first_password_must_be_changed_before_anything_else(fresh_studio, boss):
    fresh_studio.accounts.add_user(boss, "wang", password="first-pass-1")
    at = app().run()
    at.text_input[0].input("wang")
    at.text_input[1].input("first-pass-1")
    at.button[0].click().run()
    at = reopened(at)
    assert "请先换成" in texts(at)  # only 我的账号 is offered
    assert [e.value for e in at.title] == ["我的账号"]
    at.text_input[0].input("first-pass-1")
    at.text_input[1].input("my-own-secret-9")
    at.text_input[2].input("my-own-secret-9")
    at.button[0].click().run()
    assert not at.exception, at.exception
    assert not fresh_studio.accounts.must_change_password(fresh_studio.session_user(at.session_state["signed_in"]))


def test_admin_adds_an_account_and_gives_it_the_lead_role(fresh_studio, boss):
    at = accounts_page(boss)
    at.text_input[0].input("zhao")
    at.text_input[1].input("赵老师")
    at.text_input[3].input("first-pass-1")
    at.button[0].click().run()
    assert not at.exception, at.exception
    at.selectbox(key="manage_account").select("zhao")
    at.run()
    at.selectbox[-1].select("lead")  # the role form's selectbox comes after the account chooser
    at.button[1].click().run()
    assert not at.exception, at.exception
    roles = {a.username: a.role for a in fresh_studio.list_users(boss)}
    assert roles["zhao"] == "lead"


def test_user_names_in_the_accounts_table_are_inert(fresh_studio, boss):
    fresh_studio.accounts.add_user(boss, "pic", display_name="![x](http://203.0.113.9/p.png?q=1)", password=PASSWORD)
    at = accounts_page(boss)
    cells = at.table[0].value.to_string()
    assert "![x](http" not in cells and r"\!\[x\]" in cells


def test_teacher_opening_the_page_is_refused_by_the_core(fresh_studio, boss):
    teacher = fresh_studio.accounts.add_user(boss, "wang", password=PASSWORD)
    at = accounts_page(teacher)
    assert not at.exception
    assert any("只有管理员" in message.value for message in at.error)
    assert not at.table


@pytest.mark.parametrize(("role", "sees_admin_pages"), [("teacher", False), ("lead", False), ("admin", True)])
def test_navigation_offers_admin_pages_only_to_admins(fresh_studio, role, sees_admin_pages):
    offered = {path for path, _, _ in studio_ui.pages_for(fresh_studio.store.ensure_user(f"u-{role}", role=role))}
    assert "pages/new_lesson.py" in offered and "pages/templates.py" in offered and "pages/account.py" in offered
    assert ({"pages/admin.py", "pages/accounts.py"} <= offered) == sees_admin_pages
    assert all((ROOT / path).is_file() for path in offered)


def test_signed_in_app_runs_for_every_role(fresh_studio):
    for role in ("teacher", "lead", "admin"):
        at = app()
        sign_in_session(at, fresh_studio.store.ensure_user(f"u-{role}", role=role))
        at.run()
        assert not at.exception, role


def test_single_sign_on_signs_in_the_account_with_that_email(fresh_studio, boss, monkeypatch):
    """The identity provider is faked at the one place the app reads it (studio_ui.sso_claims)."""
    fresh_studio.accounts.add_user(boss, "zhao", role="lead", password=PASSWORD, email="zhao@school.example")
    monkeypatch.setattr(studio_ui, "sso_claims", lambda: {"email": "zhao@school.example", "email_verified": True})
    monkeypatch.setattr(studio_ui, "_sso_still_signed_in", lambda: True)
    at = app().run()
    assert not at.exception, at.exception
    assert "zhao（教研组长）" in " ".join(c.value for c in reopened(at).sidebar.caption)


def test_single_sign_on_with_an_unknown_email_is_refused_with_a_way_out(fresh_studio, boss, monkeypatch):
    monkeypatch.setattr(studio_ui, "sso_claims", lambda: {"email": "stranger@school.example"})
    at = app().run()
    assert "signed_in" not in at.session_state
    assert any("没有与" in e.value for e in at.error)
    assert any(b.label == "退出学校统一身份" for b in at.button)
