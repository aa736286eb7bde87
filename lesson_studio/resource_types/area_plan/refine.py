"""改写一部分 of a 区域活动计划: the teacher picks one area and says how to change it; the model
rewrites its goal, its levels' challenges, its record columns and what to observe. Materials,
the schedule's dates, how children record, the exclusions and the safety notes stay code's
(resource_types.parts does the rewrite; checks.py's rules run again on the plan)."""

from __future__ import annotations

from typing import Any

from lesson_studio.resource_types.area_plan.checks import apply_area_rules, check_area_plan, repair_by_code
from lesson_studio.resource_types.area_plan.scaffold import AreaScaffold
from lesson_studio.resource_types.area_plan.schema import FIELD_LABELS, AreaPlan
from lesson_studio.resource_types.parts import Part, find_part, request_lines, rewrite_part


def area_parts(plan: AreaPlan) -> list[Part]:
    return [
        Part(
            f"area:{section.area}",
            f"{section.area} / {section.area}",
            at=("areas", index),
            fields=("goal", "record_columns", "observation_focus"),
            items="levels",
            item_fields=("challenge",),
        )
        for index, section in enumerate(plan.areas)
    ]


def rewrite_area_part(
    plan: AreaPlan, scaffold: AreaScaffold, part_key: str, instruction: str, **model: Any
) -> AreaPlan:
    """model: backend=, on_progress=, cancel= (resource_types.parts.rewrite_part)."""
    return rewrite_part(  # type: ignore[return-value]
        plan,
        scaffold,
        find_part(area_parts(plan), part_key),
        instruction,
        system_prompt="area_plan_system",
        context=f"【区域活动计划】{plan.title}\n" + request_lines(scaffold.request, FIELD_LABELS),
        apply_rules=apply_area_rules,
        check=check_area_plan,
        repair=repair_by_code,
        language=scaffold.request.language,
        **model,
    )
