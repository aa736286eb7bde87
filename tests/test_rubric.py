"""Table-driven rubric tests: per criterion, a plan that passes and one that fails, per age band."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
from sample_plans import sample_plan

from lesson_studio.authoring.content_checks import Passage
from lesson_studio.authoring.rubric import RubricContext, evaluate, failed_sections
from lesson_studio.models import LessonPlan, LessonRequest, SafetyNote

ROOT = Path(__file__).resolve().parents[1]
XIAOBAN_NOTE = SafetyNote(hazard_id="general_xiaoban", material="全部材料", note="提醒幼儿不把材料放进嘴里，防止误食。")


def plan_for(band: str) -> LessonPlan:
    """A plan that passes every program check for the band."""
    plan = sample_plan()
    if band == "大班":
        return plan
    if band == "中班":
        minutes = [4, 6, 3, 9, 3]
        steps = [s.model_copy(update={"minutes": m}) for s, m in zip(plan.steps, minutes, strict=True)]
        return plan.model_copy(update={"age_band": "中班", "minutes": 25, "steps": steps})
    steps = [s for s in plan.steps if s.cps_stage != "选办法"]
    minutes = [3, 5, 7, 3]
    steps = [s.model_copy(update={"minutes": m}) for s, m in zip(steps, minutes, strict=True)]
    steps[2] = steps[2].model_copy(update={"children": "自己选纸杯或积木搭桥，放小鸭玩偶试一试，塌了再搭。"})
    return plan.model_copy(
        update={"age_band": "小班", "minutes": 18, "steps": steps, "safety_notes": [*plan.safety_notes, XIAOBAN_NOTE]}
    )


def status_of(plan: LessonPlan, key: str, context: RubricContext | None = None) -> str:
    return next(r for r in evaluate(plan, context).results if r.key == key).status


def with_step(plan: LessonPlan, index: int, **changes) -> LessonPlan:
    steps = list(plan.steps)
    steps[index] = steps[index].model_copy(update=changes)
    return plan.model_copy(update={"steps": steps})


BANDS = ["小班", "中班", "大班"]


@pytest.mark.parametrize("band", BANDS)
def test_good_plan_passes_every_checkable_criterion(band):
    report = evaluate(plan_for(band))
    assert report.failed == [], [(r.name, r.message) for r in report.failed]
    assert report.passed


def mutate_structure(plan):
    return plan.model_copy(update={"observation_points": []})


def mutate_objectives(plan):
    objectives = [o.model_copy(update={"text": "培养幼儿的创造能力"}) for o in plan.objectives]
    return plan.model_copy(update={"objectives": objectives[:2]})


def mutate_time(plan):
    return with_step(plan, 0, minutes=plan.steps[0].minutes + 10)


def mutate_cps(plan):
    return plan.model_copy(update={"steps": [s for s in plan.steps if s.cps_stage != "想办法"]})


def mutate_divergence(plan):
    index = next(i for i, s in enumerate(plan.steps) if s.cps_stage == "想办法")
    return with_step(plan, index, teacher="教师示范正确方法，再请幼儿照着做。")


def mutate_questions(plan):
    return plan.model_copy(update={"steps": [s.model_copy(update={"key_questions": ["对不对？"]}) for s in plan.steps]})


def mutate_agency(plan):
    return with_step(plan, 1, children="")


def mutate_materials(plan):
    materials = [m.model_copy(update={"quantity": "适量"}) for m in plan.preparation.materials]
    return plan.model_copy(update={"preparation": plan.preparation.model_copy(update={"materials": materials})})


def mutate_differentiation(plan):
    text = plan.model_dump_json()
    for word in ("提示卡", "半成品", "同伴", "帮助", "个别指导", "支持", "挑战", "提前完成", "更难", "再试", "升级", "进一步"):
        text = text.replace(word, "")
    return LessonPlan.model_validate_json(text)


def mutate_observation(plan):
    return plan.model_copy(update={"observation_points": ["给每个幼儿打分，排名前三的奖励贴纸"]})


def mutate_extension(plan):
    return plan.model_copy(update={"extension": plan.extension.model_copy(update={"home": "请家长购买材料并完成作业单"})})


def mutate_schoolification(plan):
    return with_step(plan, 1, children="幼儿在练习册上列竖式计算 3+5=8")


def mutate_grounding(plan):
    return with_step(plan, 0, intent="参考资料[9]的做法")


MUTATIONS = [
    ("structure", mutate_structure),
    ("objectives", mutate_objectives),
    ("time", mutate_time),
    ("cps_steps", mutate_cps),
    ("divergence", mutate_divergence),
    ("questions", mutate_questions),
    ("agency", mutate_agency),
    ("materials", mutate_materials),
    ("differentiation", mutate_differentiation),
    ("observation", mutate_observation),
    ("extension", mutate_extension),
    ("schoolification", mutate_schoolification),
    ("grounding", mutate_grounding),
]


@pytest.mark.parametrize("band", BANDS)
@pytest.mark.parametrize(("key", "mutate"), MUTATIONS, ids=[key for key, _ in MUTATIONS])
def test_each_criterion_fails_on_its_defect(band, key, mutate):
    good = plan_for(band)
    assert status_of(good, key) == "pass"
    assert status_of(mutate(good), key) == "fail"


@pytest.mark.parametrize(
    ("band", "word"), [("小班", "记录表"), ("小班", "分成小组"), ("中班", "写下"), ("大班", "抄写")]
)
def test_band_bans(band, word):
    plan = with_step(plan_for(band), 1, children=f"幼儿{word}自己的办法")
    assert status_of(plan, "age") == "fail"


def test_recording_by_drawing_is_fine_for_zhongban_but_not_a_record_sheet_for_xiaoban():
    assert status_of(with_step(plan_for("中班"), 1, children="幼儿用图画记录表记下办法"), "age") == "pass"
    assert status_of(with_step(plan_for("小班"), 1, children="幼儿用图画记录表记下办法"), "age") == "fail"


def test_xiaoban_plan_without_swallowing_note_fails():
    plan = plan_for("小班")
    plan = plan.model_copy(update={"safety_notes": [n for n in plan.safety_notes if "误食" not in n.note]})
    assert status_of(plan, "materials") == "fail"


def test_material_outside_the_teachers_list_fails_when_she_constrained_them():
    request = LessonRequest(age_band="大班", domain="科学", topic="搭桥", minutes=30, materials=["纸杯", "雪花片积木", "安全剪刀", "浅水盆"])
    assert status_of(plan_for("大班"), "materials", RubricContext(request=request)) == "pass"
    narrow = request.model_copy(update={"materials": ["纸杯"]})
    assert status_of(plan_for("大班"), "materials", RubricContext(request=narrow)) == "fail"


def test_risky_material_without_a_note_fails():
    plan = plan_for("大班").model_copy(update={"safety_notes": []})
    assert status_of(plan, "materials") == "fail"


def test_guideline_check_says_so_when_no_catalogue_was_imported():
    result = next(r for r in evaluate(plan_for("大班")).results if r.key == "guideline")
    assert result.status == "skip" and "导入" in result.message


CATALOGUE = {"大班": {"能用一定的方法验证自己的猜测"}, "中班": {"能根据观察结果提出问题，并大胆猜测答案"}}


@pytest.mark.parametrize(
    ("band", "lines", "expected"),
    [
        ("大班", ["科学 （一）科学探究 目标2：能用一定的方法验证自己的猜测"], "pass"),
        ("大班", ["科学 （一）科学探究 目标2：能根据观察结果提出问题，并大胆猜测答案"], "fail"),  # wrong band
        ("大班", ["科学 （一）科学探究 目标2：能用多种方法验证猜测"], "fail"),  # paraphrased
        ("大班", [], "fail"),
        ("中班", ["数学领域 目标1：能根据观察结果提出问题，并大胆猜测答案"], "fail"),
        ("混龄", ["科学 （一）科学探究 目标2：能根据观察结果提出问题，并大胆猜测答案"], "pass"),  # spans the bands
        ("混龄", ["科学 （一）科学探究 目标2：能用多种方法验证猜测"], "fail"),  # paraphrased
        ("混龄", [], "fail"),
    ],
)
def test_guideline_lines_must_be_verbatim_and_band_correct(band, lines, expected):
    base = plan_for("大班" if band == "混龄" else band)
    plan = base.model_copy(update={"guideline_lines": lines, "age_band": band})
    assert status_of(plan, "guideline", RubricContext(catalogue_lines=CATALOGUE)) == expected


def test_rubric_cli_prints_the_same_results(tmp_path):
    plan_file = tmp_path / "plan.json"
    plan_file.write_text(mutate_time(plan_for("中班")).model_dump_json(), encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "lesson_studio", "--data-dir", str(tmp_path / "data"), "rubric", str(plan_file), "--json"],
        cwd=ROOT, capture_output=True, text=True,
    )
    assert result.returncode == 4  # the plan did not pass (a starred criterion failed)
    rows = json.loads(result.stdout)["results"]
    assert next(row for row in rows if row["key"] == "time")["status"] == "fail"


def test_rubric_cli_checks_the_guideline_against_the_imported_catalogue(tmp_path, monkeypatch, capsys):
    from lesson_studio import cli
    from lesson_studio.studio import Studio

    plan = plan_for("大班").model_copy(update={"guideline_lines": ["科学 （一）科学探究 目标2：能用一定的方法验证自己的猜测"]})
    plan_file = tmp_path / "plan.json"
    plan_file.write_text(plan.model_dump_json(), encoding="utf-8")
    argv = ["--data-dir", str(tmp_path / "data"), "rubric", str(plan_file), "--json"]

    def guideline_status() -> str:
        cli.main(argv)
        rows = json.loads(capsys.readouterr().out)["results"]
        return next(row for row in rows if row["key"] == "guideline")["status"]

    assert guideline_status() == "skip"  # nothing imported: said so, not passed
    # The catalogue a lead imported (what Studio.catalogue_lines reads from the library; its parsing
    # is tested with the real 《指南》 in test_library_catalogue.py).
    monkeypatch.setattr(Studio, "catalogue_lines", lambda self, user: CATALOGUE)
    assert guideline_status() == "pass"


# --- the content checks as sub-criteria (issue 10: the rubric gave 15/15 to a ping-pong plan about hats)

HAT_PASSAGE = Passage("中班艺术：给小熊做帽子", "师：看看点子板，你最想做哪一顶？幼：团成球粘在头上；用毛线系在下巴上。")
BRIDGE = LessonRequest(age_band="大班", domain="科学", topic="给小鸭搭座桥", minutes=30, materials=["纸杯", "雪花片积木", "安全剪刀", "浅水盆"])
CANDLE = LessonRequest(age_band="大班", domain="科学", topic="点燃蜡烛，再想办法让蜡烛熄灭", minutes=30, materials=["蜡烛", "打火机"])


def test_a_plan_that_talks_about_another_activitys_problem_does_not_pass():
    plan = with_step(plan_for("大班"), 2, key_questions=["你想做哪一顶帽子？", "还有哪些不同的办法？"])
    report = evaluate(plan, RubricContext(request=BRIDGE, passages=[HAT_PASSAGE]))
    grounding = next(r for r in report.results if r.key == "grounding")
    assert grounding.status == "fail" and grounding.starred and "帽子" in grounding.message
    assert grounding.sections == ["step:2"] and not report.passed


@pytest.mark.parametrize(
    ("change", "key"),
    [
        ({"children": "出示三个标准：安全吗？做得到吗？能让小鸭过去吗？请每人用贴纸投票。"}, "agency"),  # copies the teacher
        ({"title": "结束分享：做了什么、谁会用、当"}, "structure"),
        ({"teacher": "师：老师：和幼儿一起定标准：安全吗？做得到吗？"}, "structure"),
    ],
)
def test_visible_defects_in_a_step_fail_their_criterion(change, key):
    plan = with_step(plan_for("大班"), 2, **change)
    result = next(r for r in evaluate(plan).results if r.key == key)
    assert result.status == "fail" and result.sections == ["step:2"]


def test_children_at_a_flame_fail_materials_and_safety_even_with_the_safety_notes():
    plan = with_step(plan_for("大班"), 3, children="用纸巾、湿布盖住蜡烛火焰；使用酒精灯的焰心来烧掉蜡烛")
    result = next(r for r in evaluate(plan, RubricContext(request=CANDLE)).results if r.key == "materials")
    assert result.status == "fail" and "蜡烛" in result.message and result.sections == ["step:3"]


def test_an_ability_objective_about_something_else_fails_objectives():
    plan = plan_for("大班")
    objectives = [o.model_copy(update={"text": "能观察物体并进行简单的分类"}) if o.dimension == "能力" else o for o in plan.objectives]
    plan = plan.model_copy(update={"objectives": objectives})
    assert status_of(plan, "objectives", RubricContext(request=BRIDGE)) == "fail"


def test_a_listed_material_missing_from_the_preparation_fails():
    request = BRIDGE.model_copy(update={"materials": [*BRIDGE.materials, "吸管"]})
    result = next(r for r in evaluate(plan_for("大班"), RubricContext(request=request)).results if r.key == "materials")
    assert result.status == "fail" and "吸管" in result.message


def test_one_click_fix_rewrites_only_the_sections_a_check_named():
    plan = with_step(plan_for("大班"), 2, key_questions=["你想做哪一顶帽子？", "还有哪些不同的办法？"])
    report = evaluate(plan, RubricContext(request=BRIDGE, passages=[HAT_PASSAGE]))
    assert list(failed_sections(report, plan)) == ["step:2"]
