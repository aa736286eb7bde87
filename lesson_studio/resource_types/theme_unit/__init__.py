"""主题活动 (a theme unit of 1–4 weeks) as a resource type (DOMAIN.md §3, issue 13): a real problem
taken along the CPS path 发现烦恼 -> 想办法 -> 做出来 -> 展示/用起来 week by week, goals and activities
across the five domains, 环境创设, 家园共育 and 评价. Each collective activity can be expanded into a
full lesson plan (expand.py; ThemeUnit.expansion is what Studio.expand_item asks). Its own files:
schema, scaffold, checks (rules and checks), writer, export, expand, and prompts/theme_unit*.md; it
is registered by one line in resource_types.REGISTERED.
"""

from __future__ import annotations

from lesson_studio.authoring.content_checks import CheckReport
from lesson_studio.pipeline import ResourceType
from lesson_studio.resource_types.theme_unit.checks import apply_unit_rules, check_unit
from lesson_studio.resource_types.theme_unit.export import unit_docx
from lesson_studio.resource_types.theme_unit.parse import parse_unit_sentence
from lesson_studio.resource_types.theme_unit.placeholders import UNIT_TEMPLATES
from lesson_studio.resource_types.theme_unit.refine import rewrite_unit_part, unit_parts
from lesson_studio.resource_types.theme_unit.scaffold import build_unit_scaffold
from lesson_studio.resource_types.theme_unit.schema import FIELD_LABELS, ThemeUnit, ThemeUnitRequest
from lesson_studio.resource_types.theme_unit.writer import UnitWriter


def _validate(writer: UnitWriter, unit: ThemeUnit) -> tuple[ThemeUnit, CheckReport]:
    return writer.validate(unit)


THEME_UNIT = ResourceType(
    kind="theme_unit",
    label="主题活动 / theme unit",
    request_model=ThemeUnitRequest,
    document_model=ThemeUnit,
    prompts=("theme_unit_system", "theme_unit_context", "theme_unit_overview", "theme_unit_week", "theme_unit_closing"),
    build_scaffold=build_unit_scaffold,
    writer=UnitWriter,
    apply_rules=apply_unit_rules,
    validate=_validate,
    check=check_unit,
    export_docx=unit_docx,  # also takes linked= (its expanded lessons): see Studio.export_document_docx
    field_labels=FIELD_LABELS,
    parse_sentence=parse_unit_sentence,  # 一句话填表 (parse.py)
    parts=unit_parts,  # 改写一部分 (refine.py)
    rewrite_part=rewrite_unit_part,
    grounded=False,  # the lessons expanded from it are grounded in the library, each on its own
    template_context=UNIT_TEMPLATES,
)
