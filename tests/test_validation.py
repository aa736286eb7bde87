"""Bad input named as the form names it, with the reason in Chinese and in English (lesson_studio.validation)."""

import pytest
from pydantic import BaseModel, Field, ValidationError

from lesson_studio.errors import InvalidInput
from lesson_studio.models import LessonPlan
from lesson_studio.studio import Studio
from lesson_studio.validation import invalid_input


class Item(BaseModel):
    name: str = Field(min_length=1, max_length=5)


class Form(BaseModel):
    title: str = Field(min_length=1, max_length=10)
    weeks: int = Field(ge=1, le=4)
    items: list[Item] = Field(default_factory=list, max_length=2)


LABELS = {"title": "标题 / Title", "weeks": "周数 / Weeks", "items": "材料 / Materials"}


def message(values: dict) -> str:
    with pytest.raises(ValidationError) as caught:
        Form.model_validate(values)
    return str(invalid_input(caught.value, LABELS))


@pytest.mark.parametrize(
    ("values", "chinese", "english"),
    [
        ({"weeks": 1}, "请检查\u201c标题\u201d：必须填写", "Please check 'Title'"),
        ({"title": "", "weeks": 1}, "请检查\u201c标题\u201d：不能为空", "Please check 'Title'"),
        (
            {"title": "一二三四五六七八九十十一", "weeks": 1},
            "请检查\u201c标题\u201d：太长，最多 10 个字",
            "at most 10 characters",
        ),
        ({"title": "春天", "weeks": 6}, "请检查\u201c周数\u201d：不能大于 4", "Please check 'Weeks'"),
        ({"title": "春天", "weeks": "两周"}, "请检查\u201c周数\u201d：请填一个整数", "Please check 'Weeks'"),
        (
            {"title": "春天", "weeks": 1, "items": [{"name": "纸"}, {"name": "很长很长的名字"}]},
            "请检查\u201c材料 › 第2项 › name\u201d：太长，最多 5 个字",
            "Please check 'Materials › item 2 › name'",
        ),
    ],
)
def test_a_bad_field_is_named_with_a_chinese_reason_and_in_english(values, chinese, english):
    text = message(values)
    assert text.startswith(chinese) and " / " in text and english in text


def test_the_lesson_form_names_its_field_in_both_languages():
    with pytest.raises(InvalidInput) as caught:
        Studio.request_from_form({"topic": "", "minutes": 20})
    assert str(caught.value).startswith("请检查\u201c活动主题\u201d：不能为空 / Please check 'Topic'")


def test_a_list_field_may_be_one_a_line_or_separated_on_one_line():
    request = Studio.resource_request_from_form(
        "parent_letter",
        {
            "class_name": "中二班",
            "teacher": "王老师",
            "date": "2026-12-07",
            "topic": "做帽子",
            "collect": "纸盒\n毛线、瓶盖",
        },
    )
    assert list(request.collect) == ["纸盒", "毛线", "瓶盖"]


def test_an_edit_that_breaks_the_schema_is_refused_naming_the_field(settings, fake_backend, teacher, hat_request):
    from lesson_studio.authoring.generate import generate_plan

    studio = Studio(settings, use_library=False)
    plan = generate_plan(hat_request, backend=fake_backend).plan
    version = studio.store.save_version(teacher, plan)
    too_long = plan.model_copy(update={"design_intent": "长" * 1000})
    with pytest.raises(InvalidInput, match="请检查\u201c设计意图\u201d：太长，最多 900 个字"):
        studio.save_document(
            teacher, version.draft_id, LessonPlan.model_construct(**too_long.__dict__), base_version_id=version.id
        )
