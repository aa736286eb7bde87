"""创造力观察清单 from one sentence (issue 13): "大一班 12月8日 观察小明、小红和乐乐在建构区搭桥时的表现
李老师" fills the class, band, date, teacher, the children to observe (a sheet each) and the activity."""

from __future__ import annotations

import datetime
import re

from lesson_studio.authoring.sentence import ParsedForm, SentenceReader
from lesson_studio.resource_types.creativity_checklist.schema import MAX_CHILDREN, NAME_CHARS

# What a teacher calls this document: a phrase that only asks for one fills nothing.
DOCUMENT_WORDS = ("创造力观察清单", "观察清单", "观察表")

ACTIVITY_MAX_CHARS = 200  # ChecklistRequest.activity
# "观察小明、小红和乐乐…": names after 观察, joined by 、和与及, up to where the activity starts.
_NAMES = re.compile(
    r"(?:观察(?:对象|幼儿)?|幼儿|小朋友)\s*[:：]?\s*"
    r"(?P<names>[\u4e00-\u9fff]{2,3}?(?:\s*(?:、|，|,|和|与|及)\s*[\u4e00-\u9fff]{2,3}?)*)"
    r"(?=在|的|玩|搭|画|做|参加|进行|时|这|几|[。；;\s]|$)"
)
_NAME_SEPARATOR = re.compile(r"\s*(?:、|，|,|和|与|及)\s*")
_NOT_NAMES = frozenset({"孩子", "孩子们", "幼儿", "小朋友", "大家", "全班", "每个", "他们", "清单", "记录", "表现"})
_ACTIVITY_EDGES = (
    re.compile(r"^观察(?:全班)?(?:孩子|幼儿|小朋友)?们?(?:在|的)?"),  # whom to observe, said without names
    re.compile(r"^(?:在|的)"),
    re.compile(r"(?:时|时候)?的?(?:表现|情况|创造力)$|时$"),
)


def parse_checklist_sentence(text: str, today: datetime.date) -> ParsedForm:
    reader = SentenceReader(text, document_words=DOCUMENT_WORDS)
    reader.read_class_and_band()
    reader.read_teacher("teacher")
    reader.read_date("date", today)
    for m in _NAMES.finditer(reader.text):
        names = [name for name in _NAME_SEPARATOR.split(m["names"]) if name]
        if any(name in _NOT_NAMES for name in names) or not reader.take_span(m.start(), m.end()):
            continue
        reader.set("children", [name[:NAME_CHARS] for name in names][:MAX_CHILDREN], m.group())
        break
    phrases = []
    for phrase in reader.rest():
        for edge in _ACTIVITY_EDGES:
            phrase = edge.sub("", phrase).strip()
        if len(phrase) >= 2:
            phrases.append(phrase)
    if phrases:
        activity = "，".join(phrases)[:ACTIVITY_MAX_CHARS]
        reader.set("activity", activity, " / ".join(phrases))
    return reader.parsed
