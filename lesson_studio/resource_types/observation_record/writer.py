"""The model writes a 观察记录 in two calls inside the scaffold: the objective record from the
teacher's notes (注意), then the analysis, supports and next observation from that record (识别,
回应) — so the analysis stands on what was written, and the record shows as soon as it is done. The
pipeline then applies code's rules, the checks (checks.py) and the 《指南》 lines (guidelines.py)."""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from pydantic import BaseModel

from lesson_studio.authoring.content_checks import CheckReport
from lesson_studio.authoring.english import is_english
from lesson_studio.authoring.generate import Cancelled, GenerationResult, streamed_into, without_unasked_links
from lesson_studio.errors import StudioError
from lesson_studio.llm.base import ChatBackend, Message
from lesson_studio.llm.structured import generate_structured
from lesson_studio.models import Citation, Hit
from lesson_studio.prompts import render
from lesson_studio.resource_types.observation_record import english
from lesson_studio.resource_types.observation_record.checks import validate_record
from lesson_studio.resource_types.observation_record.scaffold import ObservationScaffold
from lesson_studio.resource_types.observation_record.schema import (
    AnalysisDraft,
    AnalysisDraftEn,
    ObservationRecord,
    RecordDraft,
    RecordDraftEn,
)

MAX_TOKENS = {"record": 450, "analysis": 450}
# An English record: about three times the characters, and English takes about a token per four of them.
MAX_TOKENS_EN = {"record": 600, "analysis": 600}
# What the model writes for each section, per language (the English drafts are subclasses).
DRAFTS = {
    "zh": {"record": RecordDraft, "analysis": AnalysisDraft},
    "en": {"record": RecordDraftEn, "analysis": AnalysisDraftEn},
}
SECTION_NAMES = {"record": "观察实录 / the record", "analysis": "分析与支持 / analysis and support"}


def prompt(name: str, language: str, **values: object) -> str:
    """prompts/<name>.md in the record's language. A Chinese record's call is left as it always was
    (tests that record the prompts rendered read exactly the template's variables)."""
    return render(name, language=language, **values) if is_english(language) else render(name, **values)


@dataclass
class ObservationProgress:
    """What has arrived so far: the record, then the analysis."""

    scaffold: ObservationScaffold
    citations: list[Citation] = field(default_factory=list)
    record: RecordDraft | None = None
    analysis: AnalysisDraft | None = None
    current_section: str = ""
    current_text: str = ""
    started_at: float = field(default_factory=time.monotonic)
    first_content_s: float | None = None
    pieces: int = 0
    link_rejections: int = 0

    def sections_total(self) -> int:
        return 2

    def sections_done(self) -> int:
        return int(self.record is not None) + int(self.analysis is not None)


class ObservationWriter:
    def __init__(
        self,
        scaffold: ObservationScaffold,
        hits: list[Hit],
        *,
        backend: ChatBackend,
        on_progress: Callable[[ObservationProgress], None] | None = None,
        on_section: Callable[[object], None] | None = None,
        cancel: threading.Event | None = None,
        resume: object = None,
    ):
        self.scaffold = scaffold
        self.backend = backend
        self.on_progress = on_progress
        self.cancel = cancel
        self.progress = ObservationProgress(scaffold=scaffold)
        request = scaffold.request
        self.language = request.language
        in_english = is_english(self.language)
        none = english.NO_ACTIVITY if in_english else "无"
        self.context = prompt(
            "observation_record",
            self.language,
            child=request.child,
            class_name=request.class_name,
            # Enumerations are data; an English prompt names them in English.
            age_band=english.band_label(request.age_band) if in_english else request.age_band,
            date=request.date,
            place=request.place,
            observer=request.observer,
            activity=request.activity or none,
            purpose=request.purpose or none,
            method=english.method_label(request.method) if in_english else request.method,
            notes=request.notes,
        )
        self.given = "\n".join([request.notes, request.purpose, request.activity])  # links the teacher gave
        self.prompt_digest = hashlib.sha256(self.context.encode("utf-8"))

    def report(self) -> None:
        if self.on_progress:
            self.on_progress(self.progress)

    def write_sections(self) -> None:
        self.report()
        self.progress.record = self._write("record", "")  # type: ignore[assignment]
        self.report()
        written = self.progress.record.objective_record  # type: ignore[union-attr]
        self.progress.analysis = self._write("analysis", "", written)  # type: ignore[assignment]
        self.progress.current_section, self.progress.current_text = "", ""
        self.report()

    def _task(self, section: str, objective_record: str) -> str:
        request = self.scaffold.request
        if section == "record":
            return prompt("observation_record_notice", self.language, child=request.child)
        age_band = english.band_short(request.age_band).lower() if is_english(self.language) else request.age_band
        return prompt(
            "observation_record_analysis", self.language, objective_record=objective_record, age_band=age_band
        )

    def _write(self, section: str, fix: str, objective_record: str = "") -> BaseModel:
        """One section; the analysis is written from `objective_record` (the record as it stands)."""
        progress, cancel = self.progress, self.cancel
        if cancel is not None and cancel.is_set():
            raise Cancelled()
        progress.current_section, progress.current_text = SECTION_NAMES[section], ""
        on_text = streamed_into(progress, cancel, self.report)
        output_type = DRAFTS[self.language][section]
        max_tokens = (MAX_TOKENS_EN if is_english(self.language) else MAX_TOKENS)[section]
        task = self._task(section, objective_record)

        def attempt(extra: str = "") -> BaseModel:
            content = "\n\n".join([self.context, task]) + "".join(f"\n{line}" for line in (fix, extra) if line)
            messages: list[Message] = [
                {"role": "system", "content": prompt("observation_record_system", self.language)},
                {"role": "user", "content": content},
            ]
            return generate_structured(
                self.backend,
                messages,
                output_type,
                max_tokens=max_tokens,
                on_text=on_text,
                what=SECTION_NAMES[section],
            )

        draft, rejected = without_unasked_links(attempt(), self.given, attempt, self.backend.id)
        progress.link_rejections += rejected
        return draft

    def draft(self) -> ObservationRecord:
        """The record as the model wrote it, in the scaffold's structure (code's rules come next)."""
        assert self.progress.record is not None and self.progress.analysis is not None, "write_sections first"
        return record_from_drafts(self.progress.record, self.progress.analysis, self.scaffold)

    def rewrite(self, record: ObservationRecord, section: str, fix: str) -> ObservationRecord:
        """One section written again with a problem named; the record as it was if the model fails."""
        try:
            draft = self._write(section, fix, record.objective_record)
        except Cancelled:
            raise
        except StudioError:
            return record
        finally:
            self.progress.current_section, self.progress.current_text = "", ""
        return record.model_copy(update=draft.model_dump())

    def validate(self, record: ObservationRecord) -> tuple[ObservationRecord, CheckReport]:
        return validate_record(record, self.scaffold, self.rewrite)

    def result(self, record: ObservationRecord, checks: CheckReport | None) -> GenerationResult:
        progress = self.progress
        return GenerationResult(
            plan=record,  # type: ignore[arg-type]  # the pipeline's document, whatever its type
            backend_id=self.backend.id,
            prompt_hash=self.prompt_digest.hexdigest()[:16],
            seconds=time.monotonic() - progress.started_at,
            first_content_s=progress.first_content_s,
            pieces=progress.pieces,
            link_rejections=progress.link_rejections,
            checks=checks,
        )


def record_from_drafts(
    record: RecordDraft, analysis: AnalysisDraft, scaffold: ObservationScaffold
) -> ObservationRecord:
    request = scaffold.request
    return ObservationRecord(
        title=scaffold.title,
        age_band=request.age_band,
        class_name=request.class_name,
        date=request.date,
        place=request.place,
        child=request.child,
        observer=request.observer,
        language=request.language,
        **record.model_dump(),
        **analysis.model_dump(),
    )
