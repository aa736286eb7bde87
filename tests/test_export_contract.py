"""What every Word export must give, whichever way it is made: the built-in layout (one plan or a theme
unit) or the starter school template. Each export is reopened with python-docx."""

from __future__ import annotations

import io
import re

import docx
import pytest
from docx.oxml.ns import qn
from sample_plans import sample_plan, sample_unit, small_class_plan

from lesson_studio.export import Cover, fill_template, plan_to_docx_bytes, unit_to_docx_bytes
from lesson_studio.export.templates import STARTER_PATH
from lesson_studio.models import LessonPlan

COVER = Cover(teacher="王\x08老师", class_name="大二班", date="2025年3月12日", school="阳光幼儿园")
THEME_FONT_ATTRIBUTES = {qn(f"w:{name}") for name in ("asciiTheme", "eastAsiaTheme", "hAnsiTheme", "cstheme")}
# What wording.CONTROL_CHARACTERS strips, as it would appear in saved XML text.
CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e]")


def dirty(plan: LessonPlan) -> LessonPlan:
    """The plan with control characters where model output has been seen to carry them."""
    plan = plan.model_copy(deep=True)
    plan.title = plan.title[:20] + "\x07\x1b"
    plan.design_intent = "\x00" + plan.design_intent + "\u202e"
    plan.steps[0] = plan.steps[0].model_copy(update={"teacher": "师：\x0b看图" + "\x0c", "children": "幼：\x1f说"})
    plan.objectives[0] = plan.objectives[0].model_copy(update={"text": "知道\x85桥"})
    return plan


def plans_for(kind: str) -> list[LessonPlan]:
    return sample_unit(3) if kind == "unit" else [small_class_plan() if kind == "小班" else sample_plan()]


def export(kind: str) -> bytes:
    plans = [dirty(plan) for plan in plans_for(kind)]
    if kind == "unit":
        return unit_to_docx_bytes(plans, title="主题单元：桥\x07", cover=COVER)
    if kind == "starter template":
        return fill_template(STARTER_PATH.read_bytes(), plans[0], COVER)
    return plan_to_docx_bytes(plans[0], COVER)


KINDS = ["built-in", "小班", "unit", "starter template"]


@pytest.fixture(params=KINDS)
def kind(request) -> str:
    return request.param


@pytest.fixture
def document(kind):
    return docx.Document(io.BytesIO(export(kind)))


def test_every_section_is_a4_with_standard_margins(document):
    for section in document.sections:
        assert (round(section.page_width.cm, 1), round(section.page_height.cm, 1)) == (21.0, 29.7)
        assert round(section.top_margin.cm, 2) == round(section.bottom_margin.cm, 2) == 2.54
        assert round(section.left_margin.cm, 2) == round(section.right_margin.cm, 2) == 3.17


def test_process_tables_have_one_row_per_step(document, kind):
    process_tables = [t for t in document.tables if t.rows[0].cells[0].text == "环节"]
    assert [len(t.rows) - 1 for t in process_tables] == [len(plan.steps) for plan in plans_for(kind)]


def test_process_table_shows_the_cps_stage_of_each_step(document, kind):
    process_tables = [t for t in document.tables if t.rows[0].cells[0].text == "环节"]
    for table, plan in zip(process_tables, plans_for(kind), strict=True):
        assert [row.cells[0].text.split("\n")[0] for row in table.rows[1:]] == [
            f"{step.phase}·{step.cps_stage}" for step in plan.steps
        ]


def test_header_names_the_school_and_footer_numbers_the_pages(document):
    section = document.sections[0]
    assert "阳光幼儿园" in section.header.paragraphs[0].text
    instructions = [element.text.strip() for element in section.footer._element.iter(qn("w:instrText"))]
    assert instructions == ["PAGE"]


def test_no_control_characters_in_any_part(document):
    for part in document.part.package.iter_parts():
        if part.partname.endswith(".xml"):
            text = part.blob.decode("utf-8")
            assert not CONTROL.search(text), (part.partname, CONTROL.search(text))
    assert "王老师" in document.element.body.xml  # the text around a stripped character stays


def test_every_run_names_an_east_asian_font(document):
    runs = [run for run in document.element.body.iter(qn("w:r")) if "".join(t.text or "" for t in run.iter(qn("w:t")))]
    fonts = {run.find(f"{qn('w:rPr')}/{qn('w:rFonts')}").get(qn("w:eastAsia")) for run in runs}
    assert fonts == {"宋体", "黑体"}


def test_no_theme_font_attributes_outside_the_theme(document):
    for part in document.part.package.iter_parts():
        if part.partname.endswith(".xml") and "theme" not in part.partname:
            for attribute in THEME_FONT_ATTRIBUTES:
                assert attribute.split("}")[1].encode() not in part.blob, part.partname
