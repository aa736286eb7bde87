"""改写一部分 of a 主题活动: the teacher picks the unit's source and value, its goals, one week or
one of the closing parts, and says how to change it. The weeks' stages, dates, activity kinds,
domains, keys and minutes stay code's (resource_types.parts does the rewrite; checks.py's rules
run again on the unit)."""

from __future__ import annotations

from typing import Any

from lesson_studio.resource_types.parts import Part, find_part, request_lines, rewrite_part
from lesson_studio.resource_types.theme_unit.checks import apply_unit_rules, check_unit, repair_by_code
from lesson_studio.resource_types.theme_unit.scaffold import UnitScaffold
from lesson_studio.resource_types.theme_unit.schema import FIELD_LABELS, ThemeUnit


def unit_parts(unit: ThemeUnit) -> list[Part]:
    weeks = [
        Part(
            f"week:{week.number}",
            f"第{week.number}周 / week {week.number}",
            at=("weeks", index),
            fields=("focus",),
            items="activities",
            item_fields=("title", "children_do"),
        )
        for index, week in enumerate(unit.weeks)
    ]
    return [
        Part("source_and_value", "主题来源与价值 / source and value", fields=("source_and_value",)),
        Part("goals", "主题目标 / goals", items="goals", item_fields=("text",)),
        *weeks,
        Part("environment", "环境创设 / environment", fields=("environment",)),
        Part("family", "家园共育 / working with families", fields=("family",)),
        Part("evaluation", "评价 / evaluation", fields=("evaluation",)),
    ]


def rewrite_unit_part(
    unit: ThemeUnit, scaffold: UnitScaffold, part_key: str, instruction: str, **model: Any
) -> ThemeUnit:
    """model: backend=, on_progress=, cancel= (resource_types.parts.rewrite_part)."""
    return rewrite_part(  # type: ignore[return-value]
        unit,
        scaffold,
        find_part(unit_parts(unit), part_key),
        instruction,
        system_prompt="theme_unit_system",
        context=f"【主题活动】{unit.title}\n" + request_lines(scaffold.request, FIELD_LABELS),
        apply_rules=apply_unit_rules,
        check=check_unit,
        repair=repair_by_code,
        language=scaffold.request.language,
        **model,
    )
