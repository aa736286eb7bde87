"""Saves that never collide or vanish: version numbers under concurrency, stale bases, merges,
per-tab working copies, and who may change a plan."""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sample_plans import sample_plan
from sqlalchemy import text

from lesson_studio.authoring.merge import field_label, merge_edits
from lesson_studio.errors import NotAllowed, StaleVersion
from lesson_studio.studio import Studio


@pytest.fixture
def studio(settings):
    return Studio(settings)


@pytest.fixture
def draft(store, teacher):
    return store.save_version(teacher, sample_plan())


def test_eight_threads_saving_one_plan_get_distinct_version_numbers(store, teacher, draft):
    def save(writer: int) -> int:
        numbers = []
        for edit in range(25):
            plan = sample_plan().model_copy(update={"key_point": f"写入者{writer}的第{edit}次修改"})
            numbers.append(store.save_version(teacher, plan, draft_id=draft.draft_id).number)
        return numbers

    with ThreadPoolExecutor(8) as pool:
        acknowledged = [number for numbers in pool.map(save, range(8)) for number in numbers]
    stored = [v.number for v in store.list_versions(teacher, draft.draft_id)]
    assert sorted(acknowledged) == list(range(2, 202))
    assert stored == list(range(1, 202))


def test_four_tabs_saving_on_one_base_keep_one_and_report_the_others(store, teacher, draft):
    barrier = threading.Barrier(4)

    def save(tab: int):  # type: ignore[no-untyped-def]
        plan = sample_plan().model_copy(update={"key_point": f"第{tab}个标签页的重点"})
        barrier.wait()
        try:
            return store.save_version(teacher, plan, draft_id=draft.draft_id, base_version_id=draft.id, tab_id=str(tab))
        except StaleVersion as stale:
            return stale

    with ThreadPoolExecutor(4) as pool:
        outcomes = list(pool.map(save, range(4)))
    saved = [outcome for outcome in outcomes if not isinstance(outcome, StaleVersion)]
    stale = [outcome for outcome in outcomes if isinstance(outcome, StaleVersion)]
    assert len(saved) == 1 and len(stale) == 3
    assert {conflict.head_version_id for conflict in stale} == {saved[0].id}
    assert [v.number for v in store.list_versions(teacher, draft.draft_id)] == [1, 2]


def test_saving_the_same_edit_twice_makes_one_version(store, teacher, draft):
    plan = sample_plan().model_copy(update={"key_point": "点了两次保存"})
    first = store.save_version(teacher, plan, draft_id=draft.draft_id, base_version_id=draft.id)
    again = store.save_version(teacher, plan, draft_id=draft.draft_id, base_version_id=draft.id)
    assert again.id == first.id
    assert len(store.list_versions(teacher, draft.draft_id)) == 2


def test_a_save_waits_for_a_long_write_instead_of_failing(store, teacher, draft):
    """A lead's import holds the write lock for a while; a teacher's save queues behind it."""
    holding, release = threading.Event(), threading.Event()

    def long_write() -> None:
        with store._write() as conn:
            conn.execute(text("UPDATE drafts SET title = title"))
            holding.set()
            release.wait(10)

    writer = threading.Thread(target=long_write)
    writer.start()
    holding.wait(10)
    timer = threading.Timer(1.5, release.set)  # longer than the old 5 s would matter? no: any wait must succeed
    timer.start()
    saved = store.save_version(teacher, sample_plan(), draft_id=draft.draft_id)
    writer.join()
    assert saved.number == 2


def test_one_tabs_save_keeps_the_other_tabs_working_copy(store, teacher, draft):
    store.put_working_copy(teacher, draft.draft_id, draft.id, sample_plan().model_copy(update={"title": "标签页一"}), tab_id="one")
    store.put_working_copy(teacher, draft.draft_id, draft.id, sample_plan().model_copy(update={"title": "标签页二"}), tab_id="two")
    store.save_version(teacher, sample_plan().model_copy(update={"title": "标签页一"}), draft_id=draft.draft_id, base_version_id=draft.id, tab_id="one")
    assert store.get_working_copy(teacher, draft.draft_id, tab_id="one") is None
    assert store.get_working_copy(teacher, draft.draft_id, tab_id="two")[1].title == "标签页二"


def test_an_edit_on_a_stale_base_merges_field_by_field(studio, teacher, draft):
    base = sample_plan()
    studio.save_edit(teacher, draft.draft_id, base.model_copy(update={"key_point": "别处改的重点"}), base_version_id=draft.id)
    mine = base.model_copy(update={"difficult_point": "我改的难点"})
    with pytest.raises(StaleVersion) as stale:
        studio.save_edit(teacher, draft.draft_id, mine, base_version_id=draft.id)
    head_id, merge = studio.merge_edit(teacher, draft.draft_id, stale.value.base_version_id, mine)
    assert head_id == stale.value.head_version_id and merge.conflicts == []
    saved = studio.save_edit(teacher, draft.draft_id, merge.merged, base_version_id=head_id)
    plan = studio.load_plan(teacher, saved.id)
    assert (plan.key_point, plan.difficult_point) == ("别处改的重点", "我改的难点")


def test_a_field_both_changed_is_named_and_keeps_the_teachers_edit():
    base = sample_plan()
    theirs = base.model_copy(update={"key_point": "他们的重点"})
    steps = [step.model_copy() for step in base.steps]
    steps[1] = steps[1].model_copy(update={"teacher": "我的提问"})
    mine = base.model_copy(update={"key_point": "我的重点", "steps": steps})
    merge = merge_edits(base, theirs, mine)
    assert merge.merged.key_point == "我的重点" and merge.merged.steps[1].teacher == "我的提问"
    assert [field_label(path) for path in merge.conflicts] == ["活动重点"]
    assert field_label("/steps/1/teacher") == "活动过程2·师"


def test_a_proposal_made_before_another_save_is_not_saved_over_it(studio, teacher, draft, fake_backend):
    studio.grounding.use_library = False
    refinement = studio.submit_refinement(
        teacher, draft_id=draft.draft_id, base_version_id=draft.id, kind="chat", payload={"message": "更有趣"}, idempotency_key="k"
    )
    assert studio.jobs.wait_refinement(teacher, refinement, timeout=120).status == "done"
    studio.save_edit(teacher, draft.draft_id, sample_plan().model_copy(update={"key_point": "这期间保存的"}), base_version_id=draft.id)
    with pytest.raises(StaleVersion):
        studio.accept_refinement(teacher, refinement)
    head = studio.head_version_id(teacher, draft.draft_id)
    saved = studio.accept_refinement(teacher, refinement, on_top_of=head)
    assert saved.number == 3


@pytest.mark.parametrize("action", ["save", "restore", "working_copy", "refine"])
def test_a_lead_reads_a_teachers_plan_but_cannot_change_it(studio, store, teacher, draft, action, fake_backend):
    lead = store.ensure_user("zhao", role="lead")
    assert studio.load_plan(lead, draft.id).title == sample_plan().title  # reading is allowed
    calls = {
        "save": lambda: studio.save_edit(lead, draft.draft_id, sample_plan(), base_version_id=draft.id),
        "restore": lambda: studio.restore(lead, draft.draft_id, draft.id),
        "working_copy": lambda: store.put_working_copy(lead, draft.draft_id, draft.id, sample_plan()),
        "refine": lambda: studio.submit_refinement(
            lead, draft_id=draft.draft_id, base_version_id=draft.id, kind="chat", payload={"message": "x"}, idempotency_key="lead"
        ),
    }
    with pytest.raises(NotAllowed, match="可以阅读、导出，不能修改"):
        calls[action]()


def test_another_teacher_can_neither_read_nor_change_a_plan(studio, other_teacher, draft):
    with pytest.raises(NotAllowed):
        studio.load_plan(other_teacher, draft.id)
    with pytest.raises(NotAllowed):
        studio.save_edit(other_teacher, draft.draft_id, sample_plan())
