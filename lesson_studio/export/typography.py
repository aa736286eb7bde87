"""Chinese typography for Word: A4 page, 宋体 body and 黑体 headings named explicitly, header and footer.

Shared by the built-in 教案 layout and by resources/templates/build_starter_template.py, so the
starter school template looks like the built-in export.
"""

from __future__ import annotations

from docx import Document
from docx.document import Document as WordDocument
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.opc.constants import RELATIONSHIP_TYPE
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.oxml.table import CT_Row
from docx.oxml.text.font import CT_Fonts, CT_RPr
from docx.oxml.xmlchemy import BaseOxmlElement
from docx.section import Section
from docx.shared import Cm, Length, Pt, RGBColor
from docx.text.paragraph import Paragraph
from docx.text.run import Run

from lesson_studio.export.wording import split_links

BODY_FONT = "宋体"
HEADING_FONT = "黑体"
# Chinese documents set Latin letters and digits in a serif that matches 宋体's weight.
LATIN_FONT = "Times New Roman"

# Chinese type sizes: 小二 for the title, 四号 for headings, 小四 for body text, 五号 in tables,
# 小五 in the header and footer.
TITLE_SIZE = Pt(18)
HEADING_SIZE = Pt(14)
SUBHEADING_SIZE = Pt(12)
BODY_SIZE = Pt(12)
TABLE_SIZE = Pt(10.5)
FOOTER_SIZE = Pt(9)

# A4 with Word's "普通" margins, which school templates assume.
PAGE_WIDTH, PAGE_HEIGHT = Cm(21.0), Cm(29.7)
MARGIN_TOP_BOTTOM, MARGIN_LEFT_RIGHT = Cm(2.54), Cm(3.17)
TEXT_WIDTH = Length(PAGE_WIDTH - 2 * MARGIN_LEFT_RIGHT)

# 活动过程 columns (环节 | 时间 | 教师指导 | 幼儿活动 | 设计意图) at 五号: 环节 fits "导入·发现问题" and
# 时间 fits "11分钟" on one line (measured in LibreOffice); 教师指导 holds the most text.
PROCESS_COLUMN_WIDTHS = (Cm(3.0), Cm(1.6), Cm(4.3), Cm(3.1), Length(TEXT_WIDTH - Cm(12.0)))

LINK_COLOR = RGBColor(0x05, 0x63, 0xC1)  # Word's own hyperlink blue

# Word and WPS prefer a theme font reference over a named font, so a style that keeps them would
# render in the theme's Latin font (Calibri/Cambria) and the East-Asian font the reader's locale picks.
THEME_FONT_ATTRIBUTES = tuple(qn(f"w:{name}") for name in ("asciiTheme", "eastAsiaTheme", "hAnsiTheme", "cstheme"))

STYLES_WITH_EFFECTS_RELATIONSHIP = "http://schemas.microsoft.com/office/2007/relationships/stylesWithEffects"

# The w:pPr children that come after w:pBdr in the schema's sequence.
PARAGRAPH_PROPERTIES_AFTER_BORDERS = tuple(
    f"w:{name}"
    for name in [
        "shd",
        "tabs",
        "suppressAutoHyphens",
        "kinsoku",
        "wordWrap",
        "overflowPunct",
        "topLinePunct",
        "autoSpaceDE",
        "autoSpaceDN",
        "bidi",
        "adjustRightInd",
        "snapToGrid",
        "spacing",
        "ind",
        "contextualSpacing",
        "mirrorIndents",
        "suppressOverlap",
        "jc",
        "textDirection",
        "textAlignment",
        "textboxTightWrap",
        "outlineLvl",
        "divId",
        "cnfStyle",
        "rPr",
        "sectPr",
        "pPrChange",
    ]
)

HEADING_STYLES = (("Title", TITLE_SIZE), ("Heading 1", HEADING_SIZE), ("Heading 2", SUBHEADING_SIZE))


def new_document() -> WordDocument:
    """An empty A4 document whose styles name 宋体/黑体 and carry no theme fonts."""
    document = Document()
    set_up_page(document.sections[0])
    set_up_styles(document)
    return document


def set_up_page(section: Section) -> None:
    section.page_width, section.page_height = PAGE_WIDTH, PAGE_HEIGHT
    section.top_margin = section.bottom_margin = MARGIN_TOP_BOTTOM
    section.left_margin = section.right_margin = MARGIN_LEFT_RIGHT


def set_up_styles(document: WordDocument) -> None:
    _drop_styles_with_effects(document)
    styles = document.styles
    # Linked character styles and docDefaults carry theme references too; drop every one of them.
    for fonts in list(styles.element.iter(qn("w:rFonts"))):
        drop_theme_fonts(fonts)
        if not fonts.attrib:
            fonts.getparent().remove(fonts)
    default_run_properties = styles.element.find(f"{qn('w:docDefaults')}/{qn('w:rPrDefault')}/{qn('w:rPr')}")
    if default_run_properties is not None:
        name_fonts(default_run_properties, BODY_FONT)
        # The template says en-US; Word uses the East-Asian language for CJK line breaking and punctuation.
        language = default_run_properties.find(qn("w:lang"))
        if language is not None:
            language.set(qn("w:eastAsia"), "zh-CN")

    normal = styles["Normal"]
    normal.font.size = BODY_SIZE
    # 两端对齐, Word's default for Chinese documents: CJK lines end flush at the right margin.
    normal.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
    name_fonts(normal.element.get_or_add_rPr(), BODY_FONT)

    for name, size in HEADING_STYLES:
        style = styles[name]
        style.font.size = size
        style.font.bold = True
        style.font.italic = False  # the template's Heading 2 is not italic, but its Heading 4 is: be explicit
        style.font.color.rgb = RGBColor(0, 0, 0)  # the template's blue reads as a web page, not a 教案
        name_fonts(style.element.get_or_add_rPr(), HEADING_FONT)

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


def name_fonts(run_properties: CT_RPr, east_asian_font: str) -> None:
    """Name the Latin and East-Asian fonts explicitly (w:rFonts), without theme references."""
    fonts = run_properties.get_or_add_rFonts()
    drop_theme_fonts(fonts)
    for attribute in ("w:ascii", "w:hAnsi", "w:cs"):
        fonts.set(qn(attribute), LATIN_FONT)
    fonts.set(qn("w:eastAsia"), east_asian_font)
    # Quotes, ellipses, dashes and the middle dot exist in both Latin and CJK fonts; the hint tells
    # Word and WPS to set them full-width in the East-Asian font, as Chinese text expects.
    # (LibreOffice ignores it and uses the Latin font.)
    fonts.set(qn("w:hint"), "eastAsia")


def drop_theme_fonts(fonts: CT_Fonts) -> None:
    for attribute in THEME_FONT_ATTRIBUTES:
        fonts.attrib.pop(attribute, None)


# --- Text --------------------------------------------------------------------------------------------


def add_text(
    paragraph: Paragraph,
    text: str,
    *,
    font: str = BODY_FONT,
    bold: bool = False,
    size: Length | None = None,
) -> list[Run]:
    """Every piece of text enters the document here: cleaned, fonts named on each run, and http(s)
    links made clickable (other links were dropped by wording.split_links)."""
    runs = []
    for piece, is_link in split_links(text):
        run = _add_link_run(paragraph, piece) if is_link else paragraph.add_run(piece)
        _format_run(run, font=font, bold=bold, size=size)
        runs.append(run)
    if not runs:  # an empty value still gets a formatted run, so a blank cell keeps its font
        run = paragraph.add_run("")
        _format_run(run, font=font, bold=bold, size=size)
        runs.append(run)
    return runs


def _format_run(run: Run, *, font: str, bold: bool, size: Length | None) -> None:
    name_fonts(run._r.get_or_add_rPr(), font)
    if bold:
        run.bold = True
    if size is not None:
        run.font.size = size


def _add_link_run(paragraph: Paragraph, url: str) -> Run:
    """A run inside a w:hyperlink to an external http(s) address."""
    relationship_id = paragraph.part.relate_to(url, RELATIONSHIP_TYPE.HYPERLINK, is_external=True)
    hyperlink = OxmlElement("w:hyperlink")
    hyperlink.set(qn("r:id"), relationship_id)
    paragraph._p.append(hyperlink)
    run_element = OxmlElement("w:r")
    hyperlink.append(run_element)
    run = Run(run_element, paragraph)
    run.text = url
    run.font.color.rgb = LINK_COLOR
    run.font.underline = True
    return run


# --- Header, footer and fields -----------------------------------------------------------------------


def set_header(section: Section, text: str) -> None:
    """A one-line running header, centred over a thin rule, as printed 教案 have."""
    paragraph = section.header.paragraphs[0]
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    add_text(paragraph, text, size=FOOTER_SIZE)
    properties = paragraph._p.get_or_add_pPr()
    borders = OxmlElement("w:pBdr")
    borders.append(_border("bottom", size=4, space=1))
    properties.insert_element_before(borders, *PARAGRAPH_PROPERTIES_AFTER_BORDERS)


def set_page_number_footer(section: Section) -> None:
    paragraph = section.footer.paragraphs[0]
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    add_text(paragraph, "第 ", size=FOOTER_SIZE)
    add_field(paragraph, "PAGE", shown="1", size=FOOTER_SIZE)
    add_text(paragraph, " 页", size=FOOTER_SIZE)


def add_field(paragraph: Paragraph, instruction: str, *, shown: str, size: Length | None = None) -> None:
    """A complex field (begin, code, separate, result, end), which Word, WPS and LibreOffice recompute
    when paginating; `shown` is the result displayed until they do."""
    _field_run(paragraph, size).append(_field_char("begin"))
    code = OxmlElement("w:instrText")
    code.set(qn("xml:space"), "preserve")
    code.text = f" {instruction} "
    _field_run(paragraph, size).append(code)
    _field_run(paragraph, size).append(_field_char("separate"))
    add_text(paragraph, shown, size=size)
    _field_run(paragraph, size).append(_field_char("end"))


def _field_run(paragraph: Paragraph, size: Length | None) -> BaseOxmlElement:
    run = paragraph.add_run()
    _format_run(run, font=BODY_FONT, bold=False, size=size)
    return run._r


def _field_char(kind: str) -> BaseOxmlElement:
    element = OxmlElement("w:fldChar")
    element.set(qn("w:fldCharType"), kind)
    return element


def _border(side: str, *, size: int, space: int = 0) -> BaseOxmlElement:
    border = OxmlElement(f"w:{side}")
    border.set(qn("w:val"), "single")
    border.set(qn("w:sz"), str(size))  # eighths of a point
    border.set(qn("w:space"), str(space))
    border.set(qn("w:color"), "000000")
    return border


def box_borders() -> BaseOxmlElement:
    """w:tblBorders with a 1 pt single line on all four sides."""
    borders = OxmlElement("w:tblBorders")
    for side in ("top", "left", "bottom", "right"):
        borders.append(_border(side, size=8))
    return borders


def box_cell_margins() -> BaseOxmlElement:
    """w:tblCellMar that keeps a box's text off its border: 0.18 cm above and below, 0.2 cm at the sides."""
    margins = OxmlElement("w:tblCellMar")
    for side, twips in (("top", 100), ("left", 113), ("bottom", 100), ("right", 113)):
        margin = OxmlElement(f"w:{side}")
        margin.set(qn("w:w"), str(twips))
        margin.set(qn("w:type"), "dxa")
        margins.append(margin)
    return margins


# --- Table rows ---------------------------------------------------------------------------------------


def repeat_as_header_row(row_element: CT_Row) -> None:
    """Mark the row as a header, so it repeats at the top of each page the table spans."""
    header = OxmlElement("w:tblHeader")
    header.set(qn("w:val"), "true")
    row_element.get_or_add_trPr().append(header)


def keep_row_on_one_page(row_element: CT_Row) -> None:
    """A row is read as one unit: split across pages, a step's 师 and 幼 or a safety note come apart."""
    cant_split = OxmlElement("w:cantSplit")
    cant_split.set(qn("w:val"), "true")
    row_element.get_or_add_trPr().append(cant_split)
