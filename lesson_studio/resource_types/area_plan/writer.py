"""The model writes each area of a 区域活动材料计划 in its own call (AreaDraft), inside the
scaffold, so the page shows the plan area by area; the pipeline then applies code's rules and the
checks (checks.py).

A draft naming a material the age band must not get is written once more at once, with the rule
named; code removes whatever is still there (checks.apply_area_rules)."""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from lesson_studio.authoring.content_checks import CheckReport, Defect
from lesson_studio.authoring.english import BAND_LABELS
from lesson_studio.authoring.english import label as english_label
from lesson_studio.authoring.generate import Cancelled, GenerationResult, streamed_into, without_unasked_links
from lesson_studio.errors import StudioError
from lesson_studio.llm.base import ChatBackend, Message
from lesson_studio.llm.structured import generate_structured
from lesson_studio.models import Citation, Hit
from lesson_studio.prompts import render
from lesson_studio.resource_types.area_plan import english
from lesson_studio.resource_types.area_plan.checks import unsafe_instruction, validate_area_plan
from lesson_studio.resource_types.area_plan.scaffold import AreaScaffold, AreaSlot, exclusion_for
from lesson_studio.resource_types.area_plan.schema import (
    AreaDraft,
    AreaPlan,
    AreaSection,
    Level,
    Material,
    draft_model,
)

MAX_TOKENS = 600
MAX_TOKENS_EN = 900  # English takes more tokens than the same Chinese


def in_language(language: str) -> dict[str, str]:
    """render's language argument for a plan in this language. Chinese, render's default, is left
    out, so a render that records the Chinese prompts' variables sees only the prompt's own."""
    return {"language": language} if language != "zh" else {}


@dataclass
class AreaProgress:
    """What has arrived so far: one section per area."""

    scaffold: AreaScaffold
    citations: list[Citation] = field(default_factory=list)
    drafts: dict[str, AreaDraft] = field(default_factory=dict)  # area -> its content, in arrival order
    current_section: str = ""
    current_text: str = ""
    started_at: float = field(default_factory=time.monotonic)
    first_content_s: float | None = None
    pieces: int = 0
    link_rejections: int = 0
    # Unsafe materials found in a first draft (each area was written again at once, with the rule named).
    unsafe_found: list[Defect] = field(default_factory=list)
    unsafe_rewrites: int = 0

    def sections_total(self) -> int:
        return len(self.scaffold.areas)

    def sections_done(self) -> int:
        return len(self.drafts)


class AreaWriter:
    def __init__(
        self,
        scaffold: AreaScaffold,
        hits: list[Hit],
        *,
        backend: ChatBackend,
        on_progress: Callable[[AreaProgress], None] | None = None,
        on_section: Callable[[object], None] | None = None,
        cancel: threading.Event | None = None,
        resume: object = None,
    ):
        self.scaffold = scaffold
        self.backend = backend
        self.on_progress = on_progress
        self.cancel = cancel
        self.progress = AreaProgress(scaffold=scaffold)
        request = scaffold.request
        self.language = in_language(request.language)
        self.draft_model = draft_model(request.language)
        self.given = "\n".join([request.theme, request.notes, *request.materials_on_hand])  # links the teacher gave
        self.prompt_digest = hashlib.sha256(
            "\n".join(
                [render("area_plan_system", **self.language), *(self.context(slot) for slot in scaffold.areas)]
            ).encode("utf-8")
        )

    def report(self) -> None:
        if self.on_progress:
            self.on_progress(self.progress)

    def context(self, slot: AreaSlot) -> str:
        scaffold, request = self.scaffold, self.scaffold.request
        language = request.language
        if language == "en":
            separator, none = ", ", "none"
        else:
            separator, none = "、", "无"
        return render(
            "area_plan",
            **self.language,
            class_name=request.class_name,
            age_band=english_label(BAND_LABELS, request.age_band, language),
            theme=request.theme,
            area=english.area_label(slot.area, language),
            area_focus=slot.focus,
            level_count=len(scaffold.level_names),
            record_how=scaffold.record_how,
            materials_on_hand=separator.join(scaffold.materials_on_hand) or none,
            banned=separator.join(scaffold.banned_words),
            notes=request.notes or none,
        )

    def write_sections(self) -> None:
        self.report()
        band, language = self.scaffold.request.age_band, self.scaffold.request.language
        for slot in self.scaffold.areas:
            draft = self._write(slot, "")
            unsafe = [found for item in draft.materials if (found := exclusion_for(item.name, band, language))]
            if unsafe:
                self.progress.unsafe_found += [
                    Defect(
                        "unsafe_material",
                        f"area:{slot.area}",
                        "materials",
                        f"{slot.area}的“{item.material}”不适合{band}幼儿操作",
                        (item.material,),
                    )
                    for item in unsafe
                ]
                self.progress.unsafe_rewrites += 1
                draft = self._rewritten(slot, unsafe_instruction(unsafe, band, language)) or draft
            self.progress.drafts[slot.area] = draft
            self.progress.current_section, self.progress.current_text = "", ""
            self.report()

    def _write(self, slot: AreaSlot, fix: str) -> AreaDraft:
        progress, cancel = self.progress, self.cancel
        if cancel is not None and cancel.is_set():
            raise Cancelled()
        progress.current_section, progress.current_text = slot.area, ""
        on_text = streamed_into(progress, cancel, self.report)
        context = self.context(slot)

        def attempt(extra: str = "") -> AreaDraft:
            task = context + "".join(f"\n{line}" for line in (fix, extra) if line)
            messages: list[Message] = [
                {"role": "system", "content": render("area_plan_system", **self.language)},
                {"role": "user", "content": task},
            ]
            return generate_structured(
                self.backend,
                messages,
                self.draft_model,
                max_tokens=MAX_TOKENS_EN if self.language else MAX_TOKENS,
                on_text=on_text,
                what=slot.area,
            )

        draft, rejected = without_unasked_links(attempt(), self.given, attempt, self.backend.id)
        progress.link_rejections += rejected
        return draft

    def _rewritten(self, slot: AreaSlot, fix: str) -> AreaDraft | None:
        """The area written again with a problem named; None when the model fails (the caller keeps
        what it had: code's rules and repairs are the guarantee)."""
        try:
            return self._write(slot, fix)
        except Cancelled:
            raise
        except StudioError:
            return None
        finally:
            self.progress.current_section, self.progress.current_text = "", ""

    def draft(self) -> AreaPlan:
        """The plan as the model wrote it, in the scaffold's structure (code's rules come next)."""
        assert len(self.progress.drafts) == len(self.scaffold.areas), "write_sections first"
        return plan_from_drafts(self.progress.drafts, self.scaffold)

    def rewrite_area(self, plan: AreaPlan, area: str, fix: str) -> AreaSection:
        """One area written again with its problems named; the area as it was if the model fails."""
        slot = next(slot for slot in self.scaffold.areas if slot.area == area)
        draft = self._rewritten(slot, fix)
        current = next(section for section in plan.areas if section.area == area)
        return current if draft is None else section_from_draft(draft, slot)

    def validate(self, plan: AreaPlan) -> tuple[AreaPlan, CheckReport]:
        plan, report = validate_area_plan(plan, self.scaffold, self.rewrite_area)
        report.before = [*self.progress.unsafe_found, *report.before]
        report.rewrites += self.progress.unsafe_rewrites
        return plan, report

    def result(self, plan: AreaPlan, checks: CheckReport | None) -> GenerationResult:
        progress = self.progress
        return GenerationResult(
            plan=plan,  # type: ignore[arg-type]  # the pipeline's document, whatever its type
            backend_id=self.backend.id,
            prompt_hash=self.prompt_digest.hexdigest()[:16],
            seconds=time.monotonic() - progress.started_at,
            first_content_s=progress.first_content_s,
            pieces=progress.pieces,
            link_rejections=progress.link_rejections,
            checks=checks,
        )


def section_from_draft(draft: AreaDraft, slot: AreaSlot) -> AreaSection:
    return AreaSection(
        area=slot.area,  # type: ignore[arg-type]  # the scaffold's areas are AreaName values
        goal=draft.goal,
        materials=[
            # An English draft says "high"/"low"; the plan keeps 高结构/低结构, its data.
            Material(
                name=item.name,
                quantity=item.quantity,
                structure=english.STRUCTURE_VALUES.get(item.structure, item.structure),  # type: ignore[arg-type]
            )
            for item in draft.materials
        ],
        levels=[Level(name="", challenge=level.challenge, difficulty=level.difficulty) for level in draft.levels],
        record_columns=list(draft.record_columns),
        observation_focus=list(draft.observation_focus),
        schedule=list(slot.schedule),
    )


def plan_from_drafts(drafts: dict[str, AreaDraft], scaffold: AreaScaffold) -> AreaPlan:
    request = scaffold.request
    return AreaPlan(
        title=scaffold.title,
        class_name=request.class_name,
        teacher=request.teacher,
        age_band=request.age_band,
        theme=request.theme,
        start_date=scaffold.start_date,
        weeks=request.weeks,
        areas=[section_from_draft(drafts[slot.area], slot) for slot in scaffold.areas],
        language=request.language,
    )
