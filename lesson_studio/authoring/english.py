"""The English side of a lesson plan asked for in English (LessonRequest.language == "en").

A request written in English gets English throughout: the prompts (prompts/en/), what code writes
into the plan (the band's rules, the stage guidance, the safety notes from resources/hazards_en.toml,
the brainstorming rules, the support and challenge), the word lists the checks and the rubric look
for, and the labels of the page and the Word file. The plan's structured values stay the same
enumerations in both languages (phase 导入, stage 想办法, dimension 认知, for_whom 幼儿): they are
data, and every place that shows them translates them through the label tables below.
"""

from __future__ import annotations

from lesson_studio.models import LessonPlan

ENGLISH = "en"

BAND_LABELS = {
    "小班": "Younger class (3–4)",
    "中班": "Middle class (4–5)",
    "大班": "Older class (5–6)",
    "混龄": "Mixed-age",
}
# Short forms for a title ("Middle class Science: …").
BAND_SHORT = {"小班": "Younger class", "中班": "Middle class", "大班": "Older class", "混龄": "Mixed-age"}
DOMAIN_LABELS = {"健康": "Health", "语言": "Language", "社会": "Social", "科学": "Science", "艺术": "Art"}
PHASE_LABELS = {"导入": "Opening", "展开": "Main activity", "结束": "Closing"}
STAGE_LABELS = {
    "发现问题": "Find the problem",
    "想办法": "Think of ideas",
    "选办法": "Choose an idea",
    "试一试改一改": "Try it and improve it",
    "分享": "Share",
}
DIMENSION_LABELS = {"认知": "Knowledge", "能力": "Skills", "情感": "Attitudes"}
FOR_WHOM_LABELS = {"教师": "teacher", "幼儿": "children"}


def is_english(language: str) -> bool:
    return language == ENGLISH


def label(table: dict[str, str], value: str, language: str) -> str:
    """An enumeration value as the plan's language shows it."""
    return table.get(value, value) if is_english(language) else value


def plan_language(plan: LessonPlan) -> str:
    return plan.language


# --- structure by code (authoring.scaffold.BandRules in English) ---

GROUP_SIZE = {
    "小班": "on their own or in pairs",
    "中班": "groups of 2–4",
    "大班": "groups of 4–6",
    "混龄": "mixed-age pairs or groups of 2–4, older children helping younger ones",
}
IDEA_GOAL = {
    "小班": "2–3 ideas, shown mostly with actions and by handling the materials",
    "中班": "many ideas, recorded as drawings",
    "大班": "lots of ideas, and changing a friend's idea into a new one",
    "混龄": "an idea from everyone: younger children show it, older children say it and draw it",
}
BRAINSTORM_RULES = {
    "小班": ("Any idea is welcome, say it or show it", 'Nobody says "that won\'t work"'),
    "中班": ('Nobody says "that won\'t work"', "The more ideas the better", "Funny ideas are welcome too"),
    "大班": (
        'Nobody says "that won\'t work"',
        "The more ideas the better",
        "Funny ideas are welcome too",
        "You can change a friend's idea into a new one",
    ),
    "混龄": ('Nobody says "that won\'t work"', "The more ideas the better", "Funny ideas are welcome too"),
}
TIERS = {
    "小班": "Support and challenge: a child who gets stuck gets a half-made piece or a helping hand; "
    "a child who finishes early is challenged to try another way.",
    "中班": "Support and challenge: a child who gets stuck gets a hint card or help from a friend nearby; "
    "a child who finishes early is challenged to make it steadier, or to make another one with a different material.",
    "大班": "Support and challenge: a group that gets stuck gets a hint card or a half-made piece, and a group that "
    "managed helps as little teachers; a group that finishes early gets a bigger challenge (higher, steadier, or fewer materials).",
    "混龄": "Support and challenge: older children help younger ones who get stuck; "
    "a child who finishes early is challenged to make another one with a different material.",
}
BANS = {
    "小班": (
        "no written records, charts or counting tables",
        "no formal predictions written down",
        "no group competitions and no division of work by group",
        "no reading scales on measuring cups or rulers",
        "scissors cut straight lines only",
    ),
    "中班": ("records may be drawings or symbols, never writing", "choosing an idea is a simple vote"),
    "大班": ("simple charts, plans and votes are fine; no written homework or copying",),
    "混龄": (
        "records are mostly drawings, no writing required",
        "watch younger children for small parts they might swallow",
    ),
}
NO_DRILLS_BAN = "no primary-school written exercises: everything happens through play and hands-on work"

STAGE_GUIDANCE = {
    "发现问题": 'Present a real small problem with a scene, a story or real objects; ask "What do you see?" '
    'and turn the problem into "How might we …?"',
    "想办法": "First agree on the idea rules in the children's words, then invite as many ideas as possible, "
    'said, drawn or made; keep asking "What else?"; write every idea down without judging it',
    "选办法": "Give criteria children can use (Is it safe? Can we do it? Does it solve the problem?); vote with "
    "stickers or say what is good, what worries us and how to improve it",
    "试一试改一改": 'Hand out the materials only after the ideas; the teacher never shows "the right answer"; '
    "a failed try is information, so encourage trying again and improving",
    "分享": "Sit in a circle and share: what we made, how we changed it, who could use it and when; lead into the extension",
}

GENERAL_SAFETY = {
    "小班": "Check every material for sharp corners and small loose parts before the activity; remind children "
    "not to put materials in their mouth, nose or ears; the teacher supervises throughout.",
    "中班": "Check that materials are intact and have no sharp corners; keep children spaced while they work; "
    "the teacher moves between the groups.",
    "大班": "Agree with the children on rules for using the materials safely before starting; keep children "
    "spaced while they work; the teacher moves between the groups.",
    "混龄": "Younger children must not put materials in their mouth, nose or ears; the teacher supervises "
    "throughout while older children help younger ones.",
}
ALL_MATERIALS = "all materials"


def over_cap_warning(band: str, cap_max: int, minutes: int) -> str:
    return (
        f"A collective activity for the {BAND_SHORT[band].lower()} usually lasts at most {cap_max} minutes; you set "
        f"{minutes}. Consider two shorter activities, or plan quiet and active parts with a rest."
    )


def under_cap_warning(band: str, cap_min: int, cap_max: int, minutes: int) -> str:
    return (
        f"A collective activity for the {BAND_SHORT[band].lower()} usually lasts {cap_min}–{cap_max} minutes; "
        f"{minutes} minutes is short, so the steps will be brisk."
    )


SHORT_ACTIVITY_WARNING = 'Under 10 minutes: only "Think of ideas" and "Try it and improve it" are kept.'


def banned_material_warning(named: str, replacement: str, note: str) -> str:
    instead = f"; use {replacement} instead" if replacement else ""
    return f'"{named}" is not for children to handle: the teacher handles it, or it is left out{instead}. Why: {note}'


def drills_warning(words: list[str]) -> str:
    return (
        f"{', '.join(words)} in the request is primary-school drill work, which the Early Learning and Development "
        "Guidelines advise against for ages 3–6: this plan turns the same content into play and hands-on problem solving."
    )


# Drills a teacher may name in English, and what the model is told instead (see scaffold.PLAY_INSTEAD).
PLAY_INSTEAD = {
    "column addition": "adding",
    "vertical addition": "adding",
    "phonics worksheet": "sound games",
    "phonics drill": "sound games",
    "pinyin": "sound games",
    "flashcards": "picture cards",
    "flash cards": "picture cards",
    "copying": "drawing",
    "handwriting practice": "drawing",
    "handwriting": "drawing",
    "worksheet": "play record card",
    "workbook": "play record card",
    "homework": "play at home",
    "dictation": "listening games",
    "mental arithmetic": "counting",
    "test paper": "play record card",
    "spelling test": "word games",
}

# --- code's rules and the checks, in English ---

RULES_LEAD = "Our rules for ideas: "
TEACHER_DEMONSTRATES = "The teacher demonstrates with {materials} while the children watch and suggest what to try."
CHILDREN_SUGGEST = "The children watch the teacher and suggest ideas; they do not touch {materials}."
TITLE_CHARS = 80
OBJECTIVE_CHARS = 120

# The rubric's and the checks' word lists (authoring.rubric, scaffold.has_tiers): lower-case, matched in lower-cased text.
SUPPORT_WORDS = ("hint card", "half-made", "friend", "help", "support", "one-to-one")
CHALLENGE_WORDS = (
    "challenge",
    "finishes early",
    "finish early",
    "harder",
    "try again",
    "next level",
    "fewer materials",
)
OPEN_MARKERS = ("how", "what if", "what else", "why", "what is different", "which", "what", "where", "who")
FLUENCY = ("what else", "another way", "other ways", "any other", "more ideas")
ORIGINALITY = ("different", "new way", "change", "what if", "improve", "better")
OBSERVABLE_VERBS = (
    "say",
    "name",
    "find",
    "try",
    "use",
    "make",
    "build",
    "draw",
    "show",
    "design",
    "choose",
    "tell",
    "explain",
    "describe",
    "can ",
)
CHOICE_WORDS = ("choose", "pick", "decide", "their own", "on their own", "own idea")
HANDING_OUT = ("hand out the materials", "give out the materials", "distribute the materials", "each child gets")
RANKING = ("score", "rank", "grade", "who is the smartest", "who is best", "points", "winner")
BAND_BANNED_WORDS = {
    "小班": ("record sheet", "chart", "tally", "prediction sheet", "competition", "measuring cup", "ruler"),
    "中班": ("write the word", "copy the", "spelling"),
    "大班": ("homework", "copy out", "worksheet"),
    "混龄": ("write the word", "copy the"),
}
SCHOOLIFICATION_WORDS = tuple(PLAY_INSTEAD) + ("tracing", "grid paper")
CHILD_ACTORS = ("children", "child", "kids", "each group", "every group", "you ", "your ", "let's", "we ")
TEACHER_ACTORS = ("teacher", "adult", "parent", "grown-up")
HANDLING_VERBS = (
    "light",
    "lights",
    "lighting",
    "hold",
    "holds",
    "holding",
    "use",
    "uses",
    "using",
    "cut",
    "cuts",
    "cutting",
    "touch",
    "touches",
    "touching",
    "blow",
    "blows",
    "blowing",
    "pour",
    "pours",
    "pouring",
    "put",
    "puts",
    "putting",
    "pick up",
    "picks up",
    "handle",
    "handles",
    "handling",
    "try",
    "tries",
    "trying",
    "play with",
    "plays with",
    "swallow",
    "taste",
    "tastes",
    "tasting",
    "heat",
    "heats",
    "heating",
    "strike",
    "strikes",
    "striking",
)
