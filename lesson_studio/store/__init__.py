"""The one persistence package: users, requests, drafts, versions, jobs, reviews, the library
registry and the audit log (SQLAlchemy 2 Core), split by aggregate:

- schema.py   the tables and the ordered, named migrations
- base.py     the engine, write transactions, users, the audit log, access checks
- plans.py    requests, drafts, versions and per-tab working copies
- jobs.py     generation jobs and refinements, with their owner process and heartbeat
- library.py  the course library's documents, versions and chunks
- curation.py what leads change in the library (tags, single chunks), upload batches, hit tests
- records.py  the plain records these return

SQLite in the data folder by default; any SQLAlchemy URL (PostgreSQL for a district) through
DATABASE_URL. Every save is a new version row plus the draft's head pointer, in one transaction.

Migrations are an ordered list of named functions recorded in schema_migrations (simonw/llm's
shape) rather than Alembic: nothing to configure, they run at start-up on SQLite and PostgreSQL,
and a fresh test database is ready in milliseconds.
"""

from lesson_studio.store.base import StoreBase
from lesson_studio.store.curation import LibraryCurationMixin
from lesson_studio.store.jobs import JobsMixin
from lesson_studio.store.library import LibraryRegistryMixin
from lesson_studio.store.plans import PlansMixin
from lesson_studio.store.records import (
    DraftSummary,
    JobRecord,
    LibraryDocumentRecord,
    LibraryVersionRecord,
    RefinementRecord,
    WorkingCopy,
    plan_json,
)
from lesson_studio.store.schema import (
    MIGRATIONS,
    ROLES,
    audit,
    backend_settings,
    drafts,
    jobs,
    lesson_requests,
    library_chunks,
    library_documents,
    library_versions,
    metadata,
    migration,
    refinements,
    retrievals,
    review_comments,
    reviews,
    schema_migrations,
    users,
    versions,
    working_copies,
)


class Store(PlansMixin, JobsMixin, LibraryRegistryMixin, LibraryCurationMixin, StoreBase):
    """One database: every aggregate's methods on one object, as callers have always used it."""


__all__ = [
    "Store",
    "StoreBase",
    "DraftSummary",
    "JobRecord",
    "LibraryDocumentRecord",
    "LibraryVersionRecord",
    "RefinementRecord",
    "WorkingCopy",
    "plan_json",
    "ROLES",
    "MIGRATIONS",
    "metadata",
    "migration",
    "users",
    "lesson_requests",
    "drafts",
    "versions",
    "jobs",
    "audit",
    "working_copies",
    "refinements",
    "library_documents",
    "library_versions",
    "library_chunks",
    "reviews",
    "review_comments",
    "backend_settings",
    "retrievals",
    "schema_migrations",
]
