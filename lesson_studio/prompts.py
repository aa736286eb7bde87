"""Prompt templates are files in prompts/, filled by one render() that fails loudly on a gap.

Every value is defused on the way in (authoring.untrusted): a title, a heading, a teacher's note
or a chat message can then never open or close the passage fence. Only the fenced passages
themselves (an untrusted.Fenced value) keep their markers.
"""

from __future__ import annotations

from functools import cache
from string import Template

from lesson_studio.authoring.untrusted import Fenced, defuse
from lesson_studio.config import PROMPTS_DIR


@cache
def template(name: str, language: str = "zh") -> Template:
    """prompts/<name>.md, or prompts/<language>/<name>.md where that translation exists (a request
    in English is written from English prompts; a prompt with no translation is used as it is)."""
    translated = PROMPTS_DIR / language / f"{name}.md"
    path = translated if language != "zh" and translated.exists() else PROMPTS_DIR / f"{name}.md"
    return Template(path.read_text(encoding="utf-8"))


def variables(name: str, language: str = "zh") -> set[str]:
    return set(template(name, language).get_identifiers())


def render(name: str, *, language: str = "zh", **values: object) -> str:
    """Fill prompts/<name>.md (in the request's language); a missing or unexpected variable is a
    programming error."""
    expected = variables(name, language)
    missing = expected - values.keys()
    extra = values.keys() - expected
    if missing or extra:
        raise KeyError(f"prompt {name} ({language}): missing {sorted(missing)}, unexpected {sorted(extra)}")
    return template(name, language).substitute(
        {key: value if isinstance(value, Fenced) else defuse(str(value)) for key, value in values.items()}
    )
