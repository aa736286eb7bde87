"""区域活动材料计划 from one sentence (issue 13): "中二班 美工区和建构区 下周一开始 两周 主题小熊的帽子
现有纸箱、毛线 王老师" fills the class, band, areas (in the plan's order; 图书区 is 阅读区), start date,
weeks, theme, materials on hand and teacher. The start date is a date, as the form's date picker takes it."""

from __future__ import annotations

import datetime
import re

from lesson_studio.authoring.sentence import ParsedForm, SentenceReader, join_phrases
from lesson_studio.resource_types.area_plan.schema import AREA_ALIASES, AREAS

# What a teacher calls this document: a phrase that only asks for one fills nothing.
DOCUMENT_WORDS = ("区域活动材料计划", "区域材料计划", "区域活动计划", "区域计划", "材料计划")

THEME_MAX_CHARS, NOTES_MAX_CHARS = 200, 300  # AreaPlanRequest's limits
_AREA_WORDS = {**{area: area for area in AREAS}, **AREA_ALIASES}
# "现有纸箱、毛线", "班里有…", "材料有…": what the class already has.
_ON_HAND_CUE = re.compile(r"(?:现有材料|现有|已有|班里有|教室里有|手头有)\s*[:：]?\s*")
_THEME_LABEL = re.compile(r"^(?:主题|围绕|关于)(?:是|为)?\s*[:：]?\s*")


def parse_area_sentence(text: str, today: datetime.date) -> ParsedForm:
    reader = SentenceReader(text, document_words=DOCUMENT_WORDS)
    reader.read_class_and_band()
    reader.read_teacher("teacher")
    reader.read_date("start_date", today, as_text=False, week_start=True)
    reader.read_weeks("weeks")
    reader.read_words("areas", _AREA_WORDS, order=AREAS)
    reader.read_list_after(_ON_HAND_CUE, "materials_on_hand")
    if "materials_on_hand" not in reader.parsed.values:
        reader.read_materials("materials_on_hand")
    phrases = [_THEME_LABEL.sub("", phrase) for phrase in reader.rest()]
    phrases = [phrase for phrase in phrases if phrase not in ("", "开始", "为期", "投放", "区域", "和")]
    if phrases:
        reader.set("theme", phrases[0][:THEME_MAX_CHARS], phrases[0])
    if len(phrases) > 1:
        reader.set("notes", join_phrases(phrases[1:])[:NOTES_MAX_CHARS], " / ".join(phrases[1:]))
    return reader.parsed
