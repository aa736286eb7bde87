"""观察记录 / 学习故事 (observation record / learning story) as a resource type (DOMAIN.md §3, issue
13): the facts the form gives are code's, the model writes the record from the teacher's notes and
nothing beyond them, then the analysis and the supports; labels are rewritten as behaviour, the six
elements of a record are checked, and the analysis is linked to the 《指南》 lines of the record's own
age band by code. Its own files: schema, scaffold, checks, guidelines (the align hook), writer,
export, and prompts/observation_record*.md; it is registered by one line in resource_types.REGISTERED.
"""

from __future__ import annotations

from lesson_studio.authoring.content_checks import CheckReport
from lesson_studio.pipeline import ResourceType
from lesson_studio.resource_types.observation_record.checks import apply_record_rules, check_record
from lesson_studio.resource_types.observation_record.export import record_docx
from lesson_studio.resource_types.observation_record.guidelines import align_record
from lesson_studio.resource_types.observation_record.parse import parse_observation_sentence
from lesson_studio.resource_types.observation_record.placeholders import RECORD_TEMPLATES
from lesson_studio.resource_types.observation_record.refine import record_parts, rewrite_record_part
from lesson_studio.resource_types.observation_record.scaffold import build_observation_scaffold
from lesson_studio.resource_types.observation_record.schema import FIELD_LABELS, ObservationRecord, ObservationRequest
from lesson_studio.resource_types.observation_record.writer import ObservationWriter


def _validate(writer: ObservationWriter, record: ObservationRecord) -> tuple[ObservationRecord, CheckReport]:
    return writer.validate(record)


OBSERVATION_RECORD = ResourceType(
    kind="observation_record",
    label="观察记录 / observation record",
    request_model=ObservationRequest,
    document_model=ObservationRecord,
    prompts=(
        "observation_record_system",
        "observation_record",
        "observation_record_notice",
        "observation_record_analysis",
    ),
    build_scaffold=build_observation_scaffold,
    writer=ObservationWriter,
    apply_rules=apply_record_rules,
    validate=_validate,
    check=check_record,
    export_docx=record_docx,
    field_labels=FIELD_LABELS,
    parse_sentence=parse_observation_sentence,  # 一句话填表 (parse.py)
    parts=record_parts,  # 改写一部分 (refine.py)
    rewrite_part=rewrite_record_part,
    # The record is written from the teacher's own notes: library passages would only invite
    # details the child never did. The 《指南》 lines come from the catalogue (align), not retrieval.
    grounded=False,
    align=align_record,
    template_context=RECORD_TEMPLATES,
)
