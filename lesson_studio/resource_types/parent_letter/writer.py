"""The model writes a 家长信's prose in one call (LetterDraft), inside the scaffold; the pipeline
then applies code's rules and the checks (checks.py)."""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from lesson_studio.authoring.content_checks import CheckReport
from lesson_studio.authoring.english import BAND_LABELS
from lesson_studio.authoring.english import label as english_label
from lesson_studio.authoring.generate import Cancelled, GenerationResult, streamed_into, without_unasked_links
from lesson_studio.llm.base import ChatBackend, Message
from lesson_studio.llm.structured import generate_structured
from lesson_studio.models import Citation, Hit
from lesson_studio.prompts import render
from lesson_studio.resource_types.parent_letter.checks import validate_letter
from lesson_studio.resource_types.parent_letter.scaffold import LetterScaffold
from lesson_studio.resource_types.parent_letter.schema import LetterDraft, ParentLetter, draft_model

MAX_TOKENS = 500
MAX_TOKENS_EN = 700  # English prose takes more tokens than the same Chinese
SECTION_NAME = "家长信正文 / the letter"


def in_language(language: str) -> dict[str, str]:
    """render's language argument for a letter in this language. Chinese, render's default, is left
    out, so a render that records the Chinese prompts' variables sees only the prompt's own."""
    return {"language": language} if language != "zh" else {}


@dataclass
class LetterProgress:
    """What has arrived so far (one section: the letter's prose)."""

    scaffold: LetterScaffold
    citations: list[Citation] = field(default_factory=list)
    draft: LetterDraft | None = None
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


class LetterWriter:
    def __init__(
        self,
        scaffold: LetterScaffold,
        hits: list[Hit],
        *,
        backend: ChatBackend,
        on_progress: Callable[[LetterProgress], None] | None = None,
        on_section: Callable[[object], None] | None = None,
        cancel: threading.Event | None = None,
        resume: object = None,
    ):
        self.scaffold = scaffold
        self.backend = backend
        self.on_progress = on_progress
        self.cancel = cancel
        self.progress = LetterProgress(scaffold=scaffold)
        request = scaffold.request
        self.language = in_language(request.language)
        english = request.language == "en"
        self.context = render(
            "parent_letter",
            **self.language,
            class_name=request.class_name,
            age_band=english_label(BAND_LABELS, request.age_band, request.language),
            topic=request.topic,
            collection=(", " if english else "、").join(item.name for item in scaffold.collection)
            or ("none" if english else "无"),
            notes=request.notes or ("none" if english else "无"),
        )
        self.draft_model = draft_model(request.language)
        self.given = "\n".join([request.topic, request.notes, *request.collect])  # links the teacher gave
        self.prompt_digest = hashlib.sha256(self.context.encode("utf-8"))

    def report(self) -> None:
        if self.on_progress:
            self.on_progress(self.progress)

    def write_sections(self) -> None:
        self.report()
        self.progress.draft = self._write("")
        self.progress.current_section, self.progress.current_text = "", ""
        self.report()

    def _write(self, fix: str) -> LetterDraft:
        progress, cancel = self.progress, self.cancel
        if cancel is not None and cancel.is_set():
            raise Cancelled()
        progress.current_section, progress.current_text = SECTION_NAME, ""

        on_text = streamed_into(progress, cancel, self.report)

        def attempt(extra: str = "") -> LetterDraft:
            task = self.context + "".join(f"\n{line}" for line in (fix, extra) if line)
            messages: list[Message] = [
                {"role": "system", "content": render("parent_letter_system", **self.language)},
                {"role": "user", "content": task},
            ]
            return generate_structured(
                self.backend,
                messages,
                self.draft_model,
                max_tokens=MAX_TOKENS_EN if self.language else MAX_TOKENS,
                on_text=on_text,
                what=SECTION_NAME,
            )

        draft, rejected = without_unasked_links(attempt(), self.given, attempt, self.backend.id)
        progress.link_rejections += rejected
        return draft

    def draft(self) -> ParentLetter:
        """The letter as the model wrote it, with the scaffold's parts (code's rules come next)."""
        assert self.progress.draft is not None, "write_sections first"
        return letter_from_draft(self.progress.draft, self.scaffold)

    def rewrite(self, letter: ParentLetter, fix: str) -> ParentLetter:
        """The prose written again with a problem named; the letter as it was if the model fails."""
        from lesson_studio.errors import StudioError

        try:
            draft = self._write(fix)
        except Cancelled:
            raise
        except StudioError:
            return letter
        finally:
            self.progress.current_section, self.progress.current_text = "", ""
        return letter.model_copy(update=draft.model_dump())

    def validate(self, letter: ParentLetter) -> tuple[ParentLetter, CheckReport]:
        return validate_letter(letter, self.scaffold, self.rewrite)

    def result(self, letter: ParentLetter, checks: CheckReport | None) -> GenerationResult:
        progress = self.progress
        return GenerationResult(
            plan=letter,  # type: ignore[arg-type]  # the pipeline's document, whatever its type
            backend_id=self.backend.id,
            prompt_hash=self.prompt_digest.hexdigest()[:16],
            seconds=time.monotonic() - progress.started_at,
            first_content_s=progress.first_content_s,
            pieces=progress.pieces,
            link_rejections=progress.link_rejections,
            checks=checks,
        )


def letter_from_draft(draft: LetterDraft, scaffold: LetterScaffold) -> ParentLetter:
    request = scaffold.request
    return ParentLetter(
        age_band=request.age_band,
        class_name=request.class_name,
        teacher=request.teacher,
        date=request.date,
        language=request.language,
        **draft.model_dump(),
    )
