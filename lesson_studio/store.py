"""The one persistence module: users, requests, drafts, versions, jobs, audit (SQLAlchemy 2 Core).

SQLite in the data folder by default; any SQLAlchemy URL (PostgreSQL for a district) through
DATABASE_URL. Every save is a new version row plus the draft's head pointer, in one transaction.

Migrations are an ordered list of named functions recorded in schema_migrations (simonw/llm's
shape) rather than Alembic: one file, nothing to configure, runs at start-up on SQLite and
PostgreSQL, and a fresh test database is ready in milliseconds.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import (
    Column,
    DateTime,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    create_engine,
    event,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError

from lesson_studio.errors import InvalidInput, NotAllowed, NotFound
from lesson_studio.models import LessonPlan, LessonRequest, User, VersionInfo

metadata = MetaData()

schema_migrations = Table(
    "schema_migrations",
    metadata,
    Column("name", String(100), primary_key=True),
    Column("applied_at", DateTime(timezone=True), nullable=False),
)
users = Table(
    "users",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("username", String(64), nullable=False, unique=True),
    Column("display_name", String(100), nullable=False, default=""),
    Column("role", String(16), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)
lesson_requests = Table(
    "lesson_requests",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id"), nullable=False),
    # The same key (a double click, a rerun, a second tab) returns the same saved request.
    Column("idempotency_key", String(64), nullable=False, unique=True),
    Column("request_json", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)
drafts = Table(
    "drafts",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("owner_id", Integer, ForeignKey("users.id"), nullable=False),
    Column("request_id", Integer, ForeignKey("lesson_requests.id"), nullable=True),
    Column("resource_type", String(32), nullable=False, default="lesson_plan"),
    Column("title", String(200), nullable=False),
    Column("head_version_id", Integer, nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)
versions = Table(
    "versions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("draft_id", Integer, ForeignKey("drafts.id"), nullable=False),
    Column("number", Integer, nullable=False),
    Column("content_json", Text, nullable=False),
    Column("backend", String(64), nullable=False, default=""),
    Column("prompt_hash", String(64), nullable=False, default=""),
    Column("note", String(300), nullable=False, default=""),
    Column("created_by", Integer, ForeignKey("users.id"), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("draft_id", "number"),
)
jobs = Table(
    "jobs",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("request_id", Integer, ForeignKey("lesson_requests.id"), nullable=False, unique=True),
    Column("user_id", Integer, ForeignKey("users.id"), nullable=False),
    Column("backend", String(64), nullable=False),
    Column("status", String(16), nullable=False),  # queued | running | done | failed | cancelled
    Column("error", Text, nullable=False, default=""),
    Column("draft_id", Integer, nullable=True),
    Column("version_id", Integer, nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)
audit = Table(
    "audit",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("user_id", Integer, nullable=True),
    Column("action", String(64), nullable=False),
    Column("target", String(200), nullable=False, default=""),
    Column("at", DateTime(timezone=True), nullable=False),
)


def _m001_initial(conn: Connection) -> None:
    metadata.create_all(conn, tables=[users, lesson_requests, drafts, versions, jobs, audit])


MIGRATIONS: list[tuple[str, Callable[[Connection], None]]] = [
    ("001_initial", _m001_initial),
]


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class DraftSummary:
    id: int
    title: str
    owner_id: int
    resource_type: str
    head_version_id: int | None
    head_number: int
    updated_at: datetime


@dataclass(frozen=True)
class JobRecord:
    id: int
    request_id: int
    user_id: int
    backend: str
    status: str
    error: str
    draft_id: int | None
    version_id: int | None


class Store:
    def __init__(self, url: str):
        if url.startswith("sqlite:///"):
            Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        self.engine: Engine = create_engine(url, future=True)
        if self.engine.dialect.name == "sqlite":
            event.listen(self.engine, "connect", _sqlite_pragmas)
        self.migrate()

    # --- schema --------------------------------------------------------------------------------

    def migrate(self) -> list[str]:
        applied_now: list[str] = []
        with self.engine.begin() as conn:
            schema_migrations.create(conn, checkfirst=True)
        for name, migration in MIGRATIONS:
            with self.engine.begin() as conn:
                done = conn.execute(select(schema_migrations.c.name).where(schema_migrations.c.name == name)).first()
                if done:
                    continue
                migration(conn)
                conn.execute(insert(schema_migrations).values(name=name, applied_at=_now()))
                applied_now.append(name)
        return applied_now

    # --- users ---------------------------------------------------------------------------------

    def ensure_user(self, username: str, *, role: str = "teacher", display_name: str = "") -> User:
        """Find or create an account (bootstrap and sign-in; role changes are an admin action)."""
        username = username.strip()
        if not username or len(username) > 64:
            raise InvalidInput("用户名不能为空，且不超过64个字符 / Username must be 1–64 characters")
        with self.engine.begin() as conn:
            row = conn.execute(select(users).where(users.c.username == username)).first()
            if row is None:
                try:
                    conn.execute(
                        insert(users).values(
                            username=username, display_name=display_name or username, role=role, created_at=_now()
                        )
                    )
                except IntegrityError:
                    pass  # created by a concurrent sign-in; read it below
                row = conn.execute(select(users).where(users.c.username == username)).first()
        assert row is not None
        return User(id=row.id, username=row.username, display_name=row.display_name, role=row.role)

    # --- requests ------------------------------------------------------------------------------

    def save_request(self, user: User, request: LessonRequest, idempotency_key: str) -> int:
        """Save the request before any model call; the same key returns the same request id."""
        with self.engine.begin() as conn:
            existing = conn.execute(
                select(lesson_requests.c.id, lesson_requests.c.user_id).where(
                    lesson_requests.c.idempotency_key == idempotency_key
                )
            ).first()
            if existing:
                self._require_owner(user, existing.user_id)
                return existing.id
            try:
                result = conn.execute(
                    insert(lesson_requests).values(
                        user_id=user.id,
                        idempotency_key=idempotency_key,
                        request_json=request.model_dump_json(),
                        created_at=_now(),
                    )
                )
                request_id = result.inserted_primary_key[0]
            except IntegrityError:
                conn.rollback()
                return self.save_request(user, request, idempotency_key)
            self._audit(conn, user, "save_request", f"request:{request_id}")
            return request_id

    def get_request(self, user: User, request_id: int) -> LessonRequest:
        with self.engine.connect() as conn:
            row = conn.execute(select(lesson_requests).where(lesson_requests.c.id == request_id)).first()
        if row is None:
            raise NotFound(f"找不到请求 {request_id} / Request {request_id} not found")
        self._require_owner(user, row.user_id)
        return LessonRequest.model_validate_json(row.request_json)

    # --- drafts and versions -------------------------------------------------------------------

    def save_version(
        self,
        user: User,
        plan: LessonPlan,
        *,
        draft_id: int | None = None,
        request_id: int | None = None,
        backend: str = "",
        prompt_hash: str = "",
        note: str = "",
    ) -> VersionInfo:
        """Every save is a new version row and a new head, in one transaction."""
        now = _now()
        with self.engine.begin() as conn:
            if draft_id is None:
                draft_id = conn.execute(
                    insert(drafts).values(
                        owner_id=user.id,
                        request_id=request_id,
                        resource_type="lesson_plan",
                        title=plan.title,
                        created_at=now,
                        updated_at=now,
                    )
                ).inserted_primary_key[0]
            else:
                owner = conn.execute(select(drafts.c.owner_id).where(drafts.c.id == draft_id)).scalar()
                if owner is None:
                    raise NotFound(f"找不到教案 {draft_id} / Draft {draft_id} not found")
                self._require_owner(user, owner)
            number = (
                conn.execute(select(func.max(versions.c.number)).where(versions.c.draft_id == draft_id)).scalar() or 0
            ) + 1
            version_id = conn.execute(
                insert(versions).values(
                    draft_id=draft_id,
                    number=number,
                    content_json=plan.model_dump_json(),
                    backend=backend,
                    prompt_hash=prompt_hash,
                    note=note,
                    created_by=user.id,
                    created_at=now,
                )
            ).inserted_primary_key[0]
            conn.execute(
                update(drafts)
                .where(drafts.c.id == draft_id)
                .values(head_version_id=version_id, title=plan.title, updated_at=now)
            )
            self._audit(conn, user, "save_version", f"draft:{draft_id}:v{number}")
        return VersionInfo(
            id=version_id,
            draft_id=draft_id,
            number=number,
            created_at=now,
            created_by=user.id,
            backend=backend,
            prompt_hash=prompt_hash,
            note=note,
        )

    def list_drafts(self, user: User) -> list[DraftSummary]:
        """A teacher sees her own drafts; leads and admins see everyone's."""
        query = (
            select(drafts, versions.c.number)
            .join(versions, versions.c.id == drafts.c.head_version_id, isouter=True)
            .order_by(drafts.c.updated_at.desc())
        )
        if user.role == "teacher":
            query = query.where(drafts.c.owner_id == user.id)
        with self.engine.connect() as conn:
            rows = conn.execute(query).all()
        return [
            DraftSummary(
                id=row.id,
                title=row.title,
                owner_id=row.owner_id,
                resource_type=row.resource_type,
                head_version_id=row.head_version_id,
                head_number=row.number or 0,
                updated_at=row.updated_at,
            )
            for row in rows
        ]

    def list_versions(self, user: User, draft_id: int) -> list[VersionInfo]:
        with self.engine.connect() as conn:
            owner = conn.execute(select(drafts.c.owner_id).where(drafts.c.id == draft_id)).scalar()
            if owner is None:
                raise NotFound(f"找不到教案 {draft_id} / Draft {draft_id} not found")
            self._require_owner(user, owner)
            rows = conn.execute(
                select(versions).where(versions.c.draft_id == draft_id).order_by(versions.c.number)
            ).all()
        return [_version_info(row) for row in rows]

    def get_version(self, user: User, version_id: int) -> tuple[VersionInfo, LessonPlan]:
        with self.engine.connect() as conn:
            row = conn.execute(
                select(versions, drafts.c.owner_id)
                .join(drafts, drafts.c.id == versions.c.draft_id)
                .where(versions.c.id == version_id)
            ).first()
        if row is None:
            raise NotFound(f"找不到版本 {version_id} / Version {version_id} not found")
        self._require_owner(user, row.owner_id)
        return _version_info(row), LessonPlan.model_validate_json(row.content_json)

    # --- jobs ----------------------------------------------------------------------------------

    def create_job(self, user: User, request_id: int, backend: str) -> tuple[JobRecord, bool]:
        """The job for a request, created once; returns (job, created_now)."""
        now = _now()
        with self.engine.begin() as conn:
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
                            )
                        )
                    created = True
                except IntegrityError:
                    created = False
                row = conn.execute(select(jobs).where(jobs.c.request_id == request_id)).first()
            else:
                created = False
        assert row is not None
        self._require_owner(user, row.user_id)
        return _job_record(row), created

    def update_job(self, job_id: int, **values: object) -> None:
        allowed = {"status", "error", "draft_id", "version_id", "backend"}
        if not values.keys() <= allowed:
            raise ValueError(f"unknown job fields: {values.keys() - allowed}")
        with self.engine.begin() as conn:
            conn.execute(update(jobs).where(jobs.c.id == job_id).values(**values, updated_at=_now()))

    def get_job(self, user: User, job_id: int) -> JobRecord:
        with self.engine.connect() as conn:
            row = conn.execute(select(jobs).where(jobs.c.id == job_id)).first()
        if row is None:
            raise NotFound(f"找不到生成任务 {job_id} / Job {job_id} not found")
        self._require_owner(user, row.user_id)
        return _job_record(row)

    def fail_interrupted_jobs(self) -> int:
        """At start-up: a job still queued or running was cut off by a restart; its request is kept."""
        with self.engine.begin() as conn:
            result = conn.execute(
                update(jobs)
                .where(jobs.c.status.in_(("queued", "running")))
                .values(status="failed", error="服务重启中断了生成，请重试 / Interrupted by a restart; retry", updated_at=_now())
            )
        return result.rowcount or 0

    # --- helpers -------------------------------------------------------------------------------

    @staticmethod
    def _require_owner(user: User, owner_id: int) -> None:
        if user.id != owner_id and user.role not in ("lead", "admin"):
            raise NotAllowed("这份内容属于其他老师，您没有权限 / This belongs to another teacher")

    @staticmethod
    def _audit(conn: Connection, user: User | None, action: str, target: str) -> None:
        conn.execute(insert(audit).values(user_id=user.id if user else None, action=action, target=target, at=_now()))


def _version_info(row) -> VersionInfo:  # type: ignore[no-untyped-def]
    return VersionInfo(
        id=row.id,
        draft_id=row.draft_id,
        number=row.number,
        created_at=row.created_at,
        created_by=row.created_by,
        backend=row.backend,
        prompt_hash=row.prompt_hash,
        note=row.note,
    )


def _job_record(row) -> JobRecord:  # type: ignore[no-untyped-def]
    return JobRecord(
        id=row.id,
        request_id=row.request_id,
        user_id=row.user_id,
        backend=row.backend,
        status=row.status,
        error=row.error,
        draft_id=row.draft_id,
        version_id=row.version_id,
    )


def _sqlite_pragmas(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")  # readers (page polls) don't block the job's writes
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


def plan_json(plan: LessonPlan) -> str:
    return json.dumps(plan.model_dump(mode="json"), ensure_ascii=False, indent=2)
