import pytest

from lesson_studio.authoring.generate import build_context
from lesson_studio.authoring.scaffold import (
    BAND_RULES,
    build_scaffold,
    load_hazards,
    split_minutes,
)
from lesson_studio.models import LessonRequest


def request(**changes) -> LessonRequest:
    values = {"age_band": "中班", "domain": "科学", "topic": "让乒乓球过小河", "minutes": 20}
    values.update(changes)
    return LessonRequest(**values)


@pytest.mark.parametrize("band", ["小班", "中班", "大班", "混龄"])
@pytest.mark.parametrize("minutes", [5, 9, 15, 17, 20, 23, 25, 30, 45, 60])
def test_step_minutes_sum_to_the_request(band, minutes):
    scaffold = build_scaffold(request(age_band=band, minutes=minutes))
    assert sum(step.minutes for step in scaffold.steps) == minutes
    assert all(step.minutes >= 1 for step in scaffold.steps)


@pytest.mark.parametrize("band", ["小班", "中班", "大班"])
def test_opening_stays_within_a_fifth_of_the_time(band):
    rules = BAND_RULES[band]
    scaffold = build_scaffold(request(age_band=band, minutes=rules.cap_max))
    assert scaffold.steps[0].phase == "导入"
    assert scaffold.steps[0].minutes <= 0.2 * rules.cap_max


@pytest.mark.parametrize(
    ("band", "stages"),
    [
        ("小班", ["发现问题", "想办法", "试一试改一改", "分享"]),
        ("中班", ["发现问题", "想办法", "选办法", "试一试改一改", "分享"]),
        ("大班", ["发现问题", "想办法", "选办法", "试一试改一改", "分享"]),
    ],
)
def test_cps_stages_follow_the_band_and_order(band, stages):
    scaffold = build_scaffold(request(age_band=band, minutes=BAND_RULES[band].cap_min))
    assert [step.cps_stage for step in scaffold.steps] == stages
    assert scaffold.steps[-1].phase == "结束"


def test_ideas_come_before_trying():
    stages = [step.cps_stage for step in build_scaffold(request()).steps]
    assert stages.index("想办法") < stages.index("试一试改一改")


@pytest.mark.parametrize(("band", "over"), [("小班", 21), ("中班", 26), ("大班", 31)])
def test_request_over_the_band_cap_is_warned(band, over):
    scaffold = build_scaffold(request(age_band=band, minutes=over))
    assert any(f"不超过{BAND_RULES[band].cap_max}分钟" in warning for warning in scaffold.warnings)


@pytest.mark.parametrize("band", ["小班", "中班", "大班"])
def test_request_within_the_band_cap_has_no_time_warning(band):
    scaffold = build_scaffold(request(age_band=band, minutes=BAND_RULES[band].cap_max))
    assert not any("分钟" in warning for warning in scaffold.warnings)


def test_very_short_activity_keeps_ideas_and_trying():
    scaffold = build_scaffold(request(minutes=8))
    assert [step.cps_stage for step in scaffold.steps] == ["想办法", "试一试改一改"]


def test_brainstorm_rules_are_in_child_language_per_band():
    assert '不说"不行"' in build_scaffold(request(age_band="小班", minutes=15)).brainstorm_rules
    assert "借别人的点子变一变" in build_scaffold(request(age_band="大班", minutes=25)).brainstorm_rules
    assert "借别人的点子变一变" not in build_scaffold(request(age_band="中班")).brainstorm_rules


@pytest.mark.parametrize(
    ("band", "materials", "hazard_id"),
    [
        ("中班", ["气球", "纸杯"], "balloon"),
        ("大班", ["磁铁"], "magnet"),
        ("大班", ["纽扣电池"], "battery"),
        ("小班", ["剪刀", "彩纸"], "scissors_young"),
        ("大班", ["剪刀"], "scissors"),
        ("中班", ["水", "漏斗"], "water_play"),
        ("小班", ["纽扣", "瓶盖"], "small_parts_young"),
        ("中班", ["旧报纸", "毛线"], "string"),
    ],
)
def test_hazardous_materials_get_a_safety_note(band, materials, hazard_id):
    scaffold = build_scaffold(request(age_band=band, minutes=20, materials=materials))
    assert hazard_id in {note.hazard_id for note in scaffold.safety_notes}


def test_fire_is_turned_into_a_teacher_only_material_with_the_reason():
    scaffold = build_scaffold(
        request(age_band="大班", minutes=25, topic="点蜡烛过生日", materials=["蜡烛", "打火机", "彩纸"])
    )
    assert "打火机" in scaffold.teacher_only_materials
    assert "打火机" not in scaffold.child_materials and "彩纸" in scaffold.child_materials
    assert any("打火机" in warning and "原因" in warning for warning in scaffold.warnings)
    assert any(note.severity == "ban" for note in scaffold.safety_notes)


def test_children_get_something_safe_to_handle_in_place_of_a_banned_material():
    """bench/quality.py r05: with the small beads teacher-only, the 小班 children only watched the
    teacher string a necklace; they string large pieces instead."""
    beads = build_scaffold(request(age_band="小班", minutes=15, topic="给妈妈串一条项链", materials=["小珠子", "绳子"]))
    assert beads.teacher_only_materials == ["珠子"] and beads.child_materials[0] == "绳子"
    assert any(m.startswith("大颗粒材料") for m in beads.child_materials)
    candle = build_scaffold(request(age_band="大班", minutes=25, topic="点燃蜡烛", materials=["蜡烛", "打火机"]))
    assert candle.teacher_only_materials == ["蜡烛", "打火机"]  # what she listed, not the topic's 点燃
    assert candle.child_materials == ["LED电子蜡烛"]
    assert "LED电子蜡烛" in build_context(candle, [])


def test_safe_materials_get_only_the_band_wide_note():
    scaffold = build_scaffold(request(materials=["积木", "纸箱"]))
    assert [note.hazard_id for note in scaffold.safety_notes] == ["general"]
    assert scaffold.teacher_only_materials == []


def test_every_xiaoban_plan_mentions_swallowing():
    scaffold = build_scaffold(request(age_band="小班", minutes=15, materials=["积木"]))
    assert any("误食" in note.note for note in scaffold.safety_notes)


def test_primary_school_drills_become_play_with_the_reason():
    scaffold = build_scaffold(request(age_band="大班", minutes=25, topic="学习竖式加法", notes="发作业单"))
    assert any("小学化" in warning and "竖式" in warning for warning in scaffold.warnings)
    assert any("小学化" in ban for ban in scaffold.band_bans)
    # The model is told the play-based topic, never the drill's name (it wrote the drill when told it).
    assert scaffold.topic == "学习加法" and scaffold.notes == "发游戏记录卡"
    context = build_context(scaffold, [])
    assert "竖式" not in context and "作业单" not in context and "学习加法" in context


def test_a_request_without_drills_keeps_the_teachers_words():
    scaffold = build_scaffold(request(age_band="中班", minutes=20, topic="给小熊做帽子", notes="用旧报纸"))
    assert scaffold.topic == "给小熊做帽子" and scaffold.notes == "用旧报纸"
    assert "给小熊做帽子" in build_context(scaffold, []) and "用旧报纸" in build_context(scaffold, [])


def test_every_hazard_row_is_usable():
    hazards = load_hazards()
    assert len({hazard.id for hazard in hazards}) == len(hazards)
    for hazard in hazards:
        assert hazard.keywords and hazard.note and hazard.severity in ("ban", "caution")
        assert set(hazard.bands) <= {"小班", "中班", "大班", "混龄"}


@pytest.mark.parametrize("total", range(1, 61))
def test_split_minutes_is_exact(total):
    assert sum(split_minutes(total, ("发现问题", "想办法", "选办法", "试一试改一改", "分享"))) == total
