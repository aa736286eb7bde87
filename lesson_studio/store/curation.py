"""The library's curation records: tags and single chunks changed by a lead, the document overview
with every state, upload batches with per-file progress, and the saved hit-test questions.
(lesson_studio.library checks roles before calling these.)"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import case, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from lesson_studio.errors import NotFound
from lesson_studio.models import User
from lesson_studio.store.base import StoreBase, _aware, _now
from lesson_studio.store.schema import (
    library_chunks,
    library_documents,
    library_hit_tests,
    library_upload_batches,
    library_upload_items,
    library_versions,
    users,
)

# Upload item states that mean "still being worked on"; anything else is final.
UPLOAD_WORKING_STATES = ("queued", "checking", "parsing", "indexing")


@dataclass(frozen=True)
class DocumentOverviewRecord:
    """One document as the lead's list shows it, whatever state it is in."""

    id: str
    title: str
    source_name: str
    tags: dict[str, str]
    enabled: bool
    active_version: int | None  # None: no version ever became active (failed, or still importing)
    latest_status: str  # the newest version's status: pending | active | failed | retired
    latest_error: str
    chunks: int
    embedded_chunks: int
    uploaded_by: str  # who uploaded the newest version
    updated_at: datetime


@dataclass(frozen=True)
class ChunkStatusRecord:
    chunk_id: str
    document_id: str
    version_number: int
    version_status: str
    disabled: bool


@dataclass(frozen=True)
class UploadItemRecord:
    id: int
    batch_id: int
    position: int
    file_name: str
    size: int
    sha256: str
    state: str
    message: str
    document_id: str | None
    version_id: int | None
    version_active: bool
    chunks: int
    embedded_chunks: int
    updated_at: datetime


@dataclass(frozen=True)
class UploadBatchRecord:
    id: int
    tags: dict[str, str]
    created_by: str
    created_at: datetime
    items: list[UploadItemRecord] = field(default_factory=list)


@dataclass(frozen=True)
class HitTestRecord:
    id: int
    question: str
    age_band: str
    domain: str
    resource_type: str
    expected_chunk_id: str
    expected_document_id: str
    expected_text: str
    created_by: str
    created_at: datetime


class LibraryCurationMixin(StoreBase):
    # --- tags and single chunks ------------------------------------------------------------------

    def library_set_tags(
        self, user: User | None, document_id: str, tags: dict[str, str], chunk_values: dict[str, dict[str, str]]
    ) -> None:
        """New document tags, on the document, its active version and (chunk_values: chunk id -> its
        four tag columns) its chunks, in one transaction. updated_at moves, so search rebuilds."""
        tags_json = json.dumps(tags, ensure_ascii=False, sort_keys=True)
        with self._write() as conn:
            document = conn.execute(select(library_documents).where(library_documents.c.id == document_id)).first()
            if document is None:
                raise NotFound(f"资料库中没有该文档：{document_id} / No such library document: {document_id}")
            conn.execute(
                update(library_documents)
                .where(library_documents.c.id == document_id)
                .values(tags_json=tags_json, updated_at=_now())
            )
            if document.active_version_id is not None:
                conn.execute(
                    update(library_versions)
                    .where(library_versions.c.id == document.active_version_id)
                    .values(tags_json=tags_json)
                )
            for chunk_id, values in chunk_values.items():
                conn.execute(update(library_chunks).where(library_chunks.c.id == chunk_id).values(**values))
            self._audit(conn, user, "library_tags", f"document:{document_id}")

    def library_set_chunk_disabled(self, user: User | None, chunk_id: str, disabled: bool) -> str:
        """Take one passage out of retrieval (or back in); returns its document id."""
        with self._write() as conn:
            row = conn.execute(select(library_chunks.c.document_id).where(library_chunks.c.id == chunk_id)).first()
            if row is None:
                raise NotFound(f"资料库中没有这段资料：{chunk_id} / No such passage in the library: {chunk_id}")
            conn.execute(update(library_chunks).where(library_chunks.c.id == chunk_id).values(disabled=disabled))
            # The search view is rebuilt when a document's updated_at moves (library_generation).
            conn.execute(
                update(library_documents).where(library_documents.c.id == row.document_id).values(updated_at=_now())
            )
            self._audit(
                conn, user, "library_chunk_disable" if disabled else "library_chunk_enable", f"chunk:{chunk_id}"
            )
        return row.document_id

    def library_chunk_statuses(self, chunk_ids: list[str]) -> dict[str, ChunkStatusRecord]:
        """Where each chunk stands now (chunks of removed documents are absent)."""
        if not chunk_ids:
            return {}
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(
                    library_chunks.c.id,
                    library_chunks.c.document_id,
                    library_chunks.c.disabled,
                    library_versions.c.number,
                    library_versions.c.status,
                )
                .join(library_versions, library_versions.c.id == library_chunks.c.version_id)
                .where(library_chunks.c.id.in_(set(chunk_ids)))
            ).all()
        return {
            row.id: ChunkStatusRecord(row.id, row.document_id, row.number, row.status, bool(row.disabled))
            for row in rows
        }

    def library_document_states(self, document_ids: list[str]) -> dict[str, tuple[bool, int | None]]:
        """(enabled, active version number) of each document that still exists."""
        if not document_ids:
            return {}
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(library_documents.c.id, library_documents.c.enabled, library_versions.c.number)
                .select_from(library_documents)
                .outerjoin(library_versions, library_versions.c.id == library_documents.c.active_version_id)
                .where(library_documents.c.id.in_(set(document_ids)))
            ).all()
        return {row.id: (bool(row.enabled), row.number) for row in rows}

    # --- the lead's document list ------------------------------------------------------------------

    def library_document_overview(self) -> list[DocumentOverviewRecord]:
        """Every document, with or without an active version, newest change first."""
        with self.engine.connect() as conn:
            documents = conn.execute(select(library_documents).order_by(library_documents.c.updated_at.desc())).all()
            versions = conn.execute(
                select(library_versions).order_by(library_versions.c.document_id, library_versions.c.number)
            ).all()
            counts = dict(
                (row.version_id, (int(row.total), int(row.embedded)))
                for row in conn.execute(
                    select(
                        library_chunks.c.version_id,
                        func.count().label("total"),
                        func.coalesce(func.sum(case((library_chunks.c.embedded.is_(True), 1), else_=0)), 0).label(
                            "embedded"
                        ),
                    ).group_by(library_chunks.c.version_id)
                )
            )
            names = dict(conn.execute(select(users.c.id, users.c.display_name)).all())
        latest: dict[str, object] = {}
        numbers: dict[int, int] = {}
        for version in versions:
            latest[version.document_id] = version
            numbers[version.id] = version.number
        records = []
        for document in documents:
            newest = latest.get(document.id)
            total, embedded = counts.get(document.active_version_id, (0, 0))
            records.append(
                DocumentOverviewRecord(
                    id=document.id,
                    title=document.title,
                    source_name=document.source_name,
                    tags=json.loads(document.tags_json or "{}"),
                    enabled=bool(document.enabled),
                    active_version=numbers.get(document.active_version_id),
                    latest_status=newest.status if newest is not None else "failed",  # type: ignore[attr-defined]
                    latest_error=newest.error if newest is not None else "",  # type: ignore[attr-defined]
                    chunks=total,
                    embedded_chunks=embedded,
                    uploaded_by=names.get(newest.created_by, "") if newest is not None else "",  # type: ignore[attr-defined]
                    updated_at=_aware(document.updated_at),
                )
            )
        return records

    def library_version_authors(self, document_id: str) -> dict[int, str]:
        """Version number -> the display name of who uploaded it."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(library_versions.c.number, users.c.display_name)
                .select_from(library_versions)
                .outerjoin(users, users.c.id == library_versions.c.created_by)
                .where(library_versions.c.document_id == document_id)
            ).all()
        return {row.number: row.display_name or "" for row in rows}

    # --- upload batches ----------------------------------------------------------------------------

    def upload_batch_create(
        self, user: User | None, key: str, tags: dict[str, str], files: list[tuple[str, int, str]]
    ) -> tuple[int, bool]:
        """A batch with one queued item per (file name, size, sha256); (batch id, created). The same
        key returns the batch it made before, and nothing new is queued."""
        now = _now()
        try:
            with self._write() as conn:
                existing = conn.execute(
                    select(library_upload_batches.c.id).where(library_upload_batches.c.idempotency_key == key)
                ).scalar()
                if existing is not None:
                    return int(existing), False
                batch_id = conn.execute(
                    insert(library_upload_batches).values(
                        idempotency_key=key,
                        tags_json=json.dumps(tags, ensure_ascii=False, sort_keys=True),
                        created_by=user.id if user else None,
                        created_at=now,
                    )
                ).inserted_primary_key[0]
                conn.execute(
                    insert(library_upload_items),
                    [
                        {
                            "batch_id": batch_id,
                            "position": position,
                            "file_name": name,
                            "size": size,
                            "sha256": sha256,
                            "state": "queued",
                            "message": "",
                            "updated_at": now,
                        }
                        for position, (name, size, sha256) in enumerate(files)
                    ],
                )
                return int(batch_id), True
        except IntegrityError:  # another process made it between our read and our insert
            with self.engine.connect() as conn:
                found = conn.execute(
                    select(library_upload_batches.c.id).where(library_upload_batches.c.idempotency_key == key)
                ).scalar_one()
            return int(found), False

    def upload_item_set(
        self,
        item_id: int,
        state: str,
        *,
        message: str | None = None,
        document_id: str | None = None,
        version_id: int | None = None,
    ) -> None:
        values: dict[str, object] = {"state": state, "updated_at": _now()}
        if message is not None:
            values["message"] = message[:4000]
        if document_id is not None:
            values["document_id"] = document_id
        if version_id is not None:
            values["version_id"] = version_id
        with self._write() as conn:
            conn.execute(update(library_upload_items).where(library_upload_items.c.id == item_id).values(**values))

    def upload_batch_touch(self, batch_id: int) -> None:
        with self._write() as conn:
            conn.execute(
                update(library_upload_items)
                .where(library_upload_items.c.batch_id == batch_id, library_upload_items.c.state == "queued")
                .values(updated_at=_now())
            )

    def upload_items_interrupt(self, older_than: timedelta, keep_batches: set[int]) -> int:
        """Items still being worked on long after their last step, in a batch no thread here is
        running, were cut off by a restart: they are refused with a reason to upload them again."""
        cutoff = _now() - older_than
        query = update(library_upload_items).where(
            library_upload_items.c.state.in_(UPLOAD_WORKING_STATES), library_upload_items.c.updated_at <= cutoff
        )
        if keep_batches:
            query = query.where(library_upload_items.c.batch_id.not_in(keep_batches))
        # Pages poll this every 2 s: read first, so a poll never queues for the write lock an
        # import holds when there is nothing to fail.
        stale = select(func.count()).select_from(library_upload_items).where(query.whereclause)  # type: ignore[arg-type]
        with self.engine.connect() as conn:
            if not conn.execute(stale).scalar():
                return 0
        with self._write() as conn:
            result = conn.execute(
                query.values(
                    state="refused",
                    message="导入被中断（程序重启），没有写入任何内容；请重新上传这个文件 / The import was interrupted by a "
                    "restart and nothing was written; upload this file again",
                )
            )
        return int(result.rowcount or 0)

    def upload_batches(self, batch_ids: list[int] | None = None, limit: int = 5) -> list[UploadBatchRecord]:
        """The newest batches (or the ones named), newest first, with their items in upload order."""
        with self.engine.connect() as conn:
            query = (
                select(library_upload_batches, users.c.display_name)
                .select_from(library_upload_batches)
                .outerjoin(users, users.c.id == library_upload_batches.c.created_by)
                .order_by(library_upload_batches.c.id.desc())
            )
            query = (
                query.where(library_upload_batches.c.id.in_(batch_ids)) if batch_ids is not None else query.limit(limit)
            )
            batches = conn.execute(query).all()
            ids = [batch.id for batch in batches]
            chunk_counts = (
                select(
                    library_chunks.c.version_id,
                    func.count().label("total"),
                    func.coalesce(func.sum(case((library_chunks.c.embedded.is_(True), 1), else_=0)), 0).label(
                        "embedded"
                    ),
                )
                .group_by(library_chunks.c.version_id)
                .subquery()
            )
            items = conn.execute(
                select(
                    library_upload_items,
                    library_versions.c.status.label("version_status"),
                    func.coalesce(chunk_counts.c.total, 0).label("total"),
                    func.coalesce(chunk_counts.c.embedded, 0).label("embedded"),
                )
                .select_from(library_upload_items)
                .outerjoin(library_versions, library_versions.c.id == library_upload_items.c.version_id)
                .outerjoin(chunk_counts, chunk_counts.c.version_id == library_upload_items.c.version_id)
                .where(library_upload_items.c.batch_id.in_(ids))
                .order_by(library_upload_items.c.batch_id, library_upload_items.c.position)
            ).all()
        by_batch: dict[int, list[UploadItemRecord]] = {batch_id: [] for batch_id in ids}
        for row in items:
            by_batch[row.batch_id].append(
                UploadItemRecord(
                    id=row.id,
                    batch_id=row.batch_id,
                    position=row.position,
                    file_name=row.file_name,
                    size=row.size,
                    sha256=row.sha256,
                    state=row.state,
                    message=row.message or "",
                    document_id=row.document_id,
                    version_id=row.version_id,
                    version_active=row.version_status == "active",
                    chunks=int(row.total),
                    embedded_chunks=int(row.embedded),
                    updated_at=_aware(row.updated_at),
                )
            )
        return [
            UploadBatchRecord(
                id=batch.id,
                tags=json.loads(batch.tags_json or "{}"),
                created_by=batch.display_name or "",
                created_at=_aware(batch.created_at),
                items=by_batch[batch.id],
            )
            for batch in batches
        ]

    # --- saved hit-test questions ------------------------------------------------------------------

    def hit_test_save(
        self,
        user: User | None,
        *,
        question: str,
        age_band: str,
        domain: str,
        resource_type: str,
        chunk_id: str,
        document_id: str,
        text: str,
    ) -> int:
        with self._write() as conn:
            test_id = conn.execute(
                insert(library_hit_tests).values(
                    question=question,
                    age_band=age_band,
                    domain=domain,
                    resource_type=resource_type,
                    expected_chunk_id=chunk_id,
                    expected_document_id=document_id,
                    expected_text=text,
                    created_by=user.id if user else None,
                    created_at=_now(),
                )
            ).inserted_primary_key[0]
            self._audit(conn, user, "hit_test_save", f"hit_test:{test_id}")
        return int(test_id)

    def hit_tests(self) -> list[HitTestRecord]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(library_hit_tests, users.c.display_name)
                .select_from(library_hit_tests)
                .outerjoin(users, users.c.id == library_hit_tests.c.created_by)
                .order_by(library_hit_tests.c.id)
            ).all()
        return [
            HitTestRecord(
                id=row.id,
                question=row.question,
                age_band=row.age_band,
                domain=row.domain,
                resource_type=row.resource_type,
                expected_chunk_id=row.expected_chunk_id,
                expected_document_id=row.expected_document_id,
                expected_text=row.expected_text,
                created_by=row.display_name or "",
                created_at=_aware(row.created_at),
            )
            for row in rows
        ]

    def hit_test_remove(self, user: User | None, test_id: int) -> None:
        with self._write() as conn:
            result = conn.execute(delete(library_hit_tests).where(library_hit_tests.c.id == test_id))
            if not result.rowcount:
                raise NotFound(f"没有这个检索测试问题：{test_id} / No such saved question: {test_id}")
            self._audit(conn, user, "hit_test_remove", f"hit_test:{test_id}")
