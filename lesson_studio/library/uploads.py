"""Uploads from the 资源库管理 page: several files with the batch's tags, ingested one after another
in a background thread, each file's step (check -> parse -> keyword-searchable -> dense vectors)
written to the store, so the page never waits, and a reload or another lead sees the same progress.

A batch is keyed by the page's idempotency key: a double click or a Streamlit rerun that submits
the same files again returns the batch already made and ingests nothing twice.
"""

from __future__ import annotations

import hashlib
import logging
import shutil
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from lesson_studio import access
from lesson_studio.errors import InvalidInput, NotFound
from lesson_studio.library.tags import check_tags
from lesson_studio.models import User
from lesson_studio.store.curation import UPLOAD_WORKING_STATES, UploadItemRecord

if TYPE_CHECKING:
    from lesson_studio.library.index import Library

log = logging.getLogger(__name__)

# The library's ingest steps, as the upload item states the page shows.
STATE_OF_STAGE = {"check": "checking", "parse": "parsing", "index": "indexing"}
# Where a file is on its way, for the progress bar: four steps, the last one filled by vectors.
STEP_OF_STATE = {"queued": 0, "checking": 0, "parsing": 1, "indexing": 2, "embedding": 3}
FINAL_STATES = ("done", "unchanged", "retagged", "refused")


@dataclass(frozen=True)
class UploadItem:
    """One file of a batch. state: queued | checking | parsing | indexing | embedding (keyword search
    finds it; dense vectors are being built) | done | unchanged | retagged | refused."""

    file_name: str
    state: str
    message: str  # the refusal or warning, naming the file, in words a lead can act on
    document_id: str | None
    chunks: int
    embedded_chunks: int

    @property
    def finished(self) -> bool:
        return self.state in FINAL_STATES

    @property
    def landed(self) -> bool:
        """Past writing: in the library (keyword-searchable), or refused, or nothing to write."""
        return self.state not in UPLOAD_WORKING_STATES

    @property
    def fraction(self) -> float:
        """How far along the four steps the file is (1.0 for a final state)."""
        if self.finished:
            return 1.0
        step = STEP_OF_STATE.get(self.state, 0)
        within = self.embedded_chunks / self.chunks if self.state == "embedding" and self.chunks else 0.0
        return (step + within) / 4


@dataclass(frozen=True)
class UploadBatch:
    id: int
    tags: dict[str, str]
    created_by: str
    created_at: datetime
    items: list[UploadItem]

    @property
    def running(self) -> bool:
        return any(not item.finished for item in self.items)

    @property
    def refused(self) -> list[UploadItem]:
        return [item for item in self.items if item.state == "refused"]


class Uploads:
    def __init__(self, library: Library) -> None:
        self.library = library
        self.store = library.store
        self.folder = library.settings.data_dir / "uploads"
        self._running: set[int] = set()
        self._lock = threading.Lock()
        # One file at a time across batches: parsing is CPU-bound (a child process per file) and two
        # uploads of one file name at once would race for the document's next version number.
        self._ingest_lock = threading.Lock()

    def submit(
        self, user: User, files: Sequence[tuple[str, bytes]], tags: dict[str, str] | None = None, *, key: str
    ) -> int:
        """Queue the files with the batch's tags and return the batch id at once; the files are
        ingested in the background (at once when the library has no background worker)."""
        access.require_curator(user, "上传资料", "upload documents")
        if not files:
            raise InvalidInput("请先选择要上传的文件 / Choose the files to upload first")
        tags = check_tags(tags or {})  # a bad tag refuses the batch before anything is kept
        named = [(_safe_name(name), data) for name, data in files]
        batch_id, created = self.store.upload_batch_create(
            user, key, tags, [(name, len(data), hashlib.sha256(data).hexdigest()) for name, data in named]
        )
        if not created:
            return batch_id  # the same submit again (a rerun, a double click): nothing is queued twice
        (record,) = self.store.upload_batches([batch_id])
        paths: list[tuple[UploadItemRecord, Path]] = []
        try:
            for item, (name, data) in zip(record.items, named, strict=True):
                # One folder per file: two files of a batch may share a name, and the library
                # takes the document's name from the file's.
                path = self.folder / str(batch_id) / str(item.position) / name
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(data)
                paths.append((item, path))
        except OSError as error:
            for item in record.items:
                self.store.upload_item_set(
                    item.id,
                    "refused",
                    message=f"无法保存上传的文件（{error}）/ Could not keep the uploaded file ({error})",
                )
            shutil.rmtree(self.folder / str(batch_id), ignore_errors=True)
            return batch_id
        with self._lock:
            self._running.add(batch_id)
        if self.library.background:
            threading.Thread(
                target=self._run, args=(user, batch_id, tags, paths), name=f"library-upload-{batch_id}", daemon=True
            ).start()
        else:
            self._run(user, batch_id, tags, paths)
        return batch_id

    def batches(self, user: User, *, limit: int = 5) -> list[UploadBatch]:
        """The newest batches, from every lead, newest first."""
        access.require_curator(user, "查看上传进度", "see upload progress")
        self._fail_interrupted()
        return [_batch(record) for record in self.store.upload_batches(limit=limit)]

    def batch(self, user: User, batch_id: int) -> UploadBatch:
        access.require_curator(user, "查看上传进度", "see upload progress")
        self._fail_interrupted()
        records = self.store.upload_batches([batch_id])
        if not records:
            raise NotFound(f"没有这批上传：{batch_id} / No such upload batch: {batch_id}")
        return _batch(records[0])

    # --- the worker ------------------------------------------------------------------------------

    def _run(self, user: User, batch_id: int, tags: dict[str, str], paths: list[tuple[UploadItemRecord, Path]]) -> None:
        try:
            for item, path in paths:
                # The files still queued show a sign of life, so another app process never takes
                # a long batch for one a restart cut off.
                self.store.upload_batch_touch(batch_id)
                self._ingest_item(user, item, path, tags)
        finally:
            shutil.rmtree(self.folder / str(batch_id), ignore_errors=True)
            with self._lock:
                self._running.discard(batch_id)

    def _ingest_item(self, user: User, item: UploadItemRecord, path: Path, tags: dict[str, str]) -> None:
        def on_stage(_path: Path, stage: str) -> None:
            self.store.upload_item_set(item.id, STATE_OF_STAGE.get(stage, stage))

        try:
            with self._ingest_lock:
                report = self.library.ingest(user, [path], tags, on_stage=on_stage)
        except Exception as error:  # noqa: BLE001  one file's bug must not stop the batch; logged for the admin
            log.exception("upload of %s failed", path.name)
            self.store.upload_item_set(
                item.id,
                "refused",
                message=f"{path.name}：导入时出错（{type(error).__name__}），资料库没有改动 / {path.name}: the import "
                f"failed ({type(error).__name__}); nothing changed in the library",
            )
            return
        warnings = " ".join(warning.message for warning in report.warnings)
        if report.skipped:
            self.store.upload_item_set(item.id, "refused", message=report.skipped[0].reason)
        elif report.added or report.updated:
            info = (report.added or report.updated)[0]
            (record,) = self.store.library_documents(info.document_id)
            self.store.upload_item_set(
                item.id, "searchable", message=warnings, document_id=info.document_id, version_id=record.version_id
            )
        elif report.retagged:
            self.store.upload_item_set(item.id, "retagged", document_id=report.retagged[0].document_id)
        elif report.unchanged:
            self.store.upload_item_set(item.id, "unchanged", document_id=report.unchanged[0].document_id)

    def _fail_interrupted(self) -> None:
        # A file takes at most the parse time limit plus seconds of writing; a step older than
        # twice that, in a batch no thread of this process runs, was cut off by a restart.
        with self._lock:
            running = set(self._running)
        older_than = timedelta(seconds=max(600.0, 2 * self.library.config.parse_timeout_s))
        if self.store.upload_items_interrupt(older_than, running) and self.folder.is_dir():
            # The bytes such a batch left behind: no thread will read them now.
            cutoff = time.time() - older_than.total_seconds()
            for folder in self.folder.iterdir():
                if folder.name.isdigit() and int(folder.name) not in running and folder.stat().st_mtime < cutoff:
                    shutil.rmtree(folder, ignore_errors=True)


def _batch(record) -> UploadBatch:  # type: ignore[no-untyped-def]
    return UploadBatch(
        id=record.id,
        tags=record.tags,
        created_by=record.created_by,
        created_at=record.created_at,
        items=[_item(item) for item in record.items],
    )


def _item(record: UploadItemRecord) -> UploadItem:
    state = record.state
    if state == "searchable":
        # Dense progress is read from the version's chunks; a version replaced since is done.
        finished = not record.version_active or record.embedded_chunks >= record.chunks
        state = "done" if finished else "embedding"
    return UploadItem(
        file_name=record.file_name,
        state=state,
        message=record.message,
        document_id=record.document_id,
        chunks=record.chunks,
        embedded_chunks=record.embedded_chunks,
    )


def _safe_name(name: str) -> str:
    """The file's own name (a browser may send a path); the library names the document after it."""
    base = Path(name.replace("\\", "/")).name.strip()
    return base if base not in ("", ".", "..") else "未命名文件"
