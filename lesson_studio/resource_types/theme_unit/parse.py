"""主题活动 from one sentence (issue 13): "中二班 主题《小熊的帽子》 下周一开始 两周 小熊的帽子总是被风吹跑
王老师" fills the class, band, theme, start date, weeks, problem and teacher; named 领域 ("科学和艺术")
become the emphasised domains and "用纸箱和旧布…" the materials at hand. A theme not named apart from
the problem is taken from the problem's words and listed as a guess."""

from __future__ import annotations

import datetime
import re

from lesson_studio.authoring.request_parser import _DOMAIN_TIERS
from lesson_studio.authoring.sentence import ParsedForm, SentenceReader, join_phrases
from lesson_studio.models import DOMAINS

# What a teacher calls this document: a phrase that only asks for one fills nothing.
DOCUMENT_WORDS = ("主题活动方案", "主题活动计划", "主题活动")

THEME_MAX_CHARS, PROBLEM_MAX_CHARS, NOTES_MAX_CHARS = 60, 200, 300  # ThemeUnitRequest's limits
# "主题是小熊的帽子", "主题《小熊的帽子》", "《小熊的帽子》主题": the theme named as such.
_NAMED_THEME = re.compile(
    r"主题(?:活动)?(?:(?:是|为|叫|名称是)\s*[:：]?|[:：]|(?=[《「“\"]))\s*[《「“\"]?(?P<theme>[^，。,；;！!？?\s《》「」“”\"]{2,60})[》」”\"]?"
    r"|[《「“](?P<quoted>[^》」”]{2,60})[》」”](?:主题)?"
)
# Only a 领域 named as such ("科学领域", "艺术"): a content hint like 故事 does not make a domain emphasised.
_DOMAIN_WORDS = {word: domain for domain, words in _DOMAIN_TIERS[0].items() for word in words if not word.isascii()}


def parse_unit_sentence(text: str, today: datetime.date) -> ParsedForm:
    reader = SentenceReader(text, document_words=DOCUMENT_WORDS)
    reader.read_class_and_band()
    reader.read_teacher("teacher")
    reader.read_date("start_date", today, week_start=True)
    reader.read_weeks("weeks")
    theme = reader.take(_NAMED_THEME)
    if theme:
        reader.set("theme", theme["theme"] or theme["quoted"], theme.group())
    reader.read_words("domains", _DOMAIN_WORDS, order=DOMAINS)
    reader.read_materials("materials")
    phrases = [phrase for phrase in reader.rest() if phrase not in ("领域", "开始", "为期", "共")]
    if "theme" not in reader.parsed.values and phrases and len(phrases[0]) <= THEME_MAX_CHARS:
        # Not named as a theme: the first phrase is taken as one (a short name before the problem,
        # or the problem's own words when it is all there is), for the teacher to check.
        reader.set("theme", phrases[0], phrases[0], guessed=True)
        if len(phrases) > 1:
            phrases = phrases[1:]
    if phrases:
        reader.set("problem", phrases[0][:PROBLEM_MAX_CHARS], phrases[0])
    if len(phrases) > 1:
        reader.set("notes", join_phrases(phrases[1:])[:NOTES_MAX_CHARS], " / ".join(phrases[1:]))
    return reader.parsed
