"""Generation jobs and refinements, with the process that runs them and its heartbeat."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta

from sqlalchemy import (
    insert,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError

from lesson_studio.errors import InvalidInput, NotFound
from lesson_studio.models import LessonPlan, LessonRequest, User, VersionInfo
from lesson_studio.store.base import StoreBase, _aware, _now
from lesson_studio.store.records import (
    JobRecord,
    RefinementRecord,
    _job_record,
    _refinement_record,
)
from lesson_studio.store.schema import (
    jobs,
    lesson_requests,
    refinements,
)


class JobsMixin(StoreBase):
    # --- jobs ----------------------------------------------------------------------------------

    def create_job(self, user: User, request_id: int, backend: str, *, owner: str = "") -> tuple[JobRecord, bool]:
        """The job for a request, created once, owned by the process that will run it; returns
        (job, created_now)."""
        now = _now()
        with self._write() as conn:
            row = conn.execute(select(jobs).where(jobs.c.request_id == request_id)).first()
            if row is None:
                try:
                    with conn.begin_nested():
                        conn.execute(
                            insert(jobs).values(
                                request_id=request_id,
                                user_id=user.id,
                                backend=backend,
                                status="queued",
                                error="",
                                created_at=now,
                                updated_at=now,
                                owner=owner,
                                heartbeat_at=now,
                                cancel_requested=False,
                            )
                        )
                    created = True
                except IntegrityError:
                    created = False
                row = conn.execute(select(jobs).where(jobs.c.request_id == request_id)).first()
            else:
                created = False
        assert row is not None
        self._require_editor(user, row.user_id)
        return _job_record(row), created

    def update_job(self, job_id: int, **values: object) -> None:
        allowed = {"status", "error", "draft_id", "version_id", "backend", "partial_json", "offers", "cancel_requested"}
        if not values.keys() <= allowed:
            raise ValueError(f"unknown job fields: {values.keys() - allowed}")
        with self._write() as conn:
            conn.execute(update(jobs).where(jobs.c.id == job_id).values(**values, updated_at=_now()))

    def get_job(self, user: User, job_id: int) -> JobRecord:
        with self.engine.connect() as conn:
            row = conn.execute(select(jobs).where(jobs.c.id == job_id)).first()
        if row is None:
            raise NotFound(f"找不到生成任务 {job_id} / Job {job_id} not found")
        self._require_editor(user, row.user_id)
        return _job_record(row)

    def recent_jobs(self, user: User, limit: int = 5) -> list[tuple[JobRecord, LessonRequest]]:
        """The user's latest lesson-plan generation jobs with their requests (to resume or retry after a reload)."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(jobs, lesson_requests.c.request_json)
                .join(lesson_requests, lesson_requests.c.id == jobs.c.request_id)
                .where((jobs.c.user_id == user.id) & (lesson_requests.c.resource_type == "lesson_plan"))
                .order_by(jobs.c.id.desc())
                .limit(limit)
            ).all()
        return [(_job_record(row), LessonRequest.model_validate_json(row.request_json)) for row in rows]

    def job_state(self, kind: str, job_id: int) -> tuple[str, bool]:
        """(status, cancel_requested) of a generation job or a refinement, for the process running it."""
        table = jobs if kind == "generation" else refinements
        with self.engine.connect() as conn:
            row = conn.execute(select(table.c.status, table.c.cancel_requested).where(table.c.id == job_id)).first()
        return (row.status, bool(row.cancel_requested)) if row else ("", False)

    def request_cancel(self, kind: str, job_id: int) -> str:
        """Cancel from any process: a queued job is cancelled at once; a running one is asked to stop
        (its process sees the request at its next heartbeat). Returns the status after the call."""
        table = jobs if kind == "generation" else refinements
        with self._write() as conn:
            row = conn.execute(select(table.c.status).where(table.c.id == job_id)).first()
            if row is None or row.status not in ("queued", "running"):
                return row.status if row else ""
            if row.status == "queued":
                conn.execute(
                    update(table)
                    .where(table.c.id == job_id)
                    .values(status="cancelled", error="已取消 / Cancelled", cancel_requested=True, updated_at=_now())
                )
                return "cancelled"
            conn.execute(update(table).where(table.c.id == job_id).values(cancel_requested=True, updated_at=_now()))
            return "running"

    def heartbeat(self, owner: str) -> list[tuple[str, int]]:
        """This process is alive: touch its unfinished jobs. Returns (kind, id) of those whose cancel
        another process asked for."""
        now = _now()
        wanted: list[tuple[str, int]] = []
        with self._write() as conn:
            for kind, table in (("generation", jobs), ("refinement", refinements)):
                mine = (table.c.owner == owner) & table.c.status.in_(("queued", "running"))
                conn.execute(update(table).where(mine).values(heartbeat_at=now))
                wanted += [
                    (kind, row.id)
                    for row in conn.execute(select(table.c.id).where(mine & table.c.cancel_requested.is_(True)))
                ]
        return wanted

    def fail_orphaned_jobs(self, *, me: str, stale_after: timedelta, gone: Callable[[str], bool]) -> int:
        """Jobs and refinements still queued or running whose process is gone: no heartbeat for
        `stale_after`, or `gone(owner)` says so (a process on this machine that no longer exists).
        They become failed, their request and kept sections stay, and 重试/继续生成 is offered.
        Another live process's jobs — the app's, while a CLI command starts — are left alone."""
        cutoff = _now() - stale_after
        failed = 0
        messages = {
            "generation": "生成它的程序已经停止，生成没有完成，请重试 / The process generating this stopped; retry",
            "refinement": "修改它的程序已经停止，修改没有完成，请重试 / The process refining this stopped; retry",
        }
        with self._write() as conn:
            for kind, table in (("generation", jobs), ("refinement", refinements)):
                rows = conn.execute(
                    select(table.c.id, table.c.owner, table.c.heartbeat_at).where(
                        table.c.status.in_(("queued", "running")), table.c.owner != me
                    )
                ).all()
                orphans = [
                    row.id
                    for row in rows
                    if not row.owner or row.heartbeat_at is None or _aware(row.heartbeat_at) < cutoff or gone(row.owner)
                ]
                if orphans:
                    conn.execute(
                        update(table)
                        .where(table.c.id.in_(orphans))
                        .values(status="failed", error=messages[kind], updated_at=_now())
                    )
                failed += len(orphans)
        return failed

    # --- refinements --------------------------------------------------------------------------

    def create_refinement(
        self,
        user: User,
        *,
        idempotency_key: str,
        draft_id: int,
        base_version_id: int,
        kind: str,
        payload: dict,
        backend: str,
        owner: str = "",
    ) -> tuple[RefinementRecord, bool]:
        """The refinement for a key, created once; returns (record, created_now)."""
        self.draft_owner(user, draft_id, for_edit=True)
        now = _now()
        with self._write() as conn:
            row = conn.execute(select(refinements).where(refinements.c.idempotency_key == idempotency_key)).first()
            created = False
            if row is None:
                try:
                    with conn.begin_nested():
                        conn.execute(
                            insert(refinements).values(
                                idempotency_key=idempotency_key,
                                user_id=user.id,
                                draft_id=draft_id,
                                base_version_id=base_version_id,
                                kind=kind,
                                payload_json=json.dumps(payload, ensure_ascii=False),
                                backend=backend,
                                status="queued",
                                error="",
                                created_at=now,
                                updated_at=now,
                                owner=owner,
                                heartbeat_at=now,
                                cancel_requested=False,
                            )
                        )
                    created = True
                except IntegrityError:
                    pass
                row = conn.execute(select(refinements).where(refinements.c.idempotency_key == idempotency_key)).first()
        assert row is not None
        self._require_editor(user, row.user_id)
        return _refinement_record(row), created

    def get_refinement(self, user: User, refinement_id: int) -> RefinementRecord:
        with self.engine.connect() as conn:
            row = conn.execute(select(refinements).where(refinements.c.id == refinement_id)).first()
        if row is None:
            raise NotFound(f"找不到修改任务 {refinement_id} / Refinement {refinement_id} not found")
        self._require_editor(user, row.user_id)
        return _refinement_record(row)

    def update_refinement(self, refinement_id: int, **values: object) -> None:
        allowed = {"status", "error", "result_json", "backend", "cancel_requested"}
        if not values.keys() <= allowed:
            raise ValueError(f"unknown refinement fields: {values.keys() - allowed}")
        with self._write() as conn:
            conn.execute(
                update(refinements).where(refinements.c.id == refinement_id).values(**values, updated_at=_now())
            )

    def accept_refinement(
        self,
        user: User,
        refinement_id: int,
        *,
        note: str,
        source_version_id: int | None = None,
        new_draft: bool = False,
        plan: LessonPlan | None = None,
        on_top_of: int | None = None,
    ) -> VersionInfo:
        """Save the proposal as a new version, once: accepting twice (two tabs) returns the same version.

        The proposal was made from the refinement's base version; if another version was saved
        since, StaleVersion is raised. After seeing the difference the teacher saves a merge
        (`plan`) or the proposal as it is, `on_top_of` the version now newest."""
        record = self.get_refinement(user, refinement_id)
        if record.status != "done" or not record.result_json:
            raise InvalidInput("这次修改还没有完成，不能保存 / This edit has not finished")
        with self._write() as conn:
            # Claim the refinement and write its version in one transaction: a second accept
            # either sees the claim or waits for this transaction and then sees the version.
            claimed = conn.execute(
                update(refinements)
                .where((refinements.c.id == refinement_id) & (refinements.c.version_id.is_(None)))
                .values(version_id=0, updated_at=_now())
            ).rowcount
            if claimed:
                version = self._insert_version(
                    conn,
                    user,
                    plan or record.result,  # a "part" proposal comes as `plan`, read by its type
                    draft_id=None if new_draft else record.draft_id,  # an adaptation starts its own plan
                    request_id=None,
                    backend=record.backend,
                    prompt_hash="",
                    note=note,
                    source_version_id=source_version_id,
                    base_version_id=None if new_draft else (on_top_of or record.base_version_id),
                )
                conn.execute(update(refinements).where(refinements.c.id == refinement_id).values(version_id=version.id))
                return version
        # Any type's version (a "part" refinement's is not a lesson plan).
        return self.get_document(user, self.get_refinement(user, refinement_id).version_id or 0)[0]
