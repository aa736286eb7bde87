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

MARKS = ("未观察到", "偶尔", "经常")  # the marks are data in both languages


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
