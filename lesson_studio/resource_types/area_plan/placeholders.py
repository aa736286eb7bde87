"""区域活动材料计划 in a school's own Word template: the placeholders such a template may use, and their values.

Text placeholders: {{ 幼儿园 }} (typed at export), {{ 标题 }}, {{ 班级 }}, {{ 教师 }}, {{ 年龄段 }}, {{ 主题 }},
{{ 开始日期 }}, {{ 周数 }}, {{ 时间 }} (first day to last school day), {{ 安全提示 }} (the band's note for
every area), {{ 提示 }}.
List placeholders (printed one item a line, or looped over with {% for 项 in … %}):
{{ 区域 }} (项.序号, 项.区域, 项.目标, 项.材料, 项.层次, 项.记录表, 项.记录方式, 项.观察要点, 项.投放安排,
项.不投放, 项.安全提示; 材料, 层次, 观察要点, 投放安排, 不投放 and 安全提示 are lists of lines) and
{{ 不投放的材料 }} (the teacher's own materials code took out: 项.材料, 项.原因, 项.替代).
An area a page: {%p for 区 in 区域 %} … {{ 区.区域 }} … {% for 条 in 区.材料 %}{{ 条 }}{% endfor %} … {%p endfor %}.
"""

from __future__ import annotations

import datetime

from lesson_studio.export.cover import Cover
from lesson_studio.export.placeholders import Items, Placeholder, TemplatePlaceholders, item
from lesson_studio.resource_types.area_plan.export import period_text
from lesson_studio.resource_types.area_plan.schema import (
    AreaPlan,
    AreaSection,
    Exclusion,
    Level,
    Material,
    ScheduleEntry,
)

PLACEHOLDERS: tuple[Placeholder, ...] = (
    Placeholder("幼儿园", "幼儿园名称（导出时填写）", "阳光幼儿园"),
    Placeholder("标题", "计划的标题", "中二班区域活动材料计划：小熊的新家"),
    Placeholder("班级", "班级", "中二班"),
    Placeholder("教师", "教师", "王老师"),
    Placeholder("年龄段", "小班 / 中班 / 大班 / 混龄", "中班"),
    Placeholder("主题", "主题或正在解决的问题", "给小熊搭一座不会倒的房子"),
    Placeholder("开始日期", "开始日期", "2026年12月7日"),
    Placeholder("周数", "如“2周”", "2周"),
    Placeholder("时间", "从开始日期到最后一个上学日", "2026年12月7日—2026年12月18日（2周）"),
    Placeholder(
        "区域",
        "各区域（列表，每个区域一项）",
        "建构区：用纸盒搭出能站稳的房子",
        {
            "序号": "数字，如 1",
            "区域": "美工区 / 建构区 / 科学区……",
            "目标": "区域目标",
            "材料": "投放的材料，每样一行，如“纸盒（每组10个，低结构）”",
            "层次": "挑战层次，每层一行，如“层次一：……”（层次一最容易）",
            "记录表": "记录表的栏目（用“、”连接）",
            "记录方式": "幼儿怎样记录（画一画、打√，不打分）",
            "观察要点": "观察要点，每条一行",
            "投放安排": "投放、调整、更换的日期，每次一行",
            "不投放": "这个区域不投放的材料及原因，每样一行",
            "安全提示": "这个区域的安全提示，每条一行",
            "文本": "整项，如“建构区：……”",
        },
    ),
    Placeholder(
        "不投放的材料",
        "老师现有材料中不投放的（列表，写明原因和替代材料）",
        "玻璃瓶：易碎，改用塑料瓶",
        {"材料": "材料名称", "原因": "不投放的原因", "替代": "幼儿可用的替代材料，没有时为空", "文本": "整条"},
    ),
    Placeholder("安全提示", "各区域通用的安全提示", "材料投放前检查有无毛刺……"),
    Placeholder("提示", "系统调整说明，没有时为空", "玻璃瓶已从材料中去掉"),
)


def _day(day: datetime.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def _exclusion_text(exclusion: Exclusion) -> str:
    substitute = f"，改用{exclusion.substitute}" if exclusion.substitute else ""
    return f"{exclusion.material}：{exclusion.reason}{substitute}"


def _area(number: int, section: AreaSection) -> dict[str, object]:
    return item(
        序号=number,
        区域=section.area,
        目标=section.goal,
        材料=Items(
            f"{material.name}（{'，'.join(part for part in (material.quantity, material.structure) if part)}）"
            for material in section.materials
        ),
        层次=Items(f"{level.name}：{level.challenge}" for level in section.levels),
        记录表="、".join(section.record_columns),
        记录方式=section.record_how,
        观察要点=Items(section.observation_focus),
        投放安排=Items(f"{_day(entry.date)} {entry.action}：{entry.what}" for entry in section.schedule),
        不投放=Items(_exclusion_text(exclusion) for exclusion in section.exclusions),
        安全提示=Items(section.safety_notes),
        文本=f"{section.area}：{section.goal}",
    )


def area_plan_values(plan: AreaPlan, cover: Cover) -> dict[str, object]:
    """Every placeholder's value for one plan (cleaned by TemplatePlaceholders)."""
    return {
        "幼儿园": cover.school,
        "标题": plan.title,
        "班级": plan.class_name,
        "教师": plan.teacher,
        "年龄段": plan.age_band,
        "主题": plan.theme,
        "开始日期": _day(plan.start_date),
        "周数": f"{plan.weeks}周",
        "时间": period_text(plan.start_date, plan.weeks),
        "区域": Items(_area(number, section) for number, section in enumerate(plan.areas, start=1)),
        "不投放的材料": Items(
            item(
                材料=exclusion.material,
                原因=exclusion.reason,
                替代=exclusion.substitute,
                文本=_exclusion_text(exclusion),
            )
            for exclusion in plan.exclusions
        ),
        "安全提示": plan.general_safety,
        "提示": "\n".join(plan.warnings),
    }


def specimen_area_plan() -> AreaPlan:
    """A small complete plan, every list non-empty: the upload check's test fill."""
    start = datetime.date(2025, 9, 1)
    exclusion = Exclusion(material="玻璃瓶", reason="易碎，划伤手", substitute="塑料瓶")
    return AreaPlan(
        title="示例班区域活动材料计划：小熊的新家",
        class_name="示例班",
        teacher="示例教师",
        age_band="中班",
        theme="给小熊搭一座不会倒的房子",
        start_date=start,
        weeks=1,
        areas=[
            AreaSection(
                area="建构区",
                goal="尝试用纸盒搭出能站稳的房子",
                materials=[Material(name="纸盒", quantity="每组10个", structure="低结构")],
                levels=[
                    Level(name="层次一", challenge="把纸盒叠高不倒", difficulty=1),
                    Level(name="层次二", challenge="搭出有门的房子", difficulty=2),
                ],
                record_columns=["我搭的房子", "倒了吗"],
                record_how="画一画、打√",
                observation_focus=["幼儿倒了以后是否换一种搭法"],
                schedule=[ScheduleEntry(date=start, action="投放", what="纸盒")],
                exclusions=[exclusion],
                safety_notes=["纸盒边缘先检查有无订书钉"],
            )
        ],
        exclusions=[exclusion],
        general_safety="材料投放前检查有无毛刺和小零件。",
        warnings=["玻璃瓶已从材料中去掉"],
    )


AREA_PLAN_TEMPLATES = TemplatePlaceholders(
    placeholders=PLACEHOLDERS, values=area_plan_values, specimen=specimen_area_plan
)
