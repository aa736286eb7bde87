"""What a curriculum lead does to the library beyond adding files: edit tags (one document or many),
disable single passages, read a document's chunks as the retriever sees them, list documents in
every state with filters, keep hit-test questions as a regression check, and tell which passages a
plan cites that were retired since. Every action checks the role here (lesson_studio.access).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from lesson_studio import access
from lesson_studio.errors import InvalidInput, NotFound
from lesson_studio.library.catalogue import GUIDE_RESOURCE_TYPE
from lesson_studio.library.tags import ALLOWED, check_tags
from lesson_studio.models import Citation, User
from lesson_studio.store.curation import DocumentOverviewRecord

if TYPE_CHECKING:
    from lesson_studio.library.retriever import RankedHit
    from lesson_studio.library.uploads import Uploads
    from lesson_studio.store import Store

TAG_KEYS = tuple(ALLOWED)  # age_band, domain, cps_stage, resource_type
DOCUMENT_STATES = ("active", "disabled", "pending", "failed")
HIT_TEST_DEPTH = 5  # a saved question passes when its passage is in the top 5
# Offered in the pages' resource-type fields (any other short text is allowed too).
COMMON_RESOURCE_TYPES = ("教案", "活动案例", "方法卡", "精品教案", "指南")


@dataclass(frozen=True)
class DocumentRow:
    """One document in the lead's list. state: active | disabled | pending (importing, or dense
    vectors still being built: keyword search already finds it) | failed (no version ever landed)."""

    document_id: str
    title: str
    source_name: str
    tags: dict[str, str]
    state: str
    version: int | None
    chunks: int
    embedded_chunks: int
    uploaded_by: str
    updated_at: datetime
    error: str


@dataclass(frozen=True)
class ChunkView:
    """A chunk exactly as the retriever holds it: the text, the heading path that is indexed with it,
    the tags search filters on, and whether it is searchable."""

    chunk_id: str
    index: int
    heading: str
    page: int | None
    text: str
    tags: dict[str, str]
    disabled: bool
    embedded: bool

    @property
    def length(self) -> int:
        return len(self.text)


@dataclass(frozen=True)
class HitTestResult:
    """A saved question and where its expected passage ranks now (None: not in the top 5)."""

    id: int
    question: str
    age_band: str
    domain: str
    resource_type: str
    expected_chunk_id: str
    expected_document_id: str
    expected_text: str
    created_by: str
    rank: int | None

    @property
    def found(self) -> bool:
        return self.rank is not None


def document_state(record: DocumentOverviewRecord) -> str:
    if record.active_version is None:
        return "pending" if record.latest_status == "pending" else "failed"
    if not record.enabled:
        return "disabled"
    if record.latest_status == "pending" or record.embedded_chunks < record.chunks:
        return "pending"
    return "active"


def filter_documents(
    rows: Iterable[DocumentRow],
    *,
    text: str = "",
    tags: Mapping[str, str] | None = None,
    states: Iterable[str] = (),
    uploaded_by: str = "",
    changed_since: datetime | None = None,
) -> list[DocumentRow]:
    """The rows matching every filter given: text in the title or file name (case-insensitive), each
    tag exactly, one of the states, the uploader's name, a last change on or after a moment."""
    needle = text.strip().casefold()
    wanted_tags = {key: value for key, value in (tags or {}).items() if value}
    wanted_states = set(states)
    return [
        row
        for row in rows
        if (not needle or needle in row.title.casefold() or needle in row.source_name.casefold())
        and all(row.tags.get(key) == value for key, value in wanted_tags.items())
        and (not wanted_states or row.state in wanted_states)
        and (not uploaded_by or row.uploaded_by == uploaded_by)
        and (changed_since is None or row.updated_at >= changed_since)
    ]


def citation_notices(store: Store, user: User, citations: Iterable[Citation]) -> dict[str, str]:
    """chunk id -> why the passage a plan cites is retired (removed or disabled document, a
    disabled passage, an older version); passages still served are left out. Only the registry
    is read, so opening a plan never loads the vector index."""
    access.signed_in(user)
    cited = list(citations)
    if not cited:
        return {}
    chunks = store.library_chunk_statuses([c.chunk_id for c in cited])
    documents = store.library_document_states([c.document_id for c in cited])
    notices: dict[str, str] = {}
    for citation in cited:
        chunk = chunks.get(citation.chunk_id)
        document = documents.get(citation.document_id)
        if document is None:
            notices[citation.chunk_id] = "来源已从资源库删除 / The source was removed from the library"
        elif not document[0]:
            notices[citation.chunk_id] = "来源资料已停用 / The source document was disabled"
        elif chunk is None:
            notices[citation.chunk_id] = (
                "来源资料已更新，这段已不在资源库中 / The source was replaced; this passage is gone"
            )
        elif chunk.version_status != "active":
            notices[citation.chunk_id] = (
                f"引用的是第 {chunk.version_number} 版，资源库现用第 {document[1]} 版 / Cites version "
                f"{chunk.version_number}; the library now serves version {document[1]}"
            )
        elif chunk.disabled:
            notices[citation.chunk_id] = "这段资料已被教研组长停用 / A lead disabled this passage"
    return notices


class CurationMixin:
    """The lead's library actions, mixed into Library (which provides store, search, _invalidate)."""

    store: Store

    def _invalidate(self) -> None: ...  # Library's: search rebuilds its view

    search: Any
    _uploads: Uploads | None = None
    _hit_test_results: tuple[Any, list[HitTestResult]] | None = None

    # --- tags --------------------------------------------------------------------------------------

    def set_tags(self, user: User, document_ids: list[str], changes: Mapping[str, str]) -> list[str]:
        """Change tags on one or many documents: each key given is set to its value, or removed
        when the value is "". Returns the documents that changed. Chunks follow their document,
        except an age band or domain a chunk took from its own heading or line label."""
        access.require_curator(user, "修改资料标签", "change document tags")
        if not document_ids:
            raise InvalidInput("请先选择要修改标签的资料 / Choose the documents to tag first")
        unknown = [key for key in changes if key not in TAG_KEYS]
        if unknown:
            raise InvalidInput(
                f"未知的标签：{'、'.join(unknown)}（可用：{'、'.join(TAG_KEYS)}）/ Unknown tag: {', '.join(unknown)} "
                f"(use {', '.join(TAG_KEYS)})"
            )
        to_set = check_tags({key: value for key, value in changes.items() if value.strip()})
        to_remove = {key for key, value in changes.items() if not value.strip()}
        records = {record.id: record for record in self.store.library_document_overview()}
        missing = [document_id for document_id in document_ids if document_id not in records]
        if missing:
            raise NotFound(f"资料库中没有该文档：{'、'.join(missing)} / No such library document: {', '.join(missing)}")
        for document_id in document_ids:  # every document is checked before any is changed
            _check_guide_unchanged(records[document_id], to_set, to_remove)
        changed = []
        for document_id in document_ids:
            if self._retag(user, document_id, to_set, to_remove, record=records[document_id]):
                changed.append(document_id)
        if changed:
            self._invalidate()
        return changed

    def _retag(
        self,
        user: User,
        document_id: str,
        to_set: Mapping[str, str],
        to_remove: Iterable[str] = (),
        *,
        record: DocumentOverviewRecord | None = None,
    ) -> bool:
        """Apply checked tags to one document; False when they were already its tags."""
        if record is None:
            record = next((r for r in self.store.library_document_overview() if r.id == document_id), None)
            if record is None:
                raise NotFound(f"资料库中没有该文档：{document_id} / No such library document: {document_id}")
            _check_guide_unchanged(record, to_set, set(to_remove))
        old = dict(record.tags)
        new = {key: value for key, value in {**old, **to_set}.items() if key not in set(to_remove)}
        if new == old:
            return False
        chunk_values: dict[str, dict[str, str]] = {}
        active = self.store.library_documents(document_id)
        if active:
            for row in self.store.library_chunks_of(active[0].version_id):
                values = {}
                for key in TAG_KEYS:
                    current = getattr(row, key) or ""
                    # An age band or domain differing from the old document tag came from the
                    # chunk's own heading or line label (3～4岁：…, 一、健康) and stays.
                    follows_document = key in ("cps_stage", "resource_type") or current == old.get(key, "")
                    if follows_document and current != new.get(key, ""):
                        values[key] = new.get(key, "")
                if values:
                    chunk_values[row.id] = values
        self.store.library_set_tags(user, document_id, new, chunk_values)
        return True

    # --- single passages ---------------------------------------------------------------------------

    def set_chunk_enabled(self, user: User, chunk_id: str, enabled: bool) -> None:
        """Take one passage out of retrieval (a wrong or outdated paragraph) or put it back."""
        access.require_curator(user, "停用或启用资料片段", "disable or enable passages")
        self.store.library_set_chunk_disabled(user, chunk_id, not enabled)
        self._invalidate()

    def document_chunks(self, user: User, document_id: str, version: int | None = None) -> list[ChunkView]:
        """A document's chunks (the active version, or `version`), disabled ones included."""
        access.require_curator(user, "查看资料的分段", "inspect a document's chunks")
        versions = self.store.library_versions(document_id)
        if not versions:
            raise NotFound(f"资料库中没有该文档：{document_id} / No such library document: {document_id}")
        if version is None:
            chosen = next((v for v in versions if v.status == "active"), None)
            if chosen is None:
                return []
        else:
            chosen = next((v for v in versions if v.number == version), None)
            if chosen is None:
                raise NotFound(f"{document_id} 没有第 {version} 版 / {document_id} has no version {version}")
        return [
            ChunkView(
                chunk_id=row.id,
                index=row.idx,
                heading=row.heading,
                page=row.page,
                text=row.text,
                tags={key: getattr(row, key) for key in TAG_KEYS if getattr(row, key)},
                disabled=bool(row.disabled),
                embedded=bool(row.embedded),
            )
            for row in self.store.library_chunks_of(chosen.id)
        ]

    # --- the lead's document list ------------------------------------------------------------------

    def documents_overview(self, user: User) -> list[DocumentRow]:
        """Every document in every state (failed and importing ones too), newest change first."""
        access.require_curator(user, "管理资源库", "manage the library")
        return [
            DocumentRow(
                document_id=record.id,
                title=record.title,
                source_name=record.source_name,
                tags=record.tags,
                state=document_state(record),
                version=record.active_version,
                chunks=record.chunks,
                embedded_chunks=record.embedded_chunks,
                uploaded_by=record.uploaded_by,
                updated_at=record.updated_at,
                error=record.latest_error if record.latest_status == "failed" else "",
            )
            for record in self.store.library_document_overview()
        ]

    # --- uploads -----------------------------------------------------------------------------------

    @property
    def uploads(self) -> Uploads:
        """Upload batches from the 资源库管理 page, with per-file progress kept in the store."""
        if self._uploads is None:
            from lesson_studio.library.uploads import Uploads

            self._uploads = Uploads(self)  # type: ignore[arg-type]
        return self._uploads

    # --- hit testing -------------------------------------------------------------------------------

    def hit_test(
        self,
        user: User,
        question: str,
        *,
        k: int = 10,
        age_band: str | None = None,
        domain: str | None = None,
        resource_type: str | None = None,
    ) -> list[RankedHit]:
        """检索测试: the ranking generation's retriever gives, with each side's rank, for a lead."""
        access.require_curator(user, "做检索测试", "test retrieval")
        return self.search(
            user,
            question,
            k=k,
            age_band=age_band or None,
            domain=domain or None,
            resource_types=[resource_type] if resource_type else None,
            with_ranks=True,
        )

    def save_hit_test(
        self,
        user: User,
        question: str,
        chunk_id: str,
        *,
        age_band: str = "",
        domain: str = "",
        resource_type: str = "",
    ) -> int:
        """Keep a question with the passage it should find (the lead's regression check)."""
        access.require_curator(user, "保存检索测试问题", "save hit-test questions")
        question = question.strip()
        if not question:
            raise InvalidInput("请先输入检索问题 / Enter the question first")
        status = self.store.library_chunk_statuses([chunk_id]).get(chunk_id)
        if status is None:
            raise NotFound(f"资料库中没有这段资料：{chunk_id} / No such passage in the library: {chunk_id}")
        row = next(r for r in self.store.library_chunks_of(_version_id(self.store, status)) if r.id == chunk_id)
        return self.store.hit_test_save(
            user,
            question=question[:1000],
            age_band=age_band,
            domain=domain,
            resource_type=resource_type,
            chunk_id=chunk_id,
            document_id=status.document_id,
            text=row.text,
        )

    def remove_hit_test(self, user: User, test_id: int) -> None:
        access.require_curator(user, "删除检索测试问题", "remove hit-test questions")
        self.store.hit_test_remove(user, test_id)

    def check_hit_tests(self, user: User) -> list[HitTestResult]:
        """Every saved question run through the retriever now: where its passage ranks in the top 5.
        A passage counts as found by its chunk id, or by its document and its text unchanged (a
        new version that kept the paragraph)."""
        access.require_curator(user, "做检索测试", "test retrieval")
        tests = self.store.hit_tests()
        # The page asks on every click; the answers change only with the library (its active
        # versions, enabled documents and chunks, dense vectors) or the questions. A query costs
        # about a second while the embedded model is generating (DESIGN.md), so they are kept.
        key = (self.store.library_generation(), self.store.library_embedding_progress(), tuple(tests))
        if self._hit_test_results is not None and self._hit_test_results[0] == key:
            return list(self._hit_test_results[1])
        results = []
        for test in tests:
            hits = self.search(
                user,
                test.question,
                k=HIT_TEST_DEPTH,
                age_band=test.age_band or None,
                domain=test.domain or None,
                resource_types=[test.resource_type] if test.resource_type else None,
            )
            rank = next(
                (
                    number
                    for number, hit in enumerate(hits, start=1)
                    if hit.chunk_id == test.expected_chunk_id
                    or (hit.citation.document_id == test.expected_document_id and hit.text == test.expected_text)
                ),
                None,
            )
            results.append(
                HitTestResult(
                    id=test.id,
                    question=test.question,
                    age_band=test.age_band,
                    domain=test.domain,
                    resource_type=test.resource_type,
                    expected_chunk_id=test.expected_chunk_id,
                    expected_document_id=test.expected_document_id,
                    expected_text=test.expected_text,
                    created_by=test.created_by,
                    rank=rank,
                )
            )
        self._hit_test_results = (key, results)
        return list(results)


def _check_guide_unchanged(record: DocumentOverviewRecord, to_set: Mapping[str, str], to_remove: set[str]) -> None:
    """The 《指南》's standards catalogue is parsed at upload: its type cannot be given or taken by a tag edit."""
    was_guide = record.tags.get("resource_type") == GUIDE_RESOURCE_TYPE
    becomes = to_set.get("resource_type", None if "resource_type" not in to_remove else "")
    if becomes is None or (becomes == GUIDE_RESOURCE_TYPE) == was_guide:
        return
    raise InvalidInput(
        f"《{record.title}》：“{GUIDE_RESOURCE_TYPE}”类型只能在上传时设定（要解析其中的目标表格），请带 "
        f"resource_type={GUIDE_RESOURCE_TYPE} 重新上传 / 《{record.title}》: the {GUIDE_RESOURCE_TYPE} type is set "
        f"only at upload (its goal tables are parsed then); upload it again with resource_type={GUIDE_RESOURCE_TYPE}"
    )


def _version_id(store: Store, status: Any) -> int:
    version = next(v for v in store.library_versions(status.document_id) if v.number == status.version_number)
    return version.id
