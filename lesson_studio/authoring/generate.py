"""Content by model: fill the scaffold section by section, grounded in retrieved passages.

The lesson plan's parts of the pipeline (lesson_studio.pipeline puts them in order): a section is
prompt (files, fenced passages) -> backend.stream -> validate (one repair) -> no links or images
the teacher did not give (one rewrite, then removed); LessonWriter writes every section and builds
the plan as the model wrote it (plan_from_sections); code's rules come next (authoring.rules), then
the content checks (authoring.content_checks: repaired by code, or the section written again with
the problem named).
"""

from __future__ import annotations

import hashlib
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal, TypeVar

from pydantic import BaseModel, create_model

from lesson_studio.authoring import english
from lesson_studio.authoring.content_checks import (
    GENERIC_NOUNS,
    CheckFacts,
    CheckReport,
    Passage,
    nouns,
    validate_plan,
)
from lesson_studio.authoring.drafts import (
    ClosingDraft,
    ClosingDraftEn,
    OverviewDraft,
    OverviewDraftEn,
    PreparationDraft,
    PreparationDraftEn,
    StepDraft,
    StepDraftEn,
    drafts_for,
)
from lesson_studio.authoring.rules import apply_code_rules, objective_text  # noqa: F401 - objective_text: its old home
from lesson_studio.authoring.scaffold import Scaffold
from lesson_studio.authoring.untrusted import FENCE_CLOSE, FENCE_OPEN, Fenced, defuse, links_in, without_links
from lesson_studio.errors import ContextTooLong, StudioError, Truncated
from lesson_studio.llm.base import ChatBackend, Message
from lesson_studio.llm.notices import Notice, notify
from lesson_studio.llm.structured import continue_structured, generate_structured
from lesson_studio.models import (
    Citation,
    Extension,
    Hit,
    LessonPlan,
    LessonRequest,
    MaterialItem,
    Objective,
    Preparation,
    ProcessStep,
)
from lesson_studio.prompts import render

Retriever = Callable[[LessonRequest], list[Hit]]


class Cancelled(StudioError):
    """The teacher cancelled the generation; the request and earlier versions are kept."""

    def __init__(self) -> None:
        super().__init__("已取消生成，您的请求已保存。 / Generation cancelled; your request is saved.")


def streamed_into(progress, cancel: threading.Event | None, report: Callable[[], None]) -> Callable[[str], None]:  # type: ignore[no-untyped-def]
    """The callback a model call streams its text into, for any resource type's writer: it checks
    cancel, notes the first content's time, counts the pieces, shows the text and reports."""

    def on_text(text: str) -> None:
        if cancel is not None and cancel.is_set():
            raise Cancelled()
        if progress.first_content_s is None:
            progress.first_content_s = time.monotonic() - progress.started_at
        progress.pieces += 1
        progress.current_text = text
        report()

    return on_text


class PlanSections(BaseModel):
    """The sections that have arrived, and the passages they were written from: what a failed,
    cancelled or cut-off generation keeps, so 继续生成 writes only what is missing."""

    hits: list[Hit] = []
    # A plan in English keeps its (longer) English sections: they validate as the En types.
    overview: OverviewDraft | OverviewDraftEn | None = None
    preparation: PreparationDraft | PreparationDraftEn | None = None
    steps: list[StepDraft | StepDraftEn | None] = []
    closing: ClosingDraft | ClosingDraftEn | None = None
    # A section cut at the length limit: its key ("overview", "step:2", ...) and the text that came,
    # so 继续生成 asks the model to write on from there instead of starting the section again.
    cut_section: str = ""
    cut_text: str = ""
    # Sections rejected for an image or a link the teacher did not give (rewritten once, then
    # removed by code); kept with the sections so a continued generation goes on counting.
    link_rejections: int = 0

    def count(self) -> int:
        return sum(part is not None for part in (self.overview, self.preparation, self.closing, *self.steps))

    def kept_anything(self) -> bool:
        return bool(self.count() or self.cut_text)


@dataclass
class PlanProgress:
    """What has arrived so far; pages render it while the job runs."""

    scaffold: Scaffold
    citations: list[Citation] = field(default_factory=list)
    overview: OverviewDraft | None = None
    preparation: PreparationDraft | None = None
    steps: list[StepDraft | None] = field(default_factory=list)
    closing: ClosingDraft | None = None
    current_section: str = ""
    current_text: str = ""
    started_at: float = field(default_factory=time.monotonic)
    first_content_s: float | None = None  # seconds until the model's first piece arrived
    pieces: int = 0

    hits: list[Hit] = field(default_factory=list)
    cut_section: str = ""
    cut_text: str = ""
    link_rejections: int = 0  # see PlanSections.link_rejections

    def sections(self) -> PlanSections:
        return PlanSections(
            hits=self.hits,
            overview=self.overview,
            preparation=self.preparation,
            steps=self.steps,
            closing=self.closing,
            cut_section=self.cut_section,
            cut_text=self.cut_text,
            link_rejections=self.link_rejections,
        )

    def sections_total(self) -> int:
        return 3 + len(self.scaffold.steps)  # overview, preparation, each step, closing

    def sections_done(self) -> int:
        return self.sections().count()

    def partial_fields(self) -> dict[str, str]:
        """Completed "key": "value" pairs of the section being written, for a live preview."""
        return dict(re.findall(r'"(\w+)"\s*:\s*"((?:[^"\\]|\\.)*)"', self.current_text))


@dataclass
class GenerationResult:
    plan: LessonPlan
    backend_id: str
    prompt_hash: str
    seconds: float
    first_content_s: float | None
    pieces: int
    link_rejections: int = 0  # sections rejected for an image or link the teacher did not give
    # What the content checks found before and after their repairs, and the seconds they added
    # (None when generate_plan was asked not to check).
    checks: CheckReport | None = None


# Characters of each passage the model reads. The whole prompt is read before the first piece
# (~52 tokens/s on 2 cores): four full 400-character chunks put the first visible content at 35 s
# (bench/generate.py); excerpts of this length keep it near 20 s, and the citation still names the
# whole passage for the teacher.
PASSAGE_PROMPT_CHARS = 240
_SENTENCE_END = re.compile(r"(?<=[。！？；!?;\n])")


def excerpt(text: str, limit: int | None = None) -> str:
    """The passage's first whole sentences up to `limit` characters (a cut sentence ends in ……)."""
    limit = PASSAGE_PROMPT_CHARS if limit is None else limit
    text = text.strip()
    if len(text) <= limit:
        return text
    kept = ""
    for sentence in _SENTENCE_END.split(text):
        if len(kept) + len(sentence) > limit:
            break
        kept += sentence
    return kept.strip() or text[:limit].rstrip() + "……"


def fence_passages(hits: list[Hit], language: str = "zh") -> Fenced:
    """Retrieved text goes in as untrusted data: fenced, numbered, and with anything that could pass
    for a fence marker taken out of its text, its title and its heading. (The markers are the same
    in both languages; a passage stays in the language it was written in.)"""
    in_english = english.is_english(language)
    if not hits:
        return Fenced("(No passages were found in the library.)" if in_english else "（资料库中没有找到相关资料）")
    blocks = []
    for number, hit in enumerate(hits, start=1):
        text = excerpt(defuse(hit.text))
        title, heading = defuse(hit.citation.document_title), defuse(hit.citation.heading)
        source = title + (f" › {heading}" if heading else "")
        label = f"source: \u300a{source}\u300b" if in_english else f"来源：《{source}》"
        blocks.append(f"{FENCE_OPEN} [{number}] {label}\n{text.strip()}\n{FENCE_CLOSE}")
    return Fenced("\n".join(blocks))


def teacher_words(request: LessonRequest) -> str:
    """What the teacher wrote: an address in it may appear in the plan (untrusted.find_links)."""
    return "\n".join([request.topic, request.notes, *request.materials])


Draft = TypeVar("Draft", bound=BaseModel)


def without_unasked_links(
    draft: Draft, given: str, rewrite: Callable[[str], Draft], backend_id: str, language: str = "zh"
) -> tuple[Draft, bool]:
    """A section holding an image or a link the teacher did not give is written once more, told not
    to (`rewrite` gets that instruction); if the rewrite still holds one, code removes it and keeps
    the text around it. Returns the section and whether it was rejected."""
    if not links_in(draft, given):
        return draft, False
    notify(
        Notice(
            kind="links_rejected",
            message="模型写了链接或图片，正在重写这一部分。 / The model wrote a link or an image; rewriting this section.",
            backend_id=backend_id,
        )
    )
    try:
        again = rewrite(render("no_links", language=language))
    except Cancelled:
        raise
    except StudioError:
        again = draft  # the rewrite is a courtesy; removing the links below is the guarantee
    return without_links(again, given), True


# Sections written from the request and the structure alone. The overview comes first, so the
# first model text appears after the short request is read rather than every passage (measured on
# 2 cores: ~6 s against ~13.5 s); the sample plans' nouns were also what it borrowed most (帽子 in a
# ping-pong plan). The 《指南》 lines of its objectives are code's (authoring.alignment). The
# passages follow the request in the context, so later sections still reuse the read prefix.
SECTIONS_WITHOUT_PASSAGES = frozenset({"overview"})
NO_PASSAGES_NEEDED = {
    "zh": Fenced("（写这一部分只依据上面的活动请求，不用参考资料）"),
    "en": Fenced("(Write this part from the activity request above alone; no passages are needed.)"),
}


def build_context(scaffold: Scaffold, hits: list[Hit], *, with_passages: bool = True) -> str:
    request = scaffold.request
    # What the model is told (小学化 drills replaced); a scaffold saved with a job before that
    # existed has no topic of its own, and then the request's words are used.
    topic, notes = (scaffold.topic, scaffold.notes) if scaffold.topic else (request.topic, request.notes)
    language = request.language
    if english.is_english(language):
        outline = "\n".join(
            f"{index}. {english.PHASE_LABELS[slot.phase]} · {english.STAGE_LABELS[slot.cps_stage]} ({slot.minutes} minutes)"
            for index, slot in enumerate(scaffold.steps, start=1)
        )
        listed, joined, none = ", ", "; ", "none"
        unspecified = "(not given: choose safe, open-ended materials)"
        band, domain = english.BAND_LABELS[request.age_band], english.DOMAIN_LABELS[request.domain]
    else:
        outline = "\n".join(
            f"{index}. {slot.phase}·{slot.cps_stage}（{slot.minutes}分钟）"
            for index, slot in enumerate(scaffold.steps, start=1)
        )
        listed, joined, none = "、", "；", "无"
        unspecified = "（未指定，请选用安全的低结构材料）"
        band, domain = request.age_band, request.domain
    return render(
        "lesson_context",
        language=language,
        age_band=band,
        domain=domain,
        minutes=request.minutes,
        topic=topic,
        child_materials=listed.join(scaffold.child_materials) or unspecified,
        teacher_only_materials=listed.join(scaffold.teacher_only_materials) or none,
        cps_focus=request.cps_focus or none,
        notes=notes or none,
        group_size=scaffold.group_size,
        idea_goal=scaffold.idea_goal,
        brainstorm_rules=joined.join(scaffold.brainstorm_rules),
        band_bans=joined.join(scaffold.band_bans),
        step_outline=outline,
        passages=fence_passages(hits, language) if with_passages else NO_PASSAGES_NEEDED[language],
    )


def read_passages_yet(progress: PlanProgress) -> bool:
    """Whether a section was already written from the passages (the overview is not)."""
    return progress.preparation is not None or progress.closing is not None or any(progress.steps)


def context_for(section_key: str, context: str, request_context: str) -> str:
    """The context a section is written from: the full one, or the request alone (see above)."""
    return request_context if section_key in SECTIONS_WITHOUT_PASSAGES else context


def section_messages(scaffold: Scaffold, context: str, instruction: str) -> list[Message]:
    # The system prompt is the same for every request (the context names the age band), so the
    # one warmed when the model loads serves them all; the context is identical for every section
    # of a plan, so llama.cpp reuses their evaluated prefix and reads only the short instruction.
    language = scaffold.request.language
    task = "\n\n[Task]\n" if english.is_english(language) else "\n\n【任务】\n"
    return [
        {"role": "system", "content": render("lesson_system", language=language)},
        {"role": "user", "content": context + task + instruction},
    ]


def step_instruction(scaffold: Scaffold, index: int) -> str:
    slot = scaffold.steps[index]
    extra = ""
    # The brainstorming rules are not restated here: the small model parroted such instructions
    # into the teacher's lines; assemble_plan puts the rules sentence in front when it is missing.
    language = scaffold.request.language
    in_english = english.is_english(language)
    if slot.cps_stage == "想办法":
        extra = (
            f"The children's idea goal: {scaffold.idea_goal}."
            if in_english
            else f"幼儿的点子目标：{scaffold.idea_goal}。"
        )
    elif slot.cps_stage == "试一试改一改":
        extra = (
            f"Grouping: {scaffold.group_size}. The teacher gives a child who gets stuck some support (a hint card, a "
            "half-made piece or a friend's help) and a child who finishes early a new challenge."
            if in_english
            else f"分组：{scaffold.group_size}。教师给遇到困难的孩子一个支持（提示卡、半成品或同伴帮助），"
            "给提前完成的孩子一个新挑战。"
        )
    return render(
        "lesson_step",
        language=language,
        step_number=index + 1,
        step_count=len(scaffold.steps),
        phase=english.label(english.PHASE_LABELS, slot.phase, language),
        cps_stage=english.label(english.STAGE_LABELS, slot.cps_stage, language),
        step_minutes=slot.minutes,
        guidance=slot.guidance,
        step_extra=extra,
    )


class LessonWriter:
    """Writes a plan's sections with the model, inside the scaffold and from the passages given:
    the "generate sections" step of the pipeline for lesson plans (lesson_studio.pipeline).

    Progress is reported after every piece and cancel is checked as often; on_section gets what
    has arrived after each finished section. With `resume`, the sections a failed run kept are
    reused and only the missing ones are written."""

    def __init__(
        self,
        scaffold: Scaffold,
        hits: list[Hit],
        *,
        backend: ChatBackend,
        on_progress: Callable[[PlanProgress], None] | None = None,
        on_section: Callable[[PlanSections], None] | None = None,
        cancel: threading.Event | None = None,
        resume: PlanSections | None = None,
    ):
        if resume is not None and len(resume.steps) != len(scaffold.steps):
            resume = None  # the structure changed since (a code update): start over rather than mix
        self.scaffold = scaffold
        self.backend = backend
        self.on_progress = on_progress
        self.on_section = on_section
        self.cancel = cancel
        self.progress = PlanProgress(
            scaffold=scaffold,
            # A citation keeps the excerpt the model read, so a later regeneration builds the very
            # same context (llama.cpp reuses it instead of reading the passages again) and the
            # checks see it.
            citations=[
                hit.citation.model_copy(update={"number": n, "excerpt": excerpt(defuse(hit.text))})
                for n, hit in enumerate(hits, start=1)
            ],
            steps=list(resume.steps) if resume is not None else [None] * len(scaffold.steps),
            overview=resume.overview if resume is not None else None,
            preparation=resume.preparation if resume is not None else None,
            closing=resume.closing if resume is not None else None,
            hits=hits,
            cut_section=resume.cut_section if resume is not None else "",
            cut_text=resume.cut_text if resume is not None else "",
            link_rejections=resume.link_rejections if resume is not None else 0,
        )
        self.context = build_context(scaffold, hits)
        self.request_context = build_context(scaffold, hits, with_passages=False)
        self.given = teacher_words(scaffold.request)
        self.prompt_digest = hashlib.sha256(self.context.encode("utf-8"))

    @staticmethod
    def kept_passages(resume: PlanSections | None) -> list[Hit] | None:
        """The passages a continued generation was written from (None: retrieve them)."""
        return list(resume.hits) if resume is not None else None

    def report(self) -> None:
        if self.on_progress:
            self.on_progress(self.progress)

    def write_sections(self) -> None:
        """Every section the plan still lacks, in order: overview, preparation, steps, closing."""
        progress = self.progress
        self.report()  # the scaffold and the citations are visible before the model says anything
        if progress.overview is None:
            progress.overview = self.run_section(*section_task(self.scaffold, "overview"))
            self._section_done()
        if progress.preparation is None:
            progress.preparation = self.run_section(*section_task(self.scaffold, "preparation"))
            self._section_done()
        for index in range(len(self.scaffold.steps)):
            if progress.steps[index] is None:
                progress.steps[index] = self.run_section(*section_task(self.scaffold, f"step:{index}"))
                self._section_done()
        if progress.closing is None:
            progress.closing = self.run_section(*section_task(self.scaffold, "closing"))
            self._section_done()
        self.idle()

    def idle(self) -> None:
        self.progress.current_section, self.progress.current_text = "", ""
        self.report()

    def _section_done(self) -> None:
        self.report()
        if self.on_section:
            self.on_section(self.progress.sections())

    def draft(self) -> LessonPlan:
        """The plan as the model wrote it (code's rules are the pipeline's next step)."""
        return plan_from_sections(self.progress)

    def run_section(self, key: str, name: str, instruction: str, output_type: type[Draft], max_tokens: int) -> Draft:
        progress, backend, cancel = self.progress, self.backend, self.cancel
        if cancel is not None and cancel.is_set():
            raise Cancelled()
        progress.current_section, progress.current_text = name, ""
        self.prompt_digest.update(instruction.encode("utf-8"))

        on_text = streamed_into(progress, cancel, self.report)

        def attempt(extra: str = "") -> Draft:
            context = context_for(key, self.context, self.request_context)
            messages = section_messages(self.scaffold, context, instruction + (f"\n{extra}" if extra else ""))
            if progress.cut_section == key and progress.cut_text:
                # 继续生成 after a length cut: write on from the text that came, not from scratch.
                cut_text, progress.cut_section, progress.cut_text = progress.cut_text, "", ""
                return continue_structured(
                    backend, messages, output_type, cut_text, max_tokens=max_tokens, on_text=on_text, what=name
                )
            return generate_structured(
                backend, messages, output_type, max_tokens=max_tokens, on_text=on_text, what=name
            )

        try:
            try:
                draft = attempt()
            except ContextTooLong as error:
                if not progress.hits:
                    raise
                # One retry with half the passages. Cite what was read: all of them if an earlier
                # section read the full set, else only those kept.
                kept = progress.hits[: len(progress.hits) // 2]
                notify(
                    Notice(
                        kind="fewer_passages",
                        message=f"资料太长，减少到 {len(kept)} 条参考资料后重试。 / The passages were too long; retrying with {len(kept)}.",
                        backend_id=error.backend_id,
                        detail=error.detail,
                    )
                )
                if not read_passages_yet(progress):
                    progress.hits = kept
                    progress.citations = progress.citations[: len(kept)]
                self.context = build_context(self.scaffold, kept)
                draft = attempt()
        except Truncated as cut:
            progress.cut_section, progress.cut_text = key, cut.partial
            if self.on_section:
                self.on_section(progress.sections())  # kept for 继续生成, even across a restart
            raise
        draft, rejected = without_unasked_links(draft, self.given, attempt, backend.id, self.scaffold.request.language)
        progress.link_rejections += rejected
        return draft

    def rewrite(self, current: LessonPlan, section: str, fix: str) -> LessonPlan:
        """A section written again with a problem named (the content checks' repair)."""
        key, name, instruction, output_type, max_tokens = section_task(self.scaffold, section)
        try:
            draft = self.run_section(key, f"检查后重写：{name}", f"{instruction}\n{fix}", output_type, max_tokens)
        except Cancelled:
            raise
        except StudioError:
            self.progress.cut_section, self.progress.cut_text = "", ""
            return current  # a failed repair keeps the section as it was; the check still reports it
        return merge_section(current, section, draft, self.scaffold)

    def validate(self, plan: LessonPlan) -> tuple[LessonPlan, CheckReport]:
        """The content checks on the assembled plan, repaired by code or by rewriting a section."""
        facts = CheckFacts(scaffold=self.scaffold, passages=passages_read(self.progress.hits))
        checked = validate_plan(plan, facts, self.rewrite)
        self.idle()
        return checked

    def result(self, plan: LessonPlan, checks: CheckReport | None) -> GenerationResult:
        progress = self.progress
        return GenerationResult(
            plan=plan,
            backend_id=self.backend.id,
            prompt_hash=self.prompt_digest.hexdigest()[:16],
            seconds=time.monotonic() - progress.started_at,
            first_content_s=progress.first_content_s,
            pieces=progress.pieces,
            link_rejections=progress.link_rejections,
            checks=checks,
        )


def generate_plan(
    request: LessonRequest,
    *,
    backend: ChatBackend,
    retriever: Retriever | None = None,
    on_progress: Callable[[PlanProgress], None] | None = None,
    on_section: Callable[[PlanSections], None] | None = None,
    cancel: threading.Event | None = None,
    resume: PlanSections | None = None,
    check: bool = True,
) -> GenerationResult:
    """A full plan through the pipeline's steps, without saving it (tests, benches, adapt_plan):
    lesson_studio.pipeline.write with the lesson-plan resource type. check=False skips the content
    checks (the quality bench measures a plan before and after)."""
    from lesson_studio.pipeline import write  # the pipeline composes this module's parts
    from lesson_studio.resource_types.lesson_plan import LESSON_PLAN

    return write(
        LESSON_PLAN,
        request,
        backend=backend,
        retrieve=retriever,
        on_progress=on_progress,
        on_section=on_section,
        cancel=cancel,
        resume=resume,
        check=check,
    )


def passages_read(hits: list[Hit]) -> list[Passage]:
    """The passages as the model read them (the fenced excerpts), for the content checks."""
    return [
        Passage(title=hit.citation.document_title, text=excerpt(defuse(hit.text)), heading=hit.citation.heading)
        for hit in hits
    ]


SectionTask = tuple[str, str, str, type[BaseModel], int]


def section_task(scaffold: Scaffold, section: str) -> SectionTask:
    """(key, name, instruction, output type, max tokens) of a section: what generate_plan asks."""
    request = scaffold.request
    language = request.language
    # English takes about twice the tokens of the same Chinese text, and its drafts allow three times the characters.
    drafts = drafts_for(language)
    scale = 2 if english.is_english(language) else 1
    if section == "overview":
        band = english.label(english.BAND_SHORT, request.age_band, language)
        domain = english.label(english.DOMAIN_LABELS, request.domain, language)
        instruction = render("lesson_overview", language=language, age_band=band, domain=domain)
        return "overview", "活动名称与目标", instruction, drafts.OverviewDraft, 450 * scale
    if section == "preparation":
        instruction = render("lesson_preparation", language=language, setting=setting_line(scaffold))
        return "preparation", "活动准备", instruction, drafts.PreparationDraft, 300 * scale
    if section == "closing":
        return (
            "closing",
            "活动延伸与观察",
            render("lesson_closing", language=language),
            drafts.ClosingDraft,
            300 * scale,
        )
    index = int(section.split(":", 1)[1])
    name = f"活动过程 {index + 1}·{scaffold.steps[index].cps_stage}"
    return f"step:{index}", name, step_instruction(scaffold, index), drafts.StepDraft, 400 * scale


def plan_from_sections(progress: PlanProgress) -> LessonPlan:
    """The model's sections in the code-decided structure, as the model wrote them; code's rules
    (authoring.rules.apply_code_rules) are applied after, by the pipeline."""
    scaffold, request = progress.scaffold, progress.scaffold.request
    overview, preparation, closing = progress.overview, progress.preparation, progress.closing
    if overview is None or preparation is None or closing is None or any(step is None for step in progress.steps):
        raise ValueError("plan_from_sections needs every section")
    steps = []
    for slot, draft in zip(scaffold.steps, progress.steps, strict=True):
        assert draft is not None
        steps.append(
            ProcessStep(phase=slot.phase, cps_stage=slot.cps_stage, minutes=slot.minutes, **step_fields(draft))
        )
    return LessonPlan(
        title=overview.title,
        language=request.language,
        age_band=request.age_band,
        domain=request.domain,
        minutes=request.minutes,
        design_intent=overview.design_intent,
        objectives=objectives_of(overview),
        key_point=overview.key_point,
        difficult_point=overview.difficult_point,
        preparation=Preparation(experience=list(preparation.experience), materials=materials_of(preparation)),
        steps=steps,
        extension=Extension(area=closing.area, home=closing.home),
        safety_notes=scaffold.safety_notes,
        observation_points=list(closing.observation_points),
        citations=progress.citations,
        warnings=scaffold.warnings,
    )


def setting_line(scaffold: Scaffold) -> str:
    """What the preparation may hold besides the teacher's list: the things the topic itself names
    (the ball, the river, the teddy) and the safe alternatives the scaffold chose."""
    if english.is_english(scaffold.request.language):
        alternatives = CheckFacts(scaffold=scaffold).alternatives
        return f"Safe alternatives: {'; '.join(alternatives)}" if alternatives else ""
    listed = scaffold.request.materials
    things = [
        word
        for word in sorted(nouns(scaffold.topic or scaffold.request.topic) - GENERIC_NOUNS)
        if not any(word in item or item in word for item in listed)
    ]
    alternatives = CheckFacts(scaffold=scaffold).alternatives
    parts = []
    if things:
        parts.append(f"情境道具（主题里的东西，需要时列入物质准备）：{'、'.join(things)}")
    if alternatives:
        parts.append(f"安全替代材料：{'；'.join(alternatives)}")
    return "；".join(parts) or "无"


def merge_section(plan: LessonPlan, section_id: str, draft: BaseModel, scaffold: Scaffold) -> LessonPlan:
    """The plan with one section replaced by a new draft, then code's rules applied to that
    section (authoring.rules.apply_code_rules, the same function generation uses)."""
    if isinstance(draft, OverviewDraft):
        merged = plan.model_copy(
            update={
                "title": draft.title,
                "design_intent": draft.design_intent,
                "objectives": objectives_of(draft),
                "key_point": draft.key_point,
                "difficult_point": draft.difficult_point,
            }
        )
    elif isinstance(draft, PreparationDraft):
        preparation = plan.preparation.model_copy(
            update={"experience": list(draft.experience), "materials": materials_of(draft)}
        )
        merged = plan.model_copy(update={"preparation": preparation})
    elif isinstance(draft, StepDraft):
        index = int(section_id.split(":", 1)[1])
        steps = list(plan.steps)
        steps[index] = steps[index].model_copy(update=step_fields(draft))
        merged = plan.model_copy(update={"steps": steps})
    elif isinstance(draft, ClosingDraft):
        merged = plan.model_copy(
            update={
                "extension": Extension(area=draft.area, home=draft.home),
                "observation_points": list(draft.observation_points),
            }
        )
    else:
        raise TypeError(f"unknown draft {type(draft).__name__}")
    return apply_code_rules(merged, scaffold, sections=[section_id])


def objectives_of(draft: OverviewDraft) -> list[Objective]:
    return [Objective(dimension=item.dimension, text=item.text) for item in draft.objectives]


def materials_of(draft: PreparationDraft) -> list[MaterialItem]:
    return [MaterialItem(name=item.name, quantity=item.quantity, for_whom=item.for_whom) for item in draft.materials]  # type: ignore[arg-type]


def step_fields(draft: StepDraft) -> dict[str, object]:
    """A step's content as the model wrote it (its structure is the scaffold's)."""
    return {
        "title": draft.title,
        "teacher": draft.teacher,
        "key_questions": list(draft.key_questions),
        "children": draft.children,
        "intent": draft.intent,
    }


def model_infer(backend: ChatBackend) -> Callable[[str, str, tuple[str, ...]], str | None]:
    """The request parser's fallback: ask the model to pick one of the allowed values."""

    def infer(text: str, field_name: str, options: tuple[str, ...]) -> str | None:
        choice = create_model("Choice", value=(Literal[options], ...))  # type: ignore[valid-type]
        messages: list[Message] = [
            {
                "role": "user",
                "content": render("request_infer", text=text, field=field_name, options="、".join(options)),
            }
        ]
        try:
            return generate_structured(backend, messages, choice, max_tokens=30, temperature=0.0).value  # type: ignore[attr-defined]
        except StudioError:
            return None

    return infer
