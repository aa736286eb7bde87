"""A theme unit: several plans in one Word document, with a contents table whose page numbers are fields."""

from __future__ import annotations

import io

import docx
import pytest
from docx.oxml.ns import qn
from sample_plans import sample_plan, sample_unit

from lesson_studio.errors import InvalidInput, NotAllowed
from lesson_studio.export import Cover, build_unit_docx, unit_to_docx_bytes
from lesson_studio.studio import Studio


def unit(plans=None, title="主题单元：桥", **cover):
    data = unit_to_docx_bytes(plans or sample_unit(3), title=title, cover=Cover(**cover))
    return docx.Document(io.BytesIO(data))


def contents(document):
    return document.tables[0]


def test_unit_starts_with_its_title_and_a_contents_table():
    document = unit()
    assert [document.paragraphs[0].style.name, document.paragraphs[0].text] == ["Title", "主题单元：桥"]
    rows = [[cell.text for cell in row.cells] for row in contents(document).rows]
    assert rows[0] == ["课次", "活动名称", "领域", "时长", "页码"]
    assert rows[1][:4] == ["第一课", "大班科学：给小鸭搭座桥（1）", "科学", "30分钟"]
    assert [row[0] for row in rows[1:]] == ["第一课", "第二课", "第三课"]


def test_each_plan_starts_on_a_new_page_under_a_lesson_heading():
    plan_headings = [p for p in unit().paragraphs if p.style.name == "Heading 1" and p.text != "目录"]
    assert [p.text for p in plan_headings] == [
        "第一课　大班科学：给小鸭搭座桥（1）",
        "第二课　小班健康：搬积木回家（2）",
        "第三课　大班科学：给小鸭搭座桥（3）",
    ]
    assert all(p.paragraph_format.page_break_before for p in plan_headings)


def test_sections_are_numbered_again_in_each_plan():
    sections = [p.text for p in unit(sample_unit(2)).paragraphs if p.style.name == "Heading 2"]
    assert sections.count("一、设计意图") == 2
    assert sections[:9][-1] == "九、参考资料" and sections[9:][-1] == "七、活动延伸"  # the 小班 plan cites nothing


def test_contents_names_link_to_the_plans_and_pages_are_pageref_fields():
    document = unit()
    bookmarks = [b.get(qn("w:name")) for b in document.element.body.iter(qn("w:bookmarkStart"))]
    anchors = [h.get(qn("w:anchor")) for h in contents(document)._tbl.iter(qn("w:hyperlink"))]
    fields = [t.text.strip() for t in contents(document)._tbl.iter(qn("w:instrText"))]
    assert anchors == bookmarks == ["_LessonPlan1", "_LessonPlan2", "_LessonPlan3"]
    assert fields == [f"PAGEREF {name} \\h" for name in bookmarks]


def test_word_is_asked_to_update_the_page_numbers():
    settings = unit().settings.element
    assert settings.find(qn("w:updateFields")).get(qn("w:val")) == "true"


def test_process_table_per_plan():
    process_tables = [t for t in unit().tables if t.rows[0].cells[0].text == "环节"]
    assert [len(t.rows) - 1 for t in process_tables] == [len(p.steps) for p in sample_unit(3)]


def test_blank_title_becomes_a_plain_one():
    assert unit(title=" \x07 ").paragraphs[0].text == "主题单元"


def test_cover_fields_fill_every_plans_cover_and_the_header():
    document = unit(teacher="王老师", school="阳光幼儿园")
    covers = [t for t in document.tables if t.rows[0].cells[0].text == "活动名称"]
    assert [t.rows[4].cells[1].text for t in covers] == ["王老师"] * 3
    assert document.sections[0].header.paragraphs[0].text.startswith("阳光幼儿园")


@pytest.mark.parametrize("count", [0, 41])
def test_unit_size_is_bounded(count):
    with pytest.raises(InvalidInput):
        unit_to_docx_bytes([sample_plan()] * count, title="x")


def test_unit_file_is_written_in_place(tmp_path):
    target = build_unit_docx(sample_unit(2), tmp_path / "单元.docx", title="桥")
    assert [p.name for p in tmp_path.iterdir()] == ["单元.docx"]
    assert docx.Document(str(target)).paragraphs[0].text == "桥"


def test_studio_unit_export_only_reads_the_users_own_plans(tmp_path, fake_backend):
    from lesson_studio.config import Settings

    studio = Studio(Settings(data_dir=tmp_path / "data", backend="fake", starter_library=False))
    wang = studio.store.ensure_user("wang", display_name="王老师")
    li = studio.store.ensure_user("li")
    mine = [studio.store.save_version(wang, plan).id for plan in sample_unit(2)]
    document = docx.Document(io.BytesIO(studio.export_unit_docx(wang, mine, title="桥")))
    assert contents(document).rows[1].cells[1].text == "大班科学：给小鸭搭座桥（1）"
    assert covers_teacher(document) == "王老师"
    with pytest.raises(NotAllowed):
        studio.export_unit_docx(li, mine, title="桥")


def covers_teacher(document) -> str:
    return next(t for t in document.tables if t.rows[0].cells[0].text == "活动名称").rows[4].cells[1].text
