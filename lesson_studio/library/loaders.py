"""Converters: a file on disk (.md, .txt, .docx) -> a LoadedDocument of heading sections.

Tables become one "header: cell" line per cell, so a row keeps its column headers: in the
《指南》 the headers are the age bands (3～4岁 | 4～5岁 | 5～6岁), and a cell without its header
would lose the one fact retrieval most needs.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import docx
from charset_normalizer import from_bytes
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.table import Table
from docx.text.paragraph import Paragraph

from lesson_studio.errors import InvalidInput

SUPPORTED_SUFFIXES: tuple[str, ...] = (".md", ".markdown", ".txt", ".docx")

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
_GB_FAMILY = {"gb2312", "gbk", "gb18030", "hz", "cp936"}


@dataclass(frozen=True)
class Section:
    """A run of text under one heading path (outermost heading first)."""

    heading_path: list[str]
    text: str
    page: int | None = None


@dataclass(frozen=True)
class LoadedDocument:
    title: str
    sections: list[Section]
    metadata: dict[str, str] = field(default_factory=dict)  # tags parsed from the file

    @property
    def text(self) -> str:
        """The whole text; Chunk.char_start/char_end are offsets into it."""
        return SECTION_SEPARATOR.join(section.text for section in self.sections)


def load(path: Path) -> LoadedDocument:
    """Load one file; raises InvalidInput (naming the file and the reason) when it cannot."""
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        hint = "（请另存为 .docx）" if suffix == ".doc" else ""
        raise InvalidInput(
            f"不支持的文件类型{hint}：{path.name} / Unsupported file type (use .docx, .md or .txt): {path.name}"
        )
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise InvalidInput(f"无法读取文件：{path.name} / Cannot read file: {path.name} ({error.strerror})") from error
    if not raw.strip():
        raise _empty(path)
    if suffix == ".docx":
        document = _load_docx(path)
    else:
        text = decode_text(raw, path.name)
        document = _load_markdown(text, path) if suffix in (".md", ".markdown") else _load_plain_text(text, path)
    if not any(section.text.strip() for section in document.sections):
        raise _empty(path)
    return document


def decode_text(raw: bytes, name: str) -> str:
    """Decode bytes from a teacher's computer: UTF-8 (BOM or not), GBK/GB18030, UTF-16/32."""
    for bom, encoding in (
        (codecs.BOM_UTF32_LE, "utf-32"),  # before UTF-16: its BOM starts with UTF-16 LE's
        (codecs.BOM_UTF32_BE, "utf-32"),
        (codecs.BOM_UTF8, "utf-8-sig"),
        (codecs.BOM_UTF16_LE, "utf-16"),
        (codecs.BOM_UTF16_BE, "utf-16"),
    ):
        if raw.startswith(bom):
            return _normalise_text(raw.decode(encoding, errors="replace"))
    try:
        return _normalise_text(raw.decode("utf-8"))
    except UnicodeDecodeError:
        pass
    best = from_bytes(raw).best()
    if best is not None and best.encoding.replace("_", "").lower() not in _GB_FAMILY:
        text = str(best)
        # Short GBK text is often guessed as Big5/Shift-JIS/EUC-KR; in a Chinese school a
        # strict GB18030 decode that yields mostly common Chinese is the likelier truth.
        gb_text = _strict_gb18030(raw)
        if gb_text is not None and _common_chinese_ratio(gb_text) > _common_chinese_ratio(text):
            return _normalise_text(gb_text)
        return _normalise_text(text)
    # GB18030 is a superset of GB2312 and GBK: decoding with it never loses a character.
    gb_text = _strict_gb18030(raw)
    if gb_text is None:
        raise InvalidInput(
            f"无法识别文件编码：{name}（请另存为 UTF-8）/ Cannot detect the text encoding of {name} (save it as UTF-8)"
        )
    return _normalise_text(gb_text)


def _strict_gb18030(raw: bytes) -> str | None:
    try:
        return raw.decode("gb18030")
    except UnicodeDecodeError:
        return None


def _common_chinese_ratio(text: str) -> float:
    """Share of characters that are CJK ideographs, ASCII or Chinese punctuation."""
    if not text:
        return 0.0
    common = sum(
        1
        for ch in text
        if ch.isascii() or "\u4e00" <= ch <= "\u9fff" or "\u3000" <= ch <= "\u303f" or "\uff00" <= ch <= "\uffef"
    )
    return common / len(text)


def _normalise_text(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\u00a0", " ")
    return text.lstrip("\ufeff")


def parse_tags(text: str) -> tuple[dict[str, str], str]:
    """Read `<!-- tags: key=value; key=value -->` comments; returns (tags, text without them)."""
    tags: dict[str, str] = {}
    for match in _TAGS_COMMENT.finditer(text):
        for pair in re.split(r"[;；\n]", match.group(1)):
            key, sep, value = pair.partition("=")
            if sep and key.strip() and value.strip():
                tags[key.strip()] = value.strip()
    return tags, _TAGS_COMMENT.sub("", text)


def _load_plain_text(text: str, path: Path) -> LoadedDocument:
    tags, text = parse_tags(text)
    body = _tidy(text)
    return LoadedDocument(title=path.stem, sections=[Section([], body)] if body else [], metadata=tags)


def _load_markdown(text: str, path: Path) -> LoadedDocument:
    tags, text = parse_tags(text)
    sections: list[Section] = []
    headings: list[tuple[int, str]] = []  # the open headings, (level, title), outermost first
    lines: list[str] = []
    title = ""
    in_fence = False

    def flush() -> None:
        body = _tidy("\n".join(_markdown_tables_as_lines(lines)))
        if body:
            sections.append(Section([heading for _, heading in headings], body))
        lines.clear()

    for line in text.split("\n"):
        if line.lstrip().startswith(("```", "~~~")):
            in_fence = not in_fence
        match = None if in_fence else _MD_HEADING.match(line)
        if match is None:
            lines.append(line)
            continue
        flush()
        level, heading = len(match.group(1)), _one_line(match.group(2))
        if level == 1 and not title:
            title = heading
        while headings and headings[-1][0] >= level:
            headings.pop()
        headings.append((level, heading))
    flush()
    return LoadedDocument(title=title or path.stem, sections=sections, metadata=tags)


def _markdown_tables_as_lines(lines: list[str]) -> list[str]:
    """Rewrite each markdown table (header row + |---| row) as "header: cell" lines."""
    out: list[str] = []
    i = 0
    while i < len(lines):
        is_table = (
            lines[i].lstrip().startswith("|")
            and i + 1 < len(lines)
            and _MD_TABLE_SEPARATOR.match(lines[i + 1]) is not None
        )
        if not is_table:
            out.append(lines[i])
            i += 1
            continue
        headers = _markdown_cells(lines[i])
        i += 2
        while i < len(lines) and lines[i].lstrip().startswith("|"):
            out.extend(_row_as_lines(headers, _markdown_cells(lines[i])))
            i += 1
    return out


def _markdown_cells(line: str) -> list[str]:
    line = line.strip()
    line = line.removeprefix("|")
    if line.endswith("|") and not line.endswith("\\|"):
        line = line[:-1]
    return [cell.strip() for cell in re.split(r"(?<!\\)\|", line)]


def _row_as_lines(headers: list[str], cells: list[str]) -> list[str]:
    lines = []
    for position, cell in enumerate(cells):
        header = headers[position] if position < len(headers) else ""
        if not cell or cell == header:  # empty, or a merged cell repeating its header
            continue
        lines.append(f"{header}: {cell}" if header else cell)
    return lines


def _load_docx(path: Path) -> LoadedDocument:
    try:
        document = docx.Document(str(path))
    except Exception as error:  # a damaged or disguised file can fail anywhere inside python-docx
        raise InvalidInput(
            f"无法读取文件：{path.name}（不是有效的 Word 文件）/ Cannot read file: {path.name} "
            f"(not a valid Word .docx file)"
        ) from error

    blocks = list(document.iter_inner_content())
    # Many real documents (the MOE 《指南》 among them) style every paragraph "Normal" and mark
    # headings only by bold type; read those as headings only when no heading styles are used.
    uses_heading_styles = any(
        not isinstance(block, Table) and _docx_heading_level(block) is not None for block in blocks
    )
    sections: list[Section] = []
    headings: list[tuple[int, str]] = []
    lines: list[str] = []
    title = ""

    def flush() -> None:
        body = _tidy("\n".join(lines))
        if body:
            sections.append(Section([heading for _, heading in headings], body))
        lines.clear()

    for block in blocks:
        if isinstance(block, Table):
            lines.extend(_docx_table_as_lines(block))
            continue
        text = block.text.strip()
        if not text:
            continue
        if uses_heading_styles:
            level = _docx_heading_level(block)
        else:
            level = _bold_heading_level(block, text, is_first=not (sections or lines or headings))
        if level is None:
            lines.append(text)
            continue
        flush()
        if level <= 1 and not title:
            title = _one_line(text)
        while headings and headings[-1][0] >= level:
            headings.pop()
        headings.append((level, _one_line(text)))
    flush()
    return LoadedDocument(title=title or path.stem, sections=sections, metadata={})


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


def _bold_heading_level(paragraph: Paragraph, text: str, is_first: bool) -> int | None:
    """Level of a short, wholly bold paragraph read as a heading; None for body text.

    The level follows Chinese official numbering: 一、 (1), （一） (2), 目标1 / 1． (3); a centred
    first line is the title (0); other bold lines (说明, 活动目标：) are level 1.
    """
    if len(text) > _BOLD_HEADING_MAX_CHARS or text[-1] in "。！？；.!?;":
        return None
    runs = [run for run in paragraph.runs if run.text.strip()]
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


def _docx_table_as_lines(table: Table) -> list[str]:
    rows = []
    for row in table.rows:
        cells, seen = [], set()
        for cell in row.cells:
            # A merged cell appears once per grid column it spans; keep it once.
            if id(cell._tc) in seen:
                continue
            seen.add(id(cell._tc))
            cells.append(" ".join(part.strip() for part in cell.text.split("\n") if part.strip()))
        rows.append(cells)
    if not rows:
        return []
    if len(rows) == 1:
        return [cell for cell in rows[0] if cell]
    headers, lines = rows[0], []
    for cells in rows[1:]:
        lines.extend(_row_as_lines(headers, cells))
    return lines


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _tidy(text: str) -> str:
    text = "\n".join(line.rstrip() for line in text.split("\n"))
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def _empty(path: Path) -> InvalidInput:
    return InvalidInput(f"文件为空：{path.name} / File is empty: {path.name}")
