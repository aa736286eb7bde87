"""The retrieval evaluation set: teachers' questions (bench/retrieval_questions.jsonl) and their
gold answers, resolved at run time against the documents they come from.

The 《指南》 is not the project's text, so its gold sentences are never stored here: a gold answer
in the 《指南》 is a locator, the first 10 hex digits of the SHA-1 of the normalised sentence
(plus the age band of its table column, and which copy when the same sentence occurs more than
once). It is resolved against ../shared/corpus/moe-3-6-guide/*.docx as the project's loader reads
it, and a locator that no longer resolves to exactly one sentence stops the bench (SetError).
Gold answers in the starter library (resources/library, the project's own text) are stored as
text, and resolve to the sentence(s) that contain it.

    python bench/retrieval_set.py check                 # resolve every locator, print counts
    python bench/retrieval_set.py locate "孩子每天"      # locator(s) of the 《指南》 sentence(s) containing these words

A question's relevant spans are character ranges of LoadedDocument.text; a retrieved passage
answers it when it covers at least half of one gold sentence (GOLD_COVERAGE).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import sys
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from lesson_studio.library import loaders  # noqa: E402
from lesson_studio.library.chunker import age_band_of  # noqa: E402
from lesson_studio.library.loaders import LoadedDocument  # noqa: E402

QUESTIONS = ROOT / "bench" / "retrieval_questions.jsonl"
CORPUS = ROOT.parent / "shared" / "corpus"
GUIDE_DOCX = CORPUS / "moe-3-6-guide" / "3-6岁儿童学习与发展指南——教育部.docx"
STARTER_DIR = ROOT / "resources" / "library"
GUIDE = "guide"  # the source name of the 《指南》 in gold answers
GOLD_COVERAGE = 0.5
TOPICS = ("principle", "goal", "advice", "cps", "safety")

# A sentence ends after 。！？!? (with closing quotes, brackets or markdown emphasis) or at a line end.
_SENTENCE = re.compile(r"[^。！？!?\n]*(?:[。！？!?]+[”’」』）)\]\"*]*|\n|$)")
# List markers and an age-column label at the start of a sentence are not part of what it says.
_LEADING = re.compile(r"^(?:[·•\-*]+|\d+[.、]|[345]~[456]岁[:：]|(?:小|中|大)班[:：])+")
_AGE_LABEL = re.compile(r"^\s*([345]\s*[～~\-—–]\s*[456]\s*岁|小班|中班|大班)\s*[:：]")


class SetError(Exception):
    """The question set or a gold locator is broken: the bench must not print figures from it."""


@dataclass(frozen=True)
class Span:
    source: str  # GUIDE or a starter file name
    start: int  # offsets into that document's LoadedDocument.text
    end: int


@dataclass(frozen=True)
class Question:
    id: str
    text: str
    lang: str  # zh | en
    topic: str  # principle | goal | advice | cps | safety
    band: str  # the band the question is about (小班/中班/大班) or ""
    gold: tuple[Span, ...]
    half: str  # dev (fusion weights are chosen on it) | test

    @property
    def sources(self) -> set[str]:
        return {span.source for span in self.gold}


@dataclass(frozen=True)
class Sentence:
    start: int
    end: int
    band: str  # band of the age column whose line it is in, else ""
    key: str  # locator hash of its normalised text


def normalise(text: str) -> str:
    """What a locator hashes: NFKC, no whitespace, no leading list marker or age label."""
    text = re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))
    return _LEADING.sub("", text)


def sentence_key(text: str) -> str:
    return hashlib.sha1(normalise(text).encode("utf-8")).hexdigest()[:10]


def sentences(text: str) -> list[Sentence]:
    """Every sentence of a document's text with its offsets (whitespace trimmed)."""
    found: list[Sentence] = []
    band = ""
    for match in _SENTENCE.finditer(text):
        start, end = match.start(), match.end()
        if start == 0 or text[start - 1] == "\n":
            label = _AGE_LABEL.match(match.group())
            band = age_band_of(re.sub(r"\s", "", label.group(1))) if label else ""
        while start < end and text[start].isspace():
            start += 1
        while end > start and text[end - 1].isspace():
            end -= 1
        if end > start and normalise(text[start:end]):
            found.append(Sentence(start, end, band, sentence_key(text[start:end])))
    return found


@lru_cache(maxsize=4)
def load_guide(path: Path = GUIDE_DOCX) -> LoadedDocument:
    if not path.exists():
        raise SetError(f"the 《指南》 is not at {path} (../shared/corpus); the question set needs it")
    return loaders.load(path)


@lru_cache(maxsize=1)
def load_starter() -> dict[str, LoadedDocument]:
    return {path.name: loaders.load(path) for path in sorted(STARTER_DIR.glob("*.md"))}


def resolve_locator(document: LoadedDocument, locator: dict[str, object], *, where: str) -> Span:
    """The one sentence a locator names; SetError if it names none or several."""
    key = str(locator["key"])
    band = str(locator.get("band", ""))
    matches = [s for s in sentences(document.text) if s.key == key and (not band or s.band == band)]
    copy = int(locator.get("copy", 0))  # type: ignore[call-overload]
    if copy >= len(matches) or (len(matches) > 1 and "copy" not in locator):
        raise SetError(
            f"{where}: locator {key}{'/' + band if band else ''} resolves to {len(matches)} sentences of the "
            f"《指南》 (copy {copy}); the document changed or the locator is wrong"
        )
    sentence = matches[copy]
    return Span(GUIDE, sentence.start, sentence.end)


def resolve_text(document: LoadedDocument, source: str, snippet: str, *, where: str) -> Span:
    """The sentence(s) of a starter document that contain the snippet (whitespace ignored)."""
    wanted = re.sub(r"\s+", "", unicodedata.normalize("NFKC", snippet))
    text = unicodedata.normalize("NFKC", document.text)
    # Map offsets of the whitespace-free text back to the document's.
    kept = [position for position, char in enumerate(text) if not char.isspace()]
    squashed = "".join(text[position] for position in kept)
    found = squashed.find(wanted)
    if found < 0 or squashed.find(wanted, found + 1) >= 0:
        raise SetError(f"{where}: the gold text {snippet!r} is {'not' if found < 0 else 'more than once'} in {source}")
    start, end = kept[found], kept[found + len(wanted) - 1] + 1
    covering = [s for s in sentences(document.text) if s.start < end and s.end > start]
    return Span(source, min(s.start for s in covering), max(s.end for s in covering))


def load_questions(path: Path = QUESTIONS, *, guide: Path = GUIDE_DOCX) -> list[Question]:
    """Every question with its gold spans resolved; SetError on any broken entry."""
    documents: dict[str, LoadedDocument] = {GUIDE: load_guide(guide), **load_starter()}
    questions: list[Question] = []
    seen: set[str] = set()
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        entry = json.loads(line)
        where = f"{path.name}:{number} ({entry.get('id', '?')})"
        if entry["id"] in seen:
            raise SetError(f"{where}: duplicate id")
        seen.add(entry["id"])
        if entry["topic"] not in TOPICS or entry["lang"] not in ("zh", "en") or not entry["gold"]:
            raise SetError(f"{where}: topic, lang or gold missing or unknown")
        spans = []
        for gold in entry["gold"]:
            source = gold["doc"]
            if source not in documents:
                raise SetError(f"{where}: unknown document {source}")
            if source == GUIDE:
                spans.append(resolve_locator(documents[source], gold, where=where))
            else:
                spans.append(resolve_text(documents[source], source, gold["text"], where=where))
        questions.append(
            Question(
                id=entry["id"],
                text=entry["q"],
                lang=entry["lang"],
                topic=entry["topic"],
                band=entry.get("band", ""),
                gold=tuple(spans),
                half="dev" if len(questions) % 2 == 0 else "test",
            )
        )
    return questions


def answers(question: Question, source: str, start: int, end: int) -> bool:
    """Does a passage (a span of one document) cover at least half of one gold sentence?"""
    for gold in question.gold:
        if gold.source == source:
            overlap = min(end, gold.end) - max(start, gold.start)
            if overlap >= GOLD_COVERAGE * (gold.end - gold.start):
                return True
    return False


def locate(words: str, band: str = "") -> list[dict[str, object]]:
    """Locators of the 《指南》 sentences containing these words (for writing new questions)."""
    document = load_guide()
    wanted = normalise(words)
    everything = sentences(document.text)
    found = []
    for sentence in everything:
        if wanted in normalise(document.text[sentence.start : sentence.end]) and (not band or sentence.band == band):
            same = [s for s in everything if s.key == sentence.key and (not sentence.band or s.band == sentence.band)]
            locator: dict[str, object] = {"doc": GUIDE, "key": sentence.key}
            if sentence.band:
                locator["band"] = sentence.band
            if len(same) > 1:
                locator["copy"] = same.index(sentence)
            found.append(locator)
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("check", help="resolve every gold answer and print the set's make-up")
    finder = commands.add_parser("locate", help="print the locators of the 《指南》 sentences containing WORDS")
    finder.add_argument("words")
    finder.add_argument("--band", default="")
    args = parser.parse_args()
    if args.command == "locate":
        for locator in locate(args.words, args.band):
            print(json.dumps(locator, ensure_ascii=False))
        return 0
    questions = load_questions()
    print(f"{len(questions)} questions, every gold answer resolved")
    for label, values in (
        ("topic", [q.topic for q in questions]),
        ("lang", [q.lang for q in questions]),
        ("half", [q.half for q in questions]),
        (
            "gold in",
            [
                "《指南》" if q.sources == {GUIDE} else "starter" if GUIDE not in q.sources else "both"
                for q in questions
            ],
        ),
    ):
        counts = {value: values.count(value) for value in sorted(set(values))}
        print(f"  by {label}: {counts}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
