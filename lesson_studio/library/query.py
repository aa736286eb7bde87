"""What a search is asked, made ready for the retriever: the age band it names and the words to match.

Teachers ask the way they talk ("中班孩子不开心了会跟别人说吗"), the 《指南》 is written in its own
register ("4～5岁：愿意把自己的情绪告诉亲近的人"). Two things close most of that gap (measured with
bench/retrieval.py on 292 teachers' questions):
- the band a question names is taken out of the text and used as a boost: left in, "中班" pulled
  the starter library's "中班：..." method sections above the 《指南》's 4～5岁 column;
- for BM25 only, everyday words are mapped to the official ones (孩子 -> 幼儿): the 《指南》 never
  says 孩子 and the method cards say it in every line, so the word alone ranked the cards first.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from lesson_studio.library import keyword

_RANGE = r"\s*[～~\-—–到至]\s*"
# Ranges before single ages, so "3～4岁" is read as 小班 and not also as a four-year-old.
_BAND_MENTION = re.compile(
    rf"(?P<every>[3三]{_RANGE}[6六]\s*岁)"  # the whole 3-6 range names no one band
    rf"|(?P<小班>小班|3{_RANGE}4\s*岁|三{_RANGE}四\s*岁|youngest class)"
    rf"|(?P<中班>中班|4{_RANGE}5\s*岁|四{_RANGE}五\s*岁|middle class)"
    rf"|(?P<大班>大班|5{_RANGE}6\s*岁|五{_RANGE}六\s*岁|oldest class|top class)"
    r"|(?P<小班_>(?<![\d～~\-—–])3\s*岁|三岁|three-year-olds?|3-year-olds?)"
    r"|(?P<中班_>(?<![\d～~\-—–])4\s*岁|四岁|four-year-olds?|4-year-olds?)"
    r"|(?P<大班_>(?<![\d～~\-—–])[56]\s*岁|五岁|六岁|five-year-olds?|5-year-olds?|six-year-olds?)",
    re.IGNORECASE,
)
# "大班孩子", "3～4岁的幼儿", "中班" alone: replaced by 幼儿 so the rest of the question is matched.
_BAND_PHRASE = re.compile(
    rf"(?:小班|中班|大班|(?:3{_RANGE}4|4{_RANGE}5|5{_RANGE}6|三{_RANGE}四|四{_RANGE}五|五{_RANGE}六)\s*岁)(?:的)?(?:孩子|幼儿|小朋友)?"
)
# Everyday words -> the 《指南》's (BM25 only; dense embeddings already treat them as close).
KEYWORD_SYNONYMS = {"孩子": "幼儿", "小朋友": "幼儿", "宝宝": "幼儿", "娃娃": "幼儿", "老师": "教师"}


@dataclass(frozen=True)
class Query:
    text: str  # as asked
    search_text: str  # what dense search embeds: the band phrase replaced by 幼儿
    tokens: list[str]  # what BM25 matches
    band: str  # 小班/中班/大班 when the question names exactly one band, else ""


def band_named(text: str) -> str:
    """The one age band a question names (小班, 4-5岁, five-year-olds ...), or "" for none or several."""
    found = {match.lastgroup.rstrip("_") for match in _BAND_MENTION.finditer(text) if match.lastgroup} - {"every"}
    return found.pop() if len(found) == 1 else ""


def analyse(text: str) -> Query:
    band = band_named(text)
    search_text = _BAND_PHRASE.sub("幼儿", text).strip() if band else text
    search_text = search_text or text
    tokens = [KEYWORD_SYNONYMS.get(token, token) for token in keyword.tokenize(search_text)]
    return Query(text=text, search_text=search_text, tokens=tokens, band=band)
