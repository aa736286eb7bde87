"""展开为教案: a collective activity of a unit as a lesson plan's request that keeps the unit's
context — the band, the activity's domain and minutes, the unit's real problem, the activity's
place on the CPS path with its branch of the question web, and the unit's materials — so the
lesson is written as part of the unit rather than on its own (Studio.expand_item submits it)."""

from __future__ import annotations

from lesson_studio.errors import InvalidInput
from lesson_studio.models import LessonRequest
from lesson_studio.resource_types.theme_unit import english
from lesson_studio.resource_types.theme_unit.schema import COLLECTIVE, ThemeUnit

NOTES_CHARS = 500  # LessonRequest.notes
# The lesson plan's CPS stage that each step on the unit's path puts first (models.CpsStage).
LESSON_FOCUS = {"发现烦恼": "发现问题", "想办法": "想办法", "做出来": "试一试改一改", "展示/用起来": "分享"}


def lesson_request_for(unit: ThemeUnit, item_key: str) -> LessonRequest:
    """The lesson request for one collective activity; another key is an InvalidInput."""
    found = [(week, a) for week in unit.weeks for a in week.activities if a.key == item_key]
    if not found:
        raise InvalidInput(f"主题里没有这个活动：{item_key} / The unit has no activity {item_key}")
    week, activity = found[0]
    if activity.kind != COLLECTIVE:
        raise InvalidInput(
            f"只有集体活动可以展开为教案（“{activity.title}”是{activity.kind}）"
            " / Only a collective activity becomes a lesson plan"
        )
    questions = next((branch.questions for branch in unit.question_web if branch.stage == activity.stage), [])
    if unit.language == "en":
        # A unit asked for in English expands into a lesson plan in English (prompts/en/lesson_*).
        notes = english.expansion_notes(
            unit.title, week.number, activity.stage, unit.problem, questions, activity.children_do
        )
    else:
        notes = (
            f"这是主题活动《{unit.title}》第{week.number}周的集体活动，处在主题路径“发现烦恼→想办法→做出来→展示/用起来”的"
            f"“{activity.stage}”一步。主题从真实问题出发：{unit.problem}。"
            + (f"这一步的问题网：{'；'.join(questions)}。" if questions else "")
            + f"幼儿在活动中：{activity.children_do}"
        )
    return LessonRequest(
        age_band=unit.age_band,
        domain=activity.domain,
        topic=activity.title or unit.theme,
        minutes=activity.minutes or 20,
        materials=list(unit.materials)[:30],
        cps_focus=LESSON_FOCUS[activity.stage],
        notes=notes[:NOTES_CHARS],
        language=unit.language,
    )
