"""家长信 / 家园联系 through the one pipeline: schema, scaffold, code's rules, each check with a
passing and a failing example, versions in the store, Word, and the proof that adding the type
touched only its own files and one registration line."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from fakes import SECTION_ANSWERS, ScriptedBackend, answer_for

from lesson_studio.errors import InvalidInput, NotAllowed
from lesson_studio.pipeline import write
from lesson_studio.resource_types import REGISTERED, resource_type
from lesson_studio.resource_types.parent_letter.checks import (
    apply_letter_rules,
    check_letter,
    repair_by_code,
    validate_letter,
)
from lesson_studio.resource_types.parent_letter.export import letter_docx
from lesson_studio.resource_types.parent_letter.scaffold import build_letter_scaffold
from lesson_studio.resource_types.parent_letter.schema import CollectionItem, ParentLetter, ParentLetterRequest

ROOT = Path(__file__).resolve().parents[1]
LETTER_KEYS = frozenset({"title", "what_and_why", "child_part", "family_task", "safety_and_time", "thanks"})
UNSAFE = ["纽扣电池", "小磁铁", "玻璃瓶", "罐头盒", "药瓶", "气球"]


@pytest.fixture
def letter_request() -> ParentLetterRequest:
    return ParentLetterRequest(
        class_name="中二班",
        teacher="王老师",
        date="2026年12月7日",
        age_band="中班",
        topic="给小熊做一顶戴得住的帽子",
        collect=["旧报纸", "纸盒", "纽扣电池", "毛线", "气球"],
    )


def kinds(defects) -> set[str]:
    return {defect.kind for defect in defects}


def written(letter_request, **changes) -> ParentLetter:
    """A letter as the pipeline builds it from the fake's prose, with some fields changed."""
    scaffold = build_letter_scaffold(letter_request)
    draft = dict(SECTION_ANSWERS[LETTER_KEYS], **changes)
    base = ParentLetter(age_band="中班", class_name="x", teacher="x", date="x", **draft)
    return apply_letter_rules(base, scaffold)


# --- schema and scaffold -------------------------------------------------------------------------


def test_a_letter_round_trips_through_json(letter_request):
    letter = written(letter_request)
    assert ParentLetter.model_validate_json(letter.model_dump_json()) == letter


@pytest.mark.parametrize("item", UNSAFE)
def test_an_unsafe_collection_item_is_taken_off_the_list_and_named(letter_request, item):
    scaffold = build_letter_scaffold(letter_request.model_copy(update={"collect": ["旧报纸", item]}))
    assert [kept.name for kept in scaffold.collection] == ["旧报纸"]
    assert [removed.name for removed in scaffold.removed] == [item]
    assert item in scaffold.warnings[0] and scaffold.removed[0].reason


def test_safe_items_are_kept_in_order_and_every_letter_prints_the_exclusions(letter_request):
    scaffold = build_letter_scaffold(letter_request)
    assert [item.name for item in scaffold.collection] == ["旧报纸", "纸盒", "毛线"]
    printed = "、".join(scaffold.exclusions)
    for word in ("纽扣电池", "磁铁", "玻璃", "罐头", "药瓶", "气球"):
        assert word in printed


# --- code's rules ----------------------------------------------------------------------------------


def test_the_rules_put_back_the_scaffolds_list_and_signature_whatever_was_written(letter_request):
    scaffold = build_letter_scaffold(letter_request)
    edited = written(letter_request).model_copy(
        update={"collection": [CollectionItem(name="磁铁")], "teacher": "", "date": "", "exclusions": []}
    )
    ruled = apply_letter_rules(edited, scaffold)
    assert [item.name for item in ruled.collection] == ["旧报纸", "纸盒", "毛线"]
    assert (ruled.class_name, ruled.teacher, ruled.date) == ("中二班", "王老师", "2026年12月7日")
    assert ruled.exclusions == scaffold.exclusions
    assert apply_letter_rules(ruled, scaffold) == ruled


# --- each check: a passing and a failing example ----------------------------------------------------


def test_a_task_needing_no_purchase_passes(letter_request):
    letter = written(letter_request, family_task="用家里现有的纸盒和孩子搭一座小桥，不需要购买任何材料。")
    assert "purchase" not in kinds(check_letter(letter, build_letter_scaffold(letter_request)))


def test_a_task_needing_a_purchase_is_flagged(letter_request):
    letter = written(letter_request, family_task="请家长带孩子去超市买一盒彩泥，在家做一顶帽子。")
    (defect,) = [d for d in check_letter(letter, build_letter_scaffold(letter_request)) if d.kind == "purchase"]
    assert defect.field == "family_task" and "买" in defect.words


def test_written_homework_is_flagged_and_playful_talk_is_not(letter_request):
    scaffold = build_letter_scaffold(letter_request)
    assert "homework" in kinds(
        check_letter(written(letter_request, family_task="请孩子回家完成作业单上的三道题。"), scaffold)
    )
    assert "homework" not in kinds(check_letter(written(letter_request), scaffold))


def test_an_unsafe_item_in_the_prose_is_flagged_and_its_sentence_dropped_by_code(letter_request):
    scaffold = build_letter_scaffold(letter_request)
    letter = written(letter_request, family_task="和孩子用磁铁吸一吸家里的东西。再说说帽子为什么戴得住。")
    assert "unsafe_item" in kinds(check_letter(letter, scaffold))
    repaired = repair_by_code(letter, scaffold)
    assert repaired.family_task == "再说说帽子为什么戴得住。"
    assert "unsafe_item" not in kinds(check_letter(repaired, scaffold))
    assert "unsafe_item" not in kinds(check_letter(written(letter_request), scaffold))


def test_an_unsafe_item_on_the_collection_list_is_flagged(letter_request):
    scaffold = build_letter_scaffold(letter_request)
    edited = written(letter_request).model_copy(update={"collection": [CollectionItem(name="纽扣电池")]})
    assert "unsafe_collection" in kinds(check_letter(edited, scaffold))
    assert "unsafe_collection" not in kinds(check_letter(written(letter_request), scaffold))


def test_jargon_is_flagged_and_replaced_by_plain_words(letter_request):
    scaffold = build_letter_scaffold(letter_request)
    letter = written(
        letter_request, what_and_why="本周我们通过头脑风暴开展CPS活动，培养孩子的发散思维，让孩子大胆尝试。"
    )
    assert "jargon" in kinds(check_letter(letter, scaffold))
    plain = repair_by_code(letter, scaffold)
    assert "jargon" not in kinds(check_letter(plain, scaffold))
    assert "一起想办法" in plain.what_and_why and "CPS" not in plain.what_and_why
    assert "jargon" not in kinds(check_letter(written(letter_request), scaffold))


def test_a_blank_date_is_flagged(letter_request):
    scaffold = build_letter_scaffold(letter_request)
    assert "missing_signature" in kinds(
        check_letter(written(letter_request).model_copy(update={"date": " "}), scaffold)
    )
    assert "missing_signature" not in kinds(check_letter(written(letter_request), scaffold))


def test_a_purchase_task_is_written_again_once_then_replaced_by_code(letter_request):
    scaffold = build_letter_scaffold(letter_request)
    letter = written(letter_request, family_task="请家长网购一套彩色卡纸，和孩子一起做帽子。")
    asked = []

    def stubborn(current, fix):  # the model keeps asking families to buy something
        asked.append(fix)
        return current.model_copy(update={"family_task": "请去文具店买一卷彩色胶带，和孩子一起做帽子。"})

    repaired, report = validate_letter(letter, scaffold, stubborn)
    assert len(asked) == 1 and "购买" in asked[0]
    assert "purchase" in kinds(report.before) and report.after == []
    assert "不需要购买" in repaired.family_task and "给小熊做一顶戴得住的帽子" in repaired.family_task


# --- the pipeline, the store and Word ---------------------------------------------------------------


def test_the_pipeline_writes_a_letter_inside_the_scaffold(letter_request):
    backend = ScriptedBackend()
    letter = write(resource_type("parent_letter"), letter_request, backend=backend).plan
    assert isinstance(letter, ParentLetter)
    assert [item.name for item in letter.collection] == ["旧报纸", "纸盒", "毛线"]
    assert {item.name for item in letter.removed_items} == {"纽扣电池", "气球"}
    assert (letter.class_name, letter.teacher, letter.date) == ("中二班", "王老师", "2026年12月7日")
    assert len(backend.calls) == 1
    prompt = backend.prompts_text()
    assert "给小熊做一顶戴得住的帽子" in prompt and "纽扣电池" not in prompt  # the model never sees unsafe items


def test_a_model_letter_asking_to_buy_is_rewritten_with_the_problem_named(letter_request):
    buying = dict(SECTION_ANSWERS[LETTER_KEYS], family_task="请家长购买一盒彩泥，和孩子一起做帽子。")
    answers = iter([json.dumps(buying, ensure_ascii=False)])

    def respond(messages, schema):
        return next(answers, None) or answer_for(schema)

    backend = ScriptedBackend(respond=respond)
    result = write(resource_type("parent_letter"), letter_request, backend=backend)
    assert len(backend.calls) == 2 and "不能需要购买" in backend.calls[1][-1]["content"]
    assert result.plan.family_task == SECTION_ANSWERS[LETTER_KEYS]["family_task"]
    assert "purchase" in kinds(result.checks.before) and result.checks.after == []


def test_a_letter_is_generated_saved_and_versioned_like_a_plan(settings, fake_backend, teacher, letter_request):
    from lesson_studio.studio import Studio

    studio = Studio(settings)
    job_id = studio.submit_resource(teacher, "parent_letter", letter_request, idempotency_key="letter")
    view = studio.jobs.wait(teacher, job_id, timeout=10)
    assert view.status == "done", view.error
    version, kind, letter = studio.open_document(teacher, view.version_id)
    assert kind == "parent_letter" and isinstance(letter, ParentLetter) and version.number == 1
    assert [draft.id for draft in studio.documents(teacher, "parent_letter")] == [version.draft_id]
    assert studio.list_plans(teacher) == []  # 我的教案 lists lesson plans only
    edited = letter.model_copy(update={"thanks": "谢谢您的支持！"})
    second = studio.store.save_version(teacher, edited, draft_id=version.draft_id, resource_type="parent_letter")
    assert [v.number for v in studio.versions(teacher, version.draft_id)] == [1, 2]
    assert studio.open_document(teacher, second.id)[2].thanks == "谢谢您的支持！"
    assert studio.store.request_of(teacher, studio.store.get_job(teacher, job_id).request_id)[0] == "parent_letter"


def test_only_the_author_and_curators_read_a_letter(settings, fake_backend, teacher, other_teacher, letter_request):
    from lesson_studio.studio import Studio

    studio = Studio(settings)
    view = studio.jobs.wait(
        teacher, studio.submit_resource(teacher, "parent_letter", letter_request, idempotency_key="l"), timeout=10
    )
    with pytest.raises(NotAllowed):
        studio.open_document(other_teacher, view.version_id)
    lead = studio.store.ensure_user("lead", role="lead")
    assert studio.open_document(lead, view.version_id)[1] == "parent_letter"


def test_the_word_letter_reopens_with_every_part(settings, fake_backend, teacher, letter_request):
    from docx import Document

    from lesson_studio.studio import Studio

    studio = Studio(settings)
    view = studio.jobs.wait(
        teacher, studio.submit_resource(teacher, "parent_letter", letter_request, idempotency_key="w"), timeout=10
    )
    document = Document(io.BytesIO(studio.export_document_docx(teacher, view.version_id)))
    paragraphs = [paragraph.text for paragraph in document.paragraphs]
    text = "\n".join(paragraphs)
    assert paragraphs[0] == "请和孩子一起想办法" and paragraphs[1] == "亲爱的家长朋友们："
    assert "家庭小任务：请和孩子一起找找家里的帽子" in text
    assert "请帮忙收集：旧报纸、纸盒、毛线。" in text
    (exclusions,) = [p for p in paragraphs if p.startswith("为了孩子的安全，请不要带：")]
    assert "纽扣电池" in exclusions and "气球" in exclusions
    assert paragraphs[-2:] == ["中二班　王老师", "2026年12月7日"]
    assert "家园联系" in document.sections[0].header.paragraphs[0].text


def test_the_letter_layout_prints_the_contact_when_given(letter_request):
    from docx import Document

    letter = written(letter_request.model_copy(update={"contact": "微信群 @王老师"}))
    paragraphs = [p.text for p in Document(io.BytesIO(letter_docx(letter))).paragraphs]
    assert paragraphs[-3:] == ["中二班　王老师", "联系方式：微信群 @王老师", "2026年12月7日"]


def test_a_bad_form_field_is_named_in_chinese_and_english():
    from lesson_studio.studio import Studio

    with pytest.raises(InvalidInput, match="班级.*class"):
        Studio.resource_request_from_form(
            "parent_letter", {"class_name": " ", "teacher": "王老师", "date": "12月7日", "topic": "帽子"}
        )
    request = Studio.resource_request_from_form(
        "parent_letter",
        {"class_name": "中二班", "teacher": "王老师", "date": "12月7日", "topic": "帽子", "collect": "旧报纸、纸盒"},
    )
    assert request.collect == ["旧报纸", "纸盒"]


# --- the proof that the pipeline is one -----------------------------------------------------------


def test_adding_the_type_touched_only_its_own_files_and_one_registration_line():
    """Outside its own files (the package, its prompts, its page and tests), the core names the
    parent letter on exactly one line: its entry in resource_types.REGISTERED."""
    own = ROOT / "lesson_studio" / "resource_types" / "parent_letter"
    mentions = [
        (path.relative_to(ROOT).as_posix(), line.strip())
        for path in sorted((ROOT / "lesson_studio").rglob("*.py"))
        if own not in path.parents
        for line in path.read_text(encoding="utf-8").splitlines()
        if "parent_letter" in line or "家长信" in line or "ParentLetter" in line
    ]
    assert mentions == [
        ("lesson_studio/resource_types/__init__.py", '"lesson_studio.resource_types.parent_letter:PARENT_LETTER",')
    ]
    assert sum("parent_letter" in entry for entry in REGISTERED) == 1
    assert all((ROOT / "prompts" / f"{name}.md").exists() for name in resource_type("parent_letter").prompts)


def test_the_letters_prompts_are_rendered_with_all_their_variables(monkeypatch, letter_request):
    from lesson_studio.prompts import render, variables
    from lesson_studio.resource_types.parent_letter import writer

    rendered = set()

    def recording_render(name, **values):
        assert set(values) == variables(name)
        rendered.add(name)
        return render(name, **values)

    monkeypatch.setattr(writer, "render", recording_render)
    write(resource_type("parent_letter"), letter_request, backend=ScriptedBackend())
    assert rendered == set(resource_type("parent_letter").prompts)


def test_an_edit_is_a_new_version_with_the_rules_applied_again_and_the_checks_said(
    settings, fake_backend, teacher, letter_request
):
    from lesson_studio.studio import Studio

    studio = Studio(settings)
    view = studio.jobs.wait(
        teacher, studio.submit_resource(teacher, "parent_letter", letter_request, idempotency_key="e"), timeout=10
    )
    version, _, letter = studio.open_document(teacher, view.version_id)
    edited = letter.model_copy(
        update={"family_task": "请带孩子去超市买一盒彩泥。", "collection": [CollectionItem(name="吸铁石")]}
    )
    saved = studio.save_document(teacher, version.draft_id, edited, base_version_id=version.id)
    assert saved.number == 2
    kept = studio.open_document(teacher, saved.id)[2]
    assert [item.name for item in kept.collection] == ["旧报纸", "纸盒", "毛线"]  # code's list, not the edit's
    assert kept.family_task == "请带孩子去超市买一盒彩泥。"  # the teacher's words stay, and the check says so
    assert any("购买" in finding for finding in studio.document_findings(teacher, saved.id))
    assert studio.document_findings(teacher, version.id) == []


def test_only_the_author_saves_an_edit_of_a_letter(settings, fake_backend, teacher, other_teacher, letter_request):
    from lesson_studio.studio import Studio

    studio = Studio(settings)
    view = studio.jobs.wait(
        teacher, studio.submit_resource(teacher, "parent_letter", letter_request, idempotency_key="a"), timeout=10
    )
    version, _, letter = studio.open_document(teacher, view.version_id)
    with pytest.raises(NotAllowed):
        studio.save_document(other_teacher, version.draft_id, letter, base_version_id=version.id)
    lead = studio.store.ensure_user("lead", role="lead")
    with pytest.raises(NotAllowed):
        studio.save_document(lead, version.draft_id, letter, base_version_id=version.id)
