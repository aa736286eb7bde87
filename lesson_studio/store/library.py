"""The course library's registry: documents, their versions and the chunks of every version."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import timedelta

from sqlalchemy import (
    case,
    delete,
    func,
    insert,
    select,
    update,
)

from lesson_studio.errors import InvalidInput, NotFound
from lesson_studio.models import User
from lesson_studio.store.base import StoreBase, _now
from lesson_studio.store.records import (
    LibraryDocumentRecord,
    LibraryVersionRecord,
    _library_version,
)
from lesson_studio.store.schema import (
    library_chunks,
    library_documents,
    library_versions,
)


class LibraryRegistryMixin(StoreBase):
    # --- library documents ---------------------------------------------------------------------
    # The registry of the course library (lesson_studio.library checks roles before calling these).

    def library_find_sha256(self, sha256: str) -> LibraryVersionRecord | None:
        """An active or retired version with this content (failed ones never count)."""
        with self.engine.connect() as conn:
            row = conn.execute(
                select(library_versions)
                .where(library_versions.c.sha256 == sha256, library_versions.c.status.in_(("active", "retired")))
                .order_by(library_versions.c.status, library_versions.c.id.desc())
            ).first()
        return _library_version(row) if row else None

    def library_find_by_source(self, source_name: str) -> str | None:
        """The document an upload of this file name updates: the newest one with an active version."""
        with self.engine.connect() as conn:
            return conn.execute(
                select(library_documents.c.id)
                .where(
                    library_documents.c.source_name == source_name, library_documents.c.active_version_id.is_not(None)
                )
                .order_by(library_documents.c.updated_at.desc())
            ).scalar()

    def library_begin_version(
        self, user: User | None, *, document_id: str, title: str, source_name: str, sha256: str, tags_json: str
    ) -> LibraryVersionRecord:
        """Register a pending version (and its document when new); it is not visible to search yet."""
        now = _now()
        with self._write() as conn:
            exists = conn.execute(select(library_documents.c.id).where(library_documents.c.id == document_id)).first()
            if exists is None:
                conn.execute(
                    insert(library_documents).values(
                        id=document_id,
                        title=title,
                        source_name=source_name,
                        tags_json=tags_json,
                        enabled=True,
                        active_version_id=None,
                        created_by=user.id if user else None,
                        created_at=now,
                        updated_at=now,
                    )
                )
            number = (
                conn.execute(
                    select(func.max(library_versions.c.number)).where(library_versions.c.document_id == document_id)
                ).scalar()
                or 0
            ) + 1
            version_id = conn.execute(
                insert(library_versions).values(
                    document_id=document_id,
                    number=number,
                    sha256=sha256,
                    status="pending",
                    error="",
                    title=title,
                    source_name=source_name,
                    tags_json=tags_json,
                    chunks=0,
                    chars=0,
                    has_vectors=False,
                    created_by=user.id if user else None,
                    created_at=now,
                )
            ).inserted_primary_key[0]
            row = conn.execute(select(library_versions).where(library_versions.c.id == version_id)).one()
        return _library_version(row)

    def library_activate_version(
        self,
        user: User | None,
        version_id: int,
        chunk_rows: Iterable[dict[str, object]],
        *,
        chars: int,
        catalogue_json: str | None = None,
        batch_size: int = 500,
    ) -> None:
        """Write a pending version's chunks and make it the active one, in one transaction.

        The previous active version is retired (kept for rollback). If anything raises midway,
        nothing of the new version is visible and the old one stays active.
        """
        now = _now()
        with self._write() as conn:
            version = conn.execute(select(library_versions).where(library_versions.c.id == version_id)).first()
            if version is None or version.status != "pending":
                # Start-up clean-up of another process may have failed it meanwhile.
                raise InvalidInput("导入已被中断，请重试 / The import was interrupted; try again")
            count, batch = 0, []
            for row in chunk_rows:
                batch.append({**row, "version_id": version_id, "document_id": version.document_id, "embedded": False})
                if len(batch) >= batch_size:
                    conn.execute(insert(library_chunks), batch)
                    count, batch = count + len(batch), []
            if batch:
                conn.execute(insert(library_chunks), batch)
                count += len(batch)
            conn.execute(
                update(library_versions)
                .where(library_versions.c.document_id == version.document_id, library_versions.c.status == "active")
                .values(status="retired")
            )
            conn.execute(
                update(library_versions)
                .where(library_versions.c.id == version_id)
                .values(status="active", chunks=count, chars=chars, catalogue_json=catalogue_json, activated_at=now)
            )
            conn.execute(
                update(library_documents)
                .where(library_documents.c.id == version.document_id)
                .values(
                    active_version_id=version_id,
                    title=version.title,
                    source_name=version.source_name,
                    tags_json=version.tags_json,
                    updated_at=now,
                )
            )
            self._audit(conn, user, "library_ingest", f"document:{version.document_id}:v{version.number}")

    def library_fail_version(self, version_id: int, error: str) -> None:
        with self._write() as conn:
            conn.execute(delete(library_chunks).where(library_chunks.c.version_id == version_id))
            conn.execute(
                update(library_versions)
                .where(library_versions.c.id == version_id, library_versions.c.status == "pending")
                .values(status="failed", error=error[:2000])
            )

    def library_cleanup_interrupted(self, older_than: timedelta = timedelta(0)) -> int:
        """At start-up: a version pending for longer than `older_than` was cut off by a crash; it
        becomes failed and its rows go. Younger ones may belong to another process (a second app
        replica, a CLI ingest) that is still writing them, so they are left alone."""
        cutoff = _now() - older_than
        with self._write() as conn:
            pending = [
                row.id
                for row in conn.execute(
                    select(library_versions.c.id).where(
                        (library_versions.c.status == "pending") & (library_versions.c.created_at <= cutoff)
                    )
                )
            ]
            if pending:
                conn.execute(delete(library_chunks).where(library_chunks.c.version_id.in_(pending)))
                conn.execute(
                    update(library_versions)
                    .where(library_versions.c.id.in_(pending))
                    .values(status="failed", error="导入被中断（程序重启）/ Import interrupted by a restart")
                )
        return len(pending)

    def library_rollback(self, user: User | None, document_id: str, number: int) -> None:
        """Make a retired version active again; the current one is retired. Dense vectors are refilled."""
        now = _now()
        with self._write() as conn:
            target = conn.execute(
                select(library_versions).where(
                    library_versions.c.document_id == document_id, library_versions.c.number == number
                )
            ).first()
            if target is None or target.status not in ("retired", "active"):
                raise NotFound(
                    f"没有可恢复的版本：{document_id} v{number} / No version to restore: {document_id} v{number}"
                )
            if target.status == "active":
                return
            conn.execute(
                update(library_versions)
                .where(library_versions.c.document_id == document_id, library_versions.c.status == "active")
                .values(status="retired")
            )
            conn.execute(
                update(library_versions)
                .where(library_versions.c.id == target.id)
                .values(status="active", activated_at=now)
            )
            conn.execute(update(library_chunks).where(library_chunks.c.version_id == target.id).values(embedded=False))
            conn.execute(
                update(library_documents)
                .where(library_documents.c.id == document_id)
                .values(
                    active_version_id=target.id,
                    title=target.title,
                    source_name=target.source_name,
                    tags_json=target.tags_json,
                    updated_at=now,
                )
            )
            self._audit(conn, user, "library_rollback", f"document:{document_id}:v{number}")

    def library_documents(self, document_id: str | None = None) -> list[LibraryDocumentRecord]:
        """Documents that have an active version, with its facts, by title."""
        query = (
            select(
                library_documents,
                library_versions.c.number,
                library_versions.c.sha256,
                library_versions.c.chunks,
                library_versions.c.chars,
                library_versions.c.activated_at,
            )
            .join(library_versions, library_versions.c.id == library_documents.c.active_version_id)
            .order_by(library_documents.c.title, library_documents.c.id)
        )
        if document_id is not None:
            query = query.where(library_documents.c.id == document_id)
        with self.engine.connect() as conn:
            rows = conn.execute(query).all()
            embedded = dict(
                conn.execute(
                    select(library_chunks.c.version_id, func.count())
                    .where(library_chunks.c.embedded.is_(True))
                    .group_by(library_chunks.c.version_id)
                ).all()
            )
        return [
            LibraryDocumentRecord(
                id=row.id,
                title=row.title,
                source_name=row.source_name,
                tags=json.loads(row.tags_json or "{}"),
                enabled=bool(row.enabled),
                version=row.number,
                version_id=row.active_version_id,
                sha256=row.sha256,
                chunks=row.chunks,
                chars=row.chars,
                embedded_chunks=int(embedded.get(row.active_version_id, 0)),
                updated_at=row.updated_at,
            )
            for row in rows
        ]

    def library_versions(self, document_id: str) -> list[LibraryVersionRecord]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(library_versions)
                .where(library_versions.c.document_id == document_id)
                .order_by(library_versions.c.number)
            ).all()
        return [_library_version(row) for row in rows]

    def library_set_enabled(self, user: User | None, document_id: str, enabled: bool) -> None:
        with self._write() as conn:
            result = conn.execute(
                update(library_documents)
                .where(library_documents.c.id == document_id)
                .values(enabled=enabled, updated_at=_now())
            )
            if not result.rowcount:
                raise NotFound(f"资料库中没有该文档：{document_id} / No such library document: {document_id}")
            self._audit(conn, user, "library_enable" if enabled else "library_disable", f"document:{document_id}")

    def library_remove_document(self, user: User | None, document_id: str) -> None:
        """Delete a document with every version and chunk (its vectors are the library's to drop)."""
        with self._write() as conn:
            found = conn.execute(select(library_documents.c.id).where(library_documents.c.id == document_id)).first()
            if found is None:
                raise NotFound(f"资料库中没有该文档：{document_id} / No such library document: {document_id}")
            version_ids = select(library_versions.c.id).where(library_versions.c.document_id == document_id)
            conn.execute(delete(library_chunks).where(library_chunks.c.version_id.in_(version_ids)))
            conn.execute(delete(library_versions).where(library_versions.c.document_id == document_id))
            conn.execute(delete(library_documents).where(library_documents.c.id == document_id))
            self._audit(conn, user, "library_remove", f"document:{document_id}")

    def library_generation(self) -> tuple[object, ...]:
        """Changes whenever the active versions or the enabled documents do (search rebuilds then)."""
        with self.engine.connect() as conn:
            row = conn.execute(
                select(
                    func.count(),
                    func.coalesce(func.sum(library_versions.c.id), 0),
                    func.coalesce(func.max(library_versions.c.id), 0),
                ).where(library_versions.c.status == "active")
            ).one()
            # updated_at moves on every enable/disable, activation and rollback.
            documents = conn.execute(
                select(func.count(), func.max(library_documents.c.updated_at)).where(
                    library_documents.c.enabled.is_(True)
                )
            ).one()
        return int(row[0]), int(row[1]), int(row[2]), int(documents[0]), str(documents[1])

    def library_active_chunks(self) -> list:  # type: ignore[type-arg]
        """Every chunk of every active version, in document order (for the keyword index)."""
        with self.engine.connect() as conn:
            return list(
                conn.execute(
                    select(library_chunks, library_versions.c.number.label("version"))
                    .join(library_versions, library_versions.c.id == library_chunks.c.version_id)
                    .where(library_versions.c.status == "active")
                    .order_by(library_chunks.c.version_id, library_chunks.c.idx)
                ).all()
            )

    def library_chunks_of(self, version_id: int) -> list:  # type: ignore[type-arg]
        with self.engine.connect() as conn:
            return list(
                conn.execute(
                    select(library_chunks)
                    .where(library_chunks.c.version_id == version_id)
                    .order_by(library_chunks.c.idx)
                ).all()
            )

    def library_chunks_to_embed(self, limit: int) -> list:  # type: ignore[type-arg]
        """Chunks of active versions that have no dense vector yet, oldest activation first."""
        with self.engine.connect() as conn:
            return list(
                conn.execute(
                    select(library_chunks, library_versions.c.number.label("version"))
                    .join(library_versions, library_versions.c.id == library_chunks.c.version_id)
                    .where(library_versions.c.status == "active", library_chunks.c.embedded.is_(False))
                    .order_by(library_versions.c.activated_at, library_chunks.c.version_id, library_chunks.c.idx)
                    .limit(limit)
                ).all()
            )

    def library_mark_embedded(self, chunk_ids: list[str], version_ids: set[int]) -> None:
        with self._write() as conn:
            conn.execute(update(library_chunks).where(library_chunks.c.id.in_(chunk_ids)).values(embedded=True))
            conn.execute(
                update(library_versions).where(library_versions.c.id.in_(version_ids)).values(has_vectors=True)
            )

    def library_versions_with_stale_vectors(self) -> list[LibraryVersionRecord]:
        """Retired or failed versions whose vectors may still sit in Chroma."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(library_versions).where(
                    library_versions.c.status.in_(("retired", "failed")), library_versions.c.has_vectors.is_(True)
                )
            ).all()
        return [_library_version(row) for row in rows]

    def library_vectors_dropped(self, version_id: int) -> None:
        with self._write() as conn:
            conn.execute(update(library_versions).where(library_versions.c.id == version_id).values(has_vectors=False))
            conn.execute(update(library_chunks).where(library_chunks.c.version_id == version_id).values(embedded=False))

    def library_embedding_progress(self) -> tuple[int, int]:
        """(chunks of active versions, of which have a dense vector)."""
        with self.engine.connect() as conn:
            row = conn.execute(
                select(
                    func.count(), func.coalesce(func.sum(case((library_chunks.c.embedded.is_(True), 1), else_=0)), 0)
                )
                .select_from(library_chunks)
                .join(library_versions, library_versions.c.id == library_chunks.c.version_id)
                .where(library_versions.c.status == "active")
            ).one()
        return int(row[0]), int(row[1])

    def library_catalogue_json(self) -> str | None:
        """The catalogue of the newest enabled active version that has one (the school's 《指南》)."""
        with self.engine.connect() as conn:
            return conn.execute(
                select(library_versions.c.catalogue_json)
                .join(library_documents, library_documents.c.active_version_id == library_versions.c.id)
                .where(library_documents.c.enabled.is_(True), library_versions.c.catalogue_json.is_not(None))
                .order_by(library_versions.c.activated_at.desc())
            ).scalar()
