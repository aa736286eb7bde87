"""Splitter: a LoadedDocument -> Chunks that fit the embedder and know where they came from.

Chunks follow the document's heading sections, then Chinese sentence boundaries, and never cut
a sentence unless that sentence alone is longer than max_chars. A line that starts with an age
label ("3～4岁: ...", "小班：...") starts a new chunk, because the most common retrieval error
over the 《指南》 is the right goal from the wrong age column (DESIGN.md, measured facts); so does
the first line after such a run of labelled lines. In a table section every line (a row, or one
age column's cell) is a chunk of its own, with its headers.

Each chunk carries the tags retrieval filters on: its age band (from its line label or heading,
else the document's tag), domain (from a heading like "一、健康", else the document's tag), CPS
stage and resource type (the document's tags).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from lesson_studio.library.loaders import SECTION_SEPARATOR, LoadedDocument

DEFAULT_MAX_CHARS = 400
MIN_PIECE_CHARS = 12
# No chunk shorter than this (a document shorter than it is one chunk): the example was a
# 17-character chunk holding only a date and a newspaper's name, ranked first for a question. 20
# keeps the 《指南》's shortest age-column cell (23 characters, a whole goal) a chunk of its own.
MIN_CHUNK_CHARS = 20
HEADING_JOINER = " > "

# A sentence ends after 。！？； (with any closing quotes/brackets) or at a line end.
_SENTENCE = re.compile(r"[^。！？；!?;\n]*(?:[。！？；!?;]+[”’」』）)\]]*|\n|$)")
# Where an over-long sentence may be cut when it must be: after a comma-like mark.
_SOFT_BREAK = re.compile(r"[，,、：:]")

_AGE_RANGE = r"(?:3\s*[～~\-—–至到]\s*4|4\s*[～~\-—–至到]\s*5|5\s*[～~\-—–至到]\s*6)\s*岁"
_AGE_MENTION = re.compile(rf"{_AGE_RANGE}|小班|中班|大班")
_AGE_LABEL_LINE = re.compile(rf"^\s*(?:{_AGE_RANGE}|小班|中班|大班)\s*[:：]")
_DOMAIN_HEADING = re.compile(r"^(?:[一二三四五六七八九十]+、)?\s*(健康|语言|社会|科学|艺术)(?:领域)?$")


def age_band_of(mention: str) -> str:
    """Map an age mention to its band: 3～4岁 -> 小班, 4-5岁 -> 中班, 5～6岁 -> 大班, 小班 -> 小班."""
    if mention in ("小班", "中班", "大班"):
        return mention
    return {"3": "小班", "4": "中班", "5": "大班"}.get(mention.strip()[:1], "")


@dataclass(frozen=True)
class Chunk:
    document_id: str
    version: int
    index: int
    text: str
    heading: str
    page: int | None
    char_start: int  # offsets into LoadedDocument.text: text == document.text[char_start:char_end]
    char_end: int
    # The band this passage is about when its line label ("3～4岁: ...") or its heading says so.
    # A band merely mentioned in running text ("比小班时更...") is too weak a sign to count.
    age_band: str = ""
    domain: str = ""
    cps_stage: str = ""
    resource_type: str = ""

    @property
    def id(self) -> str:
        return f"{self.document_id}:{self.version}:{self.index}"

    def metadata(self) -> dict[str, str | int]:
        """Flat scalar metadata; Chroma rejects None values, so an unknown page is left out."""
        values: dict[str, str | int] = {
            "document_id": self.document_id,
            "version": self.version,
            "index": self.index,
            "heading": self.heading,
            "char_start": self.char_start,
            "char_end": self.char_end,
        }
        if self.page is not None:
            values["page"] = self.page
        for key in ("age_band", "domain", "cps_stage", "resource_type"):
            if getattr(self, key):
                values[key] = getattr(self, key)
        return values


@dataclass(frozen=True)
class _Sentence:
    start: int  # offsets into the document text
    end: int
    age_label: str  # band of the age label that opens this sentence's line, or ""
    starts_new_chunk: bool  # first sentence of a table line, or of a line whose age label changes


def split(
    document: LoadedDocument,
    document_id: str,
    version: int = 1,
    max_chars: int = DEFAULT_MAX_CHARS,
    tags: dict[str, str] | None = None,
    min_chars: int = MIN_CHUNK_CHARS,
) -> list[Chunk]:
    """Split a document into chunks of at most max_chars characters each, none shorter than
    min_chars except a document's only chunk and an age-column line with no neighbour of its
    own column (see _merge_short)."""
    if max_chars < 1:
        raise ValueError("max_chars must be positive")
    tags = tags or {}
    full_text = document.text
    spans: list[_Span] = []
    section_start = 0
    for number, section in enumerate(document.sections):
        sentences = _sentences(full_text, section_start, section.text, table=section.kind == "table")
        spans.extend(_Span(start, end, label, number) for start, end, label in _pack(sentences, full_text, max_chars))
        section_start += len(section.text) + len(SECTION_SEPARATOR)
    chunks: list[Chunk] = []
    tops = [_top_heading(section.heading_path, document.title) for section in document.sections]
    for span in _merge_short(spans, full_text, min(min_chars, max_chars // 2), max_chars, tops):
        section = document.sections[span.section]
        heading_path = _without_title(section.heading_path, document.title)
        heading = HEADING_JOINER.join(heading_path)
        chunks.append(
            Chunk(
                document_id=document_id,
                version=version,
                index=len(chunks),
                text=full_text[span.start : span.end],
                heading=heading,
                page=section.page,
                char_start=span.start,
                char_end=span.end,
                age_band=span.label or _single_band_mentioned(heading) or tags.get("age_band", ""),
                domain=_domain_of(heading_path) or tags.get("domain", ""),
                cps_stage=tags.get("cps_stage", ""),
                resource_type=tags.get("resource_type", ""),
            )
        )
    return chunks


@dataclass(frozen=True)
class _Span:
    start: int
    end: int
    label: str  # age band of its line label(s), or ""
    section: int  # index of the section it takes its heading and page from

    @property
    def length(self) -> int:
        return self.end - self.start


def _top_heading(heading_path: list[str], title: str) -> str:
    path = _without_title(heading_path, title)
    return path[0] if path else ""


def _same_part(top: str, other: str) -> bool:
    # Text before the first heading (a date line, a newspaper's name) belongs to what follows it.
    return top == other or not top or not other


def _merge_short(
    spans: list[_Span], full_text: str, min_chars: int, max_chars: int, tops: list[str] | None = None
) -> list[_Span]:
    """Join every span shorter than min_chars to a neighbour, so no chunk is too small to answer
    anything (a date and a newspaper's name ranked first for a question once): the next span,
    else the previous one, across a heading if it must, but only one of the same age column
    (both labelled 4～5岁, or both unlabelled): the wrong age column is the commonest retrieval
    error (DESIGN.md), worse than a short passage whose embedded heading says what it is about.
    A neighbour under the same top-level heading (`tops`, per section) comes first; a document's
    last span that is a top-level part of its own (a plan's short 活动延伸) is left alone rather than
    joined to its 活动过程, which would lose the heading that says which part of the plan it is.
    A pair that would pass max_chars is cut again at the sentence boundary that leaves both
    halves longest (in the middle of a sentence only when no boundary leaves both long enough)."""
    spans = list(spans)
    position, budget = 0, 3 * len(spans)  # every step joins two spans or lengthens one: a guard only
    while position < len(spans) and budget > 0:
        span = spans[position]
        neighbours = [n for n in (position + 1, position - 1) if 0 <= n < len(spans) and spans[n].label == span.label]
        same_part = [n for n in neighbours if tops is None or _same_part(tops[spans[n].section], tops[span.section])]
        last = position == len(spans) - 1
        # A short part of its own (a plan's closing 活动延伸) stays alone only at the document's
        # end; anywhere else no chunk may be too short, so it joins a neighbour across the heading.
        partners = same_part or ([] if last else neighbours)
        if span.length >= min_chars or not partners:
            position += 1
            continue
        budget -= 1
        first, second = sorted((position, partners[0]))
        spans[first : second + 1] = _joined(spans[first], spans[second], full_text, min_chars, max_chars)
        position = first  # look again: a span joined to a short neighbour may still be short
    return spans


def _joined(first: _Span, second: _Span, full_text: str, min_chars: int, max_chars: int) -> list[_Span]:
    label = first.label  # _merge_short joins only spans of one age column
    owner = first.section if first.length >= second.length else second.section
    if second.end - first.start <= max_chars:
        return [_Span(first.start, second.end, label, owner)]
    # Too long together: cut again where both parts are longest (ends of sentences first).
    boundaries = [first.start + match.end() for match in _SENTENCE.finditer(full_text[first.start : second.end])]
    candidates = [
        cut
        for cut in boundaries
        if min_chars <= _trimmed_length(full_text, first.start, cut) <= max_chars
        and min_chars <= _trimmed_length(full_text, cut, second.end) <= max_chars
    ]
    if not candidates:
        candidates = [first.start + (second.end - first.start) // 2]
    cut = max(candidates, key=lambda c: min(c - first.start, second.end - c))
    head = _trimmed(full_text, first.start, cut) or (first.start, cut)
    tail = _trimmed(full_text, cut, second.end) or (cut, second.end)
    return [
        _Span(*head, label, first.section),
        _Span(*tail, label, second.section),
    ]


def _without_title(heading_path: list[str], title: str) -> list[str]:
    # The citation already names the document; repeating its title in every heading is noise.
    return heading_path[1:] if heading_path and heading_path[0] == title else heading_path


def _domain_of(heading_path: list[str]) -> str:
    """The domain a heading names ("一、健康", "科学领域"), innermost first."""
    for heading in reversed(heading_path):
        match = _DOMAIN_HEADING.match(heading.strip())
        if match:
            return match.group(1)
    return ""


def _sentences(full_text: str, offset: int, text: str, *, table: bool = False) -> list[_Sentence]:
    sentences: list[_Sentence] = []
    line_label = ""
    for match in _SENTENCE.finditer(text):
        if match.start() == match.end():
            continue
        starts_new_chunk = False
        if match.start() == 0 or text[match.start() - 1] == "\n":
            previous_label = line_label
            label_match = _AGE_LABEL_LINE.match(match.group())
            line_label = age_band_of(_AGE_MENTION.search(match.group()).group()) if label_match else ""  # type: ignore[union-attr]
            # Entering, switching or leaving an age column: the text after a table (教育建议)
            # is for every age and must not ride along with the last column.
            starts_new_chunk = table or line_label != previous_label
        sentences.append(_Sentence(offset + match.start(), offset + match.end(), line_label, starts_new_chunk))
    return sentences


def _pack(sentences: list[_Sentence], full_text: str, max_chars: int) -> list[tuple[int, int, str]]:
    """Greedily pack whole sentences into spans of at most max_chars (after trimming)."""
    spans: list[tuple[int, int, str]] = []
    current: list[_Sentence] = []

    def flush() -> None:
        if current:
            labels = {sentence.age_label for sentence in current}
            label = labels.pop() if len(labels) == 1 else ""
            span = _trimmed(full_text, current[0].start, current[-1].end)
            if span:
                spans.append((*span, label))
        current.clear()

    for sentence in sentences:
        if sentence.starts_new_chunk:
            flush()
        if current and _trimmed_length(full_text, current[0].start, sentence.end) > max_chars:
            flush()
        if _trimmed_length(full_text, sentence.start, sentence.end) > max_chars:
            flush()
            for start, end in _cut_long_sentence(full_text, sentence.start, sentence.end, max_chars):
                spans.append((start, end, sentence.age_label))
            continue
        current.append(sentence)
    flush()
    return spans


def _cut_long_sentence(full_text: str, start: int, end: int, max_chars: int) -> list[tuple[int, int]]:
    """Cut one over-long sentence into pieces, preferring a cut after a comma-like mark."""
    pieces: list[tuple[int, int]] = []
    while start < end:
        span = _trimmed(full_text, start, end)
        if span is None:
            break
        start, end = span
        if end - start <= max_chars:
            pieces.append((start, end))
            break
        window = full_text[start : start + max_chars]
        soft_breaks = [match.end() for match in _SOFT_BREAK.finditer(window)]
        cut = start + (soft_breaks[-1] if soft_breaks and soft_breaks[-1] > max_chars // 2 else max_chars)
        piece = _trimmed(full_text, start, cut)
        if piece:
            pieces.append(piece)
        start = cut
    return pieces


def _trimmed(full_text: str, start: int, end: int) -> tuple[int, int] | None:
    while start < end and full_text[start].isspace():
        start += 1
    while end > start and full_text[end - 1].isspace():
        end -= 1
    return (start, end) if start < end else None


def _trimmed_length(full_text: str, start: int, end: int) -> int:
    span = _trimmed(full_text, start, end)
    return span[1] - span[0] if span else 0


def _single_band_mentioned(text: str) -> str:
    bands = {age_band_of(match.group()) for match in _AGE_MENTION.finditer(text)}
    return bands.pop() if len(bands) == 1 else ""


def sentence_pieces(text: str, min_chars: int = MIN_PIECE_CHARS) -> list[str]:
    """A chunk's sentences, each shorter than min_chars joined to the next ("如：", "教育建议："):
    what dense search matches. A teacher's question usually paraphrases one sentence, and one
    vector for a whole chunk of six advice items matched it far less often (bench/retrieval.py)."""
    pieces: list[str] = []
    current = ""
    for match in _SENTENCE.finditer(text):
        sentence = match.group().strip()
        if not sentence:
            continue
        current = f"{current} {sentence}" if current else sentence
        if len(current) >= min_chars:
            pieces.append(current)
            current = ""
    if current:
        if pieces:
            pieces[-1] = f"{pieces[-1]} {current}"
        else:
            pieces.append(current)
    return pieces


def chunk_version(chunk_id: str) -> int | None:
    """The document version a chunk id ("document:version:index", Chunk.id) belongs to."""
    parts = chunk_id.split(":")
    return int(parts[1]) if len(parts) == 3 and parts[1].isdigit() else None
