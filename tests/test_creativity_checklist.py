"""创造力观察清单 through the one pipeline: schema, scaffold, code's rules, each check with a passing
and a failing example, the rewrite then code's drop, versions in the store (only the author and
curators read it), Word reopened with no total anywhere, and the proof that adding the type touched
only its own files and one registration line."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pytest
from fakes import SECTION_ANSWERS, ScriptedBackend, answer_for

from lesson_studio.errors import InvalidInput, NotAllowed
from lesson_studio.pipeline import write
from lesson_studio.resource_types import REGISTERED, resource_type
from lesson_studio.resource_types.creativity_checklist.checks import (
    CHECKS,
    apply_checklist_rules,
    check_checklist,
    repair_by_code,
    validate_checklist,
)
from lesson_studio.resource_types.creativity_checklist.export import COLUMNS, checklist_docx
from lesson_studio.resource_types.creativity_checklist.scaffold import DISPOSITIONS, build_checklist_scaffold
from lesson_studio.resource_types.creativity_checklist.schema import (
    MARKS,
    ChecklistDraft,
    ChecklistRequest,
    CreativityChecklist,
)
from lesson_studio.resource_types.creativity_checklist.writer import checklist_from_draft

ROOT = Path(__file__).resolve().parents[1]
KIND = "creativity_checklist"
DRAFT_KEYS = frozenset({"fluency", "flexibility", "originality", "elaboration"})
DIMENSIONS = ["流畅性", "变通性", "独创性", "精细性"]
# Nothing that sums, grades or ranks may appear in a checklist a teacher prints.
TOTALS = re.compile(r"总分|得分|合计|总计|平均|排名|名次|等级|分数|[0-9]+分(?!钟)")


@pytest.fixture
def checklist_request() -> ChecklistRequest:
    return ChecklistRequest(
        class_name="中二班",
        age_band="中班",
        activity="给小熊做一顶戴得住的帽子",
        date="2026年12月7日",
        teacher="王老师",
        children=["小明", "小红"],
    )


def kinds(defects) -> set[str]:
    return {defect.kind for defect in defects}


def written(request: ChecklistRequest, **dimensions) -> CreativityChecklist:
    """The checklist as the pipeline builds it from the fake's look-fors, some dimensions changed."""
    draft = json.loads(json.dumps(SECTION_ANSWERS[DRAFT_KEYS]))
    for name, changes in dimensions.items():
        draft[name].update(changes)
    scaffold = build_checklist_scaffold(request)
    return apply_checklist_rules(checklist_from_draft(ChecklistDraft.model_validate(draft), scaffold), scaffold)


def recorded(checklist: CreativityChecklist, mark: str, evidence: str, item_id: str = "fluency") -> CreativityChecklist:
    return checklist.with_records({(0, item_id): (mark, evidence)})


# --- schema and scaffold -------------------------------------------------------------------------


def test_a_checklist_round_trips_through_json(checklist_request):
    checklist = recorded(written(checklist_request), "经常", "他说了报纸折、毛线系、夹子夹三种办法。")
    assert CreativityChecklist.model_validate_json(checklist.model_dump_json()) == checklist


def test_the_scaffold_has_the_four_dimensions_then_the_dispositions_and_a_sheet_per_child(checklist_request):
    scaffold = build_checklist_scaffold(checklist_request)
    assert [item.name for item in scaffold.items[:4]] == DIMENSIONS
    assert [item.kind for item in scaffold.items] == ["dimension"] * 4 + ["disposition"] * len(DISPOSITIONS)
    assert {"提出问题", "借同伴的点子", "不怕失败", "试后再改"} <= {item.name for item in scaffold.items}
    assert all(item.look_fors for item in scaffold.items if item.kind == "disposition")
    assert scaffold.children == ["小明", "小红"]
    assert "中班" in scaffold.band_note or "几个办法" in scaffold.band_note


def test_no_names_gives_one_blank_sheet(checklist_request):
    scaffold = build_checklist_scaffold(checklist_request.model_copy(update={"children": []}))
    assert scaffold.children == [""]


@pytest.mark.parametrize(
    "typed",
    ["小明\n小红\n\n", "小明、小红", "小明，小红", "小明,小红", ["小明\n小红"], "小明、小明\n小红"],
)
def test_names_come_one_a_line_or_separated_by_commas(typed):
    assert ChecklistRequest(activity="做帽子", children=typed).children == ["小明", "小红"]


def test_the_marks_are_the_three_observation_marks():
    assert MARKS == ("未观察到", "偶尔", "经常")


# --- code's rules ----------------------------------------------------------------------------------


def test_the_rules_put_back_the_structure_and_a_sheet_per_child_but_keep_the_teachers_marks(checklist_request):
    scaffold = build_checklist_scaffold(checklist_request)
    checklist = recorded(written(checklist_request), "偶尔", "她把报纸卷成筒当帽檐。", "originality")
    edited = checklist.model_copy(
        update={"title": "别的", "teacher": "", "items": checklist.items[:2], "sheets": checklist.sheets[:1]}
    )
    ruled = apply_checklist_rules(edited, scaffold)
    assert ruled.title == scaffold.title and ruled.teacher == "王老师"
    assert [item.id for item in ruled.items] == [item.id for item in scaffold.items]
    assert [sheet.child for sheet in ruled.sheets] == ["小明", "小红"]
    assert ruled.sheets[0].record("originality").mark == "偶尔"
    assert ruled.sheets[0].record("originality").evidence == "她把报纸卷成筒当帽檐。"
    assert all(len(sheet.records) == len(scaffold.items) for sheet in ruled.sheets)
    assert ruled.items[2].look_fors  # a dimension the edit lost gets code's look-for back
    assert apply_checklist_rules(ruled, scaffold) == ruled


# --- each check: a passing and a failing example ----------------------------------------------------

EXAMPLES = [
    # (kind, dimension, look-for that fails, look-for that passes)
    ("score", "fluency", "说出三个办法得3分，按办法多少排名", "为同一个问题说出三个不同的办法"),
    ("score", "fluency", "说出的办法最多的幼儿是第一名", "听到“还有呢”后又想出一个新办法"),
    ("score", "flexibility", "按优良差三个等级给幼儿换做法打分", "一种办法不行时换另一种做法"),
    ("label", "originality", "聪明的幼儿会做出不一样的帽子", "做出一种班里其他幼儿没有用过的帽子"),
    ("label", "elaboration", "调皮的孩子不给帽子添细节", "给帽子添上帽檐、花边等细节"),
    ("not_observable", "originality", "想法很好，有创造力的表现", "把报纸用在和平常不一样的地方"),
    ("not_observable", "elaboration", "对帽子的兴趣浓厚而持久", "试戴以后动手改进自己的帽子"),
]


@pytest.mark.parametrize(("kind", "dimension", "failing", "passing"), EXAMPLES)
def test_each_check_on_a_look_for(checklist_request, kind, dimension, failing, passing):
    scaffold = build_checklist_scaffold(checklist_request)
    bad = written(checklist_request, **{dimension: {"look_fors": [failing, passing]}})
    good = written(checklist_request, **{dimension: {"look_fors": [passing, passing + "。"]}})
    (found,) = [defect for defect in check_checklist(bad, scaffold) if defect.kind == kind]
    assert found.section == f"item:{dimension}" and found.field == "look_for:1"
    assert "/" in found.message  # Chinese / English
    assert kind not in kinds(check_checklist(good, scaffold))


@pytest.mark.parametrize(
    ("kind", "failing", "passing"),
    [
        ("score", "这次他得分最高，总分9分。", "他说了折、系、夹三种办法。"),
        ("score", "三个维度平均下来是“偶尔”。", "她试了两次，第二次换成了毛线。"),
        ("label", "他很调皮，一直在玩报纸。", "他把报纸卷成筒，举起来当望远镜。"),
        ("label", "她很聪明，马上做好了。", "她先看同伴怎么折，再折了自己的。"),
    ],
)
def test_each_check_on_a_teachers_evidence(checklist_request, kind, failing, passing):
    scaffold = build_checklist_scaffold(checklist_request)
    bad = recorded(written(checklist_request), "经常", failing)
    (found,) = [defect for defect in check_checklist(bad, scaffold) if defect.kind == kind]
    assert found.section == "sheet:0" and found.field == "evidence:fluency" and "小明" in found.message
    assert kind not in kinds(check_checklist(recorded(written(checklist_request), "经常", passing), scaffold))


@pytest.mark.parametrize(
    ("mark", "evidence", "flagged"),
    [
        ("经常", "", True),
        ("偶尔", "  ", True),
        ("经常", "他说了三种办法。", False),
        ("未观察到", "", False),
        ("", "", False),
    ],
)
def test_a_mark_other_than_not_observed_needs_an_evidence_sentence(checklist_request, mark, evidence, flagged):
    checklist = recorded(written(checklist_request), mark, evidence)
    found = [
        d
        for d in check_checklist(checklist, build_checklist_scaffold(checklist_request))
        if d.kind == "evidence_missing"
    ]
    assert bool(found) == flagged
    if flagged:
        assert found[0].field == "evidence:fluency" and "流畅性" in found[0].message


@pytest.mark.parametrize(
    "innocent", ["用3分钟试一试", "和同伴分享自己的帽子", "把办法分类贴在墙上", "十分认真地折帽檐"]
)
def test_minutes_sharing_and_sorting_are_not_scores(checklist_request, innocent):
    checklist = written(checklist_request, fluency={"look_fors": [innocent, "说出两个不同的办法"]})
    assert "score" not in kinds(check_checklist(checklist, build_checklist_scaffold(checklist_request)))


def test_the_fake_answer_passes_every_check(checklist_request):
    assert check_checklist(written(checklist_request), build_checklist_scaffold(checklist_request)) == []
    assert {check.kind for check in CHECKS} == {"score", "label", "not_observable", "evidence_missing"}


# --- repairs: the model once with the problem named, then code drops what is left -----------------


def test_code_drops_a_scoring_look_for_and_sentence_and_tells_the_teacher(checklist_request):
    scaffold = build_checklist_scaffold(checklist_request)
    checklist = written(
        checklist_request,
        fluency={
            "look_fors": ["说出的办法最多的是第一名", "为同一个问题说出三个办法"],
            "how_to_observe": "数一数办法。每个办法记1分。",
        },
    )
    repaired = repair_by_code(checklist, scaffold)
    assert repaired.items[0].look_fors == ["为同一个问题说出三个办法"]
    assert repaired.items[0].how_to_observe == "数一数办法。"
    assert any("流畅性" in warning for warning in repaired.warnings)
    assert check_checklist(repaired, scaffold) == []


def test_a_dimension_with_no_usable_look_for_gets_codes_own(checklist_request):
    scaffold = build_checklist_scaffold(checklist_request)
    checklist = written(checklist_request, originality={"look_fors": ["这个孩子很有创造力", "想象力丰富的孩子"]})
    repaired = repair_by_code(checklist, scaffold)
    assert repaired.items[2].look_fors == ["想出一个班里其他幼儿没有用过的办法"]


def test_the_model_rewrites_once_with_the_problem_named_then_code_drops_what_is_left(checklist_request):
    scaffold = build_checklist_scaffold(checklist_request)
    checklist = written(checklist_request, fluency={"look_fors": ["说出三个办法得3分", "为同一个问题说出三个办法"]})
    asked = []

    def stubborn(current, fix):  # the model keeps scoring
        asked.append(fix)
        return current

    repaired, report = validate_checklist(checklist, scaffold, stubborn)
    assert len(asked) == 1 and "打分" in asked[0] and "3分" in asked[0]  # the problem and the words named
    assert report.rewrites == 1 and "score" in kinds(report.before) and report.after == []
    assert repaired.items[0].look_fors == ["为同一个问题说出三个办法"]


def test_a_model_checklist_that_scores_is_rewritten_through_the_pipeline(checklist_request):
    scoring = json.loads(json.dumps(SECTION_ANSWERS[DRAFT_KEYS]))
    scoring["originality"]["look_fors"] = ["独创的办法加2分，评出第一名", "把报纸用在和平常不一样的地方"]
    answers = iter([json.dumps(scoring, ensure_ascii=False)])

    def respond(messages, schema):
        return next(answers, None) or answer_for(schema)

    backend = ScriptedBackend(respond=respond)
    result = write(resource_type(KIND), checklist_request, backend=backend)
    assert len(backend.calls) == 2 and "打分" in backend.calls[1][-1]["content"]
    assert result.plan.items[2].look_fors == SECTION_ANSWERS[DRAFT_KEYS]["originality"]["look_fors"]
    assert "score" in kinds(result.checks.before) and result.checks.after == []


# --- the pipeline, the store and Word ---------------------------------------------------------------


def test_the_pipeline_writes_the_look_fors_inside_the_scaffold(checklist_request):
    backend = ScriptedBackend()
    checklist = write(resource_type(KIND), checklist_request, backend=backend).plan
    assert isinstance(checklist, CreativityChecklist)
    assert [item.name for item in checklist.items[:4]] == DIMENSIONS
    assert checklist.items[0].look_fors == SECTION_ANSWERS[DRAFT_KEYS]["fluency"]["look_fors"]
    assert [sheet.child for sheet in checklist.sheets] == ["小明", "小红"]
    assert all(record.mark == "" for sheet in checklist.sheets for record in sheet.records)
    assert len(backend.calls) == 1
    prompt = backend.prompts_text()
    assert "给小熊做一顶戴得住的帽子" in prompt and "中班" in prompt
    assert "小明" not in prompt  # the children's names never reach the model


def _generated(studio, teacher, request, key):
    view = studio.jobs.wait(teacher, studio.submit_resource(teacher, KIND, request, idempotency_key=key), timeout=10)
    assert view.status == "done", view.error
    return studio.open_document(teacher, view.version_id)


def test_a_checklist_is_generated_saved_and_recorded_as_a_new_version(
    settings, fake_backend, teacher, checklist_request
):
    from lesson_studio.studio import Studio

    studio = Studio(settings)
    version, kind, checklist = _generated(studio, teacher, checklist_request, "c")
    assert kind == KIND and isinstance(checklist, CreativityChecklist) and version.number == 1
    assert [draft.id for draft in studio.documents(teacher, KIND)] == [version.draft_id]
    assert studio.list_plans(teacher) == []  # 我的教案 lists lesson plans only
    marked = checklist.with_records({(1, "persists"): ("经常", "帽子掉了三次，她每次都换个办法再系。")})
    saved = studio.save_document(teacher, version.draft_id, marked, base_version_id=version.id)
    assert saved.number == 2
    kept = studio.open_document(teacher, saved.id)[2]
    assert kept.sheets[1].record("persists").mark == "经常"
    assert studio.document_findings(teacher, saved.id) == []


def test_a_teachers_edit_that_scores_or_lacks_evidence_is_named(settings, fake_backend, teacher, checklist_request):
    from lesson_studio.studio import Studio

    studio = Studio(settings)
    version, _, checklist = _generated(studio, teacher, checklist_request, "s")
    edited = checklist.with_records(
        {(0, "fluency"): ("经常", "说了5个办法，得5分，全班第一名。"), (0, "originality"): ("偶尔", "")}
    )
    saved = studio.save_document(teacher, version.draft_id, edited, base_version_id=version.id)
    findings = studio.document_findings(teacher, saved.id)
    assert any("打分或排名" in finding and "小明" in finding for finding in findings)
    assert any("缺一句看到的事实" in finding for finding in findings)
    assert studio.document_findings(teacher, version.id) == []


def test_only_the_author_and_curators_read_a_checklist(
    settings, fake_backend, teacher, other_teacher, checklist_request
):
    from lesson_studio.studio import Studio

    studio = Studio(settings)
    version, _, checklist = _generated(studio, teacher, checklist_request, "r")
    with pytest.raises(NotAllowed):
        studio.open_document(other_teacher, version.id)
    with pytest.raises(NotAllowed):
        studio.export_document_docx(other_teacher, version.id)
    assert studio.documents(other_teacher, KIND) == []
    for role in ("lead", "admin"):
        assert studio.open_document(studio.store.ensure_user(role, role=role), version.id)[1] == KIND


def test_only_the_author_records_marks(settings, fake_backend, teacher, other_teacher, checklist_request):
    from lesson_studio.studio import Studio

    studio = Studio(settings)
    version, _, checklist = _generated(studio, teacher, checklist_request, "a")
    marked = checklist.with_records({(0, "fluency"): ("经常", "他说了三种办法。")})
    with pytest.raises(NotAllowed):
        studio.save_document(other_teacher, version.draft_id, marked, base_version_id=version.id)
    lead = studio.store.ensure_user("lead", role="lead")
    with pytest.raises(NotAllowed):
        studio.save_document(lead, version.draft_id, marked, base_version_id=version.id)


def test_the_word_checklist_reopens_with_a_table_per_child_and_no_total(
    settings, fake_backend, teacher, checklist_request
):
    from docx import Document

    from lesson_studio.studio import Studio

    studio = Studio(settings)
    version, _, checklist = _generated(studio, teacher, checklist_request, "w")
    marked = checklist.with_records(
        {(0, "fluency"): ("经常", "他说了折、系、夹三种办法。"), (0, "persists"): ("偶尔", "帽子掉了，他又系了一次。")}
    )
    saved = studio.save_document(teacher, version.draft_id, marked, base_version_id=version.id)
    document = Document(io.BytesIO(studio.export_document_docx(teacher, saved.id)))
    paragraphs = [paragraph.text for paragraph in document.paragraphs]
    assert paragraphs[0] == "创造力观察清单：给小熊做一顶戴得住的帽子"
    assert "幼儿：小明" in paragraphs and "幼儿：小红" in paragraphs
    assert len(document.tables) == 2
    first = document.tables[0]
    assert [cell.text for cell in first.rows[0].cells] == list(COLUMNS)  # no total column
    rows = {row.cells[0].text: [cell.text for cell in row.cells] for row in first.rows[1:]}
    assert list(rows)[:4] == DIMENSIONS and len(rows) == 4 + len(DISPOSITIONS)
    assert rows["流畅性"][1].split("\n") == SECTION_ANSWERS[DRAFT_KEYS]["fluency"]["look_fors"]
    assert rows["流畅性"][2:] == ["□未观察到\n□偶尔\n☑经常", "他说了折、系、夹三种办法。"]
    assert rows["不怕失败"][2] == "□未观察到\n☑偶尔\n□经常"
    assert rows["独创性"][2] == "□未观察到\n□偶尔\n□经常"
    everything = "\n".join(
        paragraphs + [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    )
    assert not TOTALS.search(everything)


def test_a_blank_sheet_prints_lines_to_write_on():
    from docx import Document

    request = ChecklistRequest(activity="用积木搭一座小桥", age_band="大班")
    checklist = write(resource_type(KIND), request, backend=ScriptedBackend()).plan
    document = Document(io.BytesIO(checklist_docx(checklist)))
    paragraphs = [paragraph.text for paragraph in document.paragraphs]
    assert len(document.tables) == 1 and "幼儿：________" in paragraphs
    assert any(text.startswith("班级：________　年龄段：大班") for text in paragraphs)


def test_a_bad_form_field_is_named_in_chinese_and_english():
    from lesson_studio.studio import Studio

    with pytest.raises(InvalidInput, match="活动名称.*activity"):
        Studio.resource_request_from_form(KIND, {"class_name": "中二班", "activity": "  "})
    with pytest.raises(InvalidInput, match="观察的幼儿.*children"):
        Studio.resource_request_from_form(KIND, {"activity": "做帽子", "children": "小明、" + "长" * 21})
    request = Studio.resource_request_from_form(KIND, {"activity": "做帽子", "children": "小明、小红\n小刚"})
    assert request.children == ["小明", "小红", "小刚"]


# --- the proof that the pipeline is one -----------------------------------------------------------


def test_adding_the_type_touched_only_its_own_files_and_one_registration_line():
    """Outside its own package, the core names the checklist on exactly one line: its entry in
    resource_types.REGISTERED."""
    own = ROOT / "lesson_studio" / "resource_types" / "creativity_checklist"
    mentions = [
        (path.relative_to(ROOT).as_posix(), line.strip())
        for path in sorted((ROOT / "lesson_studio").rglob("*.py"))
        if own not in path.parents
        for line in path.read_text(encoding="utf-8").splitlines()
        if "creativity_checklist" in line or "创造力观察" in line or "CreativityChecklist" in line
    ]
    assert mentions == [
        (
            "lesson_studio/resource_types/__init__.py",
            '"lesson_studio.resource_types.creativity_checklist:CREATIVITY_CHECKLIST",',
        )
    ]
    assert sum("creativity_checklist" in entry for entry in REGISTERED) == 1
    assert all((ROOT / "prompts" / f"{name}.md").exists() for name in resource_type(KIND).prompts)


def test_the_checklists_prompts_are_rendered_with_all_their_variables(monkeypatch, checklist_request):
    from lesson_studio.prompts import render, variables
    from lesson_studio.resource_types.creativity_checklist import writer

    rendered = set()

    def recording_render(name, **values):
        assert set(values) == variables(name)
        rendered.add(name)
        return render(name, **values)

    monkeypatch.setattr(writer, "render", recording_render)
    write(resource_type(KIND), checklist_request, backend=ScriptedBackend())
    assert rendered == set(resource_type(KIND).prompts)
