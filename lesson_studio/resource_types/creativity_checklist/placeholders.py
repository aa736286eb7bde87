"""创造力观察清单 in a school's own Word template: the placeholders such a template may use, and their values.

Text placeholders: {{ 幼儿园 }} (typed at export), {{ 标题 }}, {{ 班级 }}, {{ 年龄段 }}, {{ 活动 }}, {{ 日期 }},
{{ 教师 }}, {{ 使用说明 }}, {{ 标记 }} (未观察到 / 偶尔 / 经常), {{ 提示 }}.
List placeholders (printed one item a line, or looped over with {% for 项 in … %}):
{{ 观察项目 }} (项.序号, 项.名称, 项.类别, 项.含义, 项.观察什么 — a list of look-fors, 项.怎样观察),
{{ 观察表 }} (a sheet per child: 项.幼儿, 项.记录 — one line per item, "流畅性：经常——证据") and
{{ 记录 }} (every mark: 项.幼儿, 项.项目, 项.标记, 项.证据), for a table row each with {%tr for 条 in 记录 %}.
Marks are never summed: there is no total or score placeholder (DOMAIN.md §3).
A blank class, date, teacher or child's name stays blank for handwriting, as on the built-in sheet.
"""

from __future__ import annotations

from lesson_studio.export.cover import Cover
from lesson_studio.export.placeholders import Items, Placeholder, TemplatePlaceholders, item
from lesson_studio.resource_types.creativity_checklist.schema import (
    MARKS,
    ChecklistItem,
    ChildSheet,
    CreativityChecklist,
    Record,
)

KINDS = {"dimension": "创造力维度", "disposition": "学习品质"}

PLACEHOLDERS: tuple[Placeholder, ...] = (
    Placeholder("幼儿园", "幼儿园名称（导出时填写）", "阳光幼儿园"),
    Placeholder("标题", "清单的标题", "创造力观察清单：给小熊搭房子"),
    Placeholder("班级", "班级，没有时为空（手写）", "中二班"),
    Placeholder("年龄段", "小班 / 中班 / 大班 / 混龄", "中班"),
    Placeholder("活动", "观察时孩子们在做的活动", "给小熊搭一座不会倒的房子"),
    Placeholder("日期", "日期，没有时为空（手写）", "2026年12月7日"),
    Placeholder("教师", "教师，没有时为空（手写）", "王老师"),
    Placeholder("使用说明", "怎样使用这份清单（每份都印）", "每项勾选未观察到/偶尔/经常，并写一句证据，不计总分。"),
    Placeholder("标记", "三种标记（用“/”连接）", "未观察到 / 偶尔 / 经常"),
    Placeholder(
        "观察项目",
        "观察项目（列表，四个创造力维度和学习品质）",
        "流畅性：能想出三个以上的办法",
        {
            "序号": "1、2、3……",
            "名称": "如“流畅性”",
            "类别": "创造力维度 / 学习品质",
            "含义": "这一项看什么",
            "观察什么": "可观察的表现，每条一行",
            "怎样观察": "怎样观察",
            "文本": "整项，如“流畅性：……”",
        },
    ),
    Placeholder(
        "观察表",
        "每个幼儿一张观察表（列表，没有名单时为一张空白表）",
        "幼儿：乐乐",
        {"幼儿": "幼儿姓名，空白表为空", "记录": "每项一行，如“流畅性：经常——证据”", "文本": "如“幼儿：乐乐”"},
    ),
    Placeholder(
        "记录",
        "所有记录（列表，每个幼儿每个项目一项），适合表格逐行重复",
        "乐乐 流畅性：经常——想出了三种搭法",
        {
            "幼儿": "幼儿姓名",
            "项目": "如“流畅性”",
            "标记": "未观察到 / 偶尔 / 经常，未记录时为空",
            "证据": "一句证据",
            "文本": "整条",
        },
    ),
    Placeholder("提示", "系统调整说明，没有时为空", "已去掉打分的说法"),
)


def _record_line(item_name: str, record: Record) -> str:
    evidence = f"——{record.evidence}" if record.evidence else ""
    return f"{item_name}：{record.mark or '□' + ' □'.join(MARKS)}{evidence}"


def checklist_values(checklist: CreativityChecklist, cover: Cover) -> dict[str, object]:
    """Every placeholder's value for one checklist (cleaned by TemplatePlaceholders)."""
    return {
        "幼儿园": cover.school,
        "标题": checklist.title,
        "班级": checklist.class_name or cover.class_name,
        "年龄段": checklist.age_band,
        "活动": checklist.activity,
        "日期": checklist.date or cover.date,
        "教师": checklist.teacher or cover.teacher,
        "使用说明": checklist.principle,
        "标记": " / ".join(MARKS),
        "观察项目": Items(
            item(
                序号=number,
                名称=entry.name,
                类别=KINDS.get(entry.kind, entry.kind),
                含义=entry.meaning,
                观察什么=Items(entry.look_fors),
                怎样观察=entry.how_to_observe,
                文本=f"{entry.name}：{entry.meaning}",
            )
            for number, entry in enumerate(checklist.items, start=1)
        ),
        "观察表": Items(
            item(
                幼儿=sheet.child,
                记录=Items(_record_line(entry.name, sheet.record(entry.id)) for entry in checklist.items),
                文本=f"幼儿：{sheet.child}",
            )
            for sheet in checklist.sheets
        ),
        "记录": Items(
            item(
                幼儿=sheet.child,
                项目=entry.name,
                标记=sheet.record(entry.id).mark,
                证据=sheet.record(entry.id).evidence,
                文本=f"{sheet.child} {_record_line(entry.name, sheet.record(entry.id))}".strip(),
            )
            for sheet in checklist.sheets
            for entry in checklist.items
        ),
        "提示": "\n".join(checklist.warnings),
    }


def specimen_checklist() -> CreativityChecklist:
    """A small complete checklist, every list non-empty: the upload check's test fill."""
    return CreativityChecklist(
        title="创造力观察清单：给小熊搭房子",
        age_band="中班",
        activity="给小熊搭一座不会倒的房子",
        class_name="示例班",
        teacher="示例教师",
        date="2025年9月1日",
        principle="每项勾选未观察到/偶尔/经常，并写一句证据，不计总分。",
        items=[
            ChecklistItem(
                id="fluency",
                kind="dimension",
                name="流畅性",
                meaning="想出的办法多不多",
                look_fors=["能说出三种以上的搭法"],
                how_to_observe="记下幼儿说出的每一种办法",
            ),
            ChecklistItem(id="persists", kind="disposition", name="坚持", meaning="失败后是否再试"),
        ],
        sheets=[
            ChildSheet(
                child="示例幼儿",
                records=[Record(item_id="fluency", mark="经常", evidence="想出了三种搭法")],
            )
        ],
        warnings=["已去掉打分的说法"],
    )


CHECKLIST_TEMPLATES = TemplatePlaceholders(
    placeholders=PLACEHOLDERS, values=checklist_values, specimen=specimen_checklist
)
