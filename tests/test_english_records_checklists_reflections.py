"""Issue 13: a request in English gets English output throughout — the 观察记录, the 创造力观察清单
and the 活动反思. Per type: the prompts the model got are English, what code wrote is English (no
Chinese but the document's enumerations, which are data), a check reads English words, and the Word
file reopens with English labels."""

import io
import json
import re

import docx
import pytest
from fakes import ScriptedBackend

from lesson_studio.pipeline import write
from lesson_studio.resource_types import resource_type
from lesson_studio.resource_types.observation_record.checks import check_record, labels_in
from lesson_studio.resource_types.observation_record.schema import ObservationRequest

CJK = re.compile(r"[\u4e00-\u9fff]")


def chinese_in(text: str, allowed: tuple[str, ...] = ()) -> list[str]:
    """The Chinese left in text once the allowed enumerations are taken out."""
    for word in sorted(allowed, key=len, reverse=True):
        text = text.replace(word, "")
    return CJK.findall(text)


def prompts_of(backend: ScriptedBackend) -> list[str]:
    return [message["content"] for call in backend.calls for message in call]


def docx_text(data: bytes) -> str:
    document = docx.Document(io.BytesIO(data))
    parts = [paragraph.text for paragraph in document.paragraphs]
    parts += [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    parts += [paragraph.text for section in document.sections for paragraph in section.header.paragraphs]
    return "\n".join(parts)


# --- 观察记录 / observation record ----------------------------------------------------------------

NOTES_EN = (
    "During free play Lele built a bridge with blocks in the building area; the toy car made it fall twice. "
    "He first swapped two long blocks for one long board, then added two round columns underneath. "
    'Finally the car drove across and he clapped: "My bridge stays up!"'
)


@pytest.fixture
def english_observation() -> ObservationRequest:
    return ObservationRequest(
        class_name="Middle 2",
        age_band="中班",
        date="7 December 2026",
        place="building area",
        child="Lele",
        observer="Ms Wang",
        notes=NOTES_EN,
        purpose="how Lele solves a building problem",
        activity="Little bridges",
        language="en",
    )


def observation_answer(messages, schema):
    properties = set(schema["properties"])
    if "objective_record" in properties:
        return json.dumps(
            {
                "objective_record": "Lele built a bridge with blocks; the car made it fall twice. He first swapped two "
                "long blocks for one long board, then added two round columns. Finally the car drove across."
            }
        )
    return json.dumps(
        {
            "analysis": "Lele kept trying after the bridge fell and changed the materials, which shows persistence.",
            "support_strategies": ["Offer boards of different lengths to test next time."],
            "follow_up": "Watch whether he plans before building.",
        }
    )


def test_an_english_observation_is_written_from_english_prompts_and_code_writes_english(english_observation):
    backend = ScriptedBackend(respond=observation_answer)
    result = write(resource_type("observation_record"), english_observation, backend=backend)
    record = result.plan
    assert all(not chinese_in(prompt, ("中班",)) for prompt in prompts_of(backend))
    assert "Middle class" in prompts_of(backend)[1]  # the band is named in English, not 中班
    assert record.language == "en"
    assert record.title == "Observation record: Lele (Little bridges)"
    written_by_code = [record.title, *record.section_titles, *record.warnings, record.guideline_note]
    assert all(not chinese_in(text) for text in written_by_code), written_by_code
    assert result.checks.after == []


def test_an_english_record_is_linked_to_no_chinese_guideline_line_and_says_why_in_english(english_observation):
    from lesson_studio.resource_types.observation_record.guidelines import align_record

    backend = ScriptedBackend(respond=observation_answer)
    record = write(resource_type("observation_record"), english_observation, backend=backend).plan
    assert align_record(record, None).guideline_note.startswith("No Early Learning")
    assert not chinese_in(align_record(record, None).guideline_note)


def test_english_labels_are_found_as_whole_words():
    assert labels_in("Lele was naughty and shy at the table.", "en") == ["naughty", "shy"]
    assert labels_in("Lele poured the water slowly and carefully, smiling at Mia.", "en") == []
    assert labels_in("乐乐很调皮", "zh") == ["调皮"]


def test_an_english_record_with_a_label_is_flagged_and_one_without_passes(english_observation):
    backend = ScriptedBackend(respond=observation_answer)
    record = write(resource_type("observation_record"), english_observation, backend=backend).plan
    scaffold = resource_type("observation_record").build_scaffold(english_observation)
    assert not [defect for defect in check_record(record, scaffold) if defect.kind in ("label", "missing_fact")]
    labelled = record.model_copy(update={"analysis": "Lele is a clever boy who never gives up."})
    assert [defect.words for defect in check_record(labelled, scaffold) if defect.kind == "label"] == [("clever",)]


def test_an_english_record_missing_how_it_ended_is_flagged_with_english_words(english_observation):
    scaffold = resource_type("observation_record").build_scaffold(english_observation)
    record = write(
        resource_type("observation_record"), english_observation, backend=ScriptedBackend(respond=observation_answer)
    ).plan
    no_result = record.model_copy(update={"objective_record": "Lele built a bridge with blocks near the window."})
    missing = [defect for defect in check_record(no_result, scaffold) if defect.kind == "missing_fact"]
    assert missing and "result" in missing[0].words


def test_an_english_label_the_model_keeps_loses_its_sentence_with_an_english_warning(english_observation):
    def labelling(messages, schema):
        if "objective_record" in schema["properties"]:
            return json.dumps(
                {
                    "objective_record": "Lele is naughty. He first swapped two long blocks for one long board, then "
                    "added two round columns. Finally the car drove across."
                }
            )
        return observation_answer(messages, schema)

    record = write(
        resource_type("observation_record"), english_observation, backend=ScriptedBackend(respond=labelling)
    ).plan
    assert "naughty" not in record.objective_record
    assert record.objective_record.startswith("He first swapped")
    assert "Sentences that still labelled the child were taken out." in record.warnings
    assert all(not chinese_in(warning) for warning in record.warnings)


def test_the_english_record_reopens_from_word_with_english_labels(english_observation):
    from lesson_studio.resource_types.observation_record.export import record_docx

    record = write(
        resource_type("observation_record"), english_observation, backend=ScriptedBackend(respond=observation_answer)
    ).plan
    text = docx_text(record_docx(record))
    for label in ("Child observed", "Class / age band", "Middle class (4–5)", "Anecdotal record", "1. The record"):
        assert label in text
    assert "Observer: Ms Wang" in text
    assert not chinese_in(text), chinese_in(text)


def test_a_chinese_record_still_gets_chinese_words_and_a_chinese_title(english_observation):
    chinese = english_observation.model_copy(update={"language": "zh", "child": "乐乐", "activity": "小桥搭搭乐"})
    scaffold = resource_type("observation_record").build_scaffold(chinese)
    assert scaffold.title == "乐乐的观察记录（小桥搭搭乐）"
    assert scaffold.section_titles[0] == "观察实录（白描 · 注意）"


def test_long_chinese_notes_are_still_refused_at_the_chinese_bound(english_observation):
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="1200"):
        ObservationRequest.model_validate(english_observation.model_dump() | {"language": "zh", "notes": "看" * 1201})
    assert ObservationRequest.model_validate(english_observation.model_dump() | {"notes": "saw " * 600})


# --- 创造力观察清单 / creativity checklist --------------------------------------------------------


@pytest.fixture
def english_checklist():
    from lesson_studio.resource_types.creativity_checklist.schema import ChecklistRequest

    return ChecklistRequest(
        class_name="Middle 2",
        age_band="中班",
        activity="Make a hat that stays on Teddy's head.",
        date="7 December 2026",
        teacher="Ms Wang",
        children=["Mia", "Leo"],
        language="en",
    )


def dimension(look_for: str) -> dict:
    return {
        "look_fors": [look_for, "Tries a second way when the first one does not work"],
        "how_to_observe": "Watch the hat corner for ten minutes.",
    }


def checklist_answer(messages, schema):
    return json.dumps(
        {
            "fluency": dimension("Says three or more ways to keep the hat on"),
            "flexibility": dimension("Switches from tape to string when the tape slips"),
            "originality": dimension("Uses a material no other child used for the hat"),
            "elaboration": dimension("Adds a strap or a decoration to the hat"),
        }
    )


def test_an_english_checklist_is_written_from_english_prompts_and_code_writes_english(english_checklist):
    backend = ScriptedBackend(respond=checklist_answer)
    result = write(resource_type("creativity_checklist"), english_checklist, backend=backend)
    checklist = result.plan
    assert all(not chinese_in(prompt) for prompt in prompts_of(backend)), prompts_of(backend)
    assert checklist.language == "en"
    assert checklist.title == "Creativity observation checklist: Make a hat that stays on Teddy's head"
    by_code = [checklist.title, checklist.principle, *checklist.warnings]
    by_code += [text for item in checklist.items for text in (item.name, item.meaning, *item.look_fors)]
    assert all(not chinese_in(text) for text in by_code), [text for text in by_code if chinese_in(text)]
    assert [item.name for item in checklist.items][:4] == ["Fluency", "Flexibility", "Originality", "Elaboration"]
    assert result.checks.after == []


def test_english_score_and_label_words_are_found_and_the_rewrite_is_asked_in_english(english_checklist):
    from lesson_studio.resource_types.creativity_checklist.checks import check_checklist

    calls = []

    def scoring(messages, schema):
        calls.append(messages[-1]["content"])
        if len(calls) == 1:  # the first answer scores and labels; the rewrite does not
            answer = json.loads(checklist_answer(messages, schema))
            answer["fluency"]["look_fors"][0] = "Gets 3 points for each idea, the clever ones get a higher score"
            return json.dumps(answer)
        return checklist_answer(messages, schema)

    result = write(resource_type("creativity_checklist"), english_checklist, backend=ScriptedBackend(respond=scoring))
    found = {defect.kind: defect.words for defect in result.checks.before}
    assert set(found["score"]) >= {"score", "3 points"} and found["label"] == ("clever",)
    assert "[Must fix]" in calls[1] and "3 points" in calls[1] and not chinese_in(calls[1])
    assert check_checklist(result.plan) == []


def test_a_look_for_with_no_action_is_not_observable_in_english_and_one_with_an_action_passes():
    from lesson_studio.resource_types.creativity_checklist.checks import vague_words_in

    assert vague_words_in("Has good ideas about hats", "en") == ["good ideas"]
    assert vague_words_in("Very imaginative", "en") == ["imaginative"]
    assert vague_words_in("Asks why the hat falls off", "en") == []


def test_the_english_checklist_reopens_from_word_with_english_labels_and_marks(english_checklist):
    from lesson_studio.resource_types.creativity_checklist.export import checklist_docx

    checklist = write(
        resource_type("creativity_checklist"), english_checklist, backend=ScriptedBackend(respond=checklist_answer)
    ).plan
    checklist = checklist.with_records({(0, "fluency"): ("经常", "Said four ways to keep the hat on.")})
    text = docx_text(checklist_docx(checklist))
    for label in ("Lens", "Look-fors", "What I saw (one sentence)", "Child: Mia", "How to use it:", "☑Often"):
        assert label in text, label
    assert "Age band: Middle class (4–5)" in text
    assert not chinese_in(text), chinese_in(text)


def test_a_chinese_checklist_keeps_its_chinese_names_and_title():
    from lesson_studio.resource_types.creativity_checklist.scaffold import build_checklist_scaffold
    from lesson_studio.resource_types.creativity_checklist.schema import ChecklistRequest

    scaffold = build_checklist_scaffold(ChecklistRequest(activity="做帽子。"))
    assert scaffold.title == "创造力观察清单：做帽子"
    assert scaffold.items[0].name == "流畅性" and scaffold.items[4].meaning.startswith("学习品质：")


# --- 活动反思 / activity reflection ---------------------------------------------------------------

PLAN_ENUMERATIONS = ("认知", "能力", "情感", "教师", "幼儿")  # the plan's own data (tests/test_english_output.py)
REFLECTION_NOTES = {
    "children": 'Mia rolled the newspaper into a tube for the brim. Leo said: "The hat is too big, it fell off." '
    "Three children tied the hat under Teddy's chin with wool.",
    "timing": "Think of ideas ran over time, it took 9 minutes. The sharing finished early.",
    "surprises": "Leo thought of using a clip to hold the hat.",
    "changes": "Voting was too slow; next time use a show of hands.",
}


@pytest.fixture
def english_plan():
    from test_english_output import english_answer

    from lesson_studio.models import LessonRequest

    request = LessonRequest(
        language="en",
        age_band="中班",
        domain="艺术",
        topic="make a hat that stays on Teddy's head",
        minutes=20,
        materials=["old newspaper", "wool"],
    )
    return write(resource_type("lesson_plan"), request, backend=ScriptedBackend(respond=english_answer)).plan


@pytest.fixture
def english_reflection_request(english_plan):
    from lesson_studio.resource_types.reflection.schema import ReflectionRequest

    return ReflectionRequest(plan_version_id=1, plan=english_plan, language="en", **REFLECTION_NOTES)


def reflection_answer(messages, schema):
    properties = set(schema["properties"])
    if "goal_reviews" in properties:
        return json.dumps(
            {
                "goal_reviews": [
                    {"achieved": "achieved", "evidence": "Three children tied the hat under Teddy's chin with wool."},
                    {"achieved": "partly achieved", "evidence": "Mia rolled the newspaper into a tube for the brim."},
                    {"achieved": "not observed", "evidence": "Not mentioned in the notes."},
                ],
                "child_facts": ["Mia rolled the newspaper into a tube for the brim."],
                "timing_review": "Thinking of ideas took longer than planned, and sharing ended early.",
                "suggestions": [{"note": 6, "text": "Use a show of hands instead of voting."}],
                "next_time": "Keep the real problem and give more time for trying.",
            }
        )
    return json.dumps(
        {
            "title": "Quick ideas",
            "teacher": "Ask for one idea from each table, then draw them on the board together.",
            "key_questions": ["What else could keep the hat on?"],
            "children": "Children say one idea each and point at the drawings.",
            "intent": "Keep the ideas flowing within the time",
            "change": "Fewer questions and one idea per table",
        }
    )


def test_an_english_reflection_is_written_from_english_prompts_and_code_writes_english(english_reflection_request):
    backend = ScriptedBackend(respond=reflection_answer)
    result = write(resource_type("reflection"), english_reflection_request, backend=backend)
    reflection = result.plan
    assert all(not chinese_in(prompt, PLAN_ENUMERATIONS) for prompt in prompts_of(backend)), prompts_of(backend)
    assert "partly achieved" in json.dumps(backend.schemas[0])  # the English draft's achievements
    assert reflection.language == "en"
    assert reflection.title.startswith("Reflection: ")
    assert [review.achieved for review in reflection.goal_reviews] == ["达成", "部分达成", "未观察到"]  # data
    assert [timing.status for timing in reflection.timings][1] == "超时"
    assert reflection.changes and reflection.changes[0].reason.startswith("Over time: planned")
    by_code = [reflection.title, *reflection.warnings]
    by_code += [text for change in reflection.changes for text in (change.reason, change.summary)]
    by_code += [note.text for note in reflection.notes] + [item.note_text for item in reflection.suggestions]
    by_code += [reflection.revised_plan.steps[change.step - 1].teacher for change in reflection.changes]
    assert all(not chinese_in(text, PLAN_ENUMERATIONS) for text in by_code), [t for t in by_code if chinese_in(t)]


def test_english_timing_notes_name_their_steps(english_reflection_request):
    scaffold = resource_type("reflection").build_scaffold(english_reflection_request)
    assert [timing.status for timing in scaffold.timings] == ["未记录", "超时", "未记录", "未记录", "提前"]
    assert scaffold.timings[1].actual == 9
    assert scaffold.to_revise == [1, 2]  # ran over; named by "Voting was too slow"


def test_an_english_label_and_an_invented_claim_are_found_and_repaired(english_reflection_request):
    from lesson_studio.resource_types.reflection.checks import check_reflection, labels_in, unsupported

    notes = "\n".join(REFLECTION_NOTES.values())
    assert labels_in("Leo was very shy and a bit naughty.", "en") == ["shy", "naughty"]
    assert labels_in("Leo shyly showed his hat.", "en") == []
    assert unsupported("All the children tied the hat with wool.", notes, "en") == ["all the children"]
    assert unsupported("Mia rolled the newspaper into a tube.", notes, "en") == []

    def labelling(messages, schema):
        answer = json.loads(reflection_answer(messages, schema))
        if "child_facts" in answer:
            answer["child_facts"] = ["Leo was shy when he said the hat was too big.", "Everyone built a rocket."]
        return json.dumps(answer)

    result = write(resource_type("reflection"), english_reflection_request, backend=ScriptedBackend(respond=labelling))
    found = {defect.kind for defect in result.checks.before}
    assert {"label_word", "invented_claim"} <= found
    assert result.plan.child_facts == ["Leo was quiet in the group when he said the hat was too big."]
    scaffold = resource_type("reflection").build_scaffold(english_reflection_request)
    assert not [d for d in check_reflection(result.plan, scaffold) if d.kind in ("label_word", "invented_claim")]


def test_the_english_reflection_reopens_from_word_with_english_labels(english_reflection_request):
    from lesson_studio.resource_types.reflection.export import reflection_docx

    reflection = write(
        resource_type("reflection"), english_reflection_request, backend=ScriptedBackend(respond=reflection_answer)
    ).plan
    text = docx_text(reflection_docx(reflection))
    for label in ("1. Objectives", "3. Time and steps", "Planned", "over time", "[Knowledge]", "answers note 6"):
        assert label in text, label
    assert "Plan: " in text and "Middle class (4–5)" in text
    assert not chinese_in(text), chinese_in(text)


def test_a_reflection_is_written_in_its_plans_language(english_plan):
    from pydantic import ValidationError

    from lesson_studio.resource_types.reflection.schema import ReflectionRequest

    with pytest.raises(ValidationError, match="plan's language"):
        ReflectionRequest(plan_version_id=1, plan=english_plan, language="zh", **REFLECTION_NOTES)
    with pytest.raises(ValidationError, match="plan's language"):
        ReflectionRequest(plan_version_id=1, plan=english_plan, **REFLECTION_NOTES)  # the default is Chinese


# --- the form carries the language -----------------------------------------------------------------


def test_choosing_english_on_the_observation_form_gives_an_english_record(tmp_path, monkeypatch, fake_backend):
    import time
    from pathlib import Path

    from page_session import sign_in_session
    from streamlit.testing.v1 import AppTest

    import studio_ui

    monkeypatch.setenv("LESSON_STUDIO_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("LESSON_STUDIO_BACKEND", "fake")
    monkeypatch.setenv("LESSON_STUDIO_STARTER_LIBRARY", "0")
    studio_ui.get_studio.clear()
    studio_ui._starter_library_ready.clear()
    studio = studio_ui.get_studio()
    teacher = studio.store.ensure_user("wang", display_name="Ms Wang")
    at = AppTest.from_file(str(Path(__file__).resolve().parents[1] / "app.py"), default_timeout=60)
    sign_in_session(at, teacher)
    at.run()
    at.switch_page("pages/observation_record.py").run()
    for key, value in {"class_name": "Middle 2", "child": "Lele", "place": "building area"}.items():
        at.text_input(key=f"observation_{key}").input(value)
    at.text_area(key="observation_notes").input(NOTES_EN)
    at.radio(key="observation_language").set_value("en")
    next(button for button in at.button if button.label == "生成观察记录").click().run()
    deadline = time.monotonic() + 20
    while not studio.documents(teacher, "observation_record") and time.monotonic() < deadline:
        time.sleep(0.2)
        at.run()
    assert not at.exception, at.exception
    (draft,) = studio.documents(teacher, "observation_record")
    _, _, record = studio.open_document(teacher, draft.head_version_id)
    assert record.language == "en" and record.title == "Observation record: Lele (building area)"


def test_chinese_notes_over_the_chinese_bound_are_named_as_the_form_names_them():
    from lesson_studio.errors import InvalidInput
    from lesson_studio.studio import Studio

    form = {"class_name": "中二班", "date": "12月7日", "place": "建构区", "child": "乐乐", "observer": "王老师"}
    with pytest.raises(InvalidInput) as raised:
        Studio.resource_request_from_form("observation_record", form | {"notes": "看" * 1201})
    assert str(raised.value).startswith(
        "请检查“观察笔记（看到了什么）”：太长，最多 1200 个字 / Please check 'what you saw'"
    )
    english = Studio.resource_request_from_form("observation_record", form | {"notes": "saw " * 600, "language": "en"})
    assert english.language == "en"


@pytest.mark.parametrize("kind", ["observation_record", "creativity_checklist", "reflection"])
def test_every_prompt_of_the_type_has_an_english_version_with_the_same_variables_and_no_chinese(kind):
    from lesson_studio.config import PROMPTS_DIR
    from lesson_studio.prompts import variables

    for name in resource_type(kind).prompts:
        path = PROMPTS_DIR / "en" / f"{name}.md"
        assert path.exists(), name
        assert variables(name, "en") == variables(name), name
        assert not chinese_in(path.read_text(encoding="utf-8"), PLAN_ENUMERATIONS), name
