"""Three-way merge of two edits of one saved version (two tabs, two teachers' sessions, a model
proposal made before someone else saved).

Field by field: a field only one side changed takes that side's value; a field both changed
the same way is kept; a field both changed differently is a conflict, resolved to the teacher's
own edit and named, so the page can show it. Works on any resource type: it walks the
pydantic model's data, not the lesson plan's fields by name.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeVar

from pydantic import BaseModel

Model = TypeVar("Model", bound=BaseModel)


@dataclass(frozen=True)
class MergeResult:
    merged: Any  # the same model type as the inputs
    taken_from_theirs: list[str]  # field paths where the newer saved version's change was kept
    conflicts: list[str]  # field paths both changed differently (the teacher's edit was kept)


def merge_edits(base: Model, theirs: Model, mine: Model) -> MergeResult:
    """Merge `mine` (the teacher's edit of `base`) with `theirs` (what was saved since)."""
    taken: list[str] = []
    conflicts: list[str] = []
    merged = _merge(base.model_dump(mode="json"), theirs.model_dump(mode="json"), mine.model_dump(mode="json"), "", taken, conflicts)
    return MergeResult(type(mine).model_validate(merged), taken, conflicts)


def _merge(base: Any, theirs: Any, mine: Any, path: str, taken: list[str], conflicts: list[str]) -> Any:
    if mine == theirs:
        return mine
    if mine == base:
        taken.append(path or "/")
        return theirs
    if theirs == base:
        return mine
    if isinstance(base, dict) and isinstance(theirs, dict) and isinstance(mine, dict):
        keys = list(mine) + [key for key in theirs if key not in mine]
        return {
            key: _merge(base.get(key), theirs.get(key), mine.get(key), f"{path}/{key}", taken, conflicts) for key in keys
        }
    if (
        isinstance(base, list)
        and isinstance(theirs, list)
        and isinstance(mine, list)
        and len(base) == len(theirs) == len(mine)
    ):
        return [
            _merge(b, t, m, f"{path}/{index}", taken, conflicts)
            for index, (b, t, m) in enumerate(zip(base, theirs, mine, strict=True))
        ]
    conflicts.append(path or "/")
    return mine


# Field names as a teacher reads them (paths like /steps/2/teacher -> 活动过程3·师).
FIELD_LABELS = {
    "title": "活动名称",
    "design_intent": "设计意图",
    "objectives": "活动目标",
    "key_point": "活动重点",
    "difficult_point": "活动难点",
    "preparation": "活动准备",
    "experience": "经验准备",
    "materials": "物质准备",
    "steps": "活动过程",
    "extension": "活动延伸",
    "area": "区域活动",
    "home": "家园共育",
    "observation_points": "观察要点",
    "safety_notes": "安全提示",
    "teacher": "师",
    "children": "幼",
    "key_questions": "关键提问",
    "intent": "设计意图",
    "minutes": "分钟",
    "text": "内容",
    "dimension": "维度",
    "name": "名称",
    "quantity": "数量",
}


def field_label(path: str) -> str:
    """'/steps/2/teacher' -> '活动过程3·师' (numbers count from 1, as on the page)."""
    parts = []
    for part in path.strip("/").split("/"):
        if part.isdigit():
            parts[-1] = f"{parts[-1]}{int(part) + 1}" if parts else str(int(part) + 1)
        else:
            parts.append(FIELD_LABELS.get(part, part))
    return "·".join(parts) or "全部"
