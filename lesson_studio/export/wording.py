"""The words every export shares: section titles, speaker prefixes, material, safety and citation lines.

The Word layout, the Markdown export and the school-template placeholders all read from here, so a
plan reads the same in each (tests/test_export_docx.py compares the section headings).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from lesson_studio.authoring import english
from lesson_studio.models import Citation, LessonPlan, MaterialItem, ProcessStep, SafetyNote

NO_SAFETY_NOTES = "本活动所列材料无特定风险提示；请按常规做好看护。"

# The language of the plan being exported (LessonPlan.language): a plan asked for in English is
# exported with English labels. Set around one plan's export by `in_language`; every function
# below reads it, so the Word layout, Markdown and the cover say the same thing.
_LANGUAGE: ContextVar[str] = ContextVar("export_language", default="zh")

ENGLISH_LABELS = {
    "设计意图": "Design intent",
    "活动目标": "Objectives",
    "活动重点与难点": "Key and difficult points",
    "活动准备": "Preparation",
    "活动过程": "Activity steps",
    "安全提示": "Safety notes",
    "观察要点": "What to observe",
    "活动延伸": "Extension",
    "参考资料": "References",
    "环节": "Step",
    "时间": "Time",
    "教师指导": "Teacher",
    "幼儿活动": "Children",
    "提示：": "Note: ",
    "活动重点：": "Key point: ",
    "活动难点：": "Difficult point: ",
    "经验准备：": "What children already know: ",
    "物质准备：": "Materials: ",
    "教师：": "Teacher: ",
    "幼儿：": "Children: ",
    "区域活动：": "Activity area: ",
    "家园共育：": "At home: ",
    "关键提问：": "Key questions:",
    "师：": "Teacher: ",
    "幼：": "Children: ",
    "活动名称": "Activity",
    "年龄段/班级": "Age band / class",
    "年龄段": "Age band",
    "领域": "Domain",
    "时长": "Length",
    "执教教师": "Teacher",
    "日期": "Date",
    "教学活动设计": "Lesson plan",
    NO_SAFETY_NOTES: "The listed materials carry no particular risk; supervise as usual.",
}


@contextmanager
def in_language(language: str) -> Iterator[None]:
    token = _LANGUAGE.set(language)
    try:
        yield
    finally:
        _LANGUAGE.reset(token)


def in_english() -> bool:
    return english.is_english(_LANGUAGE.get())


def say(label: str) -> str:
    """A fixed label in the exported plan's language."""
    return ENGLISH_LABELS.get(label, label) if in_english() else label


def value_label(table: dict[str, str], value: str) -> str:
    """A plan's enumeration value (中班, 科学, 导入 …) in the exported plan's language."""
    return english.label(table, value, _LANGUAGE.get())


# Section titles in 教案 order (DOMAIN.md §2.1). 安全提示 is always present: the domain notes make
# safety mandatory; 观察要点 and 参考资料 appear only when the plan has them.
DESIGN_INTENT = "设计意图"
OBJECTIVES = "活动目标"
KEY_POINTS = "活动重点与难点"
PREPARATION = "活动准备"
PROCESS = "活动过程"
SAFETY = "安全提示"
OBSERVATION = "观察要点"
EXTENSION = "活动延伸"
REFERENCES = "参考资料"

PROCESS_COLUMNS = ("环节", "时间", "教师指导", "幼儿活动", "设计意图")

# Characters XML 1.0 forbids (C0 controls other than tab/newline/carriage return, lone surrogates,
# U+FFFE/U+FFFF): lxml raises on them, and model output can contain them. Also the C1 controls and
# the bidi overrides, which are legal XML but can reorder what a reader sees.
CONTROL_CHARACTERS = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff\ufffe\uffff]"
)

# Anything written as a link: a scheme followed by "//", or a scheme that is dangerous without one
# (javascript:, file:, data:, …). A Chinese character or punctuation mark ends a link, as it does
# for a reader: model text runs straight on after a link ("见https://moe.gov.cn/…了解更多").
LINK = re.compile(
    r"(?i)(?<![a-z0-9+.\-])"
    r"(?:[a-z][a-z0-9+.\-]*://|(?:javascript|vbscript|livescript|data|file|about|blob|mailto|tel|sms|smb|ms-[a-z\-]+):)"
    r"[^\s<>\"'\u3000-\u9fff\uf900-\ufaff\uff00-\uffef]+"
)
SAFE_LINK_SCHEMES = ("http://", "https://")
# A sentence's own punctuation after a link is not part of it.
LINK_TRAILING_PUNCTUATION = ".,;:!?)]}'\""


def clean_text(text: str) -> str:
    """Text fit for any export: no control characters, and no link other than http(s)."""
    return "".join(piece for piece, _is_link in split_links(text))


def split_links(text: str) -> Iterator[tuple[str, bool]]:
    """The cleaned text in pieces, each (text, is_link); only http(s) links survive, others are dropped."""
    text = CONTROL_CHARACTERS.sub("", text)
    position = 0
    for match in LINK.finditer(text):
        url = _without_trailing_punctuation(match.group())
        if match.start() > position:
            yield text[position : match.start()], False
        if url.lower().startswith(SAFE_LINK_SCHEMES) and len(url) > len("https://"):
            yield url, True
        position = match.start() + len(url)
    if position < len(text):
        yield text[position:], False


def _without_trailing_punctuation(url: str) -> str:
    """Drop a sentence's punctuation after a link, keeping a closing bracket the link itself opened
    (https://en.wikipedia.org/wiki/Brainstorming_(disambiguation))."""
    while url and url[-1] in LINK_TRAILING_PUNCTUATION:
        if url[-1] == ")" and url.count("(") >= url.count(")"):
            break
        url = url[:-1]
    return url


def is_safe_link(target: str) -> bool:
    return target.strip().lower().startswith(SAFE_LINK_SCHEMES)


def section_titles(plan: LessonPlan) -> list[str]:
    """The numbered 教案 sections in order; optional ones appear only when the plan has content for them."""
    titles = [DESIGN_INTENT, OBJECTIVES, KEY_POINTS, PREPARATION, PROCESS, SAFETY]
    if plan.observation_points:
        titles.append(OBSERVATION)
    titles.append(EXTENSION)
    if plan.citations:
        titles.append(REFERENCES)
    return titles


def chinese_numeral(number: int) -> str:
    """1 -> 一, 10 -> 十, 12 -> 十二, 20 -> 二十, 99 -> 九十九."""
    digits = "零一二三四五六七八九"
    tens, ones = divmod(number, 10)
    if tens == 0:
        return digits[ones]
    return f"{digits[tens] if tens > 1 else ''}十{digits[ones] if ones else ''}"


def numbered_heading(number: int, title: str) -> str:
    if in_english():
        return f"{number}. {say(title)}"
    return f"{chinese_numeral(number)}、{title}"


def with_speaker(speaker: str, text: str) -> str:
    """Prefix 师：/幼： unless the model already wrote it (with a full- or half-width colon)."""
    if text.startswith((speaker, speaker.replace("：", ":"))):
        return text
    speaker = say(speaker)
    if in_english() and text.lower().startswith(speaker.strip().lower()):
        return text
    return f"{speaker}{text}"


def stage_label(step: ProcessStep) -> str:
    """The 环节 cell's first line: the phase and the CPS stage of DOMAIN.md §1.3."""
    if in_english():
        return f"{value_label(english.PHASE_LABELS, step.phase)} · {value_label(english.STAGE_LABELS, step.cps_stage)}"
    return f"{step.phase}·{step.cps_stage}"


def minutes_text(minutes: int) -> str:
    return f"{minutes} min" if in_english() else f"{minutes}分钟"


def teacher_lines(step: ProcessStep) -> list[str]:
    lines = [with_speaker("师：", step.teacher)]
    if step.key_questions:
        lines.append(say("关键提问："))
        lines.extend(f"· {question}" for question in step.key_questions)
    return lines


def children_text(step: ProcessStep) -> str:
    return with_speaker("幼：", step.children)


def objective_text(number: int, dimension: str, text: str) -> str:
    if in_english():
        return f"{number}. [{value_label(english.DIMENSION_LABELS, dimension)}] {text}"
    return f"{number}. 【{dimension}】{text}"


def material_text(item: MaterialItem) -> str:
    if in_english():
        return f"{item.name} ({item.quantity})" if item.quantity else item.name
    return f"{item.name}（{item.quantity}）" if item.quantity else item.name


def materials_for(plan: LessonPlan, for_whom: str) -> str:
    """One line of 物质准备 for 教师 or 幼儿, quantities in brackets; empty when there are none."""
    separator = ", " if in_english() else "、"
    return separator.join(material_text(item) for item in plan.preparation.materials if item.for_whom == for_whom)


def experience_text(plan: LessonPlan) -> str:
    return ("; " if in_english() else "；").join(plan.preparation.experience)


def safety_tag(note: SafetyNote) -> str:
    if in_english():
        return "Not for children" if note.severity == "ban" else "Caution"
    return "禁用" if note.severity == "ban" else "注意"


def safety_text(note: SafetyNote) -> str:
    if in_english():
        return f"[{safety_tag(note)}] {note.material}: {note.note}"
    return f"【{safety_tag(note)}】{note.material}：{note.note}"


def safety_lines(plan: LessonPlan) -> list[str]:
    return [safety_text(note) for note in plan.safety_notes] or [say(NO_SAFETY_NOTES)]


def citation_number(citation: Citation, position: int) -> int:
    return citation.number or position


def citation_title(citation: Citation) -> str:
    title = citation.document_title
    return title if title.startswith("《") else f"《{title}》"


def citation_page(citation: Citation) -> str:
    if citation.page is None:
        return ""
    return f"p. {citation.page}" if in_english() else f"第{citation.page}页"


def citation_text(citation: Citation) -> str:
    """《document title》，heading，第n页 — heading and page only when known."""
    parts = [citation_title(citation), citation.heading, citation_page(citation)]
    return (", " if in_english() else "，").join(part for part in parts if part)


def warnings_text(plan: LessonPlan) -> str:
    return ("; " if in_english() else "；").join(plan.warnings)
