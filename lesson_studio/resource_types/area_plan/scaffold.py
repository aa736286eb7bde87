"""Structure by code for a 区域活动材料计划: the areas and their order, how many levels of challenge
and their names, the dates on which materials are put out, adjusted and replaced, how children
record at this age band, and the safety: a material the hazard table bans for the band never reaches
the model and becomes a named exclusion with its reason and, where the table gives one, what
children use instead (`for_children`).

The hazard lookup is the lesson plan's (lesson_studio.authoring.scaffold: resources/hazards.toml),
so an area plan and a lesson plan never disagree about a material.
"""

from __future__ import annotations

import datetime
from functools import cache

from pydantic import BaseModel

from lesson_studio.authoring import english as lesson_english
from lesson_studio.authoring.scaffold import GENERAL_SAFETY, Hazard, load_hazards, matched_hazards
from lesson_studio.models import LessonRequest
from lesson_studio.resource_types.area_plan import english
from lesson_studio.resource_types.area_plan.schema import (
    AREAS,
    LEVEL_NAMES,
    AreaPlanRequest,
    Exclusion,
    Material,
    ScheduleEntry,
)

# What each area is for, as the model is told it (one line, so the 1.5B model stays on the area).
AREA_FOCUS = {
    "美工区": "用多种材料画、剪、贴、做，表现自己的想法",
    "建构区": "搭建、拼插、围合，把想法搭出来",
    "科学区": "观察、猜一猜、动手试，发现材料的变化",
    "益智区": "分类、排序、拼图和简单的规则游戏",
    "阅读区": "看图书、讲故事、自制小图书",
    "角色区": "扮演生活中的角色，用替代物玩情景游戏",
    "自然角": "照料植物或小动物，观察它们的变化",
    "沙水区": "玩沙玩水：挖、运、倒、筑",
}
# Hazards an area carries whatever its materials (the water and sand notes of 沙水区).
AREA_HAZARD_WORDS = {"沙水区": ("玩沙", "玩水")}
# An open-ended material each area can always take (DOMAIN.md §3: CPS needs mainly low-structure
# materials): added by code when an area has none after the model's one rewrite. None of them is on
# the hazard table for any band.
LOW_STRUCTURE_DEFAULTS = {
    "美工区": Material(name="纸盒、纸筒等废旧材料", quantity="每区1筐", structure="低结构"),
    "建构区": Material(name="大小不同的纸箱和纸筒", quantity="每区1筐", structure="低结构"),
    "科学区": Material(name="纸杯、纸板和吸管", quantity="每区1筐", structure="低结构"),
    "益智区": Material(name="彩色大纸卡", quantity="每区1盒", structure="低结构"),
    "阅读区": Material(name="空白折页小书和彩笔", quantity="每区10本", structure="低结构"),
    "角色区": Material(name="大块布料和纸箱", quantity="每区1筐", structure="低结构"),
    "自然角": Material(name="落叶、树枝等大块自然物", quantity="每区1筐", structure="低结构"),
    "沙水区": Material(name="大小不同的塑料瓶和纸杯", quantity="每区1筐", structure="低结构"),
}
# 小班 children mostly explore one way at a time (DOMAIN.md §1.1: three-year-olds "can see only one
# possible solution"), so two levels; the older bands get three.
LEVEL_COUNT = {"小班": 2, "中班": 3, "大班": 3, "混龄": 3}
# How children fill in a record sheet at each band (DOMAIN.md rubric 9: no writing in 小班/中班),
# and never a score or a rank (rubric 12).
RECORD_HOW = {
    "小班": "贴一贴、画一画（不写字、不打分）",
    "中班": "画一画、打√（不写字、不打分、不排名）",
    "大班": "画一画、打√、用简单符号记录（不打分、不排名）",
    "混龄": "画一画、打√，大带小（不打分、不排名）",
}
SCHOOL_DAYS_PER_WEEK = 5


class AreaSlot(BaseModel):
    """One area as code decided it; the model writes its content."""

    area: str
    focus: str
    schedule: list[ScheduleEntry]


class AreaScaffold(BaseModel):
    request: AreaPlanRequest
    title: str
    start_date: datetime.date  # the first school day on or after the requested date
    areas: list[AreaSlot]
    level_names: list[str]
    record_how: str
    # The teacher's materials the model may use: the banned ones are not among them, their substitutes are.
    materials_on_hand: list[str]
    excluded_on_hand: list[Exclusion]  # the teacher's materials code took out, with the reason
    banned_words: list[str]  # a short reminder for the prompt of what this band never gets
    general_safety: str
    warnings: list[str]


# --- safety ---------------------------------------------------------------------------------------------


@cache
def _substitutes(language: str = "zh") -> frozenset[str]:
    """What the hazard table gives children instead ("LED电子蜡烛" still holds the word 蜡烛)."""
    return frozenset(hazard.text(language)[2] for hazard in load_hazards() if hazard.text(language)[2])


def hazards_of(material: str, age_band: str, language: str = "zh") -> list[tuple[Hazard, list[str]]]:
    """The hazard-table rows that apply to one material at this band (the lesson plan's lookup; in
    English whole-word matching on resources/hazards_en.toml, the Chinese words too)."""
    if not material.strip() or material.strip() in _substitutes(language):
        return []
    probe = LessonRequest(
        age_band=age_band,  # type: ignore[arg-type]
        topic=material.strip()[:200],
        materials=[material.strip()],
        language=language,  # type: ignore[arg-type]
    )
    return matched_hazards(probe, load_hazards())


def exclusion_for(material: str, age_band: str, language: str = "zh") -> Exclusion | None:
    """A material children must not handle at this band, as a named exclusion (None: it may stay)."""
    for hazard, _words in hazards_of(material, age_band, language):
        if hazard.severity == "ban":
            note, _replacement, for_children = hazard.text(language)
            return Exclusion(material=material.strip(), reason=note, substitute=for_children)
    return None


def caution_notes(materials: list[str], area: str, age_band: str, language: str = "zh") -> list[str]:
    """The table's notes for the allowed materials that need care (scissors, water, string …)."""
    notes: list[str] = []
    area_words = (english.AREA_HAZARD_WORDS if language == "en" else AREA_HAZARD_WORDS).get(area, ())
    for material in [*materials, *area_words]:
        for hazard, _words in hazards_of(material, age_band, language):
            note = hazard.text(language)[0]
            if hazard.severity != "ban" and note not in notes:
                notes.append(note)
    return notes


def exclusion_warning(exclusion: Exclusion, age_band: str, language: str = "zh") -> str:
    if language == "en":
        return english.exclusion_warning(exclusion.material, exclusion.substitute, exclusion.reason, age_band)
    instead = f"，幼儿改用{exclusion.substitute}" if exclusion.substitute else ""
    return (
        f"“{exclusion.material}”不适合{age_band}幼儿操作，已从区域材料中去掉{instead}。原因：{exclusion.reason}"
        f" / '{exclusion.material}' was taken out of the area materials: unsafe for this age band."
    )


# --- dates ----------------------------------------------------------------------------------------------


def first_school_day(day: datetime.date) -> datetime.date:
    """The day itself, or the Monday after a Saturday or Sunday."""
    while day.weekday() >= 5:
        day += datetime.timedelta(days=1)
    return day


def add_school_days(day: datetime.date, count: int) -> datetime.date:
    day = first_school_day(day)
    for _ in range(count):
        day = first_school_day(day + datetime.timedelta(days=1))
    return day


def build_schedule(
    start: datetime.date, weeks: int, level_names: list[str], language: str = "zh"
) -> list[ScheduleEntry]:
    """投放 on the first day, one 调整 per further level spread evenly over the school days, and
    更换 on the first school day after the period. Levels come out one after another so children
    meet a harder challenge only once they have played with the easier one."""
    days = SCHOOL_DAYS_PER_WEEK * weeks
    in_english = language == "en"
    first = english.put_out(level_names[0]) if in_english else f"投放{level_names[0]}的材料和低结构材料"
    entries = [ScheduleEntry(date=first_school_day(start), action="投放", what=first)]
    for index in range(1, len(level_names)):
        entries.append(
            ScheduleEntry(
                date=add_school_days(start, round(index * days / len(level_names))),
                action="调整",
                what=english.adjust(level_names[index])
                if in_english
                else f"增加{level_names[index]}的挑战；按观察补充幼儿常用的材料，撤下没人用的材料",
            )
        )
    entries.append(
        ScheduleEntry(
            date=add_school_days(start, days),
            action="更换",
            what=english.REPLACE if in_english else "按幼儿的兴趣和作品更换或撤出材料，留下常用的低结构材料",
        )
    )
    return entries


# --- the scaffold -----------------------------------------------------------------------------------------


def build_area_scaffold(request: AreaPlanRequest) -> AreaScaffold:
    """The plan's structure for the request. Pure and deterministic."""
    band, language = request.age_band, request.language
    in_english = language == "en"
    level_names = list(LEVEL_NAMES[: LEVEL_COUNT[band]])
    start = first_school_day(request.start_date)
    warnings: list[str] = []
    if start != request.start_date and in_english:
        warnings.append(english.weekend_warning(request.start_date, start))
    elif start != request.start_date:
        warnings.append(
            f"开始日期{request.start_date:%m月%d日}是周末，计划从{start:%m月%d日}（周一）开始。"
            f" / The start date is a weekend; the plan starts on Monday {start:%Y-%m-%d}."
        )
    kept: list[str] = []
    excluded: list[Exclusion] = []
    for raw in request.materials_on_hand:
        name = raw.strip()
        if not name:
            continue
        exclusion = exclusion_for(name, band, language)
        if exclusion is None:
            kept.append(name)
        else:
            excluded.append(exclusion)
            warnings.append(exclusion_warning(exclusion, band, language))
            if exclusion.substitute and exclusion.substitute not in kept:
                kept.append(exclusion.substitute)  # so the activity stays the children's
    schedule = build_schedule(start, request.weeks, level_names, language)
    ordered = [area for area in AREAS if area in request.areas]
    theme = request.theme.strip().rstrip("。")
    return AreaScaffold(
        request=request,
        title=english.title(theme) if in_english else f"{theme[:30]}·区域活动材料计划",
        start_date=start,
        areas=[
            AreaSlot(area=area, focus=(english.AREA_FOCUS if in_english else AREA_FOCUS)[area], schedule=schedule)
            for area in ordered
        ],
        level_names=level_names,
        record_how=(english.RECORD_HOW if in_english else RECORD_HOW)[band],
        materials_on_hand=kept,
        excluded_on_hand=excluded,
        banned_words=_banned_words(band, language),
        general_safety=lesson_english.GENERAL_SAFETY[band] if in_english else GENERAL_SAFETY[band].note,
        warnings=warnings,
    )


def _banned_words(age_band: str, language: str = "zh") -> list[str]:
    words: list[str] = []
    for hazard in load_hazards():
        if hazard.severity == "ban" and age_band in hazard.bands:
            keywords = hazard.keywords_en if language == "en" and hazard.keywords_en else hazard.keywords
            words.extend(word for word in keywords[:2] if word not in words)
    return words
