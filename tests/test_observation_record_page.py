"""AppTest of the 观察记录 page with the scripted backend: the form, a bad field, the record shown as
inert text, its Word file, and an edit saved as a new version with what the checks find."""

import io
import json
import time
from pathlib import Path

import pytest
from page_session import sign_in_session
from streamlit.testing.v1 import AppTest

import studio_ui

ROOT = Path(__file__).resolve().parents[1]
NOTES = (
    "区域活动时乐乐在建构区用积木搭小桥，桥面放上小汽车后塌了两次。他先把两块长积木换成一块长木板，"
    "又在下面加了两根圆柱。最后小汽车开过去了，他拍手说：“我的桥不倒了！”"
)


@pytest.fixture
def record_page(tmp_path, monkeypatch, fake_backend):
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
    at.switch_page("pages/observation_record.py").run()
    assert not at.exception, at.exception
    return at, studio, teacher


def fill(at, notes=NOTES, **values):
    for key, value in values.items():
        at.text_input(key=f"observation_{key}").input(value)
    at.text_area(key="observation_notes").input(notes)
    next(button for button in at.button if button.label == "生成观察记录").click().run()


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


def test_the_form_writes_a_record_with_the_forms_facts_and_offers_word(record_page):
    from docx import Document

    at, studio, teacher = record_page
    fill(at, class_name="中二班", child="乐乐", place="建构区")
    run_until(at, saved(1))
    shown = " ".join(m.value for m in at.markdown)
    assert "观察实录" in shown and "建构区用积木搭小桥" in shown and "支持策略" in shown
    assert "没有导入《指南》" in shown  # no library here: the record says so
    assert any("乐乐（中二班，中班）" in caption.value for caption in at.caption)
    assert [button.label for button in at.get("download_button")] == ["下载 Word"]
    (record,) = studio.documents(teacher, "observation_record")
    document = Document(io.BytesIO(studio.export_document_docx(teacher, record.head_version_id)))
    assert document.paragraphs[0].text == "乐乐的观察记录（建构区）"


def test_a_missing_child_is_named_and_nothing_is_started(record_page, fake_backend):
    at, studio, teacher = record_page
    fill(at, class_name="中二班", child=" ", place="建构区")
    assert any("观察对象" in error.value and "child observed" in error.value for error in at.error)
    assert studio.documents(teacher, "observation_record") == [] and "observation_job" not in at.session_state
    assert fake_backend.calls == []


def test_model_text_with_markdown_is_shown_as_text(record_page, fake_backend):
    from fakes import answer_for

    fake_backend.respond = lambda messages, schema: (
        json.dumps({"objective_record": NOTES + "**大字**<img src=x>"}, ensure_ascii=False)
        if set(schema["properties"]) == {"objective_record"}
        else answer_for(schema)
    )
    at, *_ = record_page
    fill(at, class_name="中二班", child="乐乐", place="建构区")
    run_until(at, saved(1))
    (record,) = [m.value for m in at.markdown if "大字" in m.value]
    assert r"\*\*大字\*\*" in record and "<img" not in record


def test_an_edit_is_saved_as_version_2_and_a_label_is_named(record_page):
    at, studio, teacher = record_page
    fill(at, class_name="中二班", child="乐乐", place="建构区")
    run_until(at, saved(1))
    (record,) = studio.documents(teacher, "observation_record")
    version_id = record.head_version_id
    at.text_area(key=f"observation_edit_analysis_{version_id}").input("乐乐很聪明，会自己想办法。")
    at.text_area(key=f"observation_edit_support_strategies_{version_id}").input("请他介绍办法\n\n投放纸筒")
    next(button for button in at.button if button.label == "保存为新版本").click().run()
    assert not at.exception, at.exception
    assert saved(2)(at)
    assert any("聪明" in warning.value for warning in at.warning)
    assert [v.number for v in studio.versions(teacher, record.id)] == [1, 2]
    kept = studio.open_document(teacher, studio.versions(teacher, record.id)[-1].id)[2]
    assert kept.support_strategies == ["请他介绍办法", "投放纸筒"]
