"""Converters: a file on disk (.docx, .pdf, .md, .txt) -> a LoadedDocument of heading sections.

Tables become their own sections (kind "table"), one line per row with every cell prefixed by
its column header; a table whose columns are age bands (3～4岁 | 4～5岁 | 5～6岁, as in the
《指南》) becomes one line per cell instead, so each age column stays whole and keeps its band.
A cell without its header would lose the one fact retrieval most needs.

Text a reader of a .docx never sees is dropped, with a warning naming the file, how many
characters and why: runs marked hidden (w:vanish, w:specVanish, w:webHidden), text the colour
of its background (white on white, or equal to the shading), and text of 1 pt or less. Such text
could carry instructions to the model that the curriculum lead never saw. Formatting from
character and paragraph styles and the document defaults counts as well as direct formatting.

These functions parse; they do not vet. lesson_studio.library.checks looks at the bytes first
(size, magic, zip bombs, XML entities, passwords) and the library runs the parsers in a
subprocess with time and memory limits (lesson_studio.library.sandbox).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import docx
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.table import Table
from docx.text.paragraph import Paragraph

from lesson_studio.errors import InvalidInput
from lesson_studio.library import checks
from lesson_studio.library.decoding import decode_text, normalise_text

SUPPORTED_SUFFIXES: tuple[str, ...] = (".md", ".markdown", ".txt", ".docx", ".pdf")

# LoadedDocument.text joins sections with this; chunk offsets index into that text.
SECTION_SEPARATOR = "\n\n"

_TAGS_COMMENT = re.compile(r"<!--\s*tags\s*[:：](.*?)-->", re.DOTALL | re.IGNORECASE)
_MD_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")
_MD_TABLE_SEPARATOR = re.compile(r"^\s*\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$")
_DOCX_HEADING_STYLE = re.compile(r"^(?:heading|标题)\s*(\d)$", re.IGNORECASE)
_BOLD_HEADING_MAX_CHARS = 40
_NUMBERED_HEADING_LEVELS: tuple[tuple[re.Pattern[str], int], ...] = (
    (re.compile(r"^[一二三四五六七八九十]+、"), 1),
    (re.compile(r"^[（(][一二三四五六七八九十]+[）)]"), 2),
    (re.compile(r"^(?:目标\s*\d+|\d+\s*[．.、])"), 3),
)
_AGE_HEADER = re.compile(r"^(?:[3-5]\s*[～~\-—–至到]\s*[4-6]\s*岁|小班|中班|大班)(?:\s*[（(][^)）]*[)）])?$")
_TXBX = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}txbxContent"
_W_P = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}p"
_MC_FALLBACK = "{http://schemas.openxmlformats.org/markup-compatibility/2006}Fallback"
_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_A = "{http://schemas.openxmlformats.org/drawingml/2006/main}"
_WPS_SHAPE = "{http://schemas.microsoft.com/office/word/2010/wordprocessingShape}wsp"
# Text this tiny (w:sz counts half-points: 2 = 1 pt) is a line, not something a reader can read.
TINY_TEXT_HALF_POINTS = 2
# Text and background this close (WCAG contrast ratio; 1.0 = the same colour) cannot be read:
# FFFFFF on white is 1.0, EEEEEE on white 1.16, yellow on white 1.07, light grey D9D9D9 1.41.
MIN_TEXT_CONTRAST = 1.2
_HIDDEN_REASONS = {
    "hidden": ("隐藏格式", "hidden formatting"),
    "colour": ("与背景同色", "the colour of its background"),
    "tiny": ("字号不超过 1 磅", "1 pt or smaller"),
}
_HIGHLIGHT_COLOURS = {
    "black": "000000",
    "white": "FFFFFF",
    "yellow": "FFFF00",
    "lightGray": "C0C0C0",
    "darkGray": "808080",
    "green": "00FF00",
    "cyan": "00FFFF",
    "magenta": "FF00FF",
    "blue": "0000FF",
    "red": "FF0000",
    "darkBlue": "000080",
    "darkCyan": "008080",
    "darkGreen": "008000",
    "darkMagenta": "800080",
    "darkRed": "800000",
    "darkYellow": "808000",
}
_THEME_COLOURS = {"background1": "FFFFFF", "light1": "FFFFFF", "bg1": "FFFFFF", "lt1": "FFFFFF"}
_THEME_COLOURS |= {"text1": "000000", "dark1": "000000", "tx1": "000000", "dk1": "000000"}
_PAGE_NUMBER_ONLY = re.compile(r"^\s*(?:第?\s*\d+\s*页?(?:\s*/\s*共?\s*\d+\s*页?)?|-\s*\d+\s*-|\d+)\s*$")
# A PDF page with fewer characters than this (on average) has no text layer: a scan.
SCANNED_PDF_CHARS_PER_PAGE = 30


@dataclass(frozen=True)
class Section:
    """A run of text under one heading path (outermost heading first).

    kind "table": each line is one table row (or one age-band cell) with its headers; the
    chunker gives every such line a chunk of its own.
    """

    heading_path: list[str]
    text: str
    page: int | None = None
    kind: str = "text"


@dataclass(frozen=True)
class LoadedDocument:
    title: str
    sections: list[Section]
    metadata: dict[str, str] = field(default_factory=dict)  # tags parsed from the file
    warnings: list[str] = field(default_factory=list)  # for the curriculum lead, Chinese / English

    @property
    def text(self) -> str:
        """The whole text; Chunk.char_start/char_end are offsets into it."""
        return SECTION_SEPARATOR.join(section.text for section in self.sections)

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "title": self.title,
            "metadata": self.metadata,
            "sections": [[s.heading_path, s.text, s.page, s.kind] for s in self.sections],
        }
        if self.warnings:  # only then: the library hashes this JSON for documents it already holds
            data["warnings"] = self.warnings
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> LoadedDocument:
        return cls(
            title=str(data["title"]),
            sections=[Section(list(path), str(text), page, str(kind)) for path, text, page, kind in data["sections"]],
            metadata={str(k): str(v) for k, v in data.get("metadata", {}).items()},
            warnings=[str(warning) for warning in data.get("warnings", [])],
        )


def load(path: Path, *, max_bytes: int | None = None) -> LoadedDocument:
    """Vet and parse one file in this process; raises InvalidInput (naming the file and the reason).

    The library parses in a subprocess (sandbox.parse_file); this is for tests and tools.
    """
    kind = checks.inspect_file(Path(path), max_bytes=max_bytes)
    return parse(Path(path), kind)


def parse(path: Path, kind: str) -> LoadedDocument:
    """Parse a file that checks.inspect_file has vetted as `kind` (docx, pdf, markdown, text)."""
    if kind == "docx":
        document = _load_docx(path)
    elif kind == "pdf":
        document = _load_pdf(path)
    else:
        text = decode_text(path.read_bytes(), path.name)
        document = _load_markdown(text, path) if kind == "markdown" else _load_plain_text(text, path)
    if not any(section.text.strip() for section in document.sections):
        raise checks.empty_file(path.name)
    return document


def parse_tags(text: str) -> tuple[dict[str, str], str]:
    """Read `<!-- tags: key=value; key=value -->` comments; returns (tags, text without them)."""
    tags: dict[str, str] = {}
    for match in _TAGS_COMMENT.finditer(text):
        for pair in re.split(r"[;；\n]", match.group(1)):
            key, sep, value = pair.partition("=")
            if sep and key.strip() and value.strip():
                tags[key.strip()] = value.strip()
    return tags, _TAGS_COMMENT.sub("", text)


class _Builder:
    """Collects lines under the open headings and cuts them into Sections."""

    def __init__(self) -> None:
        self.sections: list[Section] = []
        self.headings: list[tuple[int, str]] = []  # the open headings, (level, title), outermost first
        self.lines: list[str] = []
        self.page: int | None = None
        self.title = ""

    def flush(self) -> None:
        body = _tidy("\n".join(self.lines))
        if body:
            self.sections.append(Section([heading for _, heading in self.headings], body, self.page))
        self.lines.clear()

    def heading(self, level: int, text: str) -> None:
        self.flush()
        text = _one_line(text)
        if level <= 1 and not self.title:
            self.title = text
        while self.headings and self.headings[-1][0] >= level:
            self.headings.pop()
        self.headings.append((level, text))

    def table(self, rows: list[list[str]]) -> None:
        lines = _table_lines(rows)
        if lines:
            self.flush()
            self.sections.append(
                Section([heading for _, heading in self.headings], "\n".join(lines), self.page, "table")
            )

    def set_page(self, page: int) -> None:
        if page != self.page:
            self.flush()
            self.page = page

    def is_empty(self) -> bool:
        return not (self.sections or self.lines or self.headings)


def _load_plain_text(text: str, path: Path) -> LoadedDocument:
    tags, text = parse_tags(text)
    builder = _Builder()
    lines = text.split("\n")
    # A short first line without closing punctuation is the title, as in a Word file.
    first = next((position for position, line in enumerate(lines) if line.strip()), None)
    title = ""
    has_body = first is not None and any(line.strip() for line in lines[first + 1 :])
    # A file of one short line is that line as text, not a title over nothing.
    if first is not None and has_body and _numbered_heading_level(lines[first].strip()) is None:
        candidate = lines[first].strip()
        if len(candidate) <= _BOLD_HEADING_MAX_CHARS and candidate[-1] not in "。！？；.!?;：:，,":
            title = _one_line(candidate)
            builder.heading(0, title)
            lines = lines[first + 1 :]
    _add_plain_lines(builder, lines)
    builder.flush()
    return LoadedDocument(title=title or path.stem, sections=builder.sections, metadata=tags)


def _add_plain_lines(builder: _Builder, lines: list[str]) -> None:
    """Plain text: pipe tables and numbered official headings (一、 （一） 目标1) give the structure."""
    i = 0
    while i < len(lines):
        if _is_pipe_table_start(lines, i):
            headers = _markdown_cells(lines[i])
            i += 2
            rows = [headers]
            while i < len(lines) and lines[i].lstrip().startswith("|"):
                rows.append(_markdown_cells(lines[i]))
                i += 1
            builder.table(rows)
            continue
        line = lines[i]
        level = _numbered_heading_level(line.strip())
        if level is None:
            builder.lines.append(line)
        else:
            builder.heading(level, line.strip())
        i += 1


def _numbered_heading_level(text: str) -> int | None:
    """Level of a short line numbered like an official heading; None for body text."""
    if not text or len(text) > _BOLD_HEADING_MAX_CHARS or text[-1] in "。！？；.!?;：:，,":
        return None
    for pattern, level in _NUMBERED_HEADING_LEVELS:
        if pattern.match(text):
            return level
    return None


def _load_markdown(text: str, path: Path) -> LoadedDocument:
    tags, text = parse_tags(text)
    builder = _Builder()
    lines = text.split("\n")
    in_fence = False
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.lstrip().startswith(("```", "~~~")):
            in_fence = not in_fence
        if not in_fence and _is_pipe_table_start(lines, i):
            headers = _markdown_cells(lines[i])
            i += 2
            rows = [headers]
            while i < len(lines) and lines[i].lstrip().startswith("|"):
                rows.append(_markdown_cells(lines[i]))
                i += 1
            builder.table(rows)
            continue
        match = None if in_fence else _MD_HEADING.match(line)
        if match is None:
            builder.lines.append(line)
        else:
            builder.heading(len(match.group(1)), match.group(2))
        i += 1
    builder.flush()
    return LoadedDocument(title=builder.title or path.stem, sections=builder.sections, metadata=tags)


def _is_pipe_table_start(lines: list[str], i: int) -> bool:
    return (
        lines[i].lstrip().startswith("|") and i + 1 < len(lines) and _MD_TABLE_SEPARATOR.match(lines[i + 1]) is not None
    )


def _markdown_cells(line: str) -> list[str]:
    line = line.strip()
    line = line.removeprefix("|")
    if line.endswith("|") and not line.endswith("\\|"):
        line = line[:-1]
    return [_one_line(cell) for cell in re.split(r"(?<!\\)\|", line)]


def _is_age(text: str) -> bool:
    return _AGE_HEADER.match(text.strip()) is not None


def _table_lines(rows: list[list[str]]) -> list[str]:
    """One line per row, each cell after its header; an age-band table: one line per cell."""
    rows = [row for row in rows if any(cell for cell in row)]
    if not rows:
        return []
    if len(rows) == 1:
        return [cell for cell in rows[0] if cell]
    headers, body = rows[0], rows[1:]
    age_columns = [position for position, header in enumerate(headers) if _is_age(header)]
    lines: list[str] = []
    if age_columns and all(_is_age(h) or not h or position == 0 for position, h in enumerate(headers)):
        # The 《指南》 shape: the columns are the age bands; each column's cell is one unit.
        for cells in body:
            label = cells[0] if 0 not in age_columns and cells and cells[0] else ""
            for position in age_columns:
                cell = cells[position] if position < len(cells) else ""
                if cell and cell != headers[position]:
                    lines.append(f"{headers[position]}: {label + '：' if label else ''}{cell}")
        return lines
    for cells in body:
        if cells and _is_age(cells[0]) and len(cells) > 1:
            # A row that belongs to one age band ("小班 | ... | ..."): the band leads the line.
            rest = _cells_with_headers(headers[1:], cells[1:])
            lines.append(f"{cells[0]}: {rest}" if rest else cells[0])
        else:
            line = _cells_with_headers(headers, cells)
            if line:
                lines.append(line)
    return lines


def _cells_with_headers(headers: list[str], cells: list[str]) -> str:
    parts = []
    for position, cell in enumerate(cells):
        header = headers[position] if position < len(headers) else ""
        if not cell or cell == header:  # empty, or a merged cell repeating its header
            continue
        parts.append(f"{header}: {cell}" if header else cell)
    return "；".join(parts)


def _load_docx(path: Path) -> LoadedDocument:
    try:
        document = docx.Document(str(path))
    except MemoryError:
        raise  # the sandbox's memory limit: reported as such, not as a damaged file
    except Exception as error:  # a damaged or disguised file can fail anywhere inside python-docx
        raise InvalidInput(
            f"无法读取文件：{path.name}（不是有效的 Word 文件）/ Cannot read file: {path.name} "
            f"(not a valid Word .docx file)"
        ) from error

    blocks = list(document.iter_inner_content())
    visible = _Visibility(document)
    # Many real documents (the MOE 《指南》 among them) style every paragraph "Normal" and mark
    # headings only by bold type; read those as headings only when no heading styles are used.
    uses_heading_styles = any(
        not isinstance(block, Table) and _docx_heading_level(block) is not None for block in blocks
    )
    builder = _Builder()
    for block in blocks:
        if isinstance(block, Table):
            builder.table(_docx_table_rows(block, visible))
            continue
        text = visible.text(block._p).strip()
        boxes = _text_box_lines(block._p, visible)
        if text:
            if uses_heading_styles:
                level = _docx_heading_level(block)
            else:
                level = _bold_heading_level(block, text, is_first=builder.is_empty(), visible=visible)
            if level is None:
                builder.lines.append(text)
            else:
                builder.heading(level, text)
        builder.lines.extend(boxes)
    builder.flush()
    header_lines = _header_footer_lines(document, visible)
    if header_lines:
        builder.sections.append(Section(["页眉页脚"], "\n".join(header_lines)))
    warnings = [visible.warning(path.name)] if visible.dropped else []
    if visible.dropped and not any(section.text.strip() for section in builder.sections):
        raise InvalidInput(
            f"{path.name} 中的文字全部是读者看不到的隐藏文字，已拒收 / All the text in {path.name} is hidden from "
            f"readers, so it was refused ({visible.reasons()})"
        )
    return LoadedDocument(title=builder.title or path.stem, sections=builder.sections, metadata={}, warnings=warnings)


class _Visibility:
    """Which runs of a .docx a reader never sees; counts the characters it drops, by reason."""

    def __init__(self, document: Any) -> None:
        styles = document.styles.element
        self.styles = {style.get(f"{_W}styleId"): style for style in styles.iterchildren(f"{_W}style")}
        self.default_paragraph_style = next(
            (
                style.get(f"{_W}styleId")
                for style in self.styles.values()
                if style.get(f"{_W}type") == "paragraph" and _is_on(style.get(f"{_W}default"), default=False)
            ),
            None,
        )
        self.defaults = styles.xpath("./w:docDefaults/w:rPrDefault/w:rPr")
        page = document.element.find(f"{_W}background")
        self.page_colour = _colour(page.get(f"{_W}color")) if page is not None else None
        self.dropped: Counter[str] = Counter()
        self._chains: dict[tuple[str | None, str], list[Any]] = {}

    def text(self, paragraph: Any) -> str:
        """The text of one w:p a reader sees (text boxes inside it excluded: they are read apart)."""
        parts = []
        for run in paragraph.iter(f"{_W}r"):
            if not _belongs_to(run, paragraph):
                continue
            text = run.text if hasattr(run, "text") else ""
            if not text:
                continue
            reason = self.hidden(run, paragraph)
            if reason is None:
                parts.append(text)
            else:
                self.dropped[reason] += sum(1 for ch in text if not ch.isspace())
        return "".join(parts)

    def hidden(self, run: Any, paragraph: Any) -> str | None:
        """Why a reader cannot see this run ("hidden", "colour", "tiny"), or None."""
        properties = self._properties(run, paragraph)
        for tag in ("vanish", "specVanish", "webHidden"):
            found = _first(properties, tag)
            if found is not None and _is_on(found.get(f"{_W}val")):
                return "hidden"
        size = _first(properties, "sz")
        half_points = size.get(f"{_W}val") if size is not None else None
        if half_points and half_points.isdigit() and int(half_points) <= TINY_TEXT_HALF_POINTS:
            return "tiny"
        colour = _first(properties, "color")
        text_colour = None
        if colour is not None:
            text_colour = _colour(colour.get(f"{_W}val")) or _THEME_COLOURS.get(colour.get(f"{_W}themeColor") or "")
        if text_colour is not None:
            background = self._background(run, paragraph, properties)
            if background is not None and _contrast(text_colour, background) < MIN_TEXT_CONTRAST:
                return "colour"
        return None

    def warning(self, name: str) -> str:
        total = sum(self.dropped.values())
        return (
            f"{name}：删去了 {total} 个读者看不到的字符（{self.reasons(zh=True)}），这些文字不会进入资料库 / {name}: "
            f"dropped {total} characters a reader cannot see ({self.reasons()}); they are not added to the library"
        )

    def reasons(self, *, zh: bool = False) -> str:
        if zh:
            return "、".join(f"{_HIDDEN_REASONS[reason][0]} {count} 个" for reason, count in self.dropped.items())
        return ", ".join(f"{_HIDDEN_REASONS[reason][1]}: {count}" for reason, count in self.dropped.items())

    def _properties(self, run: Any, paragraph: Any) -> list[Any]:
        """The run's w:rPr elements, strongest first: direct, character style, paragraph style, defaults."""
        direct = run.find(f"{_W}rPr")
        run_style = direct.find(f"{_W}rStyle") if direct is not None else None
        paragraph_style = paragraph.find(f"{_W}pPr/{_W}pStyle")
        paragraph_style_id = (
            paragraph_style.get(f"{_W}val") if paragraph_style is not None else self.default_paragraph_style
        )
        return [
            *([direct] if direct is not None else []),
            *self._chain(run_style.get(f"{_W}val") if run_style is not None else None, "rPr"),
            *self._chain(paragraph_style_id, "rPr"),
            *self.defaults,
        ]

    def _chain(self, style_id: str | None, part: str) -> list[Any]:
        """A style's w:rPr (or w:pPr) and those of the styles it is based on, nearest first."""
        key = (style_id, part)
        if key not in self._chains:
            elements, seen = [], set()
            while style_id and style_id in self.styles and style_id not in seen:
                seen.add(style_id)
                style = self.styles[style_id]
                element = style.find(f"{_W}{part}")
                if element is not None:
                    elements.append(element)
                based_on = style.find(f"{_W}basedOn")
                style_id = based_on.get(f"{_W}val") if based_on is not None else None
            self._chains[key] = elements
        return self._chains[key]

    def _background(self, run: Any, paragraph: Any, properties: list[Any]) -> str | None:
        """The colour behind the run: highlight, run shading, paragraph shading, table cell, text box,
        page; None where it cannot be told (then white text is not judged)."""
        highlight = _first(properties, "highlight")
        if highlight is not None and highlight.get(f"{_W}val") in _HIGHLIGHT_COLOURS:
            return _HIGHLIGHT_COLOURS[highlight.get(f"{_W}val")]
        shading = _shading(_first(properties, "shd"))
        if shading is not None:
            return shading
        paragraph_style = paragraph.find(f"{_W}pPr/{_W}pStyle")
        style_id = paragraph_style.get(f"{_W}val") if paragraph_style is not None else self.default_paragraph_style
        direct = paragraph.find(f"{_W}pPr")
        for element in [*([direct] if direct is not None else []), *self._chain(style_id, "pPr")]:
            found = element.find(f"{_W}shd")
            if found is not None:
                shading = _shading(found)
                if shading is not None:
                    return shading
                break
        for ancestor in paragraph.iterancestors():
            if ancestor.tag == f"{_W}tc":
                shading = _shading(ancestor.find(f"{_W}tcPr/{_W}shd"))
                if shading is not None:
                    return shading
            elif ancestor.tag == _TXBX:
                shape = next(ancestor.iterancestors(_WPS_SHAPE), None)
                fill = _shape_fill(shape) if shape is not None else "unknown"  # a VML box's fill is not read
                if fill != "transparent":
                    return None if fill == "unknown" else fill
                break
        return self.page_colour or "FFFFFF"


def _belongs_to(run: Any, paragraph: Any) -> bool:
    """A run of this paragraph itself: not of a text box inside it, not deleted, not a VML copy."""
    for ancestor in run.iterancestors():
        if ancestor is paragraph:
            return True
        if ancestor.tag in (_W_P, f"{_W}del", f"{_W}moveFrom", _MC_FALLBACK):
            return False
    return False


def _first(properties: list[Any], tag: str) -> Any:
    for element in properties:
        found = element.find(f"{_W}{tag}")
        if found is not None:
            return found
    return None


def _is_on(value: str | None, *, default: bool = True) -> bool:
    if value is None:
        return default
    return value.lower() in ("1", "true", "on")


def _colour(value: str | None) -> str | None:
    value = (value or "").strip().upper()
    return value if re.fullmatch(r"[0-9A-F]{6}", value) else None


def _shading(element: Any) -> str | None:
    """The colour a w:shd paints: its pattern colour when solid, else its fill; None if clear."""
    if element is None:
        return None
    if element.get(f"{_W}val") == "solid":
        solid = _colour(element.get(f"{_W}color"))
        if solid is not None:
            return solid
    return _colour(element.get(f"{_W}fill")) or _THEME_COLOURS.get(element.get(f"{_W}themeFill") or "")


def _shape_fill(shape: Any) -> str:
    """A DrawingML text box's fill: RRGGBB when solid, "transparent", or "unknown" (gradient,
    picture, an unmapped theme colour)."""
    properties = shape.find("{http://schemas.microsoft.com/office/word/2010/wordprocessingShape}spPr")
    if properties is None or properties.find(f"{_A}noFill") is not None:
        return "transparent"
    solid = properties.find(f"{_A}solidFill")
    if solid is None:
        other = any(
            properties.find(f"{_A}{tag}") is not None for tag in ("gradFill", "blipFill", "pattFill", "grpFill")
        )
        return "unknown" if other else "transparent"
    rgb, scheme = solid.find(f"{_A}srgbClr"), solid.find(f"{_A}schemeClr")
    colour = _colour(rgb.get("val")) if rgb is not None else None
    if colour is None and scheme is not None:
        colour = _THEME_COLOURS.get(scheme.get("val") or "")
    return colour or "unknown"


def _contrast(first: str, second: str) -> float:
    """WCAG contrast ratio of two RRGGBB colours: 1.0 (the same) to 21 (black on white)."""

    def luminance(colour: str) -> float:
        channels = []
        for position in (0, 2, 4):
            value = int(colour[position : position + 2], 16) / 255
            channels.append(value / 12.92 if value <= 0.03928 else ((value + 0.055) / 1.055) ** 2.4)
        return 0.2126 * channels[0] + 0.7152 * channels[1] + 0.0722 * channels[2]

    lighter, darker = sorted((luminance(first), luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def _text_box_lines(element: Any, visible: _Visibility) -> list[str]:
    """Paragraphs inside text boxes (w:txbxContent), which python-docx's paragraph.text skips.

    Word stores each box twice (DrawingML and a VML fallback inside mc:Fallback); read it once.
    """
    lines = []
    for box in element.iter(_TXBX):
        if any(ancestor.tag == _MC_FALLBACK for ancestor in box.iterancestors()):
            continue
        for paragraph in box.iter(_W_P):
            text = visible.text(paragraph).strip()
            if text:
                lines.append(text)
    return lines


def _header_footer_lines(document: Any, visible: _Visibility) -> list[str]:
    """Distinct header and footer lines of every section, without bare page numbers."""
    seen: list[str] = []
    for section in document.sections:
        for part in (
            section.header,
            section.first_page_header,
            section.even_page_header,
            section.footer,
            section.first_page_footer,
            section.even_page_footer,
        ):
            if part.is_linked_to_previous and section is not document.sections[0]:
                continue
            try:
                element = part._element
            except Exception:  # noqa: BLE001  no such part in this section
                continue
            if element is None:
                continue
            for paragraph in element.iter(_W_P):
                text = visible.text(paragraph).strip()
                if text and not _PAGE_NUMBER_ONLY.match(text) and text not in seen:
                    seen.append(text)
    return seen


def _docx_table_rows(table: Table, visible: _Visibility) -> list[list[str]]:
    rows = []
    for row in table.rows:
        cells, seen = [], set()
        for cell in row.cells:
            # A merged cell appears once per grid column it spans; keep it once.
            if id(cell._tc) in seen:
                continue
            seen.add(id(cell._tc))
            text = "\n".join(visible.text(paragraph._p) for paragraph in cell.paragraphs)
            cells.append(" ".join(part.strip() for part in text.split("\n") if part.strip()))
        rows.append(cells)
    return rows


def _load_pdf(path: Path) -> LoadedDocument:
    import pypdf  # only the parser process needs it

    try:
        reader = pypdf.PdfReader(str(path))
        if reader.is_encrypted and not reader.decrypt(""):
            raise _password_protected(path)
        builder = _Builder()
        characters = 0
        pages = reader.pages
        for number, page in enumerate(pages, start=1):
            text = normalise_text(page.extract_text() or "")
            characters += sum(1 for ch in text if not ch.isspace())
            builder.set_page(number)
            _add_plain_lines(builder, text.split("\n"))
        builder.flush()
        metadata_title = ((reader.metadata or {}).get("/Title") or "") if reader.metadata else ""
    except (InvalidInput, MemoryError):
        raise
    except Exception as error:  # pypdf raises many types on damaged files
        if "password" in str(error).lower() or "decrypt" in str(error).lower():
            raise _password_protected(path) from error
        raise InvalidInput(
            f"无法读取文件：{path.name}（PDF 已损坏）/ Cannot read file: {path.name} (damaged PDF: {error})"
        ) from error
    if characters < SCANNED_PDF_CHARS_PER_PAGE * max(1, len(pages)):
        raise InvalidInput(
            f"{path.name} 中没有可提取的文字——是扫描件吗？请上传带文字层的 PDF 或 Word 文件 / "
            f"No text found in {path.name} — scanned? Upload a PDF with a text layer, or the Word file"
        )
    title = _one_line(str(metadata_title)) or path.stem
    return LoadedDocument(title=title, sections=builder.sections, metadata={})


def _password_protected(path: Path) -> InvalidInput:
    return InvalidInput(
        f"{path.name} 设有打开密码，请先取消密码再上传 / {path.name} is password-protected: remove the password "
        f"and upload it again"
    )


def _docx_heading_level(paragraph: Paragraph) -> int | None:
    """0 for the Title style, n for "Heading n" / "标题 n" or an outline level; None for body text."""
    style = getattr(paragraph, "style", None)
    style_name = (getattr(style, "name", "") or "").strip()
    if style_name.lower() == "title":
        return 0
    match = _DOCX_HEADING_STYLE.match(style_name)
    if match:
        return int(match.group(1))
    # Documents written in WPS or with custom styles mark headings only by outline level
    # (0-8; 9 means body text), on the paragraph or on its style.
    elements = [getattr(paragraph, "_p", None), getattr(style, "element", None)]
    for element in elements:
        if element is None:
            continue
        values = element.xpath("./w:pPr/w:outlineLvl/@w:val")
        if values and values[0].isdigit() and int(values[0]) < 9:
            return int(values[0]) + 1
    return None


def _bold_heading_level(paragraph: Paragraph, text: str, is_first: bool, visible: _Visibility) -> int | None:
    """Level of a short, wholly bold paragraph read as a heading; None for body text.

    The level follows Chinese official numbering: 一、 (1), （一） (2), 目标1 / 1． (3); a centred
    first line is the title (0); other bold lines (说明, 活动目标：) are level 1.
    """
    if len(text) > _BOLD_HEADING_MAX_CHARS or text[-1] in "。！？；.!?;":
        return None
    runs = [run for run in paragraph.runs if run.text.strip() and visible.hidden(run._r, paragraph._p) is None]
    if not runs or not all(_is_bold(run, paragraph) for run in runs):
        return None
    if is_first and paragraph.paragraph_format.alignment == WD_ALIGN_PARAGRAPH.CENTER:
        return 0
    for pattern, level in _NUMBERED_HEADING_LEVELS:
        if pattern.match(text):
            return level
    return 1


def _is_bold(run: Any, paragraph: Paragraph) -> bool:
    if run.bold is not None:
        return bool(run.bold)
    for style in (run.style, paragraph.style):
        while style is not None:  # bold may be inherited through the style chain
            if style.font.bold is not None:
                return bool(style.font.bold)
            style = style.base_style
    return False


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _tidy(text: str) -> str:
    text = "\n".join(line.rstrip() for line in text.split("\n"))
    return re.sub(r"\n{3,}", "\n\n", text).strip()
