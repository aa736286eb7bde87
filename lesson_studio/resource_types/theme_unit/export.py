"""A 主题活动 as Word, in its own layout: title, the unit's facts, 主题来源与价值, goals by domain,
the question web along the CPS path, a table of activities per week, 环境创设, 家园共育 and 评价.

With its expanded lessons, the unit is reused, not rebuilt: the lessons go through the existing
theme-unit export (lesson_studio.export.unit_to_docx_bytes: 目录 table, each plan from a new page)
and the unit's own layout is written into that document between its title and the 目录.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from dataclasses import replace

from docx import Document
from docx.document import Document as WordDocument
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.shared import Cm
from docx.text.paragraph import Paragraph

from lesson_studio.export import Cover, strip_outside_fields, unit_to_docx_bytes
from lesson_studio.export.typography import HEADING_FONT, TABLE_SIZE, add_text, new_document, set_header
from lesson_studio.export.wording import clean_text
from lesson_studio.models import LessonPlan
from lesson_studio.resource_types.theme_unit import english
from lesson_studio.resource_types.theme_unit.schema import ThemeUnit

SECTION_TITLES = (
    "一、主题来源与价值",
    "二、主题目标",
    "三、问题网",
    "四、活动安排",
    "五、环境创设（问题墙）",
    "六、家园共育",
    "七、评价",
)
ACTIVITY_COLUMNS = (
    ("种类", Cm(2.0)),
    ("活动名称", Cm(3.6)),
    ("领域", Cm(1.4)),
    ("幼儿做什么", Cm(6.8)),
    ("时长", Cm(1.6)),
)


def unit_docx(unit: ThemeUnit, cover: Cover | None = None, *, linked: Mapping[str, LessonPlan] | None = None) -> bytes:
    """The unit as .docx bytes; with linked (activity key -> its expanded lesson plan), followed by
    those lessons in the unit's order with a 目录."""
    cover = cover or Cover()
    lessons = [linked[activity.key] for activity in unit.activities() if linked and activity.key in linked]
    if not lessons:
        document = new_document()
        set_header(document.sections[0], header(unit, cover))
        document.core_properties.title = clean_text(unit.title)
        _heading(document, unit.title, "Title")
        write_unit(document, unit)
    else:
        # The lessons' running header (school, class, 教学活动设计) names the unit's class when the cover does not.
        cover = replace(cover, class_name=cover.class_name or unit.class_name)
        document = Document(io.BytesIO(unit_to_docx_bytes(lessons, title=unit.title, cover=cover)))
        _write_after_title(document, unit)
    buffer = io.BytesIO()
    document.save(buffer)
    return strip_outside_fields(buffer.getvalue())


def header(unit: ThemeUnit, cover: Cover) -> str:
    if unit.language == "en":
        return "  ".join(part for part in (cover.school, unit.class_name, english.EXPORT_LABELS["主题活动"]) if part)
    return "　".join(part for part in (cover.school, unit.class_name, "主题活动") if part)


def say(label: str, language: str) -> str:
    """A fixed label in the unit's language (theme_unit.english.EXPORT_LABELS)."""
    return english.EXPORT_LABELS.get(label, label) if language == "en" else label


def _write_after_title(document: WordDocument, unit: ThemeUnit) -> None:
    """The unit's layout moved to just after the title (the first paragraph), before the 目录,
    which then starts a new page."""
    body = document.element.body
    count = len(body)
    title = document.paragraphs[0]
    contents_heading = Paragraph(title._p.getnext(), document._body)
    write_unit(document, unit)  # appended at the end of the body, before its closing sectPr
    anchor = title._p
    for element in list(body)[count - 1 : -1]:
        anchor.addnext(element)
        anchor = element
    contents_heading.paragraph_format.page_break_before = True


def write_unit(document: WordDocument, unit: ThemeUnit) -> None:
    if unit.language == "en":
        _write_unit_en(document, unit)
        return
    facts = document.add_paragraph()
    add_text(
        facts,
        "　".join(
            part
            for part in (
                f"班级：{unit.class_name}（{unit.age_band}）",
                f"教师：{unit.teacher}",
                f"时间：{len(unit.weeks)}周" + (f"，{unit.start_date}起" if unit.start_date else ""),
            )
        ),
    )
    _labelled(document, "真实问题：", unit.problem)
    sections = iter(SECTION_TITLES)
    _heading(document, next(sections), "Heading 1")
    _paragraph(document, unit.source_and_value)
    _heading(document, next(sections), "Heading 1")
    for goal in unit.goals:
        _labelled(document, f"{goal.domain}：", goal.text)
    _heading(document, next(sections), "Heading 1")
    _paragraph(document, "发现烦恼 → 想办法 → 做出来 → 展示/用起来")
    for branch in unit.question_web:
        _labelled(document, f"{branch.stage}：", "　".join(branch.questions))
    _heading(document, next(sections), "Heading 1")
    for week in unit.weeks:
        dates = f"（{week.dates}）" if week.dates else ""
        _heading(document, f"第{week.number}周{dates}　{'、'.join(week.stages)}", "Heading 2")
        if week.focus:
            _labelled(document, "本周重点：", week.focus)
        _activity_table(document, week.activities)
    for title, text in zip(sections, (unit.environment, unit.family, unit.evaluation), strict=True):
        _heading(document, title, "Heading 1")
        _paragraph(document, text)
    if unit.materials:
        _labelled(document, "主题材料：", "、".join(unit.materials))


def _write_unit_en(document: WordDocument, unit: ThemeUnit) -> None:
    """write_unit for a unit asked for in English: the same layout, English labels, the
    enumerations (stage, kind, domain) shown through the label tables."""
    _paragraph(
        document, english.facts_line(unit.class_name, unit.age_band, unit.teacher, len(unit.weeks), unit.start_date)
    )
    _labelled(document, say("真实问题：", "en"), unit.problem)
    sections = iter(english.SECTION_TITLES)
    _heading(document, next(sections), "Heading 1")
    _paragraph(document, unit.source_and_value)
    _heading(document, next(sections), "Heading 1")
    for goal in unit.goals:
        _labelled(document, f"{english.domain(goal.domain, 'en')}: ", goal.text)
    _heading(document, next(sections), "Heading 1")
    _paragraph(document, english.PATH)
    for branch in unit.question_web:
        _labelled(document, f"{english.STAGE_LABELS[branch.stage]}: ", "  ".join(branch.questions))
    _heading(document, next(sections), "Heading 1")
    for week in unit.weeks:
        _heading(document, english.week_heading(week.number, week.dates, list(week.stages)), "Heading 2")
        if week.focus:
            _labelled(document, say("本周重点：", "en"), week.focus)
        _activity_table(document, week.activities, "en")
    for title, text in zip(sections, (unit.environment, unit.family, unit.evaluation), strict=True):
        _heading(document, title, "Heading 1")
        _paragraph(document, text)
    if unit.materials:
        _labelled(document, say("主题材料：", "en"), ", ".join(unit.materials))


def _activity_table(document: WordDocument, activities, language: str = "zh") -> None:  # type: ignore[no-untyped-def]
    in_english = language == "en"
    labels = english.ACTIVITY_COLUMNS if in_english else tuple(label for label, _ in ACTIVITY_COLUMNS)
    table = document.add_table(rows=1, cols=len(ACTIVITY_COLUMNS))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    for cell, label, (_label, width) in zip(table.rows[0].cells, labels, ACTIVITY_COLUMNS, strict=True):
        add_text(cell.paragraphs[0], label, bold=True, size=TABLE_SIZE)
        cell.width = width
    for activity in activities:
        if in_english:
            minutes = f"{activity.minutes} min" if activity.minutes else ""
            kind, domain = english.KIND_LABELS[activity.kind], english.domain(activity.domain, "en")
        else:
            minutes = f"{activity.minutes}分钟" if activity.minutes else ""
            kind, domain = activity.kind, activity.domain
        values = (kind, activity.title, domain, activity.children_do, minutes)
        for cell, value, (_label, width) in zip(table.add_row().cells, values, ACTIVITY_COLUMNS, strict=True):
            add_text(cell.paragraphs[0], value, size=TABLE_SIZE)
            cell.width = width


def _heading(document: WordDocument, text: str, style: str) -> None:
    add_text(document.add_paragraph(style=style), text, font=HEADING_FONT)


def _paragraph(document: WordDocument, text: str) -> None:
    add_text(document.add_paragraph(), text)


def _labelled(document: WordDocument, label: str, text: str) -> None:
    paragraph = document.add_paragraph()
    add_text(paragraph, label, bold=True)
    add_text(paragraph, text)
