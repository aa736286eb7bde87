"""Refining a saved plan with the model: one section, the rubric's failures, a chat request, or an
adaptation to another band/duration/materials. Code keeps the structure (phase, CPS stage,
minutes, safety notes); the model rewrites only the content of the sections it is given. A rewrite
holding an image or a link the teacher did not give is rejected as in generation
(generate.without_unasked_links), and each rejection is announced as a "links_rejected" notice.
"""

from __future__ import annotations

import difflib
import re
import threading
from collections.abc import Callable
from typing import Literal

from pydantic import BaseModel, Field, create_model

from lesson_studio.authoring import english
from lesson_studio.authoring.content_checks import SOURCE_PLAN, facts_for, validate_plan
from lesson_studio.authoring.diff import plan_sections
from lesson_studio.authoring.generate import (
    Cancelled,
    GenerationResult,
    PlanProgress,
    Retriever,
    build_context,
    generate_plan,
    merge_section,
    section_messages,
    section_task,
    teacher_words,
    without_unasked_links,
)
from lesson_studio.authoring.rubric import RubricReport, failed_sections
from lesson_studio.authoring.scaffold import STAGE_GUIDANCE, Scaffold, StepSlot, build_scaffold
from lesson_studio.errors import InvalidInput, StudioError
from lesson_studio.llm.base import ChatBackend
from lesson_studio.llm.structured import generate_structured
from lesson_studio.models import Citation, Hit, LessonPlan, LessonRequest
from lesson_studio.prompts import render

ProgressCallback = Callable[[PlanProgress], None]


def section_ids(plan: LessonPlan) -> list[str]:
    return ["overview", "preparation", *[f"step:{i}" for i in range(len(plan.steps))], "closing"]


def section_label(plan: LessonPlan, section_id: str) -> str:
    if section_id.startswith("step:"):
        index = _step_index(plan, section_id)
        step = plan.steps[index]
        return f"活动过程{index + 1}·{step.phase}·{step.cps_stage}"
    labels = {"overview": "活动名称、意图与目标", "preparation": "活动准备", "closing": "活动延伸与观察要点"}
    if section_id not in labels:
        raise InvalidInput(f"没有这个部分：{section_id} / Unknown section")
    return labels[section_id]


def request_for(plan: LessonPlan, request: LessonRequest | None) -> LessonRequest:
    """The request behind a plan; plans made without one get a request rebuilt from the plan."""
    if request is not None:
        return request
    return LessonRequest(
        language=plan.language,
        age_band=plan.age_band,
        domain=plan.domain,
        topic=re.split(r"[：:]", plan.title, maxsplit=1)[-1].strip()[:200] or plan.title,
        minutes=plan.minutes,
        materials=[m.name for m in plan.preparation.materials][:30],
    )


def regenerate_section(
    plan: LessonPlan,
    section_id: str,
    instruction: str,
    *,
    request: LessonRequest | None,
    backend: ChatBackend,
    on_progress: ProgressCallback | None = None,
    cancel: threading.Event | None = None,
    insist: bool = True,
) -> LessonPlan:
    """Rewrite one section following the teacher's instruction; everything else stays.

    The model is told which fields the instruction is about and that they must change. With
    `insist`, a rewrite that left those fields nearly as they were (measured: "导入更有趣一些"
    once changed only the title) is asked for once more without the old text to copy. The content
    checks then run on the section, as on a generated plan."""
    section_label(plan, section_id)  # an unknown section is refused before any model call
    request = request_for(plan, request)
    scaffold = _scaffold_matching(plan, request)
    hits = [_hit_from(citation) for citation in plan.citations]
    _, _, task, output_type, max_tokens = section_task(scaffold, section_id)
    # A rewrite asked for by the teacher is written from the request and the section itself, not the
    # passages again: the section was grounded when it was generated, and reading the passages made a
    # regeneration on a cold model take 42–49 s (bench/generate.py --regenerate-only). After a
    # generation this context is a prefix of the one the model just read, so it costs nothing then.
    context = build_context(scaffold, hits, with_passages=False)
    asked = instruction.strip() or "写得更具体、更适合幼儿"
    focus = fields_asked(section_id, asked)
    focus_text = focus_line(focus)
    progress = PlanProgress(scaffold=scaffold, citations=list(plan.citations), steps=[None] * len(scaffold.steps))
    progress.current_section = section_label(plan, section_id)

    def on_text(text: str) -> None:
        if cancel is not None and cancel.is_set():
            raise Cancelled()
        progress.current_text = text
        progress.pieces += 1
        if on_progress:
            on_progress(progress)

    # The teacher's own words (the request, and what they asked for here) may carry an address.
    given = teacher_words(request) + "\n" + instruction

    def written(block: str) -> BaseModel:
        def ask(extra: str = "") -> BaseModel:
            return generate_structured(
                backend,
                section_messages(scaffold, context, block + (f"\n{extra}" if extra else "")),
                output_type,
                max_tokens=max_tokens,
                on_text=on_text,
                what=progress.current_section,
            )

        if cancel is not None and cancel.is_set():
            raise Cancelled()
        draft, rejected = without_unasked_links(ask(), given, ask, backend.id, request.language)
        progress.link_rejections += rejected
        if rejected and on_progress:
            on_progress(progress)
        return draft

    current = _section_text(plan, section_id)
    if asks_for_something_new(asked):
        # Shown the old text, the model copied it: "导入更有趣一些" needed the insisting second call 6
        # times out of 6 (bench/generate.py --regenerate-only 3), doubling the wait.
        block = render("refine_new", language=request.language, instruction=asked, task=task, focus=focus_text)
    else:
        block = render(
            "refine_section", language=request.language, instruction=asked, current=current, task=task, focus=focus_text
        )
    proposal = merge_section(plan, section_id, written(block), scaffold)
    if insist and not changed_as_asked(plan, proposal, section_id, focus):
        progress.current_section = f"再写一次：{section_label(plan, section_id)}"
        again = merge_section(
            plan,
            section_id,
            written(render("refine_again", language=request.language, instruction=asked, task=task, focus=focus_text)),
            scaffold,
        )
        if changed_as_asked(plan, again, section_id, focus) or change_of(plan, again, section_id, focus) > change_of(
            plan, proposal, section_id, focus
        ):
            proposal = again

    def repair(current_plan: LessonPlan, section: str, fix: str) -> LessonPlan:
        progress.current_section = f"检查后重写：{section_label(plan, section)}"
        try:
            return merge_section(current_plan, section, written(f"{block}\n{fix}"), scaffold)
        except Cancelled:
            raise
        except StudioError:
            return current_plan  # the defect stays visible in the rubric

    facts = facts_for(proposal, request, given=instruction)
    proposal, _ = validate_plan(proposal, facts, repair, sections=[section_id])
    return proposal


# What an instruction is about, per section: its words -> the fields they ask to change. The first
# row that matches wins; without a match, the section's main content is meant.
FIELD_WORDS: dict[str, list[tuple[tuple[str, ...], tuple[str, ...]]]] = {
    "step": [
        (("标题", "名字", "名称"), ("title",)),
        (("提问", "问题", "问法", "追问"), ("key_questions", "teacher")),
        (("意图",), ("intent",)),
        (("幼儿", "孩子", "小朋友"), ("children", "teacher")),
    ],
    "overview": [
        (("目标",), ("objectives",)),
        (("重点", "难点"), ("key_point", "difficult_point")),
        (("意图",), ("design_intent",)),
        (("标题", "名字", "名称"), ("title",)),
    ],
    "preparation": [(("经验",), ("experience",)), (("材料", "数量", "物质"), ("materials",))],
    "closing": [
        (("观察",), ("observation_points",)),
        (("家园", "家长", "亲子", "回家", "家里"), ("home",)),
        (("区域", "区角", "区"), ("area",)),
    ],
}
MAIN_FIELDS = {
    "step": ("teacher", "children", "key_questions"),
    "overview": ("design_intent", "objectives"),
    "preparation": ("experience", "materials"),
    "closing": ("area", "home", "observation_points"),
}
FIELD_LABELS = {
    "title": "标题",
    "teacher": "教师的话和做法",
    "children": "幼儿的活动和回答",
    "key_questions": "关键提问",
    "intent": "设计意图",
    "design_intent": "设计意图",
    "objectives": "活动目标",
    "key_point": "活动重点",
    "difficult_point": "活动难点",
    "experience": "经验准备",
    "materials": "物质准备",
    "area": "区域活动",
    "home": "家园共育",
    "observation_points": "观察要点",
}


def _kind(section_id: str) -> str:
    return "step" if section_id.startswith("step:") else section_id


NEW_WORDS = (
    "有趣",
    "生动",
    "好玩",
    "换",
    "新",
    "不同",
    "不一样",
    "另",
    "重新",
    "more fun",
    "different",
    "new ",
    "another",
    "fresh",
)


def asks_for_something_new(instruction: str) -> bool:
    """Whether the instruction asks for a new way ("导入更有趣一些", "换一个游戏") rather than an edit of
    what is there ("短一点", "把提问改成开放的"): then the old text is not shown to copy."""
    lowered = instruction.lower() + " "
    return any(word in lowered for word in NEW_WORDS)


def fields_asked(section_id: str, instruction: str) -> tuple[str, ...]:
    """The fields of a section that an instruction asks to change ("导入更有趣一些" on a step: what
    the teacher says and does, what the children do, the questions)."""
    kind = _kind(section_id)
    for words, fields in FIELD_WORDS.get(kind, []):
        if any(word in instruction for word in words):
            return fields
    return MAIN_FIELDS.get(kind, ())


def focus_line(fields: tuple[str, ...]) -> str:
    named = "、".join(f"{FIELD_LABELS[f]}（{f}）" for f in fields)
    if fields == ("title",):
        return f"这次要改的是：{named}。"
    return f"这次要改的是：{named}。这些内容要按修改要求写出新的做法，不能只改标题或个别字词。"


def _field_text(plan: LessonPlan, section_id: str, name: str) -> str:
    if section_id.startswith("step:"):
        value = getattr(plan.steps[int(section_id.split(":")[1])], name)
    elif name in ("area", "home"):
        value = getattr(plan.extension, name)
    elif name in ("experience", "materials"):
        value = getattr(plan.preparation, name)
    else:
        value = getattr(plan, name)
    if isinstance(value, list):
        return "\n".join(
            item if isinstance(item, str) else " ".join(str(v) for v in item.model_dump().values()) for item in value
        )
    return str(value)


def change_of(before: LessonPlan, after: LessonPlan, section_id: str, fields: tuple[str, ...]) -> float:
    """How much the asked fields changed: 0 the same text, 1 nothing in common (the most changed field)."""
    changes = [
        1 - difflib.SequenceMatcher(None, _field_text(before, section_id, f), _field_text(after, section_id, f)).ratio()
        for f in fields
    ]
    return max(changes, default=0.0)


# A field counts as rewritten when less than 60% of it stayed (difflib's ratio).
REWRITTEN = 0.4


def changed_as_asked(before: LessonPlan, after: LessonPlan, section_id: str, fields: tuple[str, ...]) -> bool:
    """Whether a rewrite changed what the instruction was about (not only the title)."""
    return change_of(before, after, section_id, fields) >= REWRITTEN


def fix_failures(
    plan: LessonPlan,
    report: RubricReport,
    *,
    request: LessonRequest | None,
    backend: ChatBackend,
    check: Callable[[LessonPlan], RubricReport] | None = None,
    on_progress: ProgressCallback | None = None,
    cancel: threading.Event | None = None,
) -> LessonPlan:
    """一键修正: regenerate only the sections tied to failed criteria, told what failed and why.

    With `check` (the rubric as the page shows it), each rewrite is checked again: a section that
    still fails gets one more try, told what is still wrong, and a rewrite is kept only when it
    fails fewer of its criteria than before — a fix never makes a plan worse. (Measured: the 1.5B
    model asked once often returned the same objectives; bench/rubric.py.)"""
    for section_id, failures in failed_sections(report, plan).items():
        keys = {failure.key for failure in failures}
        problems = failures
        best, best_failing = plan, len(failures)
        for attempt in range(2 if check else 1):
            described = "；".join(f"{f.name}：{f.message}（建议：{f.suggestion}）" for f in problems)
            lead = "修正这些问题" if attempt == 0 else "上次修改后仍有这些问题，请换一种写法彻底改正"
            candidate = regenerate_section(
                best if attempt else plan,
                section_id,
                f"{lead}：{described}",
                request=request,
                backend=backend,
                on_progress=on_progress,
                cancel=cancel,
                insist=False,
            )
            if check is None:
                best = candidate
                break
            problems = [result for result in check(candidate).failed if result.key in keys]
            if len(problems) < best_failing:
                best, best_failing = candidate, len(problems)
            if not problems:
                break
        plan = best
    return plan


def chat_edit(
    plan: LessonPlan,
    message: str,
    *,
    request: LessonRequest | None,
    backend: ChatBackend,
    on_progress: ProgressCallback | None = None,
    cancel: threading.Event | None = None,
) -> LessonPlan:
    """A chat request about the whole plan: the model picks which sections to change (at most
    three, from a closed list), then each is rewritten with the request as instruction."""
    if not message.strip():
        raise InvalidInput("请写下想怎样修改 / Please say what to change")
    ids = section_ids(plan)
    labels = {section_id: section_label(plan, section_id) for section_id in ids}
    choice = create_model(
        "SectionChoice",
        sections=(list[Literal[tuple(ids)]], Field(min_length=1, max_length=3)),  # type: ignore[valid-type]
    )
    outline = "\n".join(f"{section_id}：{label}" for section_id, label in labels.items())
    picked = generate_structured(
        backend,
        [{"role": "user", "content": render("refine_choose", message=message, outline=outline)}],
        choice,
        max_tokens=60,
        temperature=0.0,
        what="选择要修改的部分",
    )
    for section_id in dict.fromkeys(picked.sections):  # type: ignore[attr-defined]
        plan = regenerate_section(
            plan, section_id, message, request=request, backend=backend, on_progress=on_progress, cancel=cancel
        )
    return plan


def adapt_plan(
    source: LessonPlan,
    request: LessonRequest,
    *,
    backend: ChatBackend,
    retriever: Retriever | None = None,
    on_progress: ProgressCallback | None = None,
    cancel: threading.Event | None = None,
) -> GenerationResult:
    """A new plan for another band/duration/materials, built on the source plan (given to the
    model as the first fenced passage) inside a fresh scaffold for the new request."""
    source_text = "\n".join(f"{label}：{text}" for label, text in plan_sections(source).items() if text)
    source_hit = Hit(
        chunk_id="source",
        text=source_text[:1500],
        score=1.0,
        citation=Citation(chunk_id="source", document_id="source", document_title=f"{SOURCE_PLAN}{source.title}"),
    )

    def with_source(req: LessonRequest) -> list[Hit]:
        return [source_hit, *(retriever(req)[:3] if retriever else [])]

    return generate_plan(request, backend=backend, retriever=with_source, on_progress=on_progress, cancel=cancel)


def _scaffold_matching(plan: LessonPlan, request: LessonRequest) -> Scaffold:
    """The request's scaffold, but with the plan's own steps (the teacher may have edited them)."""
    scaffold = build_scaffold(request)
    guidance = english.STAGE_GUIDANCE if english.is_english(request.language) else STAGE_GUIDANCE
    slots = [
        StepSlot(phase=s.phase, cps_stage=s.cps_stage, minutes=s.minutes, guidance=guidance[s.cps_stage])
        for s in plan.steps
    ]
    return scaffold.model_copy(update={"steps": slots})


def _section_text(plan: LessonPlan, section_id: str) -> str:
    sections = plan_sections(plan)
    if section_id == "overview":
        return "\n".join(sections[k] for k in ("活动名称", "设计意图", "活动目标", "重点难点"))
    if section_id == "preparation":
        return sections["活动准备"]
    if section_id == "closing":
        return sections["活动延伸"] + "\n" + sections["观察要点"]
    index = _step_index(plan, section_id)
    return sections[f"活动过程{index + 1}·{plan.steps[index].cps_stage}"]


def _step_index(plan: LessonPlan, section_id: str) -> int:
    try:
        index = int(section_id.split(":", 1)[1])
    except (IndexError, ValueError):
        raise InvalidInput(f"没有这个部分：{section_id} / Unknown section") from None
    if not 0 <= index < len(plan.steps):
        raise InvalidInput(f"没有第{index + 1}个环节 / No step {index + 1}")
    return index


def _hit_from(citation: Citation) -> Hit:
    return Hit(
        chunk_id=citation.chunk_id, text=citation.excerpt or citation.heading, score=citation.score, citation=citation
    )
