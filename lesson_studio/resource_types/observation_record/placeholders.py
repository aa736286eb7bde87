"""观察记录 / 学习故事 in a school's own Word template: the placeholders such a template may use, and their values.

Text placeholders: {{ 幼儿园 }} (typed at export), {{ 标题 }}, {{ 班级 }}, {{ 年龄段 }}, {{ 日期 }}, {{ 地点 }},
{{ 观察对象 }}, {{ 观察者 }}, {{ 观察目的 }}, {{ 活动名称 }}, {{ 观察方法 }}, {{ 观察实录 }}, {{ 分析评价 }},
{{ 指南说明 }} (why no 《指南》 line is quoted, when none is), {{ 后续观察 }}, {{ 提示 }}.
List placeholders (printed one item a line, or looped over with {% for 项 in … %}): {{ 指南对照 }}
(项.出处, 项.年龄段, 项.内容: verbatim 《指南》 lines of the record's band) and {{ 支持策略 }} (项.序号, 项.内容).
The facts (who, when, where, who observed, why, how) are the form's, as in the built-in layout.
"""

from __future__ import annotations

from lesson_studio.export.cover import Cover
from lesson_studio.export.placeholders import Items, Placeholder, TemplatePlaceholders, item
from lesson_studio.resource_types.observation_record.schema import GuidelineLine, ObservationRecord

PLACEHOLDERS: tuple[Placeholder, ...] = (
    Placeholder("幼儿园", "幼儿园名称（导出时填写）", "阳光幼儿园"),
    Placeholder("标题", "记录的标题", "乐乐在建构区搭房子"),
    Placeholder("班级", "班级", "中二班"),
    Placeholder("年龄段", "小班 / 中班 / 大班 / 混龄", "中班"),
    Placeholder("日期", "观察日期", "2026年12月7日 上午区域活动"),
    Placeholder("地点", "观察地点/区域", "建构区"),
    Placeholder("观察对象", "观察的幼儿", "乐乐"),
    Placeholder("观察者", "观察者", "王老师"),
    Placeholder("观察目的", "观察目的，没有时为空", "了解乐乐遇到困难时怎么做"),
    Placeholder("活动名称", "活动名称，没有时为空", "给小熊搭房子"),
    Placeholder("观察方法", "轶事记录法 / 事件取样法 / 时间取样法", "轶事记录法"),
    Placeholder("观察实录", "客观记录（注意）", "乐乐把三个纸盒叠起来……"),
    Placeholder("分析评价", "分析（识别）", "乐乐在房子倒了以后……"),
    Placeholder(
        "指南对照",
        "对照《指南》（列表，1–2 条原文，注明出处）",
        "《指南》科学（科学探究）目标2 · 4～5岁：……",
        {"出处": "在《指南》中的位置", "年龄段": "小班 / 中班 / 大班", "内容": "《指南》原文", "文本": "整条"},
    ),
    Placeholder("指南说明", "没有对照《指南》时的说明，有条目时为空", "还没有导入《指南》，没有对照条目。"),
    Placeholder(
        "支持策略",
        "支持策略（回应，列表）",
        "1. 在建构区投放更多大小不同的纸盒……",
        {"序号": "1、2、3", "内容": "策略本身", "文本": "整条，如“1. ……”"},
    ),
    Placeholder("后续观察", "下一次观察的重点", "观察乐乐是否把办法用到别的搭建中。"),
    Placeholder("提示", "系统调整说明（如删去的贴标签的词），没有时为空", "已删去“调皮”一句"),
)


def record_values(record: ObservationRecord, cover: Cover) -> dict[str, object]:
    """Every placeholder's value for one record (cleaned by TemplatePlaceholders)."""
    return {
        "幼儿园": cover.school,
        "标题": record.title,
        "班级": record.class_name,
        "年龄段": record.age_band,
        "日期": record.date,
        "地点": record.place,
        "观察对象": record.child,
        "观察者": record.observer,
        "观察目的": record.purpose,
        "活动名称": record.activity,
        "观察方法": record.method,
        "观察实录": record.objective_record,
        "分析评价": record.analysis,
        "指南对照": Items(
            item(出处=line.reference, 年龄段=line.age_band, 内容=line.text, 文本=f"{line.reference}：{line.text}")
            for line in record.guideline_lines
        ),
        "指南说明": record.guideline_note,
        "支持策略": Items(
            item(序号=number, 内容=strategy, 文本=f"{number}. {strategy}")
            for number, strategy in enumerate(record.support_strategies, start=1)
        ),
        "后续观察": record.follow_up,
        "提示": "\n".join(record.warnings),
    }


def specimen_record() -> ObservationRecord:
    """A small complete record, every list non-empty: the upload check's test fill."""
    return ObservationRecord(
        title="示例幼儿在建构区搭房子",
        age_band="中班",
        class_name="示例班",
        date="2025年9月1日 上午区域活动",
        place="建构区",
        child="示例幼儿",
        observer="示例教师",
        purpose="了解幼儿遇到困难时怎么做",
        activity="给小熊搭房子",
        objective_record="幼儿把三个纸盒叠起来，第四个放上去时房子倒了。他把大纸盒放到最下面，又搭了一次。",
        analysis="幼儿在房子倒了以后换了一种搭法，能在尝试中调整。",
        guideline_lines=[
            GuidelineLine(reference="《指南》科学（科学探究）目标2 · 4～5岁 第1条", age_band="中班", text="示例条目")
        ],
        support_strategies=["投放大小不同的纸盒，请幼儿说说怎样搭得稳。"],
        follow_up="观察幼儿是否把办法用到别的搭建中。",
        warnings=["已删去一句贴标签的话"],
    )


RECORD_TEMPLATES = TemplatePlaceholders(placeholders=PLACEHOLDERS, values=record_values, specimen=specimen_record)
