"""AppTest of the 活动反思 page with the scripted backend: choose my plan, the notes, the reflection,
the revised plan as a diff and the plan's next version, a bad field, and untrusted text."""

import json
import time
from pathlib import Path

import pytest
from fakes import SECTION_ANSWERS, answer_for
from page_session import sign_in_session
from streamlit.testing.v1 import AppTest

import studio_ui

ROOT = Path(__file__).resolve().parents[1]
PROSE_KEYS = frozenset({"goal_reviews", "child_facts", "timing_review", "suggestions", "next_time"})


@pytest.fixture
def page(tmp_path, monkeypatch, fake_backend, hat_request):
    monkeypatch.setenv("LESSON_STUDIO_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("LESSON_STUDIO_BACKEND", "fake")
    monkeypatch.setenv("LESSON_STUDIO_STARTER_LIBRARY", "0")
    studio_ui.get_studio.clear()
    studio_ui._starter_library_ready.clear()
    studio = studio_ui.get_studio()
    teacher = studio.store.ensure_user("wang", display_name="王老师")
    plan_job = studio.submit_generation(teacher, hat_request, idempotency_key="plan")
    view = studio.jobs.wait(teacher, plan_job, timeout=10)
    assert view.status == "done", view.error

    def open_as(user):  # type: ignore[no-untyped-def]
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
        sign_in_session(at, user)
        at.run()
        at.switch_page("pages/reflection.py").run()
        assert not at.exception, at.exception
        return at

    return open_as, studio, teacher, view


def fill(at, version_id, **notes):  # type: ignore[no-untyped-def]
    for key, text in notes.items():
        at.text_area(key=f"reflection_{key}").input(text)
    at.number_input(key=f"reflection_minutes_{version_id}_4").set_value(1)
    next(button for button in at.button if button.label == "生成活动反思").click().run()


def run_until(at, predicate, seconds=20):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        at.run()
        assert not at.exception, at.exception
        if predicate(at):
            return
        time.sleep(0.2)
    raise AssertionError("page never reached the expected state")


NOTES = {
    "children": "豆豆把报纸卷成筒当帽檐。乐乐说：“帽子太大了，掉下来了。”三个孩子用毛线把帽子系在小熊下巴上。",
    "timing": "想办法超时了，用了9分钟。分享环节提前结束。",
    "surprises": "乐乐想到用夹子夹住帽子。",
    "changes": "选办法投票太慢，下次改成举手。",  # note 7, as tests/fakes.py's suggestion names
}


def test_the_notes_write_a_reflection_and_the_plans_next_version_shown_as_a_diff(page):
    open_as, studio, teacher, plan_view = page
    at = open_as(teacher)
    fill(at, plan_view.version_id, **NOTES)
    run_until(at, lambda at: any("已保存为第1版" in s.value for s in at.success))
    shown = " ".join(m.value for m in at.markdown)
    assert "目标达成" in shown and "调整建议" in shown and "下次再做" in shown
    assert "修订后的教案已保存为第2版" in shown
    captions = " ".join(c.value for c in at.caption)
    assert "活动过程2·想办法（修订后）" in captions and "回应记录7" in captions
    assert [v.number for v in studio.versions(teacher, plan_view.draft_id)] == [1, 2]
    (reflection,) = studio.documents(teacher, "reflection")
    assert studio.export_document_docx(teacher, reflection.head_version_id)[:2] == b"PK"


def test_notes_left_blank_are_named_and_nothing_is_started(page):
    open_as, studio, teacher, plan_view = page
    at = open_as(teacher)
    fill(at, plan_view.version_id, children=" ")
    assert any("幼儿做了什么" in error.value for error in at.error)
    assert studio.documents(teacher, "reflection") == [] and "reflection_job" not in at.session_state
    assert [v.number for v in studio.versions(teacher, plan_view.draft_id)] == [1]


def test_another_teacher_is_offered_only_her_own_plans(page):
    open_as, studio, _, _ = page
    at = open_as(studio.store.ensure_user("li", display_name="李老师"))
    assert any("还没有自己的教案" in info.value for info in at.info)
    assert not at.selectbox


def test_a_child_fact_with_markdown_is_shown_as_text(page, fake_backend):
    fake_backend.respond = lambda messages, schema: (
        json.dumps(
            dict(SECTION_ANSWERS[PROSE_KEYS], child_facts=["豆豆把报纸卷成筒当帽檐**大字**<b>x</b>"]),
            ensure_ascii=False,
        )
        if frozenset(schema["properties"]) == PROSE_KEYS
        else answer_for(schema)
    )
    open_as, _, teacher, plan_view = page
    at = open_as(teacher)
    fill(at, plan_view.version_id, **NOTES)
    run_until(at, lambda at: any("已保存" in s.value for s in at.success))
    (fact,) = [m.value for m in at.markdown if m.value.startswith("- 豆豆")]
    assert fact.startswith(r"- 豆豆把报纸卷成筒当帽檐\*\*大字\*\*") and "<b>" not in fact
