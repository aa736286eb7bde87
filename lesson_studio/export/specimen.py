"""A small complete plan that a school template is test-filled with when it is uploaded."""

from __future__ import annotations

from lesson_studio.export.cover import Cover
from lesson_studio.models import (
    Citation,
    Extension,
    LessonPlan,
    MaterialItem,
    Objective,
    Preparation,
    ProcessStep,
    SafetyNote,
)

SPECIMEN_COVER = Cover(teacher="示例教师", class_name="示例班", date="2025年9月1日", school="示例幼儿园")


def specimen_plan() -> LessonPlan:
    """Every section filled, every list with at least one item, so a test fill reaches every tag."""
    return LessonPlan(
        title="中班艺术：给小熊做帽子",
        age_band="中班",
        domain="艺术",
        minutes=20,
        design_intent="小熊的帽子被风吹走了，孩子们想帮它做一顶戴得住的新帽子。",
        objectives=[
            Objective(dimension="认知", text="知道帽子要戴得稳，需要合适的大小"),
            Objective(dimension="能力", text="能尝试用旧报纸和毛线做帽子"),
            Objective(dimension="情感", text="愿意分享自己的办法"),
        ],
        key_point="用旧报纸做出能戴在小熊头上的帽子。",
        difficult_point="帽子掉下来时想出让它戴稳的办法。",
        preparation=Preparation(
            experience=["看过各种各样的帽子"],
            materials=[
                MaterialItem(name="小熊玩偶", quantity="1只", for_whom="教师"),
                MaterialItem(name="旧报纸", quantity="每人2张"),
                MaterialItem(name="毛线", quantity="每组1团"),
            ],
        ),
        steps=[
            ProcessStep(
                phase="导入",
                cps_stage="发现问题",
                minutes=3,
                title="小熊的帽子飞走了",
                teacher="出示小熊：风把我的帽子吹走了。",
                key_questions=["小熊遇到了什么麻烦？"],
                children="说出小熊需要一顶新帽子。",
                intent="从情境中发现问题。",
            ),
            ProcessStep(
                phase="展开",
                cps_stage="试一试改一改",
                minutes=14,
                title="做一顶帽子",
                teacher="发放报纸和毛线，不示范做法。",
                key_questions=["怎样让帽子戴得稳？"],
                children="动手做帽子，给小熊试戴，掉了再改。",
                intent="在尝试中改进。",
            ),
            ProcessStep(
                phase="结束",
                cps_stage="分享",
                minutes=3,
                title="帽子展示会",
                teacher="请幼儿介绍自己的帽子。",
                children="展示并讲述。",
                intent="分享经验。",
            ),
        ],
        extension=Extension(area="美工区：继续投放报纸和毛线。", home="和家人一起用旧报纸做一顶帽子。"),
        safety_notes=[
            SafetyNote(hazard_id="yarn", material="毛线", note="毛线不绕在脖子和手指上。"),
        ],
        observation_points=["幼儿能否想出不止一种让帽子戴稳的办法。"],
        citations=[
            Citation(
                number=1,
                chunk_id="zhinan:1:1",
                document_id="zhinan",
                document_title="3-6岁儿童学习与发展指南",
                heading="艺术领域",
                page=40,
            )
        ],
        warnings=["示例提示"],
    )
