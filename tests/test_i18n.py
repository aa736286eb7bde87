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
