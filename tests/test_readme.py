"""The README stays true: every CLI verb and every setting the code reads is documented there."""

import argparse
import re
from pathlib import Path

from lesson_studio.cli import build_parser

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def verbs(parser: argparse.ArgumentParser, prefix: str = "") -> list[str]:
    found = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                found.append(f"{prefix}{name}")
                found += verbs(sub, f"{prefix}{name} ")
    return found


def test_every_cli_verb_is_in_the_readme():
    missing = [verb for verb in verbs(build_parser()) if f"python -m lesson_studio {verb}" not in README
               and not re.search(rf"python -m lesson_studio \[[^\]]*\] {re.escape(verb)}\b", README)]
    assert missing == []


def test_every_setting_the_code_reads_is_in_the_readme():
    read = set()
    for path in (ROOT / "lesson_studio").rglob("*.py"):
        read |= set(re.findall(r'"(LESSON_STUDIO_[A-Z_]+)"', path.read_text(encoding="utf-8")))
    assert sorted(name for name in read if name not in README) == []


def test_the_readme_keeps_its_two_set_up_commands():
    assert "python -m pip install -r requirements.txt && python -m streamlit run app.py" in README
    assert "python -m pip install -r requirements-dev.txt && python -m pytest -q" in README
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "python -m pip install -r requirements-dev.txt && python -m pytest -q" in ci
