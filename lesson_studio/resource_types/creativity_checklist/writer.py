"""The model writes a 创造力观察清单's look-fors in one call (ChecklistDraft), inside the scaffold;
the pipeline then applies code's rules and the checks (checks.py). The children's names never
reach the model: the look-fors depend on the activity and the age band only."""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from lesson_studio.authoring.content_checks import CheckReport
from lesson_studio.authoring.english import is_english
from lesson_studio.authoring.generate import Cancelled, GenerationResult, streamed_into, without_unasked_links
from lesson_studio.errors import StudioError
from lesson_studio.llm.base import ChatBackend, Message
from lesson_studio.llm.structured import generate_structured
from lesson_studio.models import Citation, Hit
from lesson_studio.prompts import render
from lesson_studio.resource_types.creativity_checklist import english
from lesson_studio.resource_types.creativity_checklist.checks import validate_checklist
from lesson_studio.resource_types.creativity_checklist.scaffold import ChecklistScaffold
from lesson_studio.resource_types.creativity_checklist.schema import (
    ChecklistDraft,
    ChecklistDraftEn,
    ChecklistItem,
    CreativityChecklist,
)

MAX_TOKENS = 900  # four dimensions of up to three 30-character look-fors and a note: ~600 tokens
MAX_TOKENS_EN = 1200  # the same in English: about three times the characters, a token per four of them
SECTION_NAME = "观察要点 / look-fors"


def prompt(name: str, language: str, **values: object) -> str:
    """prompts/<name>.md in the checklist's language. A Chinese checklist's call is left as it always
    was (tests that record the prompts rendered read exactly the template's variables)."""
    return render(name, language=language, **values) if is_english(language) else render(name, **values)


@dataclass
class ChecklistProgress:
    """What has arrived so far (one section: the four dimensions' look-fors)."""

    scaffold: ChecklistScaffold
    citations: list[Citation] = field(default_factory=list)
    draft: ChecklistDraft | None = None
    current_section: str = ""
    current_text: str = ""
    started_at: float = field(default_factory=time.monotonic)
    first_content_s: float | None = None
    pieces: int = 0
    link_rejections: int = 0

    def sections_total(self) -> int:
        return 1

    def sections_done(self) -> int:
        return int(self.draft is not None)


class ChecklistWriter:
    def __init__(
        self,
        scaffold: ChecklistScaffold,
        hits: list[Hit],
        *,
        backend: ChatBackend,
        on_progress: Callable[[ChecklistProgress], None] | None = None,
        on_section: Callable[[object], None] | None = None,
        cancel: threading.Event | None = None,
        resume: object = None,
    ):
        self.scaffold = scaffold
        self.backend = backend
        self.on_progress = on_progress
        self.cancel = cancel
        self.progress = ChecklistProgress(scaffold=scaffold)
        request = scaffold.request
        self.language = request.language
        self.context = prompt(
            "creativity_checklist",
            self.language,
            # Enumerations are data; an English prompt names them in English.
            age_band=english.band_label(request.age_band) if is_english(self.language) else request.age_band,
            activity=request.activity,
            band_note=scaffold.band_note,
        )
        self.given = request.activity  # links the teacher gave
        self.prompt_digest = hashlib.sha256(self.context.encode("utf-8"))

    def report(self) -> None:
        if self.on_progress:
            self.on_progress(self.progress)

    def write_sections(self) -> None:
        self.report()
        self.progress.draft = self._write("")
        self.progress.current_section, self.progress.current_text = "", ""
        self.report()

    def _write(self, fix: str) -> ChecklistDraft:
        progress, cancel = self.progress, self.cancel
        if cancel is not None and cancel.is_set():
            raise Cancelled()
        progress.current_section, progress.current_text = SECTION_NAME, ""
        on_text = streamed_into(progress, cancel, self.report)

        def attempt(extra: str = "") -> ChecklistDraft:
            task = self.context + "".join(f"\n{line}" for line in (fix, extra) if line)
            messages: list[Message] = [
                {"role": "system", "content": prompt("creativity_checklist_system", self.language)},
                {"role": "user", "content": task},
            ]
            in_english = is_english(self.language)
            return generate_structured(
                self.backend,
                messages,
                ChecklistDraftEn if in_english else ChecklistDraft,
                max_tokens=MAX_TOKENS_EN if in_english else MAX_TOKENS,
                on_text=on_text,
                what=SECTION_NAME,
            )

        draft, rejected = without_unasked_links(attempt(), self.given, attempt, self.backend.id)
        progress.link_rejections += rejected
        return draft

    def draft(self) -> CreativityChecklist:
        """The checklist as the model wrote it, in the scaffold's structure (code's rules come next)."""
        assert self.progress.draft is not None, "write_sections first"
        return checklist_from_draft(self.progress.draft, self.scaffold)

    def rewrite(self, checklist: CreativityChecklist, fix: str) -> CreativityChecklist:
        """The look-fors written again with the problems named; the checklist as it was if the model fails."""
        try:
            draft = self._write(fix)
        except Cancelled:
            raise
        except StudioError:
            return checklist
        finally:
            self.progress.current_section, self.progress.current_text = "", ""
        written = checklist_from_draft(draft, self.scaffold)
        return checklist.model_copy(update={"items": written.items})

    def validate(self, checklist: CreativityChecklist) -> tuple[CreativityChecklist, CheckReport]:
        return validate_checklist(checklist, self.scaffold, self.rewrite)

    def result(self, checklist: CreativityChecklist, checks: CheckReport | None) -> GenerationResult:
        progress = self.progress
        return GenerationResult(
            plan=checklist,  # type: ignore[arg-type]  # the pipeline's document, whatever its type
            backend_id=self.backend.id,
            prompt_hash=self.prompt_digest.hexdigest()[:16],
            seconds=time.monotonic() - progress.started_at,
            first_content_s=progress.first_content_s,
            pieces=progress.pieces,
            link_rejections=progress.link_rejections,
            checks=checks,
        )


def checklist_from_draft(draft: ChecklistDraft, scaffold: ChecklistScaffold) -> CreativityChecklist:
    """The scaffold's items with the dimensions' look-fors the model wrote, and the blank sheets."""
    items: list[ChecklistItem] = []
    for item in scaffold.items:
        written = getattr(draft, item.id, None) if item.kind == "dimension" else None
        if written is not None:
            item = item.model_copy(
                update={"look_fors": list(written.look_fors), "how_to_observe": written.how_to_observe}
            )
        items.append(item)
    request = scaffold.request
    return CreativityChecklist(
        language=request.language,
        title=scaffold.title,
        age_band=request.age_band,
        activity=request.activity,
        class_name=request.class_name,
        teacher=request.teacher,
        date=request.date,
        principle=scaffold.principle,
        items=items,
    )
