"""活动反思 through the one pipeline: schema, scaffold (notes numbered, timings, revised minutes),
code's rules, each check with a passing and a failing example and its repair, the revised plan
saved as the plan's next version with the lesson plan's rules applied, who may reflect on a plan,
Word, and the proof that adding the type touched only its own files and one registration line."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from fakes import SECTION_ANSWERS, ScriptedBackend, answer_for

from lesson_studio.errors import InvalidInput, NotAllowed
from lesson_studio.models import LessonPlan
from lesson_studio.pipeline import write
from lesson_studio.resource_types import REGISTERED, resource_type
from lesson_studio.resource_types.reflection.checks import (
    apply_reflection_rules,
    check_reflection,
    labels_in,
    repair_by_code,
    unlabelled,
    validate_reflection,
)
from lesson_studio.resource_types.reflection.export import HEADINGS, reflection_docx
from lesson_studio.resource_types.reflection.scaffold import build_reflection_scaffold, fit_total, steps_named
from lesson_studio.resource_types.reflection.schema import Reflection, ReflectionRequest, Suggestion

ROOT = Path(__file__).resolve().parents[1]
PROSE_KEYS = frozenset({"goal_reviews", "child_facts", "timing_review", "suggestions", "next_time"})
STEP_KEYS = frozenset({"title", "teacher", "key_questions", "children", "intent", "change"})
# Notes 1-3 about the children, 4-5 timing, 6 a surprise, 7 a change (tests/fakes.py answers from them).
NOTES = {
    "children": "豆豆把报纸卷成筒当帽檐。乐乐说：“帽子太大了，掉下来了。”三个孩子用毛线把帽子系在小熊下巴上。",
    "timing": "想办法超时了，用了9分钟。分享环节提前结束。",
    "surprises": "乐乐想到用夹子夹住帽子。",
    "changes": "选办法投票太慢，下次改成举手。",
}
THINK, CHOOSE, TRY, SHARE = 1, 2, 3, 4  # 0-based steps of the 中班 plan: 发现问题 想办法 选办法 试一试改一改 分享


@pytest.fixture
def plan(hat_request) -> LessonPlan:
    """A 20-minute 中班 plan as the pipeline writes it: 3 / 5 / 2 / 7 / 3 minutes."""
    return write(resource_type("lesson_plan"), hat_request, backend=ScriptedBackend()).plan


@pytest.fixture
def request_(plan) -> ReflectionRequest:
    return ReflectionRequest(plan_version_id=1, plan=plan, actual_minutes=[0, 0, 0, 0, 1], **NOTES)


@pytest.fixture
def written(request_) -> Reflection:
    """The reflection the pipeline writes from the fake's answers (checked and repaired)."""
    return write(resource_type("reflection"), request_, backend=ScriptedBackend()).plan


def kinds(defects) -> set[str]:
    return {defect.kind for defect in defects}


# --- schema and scaffold -------------------------------------------------------------------------


def test_a_reflection_and_its_request_round_trip_through_json(written, request_):
    assert Reflection.model_validate_json(written.model_dump_json()) == written
    assert ReflectionRequest.model_validate_json(request_.model_dump_json()) == request_


def test_the_notes_are_numbered_sentence_by_sentence_with_their_quotes(request_):
    notes = build_reflection_scaffold(request_).notes
    assert [note.number for note in notes] == [1, 2, 3, 4, 5, 6, 7]
    assert notes[1].text == "乐乐说：“帽子太大了，掉下来了。”" and notes[1].source == "children"
    assert [note.source for note in notes[3:]] == ["timing", "timing", "surprises", "changes"]


@pytest.mark.parametrize(
    "sentence, steps",
    [
        ("第二环节来不及", {THINK}),
        ("环节3太短", {CHOOSE}),
        ("想办法超时了", {THINK}),
        ("试一试的时间太长", {TRY}),
        ("导入拖了两分钟", {0}),
        ("孩子们很开心", set()),
    ],
)
def test_a_sentence_names_the_steps_it_is_about(plan, sentence, steps):
    assert steps_named(sentence, plan) == steps


def test_timings_come_from_the_entered_minutes_first_then_the_timing_notes(request_):
    timings = build_reflection_scaffold(request_).timings
    assert (timings[THINK].actual, timings[THINK].status) == (9, "超时")  # "用了9分钟"
    assert (timings[SHARE].actual, timings[SHARE].status) == (1, "提前")  # the entered 1 wins over the sentence
    assert timings[0].status == "未记录"
    worded = request_.model_copy(update={"timing": "第四环节来不及。", "actual_minutes": []})
    assert build_reflection_scaffold(worded).timings[TRY].status == "超时"


def test_the_steps_to_change_are_those_over_time_and_those_a_change_note_names(request_):
    scaffold = build_reflection_scaffold(request_)
    assert scaffold.overran == [THINK] and scaffold.to_revise == [THINK, CHOOSE]
    assert "实际9分钟" in scaffold.reasons[THINK][0] and "记录7" in scaffold.reasons[CHOOSE][0]


def test_minutes_an_early_step_did_not_use_go_to_the_step_that_ran_over_and_the_total_stays(request_):
    scaffold = build_reflection_scaffold(request_)
    assert scaffold.revised_minutes == [3, 7, 2, 7, 1] and sum(scaffold.revised_minutes) == scaffold.total == 20
    assert [slot.minutes for slot in scaffold.lesson_scaffold.steps] == scaffold.revised_minutes


def test_a_plan_over_the_bands_cap_is_revised_to_the_cap_with_a_warning(request_, plan):
    long_plan = plan.model_copy(
        update={"minutes": 35, "steps": [s.model_copy(update={"minutes": 7}) for s in plan.steps]}
    )
    scaffold = build_reflection_scaffold(request_.model_copy(update={"plan": long_plan, "actual_minutes": []}))
    assert scaffold.total == 25 and sum(scaffold.revised_minutes) == 25  # 中班: 25 minutes at most
    assert "25分钟" in scaffold.warnings[0]


@pytest.mark.parametrize("minutes, total", [([3, 5, 2, 7, 3], 20), ([9, 9, 9], 20), ([1, 1], 10), ([5, 5], 1)])
def test_fitted_minutes_sum_to_the_total_and_are_never_below_one(minutes, total):
    fitted = fit_total(minutes, total, protect={0})
    assert sum(fitted) == max(total, len(minutes)) and min(fitted) >= 1


# --- code's rules ----------------------------------------------------------------------------------


def test_the_rules_put_back_the_plans_objectives_the_notes_and_the_changes(written, request_):
    scaffold = build_reflection_scaffold(request_)
    edited = written.model_copy(
        update={"goal_reviews": written.goal_reviews[:1], "notes": [], "changes": [], "title": "x"}
    )
    ruled = apply_reflection_rules(edited, scaffold)
    assert [review.objective for review in ruled.goal_reviews] == [o.text for o in request_.plan.objectives]
    assert ruled.goal_reviews[2].achieved == "未观察到"
    assert ruled.notes == scaffold.notes and ruled.title.startswith("活动反思：")
    assert [change.step for change in ruled.changes] == [2, 3, 5]
    assert apply_reflection_rules(ruled, scaffold) == ruled


def test_an_objective_without_evidence_is_not_observed_whatever_was_ticked(written, request_):
    ticked = written.goal_reviews[2].model_copy(update={"achieved": "达成", "evidence": "记录中没有提到"})
    spoiled = written.model_copy(update={"goal_reviews": [*written.goal_reviews[:2], ticked]})
    ruled = apply_reflection_rules(spoiled, build_reflection_scaffold(request_))
    assert [review.achieved for review in ruled.goal_reviews] == ["达成", "部分达成", "未观察到"]


# --- each check: a passing and a failing example ------------------------------------------------------


def _with_step(reflection: Reflection, index: int, step) -> Reflection:  # type: ignore[no-untyped-def]
    steps = list(reflection.revised_plan.steps)
    steps[index] = step
    return reflection.model_copy(update={"revised_plan": reflection.revised_plan.model_copy(update={"steps": steps})})


def _as_planned(reflection: Reflection, plan: LessonPlan, index: int) -> Reflection:
    """The reflection with one revised step put back as the plan had it (content and minutes)."""
    steps = list(reflection.revised_plan.steps)
    steps[index] = plan.steps[index].model_copy(update={"minutes": steps[index].minutes})
    return reflection.model_copy(update={"revised_plan": reflection.revised_plan.model_copy(update={"steps": steps})})


def _minutes_off(reflection: Reflection, plan: LessonPlan) -> Reflection:
    steps = list(reflection.revised_plan.steps)
    steps[0] = steps[0].model_copy(update={"minutes": steps[0].minutes + 3})
    return reflection.model_copy(update={"revised_plan": reflection.revised_plan.model_copy(update={"steps": steps})})


# (the check, how to spoil the written reflection so that it must fire)
CHECKS = [
    ("invented_claim", lambda r, p: r.model_copy(update={"child_facts": ["乐乐说：“我最喜欢红色的帽子。”"]})),
    ("invented_claim", lambda r, p: r.model_copy(update={"child_facts": ["15名幼儿都做出了帽子"]})),
    ("invented_claim", lambda r, p: r.model_copy(update={"child_facts": ["所有孩子都学会了用毛线系帽子"]})),
    ("invented_claim", lambda r, p: r.model_copy(update={"child_facts": ["孩子们唱了一首关于春天的歌"]})),
    (
        "invented_claim",
        lambda r, p: r.model_copy(
            update={"goal_reviews": [r.goal_reviews[0].model_copy(update={"evidence": "孩子们都能清楚地讲述制作过程"})]}
        ),
    ),
    ("label_word", lambda r, p: r.model_copy(update={"child_facts": ["豆豆很调皮，把报纸卷成筒当帽檐"]})),
    ("label_word", lambda r, p: r.model_copy(update={"next_time": "多关注那几个胆小的孩子"})),
    (
        "untied_suggestion",
        lambda r, p: r.model_copy(update={"suggestions": [Suggestion(note=99, text="多准备一些材料")]}),
    ),
    ("overrun_unchanged", lambda r, p: _as_planned(r, p, THINK)),
    ("named_unchanged", lambda r, p: _as_planned(r, p, CHOOSE)),
    ("minutes_sum", _minutes_off),
]


@pytest.mark.parametrize("kind, spoil", CHECKS, ids=[f"{kind}-{n}" for n, (kind, _) in enumerate(CHECKS)])
def test_each_check_passes_the_written_reflection_and_finds_the_spoiled_one(written, request_, plan, kind, spoil):
    scaffold = build_reflection_scaffold(request_)
    assert kind not in kinds(check_reflection(written, scaffold))
    assert kind in kinds(check_reflection(spoil(written, plan), scaffold))


@pytest.mark.parametrize(
    "kind, spoil",
    [row for row in CHECKS if row[0] in ("invented_claim", "label_word", "untied_suggestion", "minutes_sum")],
)
def test_code_repairs_what_it_can_exactly(written, request_, plan, kind, spoil):
    scaffold = build_reflection_scaffold(request_)
    repaired = repair_by_code(spoil(written, plan), scaffold)
    assert check_reflection(repaired, scaffold) == []


def test_an_invented_fact_is_dropped_and_an_objective_without_evidence_says_so(written, request_):
    scaffold = build_reflection_scaffold(request_)
    spoiled = written.model_copy(
        update={
            "child_facts": ["孩子们唱了一首关于春天的歌", "豆豆把报纸卷成筒当帽檐"],
            "goal_reviews": [
                written.goal_reviews[0].model_copy(update={"evidence": "15名幼儿都完成了", "achieved": "达成"})
            ],
        }
    )
    repaired = repair_by_code(spoiled, scaffold)
    assert repaired.child_facts == ["豆豆把报纸卷成筒当帽檐"]
    assert (repaired.goal_reviews[0].achieved, repaired.goal_reviews[0].evidence) == (
        "未观察到",
        "记录中没有直接的证据",
    )
    only_invented = repair_by_code(spoiled.model_copy(update={"child_facts": ["孩子们唱了一首歌"]}), scaffold)
    assert only_invented.child_facts[0] == "豆豆把报纸卷成筒当帽檐。"  # the teacher's own sentences


def test_a_label_becomes_a_description_and_a_word_about_things_is_no_label():
    assert unlabelled("豆豆很调皮，一直跑来跑去") == "豆豆活动中很活跃，一直跑来跑去"
    assert labels_in("乐乐真聪明") == ["聪明"] and labels_in("搬动笨重的纸箱") == []
    assert unlabelled("搬动笨重的纸箱") == "搬动笨重的纸箱"


def test_an_untied_suggestion_is_dropped_and_code_answers_the_change_note_when_none_is_left(written, request_):
    scaffold = build_reflection_scaffold(request_)
    repaired = repair_by_code(
        written.model_copy(update={"suggestions": [Suggestion(note=0, text="多准备材料")]}), scaffold
    )
    (suggestion,) = repaired.suggestions
    assert suggestion.note == 7 and suggestion.note_text == NOTES["changes"] and "第3环节" in suggestion.text


def test_a_step_over_time_left_unchanged_is_written_again_once_then_shortened_by_code(written, request_, plan):
    scaffold = build_reflection_scaffold(request_)
    unchanged = _as_planned(written, plan, THINK)
    asked = []

    def stubborn(reflection, index, fix):  # the model writes the same step again
        asked.append((index, fix))
        return reflection

    repaired, report = validate_reflection(unchanged, scaffold, stubborn)
    assert [index for index, _ in asked] == [THINK] and "超时" in asked[0][1]
    assert "overrun_unchanged" in kinds(report.before) and report.after == []
    step = repaired.revised_plan.steps[THINK]
    assert step.teacher != plan.steps[THINK].teacher and len(step.key_questions) <= 2
    assert step.minutes == 7


# --- the pipeline ------------------------------------------------------------------------------------


def test_the_pipeline_writes_the_reflection_and_revises_the_steps_the_notes_point_at(request_, plan):
    backend = ScriptedBackend()
    result = write(resource_type("reflection"), request_, backend=backend)
    reflection = result.plan
    assert len(backend.calls) == 3  # the reflection, then the two steps to change
    prompt = backend.prompts_text()
    assert "记录7：选办法投票太慢，下次改成举手。" in prompt and "计划5分钟，实际9分钟" in prompt
    revised = reflection.revised_plan
    assert [step.minutes for step in revised.steps] == [3, 7, 2, 7, 1] and revised.minutes == 20
    assert revised.steps[THINK].title == "每组说一个点子" and revised.steps[CHOOSE].title == "每组说一个点子"
    # The lesson plan's rules on the rewritten 想办法: the brainstorming rules in front.
    assert revised.steps[THINK].teacher.startswith("想办法的约定：")
    assert revised.steps[TRY] == plan.steps[TRY]  # everything else kept
    assert [c.step for c in reflection.changes] == [2, 3, 5] and reflection.changes[
        0
    ].summary == "每组只说一个点子，节省时间"
    assert [s.note_text for s in reflection.suggestions] == [NOTES["changes"], "想办法超时了，用了9分钟。"]
    assert result.checks.after == []


def test_a_model_reflection_with_an_invented_quote_and_a_label_is_repaired(request_):
    spoiled = dict(
        SECTION_ANSWERS[PROSE_KEYS], child_facts=["乐乐说：“我是最棒的！”", "豆豆很调皮，把报纸卷成筒当帽檐"]
    )

    def respond(messages, schema):
        if frozenset(schema["properties"]) == PROSE_KEYS:
            return json.dumps(spoiled, ensure_ascii=False)
        return answer_for(schema)

    result = write(resource_type("reflection"), request_, backend=ScriptedBackend(respond=respond))
    assert result.plan.child_facts == ["豆豆活动中很活跃，把报纸卷成筒当帽檐"]
    assert {"invented_claim", "label_word"} <= kinds(result.checks.before) and result.checks.after == []


# --- the store: versions, the revised plan, who may ----------------------------------------------------


@pytest.fixture
def studio(settings, fake_backend):
    from lesson_studio.studio import Studio

    return Studio(settings)


def taught_plan(studio, teacher, hat_request):  # type: ignore[no-untyped-def]
    view = studio.jobs.wait(teacher, studio.submit_generation(teacher, hat_request, idempotency_key="plan"), timeout=10)
    assert view.status == "done", view.error
    return studio.plan_to_revise(teacher, view.version_id)


def reflect(studio, user, version, plan, key="r"):  # type: ignore[no-untyped-def]
    request = ReflectionRequest(plan_version_id=version.id, plan=plan, actual_minutes=[0, 0, 0, 0, 1], **NOTES)
    return studio.jobs.wait(user, studio.submit_resource(user, "reflection", request, idempotency_key=key), timeout=10)


def test_the_revised_plan_is_saved_as_the_plans_next_version_with_the_rules_applied(studio, teacher, hat_request):
    version, plan = taught_plan(studio, teacher, hat_request)
    view = reflect(studio, teacher, version, plan)
    assert view.status == "done", view.error
    saved, kind, reflection = studio.open_document(teacher, view.version_id)
    assert kind == "reflection" and saved.number == 1 and reflection.revised_version_number == 2
    history = studio.versions(teacher, version.draft_id)
    assert [v.number for v in history] == [1, 2] and history[-1].note == "活动反思修订 / revised after reflection"
    revised = studio.load_plan(teacher, reflection.revised_version_id)
    assert revised == reflection.revised_plan and revised.steps[THINK].teacher.startswith("想办法的约定：")
    assert sum(step.minutes for step in revised.steps) == revised.minutes == 20
    (mine,) = studio.list_plans(teacher)  # 我的教案: the plan, now at version 2; the reflection is not a plan
    assert (mine.id, mine.head_number) == (version.draft_id, 2)
    assert [d.id for d in studio.documents(teacher, "reflection")] == [saved.draft_id]
    assert reflection.revised_version_id == history[-1].id
    diff = studio.diff_versions(teacher, version.id, reflection.revised_version_id)
    assert {section.label for section in diff if section.changed} == {
        "活动过程2·想办法",
        "活动过程3·选办法",
        "活动过程5·分享",
    }


def test_another_teacher_cannot_reflect_on_or_revise_my_plan(studio, teacher, other_teacher, hat_request):
    version, plan = taught_plan(studio, teacher, hat_request)
    with pytest.raises(NotAllowed):
        studio.plan_to_revise(other_teacher, version.id)
    view = reflect(studio, other_teacher, version, plan)  # past the page: the job refuses
    assert view.status == "failed" and "其他老师" in view.error
    assert studio.documents(other_teacher, "reflection") == []
    assert [v.number for v in studio.versions(teacher, version.draft_id)] == [1]


def test_a_lead_reads_my_plan_but_cannot_revise_it(studio, teacher, hat_request):
    version, plan = taught_plan(studio, teacher, hat_request)
    lead = studio.store.ensure_user("lead", role="lead")
    assert studio.own_plans(lead) == [] and len(studio.list_plans(lead)) == 1
    with pytest.raises(NotAllowed):
        studio.plan_to_revise(lead, version.id)
    assert reflect(studio, lead, version, plan).status == "failed"
    assert [v.number for v in studio.versions(teacher, version.draft_id)] == [1]


def test_a_plan_saved_again_meanwhile_is_not_overwritten_and_nothing_is_saved(studio, teacher, hat_request):
    version, plan = taught_plan(studio, teacher, hat_request)
    studio.save_edit(teacher, version.draft_id, plan.model_copy(update={"design_intent": "改过了"}))
    view = reflect(studio, teacher, version, plan)
    assert view.status == "failed" and "新版本" in view.error
    assert [v.number for v in studio.versions(teacher, version.draft_id)] == [1, 2]
    assert studio.documents(teacher, "reflection") == []


def test_a_plan_snapshot_that_differs_from_its_saved_version_is_refused(studio, teacher, hat_request):
    version, plan = taught_plan(studio, teacher, hat_request)
    view = reflect(studio, teacher, version, plan.model_copy(update={"title": "中班艺术：别的活动"}))
    assert view.status == "failed" and "不一致" in view.error
    assert [v.number for v in studio.versions(teacher, version.draft_id)] == [1]


def test_the_word_reflection_reopens_with_its_own_layout(studio, teacher, hat_request):
    from docx import Document

    version, plan = taught_plan(studio, teacher, hat_request)
    view = reflect(studio, teacher, version, plan)
    document = Document(io.BytesIO(studio.export_document_docx(teacher, view.version_id)))
    paragraphs = [paragraph.text for paragraph in document.paragraphs]
    assert paragraphs[0] == "活动反思：中班艺术：小熊的新帽子"
    assert [p for p in paragraphs if p in HEADINGS] == list(HEADINGS)
    assert "【认知】知道帽子要戴得住需要合适的大小和固定方法——达成：豆豆把报纸卷成筒当帽檐" in paragraphs
    assert "1. 选办法时改成举手表决，节省时间（回应记录7：选办法投票太慢，下次改成举手。）" in paragraphs
    assert "修订后的教案已保存为第2版。" in paragraphs
    assert any(p.startswith("第2环节《每组说一个点子》（5→7分钟）") for p in paragraphs)
    (table,) = document.tables
    rows = [[cell.text for cell in row.cells] for row in table.rows]
    assert rows[0] == ["环节", "计划", "实际", "情况"] and rows[2] == [
        "2. 想办法·小熊遇到麻烦",
        "5分钟",
        "9分钟",
        "超时",
    ]
    assert "活动反思" in document.sections[0].header.paragraphs[0].text


def test_the_layout_says_when_nothing_needed_changing(written):
    from docx import Document

    quiet = written.model_copy(update={"changes": []})
    assert "教案没有需要修改的环节。" in [p.text for p in Document(io.BytesIO(reflection_docx(quiet))).paragraphs]


@pytest.mark.parametrize(
    "changes, named",
    [
        ({"children": "  "}, "幼儿做了什么.*what the children did"),
        ({"actual_minutes": "5、9"}, "各环节实际用时.*minutes each step took"),
        ({"actual_minutes": [3, 200, 2, 7, 3]}, "各环节实际用时"),
        ({"plan_version_id": 0}, "教案.*lesson plan"),
    ],
)
def test_a_bad_form_field_is_named_in_chinese_and_english(plan, changes, named):
    from lesson_studio.studio import Studio

    fields = {"plan_version_id": 1, "plan": plan, **NOTES, **changes}
    with pytest.raises(InvalidInput, match=named):
        Studio.resource_request_from_form("reflection", fields)


def test_the_form_takes_minutes_and_trims_the_notes(plan):
    from lesson_studio.studio import Studio

    request = Studio.resource_request_from_form(
        "reflection",
        {"plan_version_id": 1, "plan": plan, **NOTES, "children": " 豆豆卷报纸。 ", "actual_minutes": "3、9、2、7、1"},
    )
    assert request.children == "豆豆卷报纸。" and request.actual_minutes == [3, 9, 2, 7, 1]


def test_an_edit_is_a_new_version_with_the_rules_applied_again_and_the_checks_said(studio, teacher, hat_request):
    version, plan = taught_plan(studio, teacher, hat_request)
    view = reflect(studio, teacher, version, plan)
    saved, _, reflection = studio.open_document(teacher, view.version_id)
    edited = reflection.model_copy(update={"next_time": "多关注那几个胆小的孩子。", "notes": [], "timings": []})
    second = studio.save_document(teacher, saved.draft_id, edited, base_version_id=saved.id)
    kept = studio.open_document(teacher, second.id)[2]
    assert second.number == 2 and kept.notes and kept.timings  # code's parts put back
    assert kept.next_time == "多关注那几个胆小的孩子。"  # the teacher's words stay, and the check says so
    assert any("标签" in finding for finding in studio.document_findings(teacher, second.id))
    assert studio.document_findings(teacher, saved.id) == []
    assert [v.number for v in studio.versions(teacher, version.draft_id)] == [1, 2]  # the plan is not touched again


def test_only_the_author_saves_an_edit_of_a_reflection(studio, teacher, other_teacher, hat_request):
    version, plan = taught_plan(studio, teacher, hat_request)
    view = reflect(studio, teacher, version, plan)
    saved, _, reflection = studio.open_document(teacher, view.version_id)
    with pytest.raises(NotAllowed):
        studio.open_document(other_teacher, saved.id)
    with pytest.raises(NotAllowed):
        studio.save_document(other_teacher, saved.draft_id, reflection, base_version_id=saved.id)


# --- the proof that the pipeline is one -----------------------------------------------------------


def test_adding_the_type_touched_only_its_own_files_and_one_registration_line():
    """Outside its own files (the package, its prompts, its page and tests), the core names the
    reflection on exactly one line: its entry in resource_types.REGISTERED."""
    own = ROOT / "lesson_studio" / "resource_types" / "reflection"
    mentions = [
        (path.relative_to(ROOT).as_posix(), line.strip())
        for path in sorted((ROOT / "lesson_studio").rglob("*.py"))
        if own not in path.parents
        for line in path.read_text(encoding="utf-8").splitlines()
        if "reflection" in line.lower() or "活动反思" in line
    ]
    assert mentions == [
        ("lesson_studio/resource_types/__init__.py", '"lesson_studio.resource_types.reflection:REFLECTION",')
    ]
    assert sum("reflection" in entry for entry in REGISTERED) == 1
    assert all((ROOT / "prompts" / f"{name}.md").exists() for name in resource_type("reflection").prompts)


def test_the_reflections_prompts_are_rendered_with_all_their_variables(monkeypatch, request_):
    from lesson_studio.prompts import render, variables
    from lesson_studio.resource_types.reflection import writer

    rendered = set()

    def recording_render(name, **values):
        assert set(values) == variables(name)
        rendered.add(name)
        return render(name, **values)

    monkeypatch.setattr(writer, "render", recording_render)
    write(resource_type("reflection"), request_, backend=ScriptedBackend())
    assert rendered == set(resource_type("reflection").prompts)


def test_one_timing_sentence_about_three_steps_and_the_teachers_wish_for_the_minutes(plan):
    """bench/resources.py: "想办法用了9分钟，试一试只剩5分钟，来不及分享" marked all three steps 超时 and
    the revised minutes ignored "想办法的时间要缩短，试一试多给时间" (5 -> 5, 7 -> 7)."""
    request = ReflectionRequest(
        plan_version_id=1,
        plan=plan,
        children="孩子们想出了用毛线系、用纸折边两种办法。",
        timing="想办法用了9分钟，试一试只剩5分钟，来不及分享。",
        changes="想办法的时间要缩短，试一试多给时间。",
    )
    scaffold = build_reflection_scaffold(request)
    statuses = [timing.status for timing in scaffold.timings]
    assert (scaffold.timings[THINK].actual, statuses[THINK]) == (9, "超时")
    assert statuses[TRY] != "超时" and statuses[SHARE] != "超时"
    planned = [step.minutes for step in plan.steps]
    assert scaffold.revised_minutes[THINK] < planned[THINK] and scaffold.revised_minutes[TRY] > planned[TRY]
    assert sum(scaffold.revised_minutes) == sum(planned)
