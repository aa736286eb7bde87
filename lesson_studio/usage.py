"""What the library is used for, and what it lacks (for curriculum leads).

- Per document: how often generation retrieved its passages and how many saved plans cite it, by month.
- Coverage: the 《指南》's domains × age bands (and the CPS stages), counting library documents and
  saved plans per cell; a cell with fewer than THIN documents is marked 待补充 (to be added).
"""

from __future__ import annotations

import csv
import io
import json
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import insert, select

from lesson_studio import access
from lesson_studio.models import AGE_BANDS, CPS_STAGES, DOMAINS, Hit, User
from lesson_studio.store import Store, drafts, library_documents, library_versions, retrievals, versions

THIN = 2  # fewer library documents than this in a cell: 待补充
BANDS = tuple(band for band in AGE_BANDS if band != "混龄")


@dataclass
class DocumentUsage:
    document_id: str
    title: str
    resource_type: str
    enabled: bool
    retrieved: int = 0
    cited_in_plans: int = 0
    by_month: dict[str, tuple[int, int]] = field(default_factory=dict)  # "2026-12" -> (retrieved, cited)


@dataclass(frozen=True)
class CoverageCell:
    domain: str
    age_band: str
    documents: int
    plans: int

    @property
    def thin(self) -> bool:
        return self.documents < THIN


def record_retrieval(store: Store, user: User | None, hits: list[Hit]) -> None:
    """One row per passage generation was given (written once per generation, not per page view)."""
    if not hits:
        return
    now = datetime.now(UTC)
    with store._write() as conn:
        conn.execute(
            insert(retrievals),
            [{"document_id": h.citation.document_id, "chunk_id": h.chunk_id, "user_id": user.id if user else None, "at": now} for h in hits],
        )


def document_usage(store: Store, user: User) -> list[DocumentUsage]:
    """Every document with an active version, most used first."""
    _require_lead(user)
    with store.engine.connect() as conn:
        documents = conn.execute(
            select(library_documents.c.id, library_documents.c.title, library_documents.c.tags_json, library_documents.c.enabled)
            .where(library_documents.c.active_version_id.is_not(None))
        ).all()
        retrieved = conn.execute(select(retrievals.c.document_id, retrievals.c.at)).all()
        saved = conn.execute(
            select(versions.c.content_json, versions.c.created_at).join(drafts, drafts.c.head_version_id == versions.c.id)
        ).all()
    usage = {
        row.id: DocumentUsage(row.id, row.title, json.loads(row.tags_json or "{}").get("resource_type", ""), bool(row.enabled))
        for row in documents
    }
    months: dict[str, dict[str, list[int]]] = defaultdict(lambda: defaultdict(lambda: [0, 0]))
    for row in retrieved:
        if row.document_id in usage:
            usage[row.document_id].retrieved += 1
            months[row.document_id][f"{row.at:%Y-%m}"][0] += 1
    for row in saved:  # the newest version of every plan: what teachers keep
        cited = {c.get("document_id") for c in json.loads(row.content_json).get("citations", [])}
        for document_id in cited & usage.keys():
            usage[document_id].cited_in_plans += 1
            months[document_id][f"{row.created_at:%Y-%m}"][1] += 1
    for document_id, by_month in months.items():
        usage[document_id].by_month = {month: (counts[0], counts[1]) for month, counts in sorted(by_month.items())}
    return sorted(usage.values(), key=lambda u: (-u.cited_in_plans, -u.retrieved, u.title))


def coverage(store: Store, user: User) -> tuple[list[CoverageCell], dict[str, int]]:
    """(domain × age band cells, library documents per CPS stage). A document tagged 通用 (or with no
    band) counts for every band; the 《指南》 itself is left out (it covers everything by definition)."""
    _require_lead(user)
    with store.engine.connect() as conn:
        tags = [
            json.loads(row.tags_json or "{}")
            for row in conn.execute(
                select(library_documents.c.tags_json)
                .join(library_versions, library_versions.c.id == library_documents.c.active_version_id)
                .where(library_documents.c.enabled.is_(True))
            )
        ]
        plans = [
            json.loads(row.content_json)
            for row in conn.execute(select(versions.c.content_json).join(drafts, drafts.c.head_version_id == versions.c.id))
        ]
    documents: Counter = Counter()
    stages: Counter = Counter()
    for tag in tags:
        if tag.get("resource_type") == "指南":
            continue
        domains = [tag["domain"]] if tag.get("domain") in DOMAINS else list(DOMAINS)
        bands = [tag["age_band"]] if tag.get("age_band") in BANDS else list(BANDS)
        for domain in domains:
            for band in bands:
                documents[(domain, band)] += 1
        stage = tag.get("cps_stage", "")
        for counted in [stage] if stage in CPS_STAGES else list(CPS_STAGES):
            stages[counted] += 1
    saved: Counter = Counter((plan.get("domain"), plan.get("age_band")) for plan in plans)
    cells = [CoverageCell(d, b, documents[(d, b)], saved[(d, b)]) for d in DOMAINS for b in BANDS]
    return cells, {stage: stages[stage] for stage in CPS_STAGES}


def usage_csv(rows: list[DocumentUsage]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["document_id", "title", "resource_type", "enabled", "retrieved", "cited_in_plans", "by_month"])
    for row in rows:
        months = "; ".join(f"{month}: {r}/{c}" for month, (r, c) in row.by_month.items())
        writer.writerow([row.document_id, row.title, row.resource_type, row.enabled, row.retrieved, row.cited_in_plans, months])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")  # a BOM so that Excel reads the Chinese


def coverage_csv(cells: list[CoverageCell]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["domain", "age_band", "library_documents", "saved_plans", "to_add"])
    for cell in cells:
        writer.writerow([cell.domain, cell.age_band, cell.documents, cell.plans, "待补充" if cell.thin else ""])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def _require_lead(user: User) -> None:
    access.require_curator(user, "查看资源使用情况", "see library usage")
