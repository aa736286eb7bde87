"""区域活动材料计划 (activity-area materials plan) as a resource type (DOMAIN.md §3, issue 13): per
area a goal linked to the theme, materials by structure level with quantities, levels of challenge,
a record sheet children draw or tick, an observation focus and the dates materials are put out,
adjusted and replaced. Its own files: schema, scaffold, checks (rules and checks), writer, export,
and prompts/area_plan*.md; it is registered by one line in resource_types.REGISTERED.
"""

from __future__ import annotations

from lesson_studio.authoring.content_checks import CheckReport
from lesson_studio.pipeline import ResourceType
from lesson_studio.resource_types.area_plan.checks import apply_area_rules, check_area_plan
from lesson_studio.resource_types.area_plan.export import area_plan_docx
from lesson_studio.resource_types.area_plan.parse import parse_area_sentence
from lesson_studio.resource_types.area_plan.placeholders import AREA_PLAN_TEMPLATES
from lesson_studio.resource_types.area_plan.refine import area_parts, rewrite_area_part
from lesson_studio.resource_types.area_plan.scaffold import build_area_scaffold
from lesson_studio.resource_types.area_plan.schema import FIELD_LABELS, AreaPlan, AreaPlanRequest
from lesson_studio.resource_types.area_plan.writer import AreaWriter


def _validate(writer: AreaWriter, plan: AreaPlan) -> tuple[AreaPlan, CheckReport]:
    return writer.validate(plan)


AREA_PLAN = ResourceType(
    kind="area_plan",
    label="区域活动材料计划 / activity-area materials plan",
    request_model=AreaPlanRequest,
    document_model=AreaPlan,
    prompts=("area_plan_system", "area_plan"),
    build_scaffold=build_area_scaffold,
    writer=AreaWriter,
    apply_rules=apply_area_rules,
    validate=_validate,
    check=check_area_plan,
    export_docx=area_plan_docx,
    field_labels=FIELD_LABELS,
    parse_sentence=parse_area_sentence,  # 一句话填表 (parse.py)
    parts=area_parts,  # 改写一部分 (refine.py)
    rewrite_part=rewrite_area_part,
    # Not grounded yet: the starter library holds lesson plans, not area plans, and an area's
    # materials come from the teacher's room; the plan cites nothing and says so by its empty list.
    grounded=False,
    template_context=AREA_PLAN_TEMPLATES,
)
