"""The course library: ingest files into Chroma, search them, list and remove documents.

Pipeline (one component per module): loaders.load -> chunker.split -> embedding function ->
Chroma collection (writer) -> Library.search (retriever) -> Hits with citations.
Document-level facts (title, source file, sha256, tags) ride along in every chunk's metadata
for now; store.py takes them over when documents get versions and approvals.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import chromadb
from chromadb.api import ClientAPI
from chromadb.api.models.Collection import Collection
from chromadb.api.types import EmbeddingFunction
from chromadb.config import Settings as ChromaSettings

from lesson_studio.config import RESOURCES_DIR, Settings
from lesson_studio.errors import InvalidInput, LibraryError, NotFound
from lesson_studio.library import chunker, loaders
from lesson_studio.library.embeddings import E5EmbeddingFunction
from lesson_studio.models import Citation, Hit, User

COLLECTION_NAME = "library"
STARTER_LIBRARY_DIR = RESOURCES_DIR / "library"
DOCUMENT_VERSION = 1
EMBED_BATCH_SIZE = 32  # chunks per embed+write step; small enough that searches interleave
CANDIDATES_PER_HIT = 3  # search fetches k * this many, then re-ranks
EXCERPT_CHARS = 120

# Re-ranking boosts, added to cosine similarity. e5 similarities sit in a narrow band
# (paraphrase 0.89-0.94, unrelated 0.77-0.84), so a few hundredths decide between the right
# goal in the right age column and the same goal in the wrong one. First guesses, not yet
# measured (bench/ should tune them): the age band is the strongest signal.
AGE_BAND_MATCH_BOOST = 0.03
AGE_BAND_GENERAL_BOOST = 0.015  # passages for every age ("通用") or without a band
DOMAIN_MATCH_BOOST = 0.01
GENERAL_TAG = "通用"

# Tags a curriculum lead sets that are also flat chunk metadata, so search can read them.
FLAT_TAG_KEYS: tuple[str, ...] = ("resource_type", "age_band", "domain", "cps_stage")


@dataclass(frozen=True)
class DocInfo:
    document_id: str
    title: str
    source_name: str
    sha256: str
    chunks: int
    tags: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Skipped:
    path: Path
    reason: str  # Chinese / English, for the curriculum lead to act on


@dataclass
class IngestReport:
    added: list[DocInfo] = field(default_factory=list)
    unchanged: list[DocInfo] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)


def document_id_for(sha256: str) -> str:
    return sha256[:16]


class Library:
    """The shared course library, over an embedded Chroma or a Chroma server."""

    def __init__(self, settings: Settings, embedding_function: EmbeddingFunction[Any] | None = None) -> None:
        self.settings = settings
        self.embedding_function = embedding_function or E5EmbeddingFunction()
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

    # --- writing ------------------------------------------------------------------------------

    def ingest(self, user: User, paths: list[Path], tags: dict[str, str] | None = None) -> IngestReport:
        """Add files to the library; a file that fails is reported in skipped, the rest land."""
        # user: authorization (leads and admins change the library) arrives in a later issue.
        report = IngestReport()
        known = {info.sha256: info for info in self.list_documents(user)}
        for path in paths:
            path = Path(path)
            try:
                raw = path.read_bytes()
            except OSError as error:
                report.skipped.append(
                    Skipped(path, f"无法读取文件：{path.name} / Cannot read file: {path.name} ({error.strerror})")
                )
                continue
            sha256 = hashlib.sha256(raw).hexdigest()
            if sha256 in known:
                report.unchanged.append(known[sha256])
                continue
            try:
                info = self._ingest_one(path, sha256, tags or {})
            except (InvalidInput, LibraryError) as error:
                report.skipped.append(Skipped(path, str(error)))
                continue
            known[sha256] = info
            report.added.append(info)
        return report

    def ensure_starter_library(self, user: User) -> IngestReport:
        """Ingest the starter files shipped in resources/library that are not in yet (idempotent)."""
        # user: authorization arrives in a later issue.
        if not self.settings.starter_library or not STARTER_LIBRARY_DIR.is_dir():
            return IngestReport()
        files = sorted(
            path
            for path in STARTER_LIBRARY_DIR.rglob("*")
            if path.is_file() and path.suffix.lower() in loaders.SUPPORTED_SUFFIXES and not path.name.startswith(".")
        )
        # ingest() hashes each file and skips known content before loading or embedding it,
        # so a second call reads the files and makes one metadata query, nothing more.
        return self.ingest(user, files)

    def remove(self, user: User, document_id: str) -> None:
        """Delete a document and all its chunks."""
        # user: authorization arrives in a later issue.
        found = self._collection.get(where={"document_id": document_id}, limit=1, include=[])
        if not found["ids"]:
            raise NotFound(f"资料库中没有该文档：{document_id} / No such library document: {document_id}")
        self._collection.delete(where={"document_id": document_id})

    # --- reading ------------------------------------------------------------------------------

    def list_documents(self, user: User) -> list[DocInfo]:
        """One DocInfo per document, by title."""
        # user: authorization arrives in a later issue.
        # Every chunk carries the document's facts; the first chunk stands for the document.
        result = self._collection.get(where={"index": 0}, include=["metadatas"])
        infos = [_doc_info(metadata) for metadata in result["metadatas"] or []]
        return sorted(infos, key=lambda info: (info.title, info.document_id))

    def search(
        self,
        user: User,
        query: str,
        *,
        k: int = 4,
        age_band: str | None = None,
        domain: str | None = None,
    ) -> list[Hit]:
        """Dense retrieval, re-ranked so the request's age band (then domain) wins close calls."""
        # user: authorization arrives in a later issue.
        query = query.strip()
        if not query:
            raise InvalidInput("请输入要检索的内容 / Enter something to search for")
        if k < 1:
            return []
        total = self._collection.count()
        if total == 0:
            return []
        # Boost rather than filter: Chroma metadata filters cost 15-40x an unfiltered query, and
        # a filter would hide passages for every age ("通用") or without a band.
        query_embeddings = self.embedding_function.embed_query([query])
        result = self._collection.query(
            query_embeddings=query_embeddings,
            n_results=min(k * CANDIDATES_PER_HIT, total),
            include=["documents", "metadatas", "distances"],
        )
        ids = result["ids"][0]
        documents = (result["documents"] or [[]])[0]
        metadatas = (result["metadatas"] or [[]])[0]
        distances = (result["distances"] or [[]])[0]
        ranked = sorted(
            (
                (_boosted(1.0 - distance, metadata, age_band, domain), chunk_id, text, metadata)
                for chunk_id, text, metadata, distance in zip(ids, documents, metadatas, distances, strict=True)
            ),
            key=lambda item: item[0],
            reverse=True,
        )
        return [_hit(score, chunk_id, text or "", metadata) for score, chunk_id, text, metadata in ranked[:k]]

    # --- internals ----------------------------------------------------------------------------

    def _ingest_one(self, path: Path, sha256: str, tags: dict[str, str]) -> DocInfo:
        document = loaders.load(path)
        document_id = document_id_for(sha256)
        chunks = chunker.split(document, document_id, version=DOCUMENT_VERSION)
        if not chunks:
            raise InvalidInput(f"文件中没有可用的文字：{path.name} / No usable text in file: {path.name}")
        # Tags given at upload override the ones written in the file.
        doc_tags = {key: value for key, value in {**document.metadata, **tags}.items() if key and value}
        info = DocInfo(document_id, document.title, path.name, sha256, len(chunks), doc_tags)
        try:
            for start in range(0, len(chunks), EMBED_BATCH_SIZE):
                batch = chunks[start : start + EMBED_BATCH_SIZE]
                embeddings = self.embedding_function([_embedding_text(chunk) for chunk in batch])
                self._collection.add(
                    ids=[chunk.id for chunk in batch],
                    embeddings=embeddings,
                    documents=[chunk.text for chunk in batch],
                    metadatas=[_chunk_metadata(chunk, info) for chunk in batch],
                )
        except Exception as error:
            # An upload lands whole or not at all: take back the batches already written.
            self._delete_quietly(document_id)
            raise LibraryError(
                f"写入资料库失败：{path.name}（{type(error).__name__}）/ Could not add {path.name} to the library: {error}"
            ) from error
        return info

    def _delete_quietly(self, document_id: str) -> None:
        try:
            self._collection.delete(where={"document_id": document_id})
        except Exception:  # noqa: BLE001, S110  the write already failed; that error is the one to report
            pass


def _chroma_client(settings: Settings) -> ClientAPI:
    chroma_settings = ChromaSettings(anonymized_telemetry=False)
    if settings.chroma_host:
        try:
            return chromadb.HttpClient(host=settings.chroma_host, port=settings.chroma_port, settings=chroma_settings)
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


def _embedding_text(chunk: chunker.Chunk) -> str:
    # The heading path says what a passage is about ("健康 > 目标2 情绪安定愉快"), which the
    # passage itself often leaves implicit; it is embedded with the text but not stored in it.
    return f"{chunk.heading}\n{chunk.text}" if chunk.heading else chunk.text


def _chunk_metadata(chunk: chunker.Chunk, info: DocInfo) -> dict[str, str | int]:
    metadata: dict[str, str | int] = {
        **chunk.metadata(),
        "title": info.title,
        "source_name": info.source_name,
        "sha256": info.sha256,
        "chunks": info.chunks,
        "tags_json": json.dumps(info.tags, ensure_ascii=False, sort_keys=True),
    }
    for key in FLAT_TAG_KEYS:
        if info.tags.get(key):
            metadata[key] = info.tags[key]
    if chunk.age_band:  # the passage names its band: more precise than the document's tag
        metadata["age_band"] = chunk.age_band
    return metadata


def _doc_info(metadata: Any) -> DocInfo:
    return DocInfo(
        document_id=str(metadata["document_id"]),
        title=str(metadata.get("title", "")),
        source_name=str(metadata.get("source_name", "")),
        sha256=str(metadata.get("sha256", "")),
        chunks=int(metadata.get("chunks", 0)),
        tags=json.loads(str(metadata.get("tags_json") or "{}")),
    )


def _boosted(similarity: float, metadata: Any, age_band: str | None, domain: str | None) -> float:
    score = similarity
    if age_band:
        chunk_band = str(metadata.get("age_band", "") or "")
        if chunk_band == age_band:
            score += AGE_BAND_MATCH_BOOST
        elif chunk_band in ("", GENERAL_TAG):
            score += AGE_BAND_GENERAL_BOOST
    if domain and str(metadata.get("domain", "")) in (domain, GENERAL_TAG):
        score += DOMAIN_MATCH_BOOST
    return score


def _hit(score: float, chunk_id: str, text: str, metadata: Any) -> Hit:
    excerpt = text if len(text) <= EXCERPT_CHARS else text[: EXCERPT_CHARS - 1] + "…"
    page = metadata.get("page")
    citation = Citation(
        chunk_id=chunk_id,
        document_id=str(metadata["document_id"]),
        document_title=str(metadata.get("title", "")),
        heading=str(metadata.get("heading", "")),
        page=int(page) if page is not None else None,
        excerpt=excerpt,
        score=score,
    )
    return Hit(chunk_id=chunk_id, text=text, score=score, citation=citation)
