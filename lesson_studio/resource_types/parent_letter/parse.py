"""家长信 from one sentence (issue 13): "中二班 12月7日 我们在做小熊的帽子，请家长收集旧毛线和纸盒，王老师"
fills the class, band, date, topic, collection list and teacher; the other phrases go to the notes.
The letter's date is the date it carries: "12月14日前带来" is a deadline and stays in the notes."""

from __future__ import annotations

import datetime
import re

from lesson_studio.authoring.sentence import ParsedForm, SentenceReader, join_phrases

# What a teacher calls this document: a phrase that only asks for one fills nothing.
DOCUMENT_WORDS = (
    "家长信",
    "家园联系单",
    "家园联系栏",
    "家园联系",
    "给家长写封信",
    "给家长们写封信",
    "写封信",
    "一封信",
    "封信",
)

# "请家长帮忙收集…", "收集…", "带来…": what families are asked to bring.
_COLLECT_CUE = re.compile(r"(?:请家长们?|请)?(?:帮忙|帮孩子|和孩子一起)?(?:收集|搜集|带来|准备)\s*[:：]?\s*")
_CONTACT = re.compile(r"(?:电话|联系方式|手机|微信)?\s*[:：]?\s*(?<!\d)1[3-9]\d{9}(?!\d)")


def parse_letter_sentence(text: str, today: datetime.date) -> ParsedForm:
    reader = SentenceReader(text, document_words=DOCUMENT_WORDS)
    reader.read_class_and_band()
    reader.read_teacher("teacher")
    reader.read_date("date", today, skip_deadlines=True)
    contact = reader.take(_CONTACT)
    if contact:
        reader.set("contact", contact.group().strip(), contact.group())
    deadlines = reader.take_deadlines(today)  # before the list, which would read them as items
    reader.read_list_after(_COLLECT_CUE, "collect")
    phrases = reader.rest()
    if phrases:
        reader.set("topic", phrases[0][:200], phrases[0])
    notes = phrases[1:] + deadlines
    if notes:
        reader.set("notes", join_phrases(notes)[:300], " / ".join(notes))
    return reader.parsed
