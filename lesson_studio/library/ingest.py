"""Adding documents: checks.inspect_file -> sandbox.parse_file (loaders, in a child process) ->
chunker.split -> keyword tokens -> store (pending -> active in one transaction).

One bad file never stops a batch: it lands in IngestReport.skipped with a reason the curriculum
lead can act on, and changes nothing. Dense vectors come later (vectors.py); keyword search
finds a document as soon as its version is active.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from lesson_studio.errors import InvalidInput, LibraryError, StudioError
from lesson_studio.library import checks, chunker, keyword, sandbox
from lesson_studio.library.catalogue import GUIDE_RESOURCE_TYPE, parse_catalogue
from lesson_studio.library.config import LibraryConfig
from lesson_studio.library.loaders import LoadedDocument
from lesson_studio.library.tags import check_tags
from lesson_studio.library.vectors import embedding_text
from lesson_studio.models import User
from lesson_studio.store import LibraryDocumentRecord, Store

# CurationMixin._retag: apply tags to one document; False when they were already its tags.
Retag = Callable[[User, str, dict[str, str]], bool]


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


def document_id_for(sha256: str) -> str:
    return sha256[:16]


def doc_info(record: LibraryDocumentRecord) -> DocInfo:
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


def ingest_files(
    store: Store,
    config: LibraryConfig,
    user: User,
    paths: Iterable[Path],
    tags: dict[str, str],
    *,
    retag: Retag,
    on_file: Callable[[Path], None] | None = None,
    on_stage: Callable[[Path, str], None] | None = None,
) -> IngestReport:
    """Add files (the caller has checked the user and the tags); see Library.ingest."""
    report = IngestReport()
    for path in paths:
        path = Path(path)
        if on_file:
            on_file(path)
        try:
            _ingest_file(store, config, user, path, dict(tags or {}), report, retag, on_stage)
        except StudioError as error:
            report.skipped.append(Skipped(path, str(error)))
    return report


def ingest_loaded(
    store: Store, config: LibraryConfig, user: User, document: LoadedDocument, source_name: str, tags: dict[str, str]
) -> IngestReport:
    """Add text the app already holds (the caller has checked the user and the tags); see
    Library.ingest_document."""
    report = IngestReport()
    sha256 = hashlib.sha256(json.dumps(document.to_json(), ensure_ascii=False).encode("utf-8")).hexdigest()
    try:
        known = store.library_find_sha256(sha256)
        if known is not None and known.status == "active":
            report.unchanged.append(_info(store, known.document_id))
        else:
            _add_document(store, config, user, document, source_name, sha256, dict(tags or {}), report)
    except StudioError as error:
        report.skipped.append(Skipped(Path(source_name), str(error)))
    return report


def _ingest_file(
    store: Store,
    config: LibraryConfig,
    user: User,
    path: Path,
    tags: dict[str, str],
    report: IngestReport,
    retag: Retag,
    on_stage: Callable[[Path, str], None] | None = None,
) -> None:
    def stage(name: str) -> None:
        if on_stage:
            on_stage(path, name)

    stage("check")
    kind = checks.inspect_file(path, max_bytes=int(config.max_file_mb * 1024 * 1024))
    sha256 = hashlib.sha256(path.read_bytes()).hexdigest()
    known = store.library_find_sha256(sha256)
    if known is not None:
        if known.status != "active":  # an earlier version of a document uploaded again: restore it
            store.library_rollback(user, known.document_id, known.number)
        # Tags given with known content are what the lead wants now: before, they were dropped
        # and the upload reported "unchanged" with the old tags.
        retagged = bool(tags) and retag(user, known.document_id, tags)
        if known.status != "active":
            report.updated.append(_info(store, known.document_id))
        elif retagged:
            report.retagged.append(_info(store, known.document_id))
        else:
            report.unchanged.append(_info(store, known.document_id))
        return
    stage("parse")
    document = sandbox.parse_file(path, kind, timeout_s=config.parse_timeout_s, memory_mb=config.parse_memory_mb)
    stage("index")
    _add_document(store, config, user, document, path.name, sha256, tags, report)
    report.warnings.extend(FileWarning(path, message) for message in document.warnings)


def _add_document(
    store: Store,
    config: LibraryConfig,
    user: User,
    document: LoadedDocument,
    source_name: str,
    sha256: str,
    tags: dict[str, str],
    report: IngestReport,
) -> None:
    path = Path(source_name)
    document_id = store.library_find_by_source(path.name) or document_id_for(sha256)
    previous = store.library_documents(document_id)
    is_update = bool(previous)
    # A new version keeps the document's tags; tags written in the file override them, and
    # tags given at upload override both.
    inherited = previous[0].tags if previous else {}
    from_file = check_tags(document.metadata, source=path.name)  # before anything is written
    doc_tags = {key: value for key, value in {**inherited, **from_file, **tags}.items() if key and value}
    version = store.library_begin_version(
        user,
        document_id=document_id,
        title=document.title,
        source_name=path.name,
        sha256=sha256,
        tags_json=json.dumps(doc_tags, ensure_ascii=False, sort_keys=True),
    )
    try:
        chunks = chunker.split(
            document, document_id, version=version.number, max_chars=config.chunk_chars, tags=doc_tags
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
        rows = [chunk_row(chunk) for chunk in chunks]
        store.library_activate_version(user, version.id, rows, chars=len(document.text), catalogue_json=catalogue_json)
    except Exception as error:
        store.library_fail_version(version.id, str(error))
        if isinstance(error, StudioError):
            raise
        raise LibraryError(
            f"写入资料库失败：{path.name}（{type(error).__name__}）/ Could not add {path.name} to the library: {error}"
        ) from error
    (report.updated if is_update else report.added).append(_info(store, document_id))


def chunk_row(chunk: chunker.Chunk) -> dict[str, object]:
    """A chunk as the store's row, with the keyword tokens search matches on."""
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
        "tokens": " ".join(keyword.tokenize(embedding_text(chunk.heading, chunk.text))),
    }


def _info(store: Store, document_id: str) -> DocInfo:
    (record,) = store.library_documents(document_id)
    return doc_info(record)
