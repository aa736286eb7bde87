"""A 创造力观察清单 as Word, the built-in layout: the title, the activity's details, how to use the
sheet, how to observe each dimension, then a table per child (one blank one when no names were
given): 观察维度 | 观察要点 | 未观察到 / 偶尔 / 经常 | 事实记录. There is no total column and no
total anywhere: the marks are never summed (DOMAIN.md §3). A4 in 宋体/黑体
(lesson_studio.export.typography), through the same last pass as every export."""

from __future__ import annotations

import io

from docx.document import Document as WordDocument
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
from docx.shared import Cm, Length
from docx.table import _Cell

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
    keep_row_on_one_page,
    new_document,
    repeat_as_header_row,
    set_header,
)
from lesson_studio.export.wording import clean_text
from lesson_studio.resource_types.creativity_checklist import english
from lesson_studio.resource_types.creativity_checklist.schema import MARKS, ChildSheet, CreativityChecklist

COLUMNS = ("观察维度", "观察要点", "未观察到 / 偶尔 / 经常", "事实记录（一句话）")
# 观察维度 fits "借同伴的点子"; the marks column holds three boxes one under another; the evidence
# column is the widest, for handwriting.
COLUMN_WIDTHS = (Cm(2.4), Cm(4.6), Cm(2.6), Length(TEXT_WIDTH - Cm(9.6)))
TICKED, EMPTY = "☑", "□"
BLANK_NAME = "________"


def mark_boxes(mark: str, language: str = "zh") -> list[str]:
    """The three marks as boxes, the recorded one ticked: one line each (the marks are data, shown
    in English on an English checklist)."""
    shown = english.MARK_LABELS if is_english(language) else {}
    return [f"{TICKED if mark == option else EMPTY}{shown.get(option, option)}" for option in MARKS]


def details_line(checklist: CreativityChecklist) -> str:
    """班级, 年龄段, 日期 and 教师; a blank one is left as a line to write on."""
    language = checklist.language
    in_english = is_english(language)
    parts = [
        ("班级", checklist.class_name),
        ("年龄段", english.band_label(checklist.age_band) if in_english else checklist.age_band),
        ("日期", checklist.date),
        ("教师", checklist.teacher),
    ]
    colon = ": " if in_english else "："
    return "　".join(f"{english.say(label, language)}{colon}{value or BLANK_NAME}" for label, value in parts)


def checklist_docx(checklist: CreativityChecklist, cover: Cover | None = None) -> bytes:
    """The checklist as .docx bytes. The cover's school, when given, heads the page."""
    cover = cover or Cover()
    language = checklist.language
    document = new_document()
    header = (cover.school, checklist.class_name, english.say("幼儿观察记录", language))
    set_header(document.sections[0], "　".join(part for part in header if part))
    document.core_properties.title = clean_text(checklist.title)

    title = document.add_paragraph()
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    add_text(title, checklist.title, font=HEADING_FONT, bold=True, size=TITLE_SIZE)
    add_text(document.add_paragraph(), details_line(checklist))
    _labelled(document, english.say("活动：", language), checklist.activity)
    _labelled(document, english.say("怎样用：", language), checklist.principle)
    _heading(document, english.say("怎样观察", language))
    colon = ": " if is_english(language) else "："
    for item in checklist.items:
        if item.how_to_observe:
            _labelled(document, f"{item.name}{colon}", item.how_to_observe)
    for index, sheet in enumerate(checklist.sheets):
        _write_sheet(document, checklist, sheet, page_break=index > 0)
    buffer = io.BytesIO()
    document.save(buffer)
    return strip_outside_fields(buffer.getvalue())


def _write_sheet(
    document: WordDocument, checklist: CreativityChecklist, sheet: ChildSheet, *, page_break: bool
) -> None:
    heading = document.add_paragraph()
    if page_break:
        heading.add_run().add_break(WD_BREAK.PAGE)
    language = checklist.language
    add_text(
        heading,
        f"{english.say('幼儿：', language)}{sheet.child or BLANK_NAME}",
        font=HEADING_FONT,
        bold=True,
        size=HEADING_SIZE,
    )
    table = document.add_table(rows=1, cols=len(COLUMNS))
    table.style = "Table Grid"
    repeat_as_header_row(table.rows[0]._tr)
    for cell, label in zip(table.rows[0].cells, COLUMNS, strict=True):
        _fill_cell(cell, [english.say(label, language)], bold=True, align=WD_ALIGN_PARAGRAPH.CENTER)
    for item in checklist.items:
        record = sheet.record(item.id)
        row = table.add_row()
        keep_row_on_one_page(row._tr)
        name_cell, look_for_cell, mark_cell, evidence_cell = row.cells
        _fill_cell(name_cell, [item.name], bold=True)
        _fill_cell(look_for_cell, item.look_fors)
        _fill_cell(mark_cell, mark_boxes(record.mark, language))
        _fill_cell(evidence_cell, [record.evidence])
    table.autofit = False
    # Word reads each cell's width, LibreOffice and WPS the column grid: set both.
    for column, width in zip(table.columns, COLUMN_WIDTHS, strict=True):
        column.width = width
        for cell in column.cells:
            cell.width = width


def _fill_cell(cell: _Cell, lines: list[str], *, bold: bool = False, align: WD_ALIGN_PARAGRAPH | None = None) -> None:
    """One paragraph per line (cell.text would make them soft breaks in one paragraph)."""
    for index, line in enumerate(lines or [""]):
        paragraph = cell.paragraphs[0] if index == 0 else cell.add_paragraph()
        paragraph.alignment = WD_ALIGN_PARAGRAPH.LEFT if align is None else align
        add_text(paragraph, line, bold=bold, size=TABLE_SIZE)


def _heading(document: WordDocument, text: str) -> None:
    add_text(document.add_paragraph(), text, font=HEADING_FONT, bold=True, size=HEADING_SIZE)


def _labelled(document: WordDocument, label: str, text: str) -> None:
    paragraph = document.add_paragraph()
    add_text(paragraph, label, bold=True)
    add_text(paragraph, text)
