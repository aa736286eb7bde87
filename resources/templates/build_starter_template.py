"""Build resources/templates/starter_school_template.docx, the starter school template.

    python resources/templates/build_starter_template.py

A school copies it, puts its own name, logo and layout around the placeholders, and uploads it on
the 学校模板 page. The output is byte-for-byte reproducible (fixed dates in the document properties
and in the zip), so the committed .docx can be checked against this script
(tests/test_export_templates.py does).
"""

from __future__ import annotations

import io
import sys
import zipfile
from datetime import UTC, datetime
from pathlib import Path

from docx.document import Document as WordDocument
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Cm, Length
from docx.table import Table, _Cell

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from lesson_studio.export.typography import (  # noqa: E402
    HEADING_FONT,
    PROCESS_COLUMN_WIDTHS,
    TABLE_SIZE,
    TEXT_WIDTH,
    add_text,
    keep_row_on_one_page,
    new_document,
    repeat_as_header_row,
    set_header,
    set_page_number_footer,
)

OUT = Path(__file__).resolve().parent / "starter_school_template.docx"
FIXED_TIME = datetime(2025, 1, 1, tzinfo=UTC)
ZIP_TIME = (2025, 1, 1, 0, 0, 0)

LABEL_WIDTH = Cm(2.6)
HALF_VALUE_WIDTH = Length((TEXT_WIDTH - 2 * LABEL_WIDTH) // 2)
OVERVIEW_WIDTHS = (LABEL_WIDTH, HALF_VALUE_WIDTH, LABEL_WIDTH, Length(TEXT_WIDTH - 2 * LABEL_WIDTH - HALF_VALUE_WIDTH))


def build() -> bytes:
    document = new_document()
    section = document.sections[0]
    set_header(section, "{{ 幼儿园 }}　教学活动设计")
    set_page_number_footer(section)
    properties = document.core_properties
    properties.title, properties.author, properties.last_modified_by = (
        "园所表格式教案模板",
        "Lesson Studio",
        "Lesson Studio",
    )
    properties.created = properties.modified = FIXED_TIME

    title = document.add_paragraph(style="Title")
    add_text(title, "{{ 活动名称 }}", font=HEADING_FONT)
    _overview_table(document)
    document.add_paragraph()
    _process_table(document)
    document.add_paragraph()
    _closing_table(document)
    buffer = io.BytesIO()
    document.save(buffer)
    return _with_fixed_zip_times(buffer.getvalue())


def _overview_table(document: WordDocument) -> None:
    """The 表格式教案 head: four columns of label / value, long fields across three."""
    table = _table(document, rows=9, widths=OVERVIEW_WIDTHS)
    pairs = [
        ("年龄段", "{{ 年龄段 }}", "班级", "{{ 班级 }}"),
        ("领域", "{{ 领域 }}", "时长", "{{ 时长 }}"),
        ("执教教师", "{{ 执教教师 }}", "日期", "{{ 日期 }}"),
    ]
    _wide_row(table.rows[0].cells, "活动名称", ["{{ 活动名称 }}"])
    for row, (label_a, value_a, label_b, value_b) in zip(table.rows[1:4], pairs, strict=True):
        for cell, text, is_label in zip(row.cells, (label_a, value_a, label_b, value_b), (1, 0, 1, 0), strict=True):
            _fill(cell, [text], bold=bool(is_label))
    _wide_row(table.rows[4].cells, "设计意图", ["{{ 设计意图 }}"])
    # A paragraph loop: {%p …%} lines disappear, the line between them repeats once per objective.
    _wide_row(
        table.rows[5].cells,
        "活动目标",
        ["{%p for 目标 in 活动目标 %}", "{{ 目标.序号 }}. 【{{ 目标.维度 }}】{{ 目标.内容 }}", "{%p endfor %}"],
    )
    _wide_row(table.rows[6].cells, "活动重点", ["{{ 活动重点 }}"])
    _wide_row(table.rows[7].cells, "活动难点", ["{{ 活动难点 }}"])
    _wide_row(
        table.rows[8].cells,
        "活动准备",
        ["经验准备：{{ 经验准备 }}", "物质准备：", "教师：{{ 教师材料 }}", "幼儿：{{ 幼儿材料 }}"],
    )


def _process_table(document: WordDocument) -> None:
    """活动过程: a header row, then one row repeated per step between the {%tr …%} rows."""
    table = _table(document, rows=4, widths=PROCESS_COLUMN_WIDTHS)
    repeat_as_header_row(table.rows[0]._tr)
    keep_row_on_one_page(table.rows[2]._tr)  # docxtpl copies the row, properties and all, per step
    for cell, label in zip(table.rows[0].cells, ("环节", "时间", "教师指导", "幼儿活动", "设计意图"), strict=True):
        _fill(cell, [label], bold=True, align=WD_ALIGN_PARAGRAPH.CENTER)
    _fill(table.rows[1].cells[0], ["{%tr for 步骤 in 活动过程 %}"])
    step_cells = table.rows[2].cells
    _fill(step_cells[0], ["{{ 步骤.环节 }}"], bold=True)
    step_title = step_cells[0].add_paragraph()
    step_title.alignment = WD_ALIGN_PARAGRAPH.LEFT
    add_text(step_title, "{{ 步骤.标题 }}", size=TABLE_SIZE)
    _fill(step_cells[1], ["{{ 步骤.时间 }}"], align=WD_ALIGN_PARAGRAPH.CENTER)
    _fill(step_cells[2], ["{{ 步骤.教师指导 }}"])
    _fill(step_cells[3], ["{{ 步骤.幼儿活动 }}"])
    _fill(step_cells[4], ["{{ 步骤.设计意图 }}"])
    _fill(table.rows[3].cells[0], ["{%tr endfor %}"])


def _closing_table(document: WordDocument) -> None:
    table = _table(document, rows=5, widths=OVERVIEW_WIDTHS)
    _wide_row(table.rows[0].cells, "安全提示", ["{{ 安全提示 }}"])
    _wide_row(table.rows[1].cells, "观察要点", ["{{ 观察要点 }}"])
    _wide_row(table.rows[2].cells, "活动延伸", ["区域活动：{{ 区域活动 }}", "家园共育：{{ 家园共育 }}"])
    _wide_row(table.rows[3].cells, "参考资料", ["{{ 参考资料 }}"])
    _wide_row(table.rows[4].cells, "活动反思", ["（课后填写：目标达成、幼儿表现、时间、问题与原因、改进）", "", ""])


def _table(document: WordDocument, *, rows: int, widths: tuple[Length, ...]) -> Table:
    table = document.add_table(rows=rows, cols=len(widths))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    for column, width in zip(table.columns, widths, strict=True):
        column.width = width
    for row in table.rows:
        for cell, width in zip(row.cells, widths, strict=True):
            cell.width = width
    return table


def _wide_row(cells: list[_Cell], label: str, lines: list[str]) -> None:
    _fill(cells[0], [label], bold=True)
    merged = cells[1].merge(cells[-1])
    _fill(merged, lines)


def _fill(cell: _Cell, lines: list[str], *, bold: bool = False, align: WD_ALIGN_PARAGRAPH | None = None) -> None:
    for index, line in enumerate(lines):
        paragraph = cell.paragraphs[0] if index == 0 else cell.add_paragraph()
        paragraph.alignment = WD_ALIGN_PARAGRAPH.LEFT if align is None else align  # justified narrow cells gape
        add_text(paragraph, line, bold=bold, size=TABLE_SIZE)


def _with_fixed_zip_times(data: bytes) -> bytes:
    """The same archive with every member dated ZIP_TIME, so two builds are identical."""
    source = zipfile.ZipFile(io.BytesIO(data))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for member in source.infolist():
            info = zipfile.ZipInfo(member.filename, date_time=ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            target.writestr(info, source.read(member.filename))
    return buffer.getvalue()


if __name__ == "__main__":
    OUT.write_bytes(build())
    print(f"{OUT.relative_to(ROOT)}: {OUT.stat().st_size} bytes")
