"""AppTest of the 创造力观察清单 page with the scripted backend: the form, a bad field, the checklist
shown as inert text, recording marks and evidence as a new version, and no total anywhere."""

import io
import json
import re
import time
from pathlib import Path

import pytest
from page_session import sign_in_session
from streamlit.testing.v1 import AppTest

import studio_ui

ROOT = Path(__file__).resolve().parents[1]
KIND = "creativity_checklist"
TOTALS = re.compile(r"总分|得分|合计|总计|共计|平均")


@pytest.fixture
def checklist_page(tmp_path, monkeypatch, fake_backend):
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
    at.switch_page("pages/creativity_checklist.py").run()
    assert not at.exception, at.exception
    return at, studio, teacher


def fill(at, children="", **values):
    for key, value in values.items():
        at.text_input(key=f"checklist_{key}").input(value)
    at.text_area(key="checklist_children").input(children)
    next(button for button in at.button if button.label == "生成观察清单").click().run()  # the form's, not 解析到表单


def run_until(at, predicate, seconds=20):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        at.run()
        assert not at.exception, at.exception
        if predicate(at):
            return
        time.sleep(0.2)
    raise AssertionError("page never reached the expected state")


def shown_text(at) -> str:
    return " ".join(
        element.value for kind in ("markdown", "caption", "info", "warning", "success") for element in getattr(at, kind)
    )


def test_the_form_writes_a_checklist_with_a_sheet_per_child_and_offers_word(checklist_page):
    from docx import Document

    at, studio, teacher = checklist_page
    fill(at, class_name="中二班", activity="给小熊做一顶戴得住的帽子", children="小明\n小红、小刚")
    run_until(at, lambda at: any("已保存为第1版" in s.value for s in at.success))
    shown = shown_text(at)
    for name in ("流畅性", "变通性", "独创性", "精细性", "不怕失败"):
        assert name in shown
    assert "为帽子戴不住说出两个以上不同的办法" in shown
    assert [expander.label for expander in at.expander] == ["小明", "小红", "小刚"]
    assert [b.label for b in at.get("download_button")] == ["下载 Word"]
    (checklist,) = studio.documents(teacher, KIND)
    document = Document(io.BytesIO(studio.export_document_docx(teacher, checklist.head_version_id)))
    assert len(document.tables) == 3


def test_a_missing_activity_is_named_and_nothing_is_started(checklist_page):
    at, studio, teacher = checklist_page
    fill(at, class_name="中二班", activity=" ")
    assert any("活动名称" in error.value for error in at.error)
    assert studio.documents(teacher, KIND) == [] and "checklist_job" not in at.session_state


def test_marks_and_evidence_are_saved_as_version_2_never_summed_and_problems_named(checklist_page):
    at, studio, teacher = checklist_page
    fill(at, activity="给小熊做帽子", children="小明")
    run_until(at, lambda at: any("已保存为第1版" in s.value for s in at.success))
    (checklist,) = studio.documents(teacher, KIND)
    version_id = checklist.head_version_id
    at.radio(key=f"mark_{version_id}_0_fluency").set_value("经常")
    at.text_input(key=f"evidence_{version_id}_0_fluency").input("他说了折、系、夹三种办法，得3分。")
    at.radio(key=f"mark_{version_id}_0_persists").set_value("偶尔")  # no evidence written
    next(button for button in at.button if button.label == "保存为新版本").click().run()
    assert not at.exception, at.exception
    assert any("已保存为第2版" in s.value for s in at.success)
    warnings = " ".join(warning.value for warning in at.warning)
    assert "打分或排名" in warnings and "缺一句看到的事实" in warnings
    assert [v.number for v in studio.versions(teacher, checklist.id)] == [1, 2]
    saved = studio.open_document(teacher, studio.documents(teacher, KIND)[0].head_version_id)[2]
    assert saved.sheets[0].record("fluency").mark == "经常"
    assert saved.sheets[0].record("persists").mark == "偶尔"
    assert not TOTALS.search(" ".join(m.value for m in [*at.markdown, *at.caption]))  # the page sums nothing


def test_a_blank_sheet_when_no_names_are_given(checklist_page):
    at, studio, teacher = checklist_page
    fill(at, activity="用积木搭一座小桥")
    run_until(at, lambda at: any("已保存为第1版" in s.value for s in at.success))
    assert [expander.label for expander in at.expander] == ["空白表"]


def test_model_look_fors_with_markdown_are_shown_as_text(checklist_page, fake_backend):
    from fakes import SECTION_ANSWERS, answer_for

    keys = frozenset({"fluency", "flexibility", "originality", "elaboration"})
    answer = json.loads(json.dumps(SECTION_ANSWERS[keys]))
    answer["fluency"]["look_fors"][0] = "**说出**<b>两个</b>办法![x](http://e.x/a.png)"
    fake_backend.respond = lambda messages, schema: (
        json.dumps(answer, ensure_ascii=False) if frozenset(schema["properties"]) == keys else answer_for(schema)
    )
    at, *_ = checklist_page
    fill(at, activity="做帽子")
    run_until(at, lambda at: any("已保存" in s.value for s in at.success))
    (shown,) = [m.value for m in at.markdown if "两个" in m.value]
    assert shown.startswith(r"- \*\*说出\*\*") and "<b>" not in shown
    assert "http" not in shown  # the image the teacher never gave was taken out before saving
