"""The English side of an area plan asked for in English (AreaPlanRequest.language == "en").

What code writes into the plan (the title, what each area is for, how children record, the
schedule's lines, the fallback levels and materials, the warnings, the safety notes from
resources/hazards_en.toml) and the words the checks read, in English. The plan's enumerations stay
data in both languages (the area 美工区, the level 层次一, the structure 低结构, the schedule's 投放):
every place that shows them translates them through the label tables here.
"""

from __future__ import annotations

import datetime

from lesson_studio.authoring.english import BAND_SHORT, is_english

AREA_LABELS = {
    "美工区": "Art area",
    "建构区": "Building area",
    "科学区": "Science area",
    "益智区": "Puzzles and games area",
    "阅读区": "Reading area",
    "角色区": "Role-play area",
    "自然角": "Nature corner",
    "沙水区": "Sand and water area",
}
LEVEL_LABELS = {"层次一": "Level 1", "层次二": "Level 2", "层次三": "Level 3"}
STRUCTURE_LABELS = {"高结构": "high-structure", "低结构": "low-structure"}
# The English draft's structure values (schema.MaterialDraftEn) and the plan's data values.
STRUCTURE_VALUES = {"high": "高结构", "low": "低结构"}
ACTION_LABELS = {"投放": "Put out", "调整": "Adjust", "更换": "Replace"}

AREA_FOCUS = {
    "美工区": "drawing, cutting, sticking and making with many materials to show their own ideas",
    "建构区": "building, fitting together and enclosing spaces to build their ideas",
    "科学区": "watching, guessing and trying things out to find how materials change",
    "益智区": "sorting, ordering, puzzles and simple games with rules",
    "阅读区": "looking at books, telling stories and making little books of their own",
    "角色区": "playing roles from everyday life, with stand-in objects for props",
    "自然角": "caring for plants or small animals and watching how they change",
    "沙水区": "sand and water play: digging, carrying, pouring and building",
}
# Hazards an area carries whatever its materials (the water and sand notes of the sand and water area).
AREA_HAZARD_WORDS = {"沙水区": ("sand play", "water play")}
LOW_STRUCTURE_DEFAULTS = {
    "美工区": ("boxes, tubes and other clean recycled materials", "1 basket per area"),
    "建构区": ("cardboard boxes and tubes of different sizes", "1 basket per area"),
    "科学区": ("paper cups, card and drinking straws", "1 basket per area"),
    "益智区": ("large coloured paper cards", "1 box per area"),
    "阅读区": ("blank folded booklets and crayons", "10 booklets per area"),
    "角色区": ("large pieces of fabric and cardboard boxes", "1 basket per area"),
    "自然角": ("fallen leaves, twigs and other large natural objects", "1 basket per area"),
    "沙水区": ("plastic bottles and paper cups of different sizes", "1 basket per area"),
}
RECORD_HOW = {
    "小班": "stick on and draw (no writing, no scores)",
    "中班": "draw and tick (no writing, no scores, no ranking)",
    "大班": "draw, tick and use simple symbols (no scores, no ranking)",
    "混龄": "draw and tick, older children helping younger ones (no scores, no ranking)",
}
DEFAULT_COLUMNS = ("Date", "What I used (draw it)", "My idea (draw it)", "Did it work? (tick)")
FALLBACK_LEVELS = (
    "Play freely with the materials and say what you found out",
    "Make it with the materials in your own way",
    "Work with a friend and make another one a different way",
)
DEFAULT_QUANTITY = {"低结构": "1 basket per area", "高结构": "1 set per area"}
FIX_LINES = {
    "levels": "levels: write {count} levels from easy to hard, difficulty 1, 2, 3 in turn, each a little harder "
    "than the one before, none repeated. ",
    "no_low_structure": "materials: at least two low-structure materials (open-ended materials with many uses, such "
    'as boxes, fabric, natural objects), with structure "low". ',
    "missing_quantity": 'Give every material a quantity, e.g. "3 per group", "1 basket per area". ',
}
MUST_FIX = "[MUST FIX] "
# Words of a record sheet that scores, grades or ranks children (whole words, any case).
SCORING_WORDS = (
    "score",
    "points",
    "grade",
    "rank",
    "ranking",
    "first place",
    "winner",
    "best",
    "fastest",
    "excellent",
    "pass or fail",
    "right or wrong",
    "correct",
)


def area_label(area: str, language: str) -> str:
    return AREA_LABELS.get(area, area) if is_english(language) else area


def title(theme: str) -> str:
    return f"{theme[:60]}: area materials plan"


def weekend_warning(requested: datetime.date, start: datetime.date) -> str:
    return f"The start date {requested:%d %B} is a weekend; the plan starts on Monday {start:%d %B %Y}."


def exclusion_warning(material: str, substitute: str, reason: str, age_band: str) -> str:
    instead = f"; children use {substitute} instead" if substitute else ""
    return (
        f"'{material}' is not for the {BAND_SHORT[age_band].lower()} to handle and was taken out of the area "
        f"materials{instead}. Why: {reason}"
    )


def put_out(level: str) -> str:
    return f"Put out the materials for {LEVEL_LABELS[level]} and the low-structure materials"


def adjust(level: str) -> str:
    return (
        f"Add the {LEVEL_LABELS[level]} challenge; top up the materials children use most and take away "
        "those nobody uses"
    )


REPLACE = "Replace or remove materials by the children's interests and work; keep the low-structure materials they use"


def unsafe_instruction(parts: list[tuple[str, str, str]], age_band: str) -> str:
    """(material, reason, substitute) each: the rewrite's instruction for materials the band must not get."""
    lines = []
    for material, reason, substitute in parts:
        instead = f"; use {substitute} instead" if substitute else ""
        lines.append(f'"{material}" must not be put out for the {BAND_SHORT[age_band].lower()} ({reason}){instead}')
    return MUST_FIX + "; ".join(lines) + ". List only safe materials under materials."


# The Word file's fixed labels (export.py).
EXPORT_LABELS = {
    "区域活动材料计划": "Area materials plan",
    "主题：": "Theme: ",
    "不投放的现有材料：": "Materials on hand not put out: ",
    "安全提示：": "Safety notes: ",
    "区域目标：": "Goal: ",
    "材料投放：": "Materials: ",
    "挑战层次：": "Levels of challenge: ",
    "记录表：": "Record sheet: ",
    "观察要点：": "What to observe: ",
    "投放与更换：": "Putting out and replacing: ",
    "不投放：": "Not put out: ",
    "安全：": "Safety: ",
    "材料": "Material",
    "数量": "Quantity",
    "结构": "Structure",
    "日期": "Date",
    "安排": "Action",
    "内容": "What",
}
