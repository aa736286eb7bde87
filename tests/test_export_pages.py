"""AppTest on the export pages: 学校模板 (upload and check) and 我的教案 (template choice, several at once)."""

from __future__ import annotations

from pathlib import Path

import pytest
from page_session import sign_in_session
from sample_plans import sample_plan, school_template, small_class_plan
from streamlit.testing.v1 import AppTest

import studio_ui
from lesson_studio.store import Store

ROOT = Path(__file__).resolve().parents[1]
DOCX_MIME = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@pytest.fixture
def data_dir(tmp_path, monkeypatch, fake_backend):
    monkeypatch.setenv("LESSON_STUDIO_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("LESSON_STUDIO_BACKEND", "fake")
    monkeypatch.setenv("LESSON_STUDIO_STARTER_LIBRARY", "0")
    studio_ui.get_studio.clear()
    return tmp_path / "data"


def page(name: str, user) -> AppTest:
    at = AppTest.from_file(str(ROOT / "pages" / name), default_timeout=60)
    sign_in_session(at, user)
    return at.run()


def users(data_dir):
    store = Store(f"sqlite:///{data_dir / 'lesson_studio.db'}")
    return store, store.ensure_user("wang", display_name="王老师"), store.ensure_user("zhao", role="lead")


def test_teacher_sees_the_templates_but_cannot_upload(data_dir):
    _store, teacher, _lead = users(data_dir)
    at = page("templates.py", teacher)
    assert not at.exception
    assert [e.label for e in at.expander][0].startswith("园所表格式教案（示例模板）")
    assert len(at.file_uploader) == 0
    assert any("教研组长" in info.value for info in at.info)


def test_lead_uploads_a_checked_template(data_dir):
    _store, _teacher, lead = users(data_dir)
    at = page("templates.py", lead)
    at.file_uploader[0].set_value(("我们园.docx", school_template(), DOCX_MIME))
    at.run()
    assert any("检查通过" in s.value for s in at.success)
    next(b for b in at.button if b.label == "保存模板").click().run()
    assert not at.exception
    assert any("已保存模板“我们园”" in s.value for s in at.success)
    assert any(e.label.startswith("我们园") for e in at.expander)


def test_lead_sees_each_problem_and_cannot_save(data_dir):
    _store, _teacher, lead = users(data_dir)
    at = page("templates.py", lead)
    at.file_uploader[0].set_value(("坏.docx", school_template(body=["{{ 活动名 }}"]), DOCX_MIME))
    at.run()
    assert r"\{\{ 活动名 \}\}" in at.error[0].value  # the lead's text, shown as inert text
    assert next(b for b in at.button if b.label == "保存模板").disabled


def test_my_lessons_offers_templates_and_several_at_once(data_dir):
    store, teacher, _lead = users(data_dir)
    for plan in (sample_plan(), small_class_plan()):
        store.save_version(teacher, plan)
    at = page("my_lessons.py", teacher)
    assert not at.exception
    at.button(key="export_make_docx").click().run()
    assert len(at.get("download_button")) == 2
    template_box = at.selectbox(key="export_template")
    assert template_box.options == ["内置表格式教案", "园所表格式教案（示例模板）"]
    template_box.set_value("starter").run()
    assert not at.exception
    at.button(key="export_make_docx").click().run()  # another layout: made again, on request
    assert not [e for e in at.error if "模板" in e.value]  # (the 小班 plan's banned material is an st.error)
    at.multiselect(key="export_several").set_value([draft.id for draft in store.list_drafts(teacher)]).run()
    assert not at.exception
    assert len(at.get("download_button")) == 4


@pytest.mark.parametrize(
    ("page_name", "title", "expander"),
    [
        ("templates.py", "School templates", "Placeholders and how to make a template"),
        ("my_lessons.py", "My lessons", "Export settings (template, class, date)"),
    ],
)
def test_export_pages_follow_the_english_switch(data_dir, page_name, title, expander):
    store, teacher, _lead = users(data_dir)
    store.save_version(teacher, sample_plan())
    at = AppTest.from_file(str(ROOT / "pages" / page_name), default_timeout=60)
    sign_in_session(at, teacher)
    at.session_state["language"] = "en"
    at.run()
    assert not at.exception
    assert at.title[0].value == title
    assert expander in [e.label for e in at.expander]


def test_the_word_file_is_made_on_request_and_not_on_every_rerun(data_dir, monkeypatch):
    import lesson_studio.export as export

    store, teacher, _lead = users(data_dir)
    store.save_version(teacher, sample_plan())
    made = []
    real = export.plan_docx_or_builtin
    monkeypatch.setattr(export, "plan_docx_or_builtin", lambda *args, **kwargs: made.append(1) or real(*args, **kwargs))
    at = page("my_lessons.py", teacher)
    at.run()
    at.run()
    assert made == []
    at.button(key="export_make_docx").click().run()
    at.run()
    at.run()
    assert made == [1]
    assert any(b.label == "下载 Word 教案" for b in at.get("download_button"))


def test_a_template_that_fails_at_fill_time_gives_the_builtin_layout_and_says_why(data_dir):
    """A template stored before today's checks (or broken on disk) must not cost the teacher the file."""
    import json

    store, teacher, _lead = users(data_dir)
    store.save_version(teacher, sample_plan())
    folder = data_dir / "templates"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "0123456789ab.docx").write_bytes(school_template(body=["{{ 活动名 }}"]))  # an unknown placeholder
    sidecar = {"id": "0123456789ab", "name": "旧模板", "uploaded_by": "赵", "uploaded_at": "2026-01-01", "file_name": "x.docx",
               "size": 1, "sha256": "", "placeholders": [], "warnings": []}
    (folder / "0123456789ab.json").write_text(json.dumps(sidecar, ensure_ascii=False), encoding="utf-8")
    at = page("my_lessons.py", teacher)
    at.selectbox(key="export_template").set_value("0123456789ab").run()
    at.button(key="export_make_docx").click().run()
    assert not at.exception
    assert any("旧模板" in w.value and "内置" in w.value for w in at.warning)
    assert any(b.label == "下载 Word 教案" for b in at.get("download_button"))
