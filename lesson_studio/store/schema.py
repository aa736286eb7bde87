"""The tables and the ordered, named migrations."""

from __future__ import annotations

from collections.abc import Callable, Iterable

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
    insert,
    inspect,
    select,
    update,
)
from sqlalchemy.engine import Connection

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
    # Added by 012_request_resource_type: what the request asks for (lesson_plan or another registered type),
    # so its JSON is read as that type's request; the draft it makes carries the same type.
    Column("resource_type", String(32), nullable=False, default="lesson_plan"),
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
    # Added by 013_drafts_by_type: each list (我的教案, and one per resource type) is one owner's drafts of one type.
    Index("ix_drafts_owner_type", "owner_id", "resource_type"),
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


# Migrations run in the order they are defined; each is named next to its function, so a name
# cannot drift from what it does. schema_migrations records the names applied.
MIGRATIONS: list[tuple[str, Callable[[Connection], None]]] = []


def migration(name: str) -> Callable[[Callable[[Connection], None]], Callable[[Connection], None]]:
    def register(function: Callable[[Connection], None]) -> Callable[[Connection], None]:
        if any(existing == name for existing, _ in MIGRATIONS):
            raise ValueError(f"two migrations are named {name}")
        MIGRATIONS.append((name, function))
        return function

    return register


@migration("001_initial")
def _m001_initial(conn: Connection) -> None:
    metadata.create_all(conn, tables=[users, lesson_requests, drafts, versions, jobs, audit])


@migration("002_authoring")
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
    # Added by 010_library_curation: a lead took this one passage out of retrieval (the rest of
    # the document stays searchable); it is kept and shown on the document's page.
    Column("disabled", Boolean, nullable=False, default=False),
    Index("ix_library_chunks_version", "version_id", "idx"),
    Index("ix_library_chunks_embedded", "embedded"),
)


@migration("003_library")
def _m003_library(conn: Connection) -> None:
    metadata.create_all(conn, tables=[library_documents, library_versions, library_chunks])


@migration("004_job_partial")
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


@migration("005_accounts")
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


@migration("006_job_owner")
def _m006_job_owner(conn: Connection) -> None:
    """Jobs and refinements carry their process and a heartbeat, and a cancel another process asked for."""
    for table in (jobs, refinements):
        _add_missing_columns(conn, table, ["owner", "heartbeat_at", "cancel_requested"])


@migration("007_reviews")
def _m007_reviews(conn: Connection) -> None:
    metadata.create_all(conn, tables=[reviews, review_comments])


@migration("008_backend_settings")
def _m008_backend_settings(conn: Connection) -> None:
    metadata.create_all(conn, tables=[backend_settings])


@migration("009_retrievals")
def _m009_retrievals(conn: Connection) -> None:
    metadata.create_all(conn, tables=[retrievals])


# Uploads from the 资源库管理 page: one batch per submit (its idempotency key makes a double click
# or a rerun the same batch), one item per file with the stage it reached. Kept in the store, not
# the browser session, so progress survives a reload and other leads see it.
library_upload_batches = Table(
    "library_upload_batches",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("idempotency_key", String(64), nullable=False, unique=True),
    Column("tags_json", Text, nullable=False, default="{}"),
    Column("created_by", Integer, nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
)
library_upload_items = Table(
    "library_upload_items",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("batch_id", Integer, ForeignKey("library_upload_batches.id"), nullable=False),
    Column("position", Integer, nullable=False),
    Column("file_name", String(300), nullable=False),
    Column("size", Integer, nullable=False),
    Column("sha256", String(64), nullable=False),
    # queued | checking | parsing | indexing | searchable (keyword search works; dense vectors
    # follow in the background) | unchanged | retagged | refused
    Column("state", String(16), nullable=False),
    Column("message", Text, nullable=False, default=""),  # the refusal or warning, in words a lead can act on
    Column("document_id", String(32), nullable=True),
    Column("version_id", Integer, nullable=True),  # the version it made (dense progress is read from its chunks)
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Index("ix_library_upload_items_batch", "batch_id", "position"),
)


@migration("010_library_curation")
def _m010_library_curation(conn: Connection) -> None:
    """Chunks a lead disabled; upload batches with per-file progress."""
    if inspect(conn).has_table(library_chunks.name):  # an old test database marks 003 applied without it
        _add_missing_columns(conn, library_chunks, ["disabled"])
    metadata.create_all(conn, tables=[library_upload_batches, library_upload_items])


# 检索测试: a question a lead saved with the passage it should find (the lead's regression check).
# The passage is kept by chunk id and by its document and text, so a new version of the document
# whose passage reads the same still counts as found.
library_hit_tests = Table(
    "library_hit_tests",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("question", Text, nullable=False),
    Column("age_band", String(16), nullable=False, default=""),
    Column("domain", String(16), nullable=False, default=""),
    Column("resource_type", String(32), nullable=False, default=""),
    Column("expected_chunk_id", String(80), nullable=False),
    Column("expected_document_id", String(32), nullable=False),
    Column("expected_text", Text, nullable=False),
    Column("created_by", Integer, nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
)


@migration("011_hit_tests")
def _m011_hit_tests(conn: Connection) -> None:
    metadata.create_all(conn, tables=[library_hit_tests])


@migration("012_request_resource_type")
def _m012_request_resource_type(conn: Connection) -> None:
    """Requests name their resource type; every request made before is a lesson plan's."""
    if inspect(conn).has_table(lesson_requests.name):  # a database made before 001's tables (tests' old ones)
        _add_missing_columns(conn, lesson_requests, ["resource_type"])


@migration("013_drafts_by_type")
def _m013_drafts_by_type(conn: Connection) -> None:
    """An index for listing one owner's drafts of one type."""
    inspector = inspect(conn)
    columns = (
        {column["name"] for column in inspector.get_columns(drafts.name)} if inspector.has_table(drafts.name) else set()
    )
    if {"owner_id", "resource_type"} <= columns:  # a test's old database may lack them
        next(index for index in drafts.indexes if index.name == "ix_drafts_owner_type").create(conn, checkfirst=True)


# A document's item expanded into a document of its own (a unit's activity into a lesson plan):
# the parent draft, the item's stable key in it, and the request the child was generated from (its
# job and draft follow from the request). One child per item: a second click opens the first.
draft_links = Table(
    "draft_links",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("parent_draft_id", Integer, ForeignKey("drafts.id"), nullable=False),
    Column("item_key", String(40), nullable=False),
    Column("child_request_id", Integer, ForeignKey("lesson_requests.id"), nullable=False),
    Column("created_by", Integer, ForeignKey("users.id"), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("parent_draft_id", "item_key", name="ux_draft_links_item"),
)


@migration("014_draft_links")
def _m014_draft_links(conn: Connection) -> None:
    metadata.create_all(conn, tables=[draft_links])
