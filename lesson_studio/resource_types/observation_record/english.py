"""The English side of a 观察记录 asked for in English (ObservationRequest.language == "en"): what
code writes into the record (title, headings, warnings, the note about the 《指南》), the words the
checks read, the rewrite instructions and the Word labels. The record's enumerations stay data in
both languages (age band 中班, method 轶事记录法) and are translated where they are shown.
"""

from __future__ import annotations

import re

from lesson_studio.authoring.english import BAND_LABELS, BAND_SHORT, is_english

METHOD_LABELS = {"轶事记录法": "Anecdotal record", "事件取样法": "Event sampling", "时间取样法": "Time sampling"}
SECTION_TITLES = ("The record (what was seen)", "Analysis (what it shows)", "Support (how to respond)", "Next time")
NO_ACTIVITY = "none given"

# Words that judge a child instead of describing what was seen (DOMAIN.md §3), matched as whole
# words: "shy" is a label, "shyly" is not asked about; "slow" is left out (a slow pour is a fact).
LABELS = (
    "naughty",
    "shy",
    "clever",
    "smart",
    "stupid",
    "dumb",
    "lazy",
    "introverted",
    "timid",
    "hyperactive",
    "disobedient",
    "stubborn",
    "bossy",
    "selfish",
    "spoiled",
    "crybaby",
    "well-behaved",
    "good boy",
    "good girl",
    "bad boy",
    "bad girl",
)
ELEMENT_NAMES = {
    "who": "who",
    "when": "when",
    "where": "where",
    "what": "what the child did",
    "how": "how the child went about it",
    "result": "how it ended",
}
# Words that show the record tells how the child went about it, and how it ended.
HOW_WORDS = (
    "first",
    "then",
    "next",
    "after",
    "while",
    "with",
    "used",
    "put",
    "took",
    "tried",
    "changed",
    "again",
    "said",
    "asked",
    "picked",
    "moved",
    "added",
)
RESULT_WORDS = (
    "finally",
    "in the end",
    "at last",
    "eventually",
    "result",
    "succeeded",
    "managed",
    "finished",
    "completed",
    "gave up",
    "left",
    "walked away",
    "until",
    "did not manage",
    "could not",
    "worked",
    "stood",
)
WHAT_MIN_WORDS = 8  # "Lele built a bridge with blocks" is about what the Chinese check's 10 characters hold
# Counts written as words ("three times"); "one" is an article more often than a count.
NUMBER_WORDS = {
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "fifteen": 15,
    "twenty": 20,
    "thirty": 30,
    "twice": 2,
}
_NUMBER_WORD = re.compile(r"\b(" + "|".join(NUMBER_WORDS) + r")\b", re.IGNORECASE)
# An English sentence ends at . ! ? ; followed by a space — after the closing quote when one follows.
SENTENCE = re.compile(r"(?<=[.!?;\n])(?=\s)|(?<=[.!?;][\"”’])(?=\s)")

LABEL_FIX = (
    '[Must fix] Do not use words that label the child, such as "{words}": rewrite them as the behaviour '
    "that was seen (what the child did, said, and how)."
)
FACT_FIX = (
    "[Must add] Your notes say {elements}, but the record leaves it out: add it as the notes say it, "
    "and add nothing the notes do not say."
)
INVENTED_TAKEN_OUT = "What the record said beyond your notes ({words}) was taken out."
LABELS_TAKEN_OUT = "Sentences that still labelled the child were taken out."
NO_CATALOGUE = (
    "No Early Learning and Development Guidelines are imported, so the analysis quotes no line (none is made up); "
    "regenerate once a curriculum lead imports them."
)
# The 《指南》 a lead imports is Chinese: its lines cannot be matched against a record written in
# English by shared words, so an English record quotes none and says why (nothing is made up).
NOT_MATCHED_IN_ENGLISH = (
    "The Early Learning and Development Guidelines in the library are in Chinese, so an English record "
    "is not matched against their lines; none is quoted."
)

FACT_LABELS = {
    "观察对象": "Child observed",
    "班级/年龄段": "Class / age band",
    "观察日期": "Date observed",
    "观察地点": "Place or area",
    "观察者": "Observer",
    "观察方法": "Method",
    "活动名称": "Activity",
    "观察目的": "Purpose",
    "对照《指南》：": "Linked to the Guidelines:",
    "观察者：": "Observer: ",
    "观察记录": "Observation record",
}


def record_title(child: str, activity_or_place: str) -> str:
    return f"Observation record: {child} ({activity_or_place})"


def labels_warning(words: list[str]) -> str:
    return f"Your notes label the child ({', '.join(words)}); the record describes behaviour instead."


def lacking_warning(names: list[str]) -> str:
    said = ", ".join(ELEMENT_NAMES[name] for name in names)
    return f"Your notes do not say {said}; the record will not make it up — add it to your notes or to the record."


def band_label(age_band: str) -> str:
    return BAND_LABELS.get(age_band, age_band)


def band_short(age_band: str) -> str:
    return BAND_SHORT.get(age_band, age_band)


def method_label(method: str) -> str:
    return METHOD_LABELS.get(method, method)


def say(label: str, language: str) -> str:
    """A fixed label of the record in its language."""
    return FACT_LABELS.get(label, label) if is_english(language) else label


def english_numbers_in(text: str) -> set[int]:
    return {NUMBER_WORDS[word.lower()] for word in _NUMBER_WORD.findall(text)}
