"""改写一部分 of a 活动反思: the teacher picks the evidence of the goals, the children's facts,
the reading of the timings, the suggestions or 下次再做 and says how to change it. The notes, the
timings, the goals' verdicts and the revised plan stay as saved (the revised plan is a version of
the lesson plan of its own); the reflection's rules run again (resource_types.parts does the
rewrite)."""

from __future__ import annotations

from typing import Any

from lesson_studio.resource_types.parts import Part, find_part, request_lines, rewrite_part
from lesson_studio.resource_types.reflection.checks import apply_reflection_rules, check_reflection, repair_by_code
from lesson_studio.resource_types.reflection.scaffold import ReflectionScaffold
from lesson_studio.resource_types.reflection.schema import FIELD_LABELS, Reflection

PARTS = (
    Part("goal_reviews", "目标达成的依据 / evidence for the goals", items="goal_reviews", item_fields=("evidence",)),
    Part("child_facts", "幼儿表现 / what the children did", fields=("child_facts",)),
    Part("timing_review", "时间与环节 / timing", fields=("timing_review",)),
    Part("suggestions", "调整建议 / suggestions", items="suggestions", item_fields=("text",)),
    Part("next_time", "下次再做 / next time", fields=("next_time",)),
)


def reflection_parts(reflection: Reflection) -> list[Part]:
    return list(PARTS)


def rewrite_reflection_part(
    reflection: Reflection, scaffold: ReflectionScaffold, part_key: str, instruction: str, **model: Any
) -> Reflection:
    """model: backend=, on_progress=, cancel= (resource_types.parts.rewrite_part)."""
    return rewrite_part(  # type: ignore[return-value]
        reflection,
        scaffold,
        find_part(PARTS, part_key),
        instruction,
        system_prompt="reflection_system",
        context=f"【活动反思】{reflection.plan_title}\n" + request_lines(scaffold.request, FIELD_LABELS),
        apply_rules=apply_reflection_rules,
        check=check_reflection,
        repair=repair_by_code,
        language=scaffold.request.language,
        **model,
    )
