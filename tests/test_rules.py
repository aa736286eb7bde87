"""Code's rules live in one function (authoring.rules.apply_code_rules), used by generation and
by every refinement: a section written later gets exactly what a generated one gets."""

import json

import pytest
from fakes import SECTION_ANSWERS, ScriptedBackend, answer_for

from lesson_studio.authoring.generate import generate_plan
from lesson_studio.authoring.refine import regenerate_section
from lesson_studio.authoring.rules import apply_code_rules
from lesson_studio.authoring.scaffold import build_scaffold, has_tiers

STEP_KEYS = frozenset({"title", "teacher", "key_questions", "children", "intent"})
PLAIN_STEP = dict(SECTION_ANSWERS[STEP_KEYS], teacher="请小朋友们动手试一试。", children="幼儿动手尝试。")


def plain_steps(messages, schema):
    """Every step written without the brainstorming rules, the support or the challenge."""
    if set(schema["properties"]) == STEP_KEYS:
        return json.dumps(PLAIN_STEP, ensure_ascii=False)
    return answer_for(schema)


def stage_index(plan, stage):
    return next(index for index, step in enumerate(plan.steps) if step.cps_stage == stage)


@pytest.mark.parametrize("band", ["小班", "中班", "大班", "混龄"])
def test_a_refined_trying_step_gets_the_support_and_challenge_back_as_a_generated_one_does(band, hat_request):
    request = hat_request.model_copy(update={"age_band": band, "minutes": 15 if band == "小班" else 20})
    generated = generate_plan(request, backend=ScriptedBackend(respond=plain_steps)).plan
    index = stage_index(generated, "试一试改一改")
    stripped = generated.steps[index].model_copy(update={"teacher": "请小朋友们动手试一试。"})
    by_hand = generated.model_copy(
        update={"steps": [*generated.steps[:index], stripped, *generated.steps[index + 1 :]]}
    )
    refined = regenerate_section(
        by_hand,
        f"step:{index}",
        "换一种说法",
        request=request,
        backend=ScriptedBackend(respond=plain_steps),
        insist=False,
    )
    assert has_tiers(refined.steps[index].teacher)
    assert refined.steps[index].teacher == generated.steps[index].teacher


def test_a_refined_brainstorming_step_gets_the_rules_back_as_a_generated_one_does(hat_request):
    generated = generate_plan(hat_request, backend=ScriptedBackend(respond=plain_steps)).plan
    index = stage_index(generated, "想办法")
    refined = regenerate_section(
        generated,
        f"step:{index}",
        "换一种说法",
        request=hat_request,
        backend=ScriptedBackend(respond=plain_steps),
        insist=False,
    )
    assert refined.steps[index].teacher == generated.steps[index].teacher
    assert refined.steps[index].teacher.startswith("想办法的约定：")


def test_applying_the_rules_twice_changes_nothing(hat_request):
    plan = generate_plan(hat_request, backend=ScriptedBackend(respond=plain_steps)).plan
    assert apply_code_rules(plan, build_scaffold(hat_request)) == plan


def test_the_rules_touch_only_the_sections_named(hat_request):
    plan = generate_plan(hat_request, backend=ScriptedBackend(respond=plain_steps)).plan
    index = stage_index(plan, "试一试改一改")
    bare = plan.model_copy(
        update={
            "title": "没有年龄段的标题",
            "steps": [s.model_copy(update={"teacher": "试一试。"}) for s in plan.steps],
        }
    )
    only_step = apply_code_rules(bare, build_scaffold(hat_request), sections=[f"step:{index}"])
    assert has_tiers(only_step.steps[index].teacher)
    assert only_step.title == "没有年龄段的标题"
    assert [s.teacher for i, s in enumerate(only_step.steps) if i != index] == ["试一试。"] * (len(plan.steps) - 1)


def test_a_teacher_only_material_is_the_teachers_whatever_the_model_wrote():
    from lesson_studio.models import LessonRequest

    request = LessonRequest(
        age_band="大班", domain="科学", topic="蜡烛为什么会熄灭", materials=["蜡烛", "打火机", "玻璃杯"]
    )
    scaffold = build_scaffold(request)
    assert scaffold.teacher_only_materials  # the hazard table bans the lighter for children
    plan = generate_plan(request, backend=ScriptedBackend(), check=False).plan
    handed = plan.model_copy(
        update={
            "preparation": plan.preparation.model_copy(
                update={
                    "materials": [
                        m.model_copy(update={"name": "打火机", "for_whom": "幼儿"}) for m in plan.preparation.materials
                    ]
                }
            )
        }
    )
    ruled = apply_code_rules(handed, scaffold, sections=["preparation"])
    assert {m.for_whom for m in ruled.preparation.materials} == {"教师"}
