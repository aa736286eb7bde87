"""A 活动反思 as Word, its own layout: the title and the plan it reflects on, then 一、目标达成
二、幼儿表现 三、时间与环节 (a table of planned and actual minutes) 四、调整建议 (each with the note it
answers) 五、下次再做 六、教案的修改 (what the revised plan changed, and its version) — A4 in 宋体/黑体
(lesson_studio.export.typography), through the same last pass as every export (no field that
reaches outside the document). The revised plan itself exports from 我的教案 as a 教案."""

from __future__ import annotations

import io

from docx.enum.text import WD_ALIGN_PARAGRAPH

from lesson_studio.authoring import english as lesson_english
from lesson_studio.authoring.english import is_english
from lesson_studio.export.cover import Cover
from lesson_studio.export.fields import strip_outside_fields
from lesson_studio.export.typography import (
    HEADING_FONT,
    HEADING_SIZE,
    TABLE_SIZE,
    TITLE_SIZE,
    add_text,
    new_document,
    set_header,
)
from lesson_studio.export.wording import clean_text
from lesson_studio.resource_types.reflection import english
from lesson_studio.resource_types.reflection.schema import Reflection

HEADINGS = ("一、目标达成", "二、幼儿表现", "三、时间与环节", "四、调整建议", "五、下次再做", "六、教案的修改")
TIMING_COLUMNS = ("环节", "计划", "实际", "情况")


def reflection_docx(reflection: Reflection, cover: Cover | None = None) -> bytes:
    """The reflection as .docx bytes. The cover's school and class, when given, head the page."""
    cover = cover or Cover()
    language = reflection.language
    if is_english(language):
        return _english_docx(reflection, cover)
    document = new_document()
    set_header(document.sections[0], "　".join(part for part in (cover.school, cover.class_name, "活动反思") if part))
    document.core_properties.title = clean_text(reflection.title)

    title = document.add_paragraph()
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    add_text(title, reflection.title, font=HEADING_FONT, bold=True, size=TITLE_SIZE)
    byline = [f"教案：{reflection.plan_title}（{reflection.age_band}）"]
    if cover.teacher:
        byline.append(f"执教：{cover.teacher}")
    if cover.date:
        byline.append(f"日期：{cover.date}")
    add_text(document.add_paragraph(), "　".join(byline))

    _heading(document, HEADINGS[0])
    for review in reflection.goal_reviews:
        paragraph = document.add_paragraph()
        add_text(paragraph, f"【{review.dimension}】{review.objective}——{review.achieved}：", bold=True)
        add_text(paragraph, review.evidence)

    _heading(document, HEADINGS[1])
    for fact in reflection.child_facts:
        add_text(document.add_paragraph(), f"· {fact}")

    _heading(document, HEADINGS[2])
    table = document.add_table(rows=1, cols=len(TIMING_COLUMNS))
    table.style = "Table Grid"
    for cell, label in zip(table.rows[0].cells, TIMING_COLUMNS, strict=True):
        add_text(cell.paragraphs[0], label, font=HEADING_FONT, bold=True, size=TABLE_SIZE)
    for timing in reflection.timings:
        actual = f"{timing.actual}分钟" if timing.actual is not None else "—"
        row = (f"{timing.step}. {timing.cps_stage}·{timing.title}", f"{timing.planned}分钟", actual, timing.status)
        for cell, text in zip(table.add_row().cells, row, strict=True):
            add_text(cell.paragraphs[0], text, size=TABLE_SIZE)
    if reflection.timing_review:
        add_text(document.add_paragraph(), reflection.timing_review)

    _heading(document, HEADINGS[3])
    for number, item in enumerate(reflection.suggestions, start=1):
        paragraph = document.add_paragraph()
        add_text(paragraph, f"{number}. {item.text}")
        add_text(paragraph, f"（回应记录{item.note}：{item.note_text}）", size=TABLE_SIZE)

    _heading(document, HEADINGS[4])
    add_text(document.add_paragraph(), reflection.next_time)

    _heading(document, HEADINGS[5])
    if reflection.revised_version_number is not None:
        add_text(document.add_paragraph(), f"修订后的教案已保存为第{reflection.revised_version_number}版。")
    for change in changes_lines(reflection):
        add_text(document.add_paragraph(), change)
    buffer = io.BytesIO()
    document.save(buffer)
    return strip_outside_fields(buffer.getvalue())


def changes_lines(reflection: Reflection) -> list[str]:
    """One line per changed step: minutes before and after, why, and what changed."""
    lines = []
    for change in reflection.changes:
        minutes = (
            f"{change.minutes_before}→{change.minutes_after}分钟"
            if change.minutes_before != change.minutes_after
            else f"{change.minutes_after}分钟"
        )
        lines.append(f"第{change.step}环节《{change.title}》（{minutes}）：{change.summary}。原因：{change.reason}")
    return lines or ["教案没有需要修改的环节。"]


def _english_docx(reflection: Reflection, cover: Cover) -> bytes:
    """The same layout in English: the labels, and the enumerations shown (达成, 超时, 认知, 想办法)
    translated; the text the model and the teacher wrote as it is."""

    def say(label: str) -> str:
        return english.say(label, "en")

    document = new_document()
    set_header(
        document.sections[0], "　".join(part for part in (cover.school, cover.class_name, say("活动反思")) if part)
    )
    document.core_properties.title = clean_text(reflection.title)
    title = document.add_paragraph()
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    add_text(title, reflection.title, font=HEADING_FONT, bold=True, size=TITLE_SIZE)
    byline = [f"Plan: {reflection.plan_title} ({english.band_label(reflection.age_band)})"]
    if cover.teacher:
        byline.append(f"Taught by: {cover.teacher}")
    if cover.date:
        byline.append(f"Date: {cover.date}")
    add_text(document.add_paragraph(), "   ".join(byline))

    _heading(document, say(HEADINGS[0]))
    for review in reflection.goal_reviews:
        paragraph = document.add_paragraph()
        dimension = lesson_english.DIMENSION_LABELS.get(review.dimension, review.dimension)
        achieved = english.ACHIEVEMENT_LABELS.get(review.achieved, review.achieved)
        add_text(paragraph, f"[{dimension}] {review.objective} — {achieved}: ", bold=True)
        add_text(paragraph, review.evidence)

    _heading(document, say(HEADINGS[1]))
    for fact in reflection.child_facts:
        add_text(document.add_paragraph(), f"· {fact}")

    _heading(document, say(HEADINGS[2]))
    table = document.add_table(rows=1, cols=len(TIMING_COLUMNS))
    table.style = "Table Grid"
    for cell, label in zip(table.rows[0].cells, TIMING_COLUMNS, strict=True):
        add_text(cell.paragraphs[0], say(label), font=HEADING_FONT, bold=True, size=TABLE_SIZE)
    for timing in reflection.timings:
        stage = lesson_english.STAGE_LABELS.get(timing.cps_stage, timing.cps_stage)
        row = (
            f"{timing.step}. {stage} · {timing.title}",
            f"{timing.planned} min",
            f"{timing.actual} min" if timing.actual is not None else "—",
            english.STATUS_LABELS.get(timing.status, timing.status),
        )
        for cell, text in zip(table.add_row().cells, row, strict=True):
            add_text(cell.paragraphs[0], text, size=TABLE_SIZE)
    if reflection.timing_review:
        add_text(document.add_paragraph(), reflection.timing_review)

    _heading(document, say(HEADINGS[3]))
    for number, item in enumerate(reflection.suggestions, start=1):
        paragraph = document.add_paragraph()
        add_text(paragraph, f"{number}. {item.text} ")
        add_text(paragraph, f"(answers note {item.note}: {item.note_text})", size=TABLE_SIZE)

    _heading(document, say(HEADINGS[4]))
    add_text(document.add_paragraph(), reflection.next_time)

    _heading(document, say(HEADINGS[5]))
    if reflection.revised_version_number is not None:
        add_text(document.add_paragraph(), f"The revised plan is saved as version {reflection.revised_version_number}.")
    for change in english_changes_lines(reflection):
        add_text(document.add_paragraph(), change)
    buffer = io.BytesIO()
    document.save(buffer)
    return strip_outside_fields(buffer.getvalue())


def english_changes_lines(reflection: Reflection) -> list[str]:
    lines = []
    for change in reflection.changes:
        minutes = (
            f"{change.minutes_before}→{change.minutes_after} minutes"
            if change.minutes_before != change.minutes_after
            else f"{change.minutes_after} minutes"
        )
        lines.append(f'Step {change.step} "{change.title}" ({minutes}): {change.summary}. Why: {change.reason}')
    return lines or [english.say("教案没有需要修改的环节。", "en")]


def _heading(document, text: str) -> None:  # type: ignore[no-untyped-def]
    add_text(document.add_paragraph(), text, font=HEADING_FONT, bold=True, size=HEADING_SIZE)
