"""The course library: ingest files, search them, list, disable, version and remove documents.

Library is the one door the app and the CLI use: it checks the acting user and hands the work
to three modules:
- ingest.py: checks.inspect_file -> sandbox.parse_file (loaders, in a child process) ->
  chunker.split -> keyword tokens -> store (pending -> active in one transaction); keyword
  search finds a document at once.
- vectors.py: a background worker embeds the new chunks' sentence pieces into Chroma (dense
  search); Chroma holds only the vectors of active versions.
- retriever.py: dense and BM25 rankings fused by weighted reciprocal rank, with the age band
  the request or the question names boosted and the 《指南》 weighed above other documents.
The registry (documents, versions, chunks, tokens) lives in store.py.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any, Literal, overload

from chromadb.api.types import EmbeddingFunction

from lesson_studio.config import RESOURCES_DIR, Settings
from lesson_studio.errors import NotAllowed, NotFound
from lesson_studio.library import checks, keyword
from lesson_studio.library.catalogue import Catalogue
from lesson_studio.library.config import LibraryConfig
from lesson_studio.library.curation import CurationMixin
from lesson_studio.library.embeddings import make_embedding_function
from lesson_studio.library.ingest import (
    DocInfo,
    FileWarning,
    IngestReport,
    Skipped,
    doc_info,
    ingest_files,
    ingest_loaded,
)
from lesson_studio.library.loaders import LoadedDocument
from lesson_studio.library.retriever import BANDS, RankedHit, Retriever
from lesson_studio.library.tags import check_tags
from lesson_studio.library.vectors import DocumentProgress, EmbeddingProgress, Vectors
from lesson_studio.models import Citation, Hit, User
from lesson_studio.store import Store

# The facade's own names, and the types its methods return (defined where they are made).
__all__ = [
    "LESSON_RESOURCE_TYPES",
    "STARTER_LIBRARY_DIR",
    "DocInfo",
    "DocumentProgress",
    "EmbeddingProgress",
    "FileWarning",
    "IngestReport",
    "Library",
    "RankedHit",
    "Skipped",
    "VersionInfo",
]

STARTER_LIBRARY_DIR = RESOURCES_DIR / "library"
# Documents a teacher can adapt into a new plan (their resource_type tag).
LESSON_RESOURCE_TYPES = ("活动案例", "教案", "精品教案")  # 精品教案: a teacher's plan a lead approved into the library


@dataclass(frozen=True)
class VersionInfo:
    number: int
    status: str  # pending | active | failed | retired
    sha256: str
    chunks: int
    error: str
    created_at: Any
    uploaded_by: str = ""  # the display name of who uploaded it


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
        self.vectors = Vectors(settings, self.store, self.embedding_function, background=background)
        self.retriever = Retriever(
            self.store,
            self.vectors,
            dense_weight=self.config.dense_weight,
            keyword_weight=self.config.keyword_weight,
        )
        # Start-up: an ingest cut off by a crash is failed and its rows removed; vectors of
        # versions that are no longer active are dropped; unfinished dense work resumes.
        # An ingest takes at most the parse time limit plus seconds of writing; one pending far longer
        # than that was cut off, while a younger one may be another process's ingest in progress.
        self.store.library_cleanup_interrupted(
            older_than=timedelta(seconds=max(600.0, 2 * self.config.parse_timeout_s))
        )
        self.vectors.kick()
        if self.background:
            # jieba's dictionary and bm25s take ~1.3 s to load; loading them now, beside whatever
            # the app does first, keeps that out of the first upload's "keyword-searchable" time.
            threading.Thread(target=keyword.warm_up, name="library-jieba", daemon=True).start()

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
        report = ingest_files(
            self.store, self.config, user, paths, tags, retag=self._retag, on_file=on_file, on_stage=on_stage
        )
        if report.retagged and not (report.added or report.updated):
            self._invalidate()  # tags are what search filters on; no new chunks need vectors
        self._new_chunks_landed(report)
        return report

    def ingest_document(
        self, user: User, document: LoadedDocument, source_name: str, tags: dict[str, str] | None = None
    ) -> IngestReport:
        """Add text the app already holds (an approved lesson plan, a benchmark corpus): no file checks."""
        _require_curator(user, "导入资料", "add documents")
        tags = check_tags(tags or {})
        report = ingest_loaded(self.store, self.config, user, document, source_name, tags)
        self._new_chunks_landed(report)
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
        self.vectors.remove_document(document_id)
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
        self._embed_new_chunks()

    # --- reading ------------------------------------------------------------------------------

    def list_documents(self, user: User, *, include_disabled: bool = True) -> list[DocInfo]:
        """One DocInfo per document with an active version, by title."""
        _require_user(user)
        return [doc_info(record) for record in self.store.library_documents() if include_disabled or record.enabled]

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
        return self.vectors.progress()

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
                self.vectors.kick()  # work another process left, or work queued after the worker stopped
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
        ranked = self.retriever.search(
            query,
            k=k,
            age_band=age_band,
            domain=domain,
            resource_types=resource_types,
            document_ids=document_ids,
            mode=mode,
        )
        return ranked if with_ranks else [ranked_hit.hit for ranked_hit in ranked]

    def similarity(self, user: User, text: str, chunk_ids: list[str]) -> dict[str, float]:
        """Cosine similarity of a text (embedded as a question) to each chunk's best sentence piece;
        chunks without vectors yet are left out. How close a sample plan's problem is to a request."""
        _require_user(user)
        view = self.retriever.view()
        wanted = [chunk_id for chunk_id in chunk_ids if chunk_id in view.position]
        if not wanted or not text.strip():
            return {}
        return self.vectors.similarity(
            text, [(chunk_id, view.rows[view.position[chunk_id]].text) for chunk_id in wanted]
        )

    # --- dense vectors (background) -------------------------------------------------------------

    def embed_pending(self, *, max_batches: int | None = None) -> int:
        """Embed chunks that have no vector yet (what the worker runs); returns how many were embedded."""
        return self.vectors.embed_pending(max_batches=max_batches)

    def close(self) -> None:
        """Stop the background worker after its current batch."""
        self.vectors.close()

    # --- internals ----------------------------------------------------------------------------

    def _invalidate(self) -> None:
        self.retriever.invalidate()

    def _new_chunks_landed(self, report: IngestReport) -> None:
        if report.added or report.updated:
            self._invalidate()
            self._embed_new_chunks()

    def _embed_new_chunks(self) -> None:
        # In the background the worker embeds them; without it (tests, tools) they are embedded
        # before the call returns.
        if self.background:
            self.vectors.kick()
        else:
            self.vectors.embed_pending()


def _require_user(user: User | None) -> None:
    if user is None:
        raise NotAllowed("请先登录 / Sign in first")


def _require_curator(user: User | None, action_zh: str, action_en: str) -> None:
    _require_user(user)
    assert user is not None
    if user.role not in ("lead", "admin"):
        raise NotAllowed(f"只有教研组长或管理员可以{action_zh} / Only curriculum leads and admins can {action_en}")
