"""观察记录 / 学习故事 through the one pipeline: schema, scaffold, code's rules, each check with a
passing and a failing example, the repairs, the 《指南》 lines by the align hook, versions in the
store, who may read it, Word, and the proof that adding the type touched only its own files and one
registration line."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from fakes import SECTION_ANSWERS, ScriptedBackend, answer_for

from lesson_studio.errors import InvalidInput, NotAllowed
from lesson_studio.library.catalogue import BandExpectation, Catalogue, DomainStandards, Goal, SubArea
from lesson_studio.pipeline import write
from lesson_studio.resource_types import REGISTERED, resource_type
from lesson_studio.resource_types.observation_record.checks import (
    apply_record_rules,
    check_record,
    invented_in,
    labels_in,
    numbers_in,
    validate_record,
)
from lesson_studio.resource_types.observation_record.export import record_docx
from lesson_studio.resource_types.observation_record.guidelines import NO_CATALOGUE, align_record
from lesson_studio.resource_types.observation_record.scaffold import SECTION_TITLES, build_observation_scaffold
from lesson_studio.resource_types.observation_record.schema import (
    GuidelineLine,
    ObservationRecord,
    ObservationRequest,
)

ROOT = Path(__file__).resolve().parents[1]
RECORD_KEYS = frozenset({"objective_record"})
ANALYSIS_KEYS = frozenset({"analysis", "support_strategies", "follow_up"})
NOTES = (
    "区域活动时乐乐在建构区用积木搭小桥，桥面放上小汽车后塌了两次。他先把两块长积木换成一块长木板，"
    "又在下面加了两根圆柱。最后小汽车开过去了，他拍手说：“我的桥不倒了！”"
)


@pytest.fixture
def observation_request() -> ObservationRequest:
    return ObservationRequest(
        class_name="中二班",
        age_band="中班",
        date="2026年12月7日",
        place="建构区",
        child="乐乐",
        observer="王老师",
        notes=NOTES,
        purpose="看乐乐遇到搭建问题时怎么想办法",
        activity="小桥搭搭乐",
    )


def kinds(defects) -> set[str]:
    return {defect.kind for defect in defects}


def written(observation_request, **changes) -> ObservationRecord:
    """A record as the pipeline builds it from the fake's answers, with some fields changed."""
    scaffold = build_observation_scaffold(observation_request)
    base = ObservationRecord(
        title="x",
        age_band="中班",
        class_name="x",
        date="x",
        place="x",
        child="x",
        observer="x",
        **SECTION_ANSWERS[RECORD_KEYS],
        **SECTION_ANSWERS[ANALYSIS_KEYS],
    )
    return apply_record_rules(base, scaffold).model_copy(update=changes)


def catalogue() -> Catalogue:
    """A made-up catalogue (no 《指南》 text): lines that share words with the fake record in each band,
    one in another domain, and one that shares nothing."""

    def bands(small: str, middle: list[str], large: str) -> list[BandExpectation]:
        return [
            BandExpectation(age_band="小班", age_label="3～4岁", lines=[small], chunk_ids=["g:1:3"]),
            BandExpectation(age_band="中班", age_label="4～5岁", lines=middle, chunk_ids=["g:1:4"]),
            BandExpectation(age_band="大班", age_label="5～6岁", lines=[large], chunk_ids=["g:1:5"]),
        ]

    science = Goal(
        number=2,
        title="喜欢动手试一试",
        bands=bands(
            "喜欢用积木搭小桥", ["遇到搭建问题能换材料再试一试", "喜欢听大人讲故事"], "能调整自己的办法让搭建更稳"
        ),
    )
    social = Goal(
        number=3, title="乐于和同伴交流", bands=bands("愿意和老师说话", ["愿意向同伴介绍自己的办法"], "能和同伴商量")
    )
    return Catalogue(
        document_id="g",
        version=1,
        title="《指南》（测试用）",
        domains=[
            DomainStandards(name="科学", sub_areas=[SubArea(name="科学探究", goals=[science])]),
            DomainStandards(name="社会", sub_areas=[SubArea(name="人际交往", goals=[social])]),
        ],
    )


# --- schema and scaffold -------------------------------------------------------------------------


def test_a_record_round_trips_through_json(observation_request):
    record = align_record(written(observation_request), catalogue())
    assert record.guideline_lines
    assert ObservationRecord.model_validate_json(record.model_dump_json()) == record


def test_the_scaffold_gives_the_title_and_the_headings_in_the_record_analysis_support_order(observation_request):
    scaffold = build_observation_scaffold(observation_request)
    assert scaffold.title == "乐乐的观察记录（小桥搭搭乐）"
    assert scaffold.section_titles == list(SECTION_TITLES)
    assert [title[:4] for title in scaffold.section_titles] == ["观察实录", "分析评价", "支持策略", "后续观察"]
    assert scaffold.warnings == [] and scaffold.notes_lack == []


def test_the_scaffold_tells_the_teacher_what_her_notes_label_and_lack(observation_request):
    notes = "乐乐今天很调皮，在建构区推倒了别人的积木。"  # no how, no result
    scaffold = build_observation_scaffold(observation_request.model_copy(update={"notes": notes, "activity": ""}))
    assert scaffold.title == "乐乐的观察记录（建构区）"
    assert "调皮" in scaffold.warnings[0]
    assert scaffold.notes_lack == ["how", "result"] and "结果" in scaffold.warnings[1]


# --- code's rules ----------------------------------------------------------------------------------


def test_the_rules_put_back_the_forms_facts_whatever_was_written(observation_request):
    scaffold = build_observation_scaffold(observation_request)
    edited = written(observation_request, child="小明", date="", place="美工区", observer="", title="改过的标题")
    ruled = apply_record_rules(edited, scaffold)
    assert (ruled.child, ruled.date, ruled.place, ruled.observer) == ("乐乐", "2026年12月7日", "建构区", "王老师")
    assert ruled.title == scaffold.title and ruled.section_titles == list(SECTION_TITLES)
    assert apply_record_rules(ruled, scaffold) == ruled


# --- each check: a passing and a failing example ----------------------------------------------------

CHECKS = [
    # (kind, what the failing record changes, the words named)
    ("label", {"objective_record": "乐乐很调皮，把积木推倒了。" + NOTES}, ("调皮",)),
    ("label", {"analysis": "乐乐是个聪明又胆小的孩子，搭桥时想了办法。"}, ("聪明", "胆小")),
    ("label", {"support_strategies": ["多鼓励这个害羞的孩子"]}, ("害羞",)),
    ("invented_detail", {"objective_record": NOTES + "他又说：“我要搭一座城堡。”"}, ("我要搭一座城堡。",)),
    ("invented_detail", {"objective_record": NOTES + "他一共试了5次。"}, ("5",)),
    ("invented_detail", {"objective_record": NOTES + "他坚持了十五分钟。"}, ("15",)),
    ("missing_fact", {"objective_record": "乐乐在建构区玩积木。"}, ("what", "how", "result")),
    ("missing_fact", {"objective_record": "乐乐在建构区先用积木搭桥，又用木板铺桥面。"}, ("result",)),
    ("missing_fact", {"child": " "}, ("who",)),
    ("missing_part", {"analysis": "", "support_strategies": []}, ("分析评价", "支持策略")),
    (
        "guideline_band",
        {"guideline_lines": [GuidelineLine(reference="大班 第1条", age_band="大班", text="x")]},
        ("大班 第1条",),
    ),
]


@pytest.mark.parametrize(("kind", "changes", "words"), CHECKS)
def test_each_check_flags_its_failing_example_and_names_what_it_found(observation_request, kind, changes, words):
    scaffold = build_observation_scaffold(observation_request)
    found = [
        defect for defect in check_record(written(observation_request, **changes), scaffold) if defect.kind == kind
    ]
    assert found and found[0].words == words
    assert "/" in found[0].message  # in Chinese and English
    passing = align_record(written(observation_request), None)
    assert kind not in kinds(check_record(passing, scaffold))


@pytest.mark.parametrize("text", ["请他多动手试一试，多动脑想办法。", "他搬起笨重的长木板。", "他把桥搭好了。"])
def test_words_that_only_look_like_labels_pass(text):
    assert labels_in(text) == []


def test_the_same_number_written_in_digits_or_chinese_is_not_invented():
    assert numbers_in("塌了两次，试了3遍") == {2, 3}
    assert invented_in("桥塌了2次，他试了三遍。", "桥塌了两次，他又试了3遍。") == []
    assert invented_in("他拿起一块积木。", "他拿起积木。") == []  # 一块 is an article here, not a count


def test_the_forms_facts_are_not_invented_details(observation_request):
    scaffold = build_observation_scaffold(observation_request)
    record = written(observation_request, objective_record="2026年12月7日，中二班的" + NOTES)
    assert "invented_detail" not in kinds(check_record(record, scaffold))


def test_a_record_linked_to_no_guideline_line_is_flagged_unless_it_says_why(observation_request):
    scaffold = build_observation_scaffold(observation_request)
    assert "guideline_missing" in kinds(check_record(written(observation_request), scaffold))
    assert "guideline_missing" not in kinds(check_record(align_record(written(observation_request), None), scaffold))
    assert "guideline_missing" not in kinds(
        check_record(align_record(written(observation_request), catalogue()), scaffold)
    )


def test_a_mixed_age_record_may_quote_any_band(observation_request):
    mixed = observation_request.model_copy(update={"age_band": "混龄"})
    line = GuidelineLine(reference="大班 第1条", age_band="大班", text="x")
    record = written(mixed, guideline_lines=[line], guideline_note="")
    assert "guideline_band" not in kinds(check_record(record, build_observation_scaffold(mixed)))


# --- repairs -----------------------------------------------------------------------------------------


def test_an_invented_detail_loses_its_sentence_by_code(observation_request):
    scaffold = build_observation_scaffold(observation_request)
    record = written(observation_request, objective_record=NOTES + "他一共试了5次。")
    repaired, report = validate_record(record, scaffold)
    assert repaired.objective_record == NOTES
    assert "invented_detail" in kinds(report.before) and "invented_detail" not in kinds(report.after)
    assert any("5" in warning for warning in repaired.warnings)


def test_a_label_is_rewritten_once_with_the_words_named_then_code_drops_the_sentence(observation_request):
    scaffold = build_observation_scaffold(observation_request)
    record = written(observation_request, analysis="乐乐很聪明。他遇到桥塌的问题没有停下，换了材料再试。")
    asked = []

    def stubborn(current, section, fix):  # the model keeps the label
        asked.append((section, fix))
        return current

    repaired, report = validate_record(record, scaffold, stubborn)
    assert len(asked) == 1 and asked[0][0] == "analysis" and "聪明" in asked[0][1]
    assert repaired.analysis == "他遇到桥塌的问题没有停下，换了材料再试。"
    assert "label" in kinds(report.before) and report.after == [] and report.rewrites == 1
    assert any("贴标签" in warning for warning in repaired.warnings)


def test_a_record_emptied_by_the_label_drop_falls_back_to_the_notes_unlabelled_sentences(observation_request):
    notes = "乐乐很调皮。" + NOTES * 8  # long notes: the fallback must still be a valid record
    request = observation_request.model_copy(update={"notes": notes})
    scaffold = build_observation_scaffold(request)
    record = written(request, objective_record="乐乐很调皮，一直不听话。")
    repaired, _ = validate_record(record, scaffold, lambda current, section, fix: current)
    assert repaired.objective_record == (NOTES * 8).strip() and labels_in(repaired.objective_record) == []
    assert ObservationRecord.model_validate_json(repaired.model_dump_json()) == repaired


def test_a_rewrite_that_describes_behaviour_is_kept(observation_request):
    scaffold = build_observation_scaffold(observation_request)
    record = written(observation_request, objective_record="乐乐很调皮。" + NOTES)

    def describes(current, section, fix):
        assert section == "record" and "调皮" in fix
        return current.model_copy(update={"objective_record": NOTES})

    repaired, report = validate_record(record, scaffold, describes)
    assert repaired.objective_record == NOTES and report.after == []
    assert not any("贴标签" in warning for warning in repaired.warnings)


def test_a_missing_result_is_asked_for_only_when_the_notes_hold_it(observation_request):
    left_out = "乐乐在建构区先用积木搭桥，又把两块长积木换成一块长木板。"
    asked = []

    def rewrite(current, section, fix):
        asked.append(fix)
        return current

    # The notes say how it ended: the model is asked once to put it back.
    scaffold = build_observation_scaffold(observation_request)
    _, report = validate_record(written(observation_request, objective_record=left_out), scaffold, rewrite)
    assert len(asked) == 1 and "结果" in asked[0] and "missing_fact" in kinds(report.after)
    # The notes do not: nothing is asked (never made up), the teacher is told instead.
    asked.clear()
    silent = observation_request.model_copy(update={"notes": left_out})
    scaffold = build_observation_scaffold(silent)
    repaired, report = validate_record(written(silent, objective_record=left_out), scaffold, rewrite)
    assert asked == [] and "missing_fact" in kinds(report.after)
    assert any("结果" in warning for warning in repaired.warnings)


# --- the 《指南》 lines (the align hook) ---------------------------------------------------------------


def test_the_analysis_is_linked_to_verbatim_lines_of_its_own_band_each_cited(observation_request):
    aligned = align_record(written(observation_request), catalogue())
    own = {item.text for item in catalogue().expectations(age_band="中班")}
    assert 1 <= len(aligned.guideline_lines) <= 2
    assert all(line.age_band == "中班" and line.text in own for line in aligned.guideline_lines)
    assert aligned.guideline_lines[0].text == "遇到搭建问题能换材料再试一试"  # shares most with the record
    assert "喜欢听大人讲故事" not in [line.text for line in aligned.guideline_lines]  # shares nothing
    assert [citation.excerpt for citation in aligned.citations] == [line.text for line in aligned.guideline_lines]
    assert aligned.citations[0].chunk_id == "g:1:4" and aligned.guideline_note == ""


def test_a_mixed_age_record_takes_lines_from_any_band(observation_request):
    mixed = observation_request.model_copy(update={"age_band": "混龄"})
    aligned = align_record(written(mixed, age_band="混龄"), catalogue())
    assert {line.age_band for line in aligned.guideline_lines} <= {"小班", "中班", "大班"}
    assert aligned.guideline_lines


def test_without_a_catalogue_the_record_says_so_instead_of_inventing(observation_request):
    aligned = align_record(written(observation_request), None)
    assert (
        aligned.guideline_lines == [] and aligned.guideline_note == NO_CATALOGUE and "没有导入《指南》" in NO_CATALOGUE
    )


def test_a_catalogue_with_no_matching_line_is_said_too(observation_request):
    record = written(observation_request, objective_record="", analysis="", purpose="", support_strategies=[])
    aligned = align_record(record, catalogue())
    assert aligned.guideline_lines == [] and "中班" in aligned.guideline_note


# --- the pipeline, the store and Word ---------------------------------------------------------------


def test_the_pipeline_writes_the_record_then_the_analysis_inside_the_scaffold(observation_request):
    backend = ScriptedBackend()
    result = write(resource_type("observation_record"), observation_request, backend=backend)
    record = result.plan
    assert isinstance(record, ObservationRecord)
    assert (record.child, record.date, record.place, record.observer) == ("乐乐", "2026年12月7日", "建构区", "王老师")
    assert record.objective_record == SECTION_ANSWERS[RECORD_KEYS]["objective_record"]
    assert [set(schema["properties"]) for schema in backend.schemas] == [set(RECORD_KEYS), set(ANALYSIS_KEYS)]
    assert NOTES in backend.calls[0][1]["content"]
    assert record.objective_record in backend.calls[1][1]["content"]  # the analysis stands on the record
    assert result.checks.after == []


def test_a_model_record_with_a_label_is_rewritten_with_the_word_named(observation_request):
    labelled = {"objective_record": "乐乐很调皮。" + SECTION_ANSWERS[RECORD_KEYS]["objective_record"]}
    answers = iter([json.dumps(labelled, ensure_ascii=False)])

    def respond(messages, schema):
        if frozenset(schema["properties"]) == RECORD_KEYS:
            return next(answers, None) or answer_for(schema)
        return answer_for(schema)

    backend = ScriptedBackend(respond=respond)
    result = write(resource_type("observation_record"), observation_request, backend=backend)
    assert len(backend.calls) == 3 and "调皮" in backend.calls[2][1]["content"].split("【必须改正】")[1]
    assert result.plan.objective_record == SECTION_ANSWERS[RECORD_KEYS]["objective_record"]
    assert "label" in kinds(result.checks.before) and result.checks.after == []


def generated(studio, teacher, observation_request, key="o"):
    view = studio.jobs.wait(
        teacher,
        studio.submit_resource(teacher, "observation_record", observation_request, idempotency_key=key),
        timeout=10,
    )
    assert view.status == "done", view.error
    return view


def test_a_record_is_generated_saved_and_versioned_like_a_plan(settings, fake_backend, teacher, observation_request):
    from lesson_studio.studio import Studio

    studio = Studio(settings)
    view = generated(studio, teacher, observation_request)
    version, kind, record = studio.open_document(teacher, view.version_id)
    assert kind == "observation_record" and isinstance(record, ObservationRecord) and version.number == 1
    assert record.guideline_note == NO_CATALOGUE  # no library here: said, not invented
    assert [draft.id for draft in studio.documents(teacher, "observation_record")] == [version.draft_id]
    assert studio.list_plans(teacher) == []  # 我的教案 lists lesson plans only
    assert studio.document_findings(teacher, version.id) == []


def test_only_the_author_and_curators_read_a_record(
    settings, fake_backend, teacher, other_teacher, observation_request
):
    from lesson_studio.studio import Studio

    studio = Studio(settings)
    view = generated(studio, teacher, observation_request)
    with pytest.raises(NotAllowed):
        studio.open_document(other_teacher, view.version_id)
    assert studio.documents(other_teacher, "observation_record") == []
    for role in ("lead", "admin"):
        curator = studio.store.ensure_user(role, role=role)
        assert studio.open_document(curator, view.version_id)[1] == "observation_record"


def test_an_edit_is_a_new_version_with_the_rules_applied_again_and_the_checks_said(
    settings, fake_backend, teacher, other_teacher, observation_request
):
    from lesson_studio.studio import Studio

    studio = Studio(settings)
    version, _, record = studio.open_document(teacher, generated(studio, teacher, observation_request).version_id)
    edited = record.model_copy(update={"analysis": "乐乐很聪明，会想办法。", "child": "别的孩子"})
    with pytest.raises(NotAllowed):
        studio.save_document(other_teacher, version.draft_id, edited, base_version_id=version.id)
    saved = studio.save_document(teacher, version.draft_id, edited, base_version_id=version.id)
    assert [v.number for v in studio.versions(teacher, version.draft_id)] == [1, 2]
    kept = studio.open_document(teacher, saved.id)[2]
    assert kept.child == "乐乐"  # the form's fact, not the edit's
    assert kept.analysis == "乐乐很聪明，会想办法。"  # the teacher's words stay, and the check says so
    assert any("聪明" in finding for finding in studio.document_findings(teacher, saved.id))
    assert kept.guideline_note == NO_CATALOGUE  # the code's link survives the edit


def test_the_word_record_reopens_with_every_part(settings, fake_backend, teacher, observation_request):
    from docx import Document

    from lesson_studio.studio import Studio

    studio = Studio(settings)
    view = generated(studio, teacher, observation_request)
    document = Document(io.BytesIO(studio.export_document_docx(teacher, view.version_id)))
    paragraphs = [paragraph.text for paragraph in document.paragraphs]
    assert paragraphs[0] == "乐乐的观察记录（小桥搭搭乐）"
    (table,) = document.tables
    cells = [[cell.text for cell in row.cells] for row in table.rows]
    assert cells == [
        ["观察对象", "乐乐", "班级/年龄段", "中二班（中班）"],
        ["观察日期", "2026年12月7日", "观察地点", "建构区"],
        ["观察者", "王老师", "观察方法", "轶事记录法"],
        ["活动名称", "小桥搭搭乐", "观察目的", "看乐乐遇到搭建问题时怎么想办法"],
    ]
    headings = [p for p in paragraphs if p[:2] in ("一、", "二、", "三、", "四、")]
    assert headings == [f"{number}、{title}" for number, title in zip("一二三四", SECTION_TITLES, strict=True)]
    answers = SECTION_ANSWERS[ANALYSIS_KEYS]
    assert SECTION_ANSWERS[RECORD_KEYS]["objective_record"] in paragraphs
    assert answers["analysis"] in paragraphs and answers["follow_up"] in paragraphs
    assert [f"{n}. {text}" for n, text in enumerate(answers["support_strategies"], 1)] == [
        p for p in paragraphs if p[:3] in ("1. ", "2. ")
    ]
    assert paragraphs[paragraphs.index("对照《指南》：") + 1] == NO_CATALOGUE
    assert paragraphs[-1] == "观察者：王老师　2026年12月7日"
    assert "观察记录" in document.sections[0].header.paragraphs[0].text


def test_the_word_record_prints_each_guideline_line_with_its_reference(observation_request):
    from docx import Document

    record = align_record(written(observation_request), catalogue())
    paragraphs = [p.text for p in Document(io.BytesIO(record_docx(record))).paragraphs]
    start = paragraphs.index("对照《指南》：") + 1
    assert paragraphs[start : start + len(record.guideline_lines)] == [
        f"{line.reference}：{line.text}" for line in record.guideline_lines
    ]
    assert "4～5岁" in paragraphs[start]


@pytest.mark.parametrize(
    ("field", "label"),
    [("class_name", "班级.*class"), ("child", "观察对象.*child observed"), ("notes", "观察笔记.*what you saw")],
)
def test_a_bad_form_field_is_named_in_chinese_and_english(field, label):
    from lesson_studio.studio import Studio

    form = {
        "class_name": "中二班",
        "age_band": "中班",
        "date": "12月7日",
        "place": "建构区",
        "child": "乐乐",
        "observer": "王老师",
        "notes": NOTES,
    }
    with pytest.raises(InvalidInput, match=label):
        Studio.resource_request_from_form("observation_record", form | {field: " "})
    assert Studio.resource_request_from_form("observation_record", form).child == "乐乐"


# --- the proof that the pipeline is one -----------------------------------------------------------


def test_adding_the_type_touched_only_its_own_files_and_one_registration_line():
    """Outside its own files (the package, its prompts, its page and tests), the core names the
    observation record on exactly one line: its entry in resource_types.REGISTERED."""
    own = ROOT / "lesson_studio" / "resource_types" / "observation_record"
    mentions = [
        (path.relative_to(ROOT).as_posix(), line.strip())
        for path in sorted((ROOT / "lesson_studio").rglob("*.py"))
        if own not in path.parents
        for line in path.read_text(encoding="utf-8").splitlines()
        if "observation_record" in line or "ObservationRecord" in line or "OBSERVATION_RECORD" in line
    ]
    assert mentions == [
        (
            "lesson_studio/resource_types/__init__.py",
            '"lesson_studio.resource_types.observation_record:OBSERVATION_RECORD",',
        )
    ]
    assert sum("observation_record" in entry for entry in REGISTERED) == 1
    assert all((ROOT / "prompts" / f"{name}.md").exists() for name in resource_type("observation_record").prompts)


def test_the_records_prompts_are_rendered_with_all_their_variables(monkeypatch, observation_request):
    from lesson_studio.prompts import render, variables
    from lesson_studio.resource_types.observation_record import writer

    rendered = set()

    def recording_render(name, **values):
        assert set(values) == variables(name)
        rendered.add(name)
        return render(name, **values)

    monkeypatch.setattr(writer, "render", recording_render)
    write(resource_type("observation_record"), observation_request, backend=ScriptedBackend())
    assert rendered == set(resource_type("observation_record").prompts)


GUIDE_DOCX = ROOT.parent / "shared" / "corpus" / "moe-3-6-guide" / "3-6岁儿童学习与发展指南——教育部.docx"


def test_with_the_imported_guide_a_generated_record_quotes_its_own_band_verbatim(
    settings, fake_backend, store, teacher, observation_request
):
    """The real 《指南》 as a lead imports it (tests/../shared/corpus): lines of the record's band, cited."""
    if not GUIDE_DOCX.exists():
        pytest.skip(f"shared corpus not present: {GUIDE_DOCX}")
    from library_fakes import HashEmbeddingFunction

    from lesson_studio.library import Library
    from lesson_studio.studio import Studio

    library = Library(settings, store=store, embedding_function=HashEmbeddingFunction(), background=False)
    try:
        library.ingest(store.ensure_user("zhao", role="lead"), [GUIDE_DOCX], tags={"resource_type": "指南"})
        studio = Studio(settings, library=library)
        record = studio.open_document(teacher, generated(studio, teacher, observation_request).version_id)[2]
        guide = library.catalogue(teacher)
        own = {item.text for item in guide.expectations(age_band="中班")}
        assert record.guideline_lines and all(line.text in own for line in record.guideline_lines)
        assert {line.age_band for line in record.guideline_lines} == {"中班"}
        # A child changing materials until the bridge holds: an inquiry line, not one that only
        # shares 自己 or 根据 with the record.
        assert [line.reference.split("（")[0] for line in record.guideline_lines] == ["《指南》科学"]
        cited = [c.excerpt for c in record.citations if c.document_id == guide.document_id]
        assert cited == [line.text for line in record.guideline_lines]
        mixed = align_record(record.model_copy(update={"age_band": "混龄"}), guide)
        every = {item.text for item in guide.expectations()}
        assert mixed.guideline_lines and all(line.text in every for line in mixed.guideline_lines)
    finally:
        library.close()
