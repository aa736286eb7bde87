"""A request in English gets English output throughout (issue 13): the prompts, what code writes
into the plan, the safety rules in the text, the rubric's word lists and the Word file."""

from __future__ import annotations

import io
import json
import re

import pytest
from docx import Document
from fakes import ScriptedBackend

from lesson_studio.authoring.generate import FENCE_CLOSE, FENCE_OPEN, generate_plan
from lesson_studio.authoring.rubric import evaluate
from lesson_studio.authoring.scaffold import build_scaffold, english_words_in
from lesson_studio.export.docx_builder import plan_to_docx_bytes
from lesson_studio.export.markdown import plan_to_markdown
from lesson_studio.models import LessonRequest

CJK = re.compile(r"[\u4e00-\u9fff]")
# The plan's enumeration values are data in both languages (the JSON fields the model fills).
ENUMERATIONS = ("认知", "能力", "情感", "教师", "幼儿")

ENGLISH_ANSWERS = {
    frozenset({"title", "design_intent", "objectives", "key_point", "difficult_point"}): {
        "title": "A hat that stays on",
        "design_intent": "Teddy's hat keeps falling off and the children want to help. They use old newspaper and "
        "wool to find ways to make a hat that stays on.",
        "objectives": [
            {"dimension": "认知", "text": "Know that a hat stays on when it fits and is tied"},
            {"dimension": "能力", "text": "Can try two ways to make a newspaper hat stay on"},
            {"dimension": "情感", "text": "Enjoy sharing ideas with friends"},
        ],
        "key_point": "Children think of many ways to make and fix the hat",
        "difficult_point": "Thinking of a way different from a friend's that still works",
    },
    frozenset({"experience", "materials"}): {
        "experience": ["Children have worn hats and folded paper"],
        "materials": [
            {"name": "old newspaper", "quantity": "2 sheets each", "for_whom": "幼儿"},
            {"name": "wool", "quantity": "1 ball per group", "for_whom": "幼儿"},
        ],
    },
    frozenset({"title", "teacher", "key_questions", "children", "intent"}): {
        "title": "Teddy needs help",
        "teacher": "Teddy's hat keeps falling down. How might we make a hat that stays on?",
        "key_questions": ["What do you notice?", "What else could we try?", "What if we used the wool differently?"],
        "children": "Children look at Teddy and say why the hat falls and what they could try.",
        "intent": "Start from a real problem the children care about",
    },
    frozenset({"area", "home", "observation_points"}): {
        "area": "Art area: newspaper, wool and boxes for more hats for the dolls",
        "home": "Find a hat at home with your family and talk about why it stays on",
        "observation_points": [
            "How many different ideas each child has",
            "Whether children keep trying after a failure",
        ],
    },
}


def english_answer(messages, schema):
    return json.dumps(ENGLISH_ANSWERS[frozenset(schema["properties"])], ensure_ascii=False)


@pytest.fixture()
def hat_request_en() -> LessonRequest:
    return LessonRequest(
        language="en",
        age_band="中班",
        domain="艺术",
        topic="make a hat that stays on Teddy's head",
        minutes=20,
        materials=["old newspaper", "wool"],
    )


def chinese_in(text: str) -> list[str]:
    for word in (*ENUMERATIONS, FENCE_OPEN, FENCE_CLOSE):
        text = text.replace(word, "")
    return CJK.findall(text)


def test_the_model_is_asked_in_english_from_the_system_prompt_to_the_last_section(hat_request_en):
    backend = ScriptedBackend(respond=english_answer)
    generate_plan(hat_request_en, backend=backend)
    assert backend.calls
    for call in backend.calls:
        for message in call:
            assert not chinese_in(message["content"]), message["content"][:200]
    assert "Write every value in English" in backend.calls[0][0]["content"]


def test_what_code_writes_into_an_english_plan_is_english(hat_request_en):
    plan = generate_plan(hat_request_en, backend=ScriptedBackend(respond=english_answer)).plan
    assert plan.language == "en"
    assert plan.title == "Middle class Art: A hat that stays on"
    ideas = next(step for step in plan.steps if step.cps_stage == "想办法")
    assert ideas.teacher.startswith("Our rules for ideas: Nobody says")
    trying = next(step for step in plan.steps if step.cps_stage == "试一试改一改")
    assert "hint card" in trying.teacher or "hint card" in trying.children
    assert plan.safety_notes and all(not chinese_in(n.note + n.material) for n in plan.safety_notes)
    code_text = " ".join([*plan.warnings, *(s.teacher for s in plan.steps), *(s.children for s in plan.steps)])
    assert not chinese_in(code_text)


def test_the_same_request_in_chinese_still_gets_chinese(hat_request):
    plan = generate_plan(hat_request, backend=ScriptedBackend()).plan
    assert plan.language == "zh" and plan.title.startswith("中班艺术：")
    assert next(s for s in plan.steps if s.cps_stage == "想办法").teacher.startswith("想办法的约定")


def test_english_materials_find_the_same_hazards_as_chinese_ones():
    candle = LessonRequest(
        language="en",
        age_band="大班",
        domain="科学",
        topic="find ways to put out a candle",
        materials=["candles", "a lighter", "wet cloth"],
        minutes=25,
    )
    scaffold = build_scaffold(candle)
    assert {"candle", "a lighter"} <= set(scaffold.teacher_only_materials)
    assert "LED electronic candles" in scaffold.child_materials
    fire = next(note for note in scaffold.safety_notes if note.hazard_id == "fire")
    assert fire.severity == "ban" and "open flame" in fire.note
    assert any("not for children to handle" in warning for warning in scaffold.warnings)
    assert not any(chinese_in(text) for text in [*scaffold.warnings, *scaffold.band_bans, scaffold.tiers])


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("two candles and some matches", ["candle", "matches"]),
        ("a spinning top and a rolling pin", []),  # "pin" must not match inside "spinning"
        ("heavier or lighter objects", []),  # "lighter" counts only as a listed material
    ],
)
def test_english_hazard_words_match_whole_words_only(text, found):
    from lesson_studio.authoring.scaffold import load_hazards

    words = {word for hazard in load_hazards() for word in english_words_in(text, hazard.keywords_en)}
    assert words == set(found)


def test_children_handling_the_flame_in_an_english_step_is_rewritten_as_the_teacher_demonstrating():
    candle = LessonRequest(
        language="en",
        age_band="大班",
        domain="科学",
        topic="find ways to put out a candle",
        materials=["candles", "a lighter", "wet cloth"],
        minutes=25,
    )
    unsafe = dict(ENGLISH_ANSWERS)

    def respond(messages, schema):
        keys = frozenset(schema["properties"])
        answer = dict(unsafe[keys])
        if keys == frozenset({"title", "teacher", "key_questions", "children", "intent"}):
            answer["children"] = "Children light the candle with a lighter and cover the flame with paper."
        return json.dumps(answer, ensure_ascii=False)

    backend = ScriptedBackend(respond=respond)
    result = generate_plan(candle, backend=backend)
    for step in result.plan.steps:
        assert "light the candle" not in step.children
    assert any(step.teacher.startswith("The teacher demonstrates with candle") for step in result.plan.steps)
    rewrite_prompts = [call[-1]["content"] for call in backend.calls if "[Must fix]" in call[-1]["content"]]
    assert rewrite_prompts and "only the teacher handles" in rewrite_prompts[0]


def test_the_rubric_reads_an_english_plan_with_english_words(hat_request_en):
    plan = generate_plan(hat_request_en, backend=ScriptedBackend(respond=english_answer)).plan
    report = {result.key: result for result in evaluate(plan).results}
    assert report["divergence"].status == "pass", report["divergence"].message
    assert report["differentiation"].status == "pass", report["differentiation"].message
    closed = plan.model_copy(
        update={"steps": [s.model_copy(update={"key_questions": ["Is it red?", "Can you do it?"]}) for s in plan.steps]}
    )
    assert {result.key: result for result in evaluate(closed).results}["questions"].status == "fail"


def test_the_word_file_of_an_english_plan_has_english_labels(hat_request_en):
    plan = generate_plan(hat_request_en, backend=ScriptedBackend(respond=english_answer)).plan
    document = Document(io.BytesIO(plan_to_docx_bytes(plan)))
    text = "\n".join(p.text for p in document.paragraphs)
    cells = "\n".join(cell.text for table in document.tables for row in table.rows for cell in row.cells)
    assert "1. Design intent" in text and "Safety notes" in text and "Key point: " in text
    assert "Opening · Find the problem" in cells and "Teacher: " in cells and "Middle class (4–5)" in cells
    assert not chinese_in(text + cells)
    assert "## 1. Design intent" in plan_to_markdown(plan)


def test_an_english_line_repeating_the_writing_rules_is_found_and_dropped(hat_request_en):
    parroting = dict(ENGLISH_ANSWERS)

    def respond(messages, schema):
        answer = dict(parroting[frozenset(schema["properties"])])
        if "children" in answer:
            answer["children"] = (
                "Children think of ideas first, then get the materials and try; a failed try is information. "
                "Children fold the newspaper into a band."
            )
        return json.dumps(answer, ensure_ascii=False)

    result = generate_plan(hat_request_en, backend=ScriptedBackend(respond=respond))
    assert result.checks.counts("before").get("parroted")
    assert not result.checks.counts("after").get("parroted")
    assert all("failed try is information" not in step.children for step in result.plan.steps)


def test_a_long_english_objective_is_cut_at_a_word():
    from lesson_studio.authoring.rules import objective_text

    text = "Children will develop the ability to think of new ideas, experiment with materials, and improve their problem-solving skills"
    cut = objective_text(text, "en")
    assert len(cut) <= 120 and text.startswith(cut) and not cut.endswith("sk")
    assert cut == "Children will develop the ability to think of new ideas, experiment with materials"
