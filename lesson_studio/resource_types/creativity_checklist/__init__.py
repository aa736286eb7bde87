"""创造力观察清单 (creativity observation checklist) as a resource type (DOMAIN.md §3, issue 13):
the four Torrance dimensions and the learning dispositions as lenses for noticing each child,
marked 未观察到 / 偶尔 / 经常 with one evidence sentence, never a score, a ranking or a total. Its own
files: schema, scaffold, checks (rules and checks), writer, export, and
prompts/creativity_checklist*.md; it is registered by one line in resource_types.REGISTERED.
"""

from __future__ import annotations

from lesson_studio.authoring.content_checks import CheckReport
from lesson_studio.pipeline import ResourceType
from lesson_studio.resource_types.creativity_checklist.checks import apply_checklist_rules, check_checklist
from lesson_studio.resource_types.creativity_checklist.export import checklist_docx
from lesson_studio.resource_types.creativity_checklist.parse import parse_checklist_sentence
from lesson_studio.resource_types.creativity_checklist.placeholders import CHECKLIST_TEMPLATES
from lesson_studio.resource_types.creativity_checklist.refine import checklist_parts, rewrite_checklist_part
from lesson_studio.resource_types.creativity_checklist.scaffold import build_checklist_scaffold
from lesson_studio.resource_types.creativity_checklist.schema import (
    FIELD_LABELS,
    ChecklistRequest,
    CreativityChecklist,
)
from lesson_studio.resource_types.creativity_checklist.writer import ChecklistWriter


def _validate(writer: ChecklistWriter, checklist: CreativityChecklist) -> tuple[CreativityChecklist, CheckReport]:
    return writer.validate(checklist)


CREATIVITY_CHECKLIST = ResourceType(
    kind="creativity_checklist",
    label="创造力观察清单 / creativity observation checklist",
    request_model=ChecklistRequest,
    document_model=CreativityChecklist,
    prompts=("creativity_checklist_system", "creativity_checklist"),
    build_scaffold=build_checklist_scaffold,
    writer=ChecklistWriter,
    apply_rules=apply_checklist_rules,
    validate=_validate,
    check=check_checklist,
    export_docx=checklist_docx,
    field_labels=FIELD_LABELS,
    parse_sentence=parse_checklist_sentence,  # 一句话填表 (parse.py)
    parts=checklist_parts,  # 改写一部分 (refine.py)
    rewrite_part=rewrite_checklist_part,
    grounded=False,  # the look-fors come from the activity and the age band, not from library passages
    template_context=CHECKLIST_TEMPLATES,
)
