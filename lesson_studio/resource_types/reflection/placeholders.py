"""活动反思 in a school's own Word template: the placeholders such a template may use, and their values.

Text placeholders: {{ 幼儿园 }}, {{ 班级 }}, {{ 教师 }} and {{ 日期 }} (typed at export: a reflection
carries none of them), {{ 标题 }}, {{ 教案名称 }}, {{ 年龄段 }}, {{ 时间分析 }}, {{ 下次再做 }},
{{ 修订说明 }} (which version of the plan the revision was saved as), {{ 提示 }}.
List placeholders (printed one item a line, or looped over with {% for 项 in … %}):
{{ 目标达成 }} (项.维度, 项.目标, 项.达成, 项.证据), {{ 幼儿表现 }} (项.序号, 项.内容),
{{ 时间与环节 }} (项.环节, 项.标题, 项.CPS阶段, 项.计划, 项.实际, 项.情况; a table row each with
{%tr for 环 in 时间与环节 %}), {{ 调整建议 }} (项.序号, 项.记录, 项.记录内容, 项.内容),
{{ 教案的修改 }} (项.环节, 项.标题, 项.原时长, 项.新时长, 项.原因, 项.说明) and
{{ 记录 }} (the teacher's notes as numbered by code: 项.序号, 项.内容).
"""

from __future__ import annotations

from lesson_studio.export.cover import Cover
from lesson_studio.export.placeholders import Items, Placeholder, TemplatePlaceholders, item
from lesson_studio.export.specimen import specimen_plan
from lesson_studio.resource_types.reflection.export import changes_lines
from lesson_studio.resource_types.reflection.schema import (
    GoalReview,
    Reflection,
    StepChange,
    StepTiming,
    Suggestion,
    TeacherNote,
)

PLACEHOLDERS: tuple[Placeholder, ...] = (
    Placeholder("幼儿园", "幼儿园名称（导出时填写）", "阳光幼儿园"),
    Placeholder("班级", "班级（导出时填写）", "中二班"),
    Placeholder("教师", "执教教师（导出时填写，默认为当前用户）", "王老师"),
    Placeholder("日期", "日期（导出时填写）", "2026年12月7日"),
    Placeholder("标题", "反思的标题", "《给小熊搭座桥》活动反思"),
    Placeholder("教案名称", "反思的教案", "中班科学：给小熊搭座桥"),
    Placeholder("年龄段", "小班 / 中班 / 大班 / 混龄", "中班"),
    Placeholder(
        "目标达成",
        "目标达成（列表，教案的每条目标一项）",
        "【认知】知道桥要立得稳——部分达成：……",
        {
            "维度": "认知 / 能力 / 情感",
            "目标": "教案的目标",
            "达成": "达成 / 部分达成 / 未达成 / 未观察到",
            "证据": "来自记录的证据",
            "文本": "整条",
        },
    ),
    Placeholder(
        "幼儿表现",
        "幼儿表现（列表，只写记录里的事实）",
        "1. 有三组幼儿用积木垫高了桥墩。",
        {"序号": "1、2、3……", "内容": "事实本身", "文本": "整条，如“1. ……”"},
    ),
    Placeholder(
        "时间与环节",
        "各环节的计划与实际用时（列表，每个环节一项）",
        "2. 想办法·小熊怎么过河：计划6分钟，实际9分钟，超时",
        {
            "环节": "数字，如 2",
            "标题": "环节的小标题",
            "CPS阶段": "发现问题 / 想办法 / ……",
            "计划": "计划分钟数（数字）",
            "实际": "实际用时，如“9分钟”，未记录时为“—”",
            "情况": "超时 / 提前 / 按时 / 未记录",
            "文本": "整条",
        },
    ),
    Placeholder("时间分析", "时间与环节的分析", "想办法环节超时……"),
    Placeholder(
        "调整建议",
        "调整建议（列表，每条写明回应哪条记录）",
        "1. 想办法前先约定……（回应记录3：……）",
        {
            "序号": "1、2、3……",
            "记录": "回应的记录编号（数字）",
            "记录内容": "那条记录",
            "内容": "建议本身",
            "文本": "整条",
        },
    ),
    Placeholder("下次再做", "下次再做", "下次把想办法的时间……"),
    Placeholder(
        "教案的修改",
        "修订后的教案改了哪些环节（列表），没有修改时为一句说明",
        "第2环节《小熊怎么过河》（6→9分钟）：……。原因：……",
        {
            "环节": "数字，如 2",
            "标题": "环节的小标题",
            "原时长": "原分钟数（数字）",
            "新时长": "新分钟数（数字）",
            "原因": "为什么改",
            "说明": "改了什么",
            "文本": "整条",
        },
    ),
    Placeholder("修订说明", "修订后的教案保存为第几版，没有保存时为空", "修订后的教案已保存为第3版。"),
    Placeholder(
        "记录",
        "老师的记录（列表，由系统逐句编号）",
        "记录1：有三组幼儿用积木垫高了桥墩。",
        {"序号": "记录编号（数字）", "内容": "那句记录", "文本": "整条，如“记录1：……”"},
    ),
    Placeholder("提示", "系统调整说明，没有时为空", "各环节合计已调整为20分钟"),
)


def reflection_values(reflection: Reflection, cover: Cover) -> dict[str, object]:
    """Every placeholder's value for one reflection (cleaned by TemplatePlaceholders)."""
    saved = reflection.revised_version_number
    return {
        "幼儿园": cover.school,
        "班级": cover.class_name,
        "教师": cover.teacher,
        "日期": cover.date,
        "标题": reflection.title,
        "教案名称": reflection.plan_title,
        "年龄段": reflection.age_band,
        "目标达成": Items(
            item(
                维度=review.dimension,
                目标=review.objective,
                达成=review.achieved,
                证据=review.evidence,
                文本=f"【{review.dimension}】{review.objective}——{review.achieved}：{review.evidence}",
            )
            for review in reflection.goal_reviews
        ),
        "幼儿表现": Items(
            item(序号=number, 内容=fact, 文本=f"{number}. {fact}")
            for number, fact in enumerate(reflection.child_facts, start=1)
        ),
        "时间与环节": Items(
            item(
                环节=timing.step,
                标题=timing.title,
                CPS阶段=timing.cps_stage,
                计划=timing.planned,
                实际=f"{timing.actual}分钟" if timing.actual is not None else "—",
                情况=timing.status,
                文本=f"{timing.step}. {timing.cps_stage}·{timing.title}：计划{timing.planned}分钟，"
                + (f"实际{timing.actual}分钟，" if timing.actual is not None else "")
                + timing.status,
            )
            for timing in reflection.timings
        ),
        "时间分析": reflection.timing_review,
        "调整建议": Items(
            item(
                序号=number,
                记录=suggestion.note,
                记录内容=suggestion.note_text,
                内容=suggestion.text,
                文本=f"{number}. {suggestion.text}（回应记录{suggestion.note}：{suggestion.note_text}）",
            )
            for number, suggestion in enumerate(reflection.suggestions, start=1)
        ),
        "下次再做": reflection.next_time,
        "教案的修改": Items(
            [
                item(
                    环节=change.step,
                    标题=change.title,
                    原时长=change.minutes_before,
                    新时长=change.minutes_after,
                    原因=change.reason,
                    说明=change.summary,
                    文本=line,
                )
                for change, line in zip(reflection.changes, changes_lines(reflection), strict=False)
            ]
            # No change: the built-in layout's one line, so a template's table is never silently empty.
            or [item(环节="", 标题="", 原时长="", 新时长="", 原因="", 说明="", 文本=changes_lines(reflection)[0])]
        ),
        "修订说明": f"修订后的教案已保存为第{saved}版。" if saved else "",
        "记录": Items(
            item(序号=note.number, 内容=note.text, 文本=f"记录{note.number}：{note.text}") for note in reflection.notes
        ),
        "提示": "\n".join(reflection.warnings),
    }


def specimen_reflection() -> Reflection:
    """A small complete reflection, every list non-empty: the upload check's test fill."""
    plan = specimen_plan()
    step = plan.steps[1]
    return Reflection(
        title=f"《{plan.title}》活动反思",
        plan_title=plan.title,
        age_band=plan.age_band,
        plan_version_id=1,
        notes=[TeacherNote(number=1, source="children", text="有三个孩子用毛线把帽子系在小熊下巴上。")],
        goal_reviews=[
            GoalReview(dimension="能力", objective=plan.objectives[1].text, achieved="部分达成", evidence="记录1")
        ],
        child_facts=["有三个孩子用毛线把帽子系在小熊下巴上。"],
        timings=[StepTiming(step=2, title=step.title, cps_stage=step.cps_stage, planned=14, actual=17, status="超时")],
        timing_review="做帽子的环节超时了3分钟。",
        suggestions=[
            Suggestion(note=1, note_text="有三个孩子用毛线把帽子系在小熊下巴上。", text="请先系好的孩子分享办法。")
        ],
        next_time="下次先请孩子们说说帽子为什么会掉。",
        changes=[
            StepChange(step=2, title=step.title, minutes_before=14, minutes_after=14, reason="超时", summary="减少示范")
        ],
        revised_plan=plan,
        revised_version_id=2,
        revised_version_number=2,
        warnings=["各环节合计已调整为20分钟"],
    )


REFLECTION_TEMPLATES = TemplatePlaceholders(
    placeholders=PLACEHOLDERS, values=reflection_values, specimen=specimen_reflection
)
