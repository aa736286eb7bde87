import pytest
from fakes import ScriptedBackend
from pydantic import BaseModel, Field

from lesson_studio.authoring.drafts import ClosingDraft, OverviewDraft, PreparationDraft, StepDraft
from lesson_studio.errors import GenerationFailed
from lesson_studio.llm.structured import generate_structured, strict_schema


def strings_in(schema):
    if isinstance(schema, dict):
        if schema.get("type") == "string":
            yield schema
        for value in schema.values():
            yield from strings_in(value)
    elif isinstance(schema, list):
        for item in schema:
            yield from strings_in(item)


@pytest.mark.parametrize("draft", [OverviewDraft, PreparationDraft, StepDraft, ClosingDraft])
def test_every_string_the_model_writes_is_bounded(draft):
    schema = strict_schema(draft)
    assert "$defs" not in schema and "$ref" not in str(schema)
    for string in strings_in(schema):
        assert "maxLength" in string or "enum" in string or "pattern" in string


def test_properties_named_title_survive_schema_cleaning():
    assert "title" in strict_schema(OverviewDraft)["properties"]


def test_unbounded_string_is_refused():
    class Loose(BaseModel):
        text: str

    with pytest.raises(ValueError, match="max_length"):
        strict_schema(Loose)


class Answer(BaseModel):
    value: str = Field(max_length=10)


def test_fenced_json_is_accepted():
    backend = ScriptedBackend(respond=lambda messages, schema: '```json\n{"value": "好"}\n```')
    assert generate_structured(backend, [{"role": "user", "content": "?"}], Answer).value == "好"


def test_second_failure_names_the_section():
    backend = ScriptedBackend(respond=lambda messages, schema: "not json")
    with pytest.raises(GenerationFailed, match="活动准备"):
        generate_structured(backend, [{"role": "user", "content": "?"}], Answer, what="活动准备")
    assert len(backend.calls) == 2


def test_a_raw_line_break_inside_a_string_is_accepted_not_a_failure():
    from pydantic import BaseModel

    from lesson_studio.llm.structured import parse_answer

    class Note(BaseModel):
        text: str

    assert parse_answer(Note, '{"text": "第一行\n第二行"}').text == "第一行\n第二行"


def test_a_fence_written_inside_a_string_does_not_break_valid_json():
    from pydantic import BaseModel

    from lesson_studio.llm.structured import parse_answer

    class Step(BaseModel):
        teacher: str

    answer = '{"teacher": "请小朋友把办法写在 ``` 这样的框里，再说一说。"}'
    assert parse_answer(Step, answer).teacher.startswith("请小朋友")
    assert parse_answer(Step, "```json\n" + answer + "\n```").teacher.startswith("请小朋友")
