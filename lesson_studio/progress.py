"""How far a generation is, in a teacher's terms: sections done of all, time so far, time left, and
the words of the section being written as they arrive.

The estimate uses this machine's own measured speed: the seconds the finished sections of this job
took, or, before the first one is done, what the sections of earlier jobs on the same model took
in this process (SectionTimes). Without either it says nothing rather than guess.
"""

from __future__ import annotations

import json
import re
import threading
import time
from dataclasses import dataclass

# The JSON keys of a section being written, as the page labels them.
FIELD_LABELS = {
    "title": "标题",
    "design_intent": "设计意图",
    "text": "目标",
    "key_point": "活动重点",
    "difficult_point": "活动难点",
    "experience": "经验准备",
    "name": "材料",
    "quantity": "数量",
    "teacher": "师",
    "key_questions": "关键提问",
    "children": "幼",
    "intent": "设计意图",
    "area": "区域活动",
    "home": "家园共育",
    "observation_points": "观察要点",
}
# A "key": "value pairs, the last one possibly still open (no closing quote yet).
_STRING_FIELD = re.compile(r'"(\w+)"\s*:\s*(\[\s*)?"((?:[^"\\]|\\.)*)("?)')
_LIST_ITEM = re.compile(r',\s*"((?:[^"\\]|\\.)*)("?)')


@dataclass(frozen=True)
class ProgressFigures:
    sections_done: int
    sections_total: int
    elapsed_s: float
    remaining_s: float | None  # None: nothing measured yet on this model

    @property
    def fraction(self) -> float:
        return self.sections_done / self.sections_total if self.sections_total else 0.0


class SectionTimes:
    """Seconds per section on each model, measured in this process (the newest 20 sections)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._seconds: dict[str, list[float]] = {}

    def add(self, model: str, seconds: float) -> None:
        with self._lock:
            recent = self._seconds.setdefault(model, [])
            recent.append(seconds)
            del recent[:-20]

    def typical(self, model: str) -> float | None:
        with self._lock:
            recent = sorted(self._seconds.get(model, []))
        return recent[len(recent) // 2] if recent else None


def figures(
    done: int, total: int, started_at: float, *, typical_section_s: float | None, now: float | None = None
) -> ProgressFigures:
    elapsed = (now if now is not None else time.monotonic()) - started_at
    per_section = elapsed / done if done else typical_section_s
    remaining = None if per_section is None else max(0.0, per_section * (total - done) - (0 if done else elapsed))
    return ProgressFigures(done, total, elapsed, remaining)


def streaming_fields(text: str) -> list[tuple[str, str]]:
    """The readable words of a section's JSON as the model writes it, including the value still
    being written: [(label, words), …]. Never fails on half-written JSON."""
    found: list[tuple[str, str]] = []
    position = 0
    while match := _STRING_FIELD.search(text, position):
        key, is_list, value, closed = match.groups()
        label = FIELD_LABELS.get(key, "")
        values = [_unescape(value)]
        position = match.end()
        if is_list and closed:
            while item := _LIST_ITEM.match(text, position):
                values.append(_unescape(item.group(1)))
                position = item.end()
                if not item.group(2):
                    break
        found.append((label, " / ".join(v for v in values if v)))
    return [(label, words) for label, words in found if words]


def _unescape(value: str) -> str:
    try:
        return json.loads(f'"{value}"')
    except json.JSONDecodeError:  # cut inside an escape sequence
        return value.rstrip("\\").replace('\\"', '"').replace("\\n", "\n")
