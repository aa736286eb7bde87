import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def strings():
    with open(ROOT / "resources" / "i18n.toml", "rb") as handle:
        return tomllib.load(handle)


def test_every_string_exists_in_both_languages():
    table = strings()
    assert set(table["zh"]) == set(table["en"])


def test_every_key_the_ui_uses_is_defined():
    used = set()
    for path in [ROOT / "app.py", ROOT / "studio_ui.py", *(ROOT / "pages").glob("*.py")]:
        used |= set(re.findall(r'\bt\("([a-z_]+)"', path.read_text(encoding="utf-8")))
    assert used - set(strings()["zh"]) == set()


def test_every_navigation_title_is_defined():
    from studio_ui import PAGES

    assert {title_key for _, title_key, _, _ in PAGES} <= set(strings()["zh"])


def test_the_sidebar_groups_a_teachers_pages_with_her_lessons_first():
    from lesson_studio.models import User
    from studio_ui import NAV_SECTIONS, PAGES, navigation_for

    assert set(NAV_SECTIONS) == {path for path, _, _, _ in PAGES}
    assert set(NAV_SECTIONS.values()) <= set(strings()["zh"]) and set(NAV_SECTIONS.values()) <= set(strings()["en"])
    teacher = navigation_for(User(id=1, username="wang", display_name="王老师", role="teacher"))
    assert list(teacher)[:3] == ["nav_lessons", "nav_resources", "nav_library"]
    assert teacher["nav_lessons"][0][0] == "pages/new_lesson.py" and "nav_curation" not in teacher
    lead = navigation_for(User(id=2, username="li", display_name="李组长", role="lead"))
    assert [path for path, _, _ in lead["nav_curation"]][0] == "pages/library_manage.py"
