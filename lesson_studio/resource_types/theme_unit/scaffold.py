"""Structure by code for a 主题活动: the weeks and their place on the CPS path, the activity slots
of each week (kind, stage, domain, minutes), and the teacher's materials with the unsafe ones taken off.

- The CPS path 发现烦恼 -> 想办法 -> 做出来 -> 展示/用起来 (DOMAIN.md §3) is spread over the weeks by
  STAGE_SPREAD: week 1 always starts at 发现烦恼 and the last week always ends at 展示/用起来.
- Each week has one 集体活动 per stage it covers (at least two), then one 区域活动, one 户外活动 and
  one 生活活动: the four kinds of DOMAIN.md §3.
- Domains are handed out so that every one of the five appears in the unit, the teacher's emphasised
  domains first (健康 for outdoor play and 社会 for daily-life routines, where they naturally belong).
- A collective activity lasts the middle of the band's cap (lesson plan's BAND_RULES, DOMAIN.md §2.1).
"""

from __future__ import annotations

import datetime
import re

from pydantic import BaseModel

from lesson_studio.authoring.scaffold import BAND_RULES, english_words_in, load_hazards
from lesson_studio.resource_types.theme_unit import english
from lesson_studio.resource_types.theme_unit.schema import (
    COLLECTIVE,
    UNIT_STAGES,
    ActivityKind,
    ThemeUnitRequest,
    UnitStage,
)

# Which stages (indexes into UNIT_STAGES) each week covers, by the unit's length in weeks. Making
# takes longest, so a three-week unit gives 做出来 a week of its own.
STAGE_SPREAD: dict[int, tuple[tuple[int, ...], ...]] = {
    1: ((0, 1, 2, 3),),
    2: ((0, 1), (2, 3)),
    3: ((0, 1), (2,), (3,)),
    4: ((0,), (1,), (2,), (3,)),
}
MIN_COLLECTIVE_PER_WEEK = 2
# The kinds that follow a week's collective activities, with the domain each naturally belongs to
# (None: the next domain in the unit's order, like a collective activity).
OTHER_KINDS: tuple[tuple[ActivityKind, str | None], ...] = (
    ("区域活动", None),
    ("户外活动", "健康"),
    ("生活活动", "社会"),
)
# Domains in the order they are handed to collective and area activities when none is emphasised.
DOMAIN_ORDER = ("科学", "语言", "艺术", "社会", "健康")

# What each stage asks of children, for the prompts and for code's repair of an activity the model
# left without one.
STAGE_GUIDANCE: dict[str, str] = {
    "发现烦恼": "观察、找一找、说一说遇到的麻烦，把烦恼说成“我们怎样才能……？”",
    "想办法": "说、画、摆出很多办法，不说“不行”，借别人的点子变一变",
    "做出来": "动手做一做、试一试，做不好就改一改再试",
    "展示/用起来": "展示和介绍做出的东西，用起来，邀请别人来试",
}


class ActivitySlot(BaseModel):
    key: str
    kind: ActivityKind
    stage: UnitStage
    domain: str
    minutes: int | None = None


class WeekSlot(BaseModel):
    number: int
    stages: list[UnitStage]
    dates: str = ""
    slots: list[ActivitySlot]


class UnsafeMaterial(BaseModel):
    name: str
    reason: str


class UnitScaffold(BaseModel):
    request: ThemeUnitRequest
    weeks: list[WeekSlot]
    collective_minutes: int
    cap_min: int
    cap_max: int
    materials: list[str]  # the teacher's materials that children may handle in this band
    removed: list[UnsafeMaterial]
    warnings: list[str]


def stages_by_week(weeks: int) -> list[list[UnitStage]]:
    return [[UNIT_STAGES[index] for index in week] for week in STAGE_SPREAD[weeks]]


def domain_order(emphasised: list[str]) -> list[str]:
    return [*dict.fromkeys([*emphasised, *DOMAIN_ORDER])]


def week_dates(start_date: str, weeks: int, language: str = "zh") -> list[str]:
    """ "12月7日—12月11日" ("7–11 December" in English) per week (Monday to Friday of the start's
    week on), or blanks when the start date is not a date code can read."""
    start = parse_date(start_date)
    if start is None:
        return [""] * weeks
    monday = start - datetime.timedelta(days=start.weekday())
    spans = []
    for week in range(weeks):
        first = max(start, monday + datetime.timedelta(weeks=week))
        last = monday + datetime.timedelta(weeks=week, days=4)
        if language == "en":
            spans.append(english.week_span(first, last))
        else:
            spans.append(f"{first.month}月{first.day}日—{last.month}月{last.day}日")
    return spans


# How a teacher writing in English may give the start date ("7 December 2026", "December 7, 2026").
ENGLISH_DATE_FORMATS = ("%d %B %Y", "%d %b %Y", "%B %d %Y", "%b %d %Y", "%B %d, %Y", "%b %d, %Y")


def parse_date(text: str) -> datetime.date | None:
    match = re.fullmatch(r"\s*(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?\s*", text or "")
    if not match:
        for pattern in ENGLISH_DATE_FORMATS:
            try:
                return datetime.datetime.strptime(" ".join((text or "").split()), pattern).date()
            except ValueError:
                continue
        return None
    try:
        return datetime.date(*(int(part) for part in match.groups()))
    except ValueError:
        return None


def unsafe_material_reason(name: str, age_band: str, language: str = "zh") -> str | None:
    """Why children of this band must not handle a material (the hazard table's 'ban' rows); in
    English the English keywords as whole words (resources/hazards_en.toml), the Chinese ones too."""
    for hazard in load_hazards():
        if hazard.severity != "ban" or age_band not in hazard.bands:
            continue
        named = any(word in name for word in hazard.keywords)
        if language == "en":
            named = named or bool(english_words_in(name, hazard.keywords_en))
        if named:
            return hazard.text(language)[0]
    return None


def build_unit_scaffold(request: ThemeUnitRequest) -> UnitScaffold:
    """The unit's structure for the request. Pure and deterministic."""
    rules = BAND_RULES[request.age_band]
    minutes = (rules.cap_min + rules.cap_max) // 2
    domains = domain_order(list(request.domains))
    next_domain = 0
    weeks: list[WeekSlot] = []
    dates_by_week = week_dates(request.start_date, request.weeks, request.language)
    for number, (stages, dates) in enumerate(zip(stages_by_week(request.weeks), dates_by_week, strict=True), start=1):
        collective = [stages[i % len(stages)] for i in range(max(MIN_COLLECTIVE_PER_WEEK, len(stages)))]
        slots: list[ActivitySlot] = []
        for stage in collective:
            slots.append(
                ActivitySlot(
                    key=f"w{number}-a{len(slots) + 1}",
                    kind=COLLECTIVE,
                    stage=stage,
                    domain=domains[next_domain % len(domains)],
                    minutes=minutes,
                )
            )
            next_domain += 1
        for kind, natural in OTHER_KINDS:
            domain = natural or domains[next_domain % len(domains)]
            next_domain += natural is None
            slots.append(ActivitySlot(key=f"w{number}-a{len(slots) + 1}", kind=kind, stage=stages[-1], domain=domain))
        weeks.append(WeekSlot(number=number, stages=stages, dates=dates, slots=slots))
    kept: list[str] = []
    removed: list[UnsafeMaterial] = []
    for raw in request.materials:
        name = raw.strip()
        if not name:
            continue
        reason = unsafe_material_reason(name, request.age_band, request.language)
        if reason is None:
            kept.append(name[: 90 if request.language == "en" else 30])
        else:
            removed.append(UnsafeMaterial(name=name, reason=reason))
    if request.language == "en":
        warnings = [english.removed_warning(item.name, item.reason, request.age_band) for item in removed]
    else:
        warnings = [
            f"“{item.name}”不适合{request.age_band}幼儿操作，已从主题材料中去掉。原因：{item.reason}"
            f" / '{item.name}' was taken off the unit's materials: unsafe for this age band."
            for item in removed
        ]
    return UnitScaffold(
        request=request,
        weeks=weeks,
        collective_minutes=minutes,
        cap_min=rules.cap_min,
        cap_max=rules.cap_max,
        materials=kept,
        removed=removed,
        warnings=warnings,
    )
