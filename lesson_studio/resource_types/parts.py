"""改写一部分: one part of any saved resource rewritten by the model on the teacher's instruction
(issue 13), for the types whose ResourceType has `parts` and `rewrite_part`.

A type names its parts (`Part`: the text fields the model may rewrite, at a place in the
document); everything else stays as saved. One model call writes that part's fields (a schema
made from the document's own field limits) with the instruction and the current text, then the
type's code rules run on the whole document and its checks on the result: a new finding is named
to the model once, and one still there is left in the proposal's warnings for the teacher.
Each type's refine.py declares its parts and calls `rewrite_part` here; nothing here names a type.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Annotated, Any, get_args, get_origin

from pydantic import BaseModel, Field, StringConstraints, create_model

from lesson_studio.authoring.diff import SectionDiff
from lesson_studio.authoring.generate import Cancelled, streamed_into, without_unasked_links
from lesson_studio.errors import InvalidInput
from lesson_studio.llm.base import ChatBackend, Message
from lesson_studio.llm.structured import generate_structured
from lesson_studio.prompts import render

# A text field without a limit of its own is kept to this many characters (the embedded model's
# grammar needs every string bounded), and so is each line of a list of lines.
DEFAULT_CHARS = 200
LINE_CHARS = 120
MAX_INSTRUCTION_CHARS = 300
# Fields every type has that a part's rewrite may change through code's rules, as a teacher reads them.
OTHER_LABELS = {"warnings": "提醒 / notes for the teacher", "title": "标题 / title"}

Path = tuple[str | int, ...]


@dataclass(frozen=True)
class Part:
    """One part a teacher may have rewritten: `fields` of the object at `at` (a path from the
    document: field names and list positions), and optionally the same `item_fields` of every
    object in its list `items` (the list keeps its length: the items' other fields are code's)."""

    key: str  # "family_task", "week:2"
    label: str  # "家庭任务 / family task", as the teacher reads it
    at: Path = ()
    fields: tuple[str, ...] = ()
    items: str = ""
    item_fields: tuple[str, ...] = ()


def part_labels(parts: Sequence[Part]) -> list[tuple[str, str]]:
    return [(part.key, part.label) for part in parts]


def find_part(parts: Sequence[Part], key: str) -> Part:
    for part in parts:
        if part.key == key:
            return part
    raise InvalidInput(f"要改写的部分：没有“{key}”这一部分 / Part to rewrite: there is no part “{key}”")


def checked_instruction(instruction: object) -> str:
    """The teacher's instruction, trimmed; blank or too long is refused naming the field."""
    text = str(instruction or "").strip()
    if not text:
        raise InvalidInput("修改要求：请写下想怎么改 / Instruction: write what should change")
    if len(text) > MAX_INSTRUCTION_CHARS:
        raise InvalidInput(
            f"修改要求：最多{MAX_INSTRUCTION_CHARS}个字 / Instruction: at most {MAX_INSTRUCTION_CHARS} characters"
        )
    return text


def _at(document: Any, path: Path) -> Any:
    for step in path:
        document = document[step] if isinstance(step, int) else getattr(document, step)
    return document


def _limit(model: type[BaseModel], name: str) -> int:
    """The document's own maximum length for a field (DEFAULT_CHARS where it sets none)."""
    for meta in model.model_fields[name].metadata:
        most = getattr(meta, "max_length", None)  # a MaxLen, or a StringConstraints
        if isinstance(most, int):
            return most
    return DEFAULT_CHARS


def _field_type(model: type[BaseModel], name: str, current: Any) -> tuple[Any, Any]:
    """The schema of one rewritable field: a bounded text, or a list of bounded lines (no more
    than one line more than it has now)."""
    annotation = model.model_fields[name].annotation
    if annotation is str:
        return Annotated[str, StringConstraints(min_length=1, max_length=_limit(model, name))], ...
    if get_origin(annotation) is list and get_args(annotation) and get_args(annotation)[0] is str:
        line = Annotated[str, StringConstraints(min_length=1, max_length=LINE_CHARS)]
        most = min(max(len(current), 1) + 1, 8)
        return list[line], Field(..., min_length=1, max_length=most)  # type: ignore[valid-type]
    raise TypeError(f"{model.__name__}.{name} is not text a model can rewrite")


def part_schema(document: BaseModel, part: Part) -> type[BaseModel]:
    """What the model writes for this part, made from the document's field limits."""
    holder = _at(document, part.at)
    fields: dict[str, Any] = {name: _field_type(type(holder), name, getattr(holder, name)) for name in part.fields}
    items = getattr(holder, part.items) if part.items else []
    if items:  # an empty list stays empty: there is nothing of its to rewrite
        item_model = type(items[0])
        item = create_model(
            f"{item_model.__name__}Text",
            **{name: _field_type(item_model, name, getattr(items[0], name)) for name in part.item_fields},
        )
        fields[part.items] = (list[item], Field(..., min_length=len(items), max_length=len(items)))  # type: ignore[valid-type]
    return create_model("PartDraft", **fields)


def current_text(document: BaseModel, part: Part) -> dict[str, Any]:
    holder = _at(document, part.at)
    values: dict[str, Any] = {name: getattr(holder, name) for name in part.fields}
    if part.items:
        values[part.items] = [
            {name: getattr(item, name) for name in part.item_fields} for item in getattr(holder, part.items)
        ]
    return values


def with_part(document: BaseModel, part: Part, values: dict[str, Any]) -> BaseModel:
    """The document with the part's fields replaced by `values` (current_text's shape); nothing
    else changes."""
    data = document.model_dump()
    holder = data
    for step in part.at:
        holder = holder[step]
    for name in part.fields:
        holder[name] = values[name]
    # The same number of items (the model's schema holds it to that; a repair that dropped one
    # leaves the items as they were).
    if part.items in values and len(values[part.items]) == len(holder[part.items]):
        for item, new in zip(holder[part.items], values[part.items], strict=True):
            item.update(new)
    return type(document).model_validate(data)


@dataclass
class PartProgress:
    """What the page shows while the part is written (the job runner keeps the latest)."""

    current_section: str = ""
    current_text: str = ""
    started_at: float = field(default_factory=time.monotonic)
    first_content_s: float | None = None
    pieces: int = 0

    def sections_total(self) -> int:
        return 1

    def sections_done(self) -> int:
        return 0


def request_lines(request: BaseModel, labels: dict[str, str]) -> str:
    """The request's short facts, as the form names them ("班级 / class": the half in the
    request's language), so the rewrite keeps to the same class."""
    english = getattr(request, "language", "zh") == "en"
    lines = []
    for name, label in labels.items():
        value = getattr(request, name, None) if name != "language" else None
        if isinstance(value, list) and all(isinstance(item, str) for item in value):
            value = "、".join(value)
        if isinstance(value, str) and value.strip():
            name_read = label.split(" / ")[-1 if english else 0]
            lines.append(f"[{name_read}] {value.strip()}" if english else f"【{name_read}】{value.strip()}")
    return "\n".join(lines)


def rewrite_part(
    document: BaseModel,
    scaffold: Any,
    part: Part,
    instruction: str,
    *,
    system_prompt: str,
    context: str,
    apply_rules: Callable[[Any, Any], Any],
    check: Callable[[Any, Any], list[Any]],
    repair: Callable[[Any, Any], Any] | None = None,
    backend: ChatBackend,
    language: str = "zh",
    on_progress: Callable[[Any], None] | None = None,
    cancel: threading.Event | None = None,
) -> BaseModel:
    """The document with one part rewritten on the instruction, code's rules applied, and the
    type's checks run (see the module's docstring). `context` says what the document is for;
    `repair` is the type's repair by code, of which only what it does to this part is kept."""
    asked = checked_instruction(instruction)
    schema = part_schema(document, part)
    current = json.dumps(current_text(document, part), ensure_ascii=False)
    english = language == "en"
    task = ("Output only this part's fields (JSON): " if english else "只输出这一部分的字段（JSON）：") + "、".join(
        schema.model_fields
    )
    limit = sum(_limit_chars(schema, name) for name in schema.model_fields)
    progress = PartProgress(current_section=part.label)

    def report() -> None:
        if on_progress:
            on_progress(progress)

    on_text = streamed_into(progress, cancel, report)
    found_before = {defect.message for defect in check(document, scaffold)}

    def _new_findings(candidate: BaseModel) -> list[str]:
        """What the checks find in the candidate that the saved version did not have."""
        return [defect.message for defect in check(candidate, scaffold) if defect.message not in found_before]

    def written(fix: str = "") -> BaseModel:
        block = render(
            "refine_section",
            language=language,
            instruction=asked,
            focus=f"[This part] {part.label}" if english else f"【这一部分】{part.label}",
            current=current,
            task=task,
        )

        def ask(extra: str = "") -> BaseModel:
            messages: list[Message] = [
                {"role": "system", "content": render(system_prompt, language=language)},
                {"role": "user", "content": "\n".join(line for line in (context, block, fix, extra) if line)},
            ]
            return generate_structured(
                backend, messages, schema, max_tokens=min(200 + 2 * limit, 1500), on_text=on_text, what=part.label
            )

        if cancel is not None and cancel.is_set():
            raise Cancelled()
        # Links or images the teacher never gave are written away (the instruction may give one).
        draft, _ = without_unasked_links(ask(), context + "\n" + asked, ask, backend.id, language)
        return draft

    report()
    proposal = apply_rules(with_part(document, part, written().model_dump()), scaffold)
    new = _new_findings(proposal)
    if new:
        # One more try with what the checks found named; what is still found is kept and shown.
        progress.current_section = f"再写一次：{part.label}"
        fix = (
            "The last rewrite had these problems; avoid them: " if english else "上一次改写有这些问题，请避免："
        ) + "；".join(new)
        proposal = apply_rules(with_part(document, part, written(fix).model_dump()), scaffold)
        if repair is not None and _new_findings(proposal):
            # Code repairs what it can, in this part only: the rest of the document stays as saved.
            repaired = repair(proposal, scaffold)
            proposal = with_part(proposal, part, current_text(repaired, part))
            if "warnings" in type(proposal).model_fields:
                added = [text for text in repaired.warnings if text not in proposal.warnings]  # type: ignore[attr-defined]
                proposal = proposal.model_copy(update={"warnings": [*proposal.warnings, *added]})  # type: ignore[attr-defined]
        still = _new_findings(proposal)
        if still and "warnings" in type(proposal).model_fields:
            warnings = list(proposal.warnings) + [f"改写后的检查：{message}" for message in still]  # type: ignore[attr-defined]
            proposal = proposal.model_copy(update={"warnings": warnings})
    progress.current_section, progress.current_text = "", ""
    report()
    return proposal


def _limit_chars(schema: type[BaseModel], name: str) -> int:
    """Roughly how many characters a field of the part's schema may hold (for max_tokens)."""
    info = schema.model_fields[name]
    if get_origin(info.annotation) is list:
        count = _limit(schema, name)
        inner = get_args(info.annotation)[0]
        if isinstance(inner, type) and issubclass(inner, BaseModel):
            return count * sum(_limit_chars(inner, sub) for sub in inner.model_fields)
        return count * LINE_CHARS
    return _limit(schema, name)


# --- the proposal against the version it was made from -------------------------------------


def _flat(value: Any) -> str:
    """A field's value as a teacher reads it: text as it is, lists one a line, objects by their
    text fields."""
    if isinstance(value, BaseModel):
        value = value.model_dump()
    if isinstance(value, dict):
        return "；".join(text for text in (_flat(item) for item in value.values()) if text)
    if isinstance(value, list):
        return "\n".join(text for text in (_flat(item) for item in value) if text)
    if value is None:
        return ""
    return str(value)


def diff_documents(
    before: BaseModel, after: BaseModel, labels: dict[str, str] | None = None, *, skip: set[str] | None = None
) -> list[SectionDiff]:
    """Any two documents of one model, field by field (word-level highlighting comes with
    SectionDiff.segments); `labels` names top-level fields as the teacher reads them, `skip` leaves
    fields out."""
    labels, skip = labels or {}, skip or set()
    return [
        SectionDiff(labels.get(name, name), _flat(getattr(before, name)), _flat(getattr(after, name)))
        for name in type(before).model_fields
        if name not in skip
    ]


def part_diff(before: BaseModel, after: BaseModel, parts: Sequence[Part]) -> list[SectionDiff]:
    """The proposal part by part (the labels the teacher chose from), then any other field that
    changed (code's rules, warnings)."""
    diffs = [
        SectionDiff(
            part.label,
            _flat(current_text(before, part)) if _has(before, part) else "",
            _flat(current_text(after, part)) if _has(after, part) else "",
        )
        for part in parts
    ]
    covered = {part.at[0] if part.at else name for part in parts for name in part.fields}
    covered |= {part.at[0] if part.at else part.items for part in parts if part.at or part.items}
    return diffs + diff_documents(before, after, OTHER_LABELS, skip={str(name) for name in covered})


def _has(document: BaseModel, part: Part) -> bool:
    try:
        _at(document, part.at)
    except (IndexError, AttributeError):
        return False
    return True
