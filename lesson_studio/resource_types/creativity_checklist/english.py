"""The English side of a 创造力观察清单 asked for in English (ChecklistRequest.language == "en"):
the lenses' names, meanings and fallback look-fors, the principle, the band notes, the words the
checks read, the rewrite instructions and the Word labels. The marks (未观察到 / 偶尔 / 经常) and the
items' ids are data in both languages and are translated where they are shown.
"""

from __future__ import annotations

import re

from lesson_studio.authoring.english import BAND_LABELS, is_english

MARK_LABELS = {"未观察到": "Not observed", "偶尔": "Sometimes", "经常": "Often"}

# id -> (name, meaning, fallback look-for), the same lenses as scaffold.DIMENSIONS and DISPOSITIONS.
LENSES = {
    "fluency": ("Fluency", "how many ideas", "Says or makes three or more ways to solve the same problem"),
    "flexibility": (
        "Flexibility",
        "whether the ideas come from different ways of thinking",
        "Tries two or more different kinds of idea, and switches when one does not work",
    ),
    "originality": (
        "Originality",
        "an idea unlike the other children's",
        "Comes up with an idea no other child in the class used",
    ),
    "elaboration": (
        "Elaboration",
        "adding details to an idea and improving it",
        "Adds details to their work or idea, or changes it to make it better",
    ),
    "asks_questions": (
        "Asks questions",
        "curious, willing to explore",
        'Asks "why" or "what if", or asks about something they want to find out',
    ),
    "unusual_use": (
        "New uses of materials",
        "enjoys imagining and creating",
        "Uses a material in a way it is not usually used",
    ),
    "builds_on_peer": (
        "Builds on a friend's idea",
        "active, enjoys working together",
        "Adds to or changes a friend's idea to make a new one",
    ),
    "persists": ("Keeps going", "not afraid of difficulty", "Tries again with a new idea after something fails"),
    "explains_choice": ("Gives reasons", "focused and careful", "Says why they chose this idea"),
    "tries_again": (
        "Tests and improves",
        "willing to explore and try",
        "After testing, finds a problem, changes it and tries again",
    ),
}
DISPOSITION_PREFIX = "Learning disposition: "
BAND_NOTES = {
    "小班": "Younger children (3–4) show ideas mostly with actions and by handling materials; two or three ideas "
    "is plenty, and they need not explain or record them.",
    "中班": "Middle-class children (4–5) can think of several ideas, record them as drawings, and begin to listen "
    "to a friend's idea.",
    "大班": "Older children (5–6) can think of many ideas, improve on a friend's idea and give reasons for a choice.",
    "混龄": "In a mixed-age class younger children show ideas with actions and older ones explain them in words "
    "and drawings; both count.",
}
PRINCIPLE = (
    "Record only what you see: tick one box for each item (not observed, sometimes, often) and write one "
    "sentence of what you saw. This checklist is for noticing and supporting each child, never for comparing children."
)

# Words that score or rank a child, matched as whole words (plurals too).
SCORE_WORDS = (
    "score",
    "scored",
    "scoring",
    "points",
    "total",
    "rank",
    "ranked",
    "ranking",
    "grade",
    "graded",
    "average",
    "rating",
    "rated",
    "marks out of",
    "first place",
    "second place",
    "third place",
    "last place",
    "top of the class",
    "best in the class",
    "winner",
    "stars",
)
# "3 points", "8/10", "1st", "2nd place": a number of points or a place.
_POINTS = re.compile(r"\b\d+(?:\.\d+)?\s*(?:points?|pts|marks)\b|\b\d+\s*/\s*\d+\b|\b\d+(?:st|nd|rd|th)\b", re.I)
LABEL_WORDS = (
    "naughty",
    "clever",
    "smart",
    "stupid",
    "dumb",
    "lazy",
    "shy",
    "timid",
    "introverted",
    "hyperactive",
    "disobedient",
    "bossy",
    "crybaby",
    "selfish",
    "rude",
    "careless",
    "sloppy",
    "good boy",
    "good girl",
    "bad boy",
    "bad girl",
    "well-behaved",
)
# Look-fors that say a judgement, not something a teacher can see happen.
VAGUE_WORDS = (
    "good ideas",
    "is creative",
    "very creative",
    "creative thinking",
    "imaginative",
    "has imagination",
    "active thinking",
    "flexible thinking",
    "does well",
    "performs well",
    "great job",
    "ability",
    "abilities",
    "develops",
    "fosters",
)
# A look-for names something a child does (the forms a look-for is written in).
ACTION_WORDS = (
    "say", "says", "tell", "tells", "ask", "asks", "answer", "answers", "suggest", "suggests", "come up with",
    "comes up with", "think of", "thinks of", "make", "makes", "build", "builds", "draw", "draws", "cut", "cuts",
    "stick", "sticks", "fold", "folds", "try", "tries", "change", "changes", "swap", "swaps", "add", "adds",
    "use", "uses", "find", "finds", "choose", "chooses", "pick", "picks", "compare", "compares", "combine",
    "combines", "join", "joins", "show", "shows", "explain", "explains", "record", "records", "keep", "keeps",
    "give up", "gives up", "borrow", "borrows", "take apart", "takes apart", "move", "moves", "arrange",
    "arranges", "sort", "sorts", "act", "acts", "copy", "copies", "test", "tests", "improve", "improves",
    "fix", "fixes", "put", "puts", "invent", "invents", "turn", "turns", "switch", "switches", "point", "points",
)  # fmt: skip
SENTENCE = re.compile(r"(?<=[.!?;])(?=\s)")

INSTRUCTIONS = {
    "score": "Never score, grade, rank, total or average (no score, points, rank, first place, grade, average): "
    "write only behaviour that can be seen.",
    "label": "Never label a child (naughty, clever, shy …): write what the child did or said.",
    "not_observable": 'Every look-for names something a child does or says (such as "Says two or more different '
    'ways to solve the same problem"), never a judgement such as "has good ideas" or "is creative".',
}
MUST_FIX = "[Must fix] {instruction} (last time: {words})"
DROPPED = "{name}: {count} look-for(s) that scored, labelled or could not be observed were dropped."

WORD_LABELS = {
    "观察维度": "Lens",
    "观察要点": "Look-fors",
    "未观察到 / 偶尔 / 经常": "Not observed / Sometimes / Often",
    "事实记录（一句话）": "What I saw (one sentence)",
    "班级": "Class",
    "年龄段": "Age band",
    "日期": "Date",
    "教师": "Teacher",
    "活动：": "Activity: ",
    "怎样用：": "How to use it: ",
    "怎样观察": "How to observe",
    "幼儿：": "Child: ",
    "幼儿观察记录": "Child observation record",
}


def title(activity: str) -> str:
    return f"Creativity observation checklist: {activity}"


def band_label(age_band: str) -> str:
    return BAND_LABELS.get(age_band, age_band)


def say(label: str, language: str) -> str:
    """A fixed label of the checklist in its language."""
    return WORD_LABELS.get(label, label) if is_english(language) else label


def points_in(text: str) -> list[str]:
    return _POINTS.findall(text)
