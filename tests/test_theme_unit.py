"""主题活动 through the one pipeline: schema, scaffold for 1–4 weeks, code's rules, each check with a
passing and a failing example, versions and authorization, 展开为教案 (context and idempotency),
Word reopened, and the proof that the core names the type only on its registration line."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from fakes import SECTION_ANSWERS, ScriptedBackend, answer_for

from lesson_studio.errors import InvalidInput, NotAllowed
from lesson_studio.models import DOMAINS, LessonPlan
from lesson_studio.pipeline import write
from lesson_studio.resource_types import REGISTERED, resource_type
from lesson_studio.resource_types.theme_unit.checks import (
    CHECKS,
    apply_unit_rules,
    check_unit,
    repair_by_code,
    validate_unit,
    with_activity,
)
from lesson_studio.resource_types.theme_unit.export import unit_docx
from lesson_studio.resource_types.theme_unit.scaffold import build_unit_scaffold
from lesson_studio.resource_types.theme_unit.schema import (
    ACTIVITY_KINDS,
    UNIT_STAGES,
    ClosingDraft,
    OverviewDraft,
    ThemeUnit,
    ThemeUnitRequest,
    WeekDraft,
)
from lesson_studio.resource_types.theme_unit.writer import unit_from_drafts

ROOT = Path(__file__).resolve().parents[1]
WEEK_KEYS = frozenset({"week_focus", "activities"})
CAPS = {"小班": (15, 20), "中班": (20, 25), "大班": (25, 30), "混龄": (20, 25)}


@pytest.fixture
def unit_request() -> ThemeUnitRequest:
    return ThemeUnitRequest(
        class_name="中二班",
        age_band="中班",
        theme="小熊的帽子",
        problem="班上的小熊玩偶总是掉帽子，孩子们想帮它",
        weeks=2,
        teacher="王老师",
        start_date="2026-12-07",
        domains=["艺术"],
        materials=["旧报纸", "纸盒", "纽扣电池"],
    )


def drafted(model, **changes):
    return model.model_validate(dict(SECTION_ANSWERS[frozenset(model.model_fields)], **changes))


def written(request: ThemeUnitRequest) -> ThemeUnit:
    """A unit as the pipeline builds it from the fake's answers, before the checks."""
    scaffold = build_unit_scaffold(request)
    weeks = [drafted(WeekDraft) for _ in scaffold.weeks]
    unit = unit_from_drafts(drafted(OverviewDraft), weeks, drafted(ClosingDraft), scaffold)
    return apply_unit_rules(unit, scaffold)


def kinds(defects) -> set[str]:
    return {defect.kind for defect in defects}


def first(unit: ThemeUnit, **where):
    return next(a for a in unit.activities() if all(getattr(a, k) == v for k, v in where.items()))


# --- schema and scaffold -------------------------------------------------------------------------


def test_a_unit_round_trips_through_json(unit_request):
    unit = written(unit_request)
    assert ThemeUnit.model_validate_json(unit.model_dump_json()) == unit


@pytest.mark.parametrize("weeks", [1, 2, 3, 4])
def test_the_weeks_walk_the_cps_path_in_order_with_every_kind_and_domain(unit_request, weeks):
    scaffold = build_unit_scaffold(unit_request.model_copy(update={"weeks": weeks}))
    assert len(scaffold.weeks) == weeks
    assert scaffold.weeks[0].stages[0] == "发现烦恼" and scaffold.weeks[-1].stages[-1] == "展示/用起来"
    assert [stage for week in scaffold.weeks for stage in week.stages] == list(UNIT_STAGES)  # each once, in order
    for week in scaffold.weeks:
        assert {slot.kind for slot in week.slots} == set(ACTIVITY_KINDS)
        collective_stages = {slot.stage for slot in week.slots if slot.kind == "集体活动"}
        assert collective_stages == set(week.stages)  # a collective activity for every stage of the week
    assert {slot.domain for week in scaffold.weeks for slot in week.slots} == set(DOMAINS)
    keys = [slot.key for week in scaffold.weeks for slot in week.slots]
    assert len(keys) == len(set(keys))


@pytest.mark.parametrize("band", list(CAPS))
def test_collective_activities_last_within_the_bands_cap(unit_request, band):
    scaffold = build_unit_scaffold(unit_request.model_copy(update={"age_band": band}))
    low, high = CAPS[band]
    for slot in (slot for week in scaffold.weeks for slot in week.slots):
        if slot.kind == "集体活动":
            assert low <= slot.minutes <= high
        else:
            assert slot.minutes is None


def test_an_emphasised_domain_leads_the_first_collective_activity(unit_request):
    scaffold = build_unit_scaffold(unit_request.model_copy(update={"domains": ["语言"]}))
    assert scaffold.weeks[0].slots[0].domain == "语言"


def test_an_unsafe_material_is_taken_off_and_named_and_dates_follow_the_start(unit_request):
    scaffold = build_unit_scaffold(unit_request)
    assert scaffold.materials == ["旧报纸", "纸盒"]
    assert [item.name for item in scaffold.removed] == ["纽扣电池"] and "纽扣电池" in scaffold.warnings[0]
    assert [week.dates for week in scaffold.weeks] == ["12月7日—12月11日", "12月14日—12月18日"]
    assert build_unit_scaffold(unit_request.model_copy(update={"start_date": "下周"})).weeks[0].dates == ""


# --- code's rules ----------------------------------------------------------------------------------


def test_the_rules_put_back_the_scaffolds_structure_whatever_was_written(unit_request):
    scaffold = build_unit_scaffold(unit_request)
    unit = written(unit_request)
    collective = first(unit, kind="集体活动")
    edited = with_activity(
        unit, collective.model_copy(update={"minutes": 90, "stage": "展示/用起来", "kind": "生活活动"})
    )
    edited = edited.model_copy(update={"class_name": "", "materials": ["纽扣电池"]})
    ruled = apply_unit_rules(edited, scaffold)
    again = first(ruled, key=collective.key)
    assert (again.kind, again.stage, again.minutes) == ("集体活动", "发现烦恼", 25)  # clamped to 中班's cap
    assert ruled.class_name == "中二班" and ruled.materials == ["旧报纸", "纸盒"]
    assert apply_unit_rules(ruled, scaffold) == ruled


# --- each check: a passing and a failing example (table-driven) ------------------------------------


def _drop_domain(unit: ThemeUnit) -> ThemeUnit:
    for activity in unit.activities():
        if activity.domain == "艺术":
            unit = with_activity(unit, activity.model_copy(update={"domain": "科学"}))
    return unit


def _off_stage(unit: ThemeUnit) -> ThemeUnit:
    week = unit.weeks[0]
    for activity in week.activities:
        if activity.stage == "发现烦恼":
            unit = with_activity(unit, activity.model_copy(update={"title": "唱歌", "children_do": "跟着音乐唱歌跳舞"}))
    return unit


BREAKERS = {
    "domain_missing": (_drop_domain, "艺术"),
    "stage_mismatch": (_off_stage, "发现烦恼"),
    "schoolification": (
        lambda unit: with_activity(
            unit, first(unit, kind="集体活动").model_copy(update={"children_do": "练习写字和拼音"})
        ),
        "拼音",
    ),
    "unsafe_material": (
        lambda unit: with_activity(
            unit, first(unit, kind="户外活动").model_copy(update={"children_do": "用打火机点燃蜡烛"})
        ),
        "打火机",
    ),
    "no_children_do": (
        lambda unit: with_activity(unit, first(unit, kind="区域活动").model_copy(update={"children_do": " "})),
        "区域活动",
    ),
}


def test_every_check_has_a_passing_and_a_failing_example():
    assert {kind for kind, _ in CHECKS} == set(BREAKERS)


@pytest.mark.parametrize("kind", list(BREAKERS))
def test_a_check_passes_a_good_unit_and_names_what_is_wrong_in_a_bad_one(unit_request, kind):
    scaffold = build_unit_scaffold(unit_request)
    good = written(unit_request)
    assert check_unit(good, scaffold) == []
    breaker, named = BREAKERS[kind]
    found = [defect for defect in check_unit(breaker(good), scaffold) if defect.kind == kind]
    assert found and named in found[0].message and " / " in found[0].message


@pytest.mark.parametrize("kind", ["domain_missing", "schoolification", "unsafe_material"])
def test_code_repairs_what_it_can_repair_exactly(unit_request, kind):
    scaffold = build_unit_scaffold(unit_request)
    broken = BREAKERS[kind][0](written(unit_request))
    assert kind not in kinds(check_unit(repair_by_code(broken, scaffold), scaffold))


def test_a_drill_in_the_prose_is_flagged_and_made_play_based(unit_request):
    scaffold = build_unit_scaffold(unit_request)
    unit = written(unit_request).model_copy(update={"family": "请家长每天陪孩子做口算练习册。"})
    (defect,) = [d for d in check_unit(unit, scaffold) if d.kind == "schoolification"]
    assert defect.field == "family" and "家园共育" in defect.message
    assert check_unit(repair_by_code(unit, scaffold), scaffold) == []


def test_a_drill_becomes_play_and_a_banned_material_its_safer_replacement(unit_request):
    scaffold = build_unit_scaffold(unit_request)
    unit = written(unit_request)
    unit = with_activity(
        unit, first(unit, kind="集体活动").model_copy(update={"children_do": "做作业单，用蜡烛照亮帽子"})
    )
    repaired = first(repair_by_code(unit, scaffold), kind="集体活动")
    assert "作业单" not in repaired.children_do and "游戏记录卡" in repaired.children_do
    assert "LED电子蜡烛" in repaired.children_do


def test_a_week_off_its_stage_is_written_again_once_then_opened_by_code(unit_request):
    scaffold = build_unit_scaffold(unit_request)
    broken = _off_stage(written(unit_request))
    asked = []

    def stubborn(unit, number, fix):  # the model keeps singing
        asked.append((number, fix))
        return unit

    repaired, report = validate_unit(broken, scaffold, stubborn)
    assert [number for number, _ in asked] == [1] and "发现烦恼" in asked[0][1] and "必须改正" in asked[0][1]
    assert "stage_mismatch" in kinds(report.before) and report.after == []
    assert first(repaired, kind="集体活动").children_do.startswith("先观察、说说发现的麻烦")


def test_an_activity_the_model_left_out_gets_its_stages_line(unit_request):
    scaffold = build_unit_scaffold(unit_request)
    short = WeekDraft.model_validate(
        dict(SECTION_ANSWERS[WEEK_KEYS], activities=SECTION_ANSWERS[WEEK_KEYS]["activities"][:3])
    )
    unit = unit_from_drafts(drafted(OverviewDraft), [short, short], drafted(ClosingDraft), scaffold)
    repaired, report = validate_unit(apply_unit_rules(unit, scaffold), scaffold)
    assert "no_children_do" in kinds(report.before) and report.after == []
    filled = first(repaired, kind="生活活动")
    assert filled.title and "小熊的帽子" in filled.children_do


# --- the pipeline, the store and Word ---------------------------------------------------------------


def test_the_pipeline_writes_the_overview_each_week_and_the_closing(unit_request):
    backend = ScriptedBackend()
    result = write(resource_type("theme_unit"), unit_request, backend=backend)
    unit = result.plan
    assert isinstance(unit, ThemeUnit) and unit.title == "小熊的帽子"
    assert len(backend.calls) == 1 + unit_request.weeks + 1
    assert [goal.domain for goal in unit.goals] == list(DOMAINS)
    assert [branch.stage for branch in unit.question_web] == list(UNIT_STAGES)
    assert result.checks.after == [] and unit.warnings and unit.materials == ["旧报纸", "纸盒"]
    prompt = backend.prompts_text()
    assert unit_request.problem in prompt and "纽扣电池" not in prompt  # the model never sees the unsafe item
    assert "第2周" in backend.calls[2][-1]["content"] and "做出来" in backend.calls[2][-1]["content"]


def test_a_model_week_with_a_drill_is_repaired_and_an_off_stage_week_rewritten(unit_request):
    bad = dict(
        SECTION_ANSWERS[WEEK_KEYS],
        activities=[{"title": "唱歌", "children_do": "跟着音乐唱歌"}, *SECTION_ANSWERS[WEEK_KEYS]["activities"][1:]],
    )
    bad["activities"][1] = {"title": "拼音帽子", "children_do": "说一说、画一画让帽子戴得住的办法"}
    answers = iter([json.dumps(bad, ensure_ascii=False)])

    def respond(messages, schema):
        if frozenset(schema["properties"]) == WEEK_KEYS:
            return next(answers, None) or answer_for(schema)
        return answer_for(schema)

    backend = ScriptedBackend(respond=respond)
    result = write(resource_type("theme_unit"), unit_request, backend=backend)
    assert {"stage_mismatch", "schoolification"} <= kinds(result.checks.before) and result.checks.after == []
    assert result.checks.rewrites == 1 and "必须改正" in backend.calls[-1][-1]["content"]
    assert "拼音" not in json.dumps(result.plan.model_dump(), ensure_ascii=False)


def test_the_prompts_are_rendered_with_all_their_variables(monkeypatch, unit_request):
    from lesson_studio.prompts import render, variables
    from lesson_studio.resource_types.theme_unit import writer

    rendered = set()

    def recording_render(name, **values):
        assert set(values) == variables(name)
        rendered.add(name)
        return render(name, **values)

    monkeypatch.setattr(writer, "render", recording_render)
    write(resource_type("theme_unit"), unit_request, backend=ScriptedBackend())
    assert rendered == set(resource_type("theme_unit").prompts)
    assert all((ROOT / "prompts" / f"{name}.md").exists() for name in rendered)


def test_a_bad_form_field_is_named_in_chinese_and_english():
    from lesson_studio.studio import Studio

    form = {"class_name": "中二班", "teacher": "王老师", "theme": "帽子", "problem": "帽子总掉", "weeks": 2}
    with pytest.raises(InvalidInput, match="真实问题.*the real problem"):
        Studio.resource_request_from_form("theme_unit", dict(form, problem=" "))
    with pytest.raises(InvalidInput, match="周数.*weeks"):
        Studio.resource_request_from_form("theme_unit", dict(form, weeks=6))
    request = Studio.resource_request_from_form(
        "theme_unit", dict(form, domains="科学、艺术", materials="旧报纸、纸盒")
    )
    assert request.domains == ["科学", "艺术"] and request.materials == ["旧报纸", "纸盒"]


@pytest.fixture
def studio(settings, fake_backend):
    from lesson_studio.studio import Studio

    return Studio(settings)


def generated(studio, teacher, unit_request, key="unit"):
    view = studio.jobs.wait(
        teacher, studio.submit_resource(teacher, "theme_unit", unit_request, idempotency_key=key), timeout=20
    )
    assert view.status == "done", view.error
    return studio.open_document(teacher, view.version_id)


def test_a_unit_is_generated_saved_and_edited_as_new_versions_with_findings(studio, teacher, unit_request):
    version, kind, unit = generated(studio, teacher, unit_request)
    assert kind == "theme_unit" and version.number == 1
    assert [draft.id for draft in studio.documents(teacher, "theme_unit")] == [version.draft_id]
    assert studio.list_plans(teacher) == []
    edited = unit.model_copy(update={"family": "请家长在家陪孩子练习写字。"})
    edited = with_activity(
        edited, first(edited, kind="集体活动").model_copy(update={"children_do": "每人完成一张作业单"})
    )
    saved = studio.save_document(teacher, version.draft_id, edited, base_version_id=version.id)
    assert saved.number == 2 and studio.open_document(teacher, saved.id)[2].family == "请家长在家陪孩子练习写字。"
    assert any("小学化" in finding for finding in studio.document_findings(teacher, saved.id))
    assert studio.document_findings(teacher, version.id) == []


def test_only_the_author_edits_and_leads_read(studio, teacher, other_teacher, unit_request):
    version, _, unit = generated(studio, teacher, unit_request)
    lead = studio.store.ensure_user("lead", role="lead")
    with pytest.raises(NotAllowed):
        studio.open_document(other_teacher, version.id)
    assert studio.open_document(lead, version.id)[1] == "theme_unit"
    for someone in (other_teacher, lead):
        with pytest.raises(NotAllowed):
            studio.save_document(someone, version.draft_id, unit, base_version_id=version.id)


# --- 展开为教案 ---------------------------------------------------------------------------------------


def test_expanding_an_activity_carries_the_units_context_into_the_lessons_request(studio, teacher, unit_request):
    version, _, unit = generated(studio, teacher, unit_request)
    activity = unit.weeks[1].activities[0]  # week 2's 做出来
    job_id = studio.expand_item(teacher, version.id, activity.key)
    lesson_request = studio.job_request(teacher, job_id)
    assert lesson_request.age_band == "中班" and lesson_request.domain == activity.domain
    assert lesson_request.minutes == activity.minutes and lesson_request.topic == activity.title
    assert unit_request.problem in lesson_request.notes and "“做出来”" in lesson_request.notes
    assert "我们的帽子戴得住吗？" in lesson_request.notes  # its branch of the question web
    assert lesson_request.materials == ["旧报纸", "纸盒"] and lesson_request.cps_focus == "试一试改一改"
    view = studio.jobs.wait(teacher, job_id, timeout=20)
    assert view.status == "done", view.error
    _, lesson = studio.open_version(teacher, view.version_id)
    assert isinstance(lesson, LessonPlan)
    (link,) = studio.linked_documents(teacher, version.draft_id)
    assert (link.item_key, link.status, link.child_version_id, link.title) == (
        activity.key,
        "done",
        view.version_id,
        lesson.title,
    )


def test_a_second_click_or_a_later_version_opens_the_same_lesson(studio, teacher, unit_request):
    version, _, unit = generated(studio, teacher, unit_request)
    key = unit.weeks[0].activities[0].key
    job_id = studio.expand_item(teacher, version.id, key)
    assert studio.expand_item(teacher, version.id, key) == job_id
    studio.jobs.wait(teacher, job_id, timeout=20)
    later = studio.save_document(
        teacher,
        version.draft_id,
        unit.model_copy(update={"evaluation": "观察孩子的办法，不打分。"}),
        base_version_id=version.id,
    )
    assert studio.expand_item(teacher, later.id, key) == job_id
    assert len(studio.linked_documents(teacher, version.draft_id)) == 1
    assert len(studio.list_plans(teacher)) == 1  # one lesson plan, not three


def test_only_the_author_expands_and_a_lead_reads_the_lessons(studio, teacher, other_teacher, unit_request):
    version, _, unit = generated(studio, teacher, unit_request)
    key = unit.weeks[0].activities[0].key
    lead = studio.store.ensure_user("lead", role="lead")
    for someone in (other_teacher, lead):
        with pytest.raises(NotAllowed):
            studio.expand_item(someone, version.id, key)
    assert studio.linked_documents(lead, version.draft_id) == []
    studio.jobs.wait(teacher, studio.expand_item(teacher, version.id, key), timeout=20)
    assert [item.item_key for item in studio.linked_documents(lead, version.draft_id)] == [key]
    with pytest.raises(NotAllowed):
        studio.linked_documents(other_teacher, version.draft_id)


def test_only_a_collective_activity_is_expanded(studio, teacher, unit_request):
    version, _, unit = generated(studio, teacher, unit_request)
    with pytest.raises(InvalidInput, match="集体活动"):
        studio.expand_item(teacher, version.id, first(unit, kind="户外活动").key)
    with pytest.raises(InvalidInput):
        studio.expand_item(teacher, version.id, "w9-a9")
    assert studio.linked_documents(teacher, version.draft_id) == []


def test_a_document_without_items_is_not_expanded(studio, teacher, hat_request):
    view = studio.jobs.wait(teacher, studio.submit_generation(teacher, hat_request, idempotency_key="p"), timeout=20)
    with pytest.raises(InvalidInput, match="展开"):
        studio.expand_item(teacher, view.version_id, "w1-a1")


def test_the_word_unit_reopens_with_its_weeks(unit_request):
    from docx import Document

    unit = written(unit_request)
    document = Document(io.BytesIO(unit_docx(unit)))
    paragraphs = [paragraph.text for paragraph in document.paragraphs]
    assert paragraphs[0] == "小熊的帽子"
    for heading in (
        "一、主题来源与价值",
        "二、主题目标",
        "三、问题网",
        "四、活动安排",
        "五、环境创设（问题墙）",
        "六、家园共育",
        "七、评价",
    ):
        assert heading in paragraphs
    assert "第1周（12月7日—12月11日）　发现烦恼、想办法" in paragraphs
    rows = [[cell.text for cell in row.cells] for row in document.tables[0].rows]
    assert rows[0] == ["种类", "活动名称", "领域", "幼儿做什么", "时长"]
    assert rows[1][0] == "集体活动" and rows[1][4] == "22分钟" and rows[1][2] == "艺术"
    assert "主题活动" in document.sections[0].header.paragraphs[0].text


def test_the_word_unit_is_followed_by_its_lessons_with_a_contents_table(studio, teacher, unit_request):
    from docx import Document

    version, _, unit = generated(studio, teacher, unit_request)
    keys = [unit.weeks[1].activities[0].key, unit.weeks[0].activities[0].key]  # expanded out of order
    for key in keys:
        studio.jobs.wait(teacher, studio.expand_item(teacher, version.id, key), timeout=20)
    lead = studio.store.ensure_user("lead", role="lead")
    document = Document(io.BytesIO(studio.export_with_linked_docx(lead, version.id)))
    paragraphs = [paragraph.text for paragraph in document.paragraphs]
    assert paragraphs[0] == "小熊的帽子"
    assert paragraphs.index("一、主题来源与价值") < paragraphs.index("七、评价") < paragraphs.index("目录")
    in_unit_order = [unit.weeks[0].activities[0].domain, unit.weeks[1].activities[0].domain]
    assert [p for p in paragraphs if p.startswith("第一课") or p.startswith("第二课")] == [
        f"第一课　中班{in_unit_order[0]}：小熊的新帽子",
        f"第二课　中班{in_unit_order[1]}：小熊的新帽子",
    ]
    contents = document.tables[len(unit.weeks)]  # after the unit's week tables
    assert [row.cells[0].text for row in contents.rows] == ["课次", "第一课", "第二课"]
    assert [row.cells[2].text for row in contents.rows][1:] == in_unit_order
    assert document.sections[0].header.paragraphs[0].text == "中二班　教学活动设计"
    # Without expanded lessons the same call is the unit alone.
    assert "目录" not in [
        p.text for p in Document(io.BytesIO(studio.export_document_docx(teacher, version.id))).paragraphs
    ]


def test_the_link_table_is_made_by_its_migration(settings):
    from sqlalchemy import inspect

    from lesson_studio.store import Store

    store = Store(settings.db_url)
    assert "draft_links" in inspect(store.engine).get_table_names()
    assert store.migrate() == []


# --- the proof that the pipeline is one -----------------------------------------------------------


def test_adding_the_type_touched_only_its_own_files_and_one_registration_line():
    """Outside its own files, the core names the theme unit on exactly one line: its entry in
    resource_types.REGISTERED. The link table, its store methods and Studio.expand_item are generic."""
    own = ROOT / "lesson_studio" / "resource_types" / "theme_unit"
    mentions = [
        (path.relative_to(ROOT).as_posix(), line.strip())
        for path in sorted((ROOT / "lesson_studio").rglob("*.py"))
        if own not in path.parents
        for line in path.read_text(encoding="utf-8").splitlines()
        if "theme_unit" in line or "主题活动" in line or "ThemeUnit" in line or "THEME_UNIT" in line
    ]
    assert mentions == [
        ("lesson_studio/resource_types/__init__.py", '"lesson_studio.resource_types.theme_unit:THEME_UNIT",')
    ]
    assert sum("theme_unit" in entry for entry in REGISTERED) == 1


def test_a_lesson_that_failed_is_expanded_again_and_the_link_follows_it(studio, fake_backend, teacher, unit_request):
    version, _, unit = generated(studio, teacher, unit_request)
    key = unit.weeks[0].activities[0].key
    fake_backend.garbage_left = 10  # the model answers garbage: the lesson's generation fails
    failed = studio.jobs.wait(teacher, studio.expand_item(teacher, version.id, key), timeout=20)
    assert failed.status == "failed"
    assert [item.status for item in studio.linked_documents(teacher, version.draft_id)] == ["failed"]
    fake_backend.garbage_left = 0
    again = studio.expand_item(teacher, version.id, key)
    assert again != failed.id and studio.jobs.wait(teacher, again, timeout=20).status == "done"
    (link,) = studio.linked_documents(teacher, version.draft_id)
    assert (link.job_id, link.status) == (again, "done")


def test_a_lesson_retried_from_the_workspace_stays_the_units_lesson(studio, fake_backend, teacher, unit_request):
    """重试 on the lesson's own page makes a new job for the same request; the unit then lists that
    job instead of offering 展开为教案 a second time."""
    version, _, unit = generated(studio, teacher, unit_request)
    key = unit.weeks[0].activities[0].key
    fake_backend.garbage_left = 10
    failed = studio.jobs.wait(teacher, studio.expand_item(teacher, version.id, key), timeout=20)
    assert failed.status == "failed"
    fake_backend.garbage_left = 0
    retried = studio.retry_generation(teacher, failed.id, idempotency_key="retry-from-workspace")
    assert studio.jobs.wait(teacher, retried, timeout=20).status == "done"
    (link,) = studio.linked_documents(teacher, version.draft_id)
    assert (link.job_id, link.status) == (retried, "done")
    assert studio.expand_item(teacher, version.id, key) == retried  # a later click opens it, starts nothing
