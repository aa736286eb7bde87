"""改写一部分 of a 观察记录: the teacher picks the record, the analysis, the support strategies or
the follow-up and says how to change it. The facts of the form, the headings and the 《指南》
lines stay code's, and the record's rules run again, so a rewrite adds no detail the notes do not
hold (resource_types.parts does the rewrite)."""

from __future__ import annotations

from typing import Any

from lesson_studio.resource_types.observation_record.checks import apply_record_rules, check_record, repair_by_code
from lesson_studio.resource_types.observation_record.scaffold import ObservationScaffold
from lesson_studio.resource_types.observation_record.schema import FIELD_LABELS, ObservationRecord
from lesson_studio.resource_types.parts import Part, find_part, request_lines, rewrite_part

PARTS = (
    Part("objective_record", "客观记录 / what was seen", fields=("objective_record",)),
    Part("analysis", "分析 / analysis", fields=("analysis",)),
    Part("support_strategies", "支持策略 / how to support", fields=("support_strategies",)),
    Part("follow_up", "后续跟进 / follow-up", fields=("follow_up",)),
)


def record_parts(record: ObservationRecord) -> list[Part]:
    return list(PARTS)


def rewrite_record_part(
    record: ObservationRecord, scaffold: ObservationScaffold, part_key: str, instruction: str, **model: Any
) -> ObservationRecord:
    """model: backend=, on_progress=, cancel= (resource_types.parts.rewrite_part)."""
    return rewrite_part(  # type: ignore[return-value]
        record,
        scaffold,
        find_part(PARTS, part_key),
        instruction,
        system_prompt="observation_record_system",
        context="【观察记录】\n" + request_lines(scaffold.request, FIELD_LABELS),
        apply_rules=apply_record_rules,
        check=check_record,
        repair=repair_by_code,
        language=scaffold.request.language,
        **model,
    )
