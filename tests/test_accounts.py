"""Accounts and roles: only an admin changes roles, service accounts cannot be signed into."""

import pytest

from lesson_studio.cli import main
from lesson_studio.errors import InvalidInput, NotAllowed
from lesson_studio.studio import Studio


@pytest.fixture
def studio(settings):
    return Studio(settings)


def test_teacher_cannot_change_roles(studio, teacher):
    with pytest.raises(NotAllowed):
        studio.set_role(teacher, "wang", "admin")
    with pytest.raises(NotAllowed):
        studio.list_users(teacher)


def test_admin_makes_a_curriculum_lead(studio):
    admin = studio.system_user()
    studio.set_role(admin, "zhao", "lead")
    assert studio.sign_in("zhao").role == "lead"
    assert ("zhao", "lead") in {(account.username, account.role) for account in studio.list_users(admin)}


def test_admin_cannot_demote_themselves(studio):
    admin = studio.set_role(studio.system_user(), "boss", "admin")
    with pytest.raises(InvalidInput):
        studio.set_role(admin, "boss", "teacher")


def test_unknown_role_is_refused_with_the_choices(studio):
    with pytest.raises(InvalidInput, match="lead"):
        studio.set_role(studio.system_user(), "zhao", "principal")


@pytest.mark.parametrize("name", ["system", "cli", " CLI "])
def test_service_accounts_cannot_be_signed_into(studio, name):
    with pytest.raises(InvalidInput, match="保留"):
        studio.sign_in(name)


def test_cli_sets_and_lists_roles(tmp_path, capsys):
    data = ["--data-dir", str(tmp_path / "d")]
    assert main([*data, "users", "set-role", "zhao", "lead"]) == 0
    assert main([*data, "users", "list"]) == 0
    assert "zhao\tlead" in capsys.readouterr().out
