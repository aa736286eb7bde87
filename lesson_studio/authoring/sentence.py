"""One sentence -> a resource form's fields, by rules (issue 13): what every type's sentence shares.

The lesson plan has its own parser (authoring.request_parser); the other resource types read a
sentence with a `SentenceReader`, which reuses that parser's machinery (the band words, the
"用…和…" material lists, the phrase splitting and the fillers) and adds what their forms ask for:
the class name ("中二班" is the class and the 中班 band), dates ("12月7日", "下周一" from a given
today, as a `datetime.date`), weeks ("两周"), the teacher ("王老师") and lists after a cue word
("收集纸盒和瓶盖"). Each type's `parse.py` decides which of its fields each reading fills.

Nothing is invented: a field the sentence does not speak of is left out of `ParsedForm.values`, so
the form keeps what it had. A value that was inferred rather than said (托班 planned as 小班, a start
date from "下周" alone, a week count over the form's limit) is listed in `guessed`.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from lesson_studio.authoring.request_parser import (
    _first_match,
    _is_filler,
    _Match,
    _SentenceParser,
    _strip_fillers,
    _to_int,
)
from lesson_studio.errors import InvalidInput

EMPTY_SENTENCE_MESSAGE = "请先用一句话说明要做什么 / Please say in one sentence what you need"


@dataclass
class ParsedForm:
    """A sentence read for one form: the values it gives, the words behind them, what to check."""

    values: dict[str, Any] = field(default_factory=dict)  # request field -> value, only what was said
    found: dict[str, str] = field(default_factory=dict)  # request field -> the words that gave it
    guessed: list[str] = field(default_factory=list)  # fields inferred rather than said: please check


# A type's parser: (sentence, today) -> the form's values. Today is passed in, never read from the
# clock here, so "明天" means the same in a test on any day.
FormParser = Callable[[str, datetime.date], ParsedForm]

# --- Vocabulary ----------------------------------------------------------------------------------

_SMALL_NUM = r"(?:\d{1,2}|[一二两三四五六七八九十]{1,3})"
# "中二班", "大3班", "小（1）班", "混龄一班": a class, and through its first word the band.
_CLASS_NAME = re.compile(
    r"(?P<band>小小|托|小|中|大|混龄)\s*(?:[一二三四五六七八九十]{1,3}|\d{1,2}|[（(]\s*\d{1,2}\s*[)）])\s*班"
)
_CLASS_BANDS = {"小小": "小班", "托": "小班", "小": "小班", "中": "中班", "大": "大班", "混龄": "混龄"}

_FULL_DATE = re.compile(
    r"(?P<y>\d{4})\s*(?:年\s*(?P<m>\d{1,2})\s*月\s*(?P<d>\d{1,2})\s*[日号]?|[-/.](?P<m2>\d{1,2})[-/.](?P<d2>\d{1,2}))"
)
_MONTH_DAY = re.compile(rf"(?<!\d)(?P<m>{_SMALL_NUM})\s*月\s*(?P<d>{_SMALL_NUM})\s*[日号]")
_WEEKDAYS = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6, "末": 5}
_WEEKDAY = re.compile(r"(?P<week>下下|下个?|这个?|本|上个?)?\s*(?:周|星期|礼拜)(?P<day>[一二三四五六日天末1-7])")
_NEXT_WEEK = re.compile(r"下个?(?:周|星期|礼拜)(?![一二三四五六日天末1-7])")
_DAY_WORDS = {"前天": -2, "昨天": -1, "今天": 0, "明天": 1, "后天": 2, "大后天": 3}
_DAY_WORD = re.compile("|".join(sorted(_DAY_WORDS, key=len, reverse=True)))
# "12月14日前" is a deadline ("请在…前带来"), not the date the document carries.
_DEADLINE_AFTER = re.compile(r"\s*(?:之前|以前|前)")

_WEEKS = re.compile(
    rf"(?<![第每上下这本个])(?P<n>{_SMALL_NUM})\s*个?\s*(?:周|星期|礼拜)(?![一二三四五六日天末1-7])|(?P<month>一个月)"
)

# "王老师", "欧阳老师"; not "和老师", "请老师": a word before 老师 that is not a surname.
_NOT_SURNAMES = "的和跟与请让给向由是为被把对在从带找问告各位全好跟班我你他她们"
_SURNAME_TEACHER = re.compile(r"(?P<surname>欧阳|司马|诸葛|上官|司徒|[\u4e00-\u9fff])老师")

# Asking for a document ("帮我写一份…"): the document's own names are each type's (document_words).
_REQUEST_VERB = r"(?:请|帮我|给我|麻烦)?(?:写|做|出|生成|准备|设计|制定|记)?(?:一封|一份|一个|一张|一篇|一则|个)?"
_LEADING_CLASS_WORK = re.compile(r"^(?:我们班|我们|孩子们|全班)(?:最近|这几天|正在|在)*(?:做|开展|进行|研究|探索|玩)?")


class SentenceReader(_SentenceParser):
    """One sentence read for one form: each `read_*` takes its words out of the sentence and puts
    the value in `parsed.values[field]`; `rest()` is what no reading took, phrase by phrase."""

    def __init__(self, text: str, *, document_words: tuple[str, ...] = ()) -> None:
        """document_words: the names a teacher calls the type's document by (each type's parse.py
        gives its own): a phrase that only asks for one ("写一份…") says nothing about what it is about."""
        sentence = (text or "").strip()
        if not any(char.isalnum() for char in sentence):  # empty, spaces or punctuation only
            raise InvalidInput(EMPTY_SENTENCE_MESSAGE)
        super().__init__(sentence, infer=None)
        self.parsed = ParsedForm()
        names = "|".join(re.escape(word) for word in sorted(document_words, key=len, reverse=True)) or "(?!)"
        self._leading_request = re.compile(rf"^{_REQUEST_VERB}(?:{names})?(?:[:：])?")
        self._trailing_request = re.compile(rf"(?:的)?(?:{names})$")

    # --- what the sentence says ---------------------------------------------------------------

    def set(self, field_name: str, value: Any, words: str, *, guessed: bool = False) -> None:
        self.parsed.values[field_name] = value
        self.parsed.found[field_name] = words
        if guessed and field_name not in self.parsed.guessed:
            self.parsed.guessed.append(field_name)

    def take(self, pattern: re.Pattern[str], *, keep: bool = False) -> re.Match[str] | None:
        """The first match no reading has taken, taken out of the sentence (keep: left in it)."""
        for m in pattern.finditer(self.text):
            if self._is_free(m.start(), m.end()):
                if not keep:
                    self._consume(m.start(), m.end())
                return m
        return None

    def is_free(self, start: int, end: int) -> bool:
        """Whether no reading has taken any of these characters."""
        return self._is_free(start, end)

    def take_span(self, start: int, end: int) -> bool:
        """Take these characters out of the sentence, if no reading has: whether it could."""
        if not self._is_free(start, end):
            return False
        self._consume(start, end)
        return True

    def read_class_and_band(self, *, class_field: str | None = "class_name", band_field: str = "age_band") -> None:
        """ "中二班" -> class 中二班, band 中班; else "大班", "4-5岁" -> the band only."""
        for m in _CLASS_NAME.finditer(self.text):
            if self._is_free(m.start(), m.end()):
                self._consume(m.start(), m.end())
                if class_field:
                    self.set(class_field, re.sub(r"\s+", "", m.group()), m.group())
                self.set(band_field, _CLASS_BANDS[m["band"]], m.group(), guessed=m["band"] == "托")
                self._consume_band_words()  # "中二班（4-5岁）": the ages say the same
                return
        names, ages = self._band_name_matches(), self._band_age_matches()
        match = _first_match(names) or _first_match(ages)
        if match is None:
            return
        self._consume_band_words()
        if match.value == "托班":  # not a band of the 《指南》: planned as 小班, for the teacher to check
            self.set(band_field, "小班", match.words, guessed=True)
        else:
            self.set(band_field, match.value, match.words)

    def _consume_band_words(self) -> None:
        for other in (*self._band_name_matches(), *self._band_age_matches()):
            self._consume(other.start, other.end)

    def read_date(
        self,
        field_name: str,
        today: datetime.date,
        *,
        as_text: bool = True,
        skip_deadlines: bool = False,
        week_start: bool = False,
    ) -> datetime.date | None:
        """The first date the sentence gives, as ISO text (as_text) or a date. week_start: "下周"
        alone is next Monday (a guess). skip_deadlines: "12月14日前" is left to the notes."""
        candidates = [m for m in self._date_matches(today, week_start) if self._is_free(m.start, m.end)]
        if skip_deadlines:
            candidates = [m for m in candidates if not _DEADLINE_AFTER.match(self.text, m.end)]
        match = _first_match(candidates)
        if match is None:
            return None
        self._consume(match.start, match.end)
        date = datetime.date.fromisoformat(match.value)
        guessed = bool(_NEXT_WEEK.fullmatch(match.words))
        self.set(field_name, date.isoformat() if as_text else date, match.words, guessed=guessed)
        return date

    def _date_matches(self, today: datetime.date, week_start: bool) -> list[_Match]:
        found: list[_Match] = []

        def add(date: datetime.date | None, m: re.Match[str]) -> None:
            if date is not None:
                found.append(_Match(date.isoformat(), m.group(), m.start(), m.end()))

        for m in _FULL_DATE.finditer(self.text):
            add(_valid_date(int(m["y"]), int(m["m"] or m["m2"]), int(m["d"] or m["d2"])), m)
        for m in _MONTH_DAY.finditer(self.text):
            if any(f.start <= m.start() < f.end for f in found):
                continue  # the month and day of a full date already read
            add(_nearest_date(today, _to_int(m["m"]), _to_int(m["d"])), m)
        monday = today - datetime.timedelta(days=today.weekday())
        for m in _WEEKDAY.finditer(self.text):
            day = m["day"]
            weekday = int(day) - 1 if day.isdigit() else _WEEKDAYS[day]
            shift = {"下下": 14, "上": -7}.get((m["week"] or "")[:2].rstrip("个"), 0)
            if (m["week"] or "").startswith("下") and shift == 0:
                shift = 7
            add(monday + datetime.timedelta(days=shift + weekday), m)
        for m in _DAY_WORD.finditer(self.text):
            add(today + datetime.timedelta(days=_DAY_WORDS[m.group()]), m)
        if week_start:
            for m in _NEXT_WEEK.finditer(self.text):
                add(monday + datetime.timedelta(days=7), m)
        return found

    def take_deadlines(self, today: datetime.date) -> list[str]:
        """Phrases that set a deadline ("12月14日前带来"), taken whole: they belong in the notes."""
        taken = []
        for match in self._date_matches(today, week_start=False):
            deadline = _DEADLINE_AFTER.match(self.text, match.end)
            if deadline is None or not self._is_free(match.start, deadline.end()):
                continue
            end = deadline.end()
            while end < len(self.text) and not self._is_boundary(end, spaces=True):
                end += 1
            taken.append(self.text[match.start : end])
            self._consume(match.start, end)
        return taken

    def read_weeks(self, field_name: str, *, most: int = 4) -> None:
        """ "两周", "3个星期" -> 2, 3; "一个月" -> 4 (a guess); more than the form allows is capped (a guess)."""
        for m in _WEEKS.finditer(self.text):
            if not self._is_free(m.start(), m.end()):
                continue
            self._consume(m.start(), m.end())
            weeks = 4 if m["month"] else _to_int(m["n"])
            guessed = bool(m["month"]) or not 1 <= weeks <= most
            self.set(field_name, max(1, min(most, weeks)), m.group(), guessed=guessed)
            return

    def read_teacher(self, field_name: str) -> None:
        """ "王老师" (a surname before 老师; "和老师", "请老师" are not a teacher's name)."""
        for m in _SURNAME_TEACHER.finditer(self.text):
            if m["surname"] in _NOT_SURNAMES or not self._is_free(m.start(), m.end()):
                continue
            self._consume(m.start(), m.end())
            self.set(field_name, m.group(), m.group())
            return

    def read_materials(self, field_name: str) -> None:
        """ "用纸盒和瓶盖…", "材料：…" (the lesson parser's reading): the items, in order."""
        items = self._materials()
        if items:
            self.set(field_name, items, self.found.get("materials", ""))

    def read_list_after(self, cue: re.Pattern[str], field_name: str) -> None:
        """The items listed after a cue word ("收集纸盒、瓶盖和旧报纸"), up to a clause or an action."""
        for m in cue.finditer(self.text):
            if not self._is_free(m.start(), m.end()):
                continue
            items, end, _ = self._read_material_list(m.end())
            if not items:
                continue
            self._consume(m.start(), end)
            self.set(field_name, items, self.text[m.start() : end])
            return

    def read_words(self, field_name: str, vocabulary: dict[str, str], *, order: tuple[str, ...]) -> None:
        """Every vocabulary word the sentence names (word -> the form's value), in the form's order."""
        values: set[str] = set()
        words: list[str] = []
        pattern = re.compile("|".join(re.escape(word) for word in sorted(vocabulary, key=len, reverse=True)))
        for m in pattern.finditer(self.text):
            if self._is_free(m.start(), m.end()):
                self._consume(m.start(), m.end())
                values.add(vocabulary[m.group()])
                words.append(m.group())
        if values:
            self.set(field_name, [value for value in order if value in values], " / ".join(words))

    # --- what is left -------------------------------------------------------------------------

    def rest(self, *, as_typed: bool = False) -> list[str]:
        """The phrases no reading took, without the words that only ask for a document; as_typed
        keeps the teacher's other words too ("孩子们在玩沙" stays whole in an observation's notes)."""
        phrases = []
        for phrase in self._phrases():
            cleaned = self._strip_document_words(phrase) if as_typed else self._strip_request_words(phrase)
            if not _is_filler(cleaned) and any(char.isalnum() for char in cleaned):
                phrases.append(cleaned)
        return phrases

    def _strip_document_words(self, phrase: str) -> str:
        phrase = self._leading_request.sub("", phrase, count=1).strip()
        return self._trailing_request.sub("", phrase).strip("、 ")

    def _strip_request_words(self, phrase: str) -> str:
        previous = None
        while phrase != previous:
            previous = phrase
            phrase = self._strip_document_words(phrase)
            phrase = _LEADING_CLASS_WORK.sub("", phrase, count=1).strip()
            phrase = _strip_fillers(phrase).strip("、 ")  # a list joiner left by a word taken out
        return phrase


# --- Pure helpers --------------------------------------------------------------------------------


def _valid_date(year: int, month: int, day: int) -> datetime.date | None:
    try:
        return datetime.date(year, month, day)
    except ValueError:  # "2月30日": not a date, so not read as one
        return None


def _nearest_date(today: datetime.date, month: int, day: int) -> datetime.date | None:
    """A month and day without a year: the one nearest today ("1月5日" said in December is next year's)."""
    dates = [date for year in (today.year - 1, today.year, today.year + 1) if (date := _valid_date(year, month, day))]
    return min(dates, key=lambda date: abs((date - today).days), default=None)


def join_phrases(phrases: list[str]) -> str:
    """The sentence's leftover phrases as one text, as the teacher wrote them."""
    return "，".join(phrases)
