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
