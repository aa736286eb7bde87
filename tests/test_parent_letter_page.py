"""AppTest of the 家长信 page with the scripted backend: the form, a bad field, the letter and its Word file."""

import io
import time
from pathlib import Path

import pytest
from page_session import sign_in_session
from streamlit.testing.v1 import AppTest

import studio_ui

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def letter_page(tmp_path, monkeypatch, fake_backend):
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
    at.switch_page("pages/parent_letter.py").run()
    assert not at.exception, at.exception
    return at, studio, teacher


def fill(at, **values):
    for key, value in values.items():
        at.text_input(key=f"letter_{key}").input(value)
    next(button for button in at.button if button.label == "生成家长信").click().run()  # the form's, not 解析到表单


def run_until(at, predicate, seconds=20):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        at.run()
        assert not at.exception, at.exception
        if predicate(at):
            return
        time.sleep(0.2)
    raise AssertionError("page never reached the expected state")


def test_the_form_writes_a_letter_without_the_unsafe_items_and_offers_word(letter_page):
    from docx import Document

    at, studio, teacher = letter_page
    fill(at, class_name="中二班", topic="给小熊做一顶戴得住的帽子", collect="旧报纸、纽扣电池、纸盒")
    run_until(at, lambda at: any("已保存为第1版" in s.value for s in at.success))
    shown = " ".join(m.value for m in at.markdown)
    assert "旧报纸、纸盒" in shown and "请家长带" not in shown
    assert any("纽扣电池" in warning.value for warning in at.warning)  # named for the teacher
    (letter,) = studio.documents(teacher, "parent_letter")
    document = Document(io.BytesIO(studio.export_document_docx(teacher, letter.head_version_id)))
    assert "请帮忙收集：旧报纸、纸盒。" in [p.text for p in document.paragraphs]


def test_a_missing_class_is_named_and_nothing_is_started(letter_page):
    at, studio, teacher = letter_page
    fill(at, class_name=" ", topic="给小熊做帽子")
    assert any("班级" in error.value for error in at.error)
    assert studio.documents(teacher, "parent_letter") == [] and "letter_job" not in at.session_state


def test_a_title_with_markdown_is_shown_as_text(letter_page, fake_backend):
    import json

    from fakes import SECTION_ANSWERS, answer_for

    keys = frozenset({"title", "what_and_why", "child_part", "family_task", "safety_and_time", "thanks"})
    fake_backend.respond = lambda messages, schema: (
        json.dumps(dict(SECTION_ANSWERS[keys], title="**大字**<b>x</b>"), ensure_ascii=False)
        if frozenset(schema["properties"]) == keys
        else answer_for(schema)
    )
    at, *_ = letter_page
    fill(at, class_name="中二班", topic="帽子")
    run_until(at, lambda at: any("已保存" in s.value for s in at.success))
    (title,) = [header.value for header in at.subheader if "大字" in header.value]
    assert title.startswith(r"\*\*大字\*\*") and "<b>" not in title


def test_an_edit_is_saved_as_version_2_and_a_purchase_is_named(letter_page):
    at, studio, teacher = letter_page
    fill(at, class_name="中二班", topic="给小熊做帽子")
    run_until(at, lambda at: any("已保存为第1版" in s.value for s in at.success))
    (letter,) = studio.documents(teacher, "parent_letter")
    version_id = letter.head_version_id
    at.text_area(key=f"edit_family_task_{version_id}").input("请家长网购一套彩色卡纸。")
    next(button for button in at.button if button.label == "保存为新版本").click().run()
    assert not at.exception, at.exception
    assert any("已保存为第2版" in s.value for s in at.success)
    assert any("购买" in warning.value for warning in at.warning)
    assert [v.number for v in studio.versions(teacher, letter.id)] == [1, 2]
