"""The built-in Word 教案 (表格式, Chinese typography) that opens cleanly in Word, WPS and LibreOffice:
one plan, or a theme unit of several plans with a table of contents.

Section order and wording come from lesson_studio.export.wording (DOMAIN.md §2.1); fonts, page and
fields from lesson_studio.export.typography.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from pathlib import Path

from docx.document import Document as WordDocument
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Length, Pt
from docx.table import Table, _Cell
from docx.text.paragraph import Paragraph

from lesson_studio.errors import InvalidInput
from lesson_studio.export import wording
from lesson_studio.export.cover import Cover, cover_rows, header_text
from lesson_studio.export.fields import strip_outside_fields
from lesson_studio.export.files import write_atomically
from lesson_studio.export.typography import (
    BODY_FONT,
    HEADING_FONT,
    PROCESS_COLUMN_WIDTHS,
    TABLE_SIZE,
    TEXT_WIDTH,
    add_field,
    add_text,
    box_borders,
    box_cell_margins,
    keep_row_on_one_page,
    new_document,
    repeat_as_header_row,
    set_header,
    set_page_number_footer,
)
from lesson_studio.export.wording import clean_text
from lesson_studio.models import LessonPlan

COVER_COLUMN_WIDTHS = (Cm(3.0), Length(TEXT_WIDTH - Cm(3.0)))
CONTENTS_COLUMNS: tuple[tuple[str, Length], ...] = (
    ("课次", Cm(1.6)),
    ("活动名称", Length(TEXT_WIDTH - Cm(6.4))),
    ("领域", Cm(1.6)),
    ("时长", Cm(1.8)),
    ("页码", Cm(1.4)),
)
MAX_UNIT_PLANS = 40

# Word, asked by this setting, refreshes the fields (the unit's page references) when it opens the
# file; LibreOffice computes them whenever it lays the document out.
SETTINGS_AFTER_UPDATE_FIELDS = tuple(
    f"w:{name}"
    for name in [
        "hdrShapeDefaults",
        "footnotePr",
        "endnotePr",
        "compat",
        "docVars",
        "rsids",
        "mathPr",
        "attachedSchema",
        "themeFontLang",
        "clrSchemeMapping",
        "doNotIncludeSubdocsInStats",
        "doNotAutoCompressPictures",
        "forceUpgrade",
        "captions",
        "readModeInkLockDown",
        "smartTagType",
        "schemaLibrary",
        "shapeDefaults",
        "doNotEmbedSmartTags",
        "decimalSymbol",
        "listSeparator",
    ]
)

SectionWriter = Callable[[WordDocument, LessonPlan], None]


# --- Public entry points ------------------------------------------------------------------------------


def build_docx(
    plan: LessonPlan,
    out_path: Path,
    cover: Cover | None = None,
    *,
    teacher: str = "",
    class_name: str = "",
    date: str = "",
    school: str = "",
) -> Path:
    """Write the plan as a .docx at out_path, never leaving a half-written file; return the path."""
    cover = cover or Cover(teacher=teacher, class_name=class_name, date=date, school=school)
    return _save(_plan_document(plan, cover), Path(out_path))


def plan_to_docx_bytes(
    plan: LessonPlan,
    cover: Cover | None = None,
    *,
    teacher: str = "",
    class_name: str = "",
    date: str = "",
    school: str = "",
) -> bytes:
    """The same document as build_docx, in memory (for a download button)."""
    cover = cover or Cover(teacher=teacher, class_name=class_name, date=date, school=school)
    return _to_bytes(_plan_document(plan, cover))


def unit_to_docx_bytes(plans: Sequence[LessonPlan], *, title: str, cover: Cover | None = None) -> bytes:
    """A theme unit: a title page with a table of contents, then each plan from a new page."""
    return _to_bytes(_unit_document(plans, title=title, cover=cover or Cover()))


def build_unit_docx(plans: Sequence[LessonPlan], out_path: Path, *, title: str, cover: Cover | None = None) -> Path:
    return _save(_unit_document(plans, title=title, cover=cover or Cover()), Path(out_path))


def _to_bytes(document: WordDocument) -> bytes:
    """The saved document, through the last pass every export takes: no field that reaches outside."""
    buffer = io.BytesIO()
    document.save(buffer)
    return strip_outside_fields(buffer.getvalue())


def _save(document: WordDocument, out_path: Path) -> Path:
    """Write the document atomically, through the same last pass as _to_bytes."""

    def write(temp_path: Path) -> None:
        document.save(str(temp_path))
        saved = temp_path.read_bytes()
        stripped = strip_outside_fields(saved)
        if stripped is not saved:
            temp_path.write_bytes(stripped)

    return write_atomically(out_path, write)


# --- Documents ----------------------------------------------------------------------------------------


def _plan_document(plan: LessonPlan, cover: Cover) -> WordDocument:
    with wording.in_language(plan.language):
        document = _new_document(cover, title=plan.title)
    _add_heading(document, plan.title, style="Title")
    _write_plan(document, plan, cover, section_style="Heading 1")
    return document


def _unit_document(plans: Sequence[LessonPlan], *, title: str, cover: Cover) -> WordDocument:
    if not plans:
        raise InvalidInput("请至少选择一份教案 / Choose at least one lesson plan")
    if len(plans) > MAX_UNIT_PLANS:
        raise InvalidInput(
            f"一个主题单元最多 {MAX_UNIT_PLANS} 份教案（选择了 {len(plans)} 份）"
            f" / A unit holds at most {MAX_UNIT_PLANS} plans ({len(plans)} chosen)"
        )
    unit_title = clean_text(title).strip() or "主题单元"
    document = _new_document(cover, title=unit_title)
    _add_heading(document, unit_title, style="Title")
    _add_contents(document, plans)
    for number, plan in enumerate(plans, start=1):
        heading = _add_heading(document, f"{_lesson_label(number)}　{plan.title}", style="Heading 1")
        heading.paragraph_format.page_break_before = True
        _bookmark(heading, _bookmark_name(number), number)
        _write_plan(document, plan, cover, section_style="Heading 2")
    _ask_word_to_update_fields(document)
    return document


def _new_document(cover: Cover, *, title: str) -> WordDocument:
    document = new_document()
    section = document.sections[0]
    set_header(section, header_text(cover))
    set_page_number_footer(section)
    document.core_properties.title = clean_text(title)
    return document


def _write_plan(document: WordDocument, plan: LessonPlan, cover: Cover, *, section_style: str) -> None:
    with wording.in_language(plan.language):
        _write_plan_sections(document, plan, cover, section_style=section_style)


def _write_plan_sections(document: WordDocument, plan: LessonPlan, cover: Cover, *, section_style: str) -> None:
    _add_cover_table(document, plan, cover)
    for number, title in enumerate(wording.section_titles(plan), start=1):
        _add_heading(document, wording.numbered_heading(number, title), style=section_style)
        SECTION_WRITERS[title](document, plan)
    if plan.warnings:
        _add_labelled_paragraph(document, wording.say("提示："), wording.warnings_text(plan))


# --- Sections -----------------------------------------------------------------------------------------


def _write_design_intent(document: WordDocument, plan: LessonPlan) -> None:
    paragraph = _add_body_paragraph(document, plan.design_intent)
    paragraph.paragraph_format.first_line_indent = Pt(24)  # the customary two-character indent at 小四


def _write_objectives(document: WordDocument, plan: LessonPlan) -> None:
    for number, objective in enumerate(plan.objectives, start=1):
        _add_body_paragraph(document, wording.objective_text(number, objective.dimension, objective.text))


def _write_key_and_difficult_points(document: WordDocument, plan: LessonPlan) -> None:
    _add_labelled_paragraph(document, wording.say("活动重点："), plan.key_point)
    _add_labelled_paragraph(document, wording.say("活动难点："), plan.difficult_point)


def _write_preparation(document: WordDocument, plan: LessonPlan) -> None:
    _add_labelled_paragraph(document, wording.say("经验准备："), wording.experience_text(plan))
    _add_labelled_paragraph(document, wording.say("物质准备："), "")
    for for_whom in ("教师", "幼儿"):
        materials = wording.materials_for(plan, for_whom)
        if materials:
            _add_labelled_paragraph(document, wording.say(f"{for_whom}："), materials)


def _write_process_table(document: WordDocument, plan: LessonPlan) -> None:
    table = document.add_table(rows=1, cols=len(wording.PROCESS_COLUMNS))
    table.style = "Table Grid"
    header = table.rows[0]
    repeat_as_header_row(header._tr)
    for cell, label in zip(header.cells, wording.PROCESS_COLUMNS, strict=True):
        _fill_cell(cell, [wording.say(label)], bold=True, align=WD_ALIGN_PARAGRAPH.CENTER)
    for step in plan.steps:
        row = table.add_row()
        keep_row_on_one_page(row._tr)
        stage_cell, minutes_cell, teacher_cell, children_cell, intent_cell = row.cells
        _fill_cell(stage_cell, [wording.stage_label(step)], bold=True)
        title = stage_cell.add_paragraph()
        title.alignment = WD_ALIGN_PARAGRAPH.LEFT
        add_text(title, step.title, size=TABLE_SIZE)
        _fill_cell(minutes_cell, [wording.minutes_text(step.minutes)], align=WD_ALIGN_PARAGRAPH.CENTER)
        _fill_cell(teacher_cell, wording.teacher_lines(step))
        _fill_cell(children_cell, [wording.children_text(step)])
        _fill_cell(intent_cell, [step.intent])
    _set_column_widths(table, PROCESS_COLUMN_WIDTHS)


def _write_safety_box(document: WordDocument, plan: LessonPlan) -> None:
    table = document.add_table(rows=1, cols=1)
    # Set on the table itself, so the box does not depend on a style the reader may lack.
    table._tbl.tblPr.insert_element_before(
        box_borders(), "w:shd", "w:tblLayout", "w:tblCellMar", "w:tblLook", "w:tblCaption", "w:tblDescription"
    )
    table._tbl.tblPr.insert_element_before(box_cell_margins(), "w:tblLook", "w:tblCaption", "w:tblDescription")
    cell = table.cell(0, 0)
    _fill_cell(cell, wording.safety_lines(plan))
    # Body spacing (10 pt after each paragraph) would leave a gap under the last note only.
    for paragraph in cell.paragraphs:
        paragraph.paragraph_format.space_after = Pt(3)
    cell.paragraphs[-1].paragraph_format.space_after = Pt(0)
    keep_row_on_one_page(table.rows[0]._tr)  # and, through its heading's keep-with-next, under it
    _set_column_widths(table, [TEXT_WIDTH])


def _write_observation_points(document: WordDocument, plan: LessonPlan) -> None:
    for number, point in enumerate(plan.observation_points, start=1):
        _add_body_paragraph(document, f"{number}. {point}")


def _write_extension(document: WordDocument, plan: LessonPlan) -> None:
    _add_labelled_paragraph(document, wording.say("区域活动："), plan.extension.area)
    _add_labelled_paragraph(document, wording.say("家园共育："), plan.extension.home)


def _write_citations(document: WordDocument, plan: LessonPlan) -> None:
    for position, citation in enumerate(plan.citations, start=1):
        number = wording.citation_number(citation, position)
        _add_body_paragraph(document, f"[{number}] {wording.citation_text(citation)}")


SECTION_WRITERS: dict[str, SectionWriter] = {
    wording.DESIGN_INTENT: _write_design_intent,
    wording.OBJECTIVES: _write_objectives,
    wording.KEY_POINTS: _write_key_and_difficult_points,
    wording.PREPARATION: _write_preparation,
    wording.PROCESS: _write_process_table,
    wording.SAFETY: _write_safety_box,
    wording.OBSERVATION: _write_observation_points,
    wording.EXTENSION: _write_extension,
    wording.REFERENCES: _write_citations,
}


# --- The unit's table of contents ---------------------------------------------------------------------


def _lesson_label(number: int) -> str:
    return f"第{wording.chinese_numeral(number)}课"


def _bookmark_name(number: int) -> str:
    return f"_LessonPlan{number}"  # a leading underscore hides it from Word's bookmark list, like _Toc


def _add_contents(document: WordDocument, plans: Sequence[LessonPlan]) -> None:
    """A contents table whose names jump to each plan and whose page numbers are PAGEREF fields.

    A Word TOC field would need the reader to update it, and LibreOffice never does so when converting;
    PAGEREF fields outside a TOC are computed by both at layout time.
    """
    _add_heading(document, "目录", style="Heading 1")
    table = document.add_table(rows=1, cols=len(CONTENTS_COLUMNS))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    repeat_as_header_row(table.rows[0]._tr)
    for cell, (label, _width) in zip(table.rows[0].cells, CONTENTS_COLUMNS, strict=True):
        _fill_cell(cell, [label], bold=True, align=WD_ALIGN_PARAGRAPH.CENTER)
    for number, plan in enumerate(plans, start=1):
        lesson_cell, title_cell, domain_cell, minutes_cell, page_cell = table.add_row().cells
        _fill_cell(lesson_cell, [_lesson_label(number)], align=WD_ALIGN_PARAGRAPH.CENTER)
        _add_internal_link(title_cell.paragraphs[0], plan.title, _bookmark_name(number))
        _fill_cell(domain_cell, [plan.domain], align=WD_ALIGN_PARAGRAPH.CENTER)
        _fill_cell(minutes_cell, [wording.minutes_text(plan.minutes)], align=WD_ALIGN_PARAGRAPH.CENTER)
        page_paragraph = page_cell.paragraphs[0]
        page_paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
        add_field(page_paragraph, f"PAGEREF {_bookmark_name(number)} \\h", shown="", size=TABLE_SIZE)
    _set_column_widths(table, [width for _label, width in CONTENTS_COLUMNS])


def _add_internal_link(paragraph: Paragraph, text: str, bookmark: str) -> None:
    hyperlink = OxmlElement("w:hyperlink")
    hyperlink.set(qn("w:anchor"), bookmark)
    hyperlink.set(qn("w:history"), "1")
    for run in add_text(paragraph, text, size=TABLE_SIZE):
        hyperlink.append(run._r)
    paragraph._p.append(hyperlink)


def _bookmark(paragraph: Paragraph, name: str, bookmark_id: int) -> None:
    start = OxmlElement("w:bookmarkStart")
    start.set(qn("w:id"), str(bookmark_id))
    start.set(qn("w:name"), name)
    end = OxmlElement("w:bookmarkEnd")
    end.set(qn("w:id"), str(bookmark_id))
    runs = paragraph._p.r_lst
    if runs:
        runs[0].addprevious(start)
    else:
        paragraph._p.append(start)
    paragraph._p.append(end)


def _ask_word_to_update_fields(document: WordDocument) -> None:
    element = OxmlElement("w:updateFields")
    element.set(qn("w:val"), "true")
    document.settings.element.insert_element_before(element, *SETTINGS_AFTER_UPDATE_FIELDS)


# --- Paragraphs and tables ----------------------------------------------------------------------------


def _add_heading(document: WordDocument, text: str, *, style: str) -> Paragraph:
    paragraph = document.add_paragraph(style=style)
    add_text(paragraph, text, font=HEADING_FONT)
    return paragraph


def _add_body_paragraph(document: WordDocument, text: str) -> Paragraph:
    paragraph = document.add_paragraph()
    add_text(paragraph, text)
    return paragraph


def _add_labelled_paragraph(document: WordDocument, label: str, text: str) -> Paragraph:
    paragraph = document.add_paragraph()
    add_text(paragraph, label, bold=True)
    if text:
        add_text(paragraph, text)
    return paragraph


def _add_cover_table(document: WordDocument, plan: LessonPlan, cover: Cover) -> None:
    rows = cover_rows(plan, cover)
    table = document.add_table(rows=len(rows), cols=2)
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    for row, (label, value) in zip(table.rows, rows, strict=True):
        _fill_cell(row.cells[0], [label], bold=True)
        _fill_cell(row.cells[1], [value])
    _set_column_widths(table, COVER_COLUMN_WIDTHS)


def _fill_cell(
    cell: _Cell, lines: Sequence[str], *, bold: bool = False, align: WD_ALIGN_PARAGRAPH | None = None
) -> None:
    """One paragraph per line: cell.text would turn newlines into soft line breaks inside one paragraph.

    Left-aligned unless told otherwise: justifying a line a few characters wide spreads them apart.
    """
    for index, line in enumerate(lines):
        paragraph = cell.paragraphs[0] if index == 0 else cell.add_paragraph()
        paragraph.alignment = WD_ALIGN_PARAGRAPH.LEFT if align is None else align
        add_text(paragraph, line, font=BODY_FONT, bold=bold, size=TABLE_SIZE)


def _set_column_widths(table: Table, widths: Sequence[Length]) -> None:
    # Word reads each cell's width (w:tcW), LibreOffice and WPS the column grid (w:gridCol): set both.
    table.autofit = False
    for column, width in zip(table.columns, widths, strict=True):
        column.width = width
    for row in table.rows:
        for cell, width in zip(row.cells, widths, strict=True):
            cell.width = width
