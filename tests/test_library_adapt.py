"""Adapt mode from the library: a curated lesson becomes a new plan for another band, duration or
materials; the plan is grounded in that lesson, records it, and can be compared with it."""

import pytest
from library_fakes import HashEmbeddingFunction

from lesson_studio.errors import InvalidInput, NotFound
from lesson_studio.library import Library
from lesson_studio.studio import Studio

LESSON = """# 中班科学：纸杯高塔
<!-- tags: resource_type=活动案例; age_band=中班; domain=科学 -->

## 设计意图

孩子们搭积木时总说塔太矮，本活动让他们用纸杯想办法搭得又高又稳。

## 活动目标

- 认知：知道底座宽、杯口朝下更稳。

## 活动过程（共20分钟）

### 一、导入：塔倒了（发现问题，3分钟）

教师出示倒下的纸杯塔，问孩子：我们怎样才能让塔又高又不倒？

### 二、想办法（想办法，5分钟）

幼儿说出、摆出尽可能多的搭法。

## 活动延伸

建构区继续投放纸杯。
"""

METHOD_CARD = """# 头脑风暴的规则
<!-- tags: resource_type=方法卡 -->

## 规则

不说不行，点子越多越好。
"""


@pytest.fixture
def studio(settings, fake_backend, tmp_path, store):
    lead = store.ensure_user("zhao", role="lead")
    library = Library(settings, store=store, embedding_function=HashEmbeddingFunction(), background=False)
    for name, text in (("cup-tower.md", LESSON), ("rules.md", METHOD_CARD)):
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        library.ingest(lead, [path])
    yield Studio(settings, library=library)
    library.close()


def lesson_id(studio, teacher):
    (lesson,) = studio.library.lessons(teacher)
    return lesson.document_id


def test_only_lesson_plans_are_offered_for_adapting(studio, teacher):
    assert [doc.title for doc in studio.library.lessons(teacher)] == ["中班科学：纸杯高塔"]


def test_the_request_is_prefilled_from_the_lesson(studio, teacher):
    request = studio.library_lesson_request(teacher, lesson_id(studio, teacher))
    assert (request.age_band, request.domain, request.topic) == ("中班", "科学", "纸杯高塔")


def test_adapting_grounds_the_plan_in_the_lesson_and_records_it(studio, teacher, fake_backend):
    request = studio.library_lesson_request(teacher, lesson_id(studio, teacher)).model_copy(
        update={"age_band": "大班", "minutes": 30, "materials": ["纸杯", "纸板"]}
    )
    job_id = studio.adapt_library_lesson(teacher, request, idempotency_key="a1")
    view = studio.jobs.wait(teacher, job_id, timeout=10)
    assert view.status == "done"
    plan = studio.load_plan(teacher, view.version_id)
    assert plan.age_band == "大班" and plan.minutes == 30
    assert {c.document_title for c in plan.citations} == {"中班科学：纸杯高塔"}
    prompt = fake_backend.prompts_text()
    assert "改编自资源库教案《中班科学：纸杯高塔》" in prompt and "我们怎样才能让塔又高又不倒" in prompt
    assert studio.store.draft_request(teacher, view.draft_id).source_document_id == lesson_id(studio, teacher)


def test_an_adapted_plan_can_be_compared_with_its_source(studio, teacher):
    request = studio.library_lesson_request(teacher, lesson_id(studio, teacher)).model_copy(update={"age_band": "大班"})
    view = studio.jobs.wait(teacher, studio.adapt_library_lesson(teacher, request, idempotency_key="a2"), timeout=10)
    sections = {section.label: section for section in studio.diff_with_library_source(teacher, view.version_id)}
    assert "用纸杯想办法搭得又高又稳" in sections["设计意图"].before and sections["设计意图"].changed
    assert "又高又不倒" in sections["活动过程"].before and "师：" in sections["活动过程"].after
    assert "建构区继续投放纸杯" in sections["活动延伸"].before


def test_a_plan_not_from_the_library_has_no_source_to_compare(studio, teacher, hat_request):
    view = studio.jobs.wait(teacher, studio.submit_generation(teacher, hat_request, idempotency_key="g"), timeout=10)
    assert studio.diff_with_library_source(teacher, view.version_id) is None


def test_a_disabled_lesson_cannot_be_adapted(studio, teacher, store):
    document = lesson_id(studio, teacher)
    request = studio.library_lesson_request(teacher, document)
    studio.library.set_enabled(store.ensure_user("zhao", role="lead"), document, False)
    with pytest.raises(InvalidInput):
        studio.adapt_library_lesson(teacher, request, idempotency_key="a3")
    with pytest.raises(NotFound):
        studio.library.document_passages(teacher, document)


def test_adapting_without_a_source_is_refused(studio, teacher, hat_request):
    with pytest.raises(InvalidInput, match="选择"):
        studio.adapt_library_lesson(teacher, hat_request, idempotency_key="a4")
