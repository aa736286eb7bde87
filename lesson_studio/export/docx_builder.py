"""Export a LessonPlan as a Word 教案 (表格式, Chinese typography) that opens cleanly in Word and WPS.

Section order and content follow DOMAIN.md §2.1; lesson_studio.export.markdown renders the same
sections as Markdown (tests/test_export_docx.py checks the two agree).
"""

from __future__ import annotations

import io
import os
import re
import secrets
from collections.abc import Callable, Sequence
from pathlib import Path

from docx import Document
from docx.document import Document as WordDocument
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.oxml.table import CT_Row
from docx.oxml.text.font import CT_Fonts, CT_RPr
from docx.oxml.xmlchemy import BaseOxmlElement
from docx.section import Section
from docx.shared import Cm, Length, Pt, RGBColor
from docx.table import Table, _Cell
from docx.text.paragraph import Paragraph
from docx.text.run import Run

from lesson_studio.errors import InvalidInput
from lesson_studio.models import Citation, LessonPlan, MaterialItem, ProcessStep, SafetyNote

BODY_FONT = "宋体"
HEADING_FONT = "黑体"
# Chinese documents set Latin letters and digits in a serif that matches 宋体's weight.
LATIN_FONT = "Times New Roman"

# Chinese type sizes: 小二 for the title, 四号 for headings, 小四 for body text, 五号 in tables.
TITLE_SIZE = Pt(18)
HEADING_SIZE = Pt(14)
BODY_SIZE = Pt(12)
TABLE_SIZE = Pt(10.5)
FOOTER_SIZE = Pt(9)

# A4 with Word's "普通" margins, which school templates assume.
PAGE_WIDTH, PAGE_HEIGHT = Cm(21.0), Cm(29.7)
MARGIN_TOP_BOTTOM, MARGIN_LEFT_RIGHT = Cm(2.54), Cm(3.17)

COVER_COLUMN_WIDTHS = (Cm(3.0), Cm(11.66))
PROCESS_COLUMNS: tuple[tuple[str, Length], ...] = (
    ("环节", Cm(2.6)),
    ("时间", Cm(1.4)),
    ("教师指导", Cm(4.6)),
    ("幼儿活动", Cm(3.4)),
    ("设计意图", Cm(2.66)),
)

# Word and WPS prefer a theme font reference over a named font, so a style that keeps them would
# render in the theme's Latin font (Calibri/Cambria) and the East-Asian font the reader's locale picks.
THEME_FONT_ATTRIBUTES = tuple(qn(f"w:{name}") for name in ("asciiTheme", "eastAsiaTheme", "hAnsiTheme", "cstheme"))

# Characters XML 1.0 forbids (C0 controls other than tab/newline/carriage return, lone surrogates,
# U+FFFE/U+FFFF); lxml, and so python-docx, raises on them, and model output can contain them.
XML_INVALID_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")

STYLES_WITH_EFFECTS_RELATIONSHIP = "http://schemas.microsoft.com/office/2007/relationships/stylesWithEffects"

NO_SAFETY_NOTES = "本活动所列材料无特定风险提示；请按常规做好看护。"

SectionWriter = Callable[[WordDocument, LessonPlan], None]


def build_docx(plan: LessonPlan, out_path: Path, *, teacher: str = "", class_name: str = "", date: str = "") -> Path:
    """Write the plan as a .docx at out_path, never leaving a half-written file; return the path."""
    document = _compose(plan, teacher=teacher, class_name=class_name, date=date)
    out_path = Path(out_path)
    _save_atomically(document, out_path)
    return out_path


def plan_to_docx_bytes(plan: LessonPlan, *, teacher: str = "", class_name: str = "", date: str = "") -> bytes:
    """The same document as build_docx, in memory (for a download button)."""
    buffer = io.BytesIO()
    _compose(plan, teacher=teacher, class_name=class_name, date=date).save(buffer)
    return buffer.getvalue()


def _compose(plan: LessonPlan, *, teacher: str, class_name: str, date: str) -> WordDocument:
    document = Document()
    _set_up_page(document.sections[0])
    _set_up_styles(document)
    _add_page_number_footer(document.sections[0])
    document.core_properties.title = _clean(plan.title)

    _add_styled_paragraph(document, plan.title, style="Title", font=HEADING_FONT)
    _add_cover_table(document, plan, teacher=teacher, class_name=class_name, date=date)
    for number, (title, write_section) in enumerate(_sections(plan), start=1):
        _add_styled_paragraph(document, f"{_chinese_numeral(number)}、{title}", style="Heading 1", font=HEADING_FONT)
        write_section(document, plan)
    if plan.warnings:
        _add_labelled_paragraph(document, "提示：", "；".join(plan.warnings))
    return document


def _sections(plan: LessonPlan) -> list[tuple[str, SectionWriter]]:
    """The numbered 教案 sections in order; optional ones appear only when the plan has content for them."""
    sections: list[tuple[str, SectionWriter]] = [
        ("设计意图", _write_design_intent),
        ("活动目标", _write_objectives),
        ("活动重点与难点", _write_key_and_difficult_points),
        ("活动准备", _write_preparation),
        ("活动过程", _write_process_table),
        ("安全提示", _write_safety_box),  # always present: DOMAIN.md §2.1 makes safety mandatory
    ]
    if plan.observation_points:
        sections.append(("观察要点", _write_observation_points))
    sections.append(("活动延伸", _write_extension))
    if plan.citations:
        sections.append(("参考资料", _write_citations))
    return sections


# --- Sections ----------------------------------------------------------------------------------------


def _write_design_intent(document: WordDocument, plan: LessonPlan) -> None:
    paragraph = _add_body_paragraph(document, plan.design_intent)
    paragraph.paragraph_format.first_line_indent = Pt(24)  # the customary two-character indent at 小四


def _write_objectives(document: WordDocument, plan: LessonPlan) -> None:
    for number, objective in enumerate(plan.objectives, start=1):
        _add_body_paragraph(document, f"{number}. 【{objective.dimension}】{objective.text}")


def _write_key_and_difficult_points(document: WordDocument, plan: LessonPlan) -> None:
    _add_labelled_paragraph(document, "活动重点：", plan.key_point)
    _add_labelled_paragraph(document, "活动难点：", plan.difficult_point)


def _write_preparation(document: WordDocument, plan: LessonPlan) -> None:
    _add_labelled_paragraph(document, "经验准备：", "；".join(plan.preparation.experience))
    _add_labelled_paragraph(document, "物质准备：", "")
    for for_whom in ("教师", "幼儿"):
        items = [item for item in plan.preparation.materials if item.for_whom == for_whom]
        if items:
            _add_labelled_paragraph(document, f"{for_whom}：", "、".join(_material_text(item) for item in items))


def _write_process_table(document: WordDocument, plan: LessonPlan) -> None:
    table = document.add_table(rows=1, cols=len(PROCESS_COLUMNS))
    table.style = "Table Grid"
    header = table.rows[0]
    _repeat_as_header_row(header._tr)
    for cell, (label, _width) in zip(header.cells, PROCESS_COLUMNS, strict=True):
        _fill_cell(cell, [label], bold=True, align=WD_ALIGN_PARAGRAPH.CENTER)
    for step in plan.steps:
        stage_cell, minutes_cell, teacher_cell, children_cell, intent_cell = table.add_row().cells
        _fill_cell(stage_cell, [f"{step.phase}·{step.cps_stage}"], bold=True)
        _add_run(stage_cell.add_paragraph(), step.title, size=TABLE_SIZE)
        _fill_cell(minutes_cell, [f"{step.minutes}分钟"], align=WD_ALIGN_PARAGRAPH.CENTER)
        _fill_cell(teacher_cell, _teacher_lines(step))
        _fill_cell(children_cell, [_with_speaker("幼：", step.children)])
        _fill_cell(intent_cell, [step.intent])
    _set_column_widths(table, [width for _label, width in PROCESS_COLUMNS])


def _write_safety_box(document: WordDocument, plan: LessonPlan) -> None:
    table = document.add_table(rows=1, cols=1)
    _draw_box_border(table)
    lines = [_safety_text(note) for note in plan.safety_notes] or [NO_SAFETY_NOTES]
    _fill_cell(table.cell(0, 0), lines)
    _set_column_widths(table, [PAGE_WIDTH - 2 * MARGIN_LEFT_RIGHT])


def _write_observation_points(document: WordDocument, plan: LessonPlan) -> None:
    for number, point in enumerate(plan.observation_points, start=1):
        _add_body_paragraph(document, f"{number}. {point}")


def _write_extension(document: WordDocument, plan: LessonPlan) -> None:
    _add_labelled_paragraph(document, "区域活动：", plan.extension.area)
    _add_labelled_paragraph(document, "家园共育：", plan.extension.home)


def _write_citations(document: WordDocument, plan: LessonPlan) -> None:
    for position, citation in enumerate(plan.citations, start=1):
        _add_body_paragraph(document, f"[{citation.number or position}] {_citation_text(citation)}")


# --- Wording ----------------------------------------------------------------------------------------


def _chinese_numeral(number: int) -> str:
    """1 -> 一, 10 -> 十, 12 -> 十二, 20 -> 二十."""
    digits = "零一二三四五六七八九"
    tens, ones = divmod(number, 10)
    if tens == 0:
        return digits[ones]
    return f"{digits[tens] if tens > 1 else ''}十{digits[ones] if ones else ''}"


def _with_speaker(speaker: str, text: str) -> str:
    """Prefix 师：/幼： unless the model already wrote it (with a full- or half-width colon)."""
    if text.startswith((speaker, speaker.replace("：", ":"))):
        return text
    return f"{speaker}{text}"


def _teacher_lines(step: ProcessStep) -> list[str]:
    lines = [_with_speaker("师：", step.teacher)]
    if step.key_questions:
        lines.append("关键提问：")
        lines.extend(f"· {question}" for question in step.key_questions)
    return lines


def _material_text(item: MaterialItem) -> str:
    return f"{item.name}（{item.quantity}）" if item.quantity else item.name


def _safety_text(note: SafetyNote) -> str:
    tag = "禁用" if note.severity == "ban" else "注意"
    return f"【{tag}】{note.material}：{note.note}"


def _citation_text(citation: Citation) -> str:
    title = citation.document_title
    parts = [title if title.startswith("《") else f"《{title}》"]
    if citation.heading:
        parts.append(citation.heading)
    if citation.page is not None:
        parts.append(f"第{citation.page}页")
    return "，".join(parts)


# --- Page, styles and fonts --------------------------------------------------------------------------


def _set_up_page(section: Section) -> None:
    section.page_width, section.page_height = PAGE_WIDTH, PAGE_HEIGHT
    section.top_margin = section.bottom_margin = MARGIN_TOP_BOTTOM
    section.left_margin = section.right_margin = MARGIN_LEFT_RIGHT


def _set_up_styles(document: WordDocument) -> None:
    _drop_styles_with_effects(document)
    styles = document.styles
    # Linked character styles and docDefaults carry theme references too; drop every one of them.
    for fonts in list(styles.element.iter(qn("w:rFonts"))):
        _drop_theme_fonts(fonts)
        if not fonts.attrib:
            fonts.getparent().remove(fonts)
    default_run_properties = styles.element.find(f"{qn('w:docDefaults')}/{qn('w:rPrDefault')}/{qn('w:rPr')}")
    if default_run_properties is not None:
        _name_fonts(default_run_properties, BODY_FONT)
        # The template says en-US; Word uses the East-Asian language for CJK line breaking and punctuation.
        language = default_run_properties.find(qn("w:lang"))
        if language is not None:
            language.set(qn("w:eastAsia"), "zh-CN")

    normal = styles["Normal"]
    normal.font.size = BODY_SIZE
    _name_fonts(normal.element.get_or_add_rPr(), BODY_FONT)

    for name, size in (("Title", TITLE_SIZE), ("Heading 1", HEADING_SIZE)):
        style = styles[name]
        style.font.size = size
        style.font.bold = True
        style.font.color.rgb = RGBColor(0, 0, 0)  # the template's blue reads as a web page, not a 教案
        _name_fonts(style.element.get_or_add_rPr(), HEADING_FONT)

    title = styles["Title"]
    title.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
    # The template underlines the title with a blue rule and spaces its letters out; a 教案 title has neither.
    for unwanted in (title.element.pPr.find(qn("w:pBdr")), title.element.rPr.find(qn("w:spacing"))):
        if unwanted is not None:
            unwanted.getparent().remove(unwanted)


def _drop_styles_with_effects(document: WordDocument) -> None:
    """Drop Word 2010's second copy of the styles: readers use styles.xml, and the copy names theme fonts."""
    part = document.part
    for relationship_id, relationship in list(part.rels.items()):
        if relationship.reltype == STYLES_WITH_EFFECTS_RELATIONSHIP:
            part.drop_rel(relationship_id)


def _name_fonts(run_properties: CT_RPr, east_asian_font: str) -> None:
    """Name the Latin and East-Asian fonts explicitly (w:rFonts), without theme references."""
    fonts = run_properties.get_or_add_rFonts()
    _drop_theme_fonts(fonts)
    for attribute in ("w:ascii", "w:hAnsi", "w:cs"):
        fonts.set(qn(attribute), LATIN_FONT)
    fonts.set(qn("w:eastAsia"), east_asian_font)


def _drop_theme_fonts(fonts: CT_Fonts) -> None:
    for attribute in THEME_FONT_ATTRIBUTES:
        fonts.attrib.pop(attribute, None)


def _add_page_number_footer(section: Section) -> None:
    paragraph = section.footer.paragraphs[0]
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _add_run(paragraph, "第 ", size=FOOTER_SIZE)
    _add_field(paragraph, "PAGE")
    _add_run(paragraph, " 页", size=FOOTER_SIZE)


def _add_field(paragraph: Paragraph, instruction: str) -> None:
    """A complex field (begin, code, separate, result, end), which Word and WPS recompute when paginating."""
    _add_run(paragraph, "", size=FOOTER_SIZE)._r.append(_field_char("begin"))
    code = OxmlElement("w:instrText")
    code.set(qn("xml:space"), "preserve")
    code.text = f" {instruction} "
    _add_run(paragraph, "", size=FOOTER_SIZE)._r.append(code)
    _add_run(paragraph, "", size=FOOTER_SIZE)._r.append(_field_char("separate"))
    _add_run(paragraph, "1", size=FOOTER_SIZE)  # shown until the reader's application updates the field
    _add_run(paragraph, "", size=FOOTER_SIZE)._r.append(_field_char("end"))


def _field_char(kind: str) -> BaseOxmlElement:
    element = OxmlElement("w:fldChar")
    element.set(qn("w:fldCharType"), kind)
    return element


# --- Paragraphs, runs and tables ---------------------------------------------------------------------


def _clean(text: str) -> str:
    return XML_INVALID_CHARACTERS.sub("", text)


def _add_run(
    paragraph: Paragraph, text: str, *, font: str = BODY_FONT, bold: bool = False, size: Length | None = None
) -> Run:
    """Every piece of text enters the document here: cleaned, and with its fonts named on the run."""
    run = paragraph.add_run(_clean(text))
    _name_fonts(run._r.get_or_add_rPr(), font)
    if bold:
        run.bold = True
    if size is not None:
        run.font.size = size
    return run


def _add_styled_paragraph(document: WordDocument, text: str, *, style: str, font: str) -> Paragraph:
    paragraph = document.add_paragraph(style=style)
    _add_run(paragraph, text, font=font)
    return paragraph


def _add_body_paragraph(document: WordDocument, text: str) -> Paragraph:
    paragraph = document.add_paragraph()
    _add_run(paragraph, text)
    return paragraph


def _add_labelled_paragraph(document: WordDocument, label: str, text: str) -> Paragraph:
    paragraph = document.add_paragraph()
    _add_run(paragraph, label, bold=True)
    if text:
        _add_run(paragraph, text)
    return paragraph


def _add_cover_table(document: WordDocument, plan: LessonPlan, *, teacher: str, class_name: str, date: str) -> None:
    rows = (
        ("活动名称", plan.title),
        ("年龄段/班级", f"{plan.age_band}（{class_name}）" if class_name else plan.age_band),
        ("领域", plan.domain),
        ("时长", f"{plan.minutes}分钟"),
        ("执教教师", teacher),  # left blank for handwriting when not given
        ("日期", date),
    )
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
    """One paragraph per line: cell.text would turn newlines into soft line breaks inside one paragraph."""
    for index, line in enumerate(lines):
        paragraph = cell.paragraphs[0] if index == 0 else cell.add_paragraph()
        if align is not None:
            paragraph.alignment = align
        _add_run(paragraph, line, bold=bold, size=TABLE_SIZE)


def _set_column_widths(table: Table, widths: Sequence[Length]) -> None:
    # Word reads each cell's width (w:tcW), LibreOffice and WPS the column grid (w:gridCol): set both.
    table.autofit = False
    for column, width in zip(table.columns, widths, strict=True):
        column.width = width
    for row in table.rows:
        for cell, width in zip(row.cells, widths, strict=True):
            cell.width = width


def _repeat_as_header_row(row_element: CT_Row) -> None:
    """Mark the row as a header, so it repeats at the top of each page the table spans."""
    row_properties = row_element.get_or_add_trPr()
    header = OxmlElement("w:tblHeader")
    header.set(qn("w:val"), "true")
    row_properties.append(header)


def _draw_box_border(table: Table) -> None:
    """A single-line border on all four sides, set on the table itself so it does not depend on a style."""
    borders = OxmlElement("w:tblBorders")
    for side in ("top", "left", "bottom", "right"):
        border = OxmlElement(f"w:{side}")
        border.set(qn("w:val"), "single")
        border.set(qn("w:sz"), "8")  # eighths of a point: a 1 pt line
        border.set(qn("w:space"), "0")
        border.set(qn("w:color"), "000000")
        borders.append(border)
    table._tbl.tblPr.insert_element_before(
        borders, "w:shd", "w:tblLayout", "w:tblCellMar", "w:tblLook", "w:tblCaption", "w:tblDescription"
    )


# --- Saving ------------------------------------------------------------------------------------------


def _save_atomically(document: WordDocument, out_path: Path) -> None:
    """Save beside the target and rename over it: readers see the old file or the whole new one."""
    # A name of our own rather than tempfile.mkstemp, whose 0600 mode would stick to the exported file.
    temp_path = out_path.with_name(f".{out_path.name}.{secrets.token_hex(4)}.tmp")
    try:
        document.save(str(temp_path))
        os.replace(temp_path, out_path)
    except OSError as error:
        reason = error.strerror or str(error)
        raise InvalidInput(
            f"无法保存教案到“{out_path}”：{reason}。请检查文件夹是否存在、是否可写、磁盘是否已满。"
            f" / Could not save the lesson plan to '{out_path}': {reason}. Check that the folder exists,"
            " is writable and the disk is not full."
        ) from error
    finally:
        temp_path.unlink(missing_ok=True)
