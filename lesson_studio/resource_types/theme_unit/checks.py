"""Code's rules and the automated checks for a 主题活动, each check with its repair (table-driven: CHECKS).

- domain_missing    a domain with no activity in the whole unit (DOMAIN.md §3: goals across the five)
- stage_mismatch    a week whose activities do not do what its place on the CPS path asks
- schoolification   小学化 in an activity or the prose (拼音, 写字, 竖式, 作业单 …; the lesson plan's drill table)
- unsafe_material   a material the hazard table bans for the band, named in an activity
- no_children_do    an activity that does not say what the children do

Repairs: by code where code can do it exactly (a drill becomes its play-based counterpart, a banned
material its safer replacement, a missing domain is given to an activity of the most repeated
one); a week whose activities miss its stage or leave out what children do is written once more by
the model with the problem named, and if it still does, code writes the stage's own line.
"""

from __future__ import annotations

import re
import time
from collections import Counter
from collections.abc import Callable

from lesson_studio.authoring.content_checks import CheckReport, Defect
from lesson_studio.authoring.scaffold import SCHOOLIFICATION_WORDS, english_words_in, load_hazards, play_based
from lesson_studio.models import DOMAINS
from lesson_studio.resource_types.theme_unit import english
from lesson_studio.resource_types.theme_unit.scaffold import STAGE_GUIDANCE, UnitScaffold
from lesson_studio.resource_types.theme_unit.schema import (
    COLLECTIVE,
    UNIT_STAGES,
    DomainGoal,
    ThemeUnit,
    UnitActivity,
    UnitWeek,
    WebBranch,
)

TITLE_CHARS = 40
CHILDREN_DO_CHARS = 160
MIN_CHILDREN_DO = 4  # characters: "玩一玩" is not yet a line about what children do

# Words that show an activity does what its stage on the CPS path asks (any one is enough).
STAGE_WORDS: dict[str, tuple[str, ...]] = {
    "发现烦恼": ("发现", "烦恼", "麻烦", "问题", "观察", "找一找", "调查", "为什么", "怎么办"),
    "想办法": ("办法", "点子", "想一想", "设计", "计划", "画出", "出主意"),
    "做出来": ("做", "搭", "制作", "试", "改", "动手"),
    "展示/用起来": ("展示", "分享", "介绍", "展览", "用起来", "使用", "邀请", "发布"),
}
# Code's opening for an activity that misses its stage: it names what the stage asks.
STAGE_OPENING: dict[str, str] = {
    "发现烦恼": "先观察、说说发现的麻烦",
    "想办法": "一起想办法、出主意",
    "做出来": "动手做一做、试一试",
    "展示/用起来": "展示、分享做出的东西",
}
# 小学化 words beyond the lesson plan's drill table (authoring.scaffold.PLAY_INSTEAD), which code
# applies first; each with what children do instead.
MORE_DRILLS: dict[str, str] = {"写字": "画一画", "生字": "图画", "作业": "游戏", "算式": "数一数"}
DRILL_WORDS: tuple[str, ...] = (*SCHOOLIFICATION_WORDS, *MORE_DRILLS)
PROSE_LABELS = {
    "source_and_value": "主题来源与价值",
    "environment": "环境创设",
    "family": "家园共育",
    "evaluation": "评价",
}
DOMAIN_EN = {"健康": "health", "语言": "language", "社会": "social", "科学": "science", "艺术": "art"}
# The bounds of a unit written in English (about three times the characters of the Chinese).
TITLE_CHARS_EN = 120
CHILDREN_DO_CHARS_EN = 480


def in_english(unit: ThemeUnit) -> bool:
    return unit.language == "en"


def _limits(language: str) -> tuple[int, int]:
    """(title, children_do) characters kept, in the unit's language."""
    return (TITLE_CHARS_EN, CHILDREN_DO_CHARS_EN) if language == "en" else (TITLE_CHARS, CHILDREN_DO_CHARS)


def apply_unit_rules(unit: ThemeUnit, scaffold: UnitScaffold) -> ThemeUnit:
    """Code has the last word: the request's facts, the materials, and every week's stages and
    activity slots (kind, stage, minutes within the band's cap) are the scaffold's, whatever the
    model or an edit wrote. An activity keeps its words and its domain; one the scaffold has and
    the document lacks comes back empty (the checks then ask for it)."""
    request = scaffold.request
    title_chars, children_do_chars = _limits(request.language)
    by_key = {activity.key: activity for activity in unit.activities()}
    focus = {week.number: week.focus for week in unit.weeks}
    weeks = []
    for slot_week in scaffold.weeks:
        activities = []
        for slot in slot_week.slots:
            written = by_key.get(slot.key)
            minutes = None
            if slot.kind == COLLECTIVE:
                asked = (written.minutes if written else None) or slot.minutes or scaffold.cap_min
                minutes = min(max(asked, scaffold.cap_min), scaffold.cap_max)  # within the band's cap
            activities.append(
                UnitActivity(
                    key=slot.key,
                    kind=slot.kind,
                    stage=slot.stage,
                    domain=written.domain if written else slot.domain,  # type: ignore[arg-type]
                    title=(written.title if written else "")[:title_chars],
                    children_do=(written.children_do if written else "")[:children_do_chars],
                    minutes=minutes,
                )
            )
        weeks.append(
            UnitWeek(
                number=slot_week.number,
                stages=list(slot_week.stages),
                dates=slot_week.dates,
                focus=focus.get(slot_week.number, ""),
                activities=activities,
            )
        )
    goals = {goal.domain: goal.text for goal in unit.goals}
    web = {branch.stage: branch.questions for branch in unit.question_web}
    return unit.model_copy(
        update={
            "title": unit.title[:title_chars],
            "language": request.language,
            "age_band": request.age_band,
            "class_name": request.class_name,
            "teacher": request.teacher,
            "start_date": request.start_date,
            "theme": request.theme,
            "problem": request.problem,
            "goals": [DomainGoal(domain=domain, text=goals[domain]) for domain in DOMAINS if domain in goals],  # type: ignore[arg-type]
            "question_web": [WebBranch(stage=stage, questions=list(web.get(stage, []))) for stage in UNIT_STAGES],
            "weeks": weeks,
            "materials": list(scaffold.materials),
            "warnings": list(scaffold.warnings),
        }
    )


# --- the checks ---------------------------------------------------------------------------------


def activity_text(activity: UnitActivity) -> str:
    return f"{activity.title} {activity.children_do}"


def missing_domains(unit: ThemeUnit, scaffold: UnitScaffold) -> list[Defect]:
    used = {activity.domain for activity in unit.activities()}
    return [
        Defect(
            "domain_missing",
            "unit",
            "domains",
            f"整个主题没有{domain}领域的活动 / no activity in the {DOMAIN_EN[domain]} domain",
            (domain,),
        )
        for domain in DOMAINS
        if domain not in used
    ]


def stage_mismatches(unit: ThemeUnit, scaffold: UnitScaffold) -> list[Defect]:
    defects = []
    for week in unit.weeks:
        for stage in week.stages:
            texts = [activity_text(a) for a in week.activities if a.stage == stage]
            if in_english(unit):
                found = any(english_words_in(text, english.STAGE_WORDS[stage]) for text in texts)
            else:
                found = any(word in text for text in texts for word in STAGE_WORDS[stage])
            if not found:
                defects.append(
                    Defect(
                        "stage_mismatch",
                        f"week:{week.number}",
                        stage,
                        f"第{week.number}周的活动没有体现“{stage}” / week {week.number}'s activities do not follow"
                        f" its CPS stage ({stage})",
                        (stage,),
                    )
                )
    return defects


def drills_in(text: str, language: str = "zh") -> list[str]:
    if language == "en":
        return english_words_in(text, english.DRILL_WORDS)
    return [word for word in DRILL_WORDS if word in text]


def schoolification(unit: ThemeUnit, scaffold: UnitScaffold) -> list[Defect]:
    in_activities = [
        Defect(
            "schoolification",
            f"week:{week.number}",
            activity.key,
            f"“{activity.title}”有小学化内容：{'、'.join(words)} / primary-school drill in an activity",
            tuple(words),
        )
        for week in unit.weeks
        for activity in week.activities
        if (words := drills_in(activity_text(activity), unit.language))
    ]
    in_prose = [
        Defect(
            "schoolification",
            "unit",
            name,
            f"“{PROSE_LABELS[name]}”有小学化内容：{'、'.join(words)} / primary-school drill in {name}",
            tuple(words),
        )
        for name in PROSE_LABELS
        if (words := drills_in(getattr(unit, name), unit.language))
    ]
    return in_activities + in_prose


def banned_materials(text: str, age_band: str, language: str = "zh") -> list[tuple[str, str]]:
    """(word, safer replacement) for each material the hazard table bans for the band."""
    if language == "en":
        return _banned_materials_en(text, age_band)
    found = []
    for hazard in load_hazards():
        if hazard.severity != "ban" or age_band not in hazard.bands:
            continue
        safer = hazard.for_children or hazard.replacement.replace("；", "，").split("，")[0] or "安全的替代材料"
        # The safer material may contain the word it replaces ("LED电子蜡烛" for "蜡烛").
        plain = (
            text.replace(safer, "").replace(hazard.replacement, "") if hazard.replacement else text.replace(safer, "")
        )
        found += [(word, safer) for word in hazard.keywords if word in plain]
    # "纽扣" inside "纽扣电池": name the material once, by its longer word.
    return [(word, safer) for word, safer in found if not any(word != other and word in other for other, _ in found)]


def _banned_materials_en(text: str, age_band: str) -> list[tuple[str, str]]:
    """banned_materials in English: whole words from resources/hazards_en.toml ("pin" is not in
    "spinning"), the safer material from its English row."""
    found: list[tuple[str, str]] = []
    for hazard in load_hazards():
        if hazard.severity != "ban" or age_band not in hazard.bands:
            continue
        _note, replacement, for_children = hazard.text("en")
        safer = for_children or re.split("[;,]", replacement)[0].strip() or english.SAFE_MATERIAL
        # The safer material may contain the word it replaces ("LED electronic candles" for "candle").
        plain = re.sub(re.escape(safer), "", text, flags=re.IGNORECASE)
        if replacement:
            plain = re.sub(re.escape(replacement), "", plain, flags=re.IGNORECASE)
        found += [(word, safer) for word in english_words_in(plain, hazard.keywords_en)]
    # "battery" inside "button battery": name the material once, by its longer word.
    return [(word, safer) for word, safer in found if not any(word != other and word in other for other, _ in found)]


def unsafe_materials(unit: ThemeUnit, scaffold: UnitScaffold) -> list[Defect]:
    return [
        Defect(
            "unsafe_material",
            f"week:{week.number}",
            activity.key,
            f"“{activity.title}”用到{unit.age_band}不能操作的材料：{'、'.join(w for w, _ in found)}"
            " / a material unsafe for this age band",
            tuple(word for word, _ in found),
        )
        for week in unit.weeks
        for activity in week.activities
        if (found := banned_materials(activity_text(activity), unit.age_band, unit.language))
    ]


def without_children_do(unit: ThemeUnit, scaffold: UnitScaffold) -> list[Defect]:
    return [
        Defect(
            "no_children_do",
            f"week:{week.number}",
            activity.key,
            f"第{week.number}周的{activity.kind}“{activity.title or '（无名称）'}”没有写幼儿做什么"
            " / an activity does not say what the children do",
        )
        for week in unit.weeks
        for activity in week.activities
        if len(activity.children_do.strip()) < MIN_CHILDREN_DO or not activity.title.strip()
    ]


# (kind, finder): every check, in the order a teacher reads the findings.
CHECKS: tuple[tuple[str, Callable[[ThemeUnit, UnitScaffold], list[Defect]]], ...] = (
    ("domain_missing", missing_domains),
    ("stage_mismatch", stage_mismatches),
    ("schoolification", schoolification),
    ("unsafe_material", unsafe_materials),
    ("no_children_do", without_children_do),
)
# Checks whose repair is another model call for the week (then code's line).
WEEK_REWRITES = ("stage_mismatch", "no_children_do")


def check_unit(unit: ThemeUnit, scaffold: UnitScaffold) -> list[Defect]:
    """Every defect the checks find (nothing repaired)."""
    return [defect for _, finder in CHECKS for defect in finder(unit, scaffold)]


# --- the repairs --------------------------------------------------------------------------------


def _play_based(text: str, language: str = "zh") -> str:
    text = play_based(text, language)
    if language == "en":
        for word, instead in english.MORE_DRILLS.items():
            text = re.sub(rf"\b{re.escape(word)}\b", instead, text, flags=re.IGNORECASE)
        return text
    for word, instead in MORE_DRILLS.items():
        text = text.replace(word, instead)
    return text


def _safer(text: str, age_band: str, language: str = "zh") -> str:
    for word, safer in banned_materials(text, age_band, language):
        if language == "en":
            # The word as found, with the plural english_words_in tolerates ("candles").
            text = re.sub(rf"\b{re.escape(word)}(s|es)?\b", safer, text, flags=re.IGNORECASE)
        else:
            text = text.replace(word, safer)
    return text


def repair_by_code(unit: ThemeUnit, scaffold: UnitScaffold) -> ThemeUnit:
    """What code can repair exactly: drills and banned materials in the activities, missing domains."""
    unit = apply_unit_rules(unit, scaffold)
    language = unit.language
    title_chars, children_do_chars = _limits(language)
    weeks = []
    for week in unit.weeks:
        activities = []
        for activity in week.activities:
            title = _safer(_play_based(activity.title, language), unit.age_band, language)[:title_chars]
            children_do = _safer(_play_based(activity.children_do, language), unit.age_band, language)
            activities.append(
                activity.model_copy(update={"title": title, "children_do": children_do[:children_do_chars]})
            )
        weeks.append(week.model_copy(update={"activities": activities}))
    prose = {name: _play_based(getattr(unit, name), language) for name in PROSE_LABELS}
    unit = unit.model_copy(update={"weeks": weeks, **prose})
    return give_missing_domains(unit, scaffold)


def give_missing_domains(unit: ThemeUnit, scaffold: UnitScaffold) -> ThemeUnit:
    """Each missing domain goes to a collective or area activity of the most repeated domain."""
    for defect in missing_domains(unit, scaffold):
        counts = Counter(activity.domain for activity in unit.activities())
        candidates = [a for a in unit.activities() if a.kind in (COLLECTIVE, "区域活动") and counts[a.domain] > 1] or [
            a for a in unit.activities() if counts[a.domain] > 1
        ]
        if not candidates:
            break
        chosen = max(candidates, key=lambda a: counts[a.domain])
        unit = with_activity(unit, chosen.model_copy(update={"domain": defect.words[0]}))
    return unit


def with_activity(unit: ThemeUnit, changed: UnitActivity) -> ThemeUnit:
    weeks = [
        week.model_copy(update={"activities": [changed if a.key == changed.key else a for a in week.activities]})
        for week in unit.weeks
    ]
    return unit.model_copy(update={"weeks": weeks})


def stage_line_by_code(unit: ThemeUnit, scaffold: UnitScaffold) -> ThemeUnit:
    """The last resort for a week the model could not fix: an empty activity gets its stage's own
    line, and the first activity of a missed stage opens with what the stage asks."""
    theme = scaffold.request.theme
    english_unit = in_english(unit)
    title_chars, children_do_chars = _limits(unit.language)
    for activity in unit.activities():
        if not activity.title.strip():
            stage = english.STAGE_LABELS[activity.stage] if english_unit else activity.stage
            title = f"{stage}: {theme}" if english_unit else f"{stage}：{theme}"
            unit = with_activity(unit, activity.model_copy(update={"title": title[:title_chars]}))
        if len(activity.children_do.strip()) < MIN_CHILDREN_DO:
            if english_unit:
                line = english.stage_line(theme, activity.stage)
            else:
                line = f"围绕“{theme}”，{STAGE_GUIDANCE[activity.stage]}。"
            unit = with_activity(
                unit, unit_activity(unit, activity.key).model_copy(update={"children_do": line[:children_do_chars]})
            )
    for defect in stage_mismatches(unit, scaffold):
        week = next(week for week in unit.weeks if f"week:{week.number}" == defect.section)
        first = next(a for a in week.activities if a.stage == defect.field)
        if english_unit:
            opened = f"{english.STAGE_OPENING[first.stage]}: {first.children_do}"[:children_do_chars]
        else:
            opened = f"{STAGE_OPENING[first.stage]}：{first.children_do}"[:children_do_chars]
        unit = with_activity(unit, first.model_copy(update={"children_do": opened}))
    return unit


def unit_activity(unit: ThemeUnit, key: str) -> UnitActivity:
    return next(activity for activity in unit.activities() if activity.key == key)


RewriteWeek = Callable[[ThemeUnit, int, str], ThemeUnit]  # (unit, week number, the problem named) -> unit


def week_fix(defects: list[Defect], language: str = "zh") -> str:
    """The instruction that names what a week's rewrite must fix."""
    lines = []
    stages = [d.field for d in defects if d.kind == "stage_mismatch"]
    if language == "en":
        return english.week_fix(stages, any(d.kind == "no_children_do" for d in defects))
    if stages:
        lines.append(
            f"【必须改正】这一周的活动要体现“{'、'.join(stages)}”："
            + "；".join(f"{s}——{STAGE_GUIDANCE[s]}" for s in stages)
            + "。"
        )
    if any(d.kind == "no_children_do" for d in defects):
        lines.append("【必须改正】每个活动都要有名称，并用一句话写清幼儿做什么。")
    return "\n".join(lines)


def validate_unit(
    unit: ThemeUnit, scaffold: UnitScaffold, rewrite_week: RewriteWeek | None = None
) -> tuple[ThemeUnit, CheckReport]:
    """Check the unit and repair what is found: code first; a week that misses its stage or leaves
    out what children do is written once more by the model (kept only when better), then code."""
    started = time.monotonic()
    report = CheckReport(before=check_unit(unit, scaffold))
    unit = repair_by_code(unit, scaffold)
    remaining = check_unit(unit, scaffold)
    report.code_repairs = max(0, len(report.before) - len(remaining))
    if rewrite_week is not None:
        for week in unit.weeks:
            problems = [d for d in remaining if d.kind in WEEK_REWRITES and d.section == f"week:{week.number}"]
            if not problems:
                continue
            fix = week_fix(problems, scaffold.request.language)
            candidate = repair_by_code(rewrite_week(unit, week.number, fix), scaffold)
            report.rewrites += 1
            found = check_unit(candidate, scaffold)
            if len(found) < len(remaining):
                unit, remaining = candidate, found
    if any(defect.kind in WEEK_REWRITES for defect in remaining):
        unit = stage_line_by_code(unit, scaffold)
    report.after = check_unit(unit, scaffold)
    report.seconds = time.monotonic() - started
    return unit, report
