"""Word field codes that reach outside the document: refused in school templates, stripped from every export.

A field is an instruction Word runs when it opens, prints or updates a file. INCLUDETEXT
"\\\\host\\share\\x.docx" reads a file over the network (and hands that host the teacher's Windows
sign-in), INCLUDEPICTURE "http://…" fetches an address each time the 教案 is opened, LINK and
DDE/DDEAUTO start another program, and a HYPERLINK to javascript: or file: runs or opens something on a
click. A 教案 needs none of them; PAGE, NUMPAGES, PAGEREF, TOC and http(s) HYPERLINK fields stay.

Word stores a field in one of two ways: <w:fldSimple w:instr="…"> around its shown result, or a
complex field, runs holding <w:fldChar w:fldCharType="begin"/>, the code in <w:instrText> pieces,
"separate", the shown result, then "end". Complex fields nest, and a field's code may itself be
computed by a field inside it. Stripping a field keeps its shown result as plain text.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass, field

from lxml import etree

from lesson_studio.export.wording import is_safe_link

# INCLUDE and IMPORT are Word's older names for INCLUDETEXT and INCLUDEPICTURE, and still work.
OUTSIDE_FIELDS = frozenset({"INCLUDETEXT", "INCLUDE", "INCLUDEPICTURE", "IMPORT", "LINK", "DDE", "DDEAUTO"})
# HYPERLINK switches that take an argument (\l "bookmark", \o "tooltip", \t "frame"); the others take none.
HYPERLINK_SWITCHES_WITH_ARGUMENT = frozenset({"l", "o", "t"})

# Word's transitional namespace, and ISO strict's, which Word reads as well.
WORD_NAMESPACES = (
    "http://schemas.openxmlformats.org/wordprocessingml/2006/main",
    "http://purl.oclc.org/ooxml/wordprocessingml/main",
)
SIMPLE_FIELDS = frozenset(f"{{{ns}}}fldSimple" for ns in WORD_NAMESPACES)
FIELD_CHARS = frozenset(f"{{{ns}}}fldChar" for ns in WORD_NAMESPACES)
FIELD_CODES = frozenset(f"{{{ns}}}{name}" for ns in WORD_NAMESPACES for name in ("instrText", "delInstrText"))
FIELD_TAGS = (*SIMPLE_FIELDS, *FIELD_CHARS, *FIELD_CODES)

# Where a field sits, for the check's message: part name pattern, Chinese, English.
PART_LABELS = (
    (r"word/document\d*\.xml", "正文", "body"),
    (r"word/header\d*\.xml", "页眉", "header"),
    (r"word/footer\d*\.xml", "页脚", "footer"),
    (r"word/footnotes\.xml", "脚注", "footnotes"),
    (r"word/endnotes\.xml", "尾注", "endnotes"),
    (r"word/comments\w*\.xml", "批注", "comments"),
    (r"word/glossary/.*", "文档部件", "building blocks"),
)

# No entities and no network: these are files from outside.
PARSER = etree.XMLParser(resolve_entities=False, no_network=True)


@dataclass
class _Field:
    """One field's own markup (fldSimple, or fldChar and instrText elements) and its code."""

    elements: list[etree._Element]
    code: list[str] = field(default_factory=list)
    simple: bool = False
    in_code: bool = True  # a complex field before its "separate"
    computed_name: bool = False  # a field inside its code came before any name of its own

    @property
    def instruction(self) -> str:
        return "".join(self.code).strip()


def reaches_outside(instruction: str, *, computed_name: bool = False) -> bool:
    """Would Word, running this field code, read a file, fetch an address or start a program?"""
    if computed_name:  # Word joins the inner field's result to the rest: the name could be anything
        return True
    words = re.findall(r'"[^"]*"|\S+', instruction)
    if not words:
        return False
    name = words[0].upper()
    if name in OUTSIDE_FIELDS:
        return True
    if name == "HYPERLINK":
        target = _hyperlink_target(words[1:])
        return target is not None and not is_safe_link(target)
    return False


def _hyperlink_target(arguments: list[str]) -> str | None:
    """The address of a HYPERLINK field; None for a link to a bookmark in the document (\\l only)."""
    skip_next = False
    for word in arguments:
        if skip_next:
            skip_next = False
        elif re.fullmatch(r"\\[A-Za-z]", word):
            skip_next = word[1].lower() in HYPERLINK_SWITCHES_WITH_ARGUMENT
        else:
            return word.strip('"')
    return None


def outside_fields(data: bytes) -> list[tuple[str, str, str]]:
    """Every field in the .docx that reaches outside: (where in Chinese, where in English, field code)."""
    found = []
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for info in archive.infolist():
            root = _parse_if_it_has_fields(info.filename, archive.read(info))
            if root is None:
                continue
            label_zh, label_en = _part_label(info.filename)
            found += [(label_zh, label_en, item.instruction) for item in _fields(root) if _is_outside(item)]
    return found


def strip_outside_fields(data: bytes) -> bytes:
    """The .docx without fields that reach outside (their shown result stays as plain text); the
    same bytes when it has none. Every exported .docx passes through here last."""
    changed: dict[str, bytes] = {}
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for info in archive.infolist():
            root = _parse_if_it_has_fields(info.filename, archive.read(info))
            if root is None:
                continue
            outside = [item for item in _fields(root) if _is_outside(item)]
            for item in outside:
                _remove(item)
            if outside:
                changed[info.filename] = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)
        if not changed:
            return data
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as rewritten:
            for info in archive.infolist():
                rewritten.writestr(info, changed.get(info.filename) or archive.read(info))
    return buffer.getvalue()


def _parse_if_it_has_fields(name: str, raw: bytes) -> etree._Element | None:
    # Most parts hold no field: skip them unparsed. NULs removed, so UTF-16 text is found as well.
    if not name.endswith(".xml") or b"instr" not in raw.replace(b"\x00", b""):
        return None
    try:
        return etree.fromstring(raw, PARSER)
    except etree.XMLSyntaxError:
        return None  # a part Word cannot read either; the template check reports a broken file


def _fields(root: etree._Element) -> list[_Field]:
    """Every field of one XML part, in document order of their end (nested fields first)."""
    found: list[_Field] = []
    open_fields: list[_Field] = []
    for element in root.iter(*FIELD_TAGS):
        if element.tag in SIMPLE_FIELDS:
            found.append(_Field([element], [_attribute(element, "instr")], simple=True))
        elif element.tag in FIELD_CHARS:
            kind = _attribute(element, "fldCharType")
            if kind == "begin":
                if open_fields and open_fields[-1].in_code and not open_fields[-1].instruction:
                    open_fields[-1].computed_name = True
                open_fields.append(_Field([element]))
            elif open_fields:
                open_fields[-1].elements.append(element)
                if kind == "separate":
                    open_fields[-1].in_code = False
                elif kind == "end":
                    found.append(open_fields.pop())
        elif open_fields and open_fields[-1].in_code:
            open_fields[-1].elements.append(element)
            open_fields[-1].code.append(element.text or "")
    return found + open_fields[::-1]  # a field never ended still has a code Word reads


def _is_outside(item: _Field) -> bool:
    return reaches_outside(item.instruction, computed_name=item.computed_name)


def _remove(item: _Field) -> None:
    for element in item.elements:
        parent = element.getparent()
        if parent is None:
            continue
        if item.simple:  # keep the shown result: the runs inside take the field's place
            position = parent.index(element)
            for offset, child in enumerate(list(element)):
                parent.insert(position + offset, child)
        parent.remove(element)


def _attribute(element: etree._Element, name: str) -> str:
    for namespace in WORD_NAMESPACES:
        value = element.get(f"{{{namespace}}}{name}")
        if value is not None:
            return value
    return ""


def _part_label(name: str) -> tuple[str, str]:
    for pattern, label_zh, label_en in PART_LABELS:
        if re.fullmatch(pattern, name):
            return label_zh, label_en
    return name, name
