"""A 家长信 as Word, the built-in layout: title, salutation, the letter's paragraphs, the family
task, the collection list with what never to send, thanks and the signature on the right — one A4
page in 宋体/黑体 (lesson_studio.export.typography), through the same last pass as every export
(no field that reaches outside the document)."""

from __future__ import annotations

import io

from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Pt

from lesson_studio.export.cover import Cover
from lesson_studio.export.fields import strip_outside_fields
from lesson_studio.export.typography import HEADING_FONT, TITLE_SIZE, add_text, new_document, set_header
from lesson_studio.export.wording import clean_text
from lesson_studio.resource_types.parent_letter.schema import ParentLetter

INDENT = Pt(24)  # the customary two-character first-line indent at 小四
# The letter's fixed labels in a letter asked for in English (ParentLetter.language == "en").
ENGLISH_LABELS = {
    "家园联系": "Home–school letter",
    "家庭小任务：": "Family task: ",
    "请帮忙收集：": "Please help us collect: ",
    "为了孩子的安全，请不要带：": "For the children's safety, please do not send: ",
    "温馨提示：": "Reminder: ",
    "联系方式：": "Contact: ",
}


def say(label: str, language: str) -> str:
    """A fixed label in the letter's language."""
    return ENGLISH_LABELS.get(label, label) if language == "en" else label


def listed(items: list[str], language: str) -> str:
    return ", ".join(items) + "." if language == "en" else "、".join(items) + "。"


def letter_docx(letter: ParentLetter, cover: Cover | None = None) -> bytes:
    """The letter as .docx bytes. The cover's school, when given, heads the page."""
    cover = cover or Cover()
    language = letter.language
    document = new_document()
    header = (cover.school, letter.class_name, say("家园联系", language))
    set_header(document.sections[0], ("  " if language == "en" else "　").join(part for part in header if part))
    document.core_properties.title = clean_text(letter.title)

    title = document.add_paragraph()
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    add_text(title, letter.title, font=HEADING_FONT, bold=True, size=TITLE_SIZE)
    add_text(document.add_paragraph(), letter.salutation)
    for text in (letter.what_and_why, letter.child_part):
        paragraph = document.add_paragraph()
        paragraph.paragraph_format.first_line_indent = INDENT
        add_text(paragraph, text)

    _labelled(document, say("家庭小任务：", language), letter.family_task)
    if letter.collection:
        _labelled(document, say("请帮忙收集：", language), listed([item.name for item in letter.collection], language))
        if letter.collection_note:
            add_text(document.add_paragraph(), letter.collection_note)
    if letter.exclusions:
        _labelled(document, say("为了孩子的安全，请不要带：", language), listed(letter.exclusions, language))
    _labelled(document, say("温馨提示：", language), letter.safety_and_time)
    thanks = document.add_paragraph()
    thanks.paragraph_format.first_line_indent = INDENT
    add_text(thanks, letter.thanks)

    for line in signature_lines(letter):
        paragraph = document.add_paragraph()
        paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        add_text(paragraph, line)
    buffer = io.BytesIO()
    document.save(buffer)
    return strip_outside_fields(buffer.getvalue())


def signature_lines(letter: ParentLetter) -> list[str]:
    """Class and teacher, the contact when given, and the date: right-aligned at the end."""
    english = letter.language == "en"
    lines = [f"{letter.class_name}, {letter.teacher}" if english else f"{letter.class_name}　{letter.teacher}"]
    if letter.contact:
        lines.append(f"{say('联系方式：', letter.language)}{letter.contact}")
    lines.append(letter.date)
    return lines


def _labelled(document, label: str, text: str) -> None:  # type: ignore[no-untyped-def]
    paragraph = document.add_paragraph()
    add_text(paragraph, label, bold=True)
    add_text(paragraph, text)
