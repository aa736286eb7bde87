"""School templates cannot hold up an export: the check refuses what can grow without bound, and every
check and fill runs in a child process with a time and a memory limit, falling back to the built-in layout."""

from __future__ import annotations

import io
import zipfile

import docx
import pytest
from docx.opc.constants import CONTENT_TYPE, RELATIONSHIP_TYPE
from docx.opc.packuri import PackURI
from docx.opc.part import Part
from sample_plans import sample_plan, sample_unit, school_template

from lesson_studio.errors import InvalidInput
from lesson_studio.export import (
    Cover,
    SchoolTemplates,
    TemplateCheck,
    TemplateFailed,
    check_template,
    fill_template,
    plan_docx_or_builtin,
    plans_to_zip,
)
from lesson_studio.export import templates as templates_module

COVER = Cover(teacher="王老师", class_name="大二班")
FOOTNOTES_XML = (
    '<w:footnotes xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
    '<w:footnote w:id="1"><w:p><w:r><w:t>{}</w:t></w:r></w:p></w:footnote></w:footnotes>'
)
# A loop of 10**9 steps: it passes the checks of earlier versions (so a stored template may hold it)
# and stops only at the time limit.
RUNAWAY_LOOP = (
    "{% for a in 'x' * 1000 %}{% for b in 'x' * 1000 %}{% for c in 'x' * 1000 %}.{% endfor %}{% endfor %}{% endfor %}"
)
# 900 million characters: over the child's memory limit.
HUGE_TEXT = "{{ 活动名称|center(900000000) }}"


@pytest.fixture
def lead_uploads(store, monkeypatch):
    """Store a template as an earlier version would have: its check passed (bombs included)."""

    def upload(folder, body):
        monkeypatch.setattr(templates_module, "check_template", lambda data: TemplateCheck())
        lead = store.ensure_user("zhao", role="lead")
        return SchoolTemplates(folder).upload(lead, name="旧模板", data=school_template(body=[body]))

    return upload


@pytest.fixture
def short_time_limit(monkeypatch):
    monkeypatch.setattr(templates_module, "TEMPLATE_TIMEOUT_S", 2.0)


def is_built_in_layout(data: bytes) -> bool:
    return docx.Document(io.BytesIO(data)).tables[0].rows[0].cells[0].text == "活动名称"


# --- Refused by the check ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "named"),
    [
        ("{{ 'x' * 10**8 }}", "{{ 'x' * 10 ** 8 }} 不能使用 * 运算"),
        ("{{ 10**9 }}", "{{ 10 ** 9 }} 不能使用 ** 运算"),
        (
            "{% for a in 'x' * 1000 %}{% for b in 'x' * 1000 %}{{ 活动名称 }}{% endfor %}{% endfor %}",
            "“{% for a in 'x' * 1000 %}”只能循环列表占位符",
        ),
    ],
)
def test_the_template_bombs_are_refused_by_the_check_before_they_run(body, named):
    errors = check_template(school_template(body=[body])).errors
    assert named in errors[0]
    assert not any("超过" in error and "秒" in error for error in errors)  # refused, not timed out


@pytest.mark.parametrize(
    ("body", "named"),
    [
        ("{{ '%09999d' % 1 }}", "不能使用 % 运算"),
        ("{{ 100000 }}", "数字 100000 太大"),
        ("{{ range(10) }}", "{{ range(10) }} 不能调用函数或方法"),
        ("{{ lipsum(5) }}", "{{ lipsum(5) }} 不能调用函数或方法"),
        ("{{ 活动名称.center(80) }}", "{{ 活动名称.center(80) }} 不能调用函数或方法"),
        ("{{ 活动名称|center(80) }}", "{{ 活动名称|center(80) }} 不能使用 |center"),
        ("{{ 活动名称|indent(8) }}", "不能使用 |indent"),
        ("{{ 活动名称|wordwrap(8) }}", "不能使用 |wordwrap"),
        ("{{ 活动名称|format(1) }}", "不能使用 |format"),
        ("{{ 活动名称|list|string }}", "不能使用 |string"),
        ("{% filter center(80) %}x{% endfilter %}", "{% filter center(80) %} 不能使用 |center"),
        ("{{ 活动名称|replace('大', '大大大') }}", "|replace 只能把一段文字换成不比它长的文字"),
        ("{{ 活动名称|join('、') }}", "|join 只能用在列表占位符上"),
        ("{% filter join('、、、、') %}{{ 活动名称 }}{% endfilter %}", "|join 只能用在列表占位符上"),
        ("{% set 名 = 活动名称 ~ 活动名称 %}", "模板不能使用 {% set %}"),
        ("{% macro m() %}{% endmacro %}", "模板不能使用 {% macro %}"),
        ("{% for 字 in 活动名称 %}{{ 字 }}{% endfor %}", "“{% for 字 in 活动名称 %}”只能循环列表占位符"),
        ("{% for 项 in 活动目标 recursive %}{% endfor %}", "“{% for 项 in 活动目标 %}”只能循环列表占位符"),
        (
            "{% for a in 活动过程 %}{% for b in 活动过程 %}{% for c in 活动过程 %}{% endfor %}{% endfor %}{% endfor %}",
            "“{% for c in 活动过程 %}”嵌套太深",
        ),
        ("{% for 项 in 活动目标 %}{{ loop.cycle }}{{ loop.__class__ }}{% endfor %}", "loop 没有 __class__"),
    ],
)
def test_what_can_grow_without_bound_is_refused_by_name(body, named):
    result = check_template(school_template(body=[body]))
    assert any(named in error for error in result.errors), result.errors


@pytest.mark.parametrize("where", ["title", "footnotes"])
def test_bombs_are_found_wherever_docxtpl_renders(where):
    document = docx.Document(io.BytesIO(school_template()))
    if where == "title":
        document.core_properties.title = "{{ 'x' * 10**8 }}"
    else:
        xml = FOOTNOTES_XML.replace("{}", "{{ 'x' * 10**8 }}").encode()
        part = Part(PackURI("/word/footnotes.xml"), CONTENT_TYPE.WML_FOOTNOTES, xml, document.part.package)
        document.part.relate_to(part, RELATIONSHIP_TYPE.FOOTNOTES)
    buffer = io.BytesIO()
    document.save(buffer)
    assert "{{ 'x' * 10 ** 8 }} 不能使用 * 运算" in check_template(buffer.getvalue()).errors[0]


def test_what_a_template_needs_passes_the_check():
    body = [
        "{{ 活动过程[0].标题 }} {{ 活动名称[:8] }} {{ 活动名称|truncate(20) }} {{ 活动名称|replace('：', ':') }}",
        "{% if 活动过程|length > 3 and 提示 %}共{{ 活动过程|length }}个环节{% else %}{{ 提示|default('无') }}{% endif %}",
        "{% for 项 in 安全提示 if 项.级别 == '禁用' %}{{ loop.index }}. {{ 项.文本|trim }}{% endfor %}",
        "{% for 项 in 材料清单 %}{% if loop.changed(项.对象) %}{{ 项.对象 }}：{% endif %}{{ 项.文本 }}{% endfor %}",
        "{% for 步骤 in 活动过程 %}{{ 步骤.分钟 * 60 }}秒{% for 问 in 步骤.关键提问 %}{{ loop.cycle('○', '●') }}{{ 问 }}"
        "{% endfor %}{% endfor %}",
        "{{ 活动目标|join('；') }} {{ 材料清单|first }} {{ 观察要点|last }}",
    ]
    result = check_template(school_template(body=body))
    assert (result.errors, result.warnings) == ([], [])


def test_a_check_that_runs_out_of_time_is_an_error_not_a_hang(monkeypatch):
    monkeypatch.setattr(templates_module, "TEMPLATE_TIMEOUT_S", 0.01)  # not even time to start the child
    errors = check_template(school_template()).errors
    assert errors == [errors[0]] and "检查模板超过 0.01 秒仍未完成" in errors[0]


# --- Stopped while filling (templates stored before the check refused them) ----------------------


def test_a_runaway_loop_is_stopped_by_the_time_limit(short_time_limit):
    with pytest.raises(TemplateFailed, match="填写模板超过 2 秒仍未完成"):
        fill_template(school_template(body=[RUNAWAY_LOOP]), sample_plan(), COVER)


def test_huge_text_is_stopped_by_the_memory_limit():
    with pytest.raises(TemplateFailed, match=f"填写模板需要的内存超过 {templates_module.TEMPLATE_MEMORY_MB} MB"):
        fill_template(school_template(body=[HUGE_TEXT]), sample_plan(), COVER)


@pytest.mark.parametrize(
    "body", ["{{ 'x' * 10**8 }}", "{{ 'x' * 10**9 }}", "{{ 2**100000 }}", "{{ '%0999999999d' % 1 }}"]
)
def test_repeating_operators_are_stopped_as_they_run(body):
    with pytest.raises(TemplateFailed, match="模板把文字或数字变得过大"):
        fill_template(school_template(body=[body]), sample_plan(), COVER)


# --- The built-in layout stands in ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "why"),
    [
        (RUNAWAY_LOOP, "超过 2 秒仍未完成"),
        ("{{ 活动名称|nosuchfilter }}", "无法填写模板"),
    ],
)
def test_a_template_that_fails_gives_the_built_in_layout_and_says_why(short_time_limit, body, why):
    assert_built_in_with_notice(body, why)


def test_a_template_over_the_memory_limit_gives_the_built_in_layout_and_says_why():
    # Under the normal time limit: on a loaded machine the 2 s one could fire before memory runs out.
    assert_built_in_with_notice(HUGE_TEXT, "需要的内存超过 512 MB")


def assert_built_in_with_notice(body: str, why: str) -> None:
    data, notice = plan_docx_or_builtin(sample_plan(), COVER, school_template(body=[body]), template_name="园本教案")
    assert is_built_in_layout(data)
    assert notice.startswith("学校模板“园本教案”这次无法使用，已改用内置版式导出。") and why in notice
    assert " / The school template “园本教案” could not be used" in notice


def test_a_stored_template_that_reaches_a_limit_is_named(tmp_path, teacher, lead_uploads):
    info = lead_uploads(tmp_path, HUGE_TEXT)
    with pytest.raises(InvalidInput, match="^学校模板“旧模板”：填写模板需要的内存超过"):
        SchoolTemplates(tmp_path).fill(teacher, info.id, sample_plan(), COVER)


def test_a_template_that_works_gives_no_notice():
    data, notice = plan_docx_or_builtin(sample_plan(), COVER, school_template())
    assert notice is None and not is_built_in_layout(data)
    assert docx.Document(io.BytesIO(data)).paragraphs[1].text == "执教：王老师"


def test_without_a_template_the_built_in_layout_is_no_fallback():
    data, notice = plan_docx_or_builtin(sample_plan(), COVER, None)
    assert notice is None and is_built_in_layout(data)


def test_a_runaway_template_in_a_zip_names_every_plan_and_does_not_hang(short_time_limit):
    archive = zipfile.ZipFile(
        io.BytesIO(plans_to_zip(sample_unit(3), COVER, template=school_template(body=[RUNAWAY_LOOP])))
    )
    assert archive.namelist() == ["导出说明.txt"]
    report = archive.read("导出说明.txt").decode()
    assert report.count("超过 2 秒仍未完成") == 3


def test_a_zip_fills_every_plan_with_the_template():
    archive = zipfile.ZipFile(io.BytesIO(plans_to_zip(sample_unit(3), COVER, template=school_template())))
    assert len(archive.namelist()) == 3
    for name in archive.namelist():
        assert docx.Document(io.BytesIO(archive.read(name))).paragraphs[1].text == "执教：王老师"
