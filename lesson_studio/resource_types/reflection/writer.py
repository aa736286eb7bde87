"""The model writes a 活动反思 inside the scaffold: the reflection's prose in one call, then each step
the notes point at, one call per step; the revised steps go through the lesson plan's own rules
(authoring.rules.apply_code_rules). The pipeline then applies the reflection's rules and checks."""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from pydantic import BaseModel

from lesson_studio.authoring import english as lesson_english
from lesson_studio.authoring.content_checks import CheckReport
from lesson_studio.authoring.english import is_english
from lesson_studio.authoring.generate import Cancelled, GenerationResult, streamed_into, without_unasked_links
from lesson_studio.authoring.rules import apply_code_rules
from lesson_studio.errors import StudioError
from lesson_studio.llm.base import ChatBackend, Message
from lesson_studio.llm.structured import generate_structured
from lesson_studio.models import Citation, Hit, ProcessStep
from lesson_studio.prompts import render
from lesson_studio.resource_types.reflection import english
from lesson_studio.resource_types.reflection.checks import validate_reflection, with_code_minutes, with_step
from lesson_studio.resource_types.reflection.scaffold import ReflectionScaffold
from lesson_studio.resource_types.reflection.schema import (
    GoalReview,
    Reflection,
    ReflectionDraft,
    ReflectionDraftEn,
    RevisedStepDraft,
    RevisedStepDraftEn,
    StepChange,
    Suggestion,
)

PROSE_TOKENS = 700
STEP_TOKENS = 500
PROSE_SECTION = "活动反思 / the reflection"
# English: about three times the characters, a token per four of them.
PROSE_TOKENS_EN = 1000
STEP_TOKENS_EN = 750


def prompt(name: str, language: str, **values: object) -> str:
    """prompts/<name>.md in the reflection's language. A Chinese reflection's call is left as it always
    was (tests that record the prompts rendered read exactly the template's variables)."""
    return render(name, language=language, **values) if is_english(language) else render(name, **values)


def context_values(scaffold: ReflectionScaffold) -> dict[str, object]:
    """The plan, the numbered notes and the timings as the shared context shows them, in the
    reflection's language (the plan's enumerations are data, named in English in an English prompt)."""
    plan = scaffold.plan
    if not is_english(scaffold.request.language):
        return {
            "plan_title": plan.title,
            "age_band": plan.age_band,
            "minutes": plan.minutes,
            "objectives": "\n".join(f"{n}. 【{o.dimension}】{o.text}" for n, o in enumerate(plan.objectives, start=1)),
            "steps": "\n".join(
                f"{n}. {s.phase}·{s.cps_stage}《{s.title}》{s.minutes}分钟" for n, s in enumerate(plan.steps, start=1)
            ),
            "notes": "\n".join(f"记录{note.number}：{note.text}" for note in scaffold.notes),
            "timings": "\n".join(
                f"第{t.step}环节《{t.title}》：计划{t.planned}分钟"
                + (f"，实际{t.actual}分钟" if t.actual is not None else "")
                + f"（{t.status}）"
                for t in scaffold.timings
            ),
        }
    return {
        "plan_title": plan.title,
        "age_band": english.band_label(plan.age_band),
        "minutes": plan.minutes,
        "objectives": "\n".join(
            english.objective_line(n, o.dimension, o.text) for n, o in enumerate(plan.objectives, start=1)
        ),
        "steps": "\n".join(
            english.step_line(n, s.phase, s.cps_stage, s.title, s.minutes) for n, s in enumerate(plan.steps, start=1)
        ),
        "notes": "\n".join(f"Note {note.number}: {note.text}" for note in scaffold.notes),
        "timings": "\n".join(
            english.timing_line(t.step, t.title, t.planned, t.actual, t.status) for t in scaffold.timings
        ),
    }


@dataclass
class ReflectionProgress:
    """What has arrived so far: the reflection's prose, then each revised step."""

    scaffold: ReflectionScaffold
    citations: list[Citation] = field(default_factory=list)
    draft: ReflectionDraft | None = None
    steps: dict[int, RevisedStepDraft] = field(default_factory=dict)
    current_section: str = ""
    current_text: str = ""
    started_at: float = field(default_factory=time.monotonic)
    first_content_s: float | None = None
    pieces: int = 0
    link_rejections: int = 0

    def sections_total(self) -> int:
        return 1 + len(self.scaffold.to_revise)

    def sections_done(self) -> int:
        return int(self.draft is not None) + len(self.steps)


class ReflectionWriter:
    def __init__(
        self,
        scaffold: ReflectionScaffold,
        hits: list[Hit],
        *,
        backend: ChatBackend,
        on_progress: Callable[[ReflectionProgress], None] | None = None,
        on_section: Callable[[object], None] | None = None,
        cancel: threading.Event | None = None,
        resume: object = None,
    ):
        self.scaffold = scaffold
        self.backend = backend
        self.on_progress = on_progress
        self.cancel = cancel
        self.progress = ReflectionProgress(scaffold=scaffold)
        plan = scaffold.plan
        self.language = scaffold.request.language
        self.in_english = is_english(self.language)
        # The same context opens every call, so llama.cpp reuses its evaluated prefix.
        self.context = prompt("reflection", self.language, **context_values(scaffold))
        request = scaffold.request
        # Links the teacher gave (in her notes or her plan) may be repeated; any other is rejected.
        self.given = "\n".join(
            [request.children, request.timing, request.surprises, request.changes, plan.model_dump_json()]
        )
        self.prompt_digest = hashlib.sha256(self.context.encode("utf-8"))

    def report(self) -> None:
        if self.on_progress:
            self.on_progress(self.progress)

    def write_sections(self) -> None:
        self.report()
        self.progress.draft = self._write(
            PROSE_SECTION,
            prompt("reflection_prose", self.language, objective_count=len(self.scaffold.plan.objectives)),
            ReflectionDraftEn if self.in_english else ReflectionDraft,
            PROSE_TOKENS_EN if self.in_english else PROSE_TOKENS,
        )  # type: ignore[assignment]
        self.report()
        for index in self.scaffold.to_revise:
            self.progress.steps[index] = self._write_step(index, "")
            self.report()
        self.progress.current_section, self.progress.current_text = "", ""
        self.report()

    def _write_step(self, index: int, fix: str) -> RevisedStepDraft:
        step = self.scaffold.plan.steps[index]
        english_names = self.in_english  # the phase and stage are data, named in English in an English prompt
        task = prompt(
            "reflection_step",
            self.language,
            number=index + 1,
            phase=lesson_english.PHASE_LABELS.get(step.phase, step.phase) if english_names else step.phase,
            stage=lesson_english.STAGE_LABELS.get(step.cps_stage, step.cps_stage) if english_names else step.cps_stage,
            minutes=self.scaffold.revised_minutes[index],
            reasons=("; " if english_names else "；").join(self.scaffold.reasons.get(index, [])),
            original=original_step(step, self.language),
            fix=fix,
        )
        draft_type = RevisedStepDraftEn if english_names else RevisedStepDraft
        tokens = STEP_TOKENS_EN if english_names else STEP_TOKENS
        return self._write(f"第{index + 1}环节 / step {index + 1}", task, draft_type, tokens)  # type: ignore[return-value]

    def _write(self, section: str, task: str, output: type[BaseModel], max_tokens: int) -> BaseModel:
        progress, cancel = self.progress, self.cancel
        if cancel is not None and cancel.is_set():
            raise Cancelled()
        progress.current_section, progress.current_text = section, ""
        on_text = streamed_into(progress, cancel, self.report)
        self.prompt_digest.update(task.encode("utf-8"))

        def attempt(extra: str = "") -> BaseModel:
            messages: list[Message] = [
                {"role": "system", "content": prompt("reflection_system", self.language)},
                {"role": "user", "content": "\n".join(part for part in (self.context, task, extra) if part)},
            ]
            return generate_structured(
                self.backend, messages, output, max_tokens=max_tokens, on_text=on_text, what=section
            )

        draft, rejected = without_unasked_links(attempt(), self.given, attempt, self.backend.id)
        progress.link_rejections += rejected
        return draft

    def draft(self) -> Reflection:
        """The reflection as the model wrote it, the revised steps merged into the plan with the
        lesson plan's rules (the reflection's own rules come next)."""
        assert self.progress.draft is not None, "write_sections first"
        return reflection_from(self.progress.draft, self.progress.steps, self.scaffold)

    def rewrite_step(self, reflection: Reflection, index: int, fix: str) -> Reflection:
        """One step written again with its problem named; the reflection as it was if the model fails."""
        try:
            draft = self._write_step(index, fix)
        except Cancelled:
            raise
        except StudioError:
            return reflection
        finally:
            self.progress.current_section, self.progress.current_text = "", ""
        revised = reflection.revised_plan.steps[index].model_copy(update=revised_step_fields(draft))
        rewritten = with_step(reflection, index, revised, self.scaffold)
        summaries = [
            c if c.step != index + 1 else c.model_copy(update={"summary": draft.change}) for c in rewritten.changes
        ]
        return rewritten.model_copy(update={"changes": summaries})

    def validate(self, reflection: Reflection) -> tuple[Reflection, CheckReport]:
        return validate_reflection(reflection, self.scaffold, self.rewrite_step)

    def result(self, reflection: Reflection, checks: CheckReport | None) -> GenerationResult:
        progress = self.progress
        return GenerationResult(
            plan=reflection,  # type: ignore[arg-type]  # the pipeline's document, whatever its type
            backend_id=self.backend.id,
            prompt_hash=self.prompt_digest.hexdigest()[:16],
            seconds=time.monotonic() - progress.started_at,
            first_content_s=progress.first_content_s,
            pieces=progress.pieces,
            link_rejections=progress.link_rejections,
            checks=checks,
        )


def original_step(step: ProcessStep, language: str = "zh") -> str:
    colon = ": " if is_english(language) else "："
    return (
        f"title{colon}{step.title}\nteacher{colon}{step.teacher}\nkey_questions{colon}{' / '.join(step.key_questions)}\n"
        f"children{colon}{step.children}\nintent{colon}{step.intent}"
    )


def revised_step_fields(draft: RevisedStepDraft) -> dict[str, object]:
    """A revised step's content (its phase, CPS stage and minutes are code's)."""
    return {
        "title": draft.title,
        "teacher": draft.teacher,
        "key_questions": list(draft.key_questions),
        "children": draft.children,
        "intent": draft.intent,
    }


def reflection_from(
    draft: ReflectionDraft, revised: dict[int, RevisedStepDraft], scaffold: ReflectionScaffold
) -> Reflection:
    """The reflection from the model's drafts: the revised steps merged into the plan, the lesson
    plan's rules applied to them, and the minutes code's."""
    plan = scaffold.plan
    steps = list(plan.steps)
    for index, step in revised.items():
        steps[index] = steps[index].model_copy(update=revised_step_fields(step))
    revised_plan = apply_code_rules(
        plan.model_copy(update={"steps": steps}), scaffold.lesson_scaffold, sections=[f"step:{i}" for i in revised]
    )
    return Reflection(
        language=scaffold.request.language,
        title=plan.title,
        plan_title=plan.title,
        age_band=plan.age_band,
        plan_version_id=scaffold.request.plan_version_id,
        goal_reviews=[
            GoalReview(
                dimension="",
                objective="",
                # An English draft answers in English words; the saved achievement is the enumeration.
                achieved=english.ACHIEVEMENT_DATA.get(review.achieved, review.achieved),
                evidence=review.evidence,
            )
            for review in draft.goal_reviews
        ],
        child_facts=list(draft.child_facts),
        timing_review=draft.timing_review,
        suggestions=[Suggestion(note=item.note, text=item.text) for item in draft.suggestions],
        next_time=draft.next_time,
        changes=[
            StepChange(step=index + 1, title="", minutes_before=0, minutes_after=0, reason="", summary=step.change)
            for index, step in revised.items()
        ],
        revised_plan=with_code_minutes(revised_plan, scaffold),
    )
