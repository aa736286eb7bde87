"""The composition root: settings, store, library, backends, the pipeline and the job runner, wired once.

Pages (through a cached resource) and the CLI both go through a Studio, so the same core path
serves every entry point: lesson_studio.pipeline (request -> scaffold -> retrieve -> generate
sections -> code's rules -> content checks -> version), run as jobs by lesson_studio.jobs, then
export. The Studio only wires: it hands the job runner the pipeline's work, never its own methods.
"""

from __future__ import annotations

import datetime
import hashlib
from typing import TYPE_CHECKING, get_origin

from pydantic import BaseModel, ValidationError

from lesson_studio.access import signed_in
from lesson_studio.accounts import Account, Accounts, SignedIn
from lesson_studio.authoring.diff import SectionDiff, diff_plans, diff_with_source
from lesson_studio.authoring.generate import PlanProgress, PlanSections, model_infer
from lesson_studio.authoring.merge import MergeResult, merge_edits
from lesson_studio.authoring.request_parser import ParsedRequest, parse_request_text, split_materials
from lesson_studio.authoring.rubric import RubricContext, RubricReport, evaluate
from lesson_studio.authoring.scaffold import build_scaffold
from lesson_studio.authoring.sentence import ParsedForm
from lesson_studio.config import Settings
from lesson_studio.errors import InvalidInput, NotFound
from lesson_studio.grounding import Grounding
from lesson_studio.jobs import JobRunner, JobView
from lesson_studio.library.chunker import chunk_version
from lesson_studio.llm.backends import Backends
from lesson_studio.llm.base import ChatBackend
from lesson_studio.llm.registry import task_backend_id
from lesson_studio.models import AGE_BANDS, DOMAINS, Hit, LessonPlan, LessonRequest, User, VersionInfo
from lesson_studio.pipeline import Pipeline
from lesson_studio.resource_types import resource_type
from lesson_studio.review import Reviews
from lesson_studio.store import DraftSummary, JobRecord, Store, WorkingCopy
from lesson_studio.store.plans import LinkedItem
from lesson_studio.validation import invalid_input

if TYPE_CHECKING:
    from lesson_studio.export import Cover, SchoolTemplates  # --- export ---
    from lesson_studio.library import Library

SYSTEM_USERNAME = "system"
# Which configured route (resources/backends.toml [routes]) each kind of model edit follows.
# Adapting writes a whole new plan, so it follows the generate route.
REFINEMENT_TASKS = {"section": "refine", "chat": "refine", "adapt": "generate", "fix": "rubric_fix", "part": "refine"}
# The request form's fields as a teacher reads them (for messages that name the field).


class Studio:
    def __init__(self, settings: Settings, *, library: Library | None = None, use_library: bool = True):
        """use_library=False: plans are written without library passages (the CLI's --no-library)."""
        self.settings = settings
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        self.store = Store(settings.db_url)
        self.accounts = Accounts(self.store)
        self.reviews = Reviews(self.store, lambda: self.library)
        self.grounding = Grounding(settings, self.store, library=library, use_library=use_library)
        self.backends = Backends(settings)
        self.pipeline = Pipeline(self.store, self.grounding)
        self.jobs = JobRunner(
            self.store,
            self.backends.backend,
            queue_for=self.backends.queue_for,
            workers_for=self.backends.workers_for,
        )
        # Only jobs whose process is gone: a CLI command started beside the app leaves its jobs alone.
        self.jobs.fail_orphans()

    # --- parts ---------------------------------------------------------------------------------

    @property
    def library(self) -> Library:
        return self.grounding.library

    def backend(self, backend_id: str | None = None) -> ChatBackend:
        return self.backends.backend(backend_id)

    def system_user(self) -> User:
        return self.store.ensure_user(SYSTEM_USERNAME, role="admin", display_name="系统")

    # --- actions -------------------------------------------------------------------------------

    def sign_in(self, username: str, password: str) -> SignedIn:
        return self.accounts.authenticate(username, password)

    def session_user(self, session: SignedIn) -> User:
        """The signed-in account as it is now: read on every script run, never from the session."""
        return self.accounts.session_user(session)

    def list_users(self, user: User) -> list[Account]:
        return self.accounts.list_accounts(user)

    def set_role(self, user: User, username: str, role: str) -> User:
        return self.accounts.set_role(user, username, role)

    def ensure_starter_library(self) -> object | None:
        """Ingest resources/library on first run (cheap when already done)."""
        if not self.settings.starter_library:
            return None
        return self.library.ensure_starter_library(self.system_user())

    def parse_request(self, user: User, text: str, *, use_model: bool = True) -> ParsedRequest:
        """Rules first; the model only for what rules cannot tell."""
        infer = model_infer(self.backend(task_backend_id("parse"))) if use_model else None
        return parse_request_text(text, infer=infer)

    def parse_resource_request(
        self, user: User, kind: str, text: str, *, today: datetime.date | None = None
    ) -> ParsedForm:
        """Any other resource type's one sentence as its form's values, by rules: only what the
        sentence says (the form keeps the rest) and what was guessed, for the teacher to check.
        `today` is what "明天" and "下周一" count from (a test passes its own)."""
        signed_in(user)
        resource = resource_type(kind)
        if resource.parse_sentence is None:
            raise InvalidInput(f"{resource.label}没有一句话填表 / A {resource.label} has no one-sentence form")
        return resource.parse_sentence(text, today or datetime.date.today())

    def retrieve(self, user: User, request: LessonRequest) -> list[Hit]:
        """The passages generation is given for a request, recorded for the lead's usage figures."""
        return self.grounding.retrieve(user, request)

    def submit_generation(
        self, user: User, request: LessonRequest, *, idempotency_key: str, backend_id: str | None = None
    ) -> int:
        """A lesson plan through the pipeline, as a job (saved as version 1 when done)."""
        return self.submit_resource(
            user, "lesson_plan", request, idempotency_key=idempotency_key, backend_id=backend_id
        )

    def submit_resource(
        self, user: User, kind: str, request: object, *, idempotency_key: str, backend_id: str | None = None
    ) -> int:
        """Any resource type's request through the one pipeline, as a job."""
        resource = resource_type(kind)
        if not isinstance(request, resource.request_model):
            raise InvalidInput(f"请求与资源类型不符：{resource.label} / The request is not a {resource.label}'s")
        return self.jobs.submit(
            user,
            request,
            idempotency_key=idempotency_key,
            backend_id=backend_id or task_backend_id("generate"),
            work=self.pipeline.generation(resource, request),
            resource_type=resource.kind,
        )

    @staticmethod
    def resource_request_from_form(kind: str, fields: dict[str, object]) -> BaseModel:
        """Any resource type's form as its request: text trimmed, a list field given as one line
        ("旧报纸、纸盒") split; a bad field is an InvalidInput naming it in Chinese and English."""
        resource = resource_type(kind)
        values = {name: value.strip() if isinstance(value, str) else value for name, value in fields.items()}
        for name, info in resource.request_model.model_fields.items():
            if isinstance(values.get(name), str) and get_origin(info.annotation) is list:
                # One a line, or on one line separated by 、，, (split_materials).
                lines = values[name].splitlines()  # type: ignore[union-attr]
                values[name] = [item for line in lines for item in split_materials(line)]
        try:
            return resource.request_model.model_validate(values)
        except ValidationError as error:
            raise invalid_input(error, resource.field_labels) from error

    def documents(self, user: User, kind: str) -> list[DraftSummary]:
        """The user's drafts of one resource type (a lead's or admin's view: everyone's), newest first."""
        return self.store.list_drafts(user, resource_type=resource_type(kind).kind)

    def open_document(self, user: User, version_id: int) -> tuple[VersionInfo, str, BaseModel]:
        """Any resource type's saved version: (version, kind, document)."""
        version, kind, content_json = self.store.get_document(user, version_id)
        return version, kind, resource_type(kind).document_model.model_validate_json(content_json)

    def save_document(self, user: User, draft_id: int, document: BaseModel, *, base_version_id: int) -> VersionInfo:
        """A teacher's edit of any resource type's version, saved as a new version with code's rules
        applied again (the scaffold of the draft's request); only the author may (checked in the store).
        StaleVersion when another version was saved since base_version_id."""
        base, kind, _ = self.store.get_document(user, base_version_id)
        if base.draft_id != draft_id:
            raise InvalidInput("版本与草稿不符 / Version does not belong to this draft")
        resource = resource_type(kind)
        try:
            document = resource.document_model.model_validate(document.model_dump())
        except ValidationError as error:
            raise invalid_input(error, resource.field_labels) from error
        found = self.store.draft_request_of(user, draft_id)
        if found is not None:
            document = resource.apply_rules(
                document, resource.build_scaffold(resource.request_model.model_validate_json(found[1]))
            )
        return self.store.save_version(
            user,
            document,
            draft_id=draft_id,
            base_version_id=base_version_id,
            note="手动编辑 / manual edit",
            resource_type=kind,
        )

    def document_findings(self, user: User, version_id: int) -> list[str]:
        """What the type's checks find in a saved version (after an edit), in the teacher's words."""
        version, kind, document = self.open_document(user, version_id)
        resource = resource_type(kind)
        found = self.store.draft_request_of(user, version.draft_id)
        if found is None:
            return []
        scaffold = resource.build_scaffold(resource.request_model.model_validate_json(found[1]))
        return [defect.message for defect in resource.check(document, scaffold)]

    def export_document_docx(self, user: User, version_id: int, *, cover: Cover | None = None) -> bytes:
        """Any resource type's version as .docx, in its built-in layout."""
        from lesson_studio.export import Cover

        _, kind, document = self.open_document(user, version_id)
        return resource_type(kind).export_docx(document, cover or Cover(teacher=user.display_name))

    def export_document_with_template(
        self, user: User, version_id: int, template_id: str, cover: Cover | None = None
    ) -> bytes:
        """Any resource type's version written into a school template made for that type, in the same
        sandbox as a 教案's. A template made for another type is refused with a message naming the
        placeholders the document's type does not have; a fill that fails says why (TemplateFailed)."""
        from lesson_studio.export import Cover

        _, kind, document = self.open_document(user, version_id)
        cover = cover or Cover(teacher=user.display_name)
        return self.templates.fill(user, template_id, document, cover, kind=kind)

    # --- items of a document expanded into documents of their own (draft_links) ---
    # A document offers this by an `expansion(item_key) -> (kind, request)` method on its model
    # (e.g. an activity of a unit -> a lesson plan's request); the Studio names no type.

    def expand_item(self, user: User, version_id: int, item_key: str, *, backend_id: str | None = None) -> int:
        """One item of a saved version generated as a document of its own, linked to the draft;
        returns the child's job id. Only the draft's author may. The same item again (a double
        click, a rerun, a second tab, a later version) returns the child it already has; a child
        whose generation failed or was cancelled is started again."""
        version, _, document = self.open_document(user, version_id)
        self.store.draft_owner(user, version.draft_id, for_edit=True)
        expansion = getattr(document, "expansion", None)
        if expansion is None:
            raise InvalidInput("这类资源没有可以展开的条目 / This kind of document has no items to expand")
        linked = {item.item_key: item for item in self.store.linked_items(user, version.draft_id)}
        existing = linked.get(item_key)
        if existing is not None and existing.job_id is not None and existing.status not in ("failed", "cancelled"):
            return existing.job_id
        child_kind, child_request = expansion(item_key)
        # The key is the version and the item (and the failed child's request, when starting again):
        # whatever the browser session, one item of one version starts one job.
        key = self.idempotency_key("expand", version_id, item_key, existing.child_request_id if existing else "")
        job_id = self.submit_resource(user, child_kind, child_request, idempotency_key=key, backend_id=backend_id)
        request_id = self.store.get_job(user, job_id).request_id
        link = self.store.link_item(
            user, version.draft_id, item_key, request_id, replacing=existing.child_request_id if existing else None
        )
        return link.job_id if link.job_id is not None else job_id

    def linked_documents(self, user: User, draft_id: int) -> list[LinkedItem]:
        """A draft's expanded items and how far each child got (the author, leads and admins read)."""
        return self.store.linked_items(user, draft_id)

    def export_with_linked_docx(self, user: User, version_id: int, *, cover: Cover | None = None) -> bytes:
        """A version as .docx followed by the newest versions of its expanded items; the type's
        export_docx takes them as linked= (item key -> document). Without any: export_document_docx."""
        from lesson_studio.export import Cover

        version, kind, document = self.open_document(user, version_id)
        cover = cover or Cover(teacher=user.display_name)
        linked = {
            item.item_key: self.open_document(user, item.child_version_id)[2]
            for item in self.linked_documents(user, version.draft_id)
            if item.child_version_id is not None
        }
        if not linked:
            return resource_type(kind).export_docx(document, cover)
        return resource_type(kind).export_docx(document, cover, linked=linked)

    def retry_generation(self, user: User, job_id: int, *, idempotency_key: str) -> int:
        """A failed, cancelled or interrupted job's request, generated again (the request was kept)."""
        job = self.store.get_job(user, job_id)
        if job.status not in ("failed", "cancelled"):
            raise InvalidInput("这个任务没有失败，不需要重试 / This job did not fail")
        request = self.store.get_request(user, job.request_id)
        new_job_id = self.submit_generation(user, request, idempotency_key=idempotency_key, backend_id=job.backend)
        self._follow(user, job.request_id, new_job_id)
        return new_job_id

    def _follow(self, user: User, old_request_id: int | None, new_job_id: int) -> None:
        """An expanded item (a theme unit's lesson) follows its request into the new job."""
        new_request_id = self.store.get_job(user, new_job_id).request_id
        if old_request_id is not None and new_request_id is not None and new_request_id != old_request_id:
            self.store.follow_request(user, old_request_id, new_request_id)

    def resume_generation(self, user: User, job_id: int, *, idempotency_key: str) -> int:
        """继续生成: a failed, cancelled or interrupted job's request again, keeping the sections it
        had finished and the passages they were written from; only the missing ones are written."""
        job = self.store.get_job(user, job_id)
        if job.status not in ("failed", "cancelled"):
            raise InvalidInput("这个任务没有中断，不需要继续生成 / This job was not interrupted")
        kept = PlanSections.model_validate_json(job.partial_json) if job.partial_json else None
        if kept is None or not kept.kept_anything():
            raise InvalidInput("这个任务还没有完成任何部分，请点“重新生成” / Nothing was kept; regenerate instead")
        request = self.store.get_request(user, job.request_id)
        new_job_id = self.jobs.submit(
            user,
            request,
            idempotency_key=idempotency_key,
            backend_id=job.backend,
            work=self.pipeline.generation(resource_type("lesson_plan"), request, resume=kept),
            kept=kept,
        )
        self._follow(user, job.request_id, new_job_id)
        return new_job_id

    def partial_progress(self, user: User, job_id: int) -> PlanProgress | None:
        """What a job that did not finish had written, in the scaffold's structure, for the page."""
        job = self.store.get_job(user, job_id)
        if not job.partial_json or job.status not in ("failed", "cancelled"):
            return None
        sections = PlanSections.model_validate_json(job.partial_json)
        progress = PlanProgress(
            scaffold=build_scaffold(self.store.get_request(user, job.request_id)),
            citations=[hit.citation.model_copy(update={"number": n}) for n, hit in enumerate(sections.hits, start=1)],
            overview=sections.overview,
            preparation=sections.preparation,
            steps=list(sections.steps),
            closing=sections.closing,
            hits=list(sections.hits),
        )
        return progress if sections.kept_anything() else None

    def load_plan(self, user: User, version_id: int) -> LessonPlan:
        return self.store.get_version(user, version_id)[1]

    # --- what pages read (pages call the Studio only) ----------------------------------------

    def list_plans(self, user: User) -> list[DraftSummary]:
        """A teacher's own plans; a lead's or admin's view includes every teacher's, newest first."""
        return self.store.list_drafts(user)

    def own_plans(self, user: User) -> list[DraftSummary]:
        """The plans the user wrote, newest first: the ones she may revise (a lead's view of
        everyone's plans left out)."""
        return [draft for draft in self.store.list_drafts(user) if draft.owner_id == user.id]

    def plan_to_revise(self, user: User, version_id: int) -> tuple[VersionInfo, LessonPlan]:
        """A plan's version for a document that revises it: NotAllowed for anyone but its author
        (leads included), checked before any model call; the store checks again when the revision is saved."""
        version, plan = self.store.get_version(user, version_id)
        self.store.draft_owner(user, version.draft_id, for_edit=True)
        return version, plan

    def open_version(self, user: User, version_id: int) -> tuple[VersionInfo, LessonPlan]:
        return self.store.get_version(user, version_id)

    def versions(self, user: User, draft_id: int) -> list[VersionInfo]:
        return self.store.list_versions(user, draft_id)

    def plan_request(self, user: User, draft_id: int) -> LessonRequest | None:
        """The request a plan was generated from (None for a plan made another way)."""
        return self.store.draft_request(user, draft_id)

    def recent_jobs(self, user: User, limit: int = 5) -> list[tuple[JobRecord, LessonRequest]]:
        return self.store.recent_jobs(user, limit)

    def job_request(self, user: User, job_id: int) -> LessonRequest:
        return self.store.get_request(user, self.store.get_job(user, job_id).request_id)

    def job_view(self, user: User, job_id: int) -> JobView:
        return self.jobs.view(user, job_id)

    def cancel_job(self, user: User, job_id: int) -> None:
        self.jobs.cancel(user, job_id)

    def refinement_view(self, user: User, refinement_id: int) -> JobView:
        return self.jobs.refinement_view(user, refinement_id)

    def cancel_refinement(self, user: User, refinement_id: int) -> None:
        self.jobs.cancel_refinement(user, refinement_id)

    def refinement_base(self, user: User, refinement_id: int) -> LessonPlan:
        """The version a model proposal was made from (what its diff is against)."""
        return self.load_plan(user, self.store.get_refinement(user, refinement_id).base_version_id)

    # --- working copies: one per browser tab ---

    def working_copy(self, user: User, draft_id: int, tab_id: str) -> tuple[int, LessonPlan] | None:
        return self.store.get_working_copy(user, draft_id, tab_id=tab_id)

    def unsaved_elsewhere(self, user: User, draft_id: int, tab_id: str) -> list[WorkingCopy]:
        """Edits another (perhaps closed) tab left unsaved, newest first."""
        return [copy for copy in self.store.working_copies(user, draft_id) if copy.tab_id != tab_id]

    def keep_working_copy(self, user: User, draft_id: int, base_version_id: int, plan: LessonPlan, tab_id: str) -> None:
        self.store.put_working_copy(user, draft_id, base_version_id, plan, tab_id=tab_id)

    def adopt_working_copy(self, user: User, draft_id: int, *, from_tab: str, to_tab: str) -> None:
        self.store.adopt_working_copy(user, draft_id, from_tab=from_tab, to_tab=to_tab)

    def discard_working_copy(self, user: User, draft_id: int, tab_id: str) -> None:
        self.store.discard_working_copy(user, draft_id, tab_id=tab_id)

    # --- requests from the pages' forms ---

    @staticmethod
    def idempotency_key(session: str, *parts: object) -> str:
        """Same browser session + same action on the same thing = same key: a double click, a rerun
        or a second submit never starts a second model call."""
        return hashlib.sha256("|".join(map(str, (session, *parts))).encode()).hexdigest()

    @staticmethod
    def request_from_form(fields: dict[str, object]) -> LessonRequest:
        """The 新建教案 form as a request; a bad field is an InvalidInput naming it."""
        values = {name: value.strip() if isinstance(value, str) else value for name, value in fields.items()}
        if isinstance(values.get("materials"), str):
            values["materials"] = split_materials(values["materials"])
        if "minutes" in values:
            values["minutes"] = int(values["minutes"])  # type: ignore[call-overload]
        try:
            return LessonRequest.model_validate(values)
        except ValidationError as error:
            raise invalid_input(error, resource_type("lesson_plan").field_labels) from error

    def adapt_request(
        self, user: User, draft_id: int, version_id: int, *, age_band: str, minutes: int, materials: str
    ) -> LessonRequest:
        """The request to adapt a saved plan to another band, duration or materials: the plan's own
        request changed, or (a plan made another way) one built from the plan itself."""
        request = self.store.draft_request(user, draft_id)
        plan = self.load_plan(user, version_id)
        base = request.model_dump() if request else {"domain": plan.domain, "topic": plan.title.split("：")[-1]}
        base.update(age_band=age_band, minutes=int(minutes), materials=split_materials(materials))
        return self.request_from_form(base)

    # --- export ---

    @property
    def templates(self) -> SchoolTemplates:
        """School .docx templates under data_dir/templates (upload and removal: leads and admins)."""
        from lesson_studio.export import SchoolTemplates

        return SchoolTemplates(self.settings.data_dir / "templates")

    # --- adapting a library lesson ---

    def library_lesson_request(self, user: User, document_id: str) -> LessonRequest:
        """A request to adapt a library lesson, prefilled from its tags and title (band, domain,
        topic); the teacher changes the band, minutes or materials before generating."""
        lesson = next((doc for doc in self.library.lessons(user) if doc.document_id == document_id), None)
        if lesson is None:
            raise InvalidInput("资源库中没有这份教案（或已停用）/ This library lesson is not available")
        band = lesson.tags.get("age_band", "")
        domain = lesson.tags.get("domain", "")
        topic = lesson.title.split("：", 1)[-1].strip() or lesson.title
        return LessonRequest(
            age_band=band if band in AGE_BANDS else "中班",
            domain=domain if domain in DOMAINS else "科学",
            topic=topic[:200],
            source_document_id=document_id,
        )

    def adapt_library_lesson(
        self, user: User, request: LessonRequest, *, idempotency_key: str, backend_id: str | None = None
    ) -> int:
        """Generate a new plan from a library lesson for the request's band, minutes and materials;
        the plan cites the lesson and can be compared with it (diff_with_library_source)."""
        if not request.source_document_id:
            raise InvalidInput("请选择要改编的资源库教案 / Choose the library lesson to adapt")
        lesson = next(
            (doc for doc in self.library.lessons(user) if doc.document_id == request.source_document_id), None
        )
        if lesson is None:
            raise InvalidInput("资源库中没有这份教案（或已停用）/ This library lesson is not available")
        guidance = (
            f"改编自资源库教案《{lesson.title}》：保留原活动要解决的问题和主要思路，按新的年龄段、时长和材料重新设计。"
        )
        if not request.notes.startswith("改编自资源库教案"):
            request = request.model_copy(update={"notes": (guidance + request.notes)[:500]})
        return self.submit_generation(user, request, idempotency_key=idempotency_key, backend_id=backend_id)

    def diff_with_library_source(self, user: User, version_id: int) -> list[SectionDiff] | None:
        """A plan adapted from a library lesson against that lesson (the version it cited); None
        for a plan that did not come from the library."""
        version, plan = self.store.get_version(user, version_id)
        request = self.store.draft_request(user, version.draft_id)
        if request is None or not request.source_document_id:
            return None
        document = request.source_document_id
        cited = [c.chunk_id for c in plan.citations if c.document_id == document]
        source_version = chunk_version(cited[0]) if cited else None
        return diff_with_source(self.library.document_passages(user, document, version=source_version), plan)

    def export_version_docx(
        self, user: User, version_id: int, *, cover: Cover | None = None, template_id: str | None = None
    ) -> bytes:
        """One version as .docx: the built-in layout, or the chosen school template."""
        from lesson_studio.export import Cover, plan_docx

        template = self.templates.read(user, template_id) if template_id else None
        return plan_docx(self.load_plan(user, version_id), cover or Cover(teacher=user.display_name), template)

    def export_version_word(
        self, user: User, version_id: int, *, cover: Cover | None = None, template_id: str | None = None
    ) -> tuple[bytes, str | None]:
        """One version as .docx, and a notice when the school template could not be filled and the
        built-in layout was used instead (the teacher always gets a file, never a hang)."""
        from lesson_studio.export import Cover, plan_docx_or_builtin

        plan = self.load_plan(user, version_id)
        cover = cover or Cover(teacher=user.display_name)
        if not template_id:
            return plan_docx_or_builtin(plan, cover, None)
        info = self.templates.get(user, template_id)
        return plan_docx_or_builtin(plan, cover, self.templates.read(user, template_id), template_name=info.name)

    def export_versions_zip(
        self,
        user: User,
        version_ids: list[int],
        *,
        cover: Cover | None = None,
        template_id: str | None = None,
        markdown: bool = False,
        pdf: bool = False,
    ) -> bytes:
        """Several versions as one .zip (a plan that fails is named in the zip's 导出说明.txt)."""
        from lesson_studio.export import Cover, plans_to_zip

        template = self.templates.read(user, template_id) if template_id else None
        plans = [self.load_plan(user, version_id) for version_id in version_ids]
        cover = cover or Cover(teacher=user.display_name)
        return plans_to_zip(plans, cover, template=template, markdown=markdown, pdf=pdf)

    def export_unit_docx(self, user: User, version_ids: list[int], *, title: str, cover: Cover | None = None) -> bytes:
        """A theme unit: several versions in one document with a table of contents."""
        from lesson_studio.export import Cover, unit_to_docx_bytes

        plans = [self.load_plan(user, version_id) for version_id in version_ids]
        return unit_to_docx_bytes(plans, title=title, cover=cover or Cover(teacher=user.display_name))

    # --- authoring: rubric, refinement, versions ------------------------------------------------

    def rubric(self, user: User, plan: LessonPlan, request: LessonRequest | None = None) -> RubricReport:
        return evaluate(plan, RubricContext(request=request, catalogue_lines=self.catalogue_lines(user)))

    def align(self, user: User, plan: LessonPlan) -> LessonPlan:
        """The plan's 《指南》 lines chosen by code from the imported catalogue (verbatim, its band)."""
        from lesson_studio.authoring.alignment import align_plan

        return align_plan(plan, self.grounding.catalogue(user))

    def catalogue_lines(self, user: User) -> dict[str, set[str]] | None:
        """Band -> verbatim 《指南》 lines, from the catalogue a lead imported (None: not imported)."""
        return self.grounding.catalogue_lines(user)

    def submit_refinement(
        self,
        user: User,
        *,
        draft_id: int,
        base_version_id: int,
        kind: str,
        payload: dict,
        idempotency_key: str,
        backend_id: str | None = None,
    ) -> int:
        """Start a model edit of a saved version: kind is section | fix | chat | adapt (a lesson
        plan), or part (one part of any type with ResourceType.parts: payload {"part", "instruction"})."""
        if kind not in ("section", "fix", "chat", "adapt", "part"):
            raise InvalidInput(f"未知的修改方式：{kind} / Unknown refinement kind")
        if kind == "part":
            version, payload = self._part_request(user, base_version_id, payload)
        else:
            version, _ = self.store.get_version(user, base_version_id)  # authorization + existence
        if version.draft_id != draft_id:
            raise InvalidInput("版本与教案不符 / Version does not belong to this plan")
        return self.jobs.submit_refinement(
            user,
            idempotency_key=idempotency_key,
            draft_id=draft_id,
            base_version_id=base_version_id,
            kind=kind,
            payload=payload,
            backend_id=backend_id or task_backend_id(REFINEMENT_TASKS[kind]),
            work=self.pipeline.refinement,
        )

    def accept_refinement(
        self, user: User, refinement_id: int, *, plan: LessonPlan | None = None, on_top_of: int | None = None
    ) -> VersionInfo:
        """Save a model proposal as a version. StaleVersion when another version was saved since
        the proposal's base; then `plan` (a merge, or the proposal) is saved `on_top_of` the newest."""
        record = self.store.get_refinement(user, refinement_id)
        notes = {
            "section": f"重新生成：{record.payload.get('label', '')} — {record.payload.get('instruction', '')}",
            "fix": "一键修正 / rubric fix",
            "chat": f"对话修改：{record.payload.get('message', '')}",
            "adapt": f"改编自第{record.base_version_id}号版本 / adapted",
            "part": f"修改：{record.payload.get('label', '')} — {record.payload.get('instruction', '')}",
        }
        if record.kind == "part" and plan is None:
            # On top of a newer version, the rewritten part goes into that version (the rest is its).
            plan = (  # type: ignore[assignment]  # the type's document
                self._part_on_top_of(user, refinement_id, on_top_of)
                if on_top_of is not None
                else self.part_proposal(user, refinement_id)[1]
            )
        return self.store.accept_refinement(
            user,
            refinement_id,
            note=notes[record.kind][:300],
            source_version_id=record.base_version_id if record.kind == "adapt" else None,
            new_draft=record.kind == "adapt",
            plan=plan,
            on_top_of=on_top_of,
        )

    # --- 改写一部分: a model edit of one part of any type's document ---

    def refinement_parts(self, user: User, version_id: int) -> list[tuple[str, str]]:
        """(part key, label) of a saved version a teacher may have the model rewrite ([] for a
        type that offers none)."""
        _, kind, document = self.open_document(user, version_id)
        parts = resource_type(kind).parts
        return [(part.key, part.label) for part in parts(document)] if parts else []

    def _part_request(self, user: User, version_id: int, payload: dict) -> tuple[VersionInfo, dict]:
        """A part refinement's payload checked before anything is saved: a type that offers it, a
        part of this document, an instruction."""
        from lesson_studio.resource_types.parts import checked_instruction

        version, kind, _ = self.store.get_document(user, version_id)  # a reader; the store checks the author
        resource = resource_type(kind)
        if resource.rewrite_part is None or resource.parts is None:
            raise InvalidInput(
                f"{resource.label}还不能让模型改写一部分 / A {resource.label} cannot be refined part by part yet"
            )
        labels = dict(self.refinement_parts(user, version_id))
        part = str(payload.get("part", ""))
        if part not in labels:
            raise InvalidInput(f"要改写的部分：没有“{part}”这一部分 / Part to rewrite: there is no part “{part}”")
        instruction = checked_instruction(payload.get("instruction", ""))
        return version, {"part": part, "label": labels[part], "instruction": instruction}

    def _part_on_top_of(self, user: User, refinement_id: int, head_version_id: int) -> BaseModel:
        """A part proposal's rewritten part put into a version saved since it was asked for, with
        code's rules applied again (that version's other parts stay as they are)."""
        from lesson_studio.resource_types.parts import current_text, find_part, with_part

        record = self.store.get_refinement(user, refinement_id)
        proposal = self.part_proposal(user, refinement_id)[1]
        head, kind, newest = self.open_document(user, head_version_id)
        if head.draft_id != record.draft_id or proposal is None:
            raise InvalidInput("版本与草稿不符 / Version does not belong to this draft")
        resource = resource_type(kind)
        part = find_part(resource.parts(newest) if resource.parts else [], record.payload["part"])
        found = self.store.draft_request_of(user, record.draft_id)
        merged = with_part(newest, part, current_text(proposal, part))
        if found is None:
            return merged
        return resource.apply_rules(
            merged, resource.build_scaffold(resource.request_model.model_validate_json(found[1]))
        )

    def part_proposal(self, user: User, refinement_id: int) -> tuple[BaseModel, BaseModel | None, list[SectionDiff]]:
        """A part refinement's (base document, proposal or None while it runs, the diff part by
        part), each read with the draft's type."""
        from lesson_studio.resource_types.parts import part_diff

        record = self.store.get_refinement(user, refinement_id)
        _, kind, base = self.open_document(user, record.base_version_id)
        resource = resource_type(kind)
        if not record.result_json:
            return base, None, []
        proposal = resource.document_model.model_validate_json(record.result_json)
        return base, proposal, part_diff(base, proposal, resource.parts(base) if resource.parts else [])

    def save_edit(
        self,
        user: User,
        draft_id: int,
        plan: LessonPlan,
        *,
        base_version_id: int | None = None,
        tab_id: str | None = None,
        note: str = "手动编辑 / manual edit",
    ) -> VersionInfo:
        """A manual edit made on base_version_id becomes a new version; if someone saved another
        version since, StaleVersion is raised (merge_edit, or save again on top of the newest)."""
        return self.store.save_version(
            user, plan, draft_id=draft_id, note=note, base_version_id=base_version_id, tab_id=tab_id
        )

    def merge_edit(self, user: User, draft_id: int, base_version_id: int, plan: LessonPlan) -> tuple[int, MergeResult]:
        """The teacher's edit of an older version merged field by field with the newest version:
        (the newest version's id, to save on top of, and the merge)."""
        base_version, base = self.store.get_version(user, base_version_id)
        if base_version.draft_id != draft_id:
            raise InvalidInput("版本与教案不符 / Version does not belong to this plan")
        self.store.draft_owner(user, draft_id, for_edit=True)
        head_id = self.head_version_id(user, draft_id)
        return head_id, merge_edits(base, self.load_plan(user, head_id), plan)

    def head_version_id(self, user: User, draft_id: int) -> int:
        history = self.store.list_versions(user, draft_id)
        if not history:
            raise NotFound(f"这份教案还没有保存的版本 / Draft {draft_id} has no saved version")
        return history[-1].id

    def restore(self, user: User, draft_id: int, version_id: int) -> VersionInfo:
        """Restoring never rewrites history: the old content becomes a new version."""
        version, plan = self.store.get_version(user, version_id)
        if version.draft_id != draft_id:
            raise InvalidInput("版本与教案不符 / Version does not belong to this plan")
        return self.store.save_version(
            user, plan, draft_id=draft_id, note=f"恢复到第{version.number}版 / restored v{version.number}"
        )

    def diff_versions(self, user: User, before_version_id: int, after_version_id: int) -> list[SectionDiff]:
        return diff_plans(self.load_plan(user, before_version_id), self.load_plan(user, after_version_id))

    # --- library curation (issue 12): read methods for the lead's pages and a plan's citations ---
    # Kept apart from the generation path above, which is being refactored separately.

    def retired_citations(self, user: User, plan: LessonPlan) -> dict[str, str]:
        """chunk id -> why a passage the plan cites is retired (its document removed or disabled,
        the passage disabled, an older version): the plan still opens and says so."""
        from lesson_studio.library.curation import citation_notices

        return citation_notices(self.store, user, plan.citations)
