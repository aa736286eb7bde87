"""What the store hands back: plain records."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from lesson_studio.models import LessonPlan, VersionInfo


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
    result: LessonPlan | None  # a lesson plan's proposal (None for a "part" refinement: see result_json)
    version_id: int | None
    # The proposal as saved. A "part" refinement's is another type's document, read by the Studio
    # with that type's document_model (the store knows no resource type).
    result_json: str = ""


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
        result=LessonPlan.model_validate_json(row.result_json) if row.result_json and row.kind != "part" else None,
        version_id=row.version_id,
        result_json=row.result_json or "",
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
