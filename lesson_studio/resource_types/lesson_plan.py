"""教案 (lesson plan) as a resource type: the CPS collective activity of DOMAIN.md §2.1."""

from __future__ import annotations

from lesson_studio.authoring.alignment import align_plan
from lesson_studio.authoring.content_checks import CheckReport, Defect, check_plan, facts_for
from lesson_studio.authoring.generate import LessonWriter, PlanSections
from lesson_studio.authoring.rules import apply_code_rules
from lesson_studio.authoring.scaffold import Scaffold, build_scaffold
from lesson_studio.models import Hit, LessonPlan, LessonRequest
from lesson_studio.pipeline import ResourceType


def _validate(writer: LessonWriter, plan: LessonPlan) -> tuple[LessonPlan, CheckReport]:
    return writer.validate(plan)


def _check(plan: LessonPlan, scaffold: Scaffold) -> list[Defect]:
    return check_plan(plan, facts_for(plan, scaffold.request))


def _export_docx(plan: LessonPlan, cover: object) -> bytes:
    from lesson_studio.export import plan_docx  # python-docx loads on first export

    return plan_docx(plan, cover, None)  # type: ignore[arg-type]


def _resumed_passages(resume: PlanSections, scaffold: Scaffold) -> list[Hit] | None:
    # A structure that changed since (a code update) starts over rather than mix.
    return list(resume.hits) if len(resume.steps) == len(scaffold.steps) else None


# The form's fields and a plan's parts as a teacher reads them, for messages naming a bad one.
FIELD_LABELS = {
    "age_band": "年龄段 / Age band",
    "domain": "领域 / Domain",
    "topic": "活动主题 / Topic",
    "minutes": "时长 / Minutes",
    "materials": "现有材料 / Materials",
    "cps_focus": "CPS 重点 / CPS focus",
    "notes": "备注 / Notes",
    "language": "教案语言 / Plan language",
    "title": "活动名称 / Title",
    "design_intent": "设计意图 / Design intent",
    "objectives": "活动目标 / Objectives",
    "key_point": "活动重点 / Key point",
    "difficult_point": "活动难点 / Difficult point",
    "preparation": "活动准备 / Preparation",
    "steps": "活动过程 / Activity steps",
    "extension": "活动延伸 / Extension",
    "observation_points": "观察要点 / What to observe",
}

LESSON_PLAN = ResourceType(
    kind="lesson_plan",
    label="教案 / lesson plan",
    request_model=LessonRequest,
    document_model=LessonPlan,
    prompts=(
        "lesson_system",
        "lesson_context",
        "lesson_overview",
        "lesson_preparation",
        "lesson_step",
        "lesson_closing",
    ),
    build_scaffold=build_scaffold,
    writer=LessonWriter,
    apply_rules=apply_code_rules,
    validate=_validate,
    check=_check,
    export_docx=_export_docx,
    field_labels=FIELD_LABELS,
    align=align_plan,
    resumed_passages=_resumed_passages,
)
