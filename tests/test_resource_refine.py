"""改写一部分 (issue 13): one part of any resource type's saved document rewritten by the model on
the teacher's instruction, through the Studio's refinement jobs: only that part changes, code's
rules and the type's checks run on it, the proposal becomes the next version only when the author
saves it, and a rerun with the same key starts one job. With tests/fakes.py's ScriptedBackend."""

from __future__ import annotations

import datetime
import json
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fakes import SECTION_ANSWERS, answer_for

from lesson_studio.errors import InvalidInput, NotAllowed
from lesson_studio.resource_types import resource_type
from lesson_studio.resource_types.area_plan.schema import AreaPlanRequest
from lesson_studio.resource_types.creativity_checklist.schema import ChecklistRequest
from lesson_studio.resource_types.observation_record.schema import ObservationRequest
from lesson_studio.resource_types.parent_letter.schema import ParentLetterRequest
from lesson_studio.resource_types.parts import Part, diff_documents, find_part
from lesson_studio.resource_types.reflection.schema import ReflectionRequest
from lesson_studio.resource_types.theme_unit.schema import ThemeUnitRequest

ROOT = Path(__file__).resolve().parents[1]
REWRITTEN = "改写后：在家里和孩子一起找一找、说一说、试一试"


def rewritten_answer(schema: dict[str, Any]) -> dict[str, Any]:
    """A part's answer: every text REWRITTEN (numbered, so no two are the same), every list as
    long as the schema allows, within every limit."""
    counter = iter(range(1, 100))

    def text(spec: dict[str, Any]) -> str:
        return f"{REWRITTEN}{next(counter)}"[: spec.get("maxLength", 200)]

    def value(spec: dict[str, Any]) -> Any:
        if spec.get("type") == "array":
            item = spec["items"]
            return [value(item) for _ in range(spec.get("maxItems", 2))]
        if spec.get("type") == "object":
            return {name: value(sub) for name, sub in spec["properties"].items()}
        return text(spec)

    return {name: value(spec) for name, spec in schema["properties"].items()}


def is_part(schema: dict[str, Any] | None) -> bool:
    """A part's schema: none of the fake's usual sections (a generation's or a lesson plan's)."""
    properties = frozenset((schema or {}).get("properties", {}))
    return bool(properties) and properties not in SECTION_ANSWERS and properties not in ({"value"}, {"sections"})


def rewrite_parts(messages, schema) -> str:  # type: ignore[no-untyped-def]
    """The fake model: a part's schema gets rewritten_answer, anything else the usual section."""
    if is_part(schema):
        return json.dumps(rewritten_answer(schema), ensure_ascii=False)
    return answer_for(schema or {})


@pytest.fixture
def studio(settings, fake_backend):
    from lesson_studio.studio import Studio

    return Studio(settings)


def saved_lesson_plan(studio, teacher, hat_request):  # type: ignore[no-untyped-def]
    view = studio.jobs.wait(teacher, studio.submit_generation(teacher, hat_request, idempotency_key="plan"), timeout=10)
    assert view.status == "done", view.error
    return studio.plan_to_revise(teacher, view.version_id)


def reflection_request(studio, teacher, hat_request) -> ReflectionRequest:  # type: ignore[no-untyped-def]
    version, plan = saved_lesson_plan(studio, teacher, hat_request)
    return ReflectionRequest(
        plan_version_id=version.id,
        plan=plan,
        actual_minutes=[0, 0, 0, 0, 1],
        children="豆豆把报纸卷成筒当帽檐。乐乐说：“帽子太大了，掉下来了。”三个孩子用毛线把帽子系在小熊下巴上。",
        timing="想办法超时了，用了9分钟。分享环节提前结束。",
        surprises="乐乐想到用夹子夹住帽子。",
        changes="选办法投票太慢，下次改成举手。",
    )


REQUESTS: dict[str, Callable[..., Any]] = {
    "parent_letter": lambda *_: ParentLetterRequest(
        class_name="中二班",
        teacher="王老师",
        date="2026年12月7日",
        topic="给小熊做一顶戴得住的帽子",
        collect=["旧报纸", "纸盒", "纽扣电池", "毛线"],
    ),
    "theme_unit": lambda *_: ThemeUnitRequest(
        class_name="中二班",
        theme="小熊的帽子",
        problem="班上的小熊玩偶总是掉帽子，孩子们想帮它",
        weeks=2,
        teacher="王老师",
        start_date="2026-12-07",
        materials=["旧报纸", "纸盒"],
    ),
    "area_plan": lambda *_: AreaPlanRequest(
        class_name="中二班",
        teacher="王老师",
        theme="给小熊做一顶戴得住的帽子",
        areas=["科学区", "美工区"],
        start_date=datetime.date(2026, 12, 7),
        weeks=2,
        materials_on_hand=["旧报纸", "磁铁", "剪刀"],
    ),
    "observation_record": lambda *_: ObservationRequest(
        class_name="中二班",
        date="2026年12月7日",
        place="建构区",
        child="乐乐",
        observer="王老师",
        notes="区域活动时乐乐在建构区用积木搭小桥，桥面放上小汽车后塌了两次。他先把两块长积木换成一块长木板，"
        "又在下面加了两根圆柱。最后小汽车开过去了，他拍手说：“我的桥不倒了！”",
        activity="小桥搭搭乐",
    ),
    "creativity_checklist": lambda *_: ChecklistRequest(
        class_name="中二班", activity="给小熊做一顶戴得住的帽子", teacher="王老师", children=["小明", "小红"]
    ),
    "reflection": reflection_request,
}
# The part each type's test rewrites, and the instruction the teacher wrote.
PART = {
    "parent_letter": ("family_task", "家庭任务换一个不用出门的"),
    "theme_unit": ("week:2", "第二周的户外活动更有挑战"),
    "area_plan": ("area:科学区", "层次再拉开一些"),
    "observation_record": ("follow_up", "跟进写得更具体"),
    "creativity_checklist": ("fluency", "看的点更好观察"),
    "reflection": ("next_time", "下次再做写得更具体"),
}


def saved(studio, teacher, hat_request, kind: str):  # type: ignore[no-untyped-def]
    """A document of the kind generated through the pipeline and saved as version 1."""
    request = REQUESTS[kind](studio, teacher, hat_request)
    view = studio.jobs.wait(teacher, studio.submit_resource(teacher, kind, request, idempotency_key=kind), timeout=10)
    assert view.status == "done", view.error
    return studio.open_document(teacher, view.version_id)


def refine(studio, user, version, part: str, instruction: str, key: str = "k"):  # type: ignore[no-untyped-def]
    return studio.submit_refinement(
        user,
        draft_id=version.draft_id,
        base_version_id=version.id,
        kind="part",
        payload={"part": part, "instruction": instruction},
        idempotency_key=key,
    )


def without(document, part: Part) -> dict:  # type: ignore[no-untyped-def]
    """The document as data with the part's fields (and the warnings code may add) taken out."""
    data = document.model_dump()
    data.pop("warnings", None)
    holder = data
    for step in part.at:
        holder = holder[step]
    for name in part.fields:
        holder.pop(name)
    for item in holder.get(part.items, []) if part.items else []:
        for name in part.item_fields:
            item.pop(name)
    return data


KINDS = list(PART)


@pytest.mark.parametrize("kind", KINDS)
def test_only_the_chosen_part_is_rewritten_and_saved_as_the_next_version_on_accept(
    studio, fake_backend, teacher, hat_request, kind
):
    version, _, document = saved(studio, teacher, hat_request, kind)
    part_key, instruction = PART[kind]
    fake_backend.respond = rewrite_parts
    refinement_id = refine(studio, teacher, version, part_key, instruction)
    view = studio.jobs.wait_refinement(teacher, refinement_id, timeout=10)
    assert view.status == "done", view.error

    base, proposal, diffs = studio.part_proposal(teacher, refinement_id)
    resource = resource_type(kind)
    part = find_part(resource.parts(base), part_key)
    assert base == document and isinstance(proposal, resource.document_model)
    assert without(proposal, part) == without(document, part)  # nothing outside the part changed
    assert REWRITTEN in proposal.model_dump_json()
    assert [diff.label for diff in diffs if diff.changed and diff.label != "提醒 / notes for the teacher"] == [
        part.label
    ]
    # The model was given the instruction and the part's current text.
    prompt = fake_backend.calls[-1][-1]["content"]
    assert instruction in prompt and part.label in prompt

    # A proposal, not a version, until the teacher saves it.
    assert [v.number for v in studio.versions(teacher, version.draft_id)] == [1]
    saved_version = studio.accept_refinement(teacher, refinement_id)
    assert saved_version.number == 2 and saved_version.note == f"修改：{part.label} — {instruction}"
    assert studio.open_document(teacher, saved_version.id)[2] == proposal
    assert studio.accept_refinement(teacher, refinement_id).id == saved_version.id  # twice: one version


def test_the_letters_collection_list_exclusions_and_signature_stay_codes(studio, fake_backend, teacher, hat_request):
    version, _, letter = saved(studio, teacher, hat_request, "parent_letter")
    fake_backend.respond = rewrite_parts
    refinement_id = refine(studio, teacher, version, "family_task", "家庭任务换一个不用出门的")
    assert studio.jobs.wait_refinement(teacher, refinement_id, timeout=10).status == "done"
    proposal = studio.part_proposal(teacher, refinement_id)[1]
    assert proposal.family_task.startswith(REWRITTEN)
    assert [item.name for item in proposal.collection] == ["旧报纸", "纸盒", "毛线"]  # 纽扣电池 stays off
    assert proposal.exclusions == letter.exclusions and any("纽扣电池" in word for word in proposal.exclusions)
    assert (proposal.class_name, proposal.teacher, proposal.date) == ("中二班", "王老师", "2026年12月7日")


def test_a_rewritten_part_the_checks_fault_is_written_again_once_then_named(studio, fake_backend, teacher, hat_request):
    version, _, _ = saved(studio, teacher, hat_request, "parent_letter")
    buying = "请带孩子去超市购买一顶新帽子，回家一起装饰。"

    def respond(messages, schema):  # type: ignore[no-untyped-def]
        return json.dumps({"family_task": buying}, ensure_ascii=False) if is_part(schema) else answer_for(schema)

    fake_backend.respond = respond
    before = len(fake_backend.calls)
    refinement_id = refine(studio, teacher, version, "family_task", "加一个买东西的任务")
    assert studio.jobs.wait_refinement(teacher, refinement_id, timeout=10).status == "done"
    calls = fake_backend.calls[before:]
    assert len(calls) == 2 and "上一次改写有这些问题" in calls[1][-1]["content"]
    proposal = studio.part_proposal(teacher, refinement_id)[1]
    assert proposal.family_task == buying and any(w.startswith("改写后的检查") for w in proposal.warnings)


def test_the_checklist_keeps_no_score_whatever_the_model_rewrites(studio, fake_backend, teacher, hat_request):
    version, _, checklist = saved(studio, teacher, hat_request, "creativity_checklist")
    scoring = ["能说出3种以上用法的孩子得满分", "幼儿提出一个新问题"]

    def respond(messages, schema):  # type: ignore[no-untyped-def]
        if is_part(schema):  # the model scores twice: code has to take it out
            return json.dumps(
                {"look_fors": scoring, "how_to_observe": "按得分给孩子排名。看孩子怎么说"}, ensure_ascii=False
            )
        return answer_for(schema)

    fake_backend.respond = respond
    before = len(fake_backend.calls)
    refinement_id = refine(studio, teacher, version, "fluency", "看的点更好观察")
    assert studio.jobs.wait_refinement(teacher, refinement_id, timeout=10).status == "done"
    assert len(fake_backend.calls) - before == 2  # the checks' finding named to the model once
    proposal = studio.part_proposal(teacher, refinement_id)[1]
    fluency = next(item for item in proposal.items if item.id == "fluency")
    written = " ".join([*fluency.look_fors, fluency.how_to_observe])
    assert "满分" not in written and "排名" not in written and "幼儿提出一个新问题" in fluency.look_fors
    assert all(record.mark == "" and record.evidence == "" for sheet in proposal.sheets for record in sheet.records)
    assert proposal.principle == checklist.principle and [s.child for s in proposal.sheets] == ["小明", "小红"]
    others = [item for item in proposal.items if item.id != "fluency"]
    assert others == [item for item in checklist.items if item.id != "fluency"]


def test_the_area_plans_dates_and_the_units_weeks_stay_codes(studio, fake_backend, teacher, hat_request):
    fake_backend.respond = None
    area_version, _, area = saved(studio, teacher, hat_request, "area_plan")
    unit_version, _, unit = saved(studio, teacher, hat_request, "theme_unit")
    fake_backend.respond = rewrite_parts
    area_id = refine(studio, teacher, area_version, "area:科学区", "层次再拉开一些", key="a")
    unit_id = refine(studio, teacher, unit_version, "week:2", "第二周的户外活动更有挑战", key="u")
    assert studio.jobs.wait_refinement(teacher, area_id, timeout=10).status == "done"
    assert studio.jobs.wait_refinement(teacher, unit_id, timeout=10).status == "done"
    area_after = studio.part_proposal(teacher, area_id)[1]
    science = next(section for section in area_after.areas if section.area == "科学区")
    before = next(section for section in area.areas if section.area == "科学区")
    assert [s for s in area_after.areas if s.area != "科学区"] == [s for s in area.areas if s.area != "科学区"]
    assert science.goal.startswith(REWRITTEN) and science.schedule == before.schedule
    assert [level.name for level in science.levels] == [level.name for level in before.levels]
    assert (science.record_how, science.safety_notes) == (before.record_how, before.safety_notes)
    assert area_after.start_date == area.start_date == datetime.date(2026, 12, 7)
    unit_after = studio.part_proposal(teacher, unit_id)[1]
    week = unit_after.weeks[1]
    assert week.focus.startswith(REWRITTEN) and week.dates == unit.weeks[1].dates
    assert [(a.key, a.kind, a.stage, a.domain, a.minutes) for a in week.activities] == [
        (a.key, a.kind, a.stage, a.domain, a.minutes) for a in unit.weeks[1].activities
    ]
    assert unit_after.weeks[0] == unit.weeks[0]


def test_another_teacher_can_neither_ask_for_nor_save_a_rewrite(
    studio, fake_backend, teacher, other_teacher, hat_request
):
    version, _, _ = saved(studio, teacher, hat_request, "parent_letter")
    fake_backend.respond = rewrite_parts
    with pytest.raises(NotAllowed):
        refine(studio, other_teacher, version, "family_task", "换一个任务", key="theirs")
    refinement_id = refine(studio, teacher, version, "family_task", "换一个任务")
    assert studio.jobs.wait_refinement(teacher, refinement_id, timeout=10).status == "done"
    with pytest.raises(NotAllowed):
        studio.accept_refinement(other_teacher, refinement_id)
    lead = studio.store.ensure_user("lead", role="lead")  # a lead reads the letter, but it is not hers
    with pytest.raises(NotAllowed):
        refine(studio, lead, version, "family_task", "换一个任务", key="lead")
    assert [v.number for v in studio.versions(teacher, version.draft_id)] == [1]


def test_the_same_key_again_starts_one_job(studio, fake_backend, teacher, hat_request):
    version, _, _ = saved(studio, teacher, hat_request, "observation_record")
    fake_backend.respond = rewrite_parts
    hold = fake_backend.hold = threading.Event()  # the first call waits: a rerun comes meanwhile
    before = len(fake_backend.calls)
    first = refine(studio, teacher, version, "follow_up", "跟进写得更具体")
    second = refine(studio, teacher, version, "follow_up", "跟进写得更具体")
    hold.set()
    assert first == second
    assert studio.jobs.wait_refinement(teacher, first, timeout=10).status == "done"
    assert len(fake_backend.calls) - before == 1
    fake_backend.hold = None


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"part": "no_such_part", "instruction": "改一改"}, "要改写的部分"),
        ({"part": "family_task", "instruction": "  "}, "修改要求"),
        ({"part": "family_task", "instruction": "改" * 301}, "修改要求"),
    ],
)
def test_a_bad_request_is_refused_naming_the_field_and_nothing_is_saved(
    studio, fake_backend, teacher, hat_request, payload, field
):
    version, _, _ = saved(studio, teacher, hat_request, "parent_letter")
    calls = len(fake_backend.calls)
    with pytest.raises(InvalidInput, match=field) as refused:
        studio.submit_refinement(
            teacher,
            draft_id=version.draft_id,
            base_version_id=version.id,
            kind="part",
            payload=payload,
            idempotency_key="x",
        )
    assert " / " in str(refused.value)  # Chinese and English
    assert len(fake_backend.calls) == calls
    with pytest.raises(Exception):  # noqa: B017  # no refinement was saved under the key
        studio.store.get_refinement(teacher, 1)


def test_a_type_without_parts_is_refused_clearly_and_lesson_plans_keep_their_own_refinements(
    studio, fake_backend, teacher, hat_request
):
    version, plan = saved_lesson_plan(studio, teacher, hat_request)
    assert studio.refinement_parts(teacher, version.id) == []
    with pytest.raises(InvalidInput, match="不能让模型改写一部分"):
        refine(studio, teacher, version, "title", "换个名字")
    section = studio.submit_refinement(
        teacher,
        draft_id=version.draft_id,
        base_version_id=version.id,
        kind="section",
        payload={"section": "step:1", "instruction": "提问短一点", "label": "步骤"},
        idempotency_key="section",
    )
    view = studio.jobs.wait_refinement(teacher, section, timeout=10)
    assert view.status == "done" and view.proposal is not None  # a lesson plan's proposal, as before
    assert studio.accept_refinement(teacher, section).number == 2


def test_the_generic_diff_names_each_field_and_highlights_words():
    from lesson_studio.resource_types.parent_letter.schema import ParentLetter

    letter = ParentLetter(
        title="小熊的帽子",
        age_band="中班",
        what_and_why="我们在给小熊做帽子。",
        child_part="孩子们动手做。",
        family_task="请和孩子找一找帽子。",
        safety_and_time="注意安全。",
        thanks="谢谢！",
        class_name="中二班",
        teacher="王老师",
        date="12月7日",
    )
    after = letter.model_copy(update={"family_task": "请和孩子在家里试一试帽子。"})
    changed = [diff for diff in diff_documents(letter, after, {"family_task": "家庭小任务"}) if diff.changed]
    assert [diff.label for diff in changed] == ["家庭小任务"]
    assert ("insert", "在家里试一试") in changed[0].segments()


def test_a_page_rewrites_a_part_end_to_end(tmp_path, monkeypatch, fake_backend, hat_request):
    """The 家长信 page: the expander under the letter, the part, the instruction, the job polled, the
    diff, and 保存为新版本 making the next version."""
    from page_session import sign_in_session
    from streamlit.testing.v1 import AppTest

    import studio_ui

    monkeypatch.setenv("LESSON_STUDIO_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("LESSON_STUDIO_BACKEND", "fake")
    monkeypatch.setenv("LESSON_STUDIO_STARTER_LIBRARY", "0")
    studio_ui.get_studio.clear()
    studio_ui._starter_library_ready.clear()
    studio = studio_ui.get_studio()
    teacher = studio.store.ensure_user("wang", display_name="王老师")
    version, _, _ = saved(studio, teacher, hat_request, "parent_letter")
    fake_backend.respond = rewrite_parts
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    sign_in_session(at, teacher)
    at.run()
    at.switch_page("pages/parent_letter.py").run()
    assert not at.exception, at.exception
    next(toggle for toggle in at.toggle if toggle.label == "让模型改写一部分").set_value(True).run()
    state = f"letter_part_refinement_{version.id}"
    at.selectbox(key=f"{state}_part").set_value("family_task")
    at.text_input(key=f"{state}_instruction").input("家庭任务换一个不用出门的")
    at.button(key=f"{state}_submit").click().run()
    at.run()  # a rerun while the job runs starts nothing new
    assert _refinement_exists(studio, teacher, 1) and not _refinement_exists(studio, teacher, 2)
    run_until(at, lambda at: any(button.label == "保存为新版本" for button in at.button))
    shown = "\n".join(block.value for block in at.markdown)
    assert "修改建议" in shown and "改写后" in shown
    next(button for button in at.button if button.label == "保存为新版本").click().run()
    assert not at.exception, at.exception
    history = studio.versions(teacher, version.draft_id)
    assert [v.number for v in history] == [1, 2]
    assert history[-1].note == "修改：家庭小任务 / family task — 家庭任务换一个不用出门的"
    assert any("已保存为第2版" in message.value for message in at.success)


def _refinement_exists(studio, user, refinement_id: int) -> bool:  # type: ignore[no-untyped-def]
    try:
        studio.store.get_refinement(user, refinement_id)
    except Exception:  # noqa: BLE001  # NotFound
        return False
    return True


def run_until(at, predicate, seconds=20):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        at.run()
        assert not at.exception, at.exception
        if predicate(at):
            return
        time.sleep(0.2)
    raise AssertionError("page never reached the expected state")


def test_every_type_but_the_lesson_plan_offers_parts():
    offering = {kind for kind in PART if resource_type(kind).parts and resource_type(kind).rewrite_part}
    assert offering == set(PART) and resource_type("lesson_plan").parts is None


def test_an_english_letters_part_is_asked_for_in_english():
    from fakes import ScriptedBackend

    from lesson_studio.prompts import render
    from lesson_studio.resource_types.parent_letter.checks import apply_letter_rules
    from lesson_studio.resource_types.parent_letter.refine import rewrite_letter_part
    from lesson_studio.resource_types.parent_letter.scaffold import build_letter_scaffold
    from lesson_studio.resource_types.parent_letter.schema import ParentLetter

    request = ParentLetterRequest(
        class_name="Middle Class 2",
        teacher="Ms Wang",
        date="7 December 2026",
        topic="make a hat that stays on Teddy's head",
        collect=["old newspapers"],
        language="en",
    )
    scaffold = build_letter_scaffold(request)
    letter = apply_letter_rules(
        ParentLetter(
            title="Teddy's hat",
            age_band="中班",
            what_and_why="We are making a hat that stays on Teddy's head, so the children try their own ideas.",
            child_part="The children try paper and yarn.",
            family_task="Look at the hats at home together and talk about why they stay on.",
            safety_and_time="Please send items by Friday.",
            thanks="Thank you!",
            class_name="x",
            teacher="x",
            date="x",
        ),
        scaffold,
    )
    task = "Play a hat game at home with what you have: who can keep a hat on while walking?"
    backend = ScriptedBackend(respond=lambda messages, schema: json.dumps({"family_task": task}))
    proposal = rewrite_letter_part(letter, scaffold, "family_task", "a task with no outing", backend=backend)
    system, user = backend.calls[0]
    assert system["content"] == render("parent_letter_system", language="en")
    assert "[This part]" in user["content"] and "[class] Middle Class 2" in user["content"]
    assert proposal.family_task == task and proposal.thanks == letter.thanks


def test_a_version_saved_meanwhile_keeps_its_edits_and_takes_the_rewritten_part(
    studio, fake_backend, teacher, hat_request
):
    from lesson_studio.errors import StaleVersion

    version, _, letter = saved(studio, teacher, hat_request, "parent_letter")
    fake_backend.respond = rewrite_parts
    refinement_id = refine(studio, teacher, version, "family_task", "家庭任务换一个不用出门的")
    assert studio.jobs.wait_refinement(teacher, refinement_id, timeout=10).status == "done"
    edited = studio.save_document(
        teacher, version.draft_id, letter.model_copy(update={"thanks": "谢谢您的支持！"}), base_version_id=version.id
    )
    with pytest.raises(StaleVersion) as stale:
        studio.accept_refinement(teacher, refinement_id)
    assert stale.value.head_version_id == edited.id
    on_top = studio.accept_refinement(teacher, refinement_id, on_top_of=edited.id)
    newest = studio.open_document(teacher, on_top.id)[2]
    assert on_top.number == 3 and newest.thanks == "谢谢您的支持！" and newest.family_task.startswith(REWRITTEN)
