"""观察记录 from one sentence (issue 13): "12月7日上午 中二班 乐乐在建构区用积木搭桥，倒了三次，第四次在
下面垫了长积木 王老师" fills the date, class, band, child, place and observer; what the teacher saw
stays in her own words as the notes (the child's name with it: the record is about what the child did).
A method is set only when the sentence names one (事件取样, 时间取样)."""

from __future__ import annotations

import datetime
import re

from lesson_studio.authoring.sentence import ParsedForm, SentenceReader, join_phrases
from lesson_studio.resource_types.observation_record.schema import METHODS

# What a teacher calls this document: a phrase that only asks for one fills nothing.
DOCUMENT_WORDS = ("观察记录", "学习故事")

NOTES_MIN_CHARS, NOTES_MAX_CHARS = 10, 1200  # ObservationRequest.notes
_METHOD_WORDS = {method.removesuffix("法"): method for method in METHODS}
_METHOD = re.compile("|".join(f"{re.escape(word)}(?:法)?" for word in _METHOD_WORDS))
# Where: "在建构区", "在美工区", "在户外", "在自然角"; the place word is kept in the notes too.
_PLACE = re.compile(
    r"(?:在|于)(?P<place>[\u4e00-\u9fff]{1,4}(?:区|角)|户外|操场|教室|走廊|午睡室|盥洗室|种植园|沙池|大型玩具区)"
)
# A child's name: a cue word before it, or the name just before what the child did.
_NAME = r"(?P<name>[A-Z]\.?[A-Z]\.?|[\u4e00-\u9fff]{2,3}?)"
_CHILD_CUES = (
    re.compile(
        rf"(?:观察对象|观察幼儿|观察|幼儿|小朋友)\s*[:：是]?\s*{_NAME}(?=在|把|用|和|拿|说|正|一直|，|,|、|。|\s|$)"
    ),
    re.compile(rf"{_NAME}(?:小朋友|同学)"),
    re.compile(rf"(?:^|[\s，,。])(?:班(?:的)?)?{_NAME}(?=在[\u4e00-\u9fff]{{1,4}}(?:区|角)|在户外|在操场)"),
)
_NOT_NAMES = frozenset(
    {
        "孩子",
        "孩子们",
        "幼儿",
        "小朋友",
        "我们",
        "他们",
        "她们",
        "大家",
        "全班",
        "今天",
        "上午",
        "下午",
        "记录",
        "对象",
        "目的",
    }
)
# "12月7日上午": the time of day belongs with the date, as the form's example writes it.
_TIME_OF_DAY = re.compile(r"\s*(?P<time>上午|下午|中午|早上|晨间|午后|离园前)")


def parse_observation_sentence(text: str, today: datetime.date) -> ParsedForm:
    reader = SentenceReader(text, document_words=DOCUMENT_WORDS)
    reader.read_class_and_band()
    reader.read_teacher("observer")
    date = reader.read_date("date", today)
    if date is not None:
        words = reader.parsed.found["date"]
        after = reader.text.index(words) + len(words)
        time = _TIME_OF_DAY.match(reader.text, after)
        if time and reader.take_span(time.start(), time.end()):
            reader.set("date", f"{date.isoformat()} {time['time']}", words + time.group())
    method = reader.take(_METHOD)
    if method:
        reader.set("method", _METHOD_WORDS[method.group().removesuffix("法")], method.group())
    place = reader.take(_PLACE, keep=True)
    if place:
        reader.set("place", place["place"], place.group())  # not taken out: "在建构区" is part of what she saw
    child = _child(reader)
    if child:
        reader.set("child", child.group("name"), child.group())
        if child.re is _CHILD_CUES[0]:
            reader.take_span(child.start(), child.start("name"))  # "观察对象：" only says who comes next
    seen = join_phrases(reader.rest(as_typed=True))
    if len(seen) >= NOTES_MIN_CHARS:
        reader.set("notes", seen[:NOTES_MAX_CHARS], seen)
    return reader.parsed


def _child(reader: SentenceReader) -> re.Match[str] | None:
    for cue in _CHILD_CUES:
        for m in cue.finditer(reader.text):
            if m["name"] not in _NOT_NAMES and reader.is_free(m.start("name"), m.end("name")):
                return m
    return None
