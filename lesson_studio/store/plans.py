"""Requests, drafts, versions and per-tab working copies."""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import BaseModel
from sqlalchemy import (
    func,
    insert,
    select,
    update,
)
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from lesson_studio.errors import NotFound, StaleVersion, StoreBusy
from lesson_studio.models import LessonPlan, LessonRequest, User, VersionInfo
from lesson_studio.store.base import StoreBase, _now
from lesson_studio.store.records import (
    DraftSummary,
    WorkingCopy,
    _version_info,
)
from lesson_studio.store.schema import (
    draft_links,
    drafts,
    jobs,
    lesson_requests,
    users,
    versions,
    working_copies,
)


@dataclass(frozen=True)
class LinkedItem:
    """An item of a document expanded into a document of its own (draft_links), with how far it got."""

    item_key: str
    child_request_id: int
    job_id: int | None
    status: str  # the child's job: queued | running | done | failed | cancelled ("" when it has none)
    child_draft_id: int | None
    child_version_id: int | None  # the child draft's newest version
    title: str  # the child draft's title ("" until it is written)


class PlansMixin(StoreBase):
    # --- requests ------------------------------------------------------------------------------

    def save_request(
        self, user: User, request: BaseModel, idempotency_key: str, *, resource_type: str = "lesson_plan"
    ) -> int:
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
                        resource_type=resource_type,
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
        """A lesson plan's request (another type's: request_of)."""
        resource_type, request_json = self.request_of(user, request_id)
        if resource_type != "lesson_plan":
            raise NotFound(f"请求 {request_id} 不是教案的请求 / Request {request_id} is not a lesson plan's")
        return LessonRequest.model_validate_json(request_json)

    def request_of(self, user: User, request_id: int) -> tuple[str, str]:
        """(resource type, request JSON) of any saved request; the resource type reads the JSON."""
        with self.engine.connect() as conn:
            row = conn.execute(select(lesson_requests).where(lesson_requests.c.id == request_id)).first()
        if row is None:
            raise NotFound(f"找不到请求 {request_id} / Request {request_id} not found")
        self._require_reader(user, row.user_id)
        return row.resource_type, row.request_json

    # --- drafts and versions -------------------------------------------------------------------

    def save_version(
        self,
        user: User,
        plan: BaseModel,
        *,
        draft_id: int | None = None,
        request_id: int | None = None,
        backend: str = "",
        prompt_hash: str = "",
        note: str = "",
        source_version_id: int | None = None,
        base_version_id: int | None = None,
        tab_id: str | None = None,
        resource_type: str = "lesson_plan",
    ) -> VersionInfo:
        """Every save is a new version row and a new head, in one transaction.

        With base_version_id (an edit of the version the teacher saw), a save on a version that is
        no longer the newest raises StaleVersion instead of silently writing over what someone
        saved in between; saving exactly the newest content again (a double click) returns the
        newest version rather than a duplicate. With tab_id, that tab's working copy is the one
        that became a version and is removed; other tabs' copies stay. `plan` is any resource
        type's document with a title; a new draft records its resource_type."""
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
                        resource_type=resource_type,
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
        plan: BaseModel,
        *,
        draft_id: int | None,
        request_id: int | None,
        backend: str,
        prompt_hash: str,
        note: str,
        source_version_id: int | None,
        base_version_id: int | None = None,
        tab_id: str | None = None,
        resource_type: str = "lesson_plan",
    ) -> VersionInfo:
        now = _now()
        title = str(plan.title)  # type: ignore[attr-defined]  # every resource type has a title
        content = plan.model_dump_json()
        if draft_id is None:
            draft_id = conn.execute(
                insert(drafts).values(
                    owner_id=user.id,
                    request_id=request_id,
                    resource_type=resource_type,
                    title=title,
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
            update(drafts)
            .where(drafts.c.id == draft_id)
            .values(head_version_id=version_id, title=title, updated_at=now)
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

    def list_drafts(self, user: User, resource_type: str = "lesson_plan") -> list[DraftSummary]:
        """A teacher sees her own drafts of the type; leads and admins see everyone's."""
        query = (
            select(drafts, versions.c.number, users.c.display_name.label("owner_name"))
            .join(versions, versions.c.id == drafts.c.head_version_id, isouter=True)
            .join(users, users.c.id == drafts.c.owner_id)
            .where(drafts.c.resource_type == resource_type)
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
        """A lesson plan's version (another type's: get_document)."""
        version, resource_type, content_json = self.get_document(user, version_id)
        if resource_type != "lesson_plan":
            raise NotFound(f"版本 {version_id} 不是教案 / Version {version_id} is not a lesson plan")
        return version, LessonPlan.model_validate_json(content_json)

    def get_document(self, user: User, version_id: int) -> tuple[VersionInfo, str, str]:
        """(version, resource type, content JSON) of any resource type's version."""
        with self.engine.connect() as conn:
            row = conn.execute(
                select(versions, drafts.c.owner_id, drafts.c.resource_type)
                .join(drafts, drafts.c.id == versions.c.draft_id)
                .where(versions.c.id == version_id)
            ).first()
        if row is None:
            raise NotFound(f"找不到版本 {version_id} / Version {version_id} not found")
        self._require_reader(user, row.owner_id)
        return _version_info(row), row.resource_type, row.content_json

    # --- working copies -------------------------------------------------------------------------

    def draft_owner(self, user: User, draft_id: int, *, for_edit: bool = False) -> int:
        """The draft's author, after checking that the user may read it (or, for_edit, change it)."""
        with self.engine.connect() as conn:
            owner = conn.execute(select(drafts.c.owner_id).where(drafts.c.id == draft_id)).scalar()
        if owner is None:
            raise NotFound(f"找不到教案 {draft_id} / Draft {draft_id} not found")
        (self._require_editor if for_edit else self._require_reader)(user, owner)
        return owner

    def draft_request(self, user: User, draft_id: int) -> LessonRequest | None:
        """The request a lesson plan was generated from (None for a draft made another way)."""
        found = self.draft_request_of(user, draft_id)
        return LessonRequest.model_validate_json(found[1]) if found and found[0] == "lesson_plan" else None

    def draft_request_of(self, user: User, draft_id: int) -> tuple[str, str] | None:
        """(resource type, request JSON) a draft of any type was generated from (None: made another way)."""
        self.draft_owner(user, draft_id)
        with self.engine.connect() as conn:
            row = conn.execute(
                select(lesson_requests.c.resource_type, lesson_requests.c.request_json)
                .join(drafts, drafts.c.request_id == lesson_requests.c.id)
                .where(drafts.c.id == draft_id)
            ).first()
        return (row.resource_type, row.request_json) if row else None

    def put_working_copy(
        self, user: User, draft_id: int, base_version_id: int, plan: LessonPlan, *, tab_id: str = "main"
    ) -> None:
        """Autosave of a manual edit in one browser tab; the last saved version stays as it was."""
        self.draft_owner(user, draft_id, for_edit=True)
        now = _now()
        key = (
            (working_copies.c.draft_id == draft_id)
            & (working_copies.c.user_id == user.id)
            & (working_copies.c.tab_id == tab_id)
        )
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
            conn.execute(
                update(working_copies).where(mine & (working_copies.c.tab_id == from_tab)).values(tab_id=to_tab)
            )

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

    # --- links: a document's item expanded into a document of its own ---------------------------

    def link_item(
        self, user: User, parent_draft_id: int, item_key: str, child_request_id: int, *, replacing: int | None = None
    ) -> LinkedItem:
        """Record that an item of the parent draft was expanded into the child request; only the
        parent's author may. An item already linked keeps its first child (a double click, a second
        tab), unless `replacing` names that child (a failed one, expanded again)."""
        with self._write() as conn:
            owner = conn.execute(select(drafts.c.owner_id).where(drafts.c.id == parent_draft_id)).scalar()
            if owner is None:
                raise NotFound(f"找不到草稿 {parent_draft_id} / Draft {parent_draft_id} not found")
            self._require_editor(user, owner)
            key = (draft_links.c.parent_draft_id == parent_draft_id) & (draft_links.c.item_key == item_key)
            existing = conn.execute(select(draft_links.c.child_request_id).where(key)).scalar()
            if existing is None:
                try:
                    with conn.begin_nested():  # a savepoint: on PostgreSQL a lost race must not abort the rest
                        conn.execute(
                            insert(draft_links).values(
                                parent_draft_id=parent_draft_id,
                                item_key=item_key,
                                child_request_id=child_request_id,
                                created_by=user.id,
                                created_at=_now(),
                            )
                        )
                    self._audit(conn, user, "link_item", f"draft:{parent_draft_id}:{item_key}:request:{child_request_id}")
                except IntegrityError:
                    pass  # another click linked it first: that child stays
            elif replacing is not None and existing == replacing:
                conn.execute(update(draft_links).where(key).values(child_request_id=child_request_id))
                self._audit(conn, user, "relink_item", f"draft:{parent_draft_id}:{item_key}:request:{child_request_id}")
        return next(item for item in self.linked_items(user, parent_draft_id) if item.item_key == item_key)

    def follow_request(self, user: User, old_request_id: int, new_request_id: int) -> int:
        """Links to a request that was generated again under a new one (重试, 继续生成) follow it, so
        the parent lists the new job rather than offering to expand the item a second time. Only
        the parent's author may; returns how many links moved."""
        with self._write() as conn:
            rows = conn.execute(
                select(draft_links.c.id, drafts.c.owner_id)
                .join(drafts, drafts.c.id == draft_links.c.parent_draft_id)
                .where(draft_links.c.child_request_id == old_request_id)
            ).all()
            for row in rows:
                self._require_editor(user, row.owner_id)
                conn.execute(update(draft_links).where(draft_links.c.id == row.id).values(child_request_id=new_request_id))
                self._audit(conn, user, "relink_item", f"link:{row.id}:request:{new_request_id}")
        return len(rows)

    def linked_items(self, user: User, parent_draft_id: int) -> list[LinkedItem]:
        """The parent draft's expanded items with their children's progress; whoever may read the
        parent (its author, leads, admins) reads the list."""
        self.draft_owner(user, parent_draft_id)
        child = drafts.alias("child")
        query = (
            select(
                draft_links.c.item_key,
                draft_links.c.child_request_id,
                jobs.c.id.label("job_id"),
                jobs.c.status,
                child.c.id.label("child_draft_id"),
                child.c.head_version_id,
                child.c.title,
            )
            .join(jobs, jobs.c.request_id == draft_links.c.child_request_id, isouter=True)
            .join(child, child.c.id == jobs.c.draft_id, isouter=True)
            .where(draft_links.c.parent_draft_id == parent_draft_id)
            .order_by(draft_links.c.id)
        )
        with self.engine.connect() as conn:
            rows = conn.execute(query).all()
        return [
            LinkedItem(
                item_key=row.item_key,
                child_request_id=row.child_request_id,
                job_id=row.job_id,
                status=row.status or "",
                child_draft_id=row.child_draft_id,
                child_version_id=row.head_version_id,
                title=row.title or "",
            )
            for row in rows
        ]
