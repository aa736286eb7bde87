"""One pipeline for every resource type, in DESIGN.md's order (issue 13):

    request -> scaffold -> retrieve -> generate sections -> enforce code's rules
            -> validate (content checks) -> save a version

`write` runs the steps up to validation and saves nothing (tests, benches, adapting a plan);
`Pipeline.generate` is a generation job's work: `write`, the rules that need the library (the
lesson plan's 《指南》 lines), then a new version. `Pipeline.refine` is a refinement job's work: a
model edit of a saved lesson plan, or of one part of any type's document (`ResourceType.parts`),
proposed for the teacher to review (saved on accept).

A resource type (教案 and every other registered type) supplies each step's part as a
`ResourceType`; the pipeline knows none of them by name. The job runner (lesson_studio.jobs) only
runs this work in its workers, and the Studio only wires the parts together.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from pydantic import BaseModel

from lesson_studio.authoring.generate import GenerationResult
from lesson_studio.grounding import Grounding
from lesson_studio.llm.base import ChatBackend
from lesson_studio.models import Hit, User, VersionInfo
from lesson_studio.store import RefinementRecord, Store

if TYPE_CHECKING:
    from lesson_studio.export.placeholders import TemplatePlaceholders

Retrieve = Callable[[Any], list[Hit]]


class Writer(Protocol):
    """Writes a document's sections with the model inside the scaffold (the "generate sections" step)."""

    progress: Any  # what has arrived; pages render it while the job runs (sections_done / sections_total)

    def write_sections(self) -> None: ...

    def draft(self) -> BaseModel:
        """The document as the model wrote it, in the scaffold's structure."""
        ...

    def result(self, document: BaseModel, checks: Any) -> GenerationResult: ...


@dataclass(frozen=True)
class ResourceType:
    """What one kind of teaching resource brings to the pipeline: its schema and a part per step."""

    kind: str  # drafts.resource_type and lesson_requests.resource_type, e.g. "lesson_plan"
    label: str  # "教案 / lesson plan", for messages
    request_model: type[BaseModel]  # what the teacher asks for
    document_model: type[BaseModel]  # the schema of a saved version
    prompts: tuple[str, ...]  # the prompts/ files its writer renders
    build_scaffold: Callable[[Any], Any]  # request -> structure by code
    # (scaffold, hits, backend=, on_progress=, on_section=, cancel=, resume=) -> Writer
    writer: Callable[..., Writer]
    apply_rules: Callable[[Any, Any], Any]  # (document, scaffold) -> document: code has the last word
    validate: Callable[[Any, Any], tuple[Any, Any]]  # (writer, document) -> (document, report): content checks
    check: Callable[[Any, Any], list[Any]]  # (document, scaffold) -> defects found, nothing repaired (an edit)
    export_docx: Callable[[Any, Any], bytes]  # (document, export.Cover) -> .docx, the built-in layout
    # The request form's fields as a teacher reads them ("班级 / class"), for messages naming a bad field.
    field_labels: dict[str, str] = field(default_factory=dict)
    grounded: bool = True  # whether the library's passages are retrieved for it
    # Rules that need the library: (document, 《指南》 catalogue or None) -> document.
    align: Callable[[Any, Any], Any] | None = None
    # A continued generation: (kept sections, scaffold) -> the passages they were written from
    # (None: retrieve again). Types without 继续生成 leave it out.
    resumed_passages: Callable[[Any, Any], list[Hit] | None] = field(default=lambda resume, scaffold: None)
    # Work with the store once the document is written and before it is saved: (store, user,
    # document, request) -> document. A type whose document revises another draft saves that
    # revision here (the store checks the author), so an error leaves nothing of the job saved.
    before_save: Callable[[Store, User, Any, Any], Any] | None = None
    # School templates (export.templates): (document, export.Cover) -> {Chinese placeholder name: value},
    # an export.placeholders.TemplatePlaceholders that also carries the names' table and a specimen
    # for the upload check. None: no school templates for the type (a 教案's table is export's own).
    template_context: TemplatePlaceholders | None = None
    # 改写一部分 (a "part" refinement): document -> its parts a teacher may have rewritten, each
    # with .key and .label (resource_types.parts.Part); and (document, scaffold, part key,
    # instruction, backend=, on_progress=, cancel=) -> the document with that part rewritten by the
    # model, code's rules applied and the type's checks run. Types without them offer no such edit.
    parts: Callable[[Any], list[Any]] | None = None
    rewrite_part: Callable[..., Any] | None = None
    # 一句话填表: (sentence, today) -> authoring.sentence.ParsedForm, the form's values the sentence
    # gives by rules and what was guessed. None: the type's form has no sentence box (the lesson
    # plan's has its own parser, authoring.request_parser, with the model for what rules cannot tell).
    parse_sentence: Callable[[str, Any], Any] | None = None


def write(
    resource: ResourceType,
    request: BaseModel,
    *,
    backend: ChatBackend,
    retrieve: Retrieve | None = None,
    on_progress: Callable[[Any], None] | None = None,
    on_section: Callable[[Any], None] | None = None,
    cancel: threading.Event | None = None,
    resume: Any = None,
    check: bool = True,
) -> GenerationResult:
    """A document from a request, every step but saving. check=False skips the content checks."""
    scaffold = resource.build_scaffold(request)  # structure by code
    kept = resource.resumed_passages(resume, scaffold) if resume is not None else None
    hits = kept if kept is not None else (retrieve(request) if retrieve else [])  # grounded
    writer = resource.writer(
        scaffold, hits, backend=backend, on_progress=on_progress, on_section=on_section, cancel=cancel, resume=resume
    )
    writer.write_sections()  # content by model, section by section
    document = resource.apply_rules(writer.draft(), scaffold)  # code has the last word
    checks = None
    if check:
        document, checks = resource.validate(writer, document)  # content checks, repaired
    return writer.result(document, checks)


@dataclass
class JobContext:
    """What the job runner gives the work it runs: who, which model, and where progress goes."""

    user: User
    backend: ChatBackend
    cancel: threading.Event
    on_progress: Callable[[Any], None]
    on_section: Callable[[Any], None]
    job_id: int = 0
    request_id: int | None = None  # generations: the saved request


@dataclass
class Generated:
    result: GenerationResult
    version: VersionInfo


class Pipeline:
    """The pipeline with the store (where versions are saved) and the library (grounding)."""

    def __init__(self, store: Store, grounding: Grounding):
        self.store = store
        self.grounding = grounding

    def generation(
        self, resource: ResourceType, request: BaseModel, resume: Any = None
    ) -> Callable[[JobContext], Generated]:
        """A generation job's work, for JobRunner.submit."""
        return lambda job: self.generate(resource, request, job, resume=resume)

    def generate(self, resource: ResourceType, request: BaseModel, job: JobContext, *, resume: Any = None) -> Generated:
        user = job.user
        result = write(
            resource,
            request,
            backend=job.backend,
            retrieve=self.grounding.retriever(user) if resource.grounded else None,
            on_progress=job.on_progress,
            on_section=job.on_section,
            cancel=job.cancel,
            resume=resume,
        )
        if resource.align is not None:
            result.plan = resource.align(result.plan, self.grounding.catalogue(user))
        if resource.before_save is not None:
            result.plan = resource.before_save(self.store, user, result.plan, request)
        version = self.store.save_version(
            user,
            result.plan,
            request_id=job.request_id,
            backend=result.backend_id,
            prompt_hash=result.prompt_hash,
            note="模型生成 / generated",
            resource_type=resource.kind,
        )
        if result.link_rejections:
            # Counted where an admin can find it: sections the model wrote with links or images
            # nobody asked for (a library document may be steering it).
            self.store.record_event(user, "links_rejected", f"job:{job.job_id}:{result.link_rejections}")
        return Generated(result=result, version=version)

    # --- refinement of a saved lesson plan ---

    def refinement(self, record: RefinementRecord) -> Callable[[JobContext], BaseModel]:
        """A refinement job's work, for JobRunner.submit_refinement."""
        return lambda job: self.refine(record, job)

    def refine(self, record: RefinementRecord, job: JobContext) -> BaseModel:
        """A proposal for one of section | fix | chat | adapt, with code's rules applied (each
        refinement applies authoring.rules to what it rewrote; the 《指南》 lines here)."""
        from lesson_studio.authoring.alignment import align_plan
        from lesson_studio.authoring.refine import adapt_plan, chat_edit, fix_failures, regenerate_section
        from lesson_studio.authoring.rubric import RubricContext, evaluate
        from lesson_studio.models import LessonRequest

        if record.kind == "part":
            return self.refine_part(record, job)
        user = job.user
        _, plan = self.store.get_version(user, record.base_version_id)
        request = self.store.draft_request(user, record.draft_id)
        payload = record.payload
        common = {"backend": job.backend, "on_progress": job.on_progress, "cancel": job.cancel}
        if record.kind == "section":
            proposal = regenerate_section(
                plan, payload["section"], payload.get("instruction", ""), request=request, **common
            )
        elif record.kind == "fix":
            context = RubricContext(request=request, catalogue_lines=self.grounding.catalogue_lines(user))
            proposal = fix_failures(
                plan,
                evaluate(plan, context),
                request=request,
                check=lambda candidate: evaluate(candidate, context),
                **common,
            )
        elif record.kind == "chat":
            proposal = chat_edit(plan, payload["message"], request=request, **common)
        else:
            new_request = LessonRequest.model_validate(payload["request"])
            proposal = adapt_plan(plan, new_request, retriever=self.grounding.retriever(user), **common).plan
        return align_plan(proposal, self.grounding.catalogue(user))

    def refine_part(self, record: RefinementRecord, job: JobContext) -> BaseModel:
        """A proposal for one part of any type's saved document (the type's rewrite_part, chosen
        by the draft's resource type), made inside the scaffold of the draft's own request."""
        from lesson_studio.errors import InvalidInput
        from lesson_studio.resource_types import resource_type  # the registry imports this module

        user = job.user
        _, kind, content_json = self.store.get_document(user, record.base_version_id)
        resource = resource_type(kind)
        found = self.store.draft_request_of(user, record.draft_id)
        if resource.rewrite_part is None or found is None:
            raise InvalidInput(
                f"这份{resource.label}不能让模型改写一部分 / This {resource.label} cannot be refined by part"
            )
        scaffold = resource.build_scaffold(resource.request_model.model_validate_json(found[1]))
        return resource.rewrite_part(
            resource.document_model.model_validate_json(content_json),
            scaffold,
            record.payload["part"],
            record.payload.get("instruction", ""),
            backend=job.backend,
            on_progress=job.on_progress,
            cancel=job.cancel,
        )
