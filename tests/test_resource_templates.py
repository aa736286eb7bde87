"""School templates for every resource type, not only the 教案: a template is made for one type (chosen
on upload), checked against that type's placeholders, filled in the sandbox, and refused for a
document of another type with the placeholders it lacks named."""

from __future__ import annotations

import io
import time
from pathlib import Path

import docx
import pytest
from docx.oxml.ns import qn
from page_session import sign_in_session
from sample_plans import school_template
from streamlit.testing.v1 import AppTest

import studio_ui
from lesson_studio.errors import InvalidInput
from lesson_studio.export import Cover, SchoolTemplates
from lesson_studio.export.templates import check_template
from lesson_studio.resource_types import resource_type
from lesson_studio.studio import Studio

ROOT = Path(__file__).resolve().parents[1]
DOCX_MIME = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
KINDS = ("parent_letter", "theme_unit", "area_plan", "observation_record", "creativity_checklist", "reflection")
COVER = Cover(teacher="赵老师", class_name="大一班", date="2026年12月7日", school="阳光幼儿园")


def template_with(paragraphs: list[str]) -> bytes:
    document = docx.Document()
    for text in paragraphs:
        document.add_paragraph(text)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def every_placeholder(kind: str) -> bytes:
    """A template that uses every placeholder of the type and every field of its lists (a list field
    of an item looped over too)."""
    placeholders = resource_type(kind).template_context
    specimen = placeholders.specimen_context()
    paragraphs = []
    for placeholder in placeholders.placeholders:
        if not placeholder.is_list:
            paragraphs.append(f"{placeholder.name}：{{{{ {placeholder.name} }}}}")
            continue
        first = specimen[placeholder.name][0]
        cells = [
            f"{{% for 行 in 项.{name} %}}{{{{ 行 }}}}；{{% endfor %}}"
            if isinstance(first[name], list)
            else f"{{{{ 项.{name} }}}}｜"
            for name in placeholder.fields
        ]
        paragraphs.append(f"{{% for 项 in {placeholder.name} %}}{''.join(cells)}{{% endfor %}}")
    return template_with(paragraphs)


def every_value(values: dict[str, object]) -> list[str]:
    """Each piece of text a filled template must show: every text value, every item's every field."""
    found: list[str] = []

    def collect(value: object) -> None:
        if isinstance(value, dict):
            for field_value in value.values():
                collect(field_value)
        elif isinstance(value, list):
            for entry in value:
                collect(entry)
        elif str(value).strip():
            found.extend(line for line in str(value).splitlines() if line.strip())

    collect(values)
    return found


def all_text(data: bytes) -> str:
    document = docx.Document(io.BytesIO(data))
    return "\n".join(text.text or "" for text in document.element.body.iter(qn("w:t")))


@pytest.fixture
def studio(settings) -> Studio:
    return Studio(settings)


@pytest.fixture
def lead(store):
    return store.ensure_user("zhao", role="lead", display_name="赵主任")


def saved(studio: Studio, user, kind: str) -> int:
    """A version of the type's specimen document, saved as the teacher's."""
    document = resource_type(kind).template_context.specimen()
    return studio.store.save_version(user, document, resource_type=kind, note="测试").id


@pytest.mark.parametrize("kind", KINDS)
def test_a_template_for_each_type_is_filled_in_the_sandbox_with_every_value(studio, lead, teacher, kind):
    info = studio.templates.upload(lead, name=f"{kind}模板", data=every_placeholder(kind), kind=kind)
    assert info.resource_type == kind and info.placeholders
    version_id = saved(studio, teacher, kind)

    filled = all_text(studio.export_document_with_template(teacher, version_id, info.id, COVER))

    _, _, document = studio.open_document(teacher, version_id)
    values = resource_type(kind).template_context(document, COVER)
    missing = [value for value in every_value(values) if value not in filled]
    assert missing == [] and "阳光幼儿园" in filled
    assert "{{" not in filled and "{%" not in filled


def test_a_letters_own_words_reach_the_school_template(studio, lead, teacher):
    body = [
        "{{ 称呼 }}",
        "{{ 正文 }}",
        "家庭小任务：{{ 家庭任务 }}",
        "请带：{{ 收集清单|join('、') }}",
        "{{ 班级 }} {{ 教师 }} {{ 日期 }}",
    ]
    info = studio.templates.upload(lead, name="园所家长信", data=template_with(body), kind="parent_letter")
    version_id = saved(studio, teacher, "parent_letter")
    _, _, letter = studio.open_document(teacher, version_id)

    paragraphs = docx.Document(io.BytesIO(studio.export_document_with_template(teacher, version_id, info.id, COVER)))
    texts = [paragraph.text for paragraph in paragraphs.paragraphs]

    assert texts[2] == f"家庭小任务：{letter.family_task}"
    assert texts[3] == "请带：" + "、".join(item.name for item in letter.collection)
    assert texts[4] == f"{letter.class_name} {letter.teacher} {letter.date}"  # the letter's own, not the cover's


def test_a_template_of_another_type_is_refused_naming_what_the_document_lacks(studio, lead, teacher):
    letter_template = template_with(["{{ 称呼 }}", "{{ 家庭任务 }}", "{{ 班级 }}"])
    info = studio.templates.upload(lead, name="园所家长信", data=letter_template, kind="parent_letter")
    unit_version = saved(studio, teacher, "theme_unit")
    with pytest.raises(InvalidInput) as refused:
        studio.export_document_with_template(teacher, unit_version, info.id, COVER)
    message = str(refused.value)
    assert "“园所家长信”是家长信的模板，不能用于主题活动" in message
    assert "{{ 称呼 }}、{{ 家庭任务 }}" in message and "{{ 班级 }}" not in message  # a unit has 班级
    assert "is made for a parent letter, not for a theme unit" in message


def test_a_lesson_plan_template_is_refused_for_another_type_and_not_listed_there(studio, lead, teacher):
    unit_version = saved(studio, teacher, "theme_unit")
    with pytest.raises(InvalidInput, match="是教案的模板，不能用于主题活动"):
        studio.export_document_with_template(teacher, unit_version, "starter", COVER)
    assert studio.templates.list_templates(teacher, kind="theme_unit") == []
    assert [info.id for info in studio.templates.list_templates(teacher)] == ["starter"]  # a 教案's, as before


def test_the_upload_check_names_another_types_placeholder_and_the_type_that_has_it():
    errors = check_template(template_with(["{{ 主题名称 }}", "{{ 称呼 }}"]), "parent_letter").errors
    assert len(errors) == 1
    assert "{{ 主题名称 }} 是主题活动模板的占位符，家长信模板里没有它" in errors[0]
    assert "请在上传时选择“主题活动”" in errors[0] and "is a placeholder of theme unit templates" in errors[0]


def test_a_lesson_plan_template_is_checked_as_before_and_a_letter_name_is_explained():
    assert check_template(school_template()).ok  # the 教案's check, unchanged
    errors = check_template(school_template(body=["{{ 家庭任务 }}"])).errors
    assert errors == [
        "{{ 家庭任务 }} 是家长信模板的占位符，教案模板里没有它：如果这份模板是给家长信用的，请在上传时选择“家长信”"
        " / {{ 家庭任务 }} is a placeholder of parent letter templates, not of lesson plan templates: if this"
        " template is for a parent letter, choose that type when uploading"
    ]


@pytest.mark.parametrize(
    ("body", "named"),
    [
        ("{{ 标题 * 1000 }}", "{{ 标题 * 1000 }} 不能使用 * 运算"),
        ("{% for 字 in 标题 %}{{ 字 }}{% endfor %}", "“{% for 字 in 标题 %}”只能循环列表占位符（收集清单、请不要带）"),
        ("{{ 标题|center(900000) }}", "不能使用 |center"),
        ("{{ 标题.__class__ }}", "标题.__class__"),
    ],
)
def test_an_expression_that_is_not_allowed_is_refused_in_any_types_template(body, named):
    errors = check_template(template_with([body]), "parent_letter").errors
    assert errors and named in errors[0]


def test_an_item_field_of_another_types_list_is_named_with_the_fields_it_has():
    body = "{% for 周 in 周计划 %}{{ 周.环节 }}{% endfor %}"
    (error,) = check_template(template_with([body]), "theme_unit").errors
    assert "未知的字段 {{ 周.环节 }}：周计划的每一项只有 周次、日期、阶段、重点、活动、文本" in error


def test_a_week_loop_over_its_activities_passes_and_numbers_may_be_multiplied():
    body = "{% for 周 in 周计划 %}{{ 周.周次 * 7 }}{% for 活 in 周.活动 %}{{ 活 }}{% endfor %}{% endfor %}"
    assert check_template(template_with([body]), "theme_unit").ok


def test_a_type_without_school_templates_and_an_unknown_type_are_refused(tmp_path, store):
    lead = store.ensure_user("zhao", role="lead")
    with pytest.raises(InvalidInput, match="Unknown resource type: poster"):
        SchoolTemplates(tmp_path).upload(lead, name="海报", data=template_with(["{{ 标题 }}"]), kind="poster")


def test_a_template_stored_before_types_existed_is_a_lesson_plans(tmp_path, store):
    import json

    teacher = store.ensure_user("wang")
    (tmp_path / "0123456789ab.docx").write_bytes(school_template())
    sidecar = {"id": "0123456789ab", "name": "旧模板", "uploaded_by": "赵", "uploaded_at": "2026-01-01",
               "file_name": "x.docx", "size": 1, "sha256": "", "placeholders": [], "warnings": []}  # fmt: skip
    (tmp_path / "0123456789ab.json").write_text(json.dumps(sidecar, ensure_ascii=False), encoding="utf-8")
    assert SchoolTemplates(tmp_path).get(teacher, "0123456789ab").resource_type == "lesson_plan"


# --- a page offers the type's templates next to 下载 Word -------------------------------------------


def run_until(at, predicate, seconds=30):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        at.run()
        assert not at.exception, at.exception
        if predicate(at):
            return
        time.sleep(0.2)
    raise AssertionError("page never reached the expected state")


def test_the_letter_page_offers_the_schools_letter_template_and_downloads_it(tmp_path, monkeypatch, fake_backend):
    monkeypatch.setenv("LESSON_STUDIO_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("LESSON_STUDIO_BACKEND", "fake")
    monkeypatch.setenv("LESSON_STUDIO_STARTER_LIBRARY", "0")
    studio_ui.get_studio.clear()
    studio_ui._starter_library_ready.clear()
    studio = studio_ui.get_studio()
    teacher = studio.store.ensure_user("wang", display_name="王老师")
    lead = studio.store.ensure_user("zhao", role="lead")
    body = ["{{ 标题 }}", "家庭小任务：{{ 家庭任务 }}", "{{ 班级 }}"]
    info = studio.templates.upload(lead, name="园所家长信", data=template_with(body), kind="parent_letter")
    version_id = saved(studio, teacher, "parent_letter")

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    sign_in_session(at, teacher)
    at.run()
    at.switch_page("pages/parent_letter.py").run()
    assert not at.exception, at.exception
    choice = at.selectbox(key=f"parent_letter_template_{version_id}")
    assert choice.options == ["园所家长信"]  # the starter 教案 template is not offered for a letter
    at.button(key=f"parent_letter_make_template_{version_id}").click().run()
    assert not at.exception, at.exception
    labels = [button.label for button in at.get("download_button")]
    assert labels == ["下载 Word", "下载 Word（学校模板）"]
    template_id, data = at.session_state[f"parent_letter_templated_{version_id}"]
    _, _, letter = studio.open_document(teacher, version_id)
    assert template_id == info.id
    assert f"家庭小任务：{letter.family_task}" in all_text(data)


def test_a_page_without_a_template_for_its_type_shows_no_choice(tmp_path, monkeypatch, fake_backend):
    monkeypatch.setenv("LESSON_STUDIO_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("LESSON_STUDIO_BACKEND", "fake")
    monkeypatch.setenv("LESSON_STUDIO_STARTER_LIBRARY", "0")
    studio_ui.get_studio.clear()
    studio_ui._starter_library_ready.clear()
    studio = studio_ui.get_studio()
    teacher = studio.store.ensure_user("wang", display_name="王老师")
    saved(studio, teacher, "parent_letter")
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    sign_in_session(at, teacher)
    at.run()
    at.switch_page("pages/parent_letter.py").run()
    assert not at.exception, at.exception
    assert [button.label for button in at.get("download_button")] == ["下载 Word"]
    assert not [box for box in at.selectbox if (box.key or "").startswith("parent_letter_template_")]


def test_the_readme_names_every_placeholder_of_every_type():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("#### Templates for other resources", 1)[1].split("\n### ", 1)[0]
    for kind in KINDS:
        row = next(line for line in section.splitlines() if f"`{kind}`" in line)
        for placeholder in resource_type(kind).template_context.placeholders:
            assert placeholder.name in row, (kind, placeholder.name)
            assert all(name in row for name in placeholder.fields if name != "文本"), (kind, placeholder.name)
