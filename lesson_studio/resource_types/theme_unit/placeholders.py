"""主题活动 in a school's own Word template: the placeholders such a template may use, and their values.

Text placeholders: {{ 幼儿园 }} (typed at export), {{ 主题名称 }}, {{ 班级 }}, {{ 年龄段 }}, {{ 教师 }},
{{ 开始日期 }}, {{ 周数 }}, {{ 主题 }}, {{ 真实问题 }}, {{ 主题来源与价值 }}, {{ 环境创设 }}, {{ 家园共育 }},
{{ 评价 }}, {{ 主题材料 }}, {{ 提示 }}.
List placeholders (printed one item a line, or looped over with {% for 项 in … %}):
{{ 目标 }} (项.领域, 项.内容), {{ 问题网 }} (项.阶段, 项.问题 — a list of questions),
{{ 周计划 }} (项.周次, 项.日期, 项.阶段, 项.重点, 项.活动 — a list of the week's activities, one line each)
and {{ 活动 }} (every activity: 项.周次, 项.类型, 项.阶段, 项.领域, 项.名称, 项.幼儿做什么, 项.时长).
A week's table: a row {%tr for 周 in 周计划 %}, a row of {{ 周.周次 }}, {{ 周.重点 }} …, a row {%tr endfor %}.
"""

from __future__ import annotations

from lesson_studio.export.cover import Cover
from lesson_studio.export.placeholders import Items, Placeholder, TemplatePlaceholders, item
from lesson_studio.resource_types.theme_unit.schema import (
    DomainGoal,
    ThemeUnit,
    UnitActivity,
    UnitWeek,
    WebBranch,
)

PLACEHOLDERS: tuple[Placeholder, ...] = (
    Placeholder("幼儿园", "幼儿园名称（导出时填写）", "阳光幼儿园"),
    Placeholder("主题名称", "主题名称", "小熊的新家"),
    Placeholder("班级", "班级", "中二班"),
    Placeholder("年龄段", "小班 / 中班 / 大班 / 混龄", "中班"),
    Placeholder("教师", "教师", "王老师"),
    Placeholder("开始日期", "开始日期，没有时为空", "2026年12月7日"),
    Placeholder("周数", "如“2周”", "2周"),
    Placeholder("主题", "老师填写的主题", "小熊的帽子"),
    Placeholder("真实问题", "主题出发的真实问题", "小熊的帽子总被风吹走"),
    Placeholder("主题来源与价值", "主题来源与价值", "孩子们在户外发现……"),
    Placeholder(
        "目标",
        "主题目标（列表，五个领域各一条）",
        "健康：愿意在户外尝试……",
        {"领域": "健康 / 语言 / 社会 / 科学 / 艺术", "内容": "目标本身", "文本": "整条，如“健康：……”"},
    ),
    Placeholder(
        "问题网",
        "问题网（列表，发现烦恼→想办法→做出来→展示/用起来，每个阶段一项）",
        "发现烦恼：帽子为什么会掉？",
        {"阶段": "发现烦恼 / 想办法 / 做出来 / 展示/用起来", "问题": "这一阶段的问题，每个一行", "文本": "整条"},
    ),
    Placeholder(
        "周计划",
        "周计划（列表，每周一项）；放在表格的一行里，用 {%tr for 周 in 周计划 %} 逐行重复",
        "第1周（12月7日—12月11日）发现烦恼、想办法",
        {
            "周次": "数字，如 1",
            "日期": "如“12月7日—12月11日”，没有开始日期时为空",
            "阶段": "本周在主题路径上的阶段",
            "重点": "本周重点",
            "活动": "本周的活动，每个一行，如“集体活动·科学：帽子为什么会掉（20分钟）”",
            "文本": "整项，如“第1周 发现烦恼、想办法”",
        },
    ),
    Placeholder(
        "活动",
        "所有活动（列表，按周排列）",
        "集体活动·科学：帽子为什么会掉（20分钟）",
        {
            "周次": "数字，如 1",
            "类型": "集体活动 / 区域活动 / 户外活动 / 生活活动",
            "阶段": "发现烦恼 / 想办法 / 做出来 / 展示/用起来",
            "领域": "健康 / 语言 / 社会 / 科学 / 艺术",
            "名称": "活动名称",
            "幼儿做什么": "一句话：幼儿做什么",
            "时长": "如“20分钟”，非集体活动为空",
            "文本": "整项",
        },
    ),
    Placeholder("环境创设", "环境创设（问题墙）", "在问题墙上贴出孩子们画的帽子……"),
    Placeholder("家园共育", "家园共育", "请家长和孩子一起……"),
    Placeholder("评价", "评价", "通过照片和作品记录……"),
    Placeholder("主题材料", "主题材料（对本年龄段安全的现有材料，用“、”连接）", "纸盒、毛线、旧报纸"),
    Placeholder("提示", "系统调整说明，没有时为空", "剪刀已从主题材料中去掉"),
)


def _activity_text(activity: UnitActivity) -> str:
    minutes = f"（{activity.minutes}分钟）" if activity.minutes else ""
    return f"{activity.kind}·{activity.domain}：{activity.title}{minutes}"


def _week_text(week: UnitWeek) -> str:
    dates = f"（{week.dates}）" if week.dates else ""
    return f"第{week.number}周{dates} {'、'.join(week.stages)}"


def unit_values(unit: ThemeUnit, cover: Cover) -> dict[str, object]:
    """Every placeholder's value for one unit (cleaned by TemplatePlaceholders)."""
    return {
        "幼儿园": cover.school,
        "主题名称": unit.title,
        "班级": unit.class_name,
        "年龄段": unit.age_band,
        "教师": unit.teacher,
        "开始日期": unit.start_date,
        "周数": f"{len(unit.weeks)}周",
        "主题": unit.theme,
        "真实问题": unit.problem,
        "主题来源与价值": unit.source_and_value,
        "目标": Items(
            item(领域=goal.domain, 内容=goal.text, 文本=f"{goal.domain}：{goal.text}") for goal in unit.goals
        ),
        "问题网": Items(
            item(
                阶段=branch.stage,
                问题=Items(branch.questions),
                文本=f"{branch.stage}：{'　'.join(branch.questions)}",
            )
            for branch in unit.question_web
        ),
        "周计划": Items(
            item(
                周次=week.number,
                日期=week.dates,
                阶段="、".join(week.stages),
                重点=week.focus,
                活动=Items(_activity_text(activity) for activity in week.activities),
                文本=_week_text(week),
            )
            for week in unit.weeks
        ),
        "活动": Items(
            item(
                周次=week.number,
                类型=activity.kind,
                阶段=activity.stage,
                领域=activity.domain,
                名称=activity.title,
                幼儿做什么=activity.children_do,
                时长=f"{activity.minutes}分钟" if activity.minutes else "",
                文本=_activity_text(activity),
            )
            for week in unit.weeks
            for activity in week.activities
        ),
        "环境创设": unit.environment,
        "家园共育": unit.family,
        "评价": unit.evaluation,
        "主题材料": "、".join(unit.materials),
        "提示": "\n".join(unit.warnings),
    }


def specimen_unit() -> ThemeUnit:
    """A small complete unit, every list non-empty: the upload check's test fill."""
    return ThemeUnit(
        title="小熊的帽子",
        age_band="中班",
        class_name="示例班",
        teacher="示例教师",
        start_date="2025年9月1日",
        theme="小熊的帽子",
        problem="小熊的帽子总被风吹走",
        source_and_value="孩子们在户外发现小熊玩偶的帽子总被风吹走，想帮它做一顶戴得住的帽子。",
        goals=[
            DomainGoal(domain="科学", text="发现帽子戴得稳的办法"),
            DomainGoal(domain="艺术", text="装饰自己的帽子"),
        ],
        question_web=[WebBranch(stage="发现烦恼", questions=["帽子为什么会掉？"])],
        weeks=[
            UnitWeek(
                number=1,
                stages=["发现烦恼", "想办法"],
                dates="9月1日—9月5日",
                focus="找出帽子掉下来的原因",
                activities=[
                    UnitActivity(
                        key="w1-a1",
                        kind="集体活动",
                        stage="发现烦恼",
                        domain="科学",
                        title="帽子为什么会掉",
                        children_do="给小熊戴帽子，看看风一吹会怎样。",
                        minutes=20,
                    ),
                    UnitActivity(
                        key="w1-a2",
                        kind="区域活动",
                        stage="想办法",
                        domain="艺术",
                        title="美工区做帽子",
                        children_do="用旧报纸试着做帽子。",
                    ),
                ],
            )
        ],
        environment="在问题墙上贴出孩子们画的帽子和想到的办法。",
        family="请家长和孩子一起找一找家里不同的帽子。",
        evaluation="用照片记录孩子们做帽子、改帽子的过程。",
        materials=["旧报纸", "毛线"],
        warnings=["剪刀已从主题材料中去掉"],
    )


UNIT_TEMPLATES = TemplatePlaceholders(placeholders=PLACEHOLDERS, values=unit_values, specimen=specimen_unit)
