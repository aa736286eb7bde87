"""家长信 in a school's own Word template: the placeholders such a template may use, and their values.

Text placeholders: {{ 幼儿园 }} (typed at export), {{ 标题 }}, {{ 年龄段 }}, {{ 称呼 }}, {{ 正文 }} (what
and why, then what the children do: two paragraphs), {{ 做什么为什么 }}, {{ 孩子做什么 }}, {{ 家庭任务 }},
{{ 收集说明 }}, {{ 温馨提示 }}, {{ 感谢 }}, {{ 班级 }}, {{ 教师 }}, {{ 联系方式 }}, {{ 日期 }}, {{ 提示 }}.
List placeholders (printed one item a line, or looped over with {% for 项 in … %}): {{ 收集清单 }}
(项.名称) and {{ 请不要带 }} (项.名称); `{{ 收集清单|join('、') }}` prints them on one line.
The salutation, the collection list, what never to send and the signature are code's, as in the
built-in layout (export.py).
"""

from __future__ import annotations

from lesson_studio.export.cover import Cover
from lesson_studio.export.placeholders import Items, Placeholder, TemplatePlaceholders, item
from lesson_studio.resource_types.parent_letter.schema import CollectionItem, ParentLetter

ONE_NAME = {"名称": "名称", "文本": "整项（与名称相同）"}

PLACEHOLDERS: tuple[Placeholder, ...] = (
    Placeholder("幼儿园", "幼儿园名称（导出时填写）", "阳光幼儿园"),
    Placeholder("标题", "家长信的标题", "请和孩子一起找一找家里的纸盒"),
    Placeholder("年龄段", "小班 / 中班 / 大班 / 混龄", "中班"),
    Placeholder("称呼", "称呼", "亲爱的家长朋友们："),
    Placeholder("正文", "正文：做什么、为什么，以及孩子做什么（两段，各占一行）", "最近孩子们在给小熊搭房子……"),
    Placeholder("做什么为什么", "正文第一段：做什么、为什么", "最近孩子们在给小熊搭房子……"),
    Placeholder("孩子做什么", "正文第二段：孩子在园里做什么", "孩子们会用纸盒试着搭……"),
    Placeholder("家庭任务", "家庭小任务（不需要购买）", "请和孩子一起数一数家里有几个纸盒。"),
    Placeholder("收集清单", "请帮忙收集的材料（列表，每样一项）", "旧报纸", ONE_NAME),
    Placeholder("收集说明", "怎样交材料", "请在周五前交给班级老师。"),
    Placeholder("请不要带", "为了安全请不要带的物品（列表，每样一项）", "纽扣电池", ONE_NAME),
    Placeholder("温馨提示", "安全与时间提示", "剪开的纸盒请先把毛边折好。"),
    Placeholder("感谢", "感谢的话", "谢谢您的支持！"),
    Placeholder("班级", "班级", "中二班"),
    Placeholder("教师", "教师", "王老师"),
    Placeholder("联系方式", "联系方式，没有时为空", "班级微信群"),
    Placeholder("日期", "日期", "2026年12月7日"),
    Placeholder("提示", "系统调整说明（如从收集清单中去掉的物品），没有时为空", "纽扣电池已从收集清单中去掉"),
)


def letter_values(letter: ParentLetter, cover: Cover) -> dict[str, object]:
    """Every placeholder's value for one letter (cleaned by TemplatePlaceholders)."""
    return {
        "幼儿园": cover.school,
        "标题": letter.title,
        "年龄段": letter.age_band,
        "称呼": letter.salutation,
        "正文": "\n".join(text for text in (letter.what_and_why, letter.child_part) if text),
        "做什么为什么": letter.what_and_why,
        "孩子做什么": letter.child_part,
        "家庭任务": letter.family_task,
        "收集清单": Items(item(名称=entry.name, 文本=entry.name) for entry in letter.collection),
        "收集说明": letter.collection_note,
        "请不要带": Items(item(名称=name, 文本=name) for name in letter.exclusions),
        "温馨提示": letter.safety_and_time,
        "感谢": letter.thanks,
        "班级": letter.class_name,
        "教师": letter.teacher,
        "联系方式": letter.contact,
        "日期": letter.date,
        "提示": "\n".join(letter.warnings),
    }


def specimen_letter() -> ParentLetter:
    """A small complete letter, every list non-empty: the upload check's test fill."""
    return ParentLetter(
        title="请和孩子一起找一找纸盒",
        age_band="中班",
        what_and_why="最近孩子们想给小熊搭一座房子，他们发现纸盒又轻又好搭，想试一试。",
        child_part="孩子们会在建构区用纸盒搭房子，搭倒了再想办法。",
        family_task="请和孩子一起数一数家里有几个纸盒，说说它们原来装过什么。",
        collection=[CollectionItem(name="纸盒"), CollectionItem(name="旧报纸")],
        collection_note="请在周五前交给班级老师。",
        exclusions=["纽扣电池", "玻璃瓶"],
        safety_and_time="剪开的纸盒请先把毛边折好。",
        thanks="谢谢您的支持！",
        class_name="示例班",
        teacher="示例教师",
        date="2025年9月1日",
        contact="班级微信群",
        warnings=["纽扣电池已从收集清单中去掉"],
    )


LETTER_TEMPLATES = TemplatePlaceholders(placeholders=PLACEHOLDERS, values=letter_values, specimen=specimen_letter)
