"""Accounts: passwords, look-alike names, lockout, roles and states read afresh, single sign-on."""

import io
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import create_engine, text, update

from lesson_studio.accounts import MAX_FAILED_LOGINS, Accounts, SignedIn
from lesson_studio.cli import main
from lesson_studio.errors import InvalidInput, NotAllowed, NotFound, SessionEnded, SignInFailed
from lesson_studio.store import Store, users
from lesson_studio.studio import Studio

PASSWORD = "bear-hat-2026"


@pytest.fixture
def studio(settings):
    return Studio(settings)


@pytest.fixture
def accounts(studio) -> Accounts:
    return studio.accounts


@pytest.fixture
def admin(accounts):
    return accounts.create_first_admin("boss", PASSWORD, display_name="园长")


def test_a_fresh_installation_has_no_admin_until_setup(accounts):
    accounts.store.ensure_user("system", role="admin")  # service accounts do not count
    assert not accounts.has_admin()
    accounts.create_first_admin("boss", PASSWORD)
    assert accounts.has_admin()


def test_setup_runs_only_once(accounts, admin):
    with pytest.raises(NotAllowed, match="已经有管理员"):
        accounts.create_first_admin("intruder", PASSWORD)


def test_typing_an_admins_name_does_not_make_you_the_admin(studio, admin):
    with pytest.raises(SignInFailed, match="用户名或密码不正确"):
        studio.sign_in("boss", "")
    with pytest.raises(SignInFailed):
        studio.sign_in("boss", "guess-the-password")


def test_the_right_password_signs_in_with_the_stored_role(studio, admin):
    session = studio.sign_in("boss", PASSWORD)
    assert studio.session_user(session).role == "admin"


def test_an_unknown_name_gets_the_same_answer_as_a_wrong_password(studio, admin):
    with pytest.raises(SignInFailed) as unknown:
        studio.sign_in("nobody", PASSWORD)
    with pytest.raises(SignInFailed) as wrong:
        studio.sign_in("boss", "not-the-password")
    assert str(unknown.value) == str(wrong.value)


def test_passwords_are_stored_as_argon2_hashes(accounts, admin):
    with accounts.store.engine.connect() as conn:
        stored = conn.execute(text("SELECT password_hash FROM users WHERE username = 'boss'")).scalar()
    assert stored.startswith("$argon2id$") and PASSWORD not in stored


@pytest.mark.parametrize(
    ("look_alike", "reason"),
    [
        ("ｂｏｓｓ", "已有"),  # full-width letters are the same name after NFKC
        ("BOSS", "已有"),  # case does not make another account
        ("bo\u200bss", "看不见"),  # zero-width space
        ("boss\u2060", "看不见"),  # word joiner
        ("\u3164boss", "看不见"),  # Hangul filler prints as a blank
        ("bоss", "混用"),  # Cyrillic о among Latin letters
    ],
)
def test_a_look_alike_of_an_existing_name_cannot_be_made(accounts, admin, look_alike, reason):
    with pytest.raises(InvalidInput, match=reason):
        accounts.add_user(admin, look_alike, password=PASSWORD)


def test_a_full_width_name_signs_into_the_same_account(studio, admin):
    assert studio.session_user(studio.sign_in("ｂｏｓｓ", PASSWORD)).id == admin.id


@pytest.mark.parametrize(("password", "reason"), [("short", "至少"), ("wangwang", "不能和用户名相同"), ("aaaaaaaaaa", "太简单")])
def test_weak_passwords_are_refused_with_the_reason(accounts, admin, password, reason):
    with pytest.raises(InvalidInput, match=reason):
        accounts.add_user(admin, "WangWang", password=password)


def test_repeated_failures_lock_the_account_and_say_so(studio, accounts, admin):
    accounts.add_user(admin, "wang", password=PASSWORD)
    for _ in range(1, MAX_FAILED_LOGINS):
        with pytest.raises(SignInFailed, match="用户名或密码不正确"):
            studio.sign_in("wang", "wrong-password")
    with pytest.raises(SignInFailed, match="已锁定"):
        studio.sign_in("wang", "wrong-password")
    with pytest.raises(SignInFailed, match="已锁定.*15 分钟"):
        studio.sign_in("wang", PASSWORD)  # even the right password waits out the lock


def test_a_lock_ends_by_itself(studio, accounts, admin):
    accounts.add_user(admin, "wang", password=PASSWORD)
    for _ in range(MAX_FAILED_LOGINS):
        with pytest.raises(SignInFailed):
            studio.sign_in("wang", "wrong-password")
    with accounts.store.engine.begin() as conn:
        conn.execute(update(users).where(users.c.username == "wang").values(locked_until=datetime.now(UTC) - timedelta(seconds=1)))
    assert studio.sign_in("wang", PASSWORD)


def test_an_admin_unlocks_an_account(studio, accounts, admin):
    accounts.add_user(admin, "wang", password=PASSWORD)
    for _ in range(MAX_FAILED_LOGINS):
        with pytest.raises(SignInFailed):
            studio.sign_in("wang", "wrong-password")
    assert next(a for a in accounts.list_accounts(admin) if a.username == "wang").locked
    accounts.unlock(admin, "wang")
    assert studio.sign_in("wang", PASSWORD)


def test_a_demoted_lead_loses_the_power_on_the_next_run(studio, accounts, admin):
    accounts.add_user(admin, "zhao", role="lead", password=PASSWORD)
    session = studio.sign_in("zhao", PASSWORD)
    assert studio.session_user(session).role == "lead"
    studio.set_role(admin, "zhao", "teacher")
    assert studio.session_user(session).role == "teacher"  # the same session, read again


def test_a_disabled_account_is_signed_out_and_cannot_sign_in(studio, accounts, admin):
    accounts.add_user(admin, "wang", password=PASSWORD)
    session = studio.sign_in("wang", PASSWORD)
    accounts.set_disabled(admin, "wang", True)
    with pytest.raises(SessionEnded, match="停用"):
        studio.session_user(session)
    with pytest.raises(SignInFailed, match="停用"):
        studio.sign_in("wang", PASSWORD)
    accounts.set_disabled(admin, "wang", False)
    assert studio.sign_in("wang", PASSWORD)


def test_a_reset_password_ends_open_sessions_and_asks_for_a_new_one(studio, accounts, admin):
    user = accounts.add_user(admin, "wang", password=PASSWORD, must_change_password=False)
    session = studio.sign_in("wang", PASSWORD)
    accounts.reset_password(admin, "wang", "temporary-123")
    with pytest.raises(SessionEnded, match="密码已被更改"):
        studio.session_user(session)
    fresh = studio.sign_in("wang", "temporary-123")
    assert fresh.must_change_password and accounts.must_change_password(user)


def test_changing_ones_own_password_keeps_this_session_and_ends_the_others(studio, accounts, admin):
    user = accounts.add_user(admin, "wang", password=PASSWORD)
    here, elsewhere = studio.sign_in("wang", PASSWORD), studio.sign_in("wang", PASSWORD)
    here = accounts.change_password(user, PASSWORD, "my-own-secret-9")
    assert studio.session_user(here).id == user.id
    with pytest.raises(SessionEnded):
        studio.session_user(elsewhere)
    assert not accounts.must_change_password(user)
    with pytest.raises(InvalidInput, match="当前密码不正确"):
        accounts.change_password(user, PASSWORD, "another-secret-9")


@pytest.mark.parametrize("action", ["add", "reset", "disable", "role", "list", "unlock"])
def test_only_admins_manage_accounts(accounts, admin, action):
    teacher = accounts.add_user(admin, "wang", password=PASSWORD)
    calls = {
        "add": lambda: accounts.add_user(teacher, "li", password=PASSWORD),
        "reset": lambda: accounts.reset_password(teacher, "boss", "taken-over-1"),
        "disable": lambda: accounts.set_disabled(teacher, "boss", True),
        "role": lambda: accounts.set_role(teacher, "wang", "admin"),
        "list": lambda: accounts.list_accounts(teacher),
        "unlock": lambda: accounts.unlock(teacher, "boss"),
    }
    with pytest.raises(NotAllowed, match="只有管理员"):
        calls[action]()


def test_an_admin_cannot_demote_or_disable_themselves(accounts, admin):
    with pytest.raises(InvalidInput, match="自己"):
        accounts.set_role(admin, "boss", "teacher")
    with pytest.raises(InvalidInput, match="自己"):
        accounts.set_disabled(admin, "boss", True)


def test_setting_a_role_needs_an_existing_account(accounts, admin):
    with pytest.raises(NotFound, match="没有这个账号"):
        accounts.set_role(admin, "newcomer", "lead")


def test_unknown_role_is_refused_with_the_choices(accounts, admin):
    accounts.add_user(admin, "zhao", password=PASSWORD)
    with pytest.raises(InvalidInput, match="lead"):
        accounts.set_role(admin, "zhao", "principal")


@pytest.mark.parametrize("name", ["system", "cli", " CLI ", "ｓｙｓｔｅｍ"])
def test_service_accounts_cannot_be_signed_into_or_added(studio, accounts, admin, name):
    studio.system_user()
    with pytest.raises(SignInFailed):
        studio.sign_in(name, PASSWORD)
    with pytest.raises(InvalidInput, match="保留"):
        accounts.add_user(admin, name, password=PASSWORD)


# --- single sign-on: the provider vouches for the e-mail, our database gives the role ---------------


def test_single_sign_on_maps_the_email_to_the_account_and_its_role(studio, accounts, admin):
    accounts.add_user(admin, "zhao", role="lead", password=PASSWORD, email="Zhao@School.example")
    session = accounts.sso_sign_in({"email": "zhao@school.example", "email_verified": True, "role": "admin"})
    user = studio.session_user(session)
    assert (user.username, user.role, session.via) == ("zhao", "lead", "sso")  # the claim's role is ignored


@pytest.mark.parametrize(
    ("claims", "reason"),
    [
        ({"email": "stranger@school.example"}, "没有与"),
        ({"email": "zhao@school.example", "email_verified": False}, "没有验证"),
        ({"name": "zhao"}, "没有提供邮箱"),
    ],
)
def test_single_sign_on_refuses_what_it_cannot_map(accounts, admin, claims, reason):
    accounts.add_user(admin, "zhao", password=PASSWORD, email="zhao@school.example")
    with pytest.raises(SignInFailed, match=reason):
        accounts.sso_sign_in(claims)


def test_single_sign_on_refuses_a_disabled_account(accounts, admin):
    accounts.add_user(admin, "zhao", password=PASSWORD, email="zhao@school.example")
    accounts.set_disabled(admin, "zhao", True)
    with pytest.raises(SignInFailed, match="停用"):
        accounts.sso_sign_in({"email": "zhao@school.example"})


def test_an_email_belongs_to_one_account(accounts, admin):
    accounts.add_user(admin, "zhao", password=PASSWORD, email="zhao@school.example")
    with pytest.raises(InvalidInput, match="另一个账号"):
        accounts.add_user(admin, "qian", password=PASSWORD, email="ZHAO@school.example")


# --- an installation from before passwords ----------------------------------------------------------


def test_an_old_database_upgrades_and_a_look_alike_account_is_disabled(tmp_path):
    url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE schema_migrations (name VARCHAR(100) PRIMARY KEY, applied_at DATETIME NOT NULL)"))
        for name in ("001_initial", "002_authoring", "003_library", "004_job_partial"):
            conn.execute(text("INSERT INTO schema_migrations VALUES (:n, '2026-01-01 00:00:00')"), {"n": name})
        conn.execute(
            text(
                "CREATE TABLE users (id INTEGER PRIMARY KEY, username VARCHAR(64) NOT NULL UNIQUE,"
                " display_name VARCHAR(100) NOT NULL, role VARCHAR(16) NOT NULL, created_at DATETIME NOT NULL)"
            )
        )
        conn.execute(text("CREATE TABLE drafts (id INTEGER PRIMARY KEY)"))
        conn.execute(text("CREATE TABLE jobs (id INTEGER PRIMARY KEY, status VARCHAR(16))"))  # as far as later
        conn.execute(text("CREATE TABLE refinements (id INTEGER PRIMARY KEY, status VARCHAR(16))"))  # migrations look
        conn.execute(text("INSERT INTO drafts VALUES (7)"))
        conn.execute(
            text(
                "CREATE TABLE working_copies (draft_id INTEGER, user_id INTEGER, base_version_id INTEGER NOT NULL,"
                " content_json TEXT NOT NULL, updated_at DATETIME NOT NULL, PRIMARY KEY (draft_id, user_id))"
            )
        )
        conn.execute(text("INSERT INTO users VALUES (1, 'boss', '园长', 'admin', '2026-01-01 00:00:00')"))
        conn.execute(text("INSERT INTO users VALUES (2, 'ｂｏｓｓ', '冒充的园长', 'teacher', '2026-01-02 00:00:00')"))
        conn.execute(text("INSERT INTO working_copies VALUES (7, 1, 3, '{}', '2026-01-03 00:00:00')"))
    engine.dispose()
    store = Store(url)
    admin = store.ensure_user("system", role="admin")
    listed = {a.username: a for a in Accounts(store).list_accounts(admin)}
    assert not listed["boss"].disabled and listed["ｂｏｓｓ"].disabled
    assert not listed["boss"].has_password  # set it with `users passwd boss` before signing in
    with store.engine.connect() as conn:
        assert conn.execute(text("SELECT tab_id FROM tab_working_copies WHERE draft_id = 7")).scalar() == "earlier"


# --- the command line -------------------------------------------------------------------------------


def run_cli(tmp_path, monkeypatch, *args, stdin=""):
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    return main(["--data-dir", str(tmp_path / "d"), "users", *args])


def test_cli_makes_the_first_admin_with_a_password_from_stdin(tmp_path, monkeypatch, capsys, settings):
    assert run_cli(tmp_path, monkeypatch, "add", "张园长", "--role", "admin", "--password-stdin", stdin=PASSWORD + "\n") == 0
    studio = Studio(settings.__class__(data_dir=tmp_path / "d", starter_library=False))
    session = studio.sign_in("张园长", PASSWORD)
    assert studio.session_user(session).role == "admin" and not session.must_change_password


def test_cli_manages_accounts(tmp_path, monkeypatch, capsys):
    assert run_cli(tmp_path, monkeypatch, "add", "zhao", "--role", "lead", stdin=PASSWORD + "\n") == 0
    assert run_cli(tmp_path, monkeypatch, "set-role", "zhao", "teacher") == 0
    assert run_cli(tmp_path, monkeypatch, "disable", "zhao") == 0
    assert run_cli(tmp_path, monkeypatch, "passwd", "zhao", "--password-stdin", stdin="new-secret-77\n") == 0
    assert run_cli(tmp_path, monkeypatch, "list") == 0
    out = capsys.readouterr().out
    assert "zhao\tteacher\tdisabled" in out


def test_cli_refuses_a_weak_password_with_the_reason(tmp_path, monkeypatch, capsys):
    assert run_cli(tmp_path, monkeypatch, "add", "zhao", stdin="short\n") == 1
    assert "至少" in capsys.readouterr().err


def test_session_ids_are_all_a_page_keeps(studio, admin):
    session = studio.sign_in("boss", PASSWORD)
    assert isinstance(session, SignedIn)
    assert {field for field in session.__dataclass_fields__} == {"user_id", "epoch", "via", "must_change_password"}
