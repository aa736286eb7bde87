"""The English side of a theme unit asked for in English (ThemeUnitRequest.language == "en").

What code writes into the unit (the path, the stage guidance and openings, the dates, the warnings,
the last-resort lines) and the words the checks read, in English. The unit's enumerations stay data
in both languages (the stage 发现烦恼, the kind 集体活动, the domain 科学): every place that shows them
translates them through the label tables here and in lesson_studio.authoring.english.
"""

from __future__ import annotations

import datetime

from lesson_studio.authoring.english import BAND_SHORT, DOMAIN_LABELS, SCHOOLIFICATION_WORDS, is_english

STAGE_LABELS = {
    "发现烦恼": "Find the trouble",
    "想办法": "Think of ideas",
    "做出来": "Make it",
    "展示/用起来": "Show it and use it",
}
KIND_LABELS = {
    "集体活动": "Whole-class activity",
    "区域活动": "Area activity",
    "户外活动": "Outdoor activity",
    "生活活动": "Daily-life activity",
}
PATH = " → ".join(STAGE_LABELS.values())
ALL_DOMAINS = "all five domains in balance"

STAGE_GUIDANCE = {
    "发现烦恼": 'look, search and say what the trouble is, and turn it into "How might we …?"',
    "想办法": "say, draw and lay out many ideas, nobody says \"that won't work\", change a friend's idea into a new one",
    "做出来": "make it and try it out; when it does not work, change it and try again",
    "展示/用起来": "show and explain what they made, use it, and invite others to try it",
}
# Words that show an activity does what its stage asks (whole words, any case; -s/-es plurals match).
STAGE_WORDS = {
    "发现烦恼": (
        "notice",
        "noticing",
        "find",
        "finding",
        "found",
        "discover",
        "discovering",
        "problem",
        "trouble",
        "look",
        "looking",
        "observe",
        "observing",
        "why",
        "how might we",
        "investigate",
        "investigating",
        "what's wrong",
    ),
    "想办法": (
        "idea",
        "plan",
        "planning",
        "design",
        "designing",
        "think",
        "thinking",
        "suggest",
        "suggesting",
        "draw",
        "drawing",
        "how could",
        "what else",
    ),
    "做出来": (
        "make",
        "making",
        "build",
        "building",
        "try",
        "tries",
        "trying",
        "test",
        "testing",
        "change",
        "changing",
        "improve",
        "improving",
        "fix",
        "fixing",
        "create",
        "creating",
    ),
    "展示/用起来": (
        "show",
        "showing",
        "share",
        "sharing",
        "present",
        "presenting",
        "exhibit",
        "exhibition",
        "display",
        "use",
        "using",
        "invite",
        "inviting",
        "tell",
        "explain",
    ),
}
STAGE_OPENING = {
    "发现烦恼": "First look and say what the trouble is",
    "想办法": "Think of ideas together",
    "做出来": "Make it and try it out",
    "展示/用起来": "Show and share what we made",
}
# 小学化 words beyond the lesson plan's English drill table (authoring.english.PLAY_INSTEAD, which code
# applies first), each with what children do instead.
MORE_DRILLS = {
    "tracing": "drawing",
    "grid paper": "blank paper",
    "writing practice": "drawing",
    "write the word": "say the word",
    "sums": "counting games",
    "spellings": "word games",
}
DRILL_WORDS = (*SCHOOLIFICATION_WORDS, *MORE_DRILLS)
PROSE_LABELS = {
    "source_and_value": "Where the theme comes from and why it matters",
    "environment": "Environment",
    "family": "Working with families",
    "evaluation": "Evaluation",
}
SAFE_MATERIAL = "a safe material"


def label(table: dict[str, str], value: str, language: str) -> str:
    return table.get(value, value) if is_english(language) else value


def domain(value: str, language: str) -> str:
    return label(DOMAIN_LABELS, value, language)


def week_span(first: datetime.date, last: datetime.date) -> str:
    if first.month == last.month:
        return f"{first.day}–{last.day} {last:%B}"
    return f"{first.day} {first:%B} – {last.day} {last:%B}"


def removed_warning(name: str, reason: str, age_band: str) -> str:
    return (
        f"'{name}' is not for the {BAND_SHORT[age_band].lower()} to handle and was taken off the unit's "
        f"materials. Why: {reason}"
    )


def path_line(weeks: list[tuple[int, list[str]]]) -> str:
    return "; ".join(f"week {number}: {', '.join(STAGE_LABELS[stage] for stage in stages)}" for number, stages in weeks)


def slot_line(number: int, kind: str, stage: str, domain_value: str, minutes: int | None) -> str:
    length = f", {minutes} minutes" if minutes else ""
    return f"{number}. {KIND_LABELS[kind]} ({STAGE_LABELS[stage]}, {domain(domain_value, 'en')}{length})"


def week_fix(stages: list[str], children_do_missing: bool) -> str:
    lines = []
    if stages:
        lines.append(
            "[MUST FIX] This week's activities must do what "
            + ", ".join(f'"{STAGE_LABELS[stage]}"' for stage in stages)
            + " asks: "
            + "; ".join(f"{STAGE_LABELS[stage]}: {STAGE_GUIDANCE[stage]}" for stage in stages)
            + "."
        )
    if children_do_missing:
        lines.append("[MUST FIX] Every activity needs a title and one sentence saying what the children do.")
    return "\n".join(lines)


def stage_line(theme: str, stage: str) -> str:
    """The last resort's line for an activity with nothing about what children do."""
    return f"Around '{theme}', children {STAGE_GUIDANCE[stage]}."


def expansion_notes(title: str, week: int, stage: str, problem: str, questions: list[str], children_do: str) -> str:
    """A collective activity's context for the lesson plan it is expanded into."""
    web = f" The question web at this step: {'; '.join(questions)}." if questions else ""
    return (
        f"This is a whole-class activity in week {week} of the theme unit '{title}', at the '{STAGE_LABELS[stage]}' "
        f"step of the unit's path {PATH}. The unit starts from a real problem: {problem}.{web} "
        f"What the children do: {children_do}"
    )


# The Word file's fixed words (export.py).
SECTION_TITLES = (
    "1. Where the theme comes from and why it matters",
    "2. Goals",
    "3. Question web",
    "4. Activities",
    "5. Environment (problem wall)",
    "6. Working with families",
    "7. Evaluation",
)
ACTIVITY_COLUMNS = ("Kind", "Activity", "Domain", "What the children do", "Length")
EXPORT_LABELS = {
    "主题活动": "Theme unit",
    "真实问题：": "The real problem: ",
    "本周重点：": "This week's focus: ",
    "主题材料：": "Materials for the unit: ",
}


def facts_line(class_name: str, band: str, teacher: str, weeks: int, start_date: str) -> str:
    start = f", from {start_date}" if start_date else ""
    return f"Class: {class_name} ({BAND_SHORT[band]})  Teacher: {teacher}  Length: {weeks} week{'s' if weeks > 1 else ''}{start}"


def week_heading(number: int, dates: str, stages: list[str]) -> str:
    when = f" ({dates})" if dates else ""
    return f"Week {number}{when}  {', '.join(STAGE_LABELS[stage] for stage in stages)}"
