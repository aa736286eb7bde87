"""AppTest of the 区域材料计划 page with the scripted backend: the form, a bad field, the plan area
by area, its Word file, untrusted text shown as text, and an edit saved as a new version."""

import datetime
import io
import json
import time
from pathlib import Path

import pytest
from page_session import sign_in_session
from streamlit.testing.v1 import AppTest

import studio_ui

ROOT = Path(__file__).resolve().parents[1]
AREA_KEYS = frozenset({"goal", "materials", "levels", "record_columns", "observation_focus"})


@pytest.fixture
def area_page(tmp_path, monkeypatch, fake_backend):
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
    at.switch_page("pages/area_plan.py").run()
    assert not at.exception, at.exception
    return at, studio, teacher


def fill(at, areas=("美工区", "科学区"), **values):
    for key, value in values.items():
        at.text_input(key=f"area_{key}").input(value)
    at.multiselect(key="area_areas").set_value(list(areas))
    at.date_input(key="area_start_date").set_value(datetime.date(2026, 12, 7))
    next(button for button in at.button if button.label == "生成区域材料计划").click().run()  # the form's, not 解析到表单


def run_until(at, predicate, seconds=20):
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


def test_the_page_is_in_the_navigation():
    assert ("pages/area_plan.py", "page_area_plan") in [(path, key) for path, key, _, _ in studio_ui.PAGES]


def test_the_form_writes_a_plan_area_by_area_without_the_banned_material_and_offers_word(area_page):
    from docx import Document

    at, studio, teacher = area_page
    fill(at, class_name="中二班", theme="给小熊做一顶戴得住的帽子", materials_on_hand="旧报纸、磁铁")
    run_until(at, saved(1))
    shown = " ".join(m.value for m in at.markdown)
    assert "**美工区**" in shown and "**科学区**" in shown
    assert shown.index("美工区") < shown.index("科学区")
    assert "层次一：自由摆弄材料" in shown and "投放" in shown and "12月7日" in shown
    assert any("磁铁" in warning.value for warning in at.warning)  # named for the teacher, with the reason
    assert [b.label for b in at.get("download_button")] == ["下载 Word"]
    (plan,) = studio.documents(teacher, "area_plan")
    document = Document(io.BytesIO(studio.export_document_docx(teacher, plan.head_version_id)))
    assert "一、美工区" in [p.text for p in document.paragraphs]


def test_missing_areas_are_named_and_nothing_is_started(area_page, fake_backend):
    at, studio, teacher = area_page
    fill(at, areas=(), class_name="中二班", theme="给小熊做帽子")
    assert any("区域" in error.value for error in at.error)
    assert studio.documents(teacher, "area_plan") == [] and "area_job" not in at.session_state
    assert fake_backend.calls == []


def test_model_text_with_markdown_is_shown_as_text(area_page, fake_backend):
    from fakes import SECTION_ANSWERS, answer_for

    fake_backend.respond = lambda messages, schema: (
        json.dumps(
            dict(SECTION_ANSWERS[AREA_KEYS], goal="**大字**<b>x</b>![i](http://x.example/a.png)"), ensure_ascii=False
        )
        if frozenset(schema["properties"]) == AREA_KEYS
        else answer_for(schema)
    )
    at, *_ = area_page
    fill(at, areas=("美工区",), class_name="中二班", theme="帽子")
    run_until(at, saved(1))
    (goal,) = [m.value for m in at.markdown if "大字" in m.value]
    assert r"\*\*大字\*\*" in goal and "<b>" not in goal and "![" not in goal


def test_an_edit_is_saved_as_version_2_and_a_scoring_sheet_is_named(area_page):
    at, studio, teacher = area_page
    fill(at, areas=("美工区",), class_name="中二班", theme="给小熊做帽子")
    run_until(at, saved(1))
    (plan,) = studio.documents(teacher, "area_plan")
    version_id = plan.head_version_id
    at.text_area(key=f"edit_美工区_record_columns_{version_id}").input("日期、得分、排名")
    next(button for button in at.button if button.label == "保存为新版本").click().run()
    assert not at.exception, at.exception
    assert any("已保存为第2版" in s.value for s in at.success)
    assert any("打分" in warning.value for warning in at.warning)
    assert [v.number for v in studio.versions(teacher, plan.id)] == [1, 2]


def test_an_unreadable_edit_is_a_message_and_nothing_is_saved(area_page):
    at, studio, teacher = area_page
    fill(at, areas=("美工区",), class_name="中二班", theme="给小熊做帽子")
    run_until(at, saved(1))
    (plan,) = studio.documents(teacher, "area_plan")
    at.text_area(key=f"edit_美工区_materials_{plan.head_version_id}").input("纸盒｜3个｜中结构")
    next(button for button in at.button if button.label == "保存为新版本").click().run()
    assert not at.exception, at.exception
    assert any("美工区·材料" in error.value for error in at.error)
    assert [v.number for v in studio.versions(teacher, plan.id)] == [1]


def test_progress_is_shown_area_by_area_while_the_model_writes(area_page, fake_backend):
    import threading

    fake_backend.hold = threading.Event()  # the first area's call waits until the page has been seen
    at, *_ = area_page
    fill(at, class_name="中二班", theme="给小熊做帽子")
    run_until(at, lambda at: any("正在写：美工区" in info.value for info in at.info))
    fake_backend.hold.set()
    run_until(at, saved(1))
