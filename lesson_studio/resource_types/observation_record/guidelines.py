"""The analysis linked to the 《指南》 by code (the ResourceType's `align` hook): 1–2 typical-
performance lines of the record's own age band (混龄: any band), verbatim from the catalogue a lead
imported, each cited — or a sentence saying why there is none. The model never writes them: a small
model paraphrases the 《指南》 and mixes bands (authoring/alignment.py, whose vocabulary this reuses).

Unlike a lesson plan, an observation has no domain: what a child did in the 建构区 may be 科学,
社会 or 语言, so every domain's lines of the band are candidates. They are ranked by the two-character
pieces they share with what the record says, each piece weighted by how rare it is in the catalogue:
on the real 《指南》 a plain count put a 语言 line about speaking softly or loudly to suit the place
second for a child building a bridge (it shares 能根、根据、自己, which dozens of lines have). A line needs two shared pieces, and a
second line is cited only when it scores at least half what the first does.
"""

from __future__ import annotations

import math
from collections import Counter

from lesson_studio.authoring.alignment import BANDS, MAX_LINES, _bigrams
from lesson_studio.authoring.english import is_english
from lesson_studio.library.catalogue import Catalogue, Expectation
from lesson_studio.models import Citation
from lesson_studio.resource_types.observation_record import english
from lesson_studio.resource_types.observation_record.schema import GuidelineLine, ObservationRecord

MIN_SHARED = 2  # one shared piece (老师, 喜欢) is a coincidence, not a link
SECOND_LINE_SHARE = 0.5

NO_CATALOGUE = (
    "资源库里还没有导入《指南》，分析没有对照具体条目（系统不编写条目）；教研组长导入《指南》后重新生成即可引用原文。"
    " / No 《指南》 is imported, so the analysis quotes none (none is made up); regenerate once a curriculum lead imports it."
)


def no_match_note(age_band: str) -> str:
    return (
        f"《指南》中没有找到与这次记录相符的{age_band}条目，分析没有引用条目。"
        f" / No {age_band} line of the 《指南》 matched this record; none is quoted."
    )


def record_words(record: ObservationRecord) -> set[str]:
    return _bigrams(" ".join([record.objective_record, record.analysis, record.purpose, *record.support_strategies]))


def choose_record_lines(
    record: ObservationRecord, catalogue: Catalogue, *, limit: int = MAX_LINES
) -> list[Expectation]:
    bands = BANDS if record.age_band == "混龄" else (record.age_band,) if record.age_band in BANDS else ()
    words = record_words(record)
    every = catalogue.expectations()
    lines_with = Counter(piece for item in every for piece in _bigrams(item.text))
    scored = []
    for item in (item for band in bands for item in catalogue.expectations(age_band=band)):
        shared = words & _bigrams(item.text)
        if len(shared) >= MIN_SHARED:
            scored.append((sum(math.log(len(every) / lines_with[piece]) for piece in shared), item))
    scored.sort(key=lambda pair: pair[0], reverse=True)
    return [item for score, item in scored[:limit] if score >= scored[0][0] * SECOND_LINE_SHARE]


def align_record(record: ObservationRecord, catalogue: Catalogue | None) -> ObservationRecord:
    """The record with its 《指南》 lines and their citations, or the note saying why there are none."""
    in_english = is_english(record.language)
    if catalogue is None:
        note = english.NO_CATALOGUE if in_english else NO_CATALOGUE
        return record.model_copy(update={"guideline_lines": [], "guideline_note": note})
    if in_english:  # the catalogue's lines are Chinese: two-character pieces never match English words
        return record.model_copy(update={"guideline_lines": [], "guideline_note": english.NOT_MATCHED_IN_ENGLISH})
    chosen = choose_record_lines(record, catalogue)
    kept = [citation for citation in record.citations if citation.document_id != catalogue.document_id]
    citations = kept + [
        Citation(
            number=len(kept) + number,
            chunk_id=item.chunk_ids[0] if item.chunk_ids else f"{catalogue.document_id}:{catalogue.version}:0",
            document_id=catalogue.document_id,
            document_title=catalogue.title,
            heading=item.reference,
            excerpt=item.text,
        )
        for number, item in enumerate(chosen, start=1)
    ]
    return record.model_copy(
        update={
            "guideline_lines": [
                GuidelineLine(reference=item.reference, age_band=item.age_band, text=item.text) for item in chosen
            ],
            "guideline_note": "" if chosen else no_match_note(record.age_band),
            "citations": citations,
        }
    )
