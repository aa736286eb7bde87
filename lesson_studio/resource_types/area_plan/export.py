"""A 区域活动材料计划 as Word, the built-in layout: title, a line with class, band, teacher and
period, the theme; then one numbered part per area (goal, a materials table by structure, the levels,
a blank record sheet children can fill in, the observation focus, the dates for 投放/调整/更换, what is
not put out and why, the safety notes), and the band's safety note at the end — A4 in 宋体/黑体
(lesson_studio.export.typography), through the same last pass as every export (no field that
reaches outside the document)."""

from __future__ import annotations

import datetime
import io

from docx.enum.text import WD_ALIGN_PARAGRAPH

from lesson_studio.authoring.english import BAND_LABELS
from lesson_studio.authoring.english import label as english_label
from lesson_studio.export.cover import Cover
from lesson_studio.export.fields import strip_outside_fields
from lesson_studio.export.typography import (
    HEADING_FONT,
    HEADING_SIZE,
    TABLE_SIZE,
    TITLE_SIZE,
    add_text,
    keep_row_on_one_page,
    new_document,
    repeat_as_header_row,
    set_header,
)
from lesson_studio.export.wording import chinese_numeral, clean_text
from lesson_studio.resource_types.area_plan import english
from lesson_studio.resource_types.area_plan.schema import AreaPlan, AreaSection, structure_label

MATERIAL_COLUMNS = ("材料", "数量", "结构")
SCHEDULE_COLUMNS = ("日期", "安排", "内容")
RECORD_ROWS = 4  # blank rows of the record sheet, for the children's drawings and ticks


def say(label: str, language: str) -> str:
    """A fixed label in the plan's language (area_plan.english.EXPORT_LABELS)."""
    return english.EXPORT_LABELS.get(label, label) if language == "en" else label


def area_plan_docx(plan: AreaPlan, cover: Cover | None = None) -> bytes:
    """The plan as .docx bytes. The cover's school, when given, heads the page."""
    cover = cover or Cover()
    language = plan.language
    document = new_document()
    header = (cover.school, plan.class_name, say("区域活动材料计划", language))
    set_header(document.sections[0], ("  " if language == "en" else "　").join(part for part in header if part))
    document.core_properties.title = clean_text(plan.title)

    title = document.add_paragraph()
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    add_text(title, plan.title, font=HEADING_FONT, bold=True, size=TITLE_SIZE)
    byline = document.add_paragraph()
    byline.alignment = WD_ALIGN_PARAGRAPH.CENTER
    add_text(byline, byline_text(plan))
    _labelled(document, say("主题：", language), plan.theme)
    if plan.exclusions:
        _labelled(
            document,
            say("不投放的现有材料：", language),
            _joined([_exclusion_text(item, language) for item in plan.exclusions], language),
        )

    for number, section in enumerate(plan.areas, start=1):
        _write_area(document, number, section, language)

    _labelled(document, say("安全提示：", language), plan.general_safety)
    buffer = io.BytesIO()
    document.save(buffer)
    return strip_outside_fields(buffer.getvalue())


def byline_text(plan: AreaPlan) -> str:
    """班级（年龄段）　教师　the period."""
    period = period_text(plan.start_date, plan.weeks, plan.language)
    if plan.language == "en":
        return f"{plan.class_name} ({english_label(BAND_LABELS, plan.age_band, 'en')})  {plan.teacher}  {period}"
    return f"{plan.class_name}（{plan.age_band}）　{plan.teacher}　{period}"


def period_text(start: datetime.date, weeks: int, language: str = "zh") -> str:
    """From the first day to the last school day of the last week."""
    end = start + datetime.timedelta(days=7 * weeks - 1)
    while end.weekday() >= 5:
        end -= datetime.timedelta(days=1)
    if language == "en":
        return f"{_day(start, language)} – {_day(end, language)} ({weeks} week{'s' if weeks > 1 else ''})"
    return f"{_day(start)}—{_day(end)}（{weeks}周）"


def _day(day: datetime.date, language: str = "zh") -> str:
    if language == "en":
        return f"{day.day} {day:%B} {day.year}"
    return f"{day.year}年{day.month}月{day.day}日"


def _joined(parts: list[str], language: str) -> str:
    return ("; " if language == "en" else "；").join(parts)


def _write_area(document, number: int, section: AreaSection, language: str = "zh") -> None:  # type: ignore[no-untyped-def]
    heading = document.add_paragraph()
    if language == "en":
        heading_text = f"{number}. {english.area_label(section.area, language)}"
    else:
        heading_text = f"{chinese_numeral(number)}、{section.area}"
    add_text(heading, heading_text, font=HEADING_FONT, bold=True, size=HEADING_SIZE)
    heading.paragraph_format.keep_with_next = True
    _labelled(document, say("区域目标：", language), section.goal)

    _labelled(document, say("材料投放：", language), "")
    rows = [(item.name, item.quantity, structure_label(item.structure, language)) for item in section.materials]
    _table(document, tuple(say(column, language) for column in MATERIAL_COLUMNS), rows)

    _labelled(document, say("挑战层次：", language), "")
    for level in section.levels:
        if language == "en":
            add_text(document.add_paragraph(), f"{english.LEVEL_LABELS.get(level.name, level.name)}: {level.challenge}")
        else:
            add_text(document.add_paragraph(), f"{level.name}：{level.challenge}")

    _labelled(document, say("记录表：", language), section.record_how)
    if section.record_columns:
        _table(document, tuple(section.record_columns), [("",) * len(section.record_columns)] * RECORD_ROWS)

    _labelled(document, say("观察要点：", language), "")
    for index, focus in enumerate(section.observation_focus, start=1):
        add_text(document.add_paragraph(), f"{index}. {focus}")

    _labelled(document, say("投放与更换：", language), "")
    actions = english.ACTION_LABELS if language == "en" else {}
    _table(
        document,
        tuple(say(column, language) for column in SCHEDULE_COLUMNS),
        [
            (_day(entry.date, language), actions.get(entry.action, entry.action), entry.what)
            for entry in section.schedule
        ],
    )

    if section.exclusions:
        _labelled(
            document,
            say("不投放：", language),
            _joined([_exclusion_text(item, language) for item in section.exclusions], language),
        )
    for note in section.safety_notes:
        _labelled(document, say("安全：", language), note)


def _exclusion_text(exclusion, language: str = "zh") -> str:  # type: ignore[no-untyped-def]
    if language == "en":
        instead = f"; children use {exclusion.substitute} instead" if exclusion.substitute else ""
        return f"{exclusion.material} ({exclusion.reason}){instead}"
    instead = f"，幼儿改用{exclusion.substitute}" if exclusion.substitute else ""
    return f"{exclusion.material}（{exclusion.reason}）{instead}"


def _table(document, header: tuple[str, ...], rows: list[tuple[str, ...]]) -> None:  # type: ignore[no-untyped-def]
    table = document.add_table(rows=1, cols=len(header))
    table.style = "Table Grid"
    repeat_as_header_row(table.rows[0]._tr)
    for cell, label in zip(table.rows[0].cells, header, strict=True):
        add_text(cell.paragraphs[0], label, bold=True, size=TABLE_SIZE)
    for values in rows:
        row = table.add_row()
        keep_row_on_one_page(row._tr)
        for cell, value in zip(row.cells, values, strict=True):
            add_text(cell.paragraphs[0], value, size=TABLE_SIZE)


def _labelled(document, label: str, text: str) -> None:  # type: ignore[no-untyped-def]
    paragraph = document.add_paragraph()
    paragraph.paragraph_format.keep_with_next = not text
    add_text(paragraph, label, bold=True)
    if text:
        add_text(paragraph, text)
