"""家长信 / 家园联系 (parent letter) as a resource type (DOMAIN.md §3, issue 13): plain language,
one concrete family task needing no purchase, a collection list without the unsafe items, and the
class, teacher and date. Its own files: schema, scaffold, checks (rules and checks), writer,
export, and prompts/parent_letter*.md; it is registered by one line in resource_types.REGISTERED.
"""

from __future__ import annotations

from lesson_studio.authoring.content_checks import CheckReport
from lesson_studio.pipeline import ResourceType
from lesson_studio.resource_types.parent_letter.checks import apply_letter_rules, check_letter
from lesson_studio.resource_types.parent_letter.export import letter_docx
from lesson_studio.resource_types.parent_letter.parse import parse_letter_sentence
from lesson_studio.resource_types.parent_letter.placeholders import LETTER_TEMPLATES
from lesson_studio.resource_types.parent_letter.refine import letter_parts, rewrite_letter_part
from lesson_studio.resource_types.parent_letter.scaffold import build_letter_scaffold
from lesson_studio.resource_types.parent_letter.schema import FIELD_LABELS, ParentLetter, ParentLetterRequest
from lesson_studio.resource_types.parent_letter.writer import LetterWriter


def _validate(writer: LetterWriter, letter: ParentLetter) -> tuple[ParentLetter, CheckReport]:
    return writer.validate(letter)


PARENT_LETTER = ResourceType(
    kind="parent_letter",
    label="家长信 / parent letter",
    request_model=ParentLetterRequest,
    document_model=ParentLetter,
    prompts=("parent_letter_system", "parent_letter"),
    build_scaffold=build_letter_scaffold,
    writer=LetterWriter,
    apply_rules=apply_letter_rules,
    validate=_validate,
    check=check_letter,
    export_docx=letter_docx,
    field_labels=FIELD_LABELS,
    parse_sentence=parse_letter_sentence,  # 一句话填表 (parse.py)
    parts=letter_parts,  # 改写一部分 (refine.py)
    rewrite_part=rewrite_letter_part,
    grounded=False,  # a letter to families quotes no library passage
    template_context=LETTER_TEMPLATES,
)
