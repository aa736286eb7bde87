"""School templates: checked on upload (each problem names its placeholder), stored for leads, filled for everyone."""

from __future__ import annotations

import importlib.util
import io
import json

import docx
import pytest
from docx.opc.constants import RELATIONSHIP_TYPE
from docx.oxml.ns import qn
from sample_plans import sample_plan, school_template, small_class_plan

from lesson_studio.config import Settings
from lesson_studio.errors import InvalidInput, NotAllowed, NotFound
from lesson_studio.export import Cover, SchoolTemplates, check_template, fill_template
from lesson_studio.export.placeholders import PLACEHOLDERS, template_context
from lesson_studio.export.templates import STARTER_ID, STARTER_PATH
from lesson_studio.studio import Studio

COVER = Cover(teacher="王老师", class_name="大二班", date="2025年3月12日", school="阳光幼儿园")


@pytest.fixture
def templates(tmp_path) -> SchoolTemplates:
    return SchoolTemplates(tmp_path / "templates")


@pytest.fixture
def lead(store):
    return store.ensure_user("zhao", role="lead", display_name="赵主任")


def filled(template: bytes, plan=None) -> docx.document.Document:
    return docx.Document(io.BytesIO(fill_template(template, plan or sample_plan(), COVER)))


def all_text(document) -> str:
    return "\n".join(t.text or "" for t in document.element.body.iter(qn("w:t")))


# --- The starter template ------------------------------------------------------------------------


def test_starter_template_passes_the_check_without_warnings():
    result = check_template(STARTER_PATH.read_bytes())
    assert (result.errors, result.warnings) == ([], [])
    assert {"活动名称", "活动过程.环节", "活动过程.教师指导", "安全提示", "参考资料"} <= set(result.placeholders)


def test_starter_template_is_rebuilt_byte_for_byte_by_its_script():
    spec = importlib.util.spec_from_file_location("build_starter", STARTER_PATH.parent / "build_starter_template.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.build() == STARTER_PATH.read_bytes()


def test_starter_template_fills_every_section():
    document = filled(STARTER_PATH.read_bytes())
    text = all_text(document)
    plan = sample_plan()
    for expected in [
        plan.title,
        plan.key_point,
        "【注意】安全剪刀",
        "[2] 《幼儿版CPS活动设计指引》",
        "王老师",
        "大二班",
    ]:
        assert expected in text
    process = next(t for t in document.tables if t.rows[0].cells[0].text == "环节")
    assert [row.cells[0].text.split("\n")[0] for row in process.rows[1:]] == [
        f"{step.phase}·{step.cps_stage}" for step in plan.steps
    ]
    assert "阳光幼儿园" in document.sections[0].header.paragraphs[0].text
    assert "{{" not in text and "{%" not in text


# --- Checking ------------------------------------------------------------------------------------


def test_good_template_passes_and_lists_its_placeholders():
    result = check_template(school_template())
    assert result.ok and result.warnings == []
    assert result.placeholders == [
        "活动名称",
        "执教教师",
        "安全提示",
        "活动过程",
        "活动过程.环节",
        "活动过程.时间",
        "活动过程.教师指导",
        "活动过程.幼儿活动",
    ]


def test_placeholders_split_across_runs_are_recognised():
    assert check_template(school_template(split_runs=True)).ok


@pytest.mark.parametrize(
    ("body", "named", "suggested"),
    [
        (["{{ 活动名 }}"], "{{ 活动名 }}", "活动名称"),
        (["{{ title }}"], "{{ title }}", None),
        (["{{ 执教老师 }}"], "{{ 执教老师 }}", "执教教师"),
    ],
)
def test_unknown_placeholder_is_named(body, named, suggested):
    result = check_template(school_template(body=body))
    assert not result.ok
    assert named in result.errors[0]
    if suggested:
        assert f"您是不是想写 {{{{ {suggested} }}}}" in result.errors[0]


def test_unknown_field_of_a_step_is_named_with_the_fields_it_has():
    result = check_template(school_template(process_row=["{{ 步骤.老师 }}", "{{ 步骤.时间 }}"]))
    assert len(result.errors) == 1
    assert "{{ 步骤.老师 }}" in result.errors[0] and "教师指导" in result.errors[0]


def test_a_list_used_like_a_step_outside_its_loop_is_explained():
    result = check_template(school_template(body=["{{ 活动过程.环节 }}"]))
    assert "{{ 活动过程.环节 }}" in result.errors[0] and "是列表" in result.errors[0]


def test_broken_tag_names_the_text_around_it():
    result = check_template(school_template(body=["活动名称：{{ 活动名称 }"]))
    assert len(result.errors) == 1
    assert "标签写错了" in result.errors[0] and "活动名称：{{ 活动名称 }" in result.errors[0]


def test_unclosed_loop_is_reported():
    result = check_template(school_template(end_loop="（这里忘了写结束）"))
    assert not result.ok
    assert "endfor" in result.errors[0]


def test_missing_process_loop_is_reported():
    result = check_template(school_template(process_row=None))
    assert len(result.errors) == 1
    assert "缺少活动过程的循环" in result.errors[0] and "{%tr for 步骤 in 活动过程 %}" in result.errors[0]


def test_row_tag_outside_a_table_is_explained():
    result = check_template(school_template(body=["{%tr for 步骤 in 活动过程 %}", "{%tr endfor %}"], process_row=None))
    assert "只能写在表格行里" in result.errors[0]


def test_process_loop_that_is_not_a_row_loop_is_only_a_warning():
    body = ["{% for 步骤 in 活动过程 %}{{ 步骤.环节 }} {% endfor %}"]
    result = check_template(school_template(body=body, process_row=None))
    assert result.ok
    assert "不是表格行循环" in result.warnings[0]


def test_full_width_braces_are_a_warning():
    result = check_template(school_template(body=["｛｛ 活动名称 ｝｝"]))
    assert result.ok
    assert "全角括号" in result.warnings[0]


@pytest.mark.parametrize("data", [b"not a word file", b"PK\x03\x04broken zip", b""])
def test_a_file_that_is_not_a_docx_is_rejected(data):
    assert "不是 Word .docx 文件" in check_template(data).errors[0]


def test_a_link_that_is_not_http_is_rejected():
    document = docx.Document(io.BytesIO(school_template()))
    document.part.relate_to("file:///C:/Windows/win.ini", RELATIONSHIP_TYPE.HYPERLINK, is_external=True)
    buffer = io.BytesIO()
    document.save(buffer)
    errors = check_template(buffer.getvalue()).errors
    assert len(errors) == 1 and "file:///C:/Windows/win.ini" in errors[0]


def test_python_internals_are_out_of_reach():
    body = ["{% for 步骤 in 活动过程 %}{{ 步骤.__class__.__mro__ }}{% endfor %}"]
    assert "步骤.__class__" in check_template(school_template(body=body)).errors[0]
    with pytest.raises(InvalidInput, match="不允许"):
        fill_template(school_template(body=["{{ ''.__class__.__mro__ }}"]), sample_plan(), COVER)


@pytest.mark.parametrize("tag", ["{% include 'header.docx' %}", "{% import 'macros' as m %}", "{% extends 'base' %}"])
def test_a_template_cannot_read_another_template(tag):
    result = check_template(school_template(body=[tag, "{{ 活动名称 }}"]))
    assert len(result.errors) == 1 and "不能引用其他模板" in result.errors[0]
    with pytest.raises(InvalidInput):
        fill_template(school_template(body=[tag]), sample_plan(), COVER)


@pytest.mark.parametrize(
    ("body", "named"),
    [
        (["{{ 活动名称|safe }}"], "{{ 活动名称|safe }}"),
        (["{{ 设计意图|urlize }}"], "{{ 设计意图|urlize }}"),
        (["{% filter safe %}{{ 活动名称 }}{% endfilter %}"], "|safe"),
        (["{% autoescape false %}{{ 活动名称 }}{% endautoescape %}"], "{% autoescape %}"),
    ],
)
def test_a_template_cannot_turn_escaping_off(body, named):
    result = check_template(school_template(body=body))
    assert len(result.errors) == 1 and named in result.errors[0]


def test_plain_filters_are_allowed():
    assert check_template(school_template(body=["{{ 活动名称|upper }}", "{{ 活动目标|join('；') }}"])).ok


# --- Filling -------------------------------------------------------------------------------------


def test_filled_template_has_one_row_per_step():
    table = filled(school_template()).tables[0]
    assert len(table.rows) == 1 + len(sample_plan().steps)
    assert [row.cells[1].text for row in table.rows[1:]] == ["4分钟", "7分钟", "4分钟", "11分钟", "4分钟"]


def test_teacher_guidance_keeps_its_lines_as_line_breaks():
    cell = filled(school_template()).tables[0].rows[1].cells[2]
    assert cell.text.split("\n")[:2] == [
        "师：出示小鸭站在水沟边的图片：小鸭想去对面找妈妈，可是水太深了。",
        "关键提问：",
    ]
    assert len(cell._tc.findall(f".//{qn('w:br')}")) == 4


def test_a_list_placeholder_prints_one_line_per_item():
    paragraph = filled(school_template()).paragraphs[2]
    assert paragraph.text.split("\n") == [
        "【注意】安全剪刀：使用圆头安全剪刀，剪刀不离桌面，传递时握住刀身、刀柄朝向对方。",
        "【注意】浅水盆：水盆放在铺了防滑垫的桌上，水洒出及时擦干，防止滑倒。",
    ]


def test_no_safety_notes_still_prints_a_reminder():
    document = filled(school_template(), sample_plan().model_copy(update={"safety_notes": []}))
    assert document.paragraphs[2].text.startswith("本活动所列材料无特定风险提示")


def test_header_placeholders_are_filled():
    document = filled(school_template(header="{{ 幼儿园 }} {{ 班级 }} {{ 日期 }}"))
    assert document.sections[0].header.paragraphs[0].text == "阳光幼儿园 大二班 2025年3月12日"


def test_values_are_escaped_and_cleaned():
    plan = sample_plan().model_copy(update={"title": "A<B & C>\x07D"})
    assert filled(school_template(), plan).paragraphs[0].text == "A<B & C>D"


def test_only_http_links_survive_in_a_filled_template():
    plan = sample_plan().model_copy(update={"title": "见 javascript:alert(1) 与 https://moe.gov.cn/x"})
    assert filled(school_template(), plan).paragraphs[0].text == "见  与 https://moe.gov.cn/x"


def test_every_placeholder_has_a_value_for_every_sample_plan():
    for plan in (sample_plan(), small_class_plan()):
        assert set(template_context(plan, COVER)) == {placeholder.name for placeholder in PLACEHOLDERS}


def test_a_template_using_every_placeholder_and_field_passes():
    body = [f"{{{{ {p.name} }}}}" for p in PLACEHOLDERS if not p.is_list or p.name != "活动过程"]
    for placeholder in PLACEHOLDERS:
        if placeholder.is_list and placeholder.name != "活动过程":
            fields = " ".join(f"{{{{ 项.{name} }}}}" for name in placeholder.fields)
            body.append(f"{{% for 项 in {placeholder.name} %}}{fields}{{% endfor %}}")
    process_row = [f"{{{{ 步骤.{name} }}}}" for name in next(p for p in PLACEHOLDERS if p.name == "活动过程").fields]
    result = check_template(school_template(body=body, process_row=process_row))
    assert (result.errors, result.warnings) == ([], [])


# --- Storage and permissions ---------------------------------------------------------------------


def test_teacher_cannot_upload_a_template(templates, teacher):
    with pytest.raises(NotAllowed, match="只有教研组长或管理员可以上传学校模板 / Only curriculum leads"):
        templates.upload(teacher, name="我们园的教案", data=school_template())


def test_teacher_cannot_check_a_template(templates, teacher, lead):
    with pytest.raises(NotAllowed):
        templates.check(teacher, school_template())
    assert templates.check(lead, school_template()).ok


def test_teacher_cannot_remove_a_template(templates, teacher, lead):
    info = templates.upload(lead, name="我们园的教案", data=school_template())
    with pytest.raises(NotAllowed):
        templates.remove(teacher, info.id)
    assert templates.get(teacher, info.id).name == "我们园的教案"


def test_lead_uploads_and_every_teacher_can_list_and_use_it(templates, teacher, lead):
    info = templates.upload(lead, name="我们园的教案", data=school_template(), file_name="C:\\模板\\园本.docx")
    assert [t.name for t in templates.list_templates(teacher)] == ["园所表格式教案（示例模板）", "我们园的教案"]
    assert (info.uploaded_by, info.file_name) == ("赵主任", "园本.docx")
    document = docx.Document(io.BytesIO(templates.fill(teacher, info.id, sample_plan(), COVER)))
    assert document.paragraphs[1].text == "执教：王老师"


def test_upload_stores_the_document_and_a_sidecar(templates, lead, tmp_path):
    data = school_template()  # once: python-docx stamps the time, and an upload may take past the second
    info = templates.upload(lead, name="我们园的教案", data=data)
    folder = tmp_path / "templates"
    assert sorted(p.name for p in folder.iterdir()) == [f"{info.id}.docx", f"{info.id}.json"]
    sidecar = json.loads((folder / f"{info.id}.json").read_text(encoding="utf-8"))
    assert (sidecar["name"], sidecar["uploaded_by"], sidecar["uploader_username"]) == ("我们园的教案", "赵主任", "zhao")
    assert sidecar["placeholders"][0] == "活动名称" and sidecar["warnings"] == []
    assert (folder / f"{info.id}.docx").read_bytes() == data


def test_broken_template_is_not_stored_and_every_problem_is_named(templates, lead, tmp_path):
    with pytest.raises(InvalidInput) as raised:
        templates.upload(lead, name="坏模板", data=school_template(body=["{{ 活动名 }}", "{{ 老师 }}"]))
    assert "{{ 活动名 }}" in str(raised.value) and "{{ 老师 }}" in str(raised.value)
    assert not (tmp_path / "templates").exists() or list((tmp_path / "templates").iterdir()) == []


def test_duplicate_name_is_rejected(templates, lead):
    templates.upload(lead, name="我们园的教案", data=school_template())
    with pytest.raises(InvalidInput, match="已有名为"):
        templates.upload(lead, name=" 我们园的教案 ", data=school_template())


def test_template_needs_a_name(templates, lead):
    with pytest.raises(InvalidInput, match="起一个名字"):
        templates.upload(lead, name="  ", data=school_template())


def test_remove_deletes_document_and_sidecar(templates, lead, tmp_path):
    info = templates.upload(lead, name="我们园的教案", data=school_template())
    templates.remove(lead, info.id)
    assert list((tmp_path / "templates").iterdir()) == []
    assert [t.id for t in templates.list_templates(lead)] == [STARTER_ID]


def test_starter_template_cannot_be_removed(templates, lead):
    with pytest.raises(InvalidInput, match="不能删除"):
        templates.remove(lead, STARTER_ID)


@pytest.mark.parametrize("template_id", ["0123456789ab", "../../etc/passwd", ""])
def test_unknown_template_is_not_found(templates, teacher, template_id):
    with pytest.raises(NotFound):
        templates.get(teacher, template_id)


def test_a_sidecar_that_cannot_be_read_is_skipped(templates, lead, tmp_path):
    templates.upload(lead, name="我们园的教案", data=school_template())
    (tmp_path / "templates" / "0123456789ab.json").write_text("{not json", encoding="utf-8")
    assert len(templates.list_templates(lead)) == 2


def test_studio_exports_a_saved_version_with_the_chosen_template(tmp_path, fake_backend):
    studio = Studio(Settings(data_dir=tmp_path / "data", backend="fake", starter_library=False))
    lead = studio.store.ensure_user("zhao", role="lead")
    teacher = studio.store.ensure_user("wang", display_name="王老师")
    version = studio.store.save_version(teacher, sample_plan())
    info = studio.templates.upload(lead, name="我们园的教案", data=school_template())
    document = docx.Document(io.BytesIO(studio.export_version_docx(teacher, version.id, template_id=info.id)))
    assert [p.text for p in document.paragraphs[:2]] == ["大班科学：给小鸭搭座桥", "执教：王老师"]
    assert (studio.settings.data_dir / "templates" / f"{info.id}.docx").is_file()


def test_readme_documents_every_placeholder():
    readme = (STARTER_PATH.parents[2] / "README.md").read_text(encoding="utf-8")
    if "## Word export and school templates" not in readme:
        pytest.skip("the README section on Word export has not been added yet")
    section = readme.split("## Word export and school templates", 1)[1].split("\n## ", 1)[0]
    for placeholder in PLACEHOLDERS:
        assert f"{{{{ {placeholder.name} }}}}" in section, placeholder.name
        for name in placeholder.fields:
            assert f"`{name}`" in section, f"{placeholder.name}.{name}"
