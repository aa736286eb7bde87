"""The English side of a 活动反思 asked for in English (ReflectionRequest.language == "en", which is
the reflected plan's language): what code writes (title, reasons, timings, changes, warnings, the
no-evidence line, the suggestions and shortened steps code falls back on), the words the checks and
the timing notes are read for, the rewrite instruction and the Word labels. The reflection's
enumerations (达成 …, 超时 …, the plan's 认知 / 想办法 / 导入) stay data and are translated where shown.
"""

from __future__ import annotations

import re

from lesson_studio.authoring.english import (
    BAND_LABELS,
    DIMENSION_LABELS,
    PHASE_LABELS,
    STAGE_LABELS,
    is_english,
)

ACHIEVEMENT_LABELS = {
    "达成": "achieved",
    "部分达成": "partly achieved",
    "未达成": "not achieved",
    "未观察到": "not observed",
}
# What an English draft answers (the words the English prompt offers) -> the enumeration saved.
ACHIEVEMENT_DATA = {label: value for value, label in ACHIEVEMENT_LABELS.items()}
STATUS_LABELS = {"超时": "over time", "提前": "early", "按时": "on time", "未记录": "not recorded"}

# A sentence of the notes: up to . ! ? ; or a line's end, with the closing quote that follows.
NOTE_SENTENCE = re.compile(r"[^.!?;\n]+(?:[.!?;]+[\"”’]?)?")
SENTENCE = re.compile(r"(?<=[.!?;])(?=\s)")
# Words saying a step took longer than planned, or less ("not enough time", never a bare "not enough").
OVERRUN_WORDS = (
    "over time",
    "ran over",
    "overran",
    "ran long",
    "too long",
    "took longer",
    "ran out of time",
    "not enough time",
    "no time",
    "didn't finish",
    "did not finish",
    "dragged",
    "extended",
)
UNDERRUN_WORDS = ("early", "too short", "quickly", "ahead of time", "spare time", "time left", "only took")
STEP_NUMBER = re.compile(r"\bstep\s*(\d+|one|two|three|four|five|six|seven|eight)\b", re.IGNORECASE)
ORDINAL_STEP = re.compile(r"\b(first|second|third|fourth|fifth|sixth|seventh|eighth)\s+(?:step|part)\b", re.IGNORECASE)
NUMBERS = {
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "first": 1,
    "second": 2,
    "third": 3,
    "fourth": 4,
    "fifth": 5,
    "sixth": 6,
    "seventh": 7,
    "eighth": 8,
}
TOOK = re.compile(r"(?:took|used|lasted|spent|ran)\s*(?:about\s*)?(\d{1,2})\s*min", re.IGNORECASE)
# The names a teacher uses for a CPS stage or a phase ("ideas" for 想办法).
STAGE_NAMES = {
    "发现问题": ("find the problem", "finding the problem"),
    "想办法": ("think of ideas", "thinking of ideas", "brainstorm", "brainstorming"),
    "选办法": ("choose an idea", "choosing an idea", "vote", "voting"),
    "试一试改一改": ("try it", "trying it", "improve it", "hands-on"),
    "分享": ("share", "sharing"),
}
PHASE_NAMES = {"导入": ("opening", "introduction"), "结束": ("closing", "wrap-up")}

NO_EVIDENCE = "The notes give no direct evidence."
NO_EVIDENCE_PHRASES = (
    "not mentioned",
    "no evidence",
    "no direct evidence",
    "not observed",
    "not recorded",
    "notes do not say",
    "notes don't say",
)
# Labels about children and a description of behaviour that reads in their place ("Leo was shy" ->
# "Leo was quiet in the group"); a degree word in front goes with the label ("very naughty").
LABEL_WORDS = {
    "naughty": "very active",
    "clever": "quick to find a way",
    "smart": "quick to find a way",
    "stupid": "still trying",
    "dumb": "still trying",
    "shy": "quiet in the group",
    "introverted": "quiet in the group",
    "timid": "careful",
    "lazy": "less involved",
    "hyperactive": "moving around a lot",
    "disobedient": "not yet following the agreement",
    "bossy": "first to take the materials",
    "selfish": "not yet sharing the materials",
    "stubborn": "keen on their own idea",
    "well-behaved": "following the agreement",
}
LABEL = re.compile(
    r"\b(?:(very|quite|rather|really|so|too|a bit|a little)\s+)?("
    + "|".join(sorted((re.escape(word) for word in LABEL_WORDS), key=len, reverse=True))
    + r")\b",
    re.IGNORECASE,
)
SWEEPING = (
    "all the children",
    "all children",
    "every child",
    "everyone",
    "everybody",
    "most children",
    "most of the children",
    "the whole class",
    "all of them",
    "percent",
)
POINTER = re.compile(r"\bnote\s*\d+|\bstep\s*\d+", re.IGNORECASE)
# Words every sentence about a class shares: they say nothing about whether a claim is in the notes.
COMMON = frozenset(
    {
        "the", "and", "was", "were", "are", "is", "for", "with", "that", "this", "they", "them", "their",
        "children", "child", "kids", "activity", "teacher", "some", "had", "has", "have", "into", "from",
        "when", "then", "but", "not", "did", "our", "its", "his", "her", "she", "him", "who", "what",
    }
)  # fmt: skip
_WORD = re.compile(r"[a-z]+(?:'[a-z]+)?")

SHORT_OF_TIME = " (Short of time: one round only; the rest continues in the activity areas.)"


def words(text: str) -> set[str]:
    """The content words of an English text, for telling a claim the notes hold from one they do not."""
    return {word for word in _WORD.findall(text.lower()) if len(word) >= 3} - COMMON


def title(plan_title: str) -> str:
    return f"Reflection: {plan_title}"


def over_time_reason(planned: int, actual: int | None) -> str:
    took = f", took {actual}" if actual is not None else ""
    return f"Over time: planned {planned} minutes{took}"


def note_reason(number: int, text: str) -> str:
    return f"Note {number}: {text}"


def over_cap_warning(minutes: int, band: str, cap_max: int) -> str:
    return (
        f"The plan's {minutes} minutes exceed the {cap_max}-minute cap for a collective activity of the "
        f"{BAND_LABELS.get(band, band).lower()}; the revision is planned for {cap_max}."
    )


def time_adjusted(total: int) -> str:
    return f"Time adjusted: the steps total {total} minutes"


CONTENT_CHANGED = "Content changed"
ONLY_TIME_CHANGED = "Only the time changed"


def suggestion_for_steps(steps: list[int]) -> str:
    named = ", ".join(str(index + 1) for index in steps)
    return f"Following this note, the revised plan changes step {named}."


SUGGESTION_WITHOUT_STEP = "Before the next activity, adjust the plan following this note."


def step_fix(reasons: str, minutes: int) -> str:
    return (
        f"[Must change] This step must differ from the original: {reasons}. Make it shorter: say less, ask less, "
        f"so the children finish it in {minutes} minutes."
    )


def objective_line(number: int, dimension: str, text: str) -> str:
    return f"{number}. [{DIMENSION_LABELS.get(dimension, dimension)}] {text}"


def step_line(number: int, phase: str, stage: str, step_title: str, minutes: int) -> str:
    return f'{number}. {PHASE_LABELS.get(phase, phase)} · {STAGE_LABELS.get(stage, stage)} "{step_title}" {minutes} minutes'


def timing_line(step: int, step_title: str, planned: int, actual: int | None, status: str) -> str:
    took = f", took {actual} minutes" if actual is not None else ""
    return f'Step {step} "{step_title}": planned {planned} minutes{took} ({STATUS_LABELS.get(status, status)})'


WORD_LABELS = {
    "一、目标达成": "1. Objectives",
    "二、幼儿表现": "2. What the children did",
    "三、时间与环节": "3. Time and steps",
    "四、调整建议": "4. Suggestions",
    "五、下次再做": "5. Next time",
    "六、教案的修改": "6. Changes to the plan",
    "环节": "Step",
    "计划": "Planned",
    "实际": "Actual",
    "情况": "Status",
    "活动反思": "Activity reflection",
    "教案没有需要修改的环节。": "No step of the plan needed a change.",
}


def say(label: str, language: str) -> str:
    return WORD_LABELS.get(label, label) if is_english(language) else label


def band_label(age_band: str) -> str:
    return BAND_LABELS.get(age_band, age_band)
