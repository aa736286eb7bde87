"""A 观察记录 as Word, the built-in layout: the title, a table of the facts (who, class and band,
when, where, observer, method, activity, purpose — blank cells stay blank for handwriting), then the
numbered parts in the scaffold's order — the record, the analysis with its 《指南》 lines (or the note
why there are none), the supports, what to observe next — and the observer and date on the right.
In 宋体/黑体 (lesson_studio.export.typography), through the same last pass as every export (no field
that reaches outside the document)."""

from __future__ import annotations

import io

from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Cm, Length, Pt

from lesson_studio.authoring.english import is_english
from lesson_studio.export.cover import Cover
from lesson_studio.export.fields import strip_outside_fields
from lesson_studio.export.typography import (
    HEADING_FONT,
    HEADING_SIZE,
    TABLE_SIZE,
    TEXT_WIDTH,
    TITLE_SIZE,
    add_text,
    new_document,
    set_header,
)
from lesson_studio.export.wording import clean_text, in_language, numbered_heading
from lesson_studio.resource_types.observation_record import english
from lesson_studio.resource_types.observation_record.scaffold import SECTION_TITLES
from lesson_studio.resource_types.observation_record.schema import ObservationRecord

INDENT = Pt(24)  # the customary two-character first-line indent at 小四
LABEL_WIDTH = Cm(2.6)
FACT_COLUMN_WIDTHS = (LABEL_WIDTH, Length(TEXT_WIDTH // 2 - LABEL_WIDTH)) * 2


def fact_rows(record: ObservationRecord) -> list[tuple[str, str, str, str]]:
    """The facts table: two label-value pairs per row, in the record's language (the age band and
    the method are data, shown in English for an English record)."""
    language = record.language

    def say(label: str) -> str:
        return english.say(label, language)

    if is_english(language):
        band, method = (
            f"{record.class_name} ({english.band_label(record.age_band)})",
            english.method_label(record.method),
        )
    else:
        band, method = f"{record.class_name}（{record.age_band}）", record.method
    return [
        (say("观察对象"), record.child, say("班级/年龄段"), band),
        (say("观察日期"), record.date, say("观察地点"), record.place),
        (say("观察者"), record.observer, say("观察方法"), method),
        (say("活动名称"), record.activity, say("观察目的"), record.purpose),
    ]


def guideline_paragraphs(record: ObservationRecord) -> list[str]:
    """The 《指南》 lines as printed under the analysis (reference: the verbatim line), or the note."""
    if record.guideline_lines:
        separator = ": " if is_english(record.language) else "："
        return [f"{line.reference}{separator}{line.text}" for line in record.guideline_lines]
    return [record.guideline_note] if record.guideline_note else []


def record_docx(record: ObservationRecord, cover: Cover | None = None) -> bytes:
    """The record as .docx bytes. The cover's school, when given, heads the page."""
    with in_language(record.language):  # numbered_heading writes "1." rather than "一、" for English
        return _record_docx(record, cover)


def _record_docx(record: ObservationRecord, cover: Cover | None) -> bytes:
    cover = cover or Cover()
    language = record.language
    document = new_document()
    header = (cover.school, record.class_name, english.say("观察记录", language))
    set_header(document.sections[0], "　".join(part for part in header if part))
    document.core_properties.title = clean_text(record.title)

    title = document.add_paragraph()
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    add_text(title, record.title, font=HEADING_FONT, bold=True, size=TITLE_SIZE)

    rows = fact_rows(record)
    table = document.add_table(rows=len(rows), cols=4)
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    for row, values in zip(table.rows, rows, strict=True):
        for index, (cell, text) in enumerate(zip(row.cells, values, strict=True)):
            cell.width = FACT_COLUMN_WIDTHS[index]
            add_text(cell.paragraphs[0], text, bold=index % 2 == 0, size=TABLE_SIZE)

    titles = record.section_titles or list(english.SECTION_TITLES if is_english(language) else SECTION_TITLES)
    parts = [
        [record.objective_record],
        [record.analysis],
        [f"{number}. {text}" for number, text in enumerate(record.support_strategies, start=1)],
        [record.follow_up],
    ]
    for number, (heading, lines) in enumerate(zip(titles, parts, strict=False), start=1):
        paragraph = document.add_paragraph()
        paragraph.paragraph_format.keep_with_next = True
        add_text(paragraph, numbered_heading(number, heading), font=HEADING_FONT, bold=True, size=HEADING_SIZE)
        for line in lines:
            body = document.add_paragraph()
            body.paragraph_format.first_line_indent = INDENT
            add_text(body, line)
        if number == 2 and (guidelines := guideline_paragraphs(record)):
            label = document.add_paragraph()
            add_text(label, english.say("对照《指南》：", language), bold=True)
            for line in guidelines:
                add_text(document.add_paragraph(), line)

    signature = document.add_paragraph()
    signature.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    add_text(signature, f"{english.say('观察者：', language)}{record.observer}　{record.date}")
    buffer = io.BytesIO()
    document.save(buffer)
    return strip_outside_fields(buffer.getvalue())
