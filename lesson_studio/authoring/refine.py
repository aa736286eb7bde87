"""Refining a saved plan with the model: one section, the rubric's failures, a chat request, or an
adaptation to another band/duration/materials. Code keeps the structure (phase, CPS stage,
minutes, safety notes); the model rewrites only the content of the sections it is given. A rewrite
holding an image or a link the teacher did not give is rejected as in generation
(generate.without_unasked_links), and each rejection is announced as a "links_rejected" notice.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Literal

from pydantic import BaseModel, Field, create_model

from lesson_studio.authoring.diff import plan_sections
from lesson_studio.authoring.drafts import ClosingDraft, OverviewDraft, PreparationDraft, StepDraft
from lesson_studio.authoring.generate import (
    OBJECTIVE_ORDER,
    Cancelled,
    GenerationResult,
    PlanProgress,
    Retriever,
    build_context,
    generate_plan,
    objective_text,
    section_messages,
    step_instruction,
    teacher_words,
    without_unasked_links,
)
from lesson_studio.authoring.rubric import RubricReport, failed_sections
from lesson_studio.authoring.scaffold import (
    STAGE_GUIDANCE,
    Scaffold,
    StepSlot,
    brainstorm_rules_sentence,
    build_scaffold,
    mentions_rules,
)
from lesson_studio.errors import InvalidInput
from lesson_studio.llm.base import ChatBackend
from lesson_studio.llm.structured import generate_structured
from lesson_studio.models import Citation, Extension, Hit, LessonPlan, LessonRequest, MaterialItem, Objective
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
        age_band=plan.age_band,
        domain=plan.domain,
        topic=plan.title.split("：", 1)[-1][:200] or plan.title,
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
) -> LessonPlan:
    """Rewrite one section following the teacher's instruction; everything else stays."""
    request = request_for(plan, request)
    scaffold = _scaffold_matching(plan, request)
    hits = [_hit_from(citation) for citation in plan.citations]
    context = build_context(scaffold, hits)
    current = _section_text(plan, section_id)
    task, output_type, max_tokens = _section_task(scaffold, section_id)
    instruction_block = render(
        "refine_section", instruction=instruction.strip() or "写得更具体、更适合幼儿", current=current, task=task
    )
    progress = PlanProgress(scaffold=scaffold, citations=list(plan.citations), steps=[None] * len(scaffold.steps))
    progress.current_section = section_label(plan, section_id)

    def on_text(text: str) -> None:
        if cancel is not None and cancel.is_set():
            raise Cancelled()
        progress.current_text = text
        progress.pieces += 1
        if on_progress:
            on_progress(progress)

    def rewrite(extra: str = "") -> BaseModel:
        return generate_structured(
            backend,
            section_messages(scaffold, context, instruction_block + (f"\n{extra}" if extra else "")),
            output_type,
            max_tokens=max_tokens,
            on_text=on_text,
            what=progress.current_section,
        )

    if cancel is not None and cancel.is_set():
        raise Cancelled()
    # The teacher's own words (the request, and what they asked for here) may carry an address.
    given = teacher_words(request) + "\n" + instruction
    draft, rejected = without_unasked_links(rewrite(), given, rewrite, backend.id)
    progress.link_rejections += rejected
    if rejected and on_progress:
        on_progress(progress)
    return merge_section(plan, section_id, draft, scaffold)


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
        citation=Citation(chunk_id="source", document_id="source", document_title=f"原教案：{source.title}"),
    )

    def with_source(req: LessonRequest) -> list[Hit]:
        return [source_hit, *(retriever(req)[:3] if retriever else [])]

    return generate_plan(request, backend=backend, retriever=with_source, on_progress=on_progress, cancel=cancel)


# --- merging a section draft into the plan ------------------------------------------------------


def merge_section(plan: LessonPlan, section_id: str, draft: BaseModel, scaffold: Scaffold) -> LessonPlan:
    if isinstance(draft, OverviewDraft):
        prefix = f"{plan.age_band}{plan.domain}："
        title = draft.title if draft.title.startswith(plan.age_band) else prefix + draft.title
        objectives = [
            Objective(dimension=dimension, text=objective_text(item.text))
            for dimension, item in zip(OBJECTIVE_ORDER, draft.objectives, strict=False)
        ]
        return plan.model_copy(
            update={
                "title": title[:40],
                "design_intent": draft.design_intent,
                "objectives": objectives,
                "key_point": draft.key_point,
                "difficult_point": draft.difficult_point,
            }
        )
    if isinstance(draft, PreparationDraft):
        materials = [
            MaterialItem(
                name=item.name,
                quantity=item.quantity,
                for_whom="教师" if any(w in item.name for w in scaffold.teacher_only_materials) else item.for_whom,  # type: ignore[arg-type]
            )
            for item in draft.materials
        ]
        preparation = plan.preparation.model_copy(update={"experience": list(draft.experience), "materials": materials})
        return plan.model_copy(update={"preparation": preparation})
    if isinstance(draft, StepDraft):
        index = _step_index(plan, section_id)
        step = plan.steps[index]
        teacher = draft.teacher.removeprefix("师：")
        if step.cps_stage == "想办法" and not mentions_rules(teacher, scaffold):
            teacher = brainstorm_rules_sentence(scaffold) + teacher
        steps = list(plan.steps)
        steps[index] = step.model_copy(
            update={
                "title": draft.title,
                "teacher": teacher[:300],
                "key_questions": list(draft.key_questions),
                "children": draft.children.removeprefix("幼："),
                "intent": draft.intent,
            }
        )
        return plan.model_copy(update={"steps": steps})
    if isinstance(draft, ClosingDraft):
        return plan.model_copy(
            update={
                "extension": Extension(area=draft.area, home=draft.home),
                "observation_points": list(draft.observation_points),
            }
        )
    raise TypeError(f"unknown draft {type(draft).__name__}")


def _scaffold_matching(plan: LessonPlan, request: LessonRequest) -> Scaffold:
    """The request's scaffold, but with the plan's own steps (the teacher may have edited them)."""
    scaffold = build_scaffold(request)
    slots = [
        StepSlot(phase=s.phase, cps_stage=s.cps_stage, minutes=s.minutes, guidance=STAGE_GUIDANCE[s.cps_stage])
        for s in plan.steps
    ]
    return scaffold.model_copy(update={"steps": slots})


def _section_task(scaffold: Scaffold, section_id: str) -> tuple[str, type[BaseModel], int]:
    request = scaffold.request
    if section_id == "overview":
        return render("lesson_overview", age_band=request.age_band, domain=request.domain), OverviewDraft, 450
    if section_id == "preparation":
        return render("lesson_preparation"), PreparationDraft, 300
    if section_id == "closing":
        return render("lesson_closing"), ClosingDraft, 300
    if section_id.startswith("step:"):
        index = int(section_id.split(":", 1)[1])
        return step_instruction(scaffold, index), StepDraft, 400
    raise InvalidInput(f"没有这个部分：{section_id} / Unknown section")


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
