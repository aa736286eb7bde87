"""Hybrid retrieval: the searchable view of every active chunk, its dense and BM25 rankings, and
their fusion, in one place.

Dense search (vectors.py) matches sentence pieces, a chunk ranking by its best piece; BM25 ranks
each chunk's jieba tokens. Retriever.fuse combines the two rankings by weighted reciprocal rank
fusion, boosts the age band the request or the question names (query.analyse) and weighs the
《指南》 above other documents.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from lesson_studio.errors import InvalidInput, StudioError
from lesson_studio.library import keyword
from lesson_studio.library.catalogue import GUIDE_RESOURCE_TYPE
from lesson_studio.library.query import Query, analyse
from lesson_studio.library.vectors import Vectors
from lesson_studio.models import Citation, Hit
from lesson_studio.store import LibraryDocumentRecord, Store

log = logging.getLogger(__name__)

SEARCH_MODES = ("hybrid", "dense", "keyword")
CANDIDATES_PER_HIT = 5  # each ranking contributes k * this many candidates (at least MIN_CANDIDATES)
MIN_CANDIDATES = 50
VIEW_RECHECK_S = 1.0  # how stale this process's view of another process's changes may get
MAX_DENSE_OVERFETCH = 10  # a filtered dense query asks Chroma for at most this many times the depth
EXCERPT_CHARS = 120
GENERAL_TAGS = ("通用", "混龄", "")
BANDS = ("小班", "中班", "大班")

# Weighted reciprocal rank fusion: score = w_dense/(RRF_K + rank_dense) + w_kw/(RRF_K + rank_kw),
# then the age-band boost and the document-type prior. Every value below is the best setting on
# the dev half of 292 teachers' questions (bench/retrieval.py --tune tries 108; the test half is
# reported apart, README has the tables), not assumed. With dense search on sentence pieces the
# dense side became the stronger one: BM25 counts 0.75 of it, and K = 30 beat 10 and 60.
RRF_K = 30
DENSE_WEIGHT = 1.0
KEYWORD_WEIGHT = 0.75
# A passage for exactly the requested age band outranks one for every age; passages tagged
# with another band are filtered out (DESIGN.md: the wrong age column is the commonest error).
AGE_BAND_MATCH_BOOST = 0.10  # relative: score * (1 + boost)
# A band the question itself names ("中班孩子…") is a boost, not a filter: the answer may be a
# passage for every age. Doubling the score beat 0.3 and 0.5.
QUESTION_BAND_BOOST = 1.0
# Document-type priors: the 《指南》 is the norm every plan answers to, and teachers' questions
# about its goals and advice were pulled to method cards that share their everyday words.
RESOURCE_TYPE_PRIOR = {GUIDE_RESOURCE_TYPE: 1.5}
# Dense search asks Chroma for this many sentence pieces per wanted chunk (a chunk has ~5).
PIECES_PER_CHUNK = 4
MAX_DENSE_RESULTS = 1000


class SearchView:
    """The searchable state: every chunk of every active version, in arrays, plus its BM25 index."""

    def __init__(self, rows: list[Any], documents: list[LibraryDocumentRecord]) -> None:
        self.ids = [row.id for row in rows]
        self.position = {chunk_id: position for position, chunk_id in enumerate(self.ids)}
        self.rows = rows
        self.documents = {document.id: document for document in documents}
        document_ids = sorted(self.documents)
        document_index = {document_id: position for position, document_id in enumerate(document_ids)}
        self.enabled = np.array([self.documents[d].enabled for d in document_ids] or [False], dtype=bool)
        # A passage a lead disabled on its own (the rest of its document stays searchable).
        self.chunk_enabled = np.array([not getattr(row, "disabled", False) for row in rows], dtype=bool)
        self.doc_of = np.array([document_index.get(row.document_id, 0) for row in rows], dtype=np.int64)
        self.age_band = np.array([row.age_band or "" for row in rows], dtype=object)
        self.domain = np.array([row.domain or "" for row in rows], dtype=object)
        self.resource_type = np.array([row.resource_type or "" for row in rows], dtype=object)
        self.keyword = keyword.KeywordIndex([row.tokens.split() for row in rows])

    @property
    def size(self) -> int:
        return len(self.ids)

    def mask(
        self,
        age_band: str | None,
        domain: str | None,
        resource_types: list[str] | None,
        document_ids: list[str] | None,
    ) -> np.ndarray:
        mask = self.enabled[self.doc_of] & self.chunk_enabled if self.size else np.zeros(0, dtype=bool)
        if age_band in BANDS:
            # Another band's passage goes; one for every age (通用, 混龄, untagged) stays.
            mask &= np.isin(self.age_band, [age_band, *GENERAL_TAGS])
        if domain:
            mask &= np.isin(self.domain, [domain, *GENERAL_TAGS])
        if resource_types:
            mask &= np.isin(self.resource_type, list(resource_types))
        if document_ids:
            wanted = np.array([row.document_id in set(document_ids) for row in self.rows], dtype=bool)
            mask &= wanted
        return mask


@dataclass(frozen=True)
class RankedHit:
    """A hit as hit testing shows it: the fused score and where each side ranked the passage
    (1 = first; None = that side did not find it among its candidates)."""

    hit: Hit
    dense_rank: int | None
    keyword_rank: int | None

    @property
    def score(self) -> float:
        return self.hit.score


class Retriever:
    """Searches the active chunks: dense and BM25 rankings over one view, fused by rank."""

    def __init__(
        self,
        store: Store,
        vectors: Vectors,
        *,
        dense_weight: float | None = None,
        keyword_weight: float | None = None,
    ) -> None:
        self.store = store
        self.vectors = vectors
        # Ranking settings as attributes, so bench/retrieval.py --tune can try others on one library.
        self.dense_weight = DENSE_WEIGHT if dense_weight is None else dense_weight
        self.keyword_weight = KEYWORD_WEIGHT if keyword_weight is None else keyword_weight
        self.rrf_k = RRF_K
        self.question_band_boost = QUESTION_BAND_BOOST
        self.type_prior = dict(RESOURCE_TYPE_PRIOR)
        self._view: SearchView | None = None
        self._view_generation: tuple[object, ...] | None = None
        self._view_checked_at = 0.0
        self._view_lock = threading.Lock()

    def invalidate(self) -> None:
        """The library changed through this process: the next search rebuilds the view."""
        with self._view_lock:
            self._view_generation = None

    def view(self) -> SearchView:
        # Changes made through this Library invalidate the view at once; changes made by another
        # process (a CLI ingest beside the app) are noticed within VIEW_RECHECK_S. Asking the
        # registry on every search cost ~2 ms of a ~25 ms search (bench/retrieval.py profile).
        if (
            self._view is not None
            and self._view_generation is not None
            and time.monotonic() - self._view_checked_at < VIEW_RECHECK_S
        ):
            return self._view
        generation = self.store.library_generation()
        with self._view_lock:
            if self._view is None or generation != self._view_generation:
                self._view = SearchView(self.store.library_active_chunks(), self.store.library_documents())
                self._view_generation = generation
                self.vectors.kick()  # another process may have added documents that need vectors
            self._view_checked_at = time.monotonic()
            return self._view

    def search(
        self,
        query: str,
        *,
        k: int,
        age_band: str | None,
        domain: str | None,
        resource_types: list[str] | None,
        document_ids: list[str] | None,
        mode: str,
    ) -> list[RankedHit]:
        """The k best passages for a question, with where each side ranked them (Library.search)."""
        query = query.strip()
        if not query:
            raise InvalidInput("请输入要检索的内容 / Enter something to search for")
        if mode not in SEARCH_MODES:
            raise InvalidInput(f"未知的检索方式：{mode} / Unknown search mode: {mode} (hybrid, dense or keyword)")
        view = self.view()
        if k < 1 or view.size == 0:
            return []
        mask = view.mask(age_band, domain, resource_types, document_ids)
        if not mask.any():
            return []
        asked = analyse(query)
        depth = max(MIN_CANDIDATES, k * CANDIDATES_PER_HIT)
        dense: list[tuple[int, float]] = []
        if mode == "dense":
            dense = self.dense_ranking(view, asked, mask, depth)
        elif mode == "hybrid":
            try:
                dense = self.dense_ranking(view, asked, mask, depth)
            except StudioError as error:
                # An embeddings endpoint that is down must not take keyword search with it.
                log.warning("dense search failed, keyword results only: %s", error)
        sparse = self.keyword_ranking(view, asked, mask, depth) if mode != "dense" else []
        if mode == "dense":
            scored = dense
        elif mode == "keyword":
            scored = sparse
        else:
            scored = self.fuse(view, dense, sparse, age_band, asked.band)
        scored.sort(key=lambda item: item[1], reverse=True)
        dense_rank = {position: rank for rank, (position, _) in enumerate(dense, start=1)}
        keyword_rank = {position: rank for rank, (position, _) in enumerate(sparse, start=1)}
        return [
            RankedHit(_hit(view, position, score), dense_rank.get(position), keyword_rank.get(position))
            for position, score in scored[:k]
        ]

    def dense_ranking(self, view: SearchView, asked: Query, mask: np.ndarray, depth: int) -> list[tuple[int, float]]:
        """Chunks by their best sentence piece's similarity to the question."""
        # Boost and filter after the query: Chroma's metadata filters cost 15-40x an unfiltered
        # query (DESIGN.md). Filtering drops candidates, so ask for as many more as the filter
        # drops (up to MAX_DENSE_OVERFETCH times): a filter keeping a quarter asks for 4x.
        kept = float(mask.mean()) if mask.size else 1.0
        wanted = int(np.ceil(depth / max(kept, 1 / MAX_DENSE_OVERFETCH)))
        pieces = self.vectors.nearest_pieces(
            asked.search_text, max(1, min(wanted * PIECES_PER_CHUNK, MAX_DENSE_RESULTS))
        )
        ranking, seen = [], set()
        for chunk_id, similarity in pieces:
            # Pieces come best first: a chunk's first piece is its best.
            position = view.position.get(chunk_id)
            if position is not None and position not in seen and mask[position]:  # retired/removed: skipped
                seen.add(position)
                ranking.append((position, similarity))
        return ranking[:depth]

    def keyword_ranking(self, view: SearchView, asked: Query, mask: np.ndarray, depth: int) -> list[tuple[int, float]]:
        scores = view.keyword.scores(asked.tokens)
        scores = np.where(mask, scores, 0.0)
        depth = min(depth, int(np.count_nonzero(scores)))
        if depth == 0:
            return []
        top = np.argpartition(-scores, depth - 1)[:depth]
        top = top[np.argsort(-scores[top], kind="stable")]
        return [(int(position), float(scores[position])) for position in top]

    def fuse(
        self,
        view: SearchView,
        dense: list[tuple[int, float]],
        sparse: list[tuple[int, float]],
        age_band: str | None,
        question_band: str,
    ) -> list[tuple[int, float]]:
        """Weighted reciprocal rank fusion, then the age band and document-type weights."""
        fused: dict[int, float] = {}
        for weight, ranking in ((self.dense_weight, dense), (self.keyword_weight, sparse)):
            for rank, (position, _) in enumerate(ranking, start=1):
                fused[position] = fused.get(position, 0.0) + weight / (self.rrf_k + rank)
        if age_band in BANDS:
            band, boost = age_band, AGE_BAND_MATCH_BOOST
        else:
            band, boost = question_band, self.question_band_boost
        scored = []
        for position, score in fused.items():
            if band and view.age_band[position] == band:
                score *= 1 + boost
            scored.append((position, score * self.type_prior.get(view.resource_type[position], 1.0)))
        return scored


def _hit(view: SearchView, position: int, score: float) -> Hit:
    row = view.rows[position]
    text = row.text
    excerpt = text if len(text) <= EXCERPT_CHARS else text[: EXCERPT_CHARS - 1] + "…"
    document = view.documents.get(row.document_id)
    citation = Citation(
        chunk_id=row.id,
        document_id=row.document_id,
        document_title=document.title if document else "",
        heading=row.heading,
        page=row.page,
        excerpt=excerpt,
        score=score,
    )
    return Hit(chunk_id=row.id, text=text, score=score, citation=citation)
