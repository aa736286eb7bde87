"""The one persistence module: users, requests, drafts, versions, jobs, audit (SQLAlchemy 2 Core).

SQLite in the data folder by default; any SQLAlchemy URL (PostgreSQL for a district) through
DATABASE_URL. Every save is a new version row plus the draft's head pointer, in one transaction.

Migrations are an ordered list of named functions recorded in schema_migrations (simonw/llm's
shape) rather than Alembic: one file, nothing to configure, runs at start-up on SQLite and
PostgreSQL, and a fresh test database is ready in milliseconds.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    case,
    create_engine,
    delete,
    event,
    func,
    insert,
    inspect,
    select,
    update,
)
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError, OperationalError

from lesson_studio.errors import InvalidInput, NotAllowed, NotFound, StaleVersion, StoreBusy
from lesson_studio.models import LessonPlan, LessonRequest, User, VersionInfo

ROLES = ("teacher", "lead", "admin")

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
    # Added by 005_accounts (a database made before it gets them by ALTER TABLE):
    # the name as compared (NFKC, case-folded): a look-alike of an existing name cannot be made.
    Column("name_key", String(64), nullable=True),
    Column("password_hash", String(255), nullable=True),  # argon2; None: cannot sign in with a password
    Column("email", String(254), nullable=True),  # lower-cased; single sign-on matches on it
    Column("disabled", Boolean, nullable=False, default=False),
    Column("failed_logins", Integer, nullable=False, default=0),
    Column("locked_until", DateTime(timezone=True), nullable=True),
    Column("must_change_password", Boolean, nullable=False, default=False),
    Column("password_changed_at", DateTime(timezone=True), nullable=True),
    # Bumped when a password is reset or changed or the account disabled: sessions holding an
    # older epoch end on their next click.
    Column("session_epoch", Integer, nullable=False, default=0),
    Index("ux_users_name_key", "name_key", unique=True),
    Index("ux_users_email", "email", unique=True),
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
    Column("source_version_id", Integer, nullable=True),  # added by 002_authoring
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
    # The sections that had arrived (PlanSections JSON), written after each one: a job that fails,
    # is cancelled or is cut off by a restart keeps them, and 继续生成 starts from there.
    Column("partial_json", Text, nullable=True),
    # What the page offers after a failure (llm.remedies: "continue,regenerate", "contact_admin", ...).
    Column("offers", String(120), nullable=False, default=""),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    # Added by 006_job_owner: the process that runs the job ("host:pid:token") and its last sign of
    # life. Only a job whose process is gone is failed by another process; a CLI command started
    # beside the app leaves the app's jobs alone.
    Column("owner", String(120), nullable=False, default=""),
    Column("heartbeat_at", DateTime(timezone=True), nullable=True),
    Column("cancel_requested", Boolean, nullable=False, default=False),
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


_working_copies_by_user = Table(
    "working_copies",
    metadata,
    # 002's shape: one working copy per draft and user, so a second tab overwrote the first one's
    # edit. 005 moves the rows into tab_working_copies and drops this table.
    Column("draft_id", Integer, ForeignKey("drafts.id"), primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id"), primary_key=True),
    Column("base_version_id", Integer, nullable=False),
    Column("content_json", Text, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)
working_copies = Table(
    "tab_working_copies",
    metadata,
    # One autosaved working copy per draft, user and browser tab, with the version it started
    # from; it never overwrites a saved version, and saving one tab never deletes another's.
    Column("draft_id", Integer, ForeignKey("drafts.id"), primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id"), primary_key=True),
    Column("tab_id", String(64), primary_key=True),
    Column("base_version_id", Integer, nullable=False),
    Column("content_json", Text, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)
refinements = Table(
    "refinements",
    metadata,
    # A model edit of a saved version (one section, rubric fixes, a chat request, an adaptation):
    # the result is a proposal the teacher reviews as a diff; accepting it writes one version.
    Column("id", Integer, primary_key=True),
    Column("idempotency_key", String(64), nullable=False, unique=True),
    Column("user_id", Integer, ForeignKey("users.id"), nullable=False),
    Column("draft_id", Integer, ForeignKey("drafts.id"), nullable=False),
    Column("base_version_id", Integer, nullable=False),
    Column("kind", String(16), nullable=False),  # section | fix | chat | adapt
    Column("payload_json", Text, nullable=False),
    Column("backend", String(64), nullable=False),
    Column("status", String(16), nullable=False),  # queued | running | done | failed | cancelled
    Column("error", Text, nullable=False, default=""),
    Column("result_json", Text, nullable=True),
    Column("version_id", Integer, nullable=True),  # set once, when the teacher accepts the proposal
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("owner", String(120), nullable=False, default=""),  # as jobs.owner (006_job_owner)
    Column("heartbeat_at", DateTime(timezone=True), nullable=True),
    Column("cancel_requested", Boolean, nullable=False, default=False),
)


def _m001_initial(conn: Connection) -> None:
    metadata.create_all(conn, tables=[users, lesson_requests, drafts, versions, jobs, audit])


def _m002_authoring(conn: Connection) -> None:
    metadata.create_all(conn, tables=[_working_copies_by_user, refinements])
    # Adapted plans record the version they were adapted from (diffable against it). A database
    # created after this column joined the table definition already has it from 001.
    if "source_version_id" not in {column["name"] for column in inspect(conn).get_columns("versions")}:
        conn.exec_driver_sql("ALTER TABLE versions ADD COLUMN source_version_id INTEGER")


# The course library's registry: documents, their versions (pending -> active | failed; the
# previous active one becomes retired and is kept for rollback) and the chunks of every version,
# with the jieba tokens the keyword index is built from. Vectors live in Chroma, keyed by chunk id.
library_documents = Table(
    "library_documents",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("title", String(300), nullable=False),
    Column("source_name", String(300), nullable=False),
    Column("tags_json", Text, nullable=False, default="{}"),
    Column("enabled", Boolean, nullable=False, default=True),
    Column("active_version_id", Integer, nullable=True),
    Column("created_by", Integer, nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)
library_versions = Table(
    "library_versions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("document_id", String(32), ForeignKey("library_documents.id"), nullable=False),
    Column("number", Integer, nullable=False),
    Column("sha256", String(64), nullable=False, index=True),
    Column("status", String(16), nullable=False),  # pending | active | failed | retired
    Column("error", Text, nullable=False, default=""),
    Column("title", String(300), nullable=False),
    Column("source_name", String(300), nullable=False),
    Column("tags_json", Text, nullable=False, default="{}"),
    Column("chunks", Integer, nullable=False, default=0),
    Column("chars", Integer, nullable=False, default=0),
    Column("catalogue_json", Text, nullable=True),  # the standards catalogue, for a 《指南》
    Column("has_vectors", Boolean, nullable=False, default=False),  # Chroma may hold its vectors
    Column("created_by", Integer, nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("activated_at", DateTime(timezone=True), nullable=True),
    UniqueConstraint("document_id", "number"),
)
library_chunks = Table(
    "library_chunks",
    metadata,
    Column("id", String(80), primary_key=True),  # f"{document_id}:{version}:{index}"
    Column("version_id", Integer, ForeignKey("library_versions.id"), nullable=False),
    Column("document_id", String(32), nullable=False),
    Column("idx", Integer, nullable=False),
    Column("text", Text, nullable=False),
    Column("heading", Text, nullable=False, default=""),
    Column("page", Integer, nullable=True),
    Column("char_start", Integer, nullable=False),
    Column("char_end", Integer, nullable=False),
    Column("age_band", String(16), nullable=False, default=""),
    Column("domain", String(16), nullable=False, default=""),
    Column("cps_stage", String(16), nullable=False, default=""),
    Column("resource_type", String(32), nullable=False, default=""),
    Column("tokens", Text, nullable=False, default=""),  # jieba tokens, space-separated
    Column("embedded", Boolean, nullable=False, default=False),
    Index("ix_library_chunks_version", "version_id", "idx"),
    Index("ix_library_chunks_embedded", "embedded"),
)


def _m003_library(conn: Connection) -> None:
    metadata.create_all(conn, tables=[library_documents, library_versions, library_chunks])


def _m004_job_partial(conn: Connection) -> None:
    columns = {column["name"] for column in inspect(conn).get_columns("jobs")}
    if "partial_json" not in columns:
        conn.exec_driver_sql("ALTER TABLE jobs ADD COLUMN partial_json TEXT")
    if "offers" not in columns:
        conn.exec_driver_sql("ALTER TABLE jobs ADD COLUMN offers VARCHAR(120) NOT NULL DEFAULT ''")


def _add_missing_columns(conn: Connection, table: Table, names: Iterable[str]) -> None:
    """ALTER TABLE ADD COLUMN for each named column the database lacks, typed for its dialect."""
    present = {column["name"] for column in inspect(conn).get_columns(table.name)}
    for name in names:
        if name in present:
            continue
        column = table.c[name]
        ddl = f"ALTER TABLE {table.name} ADD COLUMN {name} {column.type.compile(dialect=conn.dialect)}"
        if not column.nullable:
            default = column.default.arg if column.default is not None else None
            if isinstance(default, bool):
                literal = "true" if default else "false"
            elif isinstance(default, str):
                literal = "'" + default.replace("'", "''") + "'"
            else:
                literal = str(default)
            ddl += f" NOT NULL DEFAULT {literal}"
        conn.exec_driver_sql(ddl)


def _m005_accounts(conn: Connection) -> None:
    """Passwords, lockout, e-mail for single sign-on, disabled accounts, session epochs; names
    compared after normalisation; working copies per browser tab."""
    from lesson_studio.accounts import name_key  # the one normalisation rule

    _add_missing_columns(
        conn,
        users,
        [
            "name_key",
            "password_hash",
            "email",
            "disabled",
            "failed_logins",
            "locked_until",
            "must_change_password",
            "password_changed_at",
            "session_epoch",
        ],
    )
    # Accounts made before names were normalised: the first of two look-alikes keeps its name;
    # a later look-alike is disabled (an admin can rename or keep it) rather than merged.
    taken: set[str] = set()
    for row in conn.execute(select(users.c.id, users.c.username).order_by(users.c.id)).all():
        key = name_key(row.username)
        if key in taken:
            conn.execute(update(users).where(users.c.id == row.id).values(name_key=f"{key}#{row.id}", disabled=True))
        else:
            taken.add(key)
            conn.execute(update(users).where(users.c.id == row.id).values(name_key=key))
    conn.exec_driver_sql("CREATE UNIQUE INDEX IF NOT EXISTS ux_users_name_key ON users (name_key)")
    conn.exec_driver_sql("CREATE UNIQUE INDEX IF NOT EXISTS ux_users_email ON users (email)")
    metadata.create_all(conn, tables=[working_copies])
    old = inspect(conn).has_table(_working_copies_by_user.name)
    if old:
        rows = [dict(row._mapping) for row in conn.execute(select(_working_copies_by_user)).all()]
        if rows:
            conn.execute(insert(working_copies), [{**row, "tab_id": "earlier"} for row in rows])
        _working_copies_by_user.drop(conn)


# Review and approval (精品教案): a teacher submits a saved version; a lead comments per section,
# returns it or approves it into the library; approval can be withdrawn. One row per submission.
reviews = Table(
    "reviews",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("draft_id", Integer, ForeignKey("drafts.id"), nullable=False),
    Column("version_id", Integer, ForeignKey("versions.id"), nullable=False),
    Column("submitted_by", Integer, ForeignKey("users.id"), nullable=False),
    Column("status", String(16), nullable=False),  # submitted | returned | approved | withdrawn
    Column("reviewer_id", Integer, nullable=True),
    Column("library_document_id", String(32), nullable=True),  # the 精品教案 document, once approved
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("decided_at", DateTime(timezone=True), nullable=True),
    Index("ix_reviews_status", "status"),
    Index("ix_reviews_draft", "draft_id"),
)
review_comments = Table(
    "review_comments",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("review_id", Integer, ForeignKey("reviews.id"), nullable=False),
    Column("section", String(60), nullable=False),  # the section label (活动目标, 活动过程2·想办法 …)
    Column("body", Text, nullable=False),
    Column("author_id", Integer, ForeignKey("users.id"), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)


# What an admin configured on the 模型后端 page (lesson_studio.llm.page_config): "rows" and
# "routes" as JSON, and "key:<VAR>" as a Fernet token (the Fernet key is never in the database).
backend_settings = Table(
    "backend_settings",
    metadata,
    Column("name", String(120), primary_key=True),
    Column("value", Text, nullable=False),
    Column("updated_by", Integer, nullable=True),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)


# Which library passages generation retrieved, and when (the lead's usage figures).
retrievals = Table(
    "retrievals",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("document_id", String(32), nullable=False),
    Column("chunk_id", String(80), nullable=False),
    Column("user_id", Integer, nullable=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Index("ix_retrievals_document", "document_id", "at"),
)


def _m006_job_owner(conn: Connection) -> None:
    """Jobs and refinements carry their process and a heartbeat, and a cancel another process asked for."""
    for table in (jobs, refinements):
        _add_missing_columns(conn, table, ["owner", "heartbeat_at", "cancel_requested"])


def _m007_reviews(conn: Connection) -> None:
    metadata.create_all(conn, tables=[reviews, review_comments])


def _m008_backend_settings(conn: Connection) -> None:
    metadata.create_all(conn, tables=[backend_settings])


def _m009_retrievals(conn: Connection) -> None:
    metadata.create_all(conn, tables=[retrievals])


MIGRATIONS: list[tuple[str, Callable[[Connection], None]]] = [
    ("001_initial", _m001_initial),
    ("002_authoring", _m002_authoring),
    ("003_library", _m003_library),
    ("004_job_partial", _m004_job_partial),
    ("005_accounts", _m005_accounts),
    ("006_job_owner", _m006_job_owner),
    ("007_reviews", _m007_reviews),
    ("008_backend_settings", _m008_backend_settings),
    ("009_retrievals", _m009_retrievals),
]


def _now() -> datetime:
    return datetime.now(UTC)


def _aware(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes for what was stored as UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@dataclass(frozen=True)
class DraftSummary:
    id: int
    title: str
    owner_id: int
    resource_type: str
    head_version_id: int | None
    head_number: int
    updated_at: datetime
    owner_name: str = ""  # the author's display name (leads see everyone's plans)


@dataclass(frozen=True)
class WorkingCopy:
    tab_id: str
    base_version_id: int
    plan: LessonPlan
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
    partial_json: str | None = None  # the sections that had arrived (see jobs.partial_json)
    offers: str = ""  # comma-separated llm.remedies offers after a failure
    owner: str = ""  # the process running it (006_job_owner)
    cancel_requested: bool = False


class Store:
    def __init__(self, url: str):
        if url.startswith("sqlite:///"):
            Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        self.engine: Engine = create_engine(url, future=True)
        self._sqlite = self.engine.dialect.name == "sqlite"
        if self._sqlite:
            event.listen(self.engine, "connect", _sqlite_pragmas)
        self.migrate()

    @contextmanager
    def _write(self) -> Iterator[Connection]:
        """One write transaction. On SQLite it takes the write lock at its first statement
        (BEGIN IMMEDIATE): a transaction that read first and wrote later would fail at once with
        "database is locked" when another writer had committed in between, instead of waiting.
        Database trouble becomes a StudioError that says what to do; nothing half-written stays."""
        try:
            with self.engine.connect() as conn, conn.begin():
                if self._sqlite:
                    conn.exec_driver_sql("BEGIN IMMEDIATE")
                yield conn
        except OperationalError as error:
            if not _is_busy(error):
                raise
            raise StoreBusy(
                "数据库正忙（可能有人正在导入大文件），这次操作没有完成，也没有留下半截内容；请稍等几秒再试一次。"
                " / The database is busy (perhaps a large import); nothing was changed — try again in a few seconds."
            ) from error

    # --- schema --------------------------------------------------------------------------------

    def migrate(self) -> list[str]:
        applied_now: list[str] = []
        # Every process opens the store at start (the app, each CLI command): when nothing is
        # pending, only read, so a start never waits for another process's write lock.
        with self.engine.connect() as conn:
            if inspect(conn).has_table(schema_migrations.name):
                done = set(conn.execute(select(schema_migrations.c.name)).scalars())
                if done >= {name for name, _ in MIGRATIONS}:
                    return applied_now
        with self._write() as conn:
            schema_migrations.create(conn, checkfirst=True)
        for name, migration in MIGRATIONS:
            with self._write() as conn:
                done = conn.execute(select(schema_migrations.c.name).where(schema_migrations.c.name == name)).first()
                if done:
                    continue
                migration(conn)
                conn.execute(insert(schema_migrations).values(name=name, applied_at=_now()))
                applied_now.append(name)
        return applied_now

    # --- users ---------------------------------------------------------------------------------

    def ensure_user(self, username: str, *, role: str = "teacher", display_name: str = "") -> User:
        """Find or create an account without a password: the service accounts, benches and tests.
        People's accounts are made by lesson_studio.accounts (an admin, or the first-run setup);
        an account without a password cannot be signed into."""
        from lesson_studio.accounts import name_key, normalize_username

        name = normalize_username(username)
        key = name_key(name)
        with self._write() as conn:
            row = conn.execute(select(users).where(users.c.name_key == key)).first()
            if row is None:
                # A savepoint, so that on PostgreSQL the failed insert does not abort the transaction.
                with suppress(IntegrityError), conn.begin_nested():  # a concurrent call made it; read it below
                    conn.execute(
                        insert(users).values(
                            username=name,
                            name_key=key,
                            display_name=display_name or name,
                            role=role,
                            disabled=False,
                            failed_logins=0,
                            must_change_password=False,
                            session_epoch=0,
                            created_at=_now(),
                        )
                    )
                row = conn.execute(select(users).where(users.c.name_key == key)).first()
        assert row is not None
        return User(id=row.id, username=row.username, display_name=row.display_name, role=row.role)

    def user_display_names(self, user_ids: Iterable[int]) -> dict[int, str]:
        """Display names by id (the author of a plan a lead opens)."""
        ids = list(set(user_ids))
        if not ids:
            return {}
        with self.engine.connect() as conn:
            return dict(conn.execute(select(users.c.id, users.c.display_name).where(users.c.id.in_(ids))).all())

    # --- requests ------------------------------------------------------------------------------

    def save_request(self, user: User, request: LessonRequest, idempotency_key: str) -> int:
        """Save the request before any model call; the same key returns the same request id."""
        with self._write() as conn:
            existing = conn.execute(
                select(lesson_requests.c.id, lesson_requests.c.user_id).where(
                    lesson_requests.c.idempotency_key == idempotency_key
                )
            ).first()
            if existing:
                self._require_editor(user, existing.user_id)
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
        self._require_reader(user, row.user_id)
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
        source_version_id: int | None = None,
        base_version_id: int | None = None,
        tab_id: str | None = None,
    ) -> VersionInfo:
        """Every save is a new version row and a new head, in one transaction.

        With base_version_id (an edit of the version the teacher saw), a save on a version that is
        no longer the newest raises StaleVersion instead of silently writing over what someone
        saved in between; saving exactly the newest content again (a double click) returns the
        newest version rather than a duplicate. With tab_id, that tab's working copy is the one
        that became a version and is removed; other tabs' copies stay."""
        for attempt in range(3):
            try:
                with self._write() as conn:
                    return self._insert_version(
                        conn,
                        user,
                        plan,
                        draft_id=draft_id,
                        request_id=request_id,
                        backend=backend,
                        prompt_hash=prompt_hash,
                        note=note,
                        source_version_id=source_version_id,
                        base_version_id=base_version_id,
                        tab_id=tab_id,
                    )
            except IntegrityError:
                # The (draft, number) constraint caught a writer that slipped past the row lock (a
                # database without SELECT ... FOR UPDATE); numbering again resolves it.
                if attempt == 2:
                    raise StoreBusy(
                        "保存冲突（同时有多处在保存这份教案），这次没有保存；您的修改还在，请再点一次保存。"
                        " / Several saves of this plan collided; nothing was saved — your edit is kept, press save again."
                    ) from None
        raise AssertionError("unreachable")

    def _insert_version(
        self,
        conn: Connection,
        user: User,
        plan: LessonPlan,
        *,
        draft_id: int | None,
        request_id: int | None,
        backend: str,
        prompt_hash: str,
        note: str,
        source_version_id: int | None,
        base_version_id: int | None = None,
        tab_id: str | None = None,
    ) -> VersionInfo:
        now = _now()
        content = plan.model_dump_json()
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
            # The draft row is locked first (PostgreSQL: FOR UPDATE; SQLite: the transaction
            # already holds the write lock), so the head and the next number are read by one
            # writer at a time.
            draft = conn.execute(
                select(drafts.c.owner_id, drafts.c.head_version_id).where(drafts.c.id == draft_id).with_for_update()
            ).first()
            if draft is None:
                raise NotFound(f"找不到教案 {draft_id} / Draft {draft_id} not found")
            self._require_editor(user, draft.owner_id)
            if base_version_id is not None and draft.head_version_id not in (None, base_version_id):
                head = conn.execute(select(versions).where(versions.c.id == draft.head_version_id)).one()
                if head.content_json == content:
                    return _version_info(head)  # the same save again (a double click, a second tab)
                raise StaleVersion(
                    f"这份教案已被更新（第{head.number}版，{head.created_at:%H:%M}）：您的修改是在旧版本上做的。"
                    "请查看差异，合并后保存，或另存为新版本。 / This plan was updated meanwhile (v"
                    f"{head.number}); your edit was made on an older version — review the difference, merge, or save it as a new version.",
                    draft_id=draft_id,
                    base_version_id=base_version_id,
                    head_version_id=head.id,
                )
        number = (
            conn.execute(select(func.max(versions.c.number)).where(versions.c.draft_id == draft_id)).scalar() or 0
        ) + 1
        version_id = conn.execute(
            insert(versions).values(
                draft_id=draft_id,
                number=number,
                content_json=content,
                backend=backend,
                prompt_hash=prompt_hash,
                note=note,
                created_by=user.id,
                created_at=now,
                source_version_id=source_version_id,
            )
        ).inserted_primary_key[0]
        conn.execute(
            update(drafts).where(drafts.c.id == draft_id).values(head_version_id=version_id, title=plan.title, updated_at=now)
        )
        if tab_id is not None:
            # This tab's working copy is now a version; another tab's unsaved edit stays.
            conn.execute(
                working_copies.delete().where(
                    (working_copies.c.draft_id == draft_id)
                    & (working_copies.c.user_id == user.id)
                    & (working_copies.c.tab_id == tab_id)
                )
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
            source_version_id=source_version_id,
        )

    def list_drafts(self, user: User) -> list[DraftSummary]:
        """A teacher sees her own drafts; leads and admins see everyone's."""
        query = (
            select(drafts, versions.c.number, users.c.display_name.label("owner_name"))
            .join(versions, versions.c.id == drafts.c.head_version_id, isouter=True)
            .join(users, users.c.id == drafts.c.owner_id)
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
                owner_name=row.owner_name,
            )
            for row in rows
        ]

    def list_versions(self, user: User, draft_id: int) -> list[VersionInfo]:
        with self.engine.connect() as conn:
            owner = conn.execute(select(drafts.c.owner_id).where(drafts.c.id == draft_id)).scalar()
            if owner is None:
                raise NotFound(f"找不到教案 {draft_id} / Draft {draft_id} not found")
            self._require_reader(user, owner)
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
        self._require_reader(user, row.owner_id)
        return _version_info(row), LessonPlan.model_validate_json(row.content_json)

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
        """The user's latest generation jobs with their requests (to resume or retry after a reload)."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(jobs, lesson_requests.c.request_json)
                .join(lesson_requests, lesson_requests.c.id == jobs.c.request_id)
                .where(jobs.c.user_id == user.id)
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
                wanted += [(kind, row.id) for row in conn.execute(select(table.c.id).where(mine & table.c.cancel_requested.is_(True)))]
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
                        update(table).where(table.c.id.in_(orphans)).values(status="failed", error=messages[kind], updated_at=_now())
                    )
                failed += len(orphans)
        return failed

    # --- authoring: working copies and refinements ---------------------------------------------

    def draft_owner(self, user: User, draft_id: int, *, for_edit: bool = False) -> int:
        """The draft's author, after checking that the user may read it (or, for_edit, change it)."""
        with self.engine.connect() as conn:
            owner = conn.execute(select(drafts.c.owner_id).where(drafts.c.id == draft_id)).scalar()
        if owner is None:
            raise NotFound(f"找不到教案 {draft_id} / Draft {draft_id} not found")
        (self._require_editor if for_edit else self._require_reader)(user, owner)
        return owner

    def draft_request(self, user: User, draft_id: int) -> LessonRequest | None:
        """The request a draft was generated from (None for a draft made another way)."""
        self.draft_owner(user, draft_id)
        with self.engine.connect() as conn:
            row = conn.execute(
                select(lesson_requests.c.request_json)
                .join(drafts, drafts.c.request_id == lesson_requests.c.id)
                .where(drafts.c.id == draft_id)
            ).first()
        return LessonRequest.model_validate_json(row.request_json) if row else None

    def put_working_copy(
        self, user: User, draft_id: int, base_version_id: int, plan: LessonPlan, *, tab_id: str = "main"
    ) -> None:
        """Autosave of a manual edit in one browser tab; the last saved version stays as it was."""
        self.draft_owner(user, draft_id, for_edit=True)
        now = _now()
        key = (working_copies.c.draft_id == draft_id) & (working_copies.c.user_id == user.id) & (working_copies.c.tab_id == tab_id)
        with self._write() as conn:
            updated = conn.execute(
                update(working_copies)
                .where(key)
                .values(base_version_id=base_version_id, content_json=plan.model_dump_json(), updated_at=now)
            ).rowcount
            if not updated:
                conn.execute(
                    insert(working_copies).values(
                        draft_id=draft_id,
                        user_id=user.id,
                        tab_id=tab_id,
                        base_version_id=base_version_id,
                        content_json=plan.model_dump_json(),
                        updated_at=now,
                    )
                )

    def get_working_copy(self, user: User, draft_id: int, *, tab_id: str = "main") -> tuple[int, LessonPlan] | None:
        """(base_version_id, plan) of this tab's unsaved edits, if any."""
        copies = [copy for copy in self.working_copies(user, draft_id) if copy.tab_id == tab_id]
        return (copies[0].base_version_id, copies[0].plan) if copies else None

    def working_copies(self, user: User, draft_id: int) -> list[WorkingCopy]:
        """Every unsaved edit of this draft by this user, newest first (other tabs, closed tabs)."""
        self.draft_owner(user, draft_id, for_edit=True)
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(working_copies)
                .where((working_copies.c.draft_id == draft_id) & (working_copies.c.user_id == user.id))
                .order_by(working_copies.c.updated_at.desc())
            ).all()
        return [
            WorkingCopy(
                tab_id=row.tab_id,
                base_version_id=row.base_version_id,
                plan=LessonPlan.model_validate_json(row.content_json),
                updated_at=row.updated_at,
            )
            for row in rows
        ]

    def adopt_working_copy(self, user: User, draft_id: int, *, from_tab: str, to_tab: str) -> None:
        """Carry on in this tab with the unsaved edit another (perhaps closed) tab left."""
        self.draft_owner(user, draft_id, for_edit=True)
        mine = (working_copies.c.draft_id == draft_id) & (working_copies.c.user_id == user.id)
        with self._write() as conn:
            if from_tab == to_tab:
                return
            source = conn.execute(select(working_copies).where(mine & (working_copies.c.tab_id == from_tab))).first()
            if source is None:
                raise NotFound("这份未保存的修改已经不在了 / That unsaved edit is gone")
            conn.execute(working_copies.delete().where(mine & (working_copies.c.tab_id == to_tab)))
            conn.execute(update(working_copies).where(mine & (working_copies.c.tab_id == from_tab)).values(tab_id=to_tab))

    def discard_working_copy(self, user: User, draft_id: int, *, tab_id: str = "main") -> None:
        self.draft_owner(user, draft_id, for_edit=True)
        with self._write() as conn:
            conn.execute(
                working_copies.delete().where(
                    (working_copies.c.draft_id == draft_id)
                    & (working_copies.c.user_id == user.id)
                    & (working_copies.c.tab_id == tab_id)
                )
            )

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
            conn.execute(update(refinements).where(refinements.c.id == refinement_id).values(**values, updated_at=_now()))

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
        if record.status != "done" or record.result is None:
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
                    plan or record.result,
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
        return self.get_version(user, self.get_refinement(user, refinement_id).version_id or 0)[0]

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
                .where(library_documents.c.source_name == source_name, library_documents.c.active_version_id.is_not(None))
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
                update(library_versions).where(library_versions.c.id == target.id).values(status="active", activated_at=now)
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
                select(func.count(), func.max(library_documents.c.updated_at)).where(library_documents.c.enabled.is_(True))
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
                    select(library_chunks).where(library_chunks.c.version_id == version_id).order_by(library_chunks.c.idx)
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
            conn.execute(update(library_versions).where(library_versions.c.id.in_(version_ids)).values(has_vectors=True))

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
                select(func.count(), func.coalesce(func.sum(case((library_chunks.c.embedded.is_(True), 1), else_=0)), 0))
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

    def record_event(self, user: User | None, action: str, target: str) -> None:
        """An entry in the audit log (sign-ins, locks, rejected model output …)."""
        with self._write() as conn:
            self._audit(conn, user, action, target)

    def events(self, action: str) -> list[tuple[int | None, str]]:
        """(user id, target) of every audit entry of one kind, oldest first."""
        query = select(audit.c.user_id, audit.c.target).where(audit.c.action == action).order_by(audit.c.id)
        with self.engine.connect() as conn:
            return [(row.user_id, row.target) for row in conn.execute(query)]

    # --- helpers -------------------------------------------------------------------------------

    @staticmethod
    def _require_reader(user: User, owner_id: int) -> None:
        """A plan is read by its author, and by leads and admins (review, export)."""
        if user.id != owner_id and user.role not in ("lead", "admin"):
            raise NotAllowed("这份内容属于其他老师，您没有权限 / This belongs to another teacher")

    @staticmethod
    def _require_editor(user: User, owner_id: int) -> None:
        """Only the author changes a plan (edit, refine, restore, save): a lead reads and exports
        a teacher's plan and comments in review, but never rewrites it under the teacher's name."""
        if user.id != owner_id:
            if user.role in ("lead", "admin"):
                raise NotAllowed(
                    "这是其他老师的教案：教研组长和管理员可以阅读、导出，不能修改 / This is another teacher's plan:"
                    " leads and admins can read and export it, not change it"
                )
            raise NotAllowed("这份内容属于其他老师，您没有权限 / This belongs to another teacher")

    @staticmethod
    def _require_admin(user: User, action_zh: str, action_en: str) -> None:
        if user.role != "admin":
            raise NotAllowed(f"只有管理员可以{action_zh} / Only an admin can {action_en}")

    @staticmethod
    def _audit(conn: Connection, user: User | None, action: str, target: str) -> None:
        conn.execute(insert(audit).values(user_id=user.id if user else None, action=action, target=target, at=_now()))


@dataclass(frozen=True)
class RefinementRecord:
    id: int
    user_id: int
    draft_id: int
    base_version_id: int
    kind: str
    payload: dict
    backend: str
    status: str
    error: str
    result: LessonPlan | None
    version_id: int | None


def _refinement_record(row) -> RefinementRecord:  # type: ignore[no-untyped-def]
    return RefinementRecord(
        id=row.id,
        user_id=row.user_id,
        draft_id=row.draft_id,
        base_version_id=row.base_version_id,
        kind=row.kind,
        payload=json.loads(row.payload_json),
        backend=row.backend,
        status=row.status,
        error=row.error,
        result=LessonPlan.model_validate_json(row.result_json) if row.result_json else None,
        version_id=row.version_id,
    )


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
        source_version_id=row.source_version_id,
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
        partial_json=row.partial_json,
        offers=row.offers or "",
        owner=row.owner or "",
        cancel_requested=bool(row.cancel_requested),
    )


def _is_busy(error: OperationalError) -> bool:
    """A lock that was not granted in time, or a database server that cannot be reached: worth
    telling the user to try again. Anything else is a bug and must surface as one."""
    words = str(error.orig).lower()
    return error.connection_invalidated or any(
        phrase in words for phrase in ("database is locked", "database is busy", "could not connect", "connection refused", "lock timeout")
    )


def _sqlite_pragmas(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")  # readers (page polls) don't block the job's writes
    # Writers queue for the lock instead of failing: a library import holds it for about a second
    # (its rows are prepared outside the transaction), a save for milliseconds.
    cursor.execute("PRAGMA busy_timeout=20000")
    cursor.close()


def plan_json(plan: LessonPlan) -> str:
    return json.dumps(plan.model_dump(mode="json"), ensure_ascii=False, indent=2)


# --- library documents: records ----------------------------------------------------------------


@dataclass(frozen=True)
class LibraryDocumentRecord:
    id: str
    title: str
    source_name: str
    tags: dict[str, str]
    enabled: bool
    version: int  # the active version's number
    version_id: int
    sha256: str
    chunks: int
    chars: int
    embedded_chunks: int
    updated_at: datetime


@dataclass(frozen=True)
class LibraryVersionRecord:
    id: int
    document_id: str
    number: int
    sha256: str
    status: str  # pending | active | failed | retired
    error: str
    title: str
    source_name: str
    tags: dict[str, str]
    chunks: int
    created_at: datetime


def _library_version(row) -> LibraryVersionRecord:  # type: ignore[no-untyped-def]
    return LibraryVersionRecord(
        id=row.id,
        document_id=row.document_id,
        number=row.number,
        sha256=row.sha256,
        status=row.status,
        error=row.error,
        title=row.title,
        source_name=row.source_name,
        tags=json.loads(row.tags_json or "{}"),
        chunks=row.chunks,
        created_at=row.created_at,
    )
