"""Render a LessonPlan as Markdown: the sections of the Word export, for preview and copy-paste."""

from __future__ import annotations

from collections.abc import Callable

from lesson_studio.models import Citation, LessonPlan, MaterialItem, ProcessStep, SafetyNote

NO_SAFETY_NOTES = "本活动所列材料无特定风险提示；请按常规做好看护。"

SectionRenderer = Callable[[LessonPlan], list[str]]


def plan_to_markdown(plan: LessonPlan) -> str:
    """The plan as a Markdown document: title, overview table, then the numbered 教案 sections."""
    lines = [f"# {_one_line(plan.title)}", ""]
    lines += _table(
        ["活动名称", "年龄段", "领域", "时长"], [[plan.title, plan.age_band, plan.domain, f"{plan.minutes}分钟"]]
    )
    for number, (title, render) in enumerate(_sections(plan), start=1):
        lines += ["", f"## {_chinese_numeral(number)}、{title}", "", *render(plan)]
    if plan.warnings:
        lines += ["", f"> **提示：**{_one_line('；'.join(plan.warnings))}"]
    return "\n".join(lines) + "\n"


def _sections(plan: LessonPlan) -> list[tuple[str, SectionRenderer]]:
    """The same sections, in the same order and under the same conditions, as the Word export."""
    sections: list[tuple[str, SectionRenderer]] = [
        ("设计意图", _design_intent),
        ("活动目标", _objectives),
        ("活动重点与难点", _key_and_difficult_points),
        ("活动准备", _preparation),
        ("活动过程", _process_table),
        ("安全提示", _safety_notes),
    ]
    if plan.observation_points:
        sections.append(("观察要点", _observation_points))
    sections.append(("活动延伸", _extension))
    if plan.citations:
        sections.append(("参考资料", _citations))
    return sections


def _design_intent(plan: LessonPlan) -> list[str]:
    return [plan.design_intent.strip()]


def _objectives(plan: LessonPlan) -> list[str]:
    return [
        f"{number}. 【{objective.dimension}】{_one_line(objective.text)}"
        for number, objective in enumerate(plan.objectives, start=1)
    ]


def _key_and_difficult_points(plan: LessonPlan) -> list[str]:
    # Two trailing spaces: a hard line break, so the two labels stay on their own lines.
    return [f"**活动重点：**{_one_line(plan.key_point)}  ", f"**活动难点：**{_one_line(plan.difficult_point)}"]


def _preparation(plan: LessonPlan) -> list[str]:
    lines = [f"- **经验准备：**{_one_line('；'.join(plan.preparation.experience))}", "- **物质准备：**"]
    for for_whom in ("教师", "幼儿"):
        items = [item for item in plan.preparation.materials if item.for_whom == for_whom]
        if items:
            lines.append(f"  - {for_whom}：{'、'.join(_material_text(item) for item in items)}")
    return lines


def _process_table(plan: LessonPlan) -> list[str]:
    rows = [
        [
            f"{step.phase}·{step.cps_stage}\n{step.title}",
            f"{step.minutes}分钟",
            "\n".join(_teacher_lines(step)),
            _with_speaker("幼：", step.children),
            step.intent,
        ]
        for step in plan.steps
    ]
    return _table(["环节", "时间", "教师指导", "幼儿活动", "设计意图"], rows)


def _safety_notes(plan: LessonPlan) -> list[str]:
    # A blockquote is Markdown's nearest thing to the Word export's bordered box.
    lines = [_safety_text(note) for note in plan.safety_notes] or [NO_SAFETY_NOTES]
    return [f"> - {_one_line(line)}" for line in lines]


def _observation_points(plan: LessonPlan) -> list[str]:
    return [f"{number}. {_one_line(point)}" for number, point in enumerate(plan.observation_points, start=1)]


def _extension(plan: LessonPlan) -> list[str]:
    return [f"- **区域活动：**{_one_line(plan.extension.area)}", f"- **家园共育：**{_one_line(plan.extension.home)}"]


def _citations(plan: LessonPlan) -> list[str]:
    # Written as "[n]" (escaped so it is not read as a link) to match the numbers cited in the text.
    return [
        f"\\[{citation.number or position}\\] {_one_line(_citation_text(citation))}  "
        for position, citation in enumerate(plan.citations, start=1)
    ]


# --- Wording (kept identical to docx_builder; tests/test_export_docx.py compares the two) -------------


def _chinese_numeral(number: int) -> str:
    """1 -> 一, 10 -> 十, 12 -> 十二, 20 -> 二十."""
    digits = "零一二三四五六七八九"
    tens, ones = divmod(number, 10)
    if tens == 0:
        return digits[ones]
    return f"{digits[tens] if tens > 1 else ''}十{digits[ones] if ones else ''}"


def _with_speaker(speaker: str, text: str) -> str:
    """Prefix 师：/幼： unless the model already wrote it (with a full- or half-width colon)."""
    if text.startswith((speaker, speaker.replace("：", ":"))):
        return text
    return f"{speaker}{text}"


def _teacher_lines(step: ProcessStep) -> list[str]:
    lines = [_with_speaker("师：", step.teacher)]
    if step.key_questions:
        lines.append("关键提问：")
        lines.extend(f"· {question}" for question in step.key_questions)
    return lines


def _material_text(item: MaterialItem) -> str:
    return f"{item.name}（{item.quantity}）" if item.quantity else item.name


def _safety_text(note: SafetyNote) -> str:
    tag = "禁用" if note.severity == "ban" else "注意"
    return f"【{tag}】{note.material}：{note.note}"


def _citation_text(citation: Citation) -> str:
    title = citation.document_title
    parts = [title if title.startswith("《") else f"《{title}》"]
    if citation.heading:
        parts.append(citation.heading)
    if citation.page is not None:
        parts.append(f"第{citation.page}页")
    return "，".join(parts)


# --- Markdown syntax ---------------------------------------------------------------------------------


def _one_line(text: str) -> str:
    """Join a text's lines, so a stray newline cannot end a list item or heading early."""
    return " ".join(line.strip() for line in text.splitlines() if line.strip())


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    lines = [_table_row(header), "|" + "---|" * len(header)]
    lines += [_table_row(row) for row in rows]
    return lines


def _table_row(cells: list[str]) -> str:
    return "| " + " | ".join(_table_cell(cell) for cell in cells) + " |"


def _table_cell(text: str) -> str:
    """A pipe would split the cell and a newline would end the row; <br> is the line break tables allow."""
    lines = [line.strip() for line in text.replace("|", "\\|").splitlines() if line.strip()]
    return "<br>".join(lines)
