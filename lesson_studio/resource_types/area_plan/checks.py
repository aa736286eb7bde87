"""Code's rules and the automated checks for a 区域活动材料计划, each check with its repair.

- unsafe_material    an area holds a material the hazard table bans for the age band
- levels             fewer than two levels of challenge, or levels that do not get harder
- no_low_structure   no low-structure (open-ended) material: CPS needs them (DOMAIN.md §3)
- scoring_record     a record-sheet column scores or ranks children (DOMAIN.md rubric 12: observe,
                     never test; the 《指南》: 切忌用一把"尺子"衡量所有幼儿)
- missing_quantity   a material without a number: nobody knows how much to prepare

Repairs: an unsafe material is written again once by the model with the rule named (the writer does
it as the area arrives), and code takes out whatever is still there, naming it with the reason and
what children use instead (apply_area_rules, so a teacher's edit cannot put it back either).
Scoring columns are dropped by code. Levels, a missing low-structure material and a missing quantity
are written once more by the model with the problem named; what is still wrong then is repaired by
code (the band's plain levels, the area's default open-ended material, a default quantity).
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterable

from lesson_studio.authoring.content_checks import CheckReport, Defect
from lesson_studio.authoring.scaffold import english_words_in
from lesson_studio.resource_types.area_plan import english
from lesson_studio.resource_types.area_plan.scaffold import (
    LOW_STRUCTURE_DEFAULTS,
    AreaScaffold,
    AreaSlot,
    caution_notes,
    exclusion_for,
    exclusion_warning,
)
from lesson_studio.resource_types.area_plan.schema import (
    LEVEL_NAMES,
    AreaPlan,
    AreaSection,
    Exclusion,
    Level,
    Material,
)

GOAL_CHARS_EN = 360  # English takes about three times the characters
# A quantity in English says how many too ("3 per group", "one basket", "a set", "half a box").
_NUMBER_EN = re.compile(
    r"\d|\b(a|an|one|two|three|four|five|six|seven|eight|nine|ten|twelve|twenty|half|dozen|each|every)\b",
    re.IGNORECASE,
)

GOAL_CHARS = 120
# Words of a record sheet that scores, grades or ranks children.
SCORING_WORDS = (
    "分数", "得分", "打分", "评分", "扣分", "满分", "积分", "排名", "名次", "排行", "第一名",
    "优秀", "良好", "合格", "及格", "等级", "正确率", "对错", "谁最", "比一比谁", "最快", "最棒",
)  # fmt: skip
# A quantity says how many: a number (若干、适量 tell nobody how much to prepare).
_NUMBER = re.compile(r"[0-9０-９一二两三四五六七八九十百半几]")
_PLAIN = re.compile(r"[\s，。、,.;；:：!！?？“”\"'（）()]")
# Columns children can fill in at every band by drawing or ticking.
DEFAULT_COLUMNS = ("日期", "我用了什么（画一画）", "我的办法（画一画）", "成功了吗（打√）")
# Levels code writes when the model's still do not increase after one rewrite.
FALLBACK_LEVELS = (
    "自由摆弄材料，说说自己发现了什么",
    "按自己的办法用材料做出来",
    "和同伴合作，换一种办法再做一个",
)
DEFAULT_QUANTITY = {"低结构": "每区1筐", "高结构": "每区1套"}
REWRITE_KINDS = ("levels", "no_low_structure", "missing_quantity")
FIX_LINES = {
    "levels": "levels 要写{count}个层次，从易到难，difficulty 依次为1、2、3，每一层都比上一层难一点，不能重复。",
    "no_low_structure": "materials 至少要有两种低结构材料（开放的、可以有多种玩法的材料，如纸盒、布、自然物），structure 写“低结构”。",
    "missing_quantity": "每种材料都要写数量，如“每组3个”“每区1筐”。",
}


# --- code's rules -----------------------------------------------------------------------------------------


def _language(scaffold: AreaScaffold) -> str:
    return scaffold.request.language


def apply_area_rules(plan: AreaPlan, scaffold: AreaScaffold) -> AreaPlan:
    """Code has the last word: the title, class, teacher, band, dates, which areas in which order,
    the levels' names and number, the schedule, how children record, and the safety (a banned
    material is taken out and named, with the substitute) — whatever the model or an edit wrote.
    Applying it twice changes nothing."""
    request = scaffold.request
    written = {section.area: section for section in plan.areas}
    areas = [area_rules(written[slot.area], slot, scaffold) for slot in scaffold.areas if slot.area in written]
    warnings = list(scaffold.warnings)
    for section in areas:
        warnings += [
            exclusion_warning(exclusion, request.age_band, request.language) for exclusion in section.exclusions
        ]
    return plan.model_copy(
        update={
            "title": scaffold.title,
            "class_name": request.class_name,
            "teacher": request.teacher,
            "age_band": request.age_band,
            "theme": request.theme,
            "start_date": scaffold.start_date,
            "weeks": request.weeks,
            "areas": areas,
            "exclusions": list(scaffold.excluded_on_hand),
            "general_safety": scaffold.general_safety,
            "warnings": list(dict.fromkeys(warnings)),
            "language": request.language,
        }
    )


def area_rules(section: AreaSection, slot: AreaSlot, scaffold: AreaScaffold) -> AreaSection:
    band, language = scaffold.request.age_band, _language(scaffold)
    materials: list[Material] = []
    exclusions = list(section.exclusions)
    for material in section.materials:
        exclusion = exclusion_for(material.name, band, language)
        if exclusion is None:
            if material.name not in [kept.name for kept in materials]:
                materials.append(material)
            continue
        if exclusion.material not in [known.material for known in exclusions]:
            exclusions.append(exclusion)
        substitute = exclusion.substitute[: 120 if language == "en" else 40]
        if substitute and substitute not in [item.name for item in (*materials, *section.materials)]:
            materials.append(Material(name=substitute, quantity=material.quantity, structure=material.structure))
    # 层次一 is the easiest: the levels are listed by difficulty and named by position.
    ordered = sorted(section.levels, key=lambda level: level.difficulty)[: len(scaffold.level_names)]
    levels = [level.model_copy(update={"name": LEVEL_NAMES[index]}) for index, level in enumerate(ordered)]
    return section.model_copy(
        update={
            "goal": section.goal.strip()[: GOAL_CHARS_EN if language == "en" else GOAL_CHARS],
            "materials": materials,
            "levels": levels,
            "record_columns": list(
                dict.fromkeys(column.strip() for column in section.record_columns if column.strip())
            ),
            "record_how": scaffold.record_how,
            "observation_focus": [focus.strip() for focus in section.observation_focus if focus.strip()],
            "schedule": list(slot.schedule),
            "exclusions": exclusions,
            "safety_notes": caution_notes([item.name for item in materials], section.area, band, language),
        }
    )


# --- the checks -----------------------------------------------------------------------------------------------


def has_quantity(text: str, language: str = "zh") -> bool:
    return bool((_NUMBER_EN if language == "en" else _NUMBER).search(text))


def scoring_words_in(text: str, language: str = "zh") -> list[str]:
    if language == "en":
        return english_words_in(text, english.SCORING_WORDS)
    return [word for word in SCORING_WORDS if word in text]


def levels_increase(levels: list[Level]) -> bool:
    """Each level harder than the one before, and no level the same challenge as another."""
    difficulties = [level.difficulty for level in levels]
    challenges = [_PLAIN.sub("", level.challenge) for level in levels]
    return all(a < b for a, b in zip(difficulties, difficulties[1:], strict=False)) and len(set(challenges)) == len(
        challenges
    )


def check_area(section: AreaSection, age_band: str, language: str = "zh") -> list[Defect]:
    """Every defect in one area (nothing repaired)."""
    where, area = f"area:{section.area}", section.area
    defects: list[Defect] = []
    for index, material in enumerate(section.materials):
        exclusion = exclusion_for(material.name, age_band, language)
        if exclusion is not None:
            defects.append(
                Defect(
                    "unsafe_material",
                    where,
                    f"material:{index}",
                    f"{area}的“{material.name}”不适合{age_band}幼儿操作 / unsafe for this age band",
                    (material.name,),
                )
            )
    if len(section.levels) < 2:
        defects.append(
            Defect("levels", where, "levels", f"{area}的挑战层次少于两个 / {area}: fewer than two levels of challenge")
        )
    elif not levels_increase(section.levels):
        defects.append(
            Defect("levels", where, "levels", f"{area}的层次没有逐层加难 / {area}: the levels do not get harder")
        )
    if not any(material.structure == "低结构" for material in section.materials):
        defects.append(
            Defect(
                "no_low_structure",
                where,
                "materials",
                f"{area}没有低结构（开放的）材料 / {area}: no open-ended low-structure material",
            )
        )
    if words := [word for column in section.record_columns for word in scoring_words_in(column, language)]:
        defects.append(
            Defect(
                "scoring_record",
                where,
                "record_columns",
                f"{area}的记录表在给幼儿打分或排名：{'、'.join(words)} / the record sheet scores or ranks children",
                tuple(words),
            )
        )
    for index, material in enumerate(section.materials):
        if not has_quantity(material.quantity, language):
            defects.append(
                Defect(
                    "missing_quantity",
                    where,
                    f"material:{index}",
                    f"{area}的“{material.name}”没有写数量 / no quantity for '{material.name}'",
                    (material.name,),
                )
            )
    return defects


def check_area_plan(plan: AreaPlan, scaffold: AreaScaffold) -> list[Defect]:
    """Every defect the checks find in the plan (nothing repaired)."""
    band, language = scaffold.request.age_band, _language(scaffold)
    return [defect for section in plan.areas for defect in check_area(section, band, language)]


# --- repairs ------------------------------------------------------------------------------------------------


def repair_by_code(plan: AreaPlan, scaffold: AreaScaffold) -> AreaPlan:
    """What code can repair exactly: the rules, scoring columns dropped (the sheet topped up with
    columns children draw or tick), a level repeating an earlier one dropped."""
    plan = apply_area_rules(plan, scaffold)
    language = _language(scaffold)
    default_columns = english.DEFAULT_COLUMNS if language == "en" else DEFAULT_COLUMNS
    areas = []
    for section in plan.areas:
        columns = [column for column in section.record_columns if not scoring_words_in(column, language)]
        columns += [column for column in default_columns if column not in columns][: max(0, 2 - len(columns))]
        seen: set[str] = set()
        levels = []
        for level in section.levels:
            key = _PLAIN.sub("", level.challenge)
            if key not in seen:
                seen.add(key)
                levels.append(level)
        areas.append(section.model_copy(update={"record_columns": columns, "levels": levels}))
    return apply_area_rules(plan.model_copy(update={"areas": areas}), scaffold)


def repair_fallback(plan: AreaPlan, scaffold: AreaScaffold) -> AreaPlan:
    """What is still wrong after the model's one rewrite, repaired by code: plain levels for the band,
    the area's default open-ended material, a default quantity."""
    language = _language(scaffold)
    in_english = language == "en"
    fallback_levels = english.FALLBACK_LEVELS if in_english else FALLBACK_LEVELS
    default_quantity = english.DEFAULT_QUANTITY if in_english else DEFAULT_QUANTITY
    areas = []
    for section in plan.areas:
        kinds = {defect.kind for defect in check_area(section, scaffold.request.age_band, language)}
        updates: dict[str, object] = {}
        if "levels" in kinds:
            count = len(scaffold.level_names)
            updates["levels"] = [
                Level(name=LEVEL_NAMES[index], challenge=fallback_levels[index], difficulty=index + 1)
                for index in range(count)
            ]
        materials = [
            item
            if has_quantity(item.quantity, language)
            else item.model_copy(update={"quantity": default_quantity[item.structure]})
            for item in section.materials
        ]
        if "no_low_structure" in kinds and in_english:
            name, quantity = english.LOW_STRUCTURE_DEFAULTS[section.area]
            materials.append(Material(name=name, quantity=quantity, structure="低结构"))
        elif "no_low_structure" in kinds:
            materials.append(LOW_STRUCTURE_DEFAULTS[section.area])
        updates["materials"] = materials
        areas.append(section.model_copy(update=updates))
    return apply_area_rules(plan.model_copy(update={"areas": areas}), scaffold)


def fix_instruction(defects: Iterable[Defect], scaffold: AreaScaffold) -> str:
    """The rewrite's instruction: each problem named, with the rule."""
    kinds = list(dict.fromkeys(defect.kind for defect in defects if defect.kind in FIX_LINES))
    if _language(scaffold) == "en":
        lines = [english.FIX_LINES[kind].format(count=len(scaffold.level_names)) for kind in kinds]
        return (english.MUST_FIX + "".join(lines)).strip()
    lines = [FIX_LINES[kind].format(count=len(scaffold.level_names)) for kind in kinds]
    return "【必须改正】" + "".join(lines)


def unsafe_instruction(exclusions: list[Exclusion], age_band: str, language: str = "zh") -> str:
    """The rewrite's instruction for materials the band must not get, with the rule and the substitute."""
    if language == "en":
        return english.unsafe_instruction(
            [(exclusion.material, exclusion.reason, exclusion.substitute) for exclusion in exclusions], age_band
        )
    parts = []
    for exclusion in exclusions:
        instead = f"，可以换成{exclusion.substitute}" if exclusion.substitute else ""
        parts.append(f"“{exclusion.material}”不能投放给{age_band}幼儿（{exclusion.reason}）{instead}")
    return "【必须改正】" + "；".join(parts) + "。materials 里只写安全的材料。"


# (plan, area, instruction) -> that area written again (the rules are applied by the caller)
Rewrite = Callable[[AreaPlan, str, str], AreaSection]


def validate_area_plan(
    plan: AreaPlan, scaffold: AreaScaffold, rewrite: Rewrite | None = None
) -> tuple[AreaPlan, CheckReport]:
    """Check the plan and repair what is found: code first where it is exact; an area whose levels,
    open-ended materials or quantities are wrong is written once more by the model with the problem
    named (kept only when better); code repairs what is left."""
    started = time.monotonic()
    report = CheckReport(before=check_area_plan(plan, scaffold))
    plan = repair_by_code(plan, scaffold)
    remaining = check_area_plan(plan, scaffold)
    report.code_repairs = max(0, len(report.before) - len(remaining))
    if rewrite is not None:
        for section in list(plan.areas):
            problems = [
                defect
                for defect in remaining
                if defect.section == f"area:{section.area}" and defect.kind in REWRITE_KINDS
            ]
            if not problems:
                continue
            written = rewrite(plan, section.area, fix_instruction(problems, scaffold))
            report.rewrites += 1
            candidate = repair_by_code(_with_area(plan, written), scaffold)
            if _count_in(candidate, section.area, scaffold) < _count_in(plan, section.area, scaffold):
                plan = candidate
    plan = repair_fallback(plan, scaffold)
    report.after = check_area_plan(plan, scaffold)
    report.seconds = time.monotonic() - started
    return plan, report


def _with_area(plan: AreaPlan, written: AreaSection) -> AreaPlan:
    return plan.model_copy(
        update={"areas": [written if section.area == written.area else section for section in plan.areas]}
    )


def _count_in(plan: AreaPlan, area: str, scaffold: AreaScaffold) -> int:
    section = next(section for section in plan.areas if section.area == area)
    return len(check_area(section, scaffold.request.age_band, _language(scaffold)))
