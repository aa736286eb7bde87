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
from lesson_studio.export.wording import clean_text, numbered_heading
from lesson_studio.resource_types.observation_record.scaffold import SECTION_TITLES
from lesson_studio.resource_types.observation_record.schema import ObservationRecord

INDENT = Pt(24)  # the customary two-character first-line indent at 小四
LABEL_WIDTH = Cm(2.6)
FACT_COLUMN_WIDTHS = (LABEL_WIDTH, Length(TEXT_WIDTH // 2 - LABEL_WIDTH)) * 2


def fact_rows(record: ObservationRecord) -> list[tuple[str, str, str, str]]:
    """The facts table: two label-value pairs per row."""
    return [
        ("观察对象", record.child, "班级/年龄段", f"{record.class_name}（{record.age_band}）"),
        ("观察日期", record.date, "观察地点", record.place),
        ("观察者", record.observer, "观察方法", record.method),
        ("活动名称", record.activity, "观察目的", record.purpose),
    ]


def guideline_paragraphs(record: ObservationRecord) -> list[str]:
    """The 《指南》 lines as printed under the analysis (reference: the verbatim line), or the note."""
    if record.guideline_lines:
        return [f"{line.reference}：{line.text}" for line in record.guideline_lines]
    return [record.guideline_note] if record.guideline_note else []


def record_docx(record: ObservationRecord, cover: Cover | None = None) -> bytes:
    """The record as .docx bytes. The cover's school, when given, heads the page."""
    cover = cover or Cover()
    document = new_document()
    set_header(document.sections[0], "　".join(part for part in (cover.school, record.class_name, "观察记录") if part))
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

    titles = record.section_titles or list(SECTION_TITLES)
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
            add_text(label, "对照《指南》：", bold=True)
            for line in guidelines:
                add_text(document.add_paragraph(), line)

    signature = document.add_paragraph()
    signature.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    add_text(signature, f"观察者：{record.observer}　{record.date}")
    buffer = io.BytesIO()
    document.save(buffer)
    return strip_outside_fields(buffer.getvalue())
