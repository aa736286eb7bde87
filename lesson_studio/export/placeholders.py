"""The placeholders a school template may use, and their values for one plan.

One table (PLACEHOLDERS) drives template validation, the placeholder list on the templates page and
the README section, so the three cannot disagree. Names are the Chinese section names teachers know.

Every value prints sensibly on its own: a list placeholder such as {{ 安全提示 }} prints one line per
item, and each item ({{ 条 }} inside a loop) prints its whole line, so a template can be as simple
or as detailed as the school wants.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from lesson_studio.export import wording
from lesson_studio.export.cover import Cover
from lesson_studio.export.specimen import SPECIMEN_COVER, specimen_plan
from lesson_studio.export.wording import clean_text
from lesson_studio.models import LessonPlan

PROCESS = "活动过程"


@dataclass(frozen=True)
class Placeholder:
    name: str
    description: str
    example: str
    fields: dict[str, str] = field(default_factory=dict)  # a list placeholder's item fields: name -> meaning

    @property
    def is_list(self) -> bool:
        return bool(self.fields)


PLACEHOLDERS: tuple[Placeholder, ...] = (
    Placeholder("幼儿园", "幼儿园名称（导出时填写）", "阳光幼儿园"),
    Placeholder("活动名称", "活动名称", "大班科学：给小鸭搭座桥"),
    Placeholder("年龄段", "小班 / 中班 / 大班 / 混龄", "大班"),
    Placeholder("班级", "班级（导出时填写）", "大二班"),
    Placeholder("领域", "健康 / 语言 / 社会 / 科学 / 艺术", "科学"),
    Placeholder("时长", "活动总时长", "30分钟"),
    Placeholder("执教教师", "执教教师（导出时填写，默认为当前用户）", "王老师"),
    Placeholder("日期", "日期（导出时填写）", "2025年3月12日"),
    Placeholder("设计意图", "设计意图", "雨后幼儿园的小水沟积满了水……"),
    Placeholder(
        "活动目标",
        "活动目标（列表，通常三条）；单独写 {{ 活动目标 }} 时每条一行",
        "1. 【认知】知道桥要立得稳……",
        {"序号": "1、2、3", "维度": "认知 / 能力 / 情感", "内容": "目标本身", "文本": "整行，如“1. 【认知】……”"},
    ),
    Placeholder("活动重点", "活动重点", "用多种材料尝试搭出能让小鸭玩偶通过的桥。"),
    Placeholder("活动难点", "活动难点", "桥塌了以后找出原因……"),
    Placeholder("经验准备", "经验准备（各条用“；”连接）", "幼儿在散步时观察过小区里的桥；……"),
    Placeholder(
        "物质准备", "物质准备全文（教师与幼儿材料，含数量）", "教师：情境图片PPT（1份）；幼儿：纸杯（每组10个）……"
    ),
    Placeholder("教师材料", "教师准备的材料及数量", "情境图片PPT（1份）、小鸭玩偶（每组1只）"),
    Placeholder("幼儿材料", "幼儿使用的材料及数量", "纸杯（每组10个）、雪花片积木（每组1盒）"),
    Placeholder(
        "材料清单",
        "物质准备（列表，每种材料一项）",
        "纸杯（每组10个）",
        {"名称": "材料名称", "数量": "每人/每组数量", "对象": "教师 / 幼儿", "文本": "整项，如“纸杯（每组10个）”"},
    ),
    Placeholder(
        PROCESS,
        "活动过程（列表，每个环节一项）；放在表格的一行里，用 {%tr for 步骤 in 活动过程 %} 逐行重复",
        "导入·发现问题 小鸭过不去了（4分钟）",
        {
            "序号": "1、2、3……",
            "环节": "阶段·CPS阶段，如“导入·发现问题”",
            "阶段": "导入 / 展开 / 结束",
            "CPS阶段": "发现问题 / 想办法 / 选办法 / 试一试改一改 / 分享",
            "标题": "本环节的小标题",
            "时间": "如“4分钟”",
            "分钟": "数字，如 4",
            "教师指导": "“师：……”及关键提问（多行）",
            "教师": "只有“师：……”一句",
            "关键提问": "关键提问，每个一行",
            "幼儿活动": "“幼：……”",
            "设计意图": "本环节的设计意图",
            "文本": "整项，如“导入·发现问题 小鸭过不去了（4分钟）”",
        },
    ),
    Placeholder(
        "安全提示",
        "安全提示（列表，按材料生成，不能删除）；没有风险材料时为一句常规看护提醒",
        "【注意】安全剪刀：使用圆头安全剪刀……",
        {"级别": "禁用 / 注意", "材料": "相关材料", "内容": "提示内容", "文本": "整条，如“【注意】安全剪刀：……”"},
    ),
    Placeholder(
        "观察要点",
        "观察要点（列表）",
        "1. 幼儿能否说出两个以上不同的搭桥办法……",
        {"序号": "1、2、3……", "内容": "观察要点本身", "文本": "整条，如“1. ……”"},
    ),
    Placeholder("区域活动", "活动延伸·区域活动", "科学区：投放纸杯、吸管……"),
    Placeholder("家园共育", "活动延伸·家园共育", "请家长和孩子找一找小区附近的桥……"),
    Placeholder(
        "参考资料",
        "参考资料（列表，引用的资源库段落）",
        "[1] 《3-6岁儿童学习与发展指南》，科学领域 · 科学探究 目标2，第28页",
        {
            "序号": "引用编号",
            "标题": "《文档标题》",
            "章节": "章节标题",
            "页码": "如“第28页”，不详时为空",
            "文本": "整条",
        },
    ),
    Placeholder("提示", "系统调整说明（如“总时长已调整为30分钟”），没有时为空", "总时长已调整为30分钟"),
)

BY_NAME: dict[str, Placeholder] = {placeholder.name: placeholder for placeholder in PLACEHOLDERS}


class Item(dict):
    """One item of a list placeholder: fields by name, and printed as its whole line."""

    def __str__(self) -> str:
        return str(self.get("文本", ""))


class Items(list):
    """A list placeholder: looped over with {% for %}, or printed whole, one item per line."""

    def __str__(self) -> str:
        return "\n".join(str(item) for item in self)


def template_context(plan: LessonPlan, cover: Cover) -> dict[str, object]:
    """The value of every placeholder for one plan, cleaned (no control characters, only http(s) links)."""
    teacher_materials = wording.materials_for(plan, "教师")
    children_materials = wording.materials_for(plan, "幼儿")
    materials = "；".join(
        f"{for_whom}：{text}" for for_whom, text in (("教师", teacher_materials), ("幼儿", children_materials)) if text
    )
    values: dict[str, object] = {
        "幼儿园": cover.school,
        "活动名称": plan.title,
        "年龄段": plan.age_band,
        "班级": cover.class_name,
        "领域": plan.domain,
        "时长": wording.minutes_text(plan.minutes),
        "执教教师": cover.teacher,
        "日期": cover.date,
        "设计意图": plan.design_intent,
        "活动目标": Items(
            _item(
                序号=number,
                维度=objective.dimension,
                内容=objective.text,
                文本=wording.objective_text(number, objective.dimension, objective.text),
            )
            for number, objective in enumerate(plan.objectives, start=1)
        ),
        "活动重点": plan.key_point,
        "活动难点": plan.difficult_point,
        "经验准备": wording.experience_text(plan),
        "物质准备": materials,
        "教师材料": teacher_materials,
        "幼儿材料": children_materials,
        "材料清单": Items(
            _item(名称=item.name, 数量=item.quantity, 对象=item.for_whom, 文本=wording.material_text(item))
            for item in plan.preparation.materials
        ),
        PROCESS: Items(
            _item(
                序号=number,
                环节=wording.stage_label(step),
                阶段=step.phase,
                CPS阶段=step.cps_stage,
                标题=step.title,
                时间=wording.minutes_text(step.minutes),
                分钟=step.minutes,
                教师指导="\n".join(wording.teacher_lines(step)),
                教师=wording.with_speaker("师：", step.teacher),
                关键提问=Items(clean_text(question) for question in step.key_questions),
                幼儿活动=wording.children_text(step),
                设计意图=step.intent,
                文本=f"{wording.stage_label(step)} {step.title}（{wording.minutes_text(step.minutes)}）",
            )
            for number, step in enumerate(plan.steps, start=1)
        ),
        "安全提示": Items(
            [
                _item(级别=wording.safety_tag(note), 材料=note.material, 内容=note.note, 文本=wording.safety_text(note))
                for note in plan.safety_notes
            ]
            or [_item(级别="", 材料="", 内容=wording.NO_SAFETY_NOTES, 文本=wording.NO_SAFETY_NOTES)]
        ),
        "观察要点": Items(
            _item(序号=number, 内容=point, 文本=f"{number}. {point}")
            for number, point in enumerate(plan.observation_points, start=1)
        ),
        "区域活动": plan.extension.area,
        "家园共育": plan.extension.home,
        "参考资料": Items(
            _item(
                序号=wording.citation_number(citation, position),
                标题=wording.citation_title(citation),
                章节=citation.heading,
                页码=wording.citation_page(citation),
                文本=f"[{wording.citation_number(citation, position)}] {wording.citation_text(citation)}",
            )
            for position, citation in enumerate(plan.citations, start=1)
        ),
        "提示": wording.warnings_text(plan),
    }
    assert values.keys() == BY_NAME.keys(), "PLACEHOLDERS and template_context disagree"
    return {name: _cleaned(value) for name, value in values.items()}


def _item(**fields: object) -> Item:
    return Item({name: _cleaned(value) for name, value in fields.items()})


def item(**fields: object) -> Item:
    """One item of a list placeholder, its text fields cleaned (for a resource type's own values)."""
    return _item(**fields)


def _cleaned(value: object) -> object:
    return clean_text(value) if isinstance(value, str) else value


def reference_markdown() -> str:
    """The 教案's placeholder list as Markdown: for the templates page and the README."""
    return _reference(PLACEHOLDERS)


# --- Every resource type's placeholders (issue 13) -------------------------------------------------


@dataclass(frozen=True, eq=False)
class TemplatePlaceholders:
    """What a school template for one resource type may use: the ResourceType.template_context hook.

    Called as (document, Cover) -> {placeholder: value}, like template_context for a 教案; its table
    (`placeholders`) names them for the upload check, the templates page and the README, and its
    specimen fills every one of them in the upload's test fill, so the three cannot disagree.
    """

    placeholders: tuple[Placeholder, ...]
    values: Callable[[Any, Cover], dict[str, object]]  # (document, cover) -> every placeholder's value
    specimen: Callable[[], Any]  # a document of the type with every list non-empty
    required_loop: str | None = None  # a list every template must loop over (a 教案's 活动过程); None: none

    @cached_property
    def by_name(self) -> dict[str, Placeholder]:
        return {placeholder.name: placeholder for placeholder in self.placeholders}

    def __call__(self, document: Any, cover: Cover) -> dict[str, object]:
        values = self.values(document, cover)
        if values.keys() != self.by_name.keys():  # a programming error in the type's table
            raise AssertionError(f"placeholders and values disagree: {sorted(values.keys() ^ self.by_name.keys())}")
        return {name: _cleaned_deeply(value) for name, value in values.items()}

    def specimen_context(self) -> dict[str, object]:
        return self(self.specimen(), SPECIMEN_COVER)

    def reference_markdown(self) -> str:
        """This type's placeholders as Markdown: for the templates page and the README."""
        return _reference(self.placeholders)


LESSON_PLAN_PLACEHOLDERS = TemplatePlaceholders(
    placeholders=PLACEHOLDERS, values=template_context, specimen=specimen_plan, required_loop=PROCESS
)


def _cleaned_deeply(value: object) -> object:
    """Every piece of text in a value cleaned, inside lists and items too (a unit's questions …)."""
    if isinstance(value, Item):
        return Item({name: _cleaned_deeply(field_value) for name, field_value in value.items()})
    if isinstance(value, list):
        return Items(_cleaned_deeply(entry) for entry in value)
    return _cleaned(value)


def _reference(placeholders: tuple[Placeholder, ...]) -> str:
    lines = ["| 占位符 | 含义 | 示例 |", "|---|---|---|"]
    for placeholder in placeholders:
        lines.append(f"| `{{{{ {placeholder.name} }}}}` | {placeholder.description} | {placeholder.example} |")
    for placeholder in placeholders:
        if placeholder.is_list:
            variable = "步骤" if placeholder.name == PROCESS else "项"
            example = (
                f"{{% for {variable} in {placeholder.name} %}}…{{{{ {variable}.{next(iter(placeholder.fields))} }}}}…"
            )
            lines += ["", f"**{placeholder.name}** 的每一项（如 `{example}`）：", ""]
            lines += [f"- `{name}`：{meaning}" for name, meaning in placeholder.fields.items()]
    return "\n".join(lines)
