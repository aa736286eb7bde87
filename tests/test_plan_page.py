"""AppTest on 教案工作台: regenerate a section, edit by hand, compare versions, restore."""

import time
from pathlib import Path

import pytest
from page_session import sign_in_session
from streamlit.testing.v1 import AppTest

import studio_ui
from lesson_studio.models import User

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def workspace(tmp_path, monkeypatch, fake_backend, hat_request):
    monkeypatch.setenv("LESSON_STUDIO_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("LESSON_STUDIO_BACKEND", "fake")
    monkeypatch.setenv("LESSON_STUDIO_STARTER_LIBRARY", "0")
    studio_ui.get_studio.clear()
    studio_ui._starter_library_ready.clear()
    studio = studio_ui.get_studio()
    teacher = studio.store.ensure_user("wang")
    studio.grounding.use_library = False  # no library needed here
    view = studio.jobs.wait(teacher, studio.submit_generation(teacher, hat_request, idempotency_key="seed"), timeout=10)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    sign_in_session(at, teacher)
    at.run()
    at.switch_page("pages/plan.py").run()
    assert not at.exception, at.exception
    return at, studio, teacher, view.draft_id


def run_until(at, predicate, seconds=20):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        at.run()
        assert not at.exception, at.exception
        if predicate(at):
            return
        time.sleep(0.2)
    raise AssertionError("page never reached the expected state")


def versions(studio, teacher: User, draft_id):
    return [v.number for v in studio.store.list_versions(teacher, draft_id)]


def test_rubric_results_are_shown(workspace):
    at, *_ = workspace
    text = " ".join(m.value for m in at.markdown)
    assert "结构完整" in text and "不小学化" in text


def test_regenerate_a_section_shows_a_diff_and_saves_on_accept(workspace, fake_backend):
    at, studio, teacher, draft_id = workspace
    at.selectbox(key="refine_section").set_value("closing")
    at.text_input(key="refine_instruction").input("家园任务更具体")
    at.button(key="regenerate").click().run()
    run_until(at, lambda a: any(b.key == "accept" for b in a.button))
    assert versions(studio, teacher, draft_id) == [1]
    at.button(key="accept").click().run()
    assert versions(studio, teacher, draft_id) == [1, 2]
    assert "家园任务更具体" in fake_backend.calls[-1][-1]["content"]


def test_manual_edit_autosaves_then_saves_a_version(workspace):
    at, studio, teacher, draft_id = workspace
    head = studio.store.list_drafts(teacher)[0].head_version_id
    key_input = next(w for w in at.text_input if w.key.endswith("key_point"))
    key_input.input("幼儿做出能戴稳的帽子").run()
    tab = at.session_state["tab_id"]
    assert studio.store.get_working_copy(teacher, draft_id, tab_id=tab)[1].key_point == "幼儿做出能戴稳的帽子"
    assert studio.load_plan(teacher, head).key_point != "幼儿做出能戴稳的帽子"
    at.button(key="save_edit").click().run()
    assert versions(studio, teacher, draft_id) == [1, 2]
    assert studio.store.get_working_copy(teacher, draft_id, tab_id=tab) is None


def second_tab(studio, teacher):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    sign_in_session(at, teacher)
    at.run()
    at.switch_page("pages/plan.py").run()
    return at


def edit(at, field: str, value: str) -> None:
    next(w for w in at.text_input if w.key.endswith(field)).input(value).run()
    assert not at.exception, at.exception


def test_two_tabs_saving_one_plan_merge_instead_of_losing_an_edit(workspace):
    first_tab, studio, teacher, draft_id = workspace
    other_tab = second_tab(studio, teacher)
    edit(first_tab, "key_point", "第一个标签页的重点")
    edit(other_tab, "difficult_point", "第二个标签页的难点")
    first_tab.button(key="save_edit").click().run()
    # The first tab's save removed only its own working copy.
    assert studio.store.get_working_copy(teacher, draft_id, tab_id=other_tab.session_state["tab_id"]) is not None
    other_tab.button(key="save_edit").click().run()
    assert not other_tab.exception, other_tab.exception
    assert any("已被更新" in w.value for w in other_tab.warning)
    assert versions(studio, teacher, draft_id) == [1, 2]  # nothing saved over the first tab's version
    other_tab.button(key="edit_conflict_merge").click().run()
    assert not other_tab.exception, other_tab.exception
    assert versions(studio, teacher, draft_id) == [1, 2, 3]
    merged = studio.load_plan(teacher, studio.store.list_drafts(teacher)[0].head_version_id)
    assert (merged.key_point, merged.difficult_point) == ("第一个标签页的重点", "第二个标签页的难点")


def test_a_conflicting_edit_can_be_saved_as_a_new_version_anyway(workspace):
    first_tab, studio, teacher, draft_id = workspace
    other_tab = second_tab(studio, teacher)
    edit(first_tab, "key_point", "第一个标签页的重点")
    edit(other_tab, "key_point", "第二个标签页的重点")
    first_tab.button(key="save_edit").click().run()
    other_tab.button(key="save_edit").click().run()
    assert any("活动重点" in i.value for i in other_tab.info)  # the field both changed is named
    other_tab.button(key="edit_conflict_mine").click().run()
    history = studio.store.list_versions(teacher, draft_id)
    assert [studio.load_plan(teacher, v.id).key_point for v in history[1:]] == ["第一个标签页的重点", "第二个标签页的重点"]


def test_an_edit_left_in_a_closed_tab_is_offered_again(workspace):
    first_tab, studio, teacher, draft_id = workspace
    edit(first_tab, "key_point", "关掉标签页前的修改")
    reopened = second_tab(studio, teacher)  # a new session: a new tab id
    assert any("未保存的修改" in i.value for i in reopened.info)
    reopened.button(key="adopt_unsaved").click().run()
    assert next(w for w in reopened.text_input if w.key.endswith("key_point")).value == "关掉标签页前的修改"


def test_a_lead_reads_a_teachers_plan_without_edit_controls(workspace):
    _, studio, teacher, draft_id = workspace
    lead = studio.store.ensure_user("zhao", role="lead", display_name="赵组长")
    at = second_tab(studio, lead)
    assert not at.exception, at.exception
    assert any("wang" in i.value and "阅读" in i.value for i in at.info)
    assert not [w for w in at.text_input if w.key and w.key.startswith("edit_")]
    assert [tab.label for tab in at.tabs] == ["教案", "版本"]


def test_versions_diff_and_restore(workspace):
    at, studio, teacher, draft_id = workspace
    first = studio.store.list_drafts(teacher)[0].head_version_id
    plan = studio.load_plan(teacher, first)
    studio.save_edit(teacher, draft_id, plan.model_copy(update={"key_point": "第二版的重点"}))
    at.run()
    assert not at.exception
    assert any(":green-background[**第二版的重点**]" in m.value for m in at.markdown)  # the changed words, highlighted
    at.button(key=f"restore_{first}").click().run()
    assert versions(studio, teacher, draft_id) == [1, 2, 3]
    head = studio.store.list_drafts(teacher)[0].head_version_id
    assert studio.load_plan(teacher, head) == plan


def test_the_workspace_offers_word_and_markdown_of_the_current_version(workspace):
    at, _, _, _ = workspace
    at.button(key="plan_export_make_docx").click().run()
    labels = [button.label for button in at.get("download_button")]
    assert "下载 Word 教案" in labels and "下载 Markdown" in labels
    assert at.selectbox(key="plan_export_template").value is None  # the built-in layout by default


def test_every_field_of_the_plan_can_be_edited_by_hand(workspace):
    at, studio, teacher, draft_id = workspace
    before = studio.load_plan(teacher, studio.store.list_drafts(teacher)[0].head_version_id)
    fixed_notes = [note for note in before.safety_notes]

    def field(suffix: str, kind: str = "text_input"):  # type: ignore[no-untyped-def]
        return next(w for w in getattr(at, kind) if w.key and w.key.endswith(suffix))

    field("objective0_text").input("能说出帽子戴不稳的原因")
    field("objective1_dimension", "selectbox").select("情感")
    field("experience", "text_area").input("见过小熊玩偶\n用过胶棒")
    field("material0_quantity").input("每组2张").run()
    next(b for b in at.button if b.key and b.key.endswith("add_material")).click().run()
    last = len(before.preparation.materials)  # the row just added
    field(f"material{last}_name").input("夹子")
    field(f"material{last}_quantity").input("每组4个")
    field("step1_questions", "text_area").input("还有别的办法吗？\n怎样让帽子不掉？")
    field("observation", "text_area").input("幼儿是否尝试了两种以上的固定方法")
    field("own_safety", "text_area").input("夹子夹手时要轻").run()
    next(b for b in at.button if b.key and b.key.endswith("objective2_remove")).click().run()
    assert not at.exception, at.exception
    at.button(key="save_edit").click().run()
    assert not at.exception, at.exception
    plan = studio.load_plan(teacher, studio.store.list_drafts(teacher)[0].head_version_id)
    assert plan.objectives[0].text == "能说出帽子戴不稳的原因" and plan.objectives[1].dimension == "情感"
    assert len(plan.objectives) == len(before.objectives) - 1
    assert plan.preparation.experience == ["见过小熊玩偶", "用过胶棒"]
    assert plan.preparation.materials[0].quantity == "每组2张"
    assert (plan.preparation.materials[-1].name, plan.preparation.materials[-1].quantity) == ("夹子", "每组4个")
    assert plan.steps[1].key_questions == ["还有别的办法吗？", "怎样让帽子不掉？"]
    assert plan.observation_points == ["幼儿是否尝试了两种以上的固定方法"]
    assert plan.safety_notes[: len(fixed_notes)] == fixed_notes  # the table's notes stay
    assert plan.safety_notes[-1].note == "夹子夹手时要轻"


def test_diff_segments_mark_the_changed_words():
    from lesson_studio.authoring.diff import SectionDiff

    change = SectionDiff("导入", "小朋友们看，小熊的帽子掉了。", "小朋友们快看，小熊的新帽子又掉了！")
    assert [text for kind, text in change.segments() if kind == "insert"] == ["快", "新", "又", "！"]
    assert [text for kind, text in change.segments() if kind == "delete"] == ["。"]
