"""改写一部分 of a 家长信: the teacher picks a paragraph the model wrote and says how to change it;
the salutation, the collection list, the exclusions and the signature stay code's
(resource_types.parts does the rewrite; checks.py's rules run again on the letter)."""

from __future__ import annotations

from typing import Any

from lesson_studio.resource_types.parent_letter.checks import apply_letter_rules, check_letter, repair_by_code
from lesson_studio.resource_types.parent_letter.scaffold import LetterScaffold
from lesson_studio.resource_types.parent_letter.schema import FIELD_LABELS, ParentLetter
from lesson_studio.resource_types.parts import Part, find_part, request_lines, rewrite_part

PARTS = (
    Part("title", "标题 / title", fields=("title",)),
    Part("what_and_why", "做什么、为什么 / what and why", fields=("what_and_why",)),
    Part("child_part", "孩子做什么 / what the children do", fields=("child_part",)),
    Part("family_task", "家庭小任务 / family task", fields=("family_task",)),
    Part("safety_and_time", "温馨提示 / reminder", fields=("safety_and_time",)),
    Part("thanks", "感谢 / thanks", fields=("thanks",)),
)


def letter_parts(letter: ParentLetter) -> list[Part]:
    return list(PARTS)


def rewrite_letter_part(
    letter: ParentLetter, scaffold: LetterScaffold, part_key: str, instruction: str, **model: Any
) -> ParentLetter:
    """model: backend=, on_progress=, cancel= (resource_types.parts.rewrite_part)."""
    return rewrite_part(  # type: ignore[return-value]
        letter,
        scaffold,
        find_part(PARTS, part_key),
        instruction,
        system_prompt="parent_letter_system",
        context="【家长信】\n" + request_lines(scaffold.request, FIELD_LABELS),
        apply_rules=apply_letter_rules,
        check=check_letter,
        repair=repair_by_code,
        language=scaffold.request.language,
        **model,
    )
