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
) -> list[Chunk]:
    """Split a document into chunks of at most max_chars characters each."""
    if max_chars < 1:
        raise ValueError("max_chars must be positive")
    tags = tags or {}
    full_text = document.text
    chunks: list[Chunk] = []
    section_start = 0
    for section in document.sections:
        heading_path = _without_title(section.heading_path, document.title)
        heading = HEADING_JOINER.join(heading_path)
        domain = _domain_of(heading_path) or tags.get("domain", "")
        sentences = _sentences(full_text, section_start, section.text, table=section.kind == "table")
        for start, end, label in _pack(sentences, full_text, max_chars):
            text = full_text[start:end]
            chunks.append(
                Chunk(
                    document_id=document_id,
                    version=version,
                    index=len(chunks),
                    text=text,
                    heading=heading,
                    page=section.page,
                    char_start=start,
                    char_end=end,
                    age_band=label or _single_band_mentioned(heading) or tags.get("age_band", ""),
                    domain=domain,
                    cps_stage=tags.get("cps_stage", ""),
                    resource_type=tags.get("resource_type", ""),
                )
            )
        section_start += len(section.text) + len(SECTION_SEPARATOR)
    return chunks


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


def chunk_version(chunk_id: str) -> int | None:
    """The document version a chunk id ("document:version:index", Chunk.id) belongs to."""
    parts = chunk_id.split(":")
    return int(parts[1]) if len(parts) == 3 and parts[1].isdigit() else None
