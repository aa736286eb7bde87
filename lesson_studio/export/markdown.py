"""Render a LessonPlan as Markdown: the sections of the Word export, for preview and copy-paste."""

from __future__ import annotations

import re
from collections.abc import Callable

from lesson_studio.authoring import english
from lesson_studio.export import wording
from lesson_studio.export.wording import clean_text
from lesson_studio.models import LessonPlan

SectionRenderer = Callable[[LessonPlan], list[str]]

# Plan text is text, never markup: raw HTML (<img src=x onerror=…>, <script>), autolinks, links and
# images (![x](http://host/p.png?q=secret) would fetch the address wherever the file is previewed)
# are backslash-escaped, so a Markdown reader shows them as typed and runs none of them. The backslash
# itself first, so the text cannot cancel an escape; an entity (&lt;) stays as typed too.
MARKDOWN_ESCAPES = str.maketrans({"\\": "\\\\", "<": "\\<", "[": "\\[", "]": "\\]", "`": "\\`"})
ENTITY = re.compile(r"&(?=#?\w+;)")


def plan_to_markdown(plan: LessonPlan) -> str:
    """The plan as a Markdown document: title, overview table, then the numbered 教案 sections."""
    with wording.in_language(plan.language):
        return _plan_markdown(plan)


def _plan_markdown(plan: LessonPlan) -> str:
    lines = [f"# {_one_line(plan.title)}", ""]
    lines += _table(
        [wording.say(label) for label in ("活动名称", "年龄段", "领域", "时长")],
        [
            [
                plan.title,
                wording.value_label(english.BAND_LABELS, plan.age_band),
                wording.value_label(english.DOMAIN_LABELS, plan.domain),
                wording.minutes_text(plan.minutes),
            ]
        ],
    )
    for number, title in enumerate(wording.section_titles(plan), start=1):
        lines += ["", f"## {wording.numbered_heading(number, title)}", "", *SECTION_RENDERERS[title](plan)]
    if plan.warnings:
        lines += ["", f"> **{wording.say('提示：').strip()}**{_one_line(wording.warnings_text(plan))}"]
    return "\n".join(lines) + "\n"


def _design_intent(plan: LessonPlan) -> list[str]:
    return [_inert(clean_text(plan.design_intent).strip())]


def _objectives(plan: LessonPlan) -> list[str]:
    return [
        _one_line(wording.objective_text(number, objective.dimension, objective.text))
        for number, objective in enumerate(plan.objectives, start=1)
    ]


def _key_and_difficult_points(plan: LessonPlan) -> list[str]:
    # Two trailing spaces: a hard line break, so the two labels stay on their own lines.
    return [
        f"**{wording.say('活动重点：')}**{_one_line(plan.key_point)}  ",
        f"**{wording.say('活动难点：')}**{_one_line(plan.difficult_point)}",
    ]


def _preparation(plan: LessonPlan) -> list[str]:
    lines = [
        f"- **{wording.say('经验准备：')}**{_one_line(wording.experience_text(plan))}",
        f"- **{wording.say('物质准备：')}**",
    ]
    for for_whom in ("教师", "幼儿"):
        materials = wording.materials_for(plan, for_whom)
        if materials:
            lines.append(f"  - {wording.say(f'{for_whom}：')}{_one_line(materials)}")
    return lines


def _process_table(plan: LessonPlan) -> list[str]:
    rows = [
        [
            f"{wording.stage_label(step)}\n{step.title}",
            wording.minutes_text(step.minutes),
            "\n".join(wording.teacher_lines(step)),
            wording.children_text(step),
            step.intent,
        ]
        for step in plan.steps
    ]
    return _table(list(wording.PROCESS_COLUMNS), rows)


def _safety_notes(plan: LessonPlan) -> list[str]:
    # A blockquote is Markdown's nearest thing to the Word export's bordered box.
    return [f"> - {_one_line(line)}" for line in wording.safety_lines(plan)]


def _observation_points(plan: LessonPlan) -> list[str]:
    return [f"{number}. {_one_line(point)}" for number, point in enumerate(plan.observation_points, start=1)]


def _extension(plan: LessonPlan) -> list[str]:
    return [
        f"- **{wording.say('区域活动：')}**{_one_line(plan.extension.area)}",
        f"- **{wording.say('家园共育：')}**{_one_line(plan.extension.home)}",
    ]


def _citations(plan: LessonPlan) -> list[str]:
    # Written as "[n]" (escaped so it is not read as a link) to match the numbers cited in the text.
    return [
        f"\\[{wording.citation_number(citation, position)}\\] {_one_line(wording.citation_text(citation))}  "
        for position, citation in enumerate(plan.citations, start=1)
    ]


SECTION_RENDERERS: dict[str, SectionRenderer] = {
    wording.DESIGN_INTENT: _design_intent,
    wording.OBJECTIVES: _objectives,
    wording.KEY_POINTS: _key_and_difficult_points,
    wording.PREPARATION: _preparation,
    wording.PROCESS: _process_table,
    wording.SAFETY: _safety_notes,
    wording.OBSERVATION: _observation_points,
    wording.EXTENSION: _extension,
    wording.REFERENCES: _citations,
}


# --- Markdown syntax ---------------------------------------------------------------------------------


def _inert(text: str) -> str:
    """Cleaned plan text written so Markdown shows it as typed (see MARKDOWN_ESCAPES)."""
    return ENTITY.sub(r"\\&", text.translate(MARKDOWN_ESCAPES))


def _one_line(text: str) -> str:
    """Join a text's lines, so a stray newline cannot end a list item or heading early."""
    return _inert(" ".join(line.strip() for line in clean_text(text).splitlines() if line.strip()))


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    lines = [_table_row(header), "|" + "---|" * len(header)]
    lines += [_table_row(row) for row in rows]
    return lines


def _table_row(cells: list[str]) -> str:
    return "| " + " | ".join(_table_cell(cell) for cell in cells) + " |"


def _table_cell(text: str) -> str:
    """A pipe would split the cell and a newline would end the row; <br> is the line break tables allow."""
    lines = [line.strip() for line in _inert(clean_text(text)).replace("|", "\\|").splitlines() if line.strip()]
    return "<br>".join(lines)
