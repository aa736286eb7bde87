"""The Word export, checked by reopening every file with python-docx."""

from __future__ import annotations

import io
import re
from pathlib import Path

import docx
import pytest
from docx.document import Document as WordDocument
from docx.oxml.ns import qn
from docx.shared import Length
from docx.table import Table
from sample_plans import sample_plan

from lesson_studio.errors import InvalidInput
from lesson_studio.export import build_docx, plan_to_docx_bytes, plan_to_markdown
from lesson_studio.models import LessonPlan

THEME_FONT_ATTRIBUTES = [qn(f"w:{name}") for name in ("asciiTheme", "eastAsiaTheme", "hAnsiTheme", "cstheme")]


def export(tmp_path: Path, plan: LessonPlan | None = None, **cover: str) -> WordDocument:
    path = build_docx(plan or sample_plan(), tmp_path / "教案.docx", **cover)
    return docx.Document(str(path))


def headings(document: WordDocument) -> list[str]:
    return [p.text for p in document.paragraphs if p.style.name == "Heading 1"]


def paragraphs_after(document: WordDocument, heading_suffix: str) -> list[str]:
    """The body paragraphs between the heading ending with heading_suffix and the next heading."""
    texts: list[str] = []
    inside = False
    for paragraph in document.paragraphs:
        if paragraph.style.name == "Heading 1":
            inside = paragraph.text.endswith(heading_suffix)
        elif inside:
            texts.append(paragraph.text)
    return texts


def process_table(document: WordDocument) -> Table:
    return next(table for table in document.tables if table.rows[0].cells[0].text == "环节")


def east_asian_font(run) -> str | None:
    return run._r.rPr.rFonts.get(qn("w:eastAsia"))


def test_build_returns_the_written_path(tmp_path):
    target = tmp_path / "plan.docx"
    assert build_docx(sample_plan(), target) == target
    assert target.is_file()


def test_page_is_a4_with_standard_margins(tmp_path):
    section = export(tmp_path).sections[0]
    assert (round(section.page_width.cm, 1), round(section.page_height.cm, 1)) == (21.0, 29.7)
    assert round(section.top_margin.cm, 2) == round(section.bottom_margin.cm, 2) == 2.54
    assert round(section.left_margin.cm, 2) == round(section.right_margin.cm, 2) == 3.17


def test_title_is_the_plan_title_in_heiti(tmp_path):
    title = export(tmp_path).paragraphs[0]
    assert title.style.name == "Title"
    assert title.text == "大班科学：给小鸭搭座桥"
    assert east_asian_font(title.runs[0]) == "黑体"


def test_headings_are_numbered_in_chinese(tmp_path):
    assert headings(export(tmp_path)) == [
        "一、设计意图",
        "二、活动目标",
        "三、活动重点与难点",
        "四、活动准备",
        "五、活动过程",
        "六、安全提示",
        "七、观察要点",
        "八、活动延伸",
        "九、参考资料",
    ]


def test_sections_without_content_are_left_out_and_numbering_stays_continuous(tmp_path):
    plan = sample_plan().model_copy(update={"observation_points": [], "citations": []})
    assert headings(export(tmp_path, plan))[-2:] == ["六、安全提示", "七、活动延伸"]


def test_headings_and_title_styles_use_heiti(tmp_path):
    styles = export(tmp_path).styles
    for name in ("Title", "Heading 1"):
        assert styles[name].element.rPr.rFonts.get(qn("w:eastAsia")) == "黑体"
    assert styles["Normal"].element.rPr.rFonts.get(qn("w:eastAsia")) == "宋体"


def test_body_runs_use_songti_east_asian_font(tmp_path):
    document = export(tmp_path)
    body_runs = [run for p in document.paragraphs if p.style.name == "Normal" for run in p.runs]
    table_runs = [run for t in document.tables for c in t._cells for p in c.paragraphs for run in p.runs]
    assert body_runs and table_runs
    assert {east_asian_font(run) for run in body_runs + table_runs} == {"宋体"}


def test_heading_runs_use_heiti_east_asian_font(tmp_path):
    document = export(tmp_path)
    heading_runs = [run for p in document.paragraphs if p.style.name == "Heading 1" for run in p.runs]
    assert {east_asian_font(run) for run in heading_runs} == {"黑体"}


def test_theme_font_attributes_are_removed(tmp_path):
    document = export(tmp_path)
    parts = [document.element, document.styles.element, document.sections[0].footer._element]
    for part in parts:
        for fonts in part.iter(qn("w:rFonts")):
            assert not set(fonts.attrib) & set(THEME_FONT_ATTRIBUTES), fonts.attrib


def test_no_package_part_references_theme_fonts(tmp_path):
    document = export(tmp_path)
    for part in document.part.package.iter_parts():
        if part.partname.endswith(".xml") and "theme" not in part.partname:
            assert b"asciiTheme" not in part.blob, part.partname


def test_cover_table_lists_class_teacher_and_date(tmp_path):
    document = export(tmp_path, teacher="王老师", class_name="大二班", date="2025年3月12日")
    cover = {row.cells[0].text: row.cells[1].text for row in document.tables[0].rows}
    assert cover == {
        "活动名称": "大班科学：给小鸭搭座桥",
        "年龄段/班级": "大班（大二班）",
        "领域": "科学",
        "时长": "30分钟",
        "执教教师": "王老师",
        "日期": "2025年3月12日",
    }


def test_cover_table_leaves_teacher_and_date_blank_for_handwriting(tmp_path):
    cover = {row.cells[0].text: row.cells[1].text for row in export(tmp_path).tables[0].rows}
    assert (cover["年龄段/班级"], cover["执教教师"], cover["日期"]) == ("大班", "", "")


def test_design_intent_is_the_first_section(tmp_path):
    assert paragraphs_after(export(tmp_path), "设计意图") == [sample_plan().design_intent]


def test_objectives_are_numbered_and_tagged_by_dimension(tmp_path):
    objectives = paragraphs_after(export(tmp_path), "活动目标")
    assert [text[:7] for text in objectives] == ["1. 【认知】", "2. 【能力】", "3. 【情感】"]


def test_key_and_difficult_points_are_labelled(tmp_path):
    plan = sample_plan()
    assert paragraphs_after(export(tmp_path), "活动重点与难点") == [
        f"活动重点：{plan.key_point}",
        f"活动难点：{plan.difficult_point}",
    ]


def test_preparation_splits_experience_and_materials_with_quantities(tmp_path):
    preparation = paragraphs_after(export(tmp_path), "活动准备")
    assert preparation[0] == "经验准备：幼儿在散步时观察过小区里的桥；玩过积木的搭高游戏"
    assert preparation[1] == "物质准备："
    assert preparation[2] == "教师：情境图片PPT（1份）、小鸭玩偶（每组1只）"
    assert preparation[3].startswith("幼儿：纸杯（每组10个）、雪花片积木（每组1盒）")


def test_process_table_has_one_row_per_step(tmp_path):
    table = process_table(export(tmp_path))
    assert len(table.rows) == 1 + len(sample_plan().steps)


def test_process_table_header_row_repeats_on_each_page(tmp_path):
    header = process_table(export(tmp_path)).rows[0]
    assert [cell.text for cell in header.cells] == ["环节", "时间", "教师指导", "幼儿活动", "设计意图"]
    assert header._tr.trPr.find(qn("w:tblHeader")) is not None


def test_process_table_fits_the_text_width(tmp_path):
    table = process_table(export(tmp_path))
    text_width = round(21.0 - 2 * 3.17, 2)
    assert round(Length(sum(cell.width for cell in table.rows[1].cells)).cm, 2) == text_width
    assert round(Length(sum(column.width for column in table.columns)).cm, 2) == text_width


def test_stage_cell_shows_phase_cps_stage_and_title(tmp_path):
    stage_cells = [row.cells[0].text for row in process_table(export(tmp_path)).rows[1:]]
    assert stage_cells == [
        "导入·发现问题\n小鸭过不去了",
        "展开·想办法\n办法越多越好",
        "展开·选办法\n贴纸投票",
        "展开·试一试改一改\n搭桥大挑战",
        "结束·分享\n我们的桥",
    ]


def test_minutes_column_shows_each_steps_minutes(tmp_path):
    minutes = [row.cells[1].text for row in process_table(export(tmp_path)).rows[1:]]
    assert minutes == ["4分钟", "7分钟", "4分钟", "11分钟", "4分钟"]


def test_teacher_cell_starts_with_shi_and_lists_key_questions(tmp_path):
    teacher_cell = process_table(export(tmp_path)).rows[1].cells[2].text.split("\n")
    assert teacher_cell[0].startswith("师：出示小鸭")
    assert teacher_cell[1:] == [
        "关键提问：",
        "· 你看到了什么？",
        "· 小鸭遇到了什么麻烦？",
        "· 我们怎样才能帮小鸭过去？",
    ]


def test_speaker_prefix_is_not_doubled(tmp_path):
    plan = sample_plan()
    plan.steps[0] = plan.steps[0].model_copy(update={"teacher": "师：请小朋友看图。", "children": "幼：水太深了！"})
    row = process_table(export(tmp_path, plan)).rows[1]
    assert row.cells[2].text.startswith("师：请小朋友看图。")
    assert row.cells[3].text == "幼：水太深了！"


def test_safety_notes_are_in_a_bordered_box(tmp_path):
    document = export(tmp_path)
    box = next(t for t in document.tables if t.rows[0].cells[0].text.startswith("【"))
    assert (len(box.rows), len(box.columns)) == (1, 1)
    borders = box._tbl.tblPr.find(qn("w:tblBorders"))
    assert {border.get(qn("w:val")) for border in borders} == {"single"}
    assert {border.tag.split("}")[1] for border in borders} == {"top", "left", "bottom", "right"}
    assert box.cell(0, 0).text.split("\n") == [
        "【注意】安全剪刀：使用圆头安全剪刀，剪刀不离桌面，传递时握住刀身、刀柄朝向对方。",
        "【注意】浅水盆：水盆放在铺了防滑垫的桌上，水洒出及时擦干，防止滑倒。",
    ]


def test_safety_box_pads_its_text_evenly(tmp_path):
    document = export(tmp_path)
    box = next(t for t in document.tables if t.rows[0].cells[0].text.startswith("【"))
    margins = {m.tag.split("}")[1]: int(m.get(qn("w:w"))) for m in box._tbl.tblPr.find(qn("w:tblCellMar"))}
    assert margins["top"] == margins["bottom"] > 0
    assert box.cell(0, 0).paragraphs[-1].paragraph_format.space_after == 0  # no extra gap above the bottom border


def test_safety_section_is_kept_when_the_plan_has_no_notes(tmp_path):
    document = export(tmp_path, sample_plan().model_copy(update={"safety_notes": []}))
    assert "六、安全提示" in headings(document)
    assert document.tables[-1].cell(0, 0).text.startswith("本活动所列材料无特定风险提示")


def test_observation_points_are_numbered(tmp_path):
    points = paragraphs_after(export(tmp_path), "观察要点")
    assert [text[:3] for text in points] == ["1. ", "2. ", "3. "]


def test_extension_names_area_and_home_task(tmp_path):
    extension = paragraphs_after(export(tmp_path), "活动延伸")
    assert extension[0].startswith("区域活动：科学区")
    assert extension[1].startswith("家园共育：请家长")


def test_citations_are_listed_with_document_heading_and_page(tmp_path):
    assert paragraphs_after(export(tmp_path), "参考资料") == [
        "[1] 《3-6岁儿童学习与发展指南》，科学领域 · 科学探究 目标2，第28页",
        "[2] 《幼儿版CPS活动设计指引》，第四步 试一试、改一改，第9页",
    ]


def test_citation_without_page_omits_it(tmp_path):
    plan = sample_plan()
    plan.citations[1] = plan.citations[1].model_copy(update={"page": None, "document_title": "《园本课程》"})
    assert paragraphs_after(export(tmp_path, plan), "参考资料")[1] == "[2] 《园本课程》，第四步 试一试、改一改"


def test_warnings_become_a_hint_paragraph(tmp_path):
    plan = sample_plan().model_copy(update={"warnings": ["总时长已调整为30分钟", "删去了一个小班不宜的步骤"]})
    assert export(tmp_path, plan).paragraphs[-1].text == "提示：总时长已调整为30分钟；删去了一个小班不宜的步骤"


def test_no_hint_paragraph_without_warnings(tmp_path):
    assert not any(p.text.startswith("提示：") for p in export(tmp_path).paragraphs)


def test_footer_has_page_number_field(tmp_path):
    footer = export(tmp_path).sections[0].footer
    instructions = [element.text.strip() for element in footer._element.iter(qn("w:instrText"))]
    field_chars = [element.get(qn("w:fldCharType")) for element in footer._element.iter(qn("w:fldChar"))]
    assert instructions == ["PAGE"]
    assert field_chars == ["begin", "separate", "end"]
    assert footer.paragraphs[0].text == "第 1 页"


def test_control_characters_are_stripped(tmp_path):
    plan = sample_plan().model_copy(update={"title": "大班科学：\x07搭桥\x00", "key_point": "稳\x0b定\x1f的桥"})
    plan.steps[0] = plan.steps[0].model_copy(update={"children": "幼：\x1b水太深"})
    document = export(tmp_path, plan, teacher="王\x08老师")
    assert document.paragraphs[0].text == "大班科学：搭桥"
    assert paragraphs_after(document, "活动重点与难点")[0] == "活动重点：稳定的桥"
    assert process_table(document).rows[1].cells[3].text == "幼：水太深"
    assert document.tables[0].rows[4].cells[1].text == "王老师"


def test_export_replaces_an_existing_file(tmp_path):
    target = tmp_path / "plan.docx"
    target.write_bytes(b"old")
    build_docx(sample_plan(), target)
    assert docx.Document(str(target)).paragraphs[0].text == "大班科学：给小鸭搭座桥"


def test_export_is_atomic_when_writing_fails(tmp_path, monkeypatch):
    def fail_half_way(self, path):
        Path(path).write_bytes(b"PK half a zip")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(WordDocument, "save", fail_half_way)
    with pytest.raises(InvalidInput, match="No space left on device"):
        build_docx(sample_plan(), tmp_path / "plan.docx")
    assert list(tmp_path.iterdir()) == []


def test_failed_export_keeps_the_previous_file(tmp_path, monkeypatch):
    target = tmp_path / "plan.docx"
    build_docx(sample_plan(), target)
    previous = target.read_bytes()
    monkeypatch.setattr(WordDocument, "save", lambda self, path: (_ for _ in ()).throw(OSError("disk error")))
    with pytest.raises(InvalidInput):
        build_docx(sample_plan(), target)
    assert target.read_bytes() == previous
    assert [p.name for p in tmp_path.iterdir()] == ["plan.docx"]


def test_missing_folder_is_reported_to_the_user(tmp_path):
    with pytest.raises(InvalidInput, match="请检查文件夹"):
        build_docx(sample_plan(), tmp_path / "no-such-folder" / "plan.docx")


def test_bytes_export_is_the_same_document(tmp_path):
    from_bytes = docx.Document(io.BytesIO(plan_to_docx_bytes(sample_plan(), teacher="王老师")))
    from_file = export(tmp_path, teacher="王老师")
    assert [p.text for p in from_bytes.paragraphs] == [p.text for p in from_file.paragraphs]
    assert from_bytes.tables[0].rows[4].cells[1].text == "王老师"


def test_markdown_has_the_same_sections_as_docx(tmp_path):
    for plan in (sample_plan(), sample_plan().model_copy(update={"observation_points": [], "citations": []})):
        markdown_headings = re.findall(r"^## (.+)$", plan_to_markdown(plan), flags=re.MULTILINE)
        assert markdown_headings == headings(export(tmp_path, plan))


def test_header_names_school_and_class(tmp_path):
    header = export(tmp_path, school="阳光幼儿园", class_name="大二班").sections[0].header
    assert header.paragraphs[0].text == "阳光幼儿园　大二班　教学活动设计"


def test_header_without_school_still_names_the_document(tmp_path):
    assert export(tmp_path).sections[0].header.paragraphs[0].text == "教学活动设计"


def test_http_link_becomes_a_clickable_hyperlink(tmp_path):
    plan = sample_plan().model_copy(update={"design_intent": "参见 https://www.moe.gov.cn/srcsite/A06/。"})
    document = export(tmp_path, plan)
    paragraph = next(p for p in document.paragraphs if p.text.startswith("参见"))
    assert paragraph.text == "参见 https://www.moe.gov.cn/srcsite/A06/。"
    (hyperlink,) = paragraph._p.findall(qn("w:hyperlink"))
    assert document.part.rels[hyperlink.get(qn("r:id"))].target_ref == "https://www.moe.gov.cn/srcsite/A06/"


@pytest.mark.parametrize(
    "link", ["javascript:alert(1)", "file:///C:/secret.docx", "data:text/html;base64,PHNjcmlwdD4=", "smb://evil/share"]
)
def test_links_other_than_http_are_dropped(tmp_path, link):
    plan = sample_plan().model_copy(update={"key_point": f"看{link} 这里"})
    document = export(tmp_path, plan)
    assert paragraphs_after(document, "活动重点与难点")[0] == "活动重点：看 这里"
    external = [rel for rel in document.part.rels.values() if rel.is_external]
    assert external == []
    assert "javascript" not in document.element.body.xml and "file:" not in document.element.body.xml


def test_process_rows_do_not_split_across_pages(tmp_path):
    rows = process_table(export(tmp_path)).rows[1:]
    assert all(row._tr.trPr.find(qn("w:cantSplit")) is not None for row in rows)
