"""AppTest of the 主题活动 page with the scripted backend: the form, a bad field, the unit week by
week, 展开为教案 once (a second click opens the same lesson), an edit as a new version, and Word."""

import io
import time
from pathlib import Path

import pytest
from page_session import sign_in_session
from streamlit.testing.v1 import AppTest

import studio_ui

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def unit_page(tmp_path, monkeypatch, fake_backend):
    monkeypatch.setenv("LESSON_STUDIO_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("LESSON_STUDIO_BACKEND", "fake")
    monkeypatch.setenv("LESSON_STUDIO_STARTER_LIBRARY", "0")
    studio_ui.get_studio.clear()
    studio_ui._starter_library_ready.clear()
    studio = studio_ui.get_studio()
    teacher = studio.store.ensure_user("wang", display_name="王老师")
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    sign_in_session(at, teacher)
    at.run()
    at.switch_page("pages/theme_unit.py").run()
    assert not at.exception, at.exception
    return at, studio, teacher


def fill(at, weeks=2, **values):
    for key, value in values.items():
        if key == "problem":
            at.text_area(key="unit_problem").input(value)
        else:
            at.text_input(key=f"unit_{key}").input(value)
    at.number_input(key="unit_weeks").set_value(weeks)
    next(button for button in at.button if button.label == "生成主题活动").click().run()  # the form's, not 解析到表单


def run_until(at, predicate, seconds=30):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        at.run()
        assert not at.exception, at.exception
        if predicate(at):
            return
        time.sleep(0.2)
    raise AssertionError("page never reached the expected state")


def saved(number):
    return lambda at: any(f"已保存为第{number}版" in s.value for s in at.success)


def buttons(at, label):
    return [button for button in at.button if button.label == label]


def test_the_form_writes_a_unit_week_by_week_and_offers_word(unit_page):
    from docx import Document

    at, studio, teacher = unit_page
    fill(at, weeks=3, class_name="中二班", theme="小熊的帽子", problem="小熊的帽子总是掉", materials="旧报纸、打火机")
    run_until(at, saved(1))
    shown = " ".join(m.value for m in at.markdown)
    assert "第1周" in shown and "第3周" in shown and "展示/用起来" in shown
    assert any("打火机" in warning.value for warning in at.warning)  # taken off, and the teacher told why
    assert len(buttons(at, "展开为教案")) == 6  # one per collective activity: two a week
    (unit,) = studio.documents(teacher, "theme_unit")
    document = Document(io.BytesIO(studio.export_document_docx(teacher, unit.head_version_id)))
    assert "四、活动安排" in [p.text for p in document.paragraphs]


def test_a_missing_problem_is_named_and_nothing_is_started(unit_page):
    at, studio, teacher = unit_page
    fill(at, class_name="中二班", theme="小熊的帽子", problem=" ")
    assert any("真实问题" in error.value for error in at.error)
    assert studio.documents(teacher, "theme_unit") == [] and "unit_job" not in at.session_state


def test_expanding_twice_starts_one_lesson_listed_with_its_status(unit_page):
    at, studio, teacher = unit_page
    fill(at, class_name="中二班", theme="小熊的帽子", problem="小熊的帽子总是掉")
    run_until(at, saved(1))
    (unit,) = studio.documents(teacher, "theme_unit")
    key = f"unit_expand_{unit.head_version_id}_w1-a1"
    at.button(key=key).click().run()
    assert not at.exception, at.exception
    run_until(at, lambda at: any("教案：" in c.value and "已完成" in c.value for c in at.caption))
    assert key not in [button.key for button in at.button]  # the activity now offers its lesson instead
    buttons(at, "打开教案")[0].click().run()
    assert not at.exception, at.exception
    assert at.session_state["open_draft"] == studio.linked_documents(teacher, unit.id)[0].child_draft_id
    assert [title.value for title in at.title] == ["教案工作台"]  # the lesson opened in the workspace
    (link,) = studio.linked_documents(teacher, unit.id)
    assert studio.expand_item(teacher, unit.head_version_id, "w1-a1") == link.job_id  # a stray second click
    assert len(studio.list_plans(teacher)) == 1


def test_an_edit_is_saved_as_version_2_and_a_drill_is_named(unit_page):
    at, studio, teacher = unit_page
    fill(at, class_name="中二班", theme="小熊的帽子", problem="小熊的帽子总是掉")
    run_until(at, saved(1))
    (unit,) = studio.documents(teacher, "theme_unit")
    at.text_area(key=f"unit_edit_family_{unit.head_version_id}").input("请家长每天陪孩子练习写字。")
    buttons(at, "保存为新版本")[0].click().run()
    assert not at.exception, at.exception
    assert saved(2)(at)
    assert any("小学化" in warning.value and "家园共育" in warning.value for warning in at.warning)
    assert [v.number for v in studio.versions(teacher, unit.id)] == [1, 2]


def test_a_lead_reads_a_teachers_unit_without_expand_buttons(unit_page):
    at, studio, teacher = unit_page
    fill(at, class_name="中二班", theme="小熊的帽子", problem="小熊的帽子总是掉")
    run_until(at, saved(1))
    lead = studio.store.ensure_user("lead", role="lead", display_name="组长")
    lead_at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    sign_in_session(lead_at, lead)
    lead_at.run()
    lead_at.switch_page("pages/theme_unit.py").run()
    assert not lead_at.exception, lead_at.exception
    assert any(header.value == "小熊的帽子" for header in lead_at.subheader)
    assert buttons(lead_at, "展开为教案") == [] and buttons(lead_at, "保存为新版本") == []
