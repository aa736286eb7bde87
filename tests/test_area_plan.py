"""区域活动材料计划 through the one pipeline: schema, scaffold (dates, hazards), code's rules, each
check with a passing and a failing example, the rewrites, versions in the store, Word, and the proof
that adding the type touched only its own files and one registration line."""

from __future__ import annotations

import datetime
import io
import json
from pathlib import Path

import pytest
from fakes import SECTION_ANSWERS, ScriptedBackend, answer_for

from lesson_studio.errors import InvalidInput, NotAllowed
from lesson_studio.pipeline import write
from lesson_studio.resource_types import REGISTERED, resource_type
from lesson_studio.resource_types.area_plan.checks import (
    apply_area_rules,
    check_area_plan,
    repair_by_code,
    validate_area_plan,
)
from lesson_studio.resource_types.area_plan.scaffold import build_area_scaffold, build_schedule, first_school_day
from lesson_studio.resource_types.area_plan.schema import (
    AreaDraft,
    AreaPlan,
    AreaPlanRequest,
    Level,
    Material,
)
from lesson_studio.resource_types.area_plan.writer import plan_from_drafts

ROOT = Path(__file__).resolve().parents[1]
AREA_KEYS = frozenset({"goal", "materials", "levels", "record_columns", "observation_focus"})
MONDAY = datetime.date(2026, 12, 7)


@pytest.fixture
def area_request() -> AreaPlanRequest:
    return AreaPlanRequest(
        class_name="中二班",
        teacher="王老师",
        age_band="中班",
        theme="给小熊做一顶戴得住的帽子",
        areas=["科学区", "美工区"],
        start_date=MONDAY,
        weeks=2,
        materials_on_hand=["旧报纸", "磁铁", "剪刀"],
    )


def kinds(defects) -> set[str]:
    return {defect.kind for defect in defects}


def written(request: AreaPlanRequest, **changes) -> AreaPlan:
    """A plan as the pipeline builds it from the fake's answer (every area the same), with the first
    area's fields changed and code's rules not yet applied (so the checks see exactly this)."""
    scaffold = build_area_scaffold(request)
    draft = AreaDraft.model_validate(SECTION_ANSWERS[AREA_KEYS])
    plan = apply_area_rules(plan_from_drafts({slot.area: draft for slot in scaffold.areas}, scaffold), scaffold)
    first = plan.areas[0].model_copy(update=changes)
    return plan.model_copy(update={"areas": [first, *plan.areas[1:]]})


# --- schema -----------------------------------------------------------------------------------------------


def test_a_plan_round_trips_through_json(area_request):
    plan = written(area_request)
    assert AreaPlan.model_validate_json(plan.model_dump_json()) == plan


def test_area_names_are_one_per_area_whatever_the_teacher_calls_them():
    request = AreaPlanRequest(
        class_name="中二班", teacher="王老师", theme="帽子", areas=["表演区", "探索区", "角色区"], start_date=MONDAY
    )
    assert request.areas == ["角色区", "科学区"]


@pytest.mark.parametrize("weeks", [0, 5])
def test_weeks_are_one_to_four(weeks):
    with pytest.raises(ValueError):
        AreaPlanRequest(
            class_name="中二班", teacher="王", theme="帽子", areas=["美工区"], start_date=MONDAY, weeks=weeks
        )


def test_an_edit_round_trips_through_the_pages_text_boxes(area_request):
    plan = written(area_request)
    assert plan.with_edits(plan.edit_texts()) == plan


def test_an_unreadable_material_line_names_the_area_part_and_line(area_request):
    plan = written(area_request)
    with pytest.raises(InvalidInput, match="美工区·材料”第2行.*materials of 美工区, line 2"):
        plan.with_edits({"美工区": {"materials": "纸盒｜3个｜低结构\n纸筒｜5个｜中结构"}})


# --- scaffold: the areas, the levels, the dates, the hazards ---------------------------------------------


def test_areas_come_in_codes_order_with_the_bands_levels(area_request):
    scaffold = build_area_scaffold(area_request)
    assert [slot.area for slot in scaffold.areas] == ["美工区", "科学区"]
    assert scaffold.level_names == ["层次一", "层次二", "层次三"]
    small = build_area_scaffold(area_request.model_copy(update={"age_band": "小班"}))
    assert small.level_names == ["层次一", "层次二"]


def test_the_schedule_puts_out_adjusts_and_replaces_on_school_days(area_request):
    schedule = build_area_scaffold(area_request).areas[0].schedule
    assert [(entry.date, entry.action) for entry in schedule] == [
        (datetime.date(2026, 12, 7), "投放"),
        (datetime.date(2026, 12, 10), "调整"),  # 层次二 after 3 of 10 school days
        (datetime.date(2026, 12, 16), "调整"),  # 层次三 after 7
        (datetime.date(2026, 12, 21), "更换"),  # the Monday after the two weeks
    ]
    assert "层次二" in schedule[1].what and "层次三" in schedule[2].what


@pytest.mark.parametrize("weeks", [1, 2, 3, 4])
@pytest.mark.parametrize("levels", [["层次一", "层次二"], ["层次一", "层次二", "层次三"]])
def test_schedule_dates_increase_and_never_fall_on_a_weekend(weeks, levels):
    start = datetime.date(2026, 12, 9)  # a Wednesday
    dates = [entry.date for entry in build_schedule(start, weeks, levels)]
    assert dates == sorted(set(dates)) and all(day.weekday() < 5 for day in dates)
    assert len(dates) == len(levels) + 1 and (dates[-1] - start).days == 7 * weeks


def test_a_weekend_start_moves_to_monday_and_says_so(area_request):
    scaffold = build_area_scaffold(area_request.model_copy(update={"start_date": datetime.date(2026, 12, 5)}))
    assert scaffold.start_date == first_school_day(datetime.date(2026, 12, 5)) == MONDAY
    assert "周末" in scaffold.warnings[0]


def test_a_banned_material_on_hand_becomes_a_named_exclusion_and_never_reaches_the_model(area_request):
    scaffold = build_area_scaffold(area_request)
    assert scaffold.materials_on_hand == ["旧报纸", "剪刀"]
    (magnet,) = scaffold.excluded_on_hand
    assert magnet.material == "磁铁" and "误吞" in magnet.reason
    assert any("磁铁" in warning for warning in scaffold.warnings)


@pytest.mark.parametrize(
    "band, material, banned, substitute",
    [
        ("小班", "串珠", True, "大颗粒材料"),  # small parts: 小班 only
        ("大班", "串珠", False, ""),
        ("大班", "美工刀", True, "教师预先切好"),  # sharp tools: every band
        ("中班", "玻璃瓶", True, ""),
        ("大班", "纽扣电池", True, ""),
        ("中班", "磁铁", True, ""),
        ("中班", "纸盒", False, ""),
    ],
)
def test_hazards_follow_the_table_by_age_band(area_request, band, material, banned, substitute):
    scaffold = build_area_scaffold(area_request.model_copy(update={"age_band": band, "materials_on_hand": [material]}))
    assert bool(scaffold.excluded_on_hand) == banned
    if banned:
        assert scaffold.excluded_on_hand[0].substitute.startswith(substitute)
    if substitute:  # what children use instead is offered to the model
        assert scaffold.materials_on_hand[0].startswith(substitute)


# --- code's rules ----------------------------------------------------------------------------------------


def test_the_rules_take_out_a_banned_material_name_it_and_add_the_substitute(area_request):
    small = area_request.model_copy(update={"age_band": "小班", "materials_on_hand": []})
    scaffold = build_area_scaffold(small)
    plan = written(small, materials=[Material(name="串珠", quantity="每组1盒"), Material(name="纸盒", quantity="3个")])
    ruled = apply_area_rules(plan, scaffold)
    names = [item.name for item in ruled.areas[0].materials]
    assert "串珠" not in names and names[0] == "大颗粒材料（不能整个塞进卷纸芯筒口）"
    (exclusion,) = ruled.areas[0].exclusions
    assert exclusion.material == "串珠" and "误食" in exclusion.reason
    assert any("串珠" in warning for warning in ruled.warnings)
    assert apply_area_rules(ruled, scaffold) == ruled


def test_the_rules_put_back_codes_structure_whatever_was_written(area_request):
    scaffold = build_area_scaffold(area_request)
    edited = written(area_request, schedule=[], record_how="写一写")
    plan = edited.model_copy(update={"teacher": "", "title": "别的标题", "areas": list(reversed(edited.areas))})
    ruled = apply_area_rules(plan, scaffold)
    assert [section.area for section in ruled.areas] == ["美工区", "科学区"]
    assert ruled.teacher == "王老师" and ruled.title == scaffold.title
    assert all(section.schedule == scaffold.areas[0].schedule for section in ruled.areas)
    assert ruled.areas[0].record_how == scaffold.record_how and "不打分" in ruled.areas[0].record_how


def test_levels_are_listed_easiest_first_and_named_by_position(area_request):
    scaffold = build_area_scaffold(area_request)
    plan = written(
        area_request,
        levels=[Level(name="", challenge="换一种办法", difficulty=3), Level(name="", challenge="摆一摆", difficulty=1)],
    )
    levels = apply_area_rules(plan, scaffold).areas[0].levels
    assert [(level.name, level.challenge) for level in levels] == [("层次一", "摆一摆"), ("层次二", "换一种办法")]


def test_scissors_and_sand_bring_their_safety_notes(area_request):
    request = area_request.model_copy(update={"areas": ["沙水区"]})
    plan = written(request, materials=[Material(name="剪刀", quantity="每组2把", structure="高结构")])
    notes = apply_area_rules(plan, build_area_scaffold(request)).areas[0].safety_notes
    assert any("剪刀" in note for note in notes) and any("沙" in note for note in notes)


# --- each check: a passing and a failing example (table-driven) ------------------------------------------

CASES = [
    # kind, the first area's fields that fail, the band
    ("unsafe_material", {"materials": [Material(name="美工刀", quantity="1把", structure="高结构")]}, "中班"),
    ("unsafe_material", {"materials": [Material(name="彩色珠子", quantity="每组1盒", structure="低结构")]}, "小班"),
    ("levels", {"levels": [Level(name="层次一", challenge="摆一摆材料", difficulty=1)]}, "中班"),
    (
        "levels",
        {
            "levels": [
                Level(name="层次一", challenge="摆一摆材料", difficulty=2),
                Level(name="层次二", challenge="做一个帽子", difficulty=2),
            ]
        },
        "中班",
    ),
    (
        "levels",
        {
            "levels": [
                Level(name="层次一", challenge="做一个帽子", difficulty=1),
                Level(name="层次二", challenge="做一个帽子。", difficulty=2),
            ]
        },
        "中班",
    ),
    ("no_low_structure", {"materials": [Material(name="拼插积木", quantity="2套", structure="高结构")]}, "中班"),
    ("scoring_record", {"record_columns": ["日期", "得分"]}, "中班"),
    ("scoring_record", {"record_columns": ["我的办法（画一画）", "谁最快"]}, "大班"),
    ("missing_quantity", {"materials": [Material(name="纸盒", quantity="若干", structure="低结构")]}, "中班"),
    ("missing_quantity", {"materials": [Material(name="纸盒", quantity="", structure="低结构")]}, "中班"),
]


@pytest.mark.parametrize("kind, failing, band", CASES)
def test_each_check_fails_its_bad_example_and_passes_the_good_one(area_request, kind, failing, band):
    request = area_request.model_copy(update={"age_band": band, "materials_on_hand": []})
    scaffold = build_area_scaffold(request)
    assert kind not in kinds(check_area_plan(written(request), scaffold))
    found = [defect for defect in check_area_plan(written(request, **failing), scaffold) if defect.kind == kind]
    assert found and found[0].section == "area:美工区" and "/" in found[0].message  # Chinese / English


def test_scoring_columns_are_dropped_by_code_and_the_sheet_stays_drawable(area_request):
    scaffold = build_area_scaffold(area_request)
    repaired = repair_by_code(written(area_request, record_columns=["得分", "排名"]), scaffold)
    columns = repaired.areas[0].record_columns
    assert len(columns) == 2 and not {"得分", "排名"} & set(columns)
    assert "scoring_record" not in kinds(check_area_plan(repaired, scaffold))


def test_a_problem_is_written_again_once_with_the_rule_named_then_repaired_by_code(area_request):
    scaffold = build_area_scaffold(area_request)
    plan = written(
        area_request,
        materials=[Material(name="拼插积木", quantity="若干", structure="高结构")],
        levels=[Level(name="层次一", challenge="拼一拼", difficulty=1)],
    )
    asked = []

    def stubborn(current, area, fix):  # the model keeps writing the same area
        asked.append((area, fix))
        return next(section for section in current.areas if section.area == area)

    repaired, report = validate_area_plan(plan, scaffold, stubborn)
    assert len(asked) == 1 and asked[0][0] == "美工区"
    assert "低结构" in asked[0][1] and "层次" in asked[0][1] and "数量" in asked[0][1]
    assert {"levels", "no_low_structure", "missing_quantity"} <= kinds(report.before) and report.after == []
    section = repaired.areas[0]
    assert [level.name for level in section.levels] == ["层次一", "层次二", "层次三"]
    assert any(item.structure == "低结构" for item in section.materials)
    assert section.materials[0].quantity == "每区1套"


def test_a_better_rewrite_is_kept(area_request):
    scaffold = build_area_scaffold(area_request)
    plan = written(area_request, levels=[Level(name="层次一", challenge="拼一拼", difficulty=1)])
    good = written(area_request).areas[0]
    repaired, report = validate_area_plan(plan, scaffold, lambda current, area, fix: good)
    assert repaired.areas[0].levels == good.levels and report.rewrites == 1 and report.after == []


# --- the pipeline, the store and Word ---------------------------------------------------------------------


def test_the_pipeline_writes_one_call_per_area_inside_the_scaffold(area_request):
    backend = ScriptedBackend()
    progress = []
    plan = write(
        resource_type("area_plan"),
        area_request,
        backend=backend,
        on_progress=lambda p: progress.append((p.sections_done(), p.sections_total())),
    ).plan
    assert isinstance(plan, AreaPlan) and [section.area for section in plan.areas] == ["美工区", "科学区"]
    assert len(backend.calls) == 2 and (1, 2) in progress and progress[-1] == (2, 2)
    assert "这次写的区域：美工区" in backend.calls[0][-1]["content"]
    assert "这次写的区域：科学区" in backend.calls[1][-1]["content"]
    prompt = backend.prompts_text()
    assert "给小熊做一顶戴得住的帽子" in prompt and "旧报纸、剪刀" in prompt
    assert "教师现有的材料：旧报纸、剪刀" in prompt  # the banned 磁铁 is not offered
    assert [item.material for item in plan.exclusions] == ["磁铁"]
    assert plan.areas[0].schedule[0].date == MONDAY and plan.areas[0].levels[0].name == "层次一"


def test_a_banned_material_from_the_model_is_rewritten_once_with_the_rule_then_removed(area_request):
    small = area_request.model_copy(update={"age_band": "小班", "areas": ["益智区"], "materials_on_hand": []})
    beads = dict(
        SECTION_ANSWERS[AREA_KEYS],
        materials=[
            {"name": "串珠", "quantity": "每组1盒", "structure": "低结构"},
            *SECTION_ANSWERS[AREA_KEYS]["materials"],
        ],
    )

    def respond(messages, schema):  # the model names 串珠 both times
        return json.dumps(beads, ensure_ascii=False)

    backend = ScriptedBackend(respond=respond)
    result = write(resource_type("area_plan"), small, backend=backend)
    assert len(backend.calls) == 2
    assert "串珠" in backend.calls[1][-1]["content"] and "不能投放给小班" in backend.calls[1][-1]["content"]
    section = result.plan.areas[0]
    assert "串珠" not in [item.name for item in section.materials]
    assert section.exclusions[0].material == "串珠" and section.exclusions[0].substitute
    assert "unsafe_material" in kinds(result.checks.before) and result.checks.after == []


def test_a_rewrite_that_drops_the_banned_material_is_used(area_request):
    small = area_request.model_copy(update={"age_band": "小班", "areas": ["益智区"], "materials_on_hand": []})
    beads = dict(SECTION_ANSWERS[AREA_KEYS], materials=[{"name": "串珠", "quantity": "1盒", "structure": "低结构"}])
    answers = iter([json.dumps(beads, ensure_ascii=False)])
    backend = ScriptedBackend(respond=lambda messages, schema: next(answers, None) or answer_for(schema))
    plan = write(resource_type("area_plan"), small, backend=backend).plan
    assert len(backend.calls) == 2 and plan.areas[0].exclusions == []
    assert [item.name for item in plan.areas[0].materials] == ["纸盒", "纸筒", "拼插积木"]


def test_a_plan_is_generated_saved_and_versioned_like_a_plan(settings, fake_backend, teacher, area_request):
    from lesson_studio.studio import Studio

    studio = Studio(settings)
    view = studio.jobs.wait(
        teacher, studio.submit_resource(teacher, "area_plan", area_request, idempotency_key="area"), timeout=10
    )
    assert view.status == "done", view.error
    version, kind, plan = studio.open_document(teacher, view.version_id)
    assert kind == "area_plan" and isinstance(plan, AreaPlan) and version.number == 1
    assert [draft.id for draft in studio.documents(teacher, "area_plan")] == [version.draft_id]
    assert studio.list_plans(teacher) == [] and studio.documents(teacher, "parent_letter") == []
    assert studio.document_findings(teacher, version.id) == []


def test_an_edit_is_a_new_version_with_the_rules_applied_again_and_the_checks_said(
    settings, fake_backend, teacher, area_request
):
    from lesson_studio.studio import Studio

    studio = Studio(settings)
    view = studio.jobs.wait(
        teacher, studio.submit_resource(teacher, "area_plan", area_request, idempotency_key="e"), timeout=10
    )
    version, _, plan = studio.open_document(teacher, view.version_id)
    edited = plan.with_edits(
        {"美工区": {"materials": "美工刀｜1把｜高结构\n拼插积木｜若干｜高结构", "record_columns": "日期、得分"}}
    )
    saved = studio.save_document(teacher, version.draft_id, edited, base_version_id=version.id)
    assert saved.number == 2 and [v.number for v in studio.versions(teacher, version.draft_id)] == [1, 2]
    kept = studio.open_document(teacher, saved.id)[2].areas[0]
    assert "美工刀" not in [item.name for item in kept.materials]  # safety is code's, an edit cannot override it
    assert kept.exclusions[0].material == "美工刀"
    findings = " ".join(studio.document_findings(teacher, saved.id))
    assert "打分" in findings and "低结构" in findings and "数量" in findings


def test_only_the_author_and_curators_read_a_plan_and_only_the_author_saves(
    settings, fake_backend, teacher, other_teacher, area_request
):
    from lesson_studio.studio import Studio

    studio = Studio(settings)
    view = studio.jobs.wait(
        teacher, studio.submit_resource(teacher, "area_plan", area_request, idempotency_key="a"), timeout=10
    )
    with pytest.raises(NotAllowed):
        studio.open_document(other_teacher, view.version_id)
    with pytest.raises(NotAllowed):
        studio.export_document_docx(other_teacher, view.version_id)
    assert studio.documents(other_teacher, "area_plan") == []
    lead = studio.store.ensure_user("lead", role="lead")
    version, kind, plan = studio.open_document(lead, view.version_id)
    assert kind == "area_plan"
    for someone in (other_teacher, lead):
        with pytest.raises(NotAllowed):
            studio.save_document(someone, version.draft_id, plan, base_version_id=version.id)


def test_the_word_plan_reopens_with_every_part(settings, fake_backend, teacher, area_request):
    from docx import Document

    from lesson_studio.studio import Studio

    studio = Studio(settings)
    view = studio.jobs.wait(
        teacher, studio.submit_resource(teacher, "area_plan", area_request, idempotency_key="w"), timeout=10
    )
    document = Document(io.BytesIO(studio.export_document_docx(teacher, view.version_id)))
    paragraphs = [paragraph.text for paragraph in document.paragraphs]
    text = "\n".join(paragraphs)
    assert paragraphs[0] == "给小熊做一顶戴得住的帽子·区域活动材料计划"
    assert paragraphs[1] == "中二班（中班）　王老师　2026年12月7日—2026年12月18日（2周）"
    assert "一、美工区" in paragraphs and "二、科学区" in paragraphs
    assert "层次一：自由摆弄材料，说说发现了什么" in text and "层次三：和同伴一起换一种办法再做一个" in text
    assert any(p.startswith("不投放的现有材料：磁铁") for p in paragraphs)
    assert paragraphs[-1].startswith("安全提示：")
    tables = [[[cell.text for cell in row.cells] for row in table.rows] for table in document.tables]
    materials, record, schedule = tables[:3]
    assert materials[0] == ["材料", "数量", "结构"] and ["纸盒", "每组3个", "低结构"] in materials
    assert record[0] == ["日期", "我用了什么（画一画）", "我的办法（画一画）"] and record[1] == ["", "", ""]
    assert schedule[0] == ["日期", "安排", "内容"] and [row[1] for row in schedule[1:]] == [
        "投放",
        "调整",
        "调整",
        "更换",
    ]
    assert schedule[-1][0] == "2026年12月21日"
    assert "区域活动材料计划" in document.sections[0].header.paragraphs[0].text


def test_a_bad_form_field_is_named_in_chinese_and_english():
    from lesson_studio.studio import Studio

    form = {"class_name": "中二班", "teacher": "王老师", "theme": "帽子", "areas": ["美工区"], "start_date": MONDAY}
    with pytest.raises(InvalidInput, match="区域.*areas"):
        Studio.resource_request_from_form("area_plan", form | {"areas": []})
    with pytest.raises(InvalidInput, match="周数.*weeks"):
        Studio.resource_request_from_form("area_plan", form | {"weeks": 6})
    with pytest.raises(InvalidInput, match="主题.*theme"):
        Studio.resource_request_from_form("area_plan", form | {"theme": " "})
    request = Studio.resource_request_from_form("area_plan", form | {"materials_on_hand": "纸盒、旧报纸"})
    assert request.materials_on_hand == ["纸盒", "旧报纸"]


# --- the proof that the pipeline is one -------------------------------------------------------------------


def test_adding_the_type_touched_only_its_own_files_and_one_registration_line():
    """Outside its own package, the core names the area plan on exactly one line: its entry in
    resource_types.REGISTERED."""
    own = ROOT / "lesson_studio" / "resource_types" / "area_plan"
    mentions = [
        (path.relative_to(ROOT).as_posix(), line.strip())
        for path in sorted((ROOT / "lesson_studio").rglob("*.py"))
        if own not in path.parents
        for line in path.read_text(encoding="utf-8").splitlines()
        if "area_plan" in line or "区域活动材料计划" in line or "AreaPlan" in line
    ]
    assert mentions == [
        ("lesson_studio/resource_types/__init__.py", '"lesson_studio.resource_types.area_plan:AREA_PLAN",')
    ]
    assert sum("area_plan" in entry for entry in REGISTERED) == 1
    assert all((ROOT / "prompts" / f"{name}.md").exists() for name in resource_type("area_plan").prompts)


def test_the_plans_prompts_are_rendered_with_all_their_variables(monkeypatch, area_request):
    from lesson_studio.prompts import render, variables
    from lesson_studio.resource_types.area_plan import writer

    rendered = set()

    def recording_render(name, **values):
        assert set(values) == variables(name)
        rendered.add(name)
        return render(name, **values)

    monkeypatch.setattr(writer, "render", recording_render)
    write(resource_type("area_plan"), area_request, backend=ScriptedBackend())
    assert rendered == set(resource_type("area_plan").prompts)
