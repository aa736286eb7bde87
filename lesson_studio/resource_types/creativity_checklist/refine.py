"""改写一部分 of a 创造力观察表: the teacher picks one of the four lenses and says how to change
what to look for and how to observe it. The lenses' names and meanings, the dispositions, the
principle and the children's blank sheets (no score, no rank) stay code's
(resource_types.parts does the rewrite; checks.py's rules run again on the checklist)."""

from __future__ import annotations

from typing import Any

from lesson_studio.resource_types.creativity_checklist.checks import (
    apply_checklist_rules,
    check_checklist,
    repair_by_code,
)
from lesson_studio.resource_types.creativity_checklist.scaffold import ChecklistScaffold
from lesson_studio.resource_types.creativity_checklist.schema import FIELD_LABELS, CreativityChecklist
from lesson_studio.resource_types.parts import Part, find_part, request_lines, rewrite_part


def checklist_parts(checklist: CreativityChecklist) -> list[Part]:
    return [
        Part(item.id, f"{item.name} / {item.id}", at=("items", index), fields=("look_fors", "how_to_observe"))
        for index, item in enumerate(checklist.items)
        if item.kind == "dimension"
    ]


def rewrite_checklist_part(
    checklist: CreativityChecklist, scaffold: ChecklistScaffold, part_key: str, instruction: str, **model: Any
) -> CreativityChecklist:
    """model: backend=, on_progress=, cancel= (resource_types.parts.rewrite_part)."""
    return rewrite_part(  # type: ignore[return-value]
        checklist,
        scaffold,
        find_part(checklist_parts(checklist), part_key),
        instruction,
        system_prompt="creativity_checklist_system",
        context=f"【创造力观察表】{checklist.title}\n" + request_lines(scaffold.request, FIELD_LABELS),
        apply_rules=apply_checklist_rules,
        check=check_checklist,
        repair=repair_by_code,
        language=scaffold.request.language,
        **model,
    )
