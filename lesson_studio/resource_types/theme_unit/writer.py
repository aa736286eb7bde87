"""The model writes a 主题活动 inside the scaffold, section by section so the page shows progress:
one call for the overview (source, value, goals, question web), one per week, then 环境创设,
家园共育 and 评价. The pipeline then applies code's rules and the checks (checks.py)."""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

from pydantic import BaseModel

from lesson_studio.authoring.content_checks import CheckReport
from lesson_studio.authoring.english import BAND_LABELS
from lesson_studio.authoring.english import label as english_label
from lesson_studio.authoring.generate import Cancelled, GenerationResult, streamed_into, without_unasked_links
from lesson_studio.errors import StudioError
from lesson_studio.llm.base import ChatBackend, Message
from lesson_studio.llm.structured import generate_structured
from lesson_studio.models import Citation, Hit
from lesson_studio.prompts import render
from lesson_studio.resource_types.theme_unit import english
from lesson_studio.resource_types.theme_unit.checks import validate_unit
from lesson_studio.resource_types.theme_unit.scaffold import STAGE_GUIDANCE, UnitScaffold, WeekSlot
from lesson_studio.resource_types.theme_unit.schema import (
    UNIT_STAGES,
    ClosingDraft,
    DomainGoal,
    OverviewDraft,
    ThemeUnit,
    UnitActivity,
    UnitWeek,
    WebBranch,
    WeekDraft,
    drafts_for,
)

Draft = TypeVar("Draft", bound=BaseModel)
MAX_TOKENS = {"overview": 700, "week": 700, "closing": 500}
MAX_TOKENS_EN = {"overview": 1000, "week": 1000, "closing": 700}  # English takes more tokens


def in_language(language: str) -> dict[str, str]:
    """render's language argument for a unit in this language. Chinese, render's default, is left
    out, so a render that records the Chinese prompts' variables sees only the prompt's own."""
    return {"language": language} if language != "zh" else {}


OVERVIEW_SECTION = "主题总览 / overview"
CLOSING_SECTION = "环境创设、家园共育与评价 / environment, families, evaluation"


def week_section(number: int) -> str:
    return f"第{number}周 / week {number}"


@dataclass
class UnitProgress:
    """What has arrived so far: the overview, the weeks in order, the closing."""

    scaffold: UnitScaffold
    citations: list[Citation] = field(default_factory=list)
    overview: OverviewDraft | None = None
    weeks: list[WeekDraft] = field(default_factory=list)
    closing: ClosingDraft | None = None
    current_section: str = ""
    current_text: str = ""
    started_at: float = field(default_factory=time.monotonic)
    first_content_s: float | None = None
    pieces: int = 0
    link_rejections: int = 0

    def sections_total(self) -> int:
        return 2 + len(self.scaffold.weeks)

    def sections_done(self) -> int:
        return int(self.overview is not None) + len(self.weeks) + int(self.closing is not None)


class UnitWriter:
    def __init__(
        self,
        scaffold: UnitScaffold,
        hits: list[Hit],
        *,
        backend: ChatBackend,
        on_progress: Callable[[UnitProgress], None] | None = None,
        on_section: Callable[[object], None] | None = None,
        cancel: threading.Event | None = None,
        resume: object = None,
    ):
        self.scaffold = scaffold
        self.backend = backend
        self.on_progress = on_progress
        self.cancel = cancel
        self.progress = UnitProgress(scaffold=scaffold)
        request = scaffold.request
        self.english = request.language == "en"
        self.language = in_language(request.language)
        self.overview_model, self.week_model, self.closing_model = drafts_for(request.language)
        if self.english:
            path = english.path_line([(week.number, list(week.stages)) for week in scaffold.weeks])
            domains = ", ".join(english.domain(domain, "en") for domain in request.domains) or english.ALL_DOMAINS
            materials, notes = ", ".join(scaffold.materials) or "none", request.notes or "none"
        else:
            path = "；".join(f"第{week.number}周 {'、'.join(week.stages)}" for week in scaffold.weeks)
            domains = "、".join(request.domains) or "五个领域均衡"
            materials, notes = "、".join(scaffold.materials) or "无", request.notes or "无"
        self.context = render(
            "theme_unit_context",
            **self.language,
            class_name=request.class_name,
            age_band=english_label(BAND_LABELS, request.age_band, request.language),
            theme=request.theme,
            problem=request.problem,
            weeks=request.weeks,
            path=path,
            domains=domains,
            materials=materials,
            notes=notes,
        )
        self.given = "\n".join(
            [request.theme, request.problem, request.notes, *request.materials]
        )  # links the teacher gave
        self.prompt_digest = hashlib.sha256(self.context.encode("utf-8"))

    def report(self) -> None:
        if self.on_progress:
            self.on_progress(self.progress)

    def write_sections(self) -> None:
        progress = self.progress
        self.report()
        progress.overview = self._ask(
            self.overview_model, OVERVIEW_SECTION, render("theme_unit_overview", **self.language), "overview"
        )
        for week in self.scaffold.weeks:
            progress.weeks.append(self._week(week, ""))
        if self.english:
            outline = "\n".join(
                f"Week {week.number}: " + "; ".join(activity.title for activity in drafted.activities)
                for week, drafted in zip(self.scaffold.weeks, progress.weeks, strict=True)
            )
        else:
            outline = "\n".join(
                f"第{week.number}周：" + "；".join(activity.title for activity in drafted.activities)
                for week, drafted in zip(self.scaffold.weeks, progress.weeks, strict=True)
            )
        progress.closing = self._ask(
            self.closing_model,
            CLOSING_SECTION,
            render("theme_unit_closing", **self.language, outline=outline),
            "closing",
        )
        progress.current_section, progress.current_text = "", ""
        self.report()

    def _week(self, week: WeekSlot, fix: str) -> WeekDraft:
        if self.english:
            slots = "\n".join(
                english.slot_line(n, slot.kind, slot.stage, slot.domain, slot.minutes)
                for n, slot in enumerate(week.slots, start=1)
            )
            stages = ", ".join(english.STAGE_LABELS[stage] for stage in week.stages)
            guidance = "; ".join(
                f"{english.STAGE_LABELS[stage]}: {english.STAGE_GUIDANCE[stage]}" for stage in week.stages
            )
        else:
            slots = "\n".join(
                f"{n}. {slot.kind}（{slot.stage}，{slot.domain}"
                + (f"，{slot.minutes}分钟" if slot.minutes else "")
                + "）"
                for n, slot in enumerate(week.slots, start=1)
            )
            stages = "、".join(week.stages)
            guidance = "；".join(f"{stage}：{STAGE_GUIDANCE[stage]}" for stage in week.stages)
        task = render(
            "theme_unit_week",
            **self.language,
            week=week.number,
            stages=stages,
            guidance=guidance,
            count=len(week.slots),
            slots=slots,
            fix=fix,
        )
        return self._ask(self.week_model, week_section(week.number), task, "week")

    def _ask(self, output: type[Draft], section: str, task: str, budget: str) -> Draft:
        progress, cancel = self.progress, self.cancel
        if cancel is not None and cancel.is_set():
            raise Cancelled()
        progress.current_section, progress.current_text = section, ""
        on_text = streamed_into(progress, cancel, self.report)

        def attempt(extra: str = "") -> Draft:
            content = "\n".join(part for part in (self.context, task, extra) if part)
            messages: list[Message] = [
                {"role": "system", "content": render("theme_unit_system", **self.language)},
                {"role": "user", "content": content},
            ]
            budgets = MAX_TOKENS_EN if self.english else MAX_TOKENS
            return generate_structured(
                self.backend, messages, output, max_tokens=budgets[budget], on_text=on_text, what=section
            )

        draft, rejected = without_unasked_links(attempt(), self.given, attempt, self.backend.id)
        progress.link_rejections += rejected
        self.report()
        return draft

    def draft(self) -> ThemeUnit:
        """The unit as the model wrote it, in the scaffold's structure (code's rules come next)."""
        progress = self.progress
        assert progress.overview is not None and progress.closing is not None, "write_sections first"
        return unit_from_drafts(progress.overview, progress.weeks, progress.closing, self.scaffold)

    def rewrite_week(self, unit: ThemeUnit, number: int, fix: str) -> ThemeUnit:
        """One week written again with its problem named; the unit as it was if the model fails."""
        week = self.scaffold.weeks[number - 1]
        try:
            drafted = self._week(week, fix)
        except Cancelled:
            raise
        except StudioError:
            return unit
        finally:
            self.progress.current_section, self.progress.current_text = "", ""
        domains = {activity.key: activity.domain for activity in unit.activities()}
        rewritten = week_from_draft(week, drafted).model_copy(update={"dates": week.dates})
        for activity in rewritten.activities:
            activity.domain = domains.get(activity.key, activity.domain)  # type: ignore[assignment]
        return unit.model_copy(
            update={"weeks": [rewritten if existing.number == number else existing for existing in unit.weeks]}
        )

    def validate(self, unit: ThemeUnit) -> tuple[ThemeUnit, CheckReport]:
        return validate_unit(unit, self.scaffold, self.rewrite_week)

    def result(self, unit: ThemeUnit, checks: CheckReport | None) -> GenerationResult:
        progress = self.progress
        return GenerationResult(
            plan=unit,  # type: ignore[arg-type]  # the pipeline's document, whatever its type
            backend_id=self.backend.id,
            prompt_hash=self.prompt_digest.hexdigest()[:16],
            seconds=time.monotonic() - progress.started_at,
            first_content_s=progress.first_content_s,
            pieces=progress.pieces,
            link_rejections=progress.link_rejections,
            checks=checks,
        )


def week_from_draft(week: WeekSlot, drafted: WeekDraft) -> UnitWeek:
    """The week's slots filled in order with the model's activities; a slot it left out stays empty."""
    activities = []
    for index, slot in enumerate(week.slots):
        written = drafted.activities[index] if index < len(drafted.activities) else None
        activities.append(
            UnitActivity(
                key=slot.key,
                kind=slot.kind,
                stage=slot.stage,
                domain=slot.domain,  # type: ignore[arg-type]
                title=written.title if written else "",
                children_do=written.children_do if written else "",
                minutes=slot.minutes,
            )
        )
    return UnitWeek(
        number=week.number, stages=list(week.stages), dates=week.dates, focus=drafted.week_focus, activities=activities
    )


def unit_from_drafts(
    overview: OverviewDraft, weeks: list[WeekDraft], closing: ClosingDraft, scaffold: UnitScaffold
) -> ThemeUnit:
    request = scaffold.request
    goals = zip(
        ("健康", "语言", "社会", "科学", "艺术"),
        (overview.goal_health, overview.goal_language, overview.goal_social, overview.goal_science, overview.goal_art),
        strict=True,
    )
    web = (overview.web_discover, overview.web_ideas, overview.web_make, overview.web_show)
    return ThemeUnit(
        title=overview.unit_title,
        age_band=request.age_band,
        class_name=request.class_name,
        teacher=request.teacher,
        start_date=request.start_date,
        theme=request.theme,
        problem=request.problem,
        source_and_value=overview.source_and_value,
        goals=[DomainGoal(domain=domain, text=text) for domain, text in goals],  # type: ignore[arg-type]
        language=request.language,
        question_web=[
            WebBranch(stage=stage, questions=[q[: 90 if request.language == "en" else 30] for q in questions])
            for stage, questions in zip(UNIT_STAGES, web, strict=True)
        ],
        weeks=[week_from_draft(slot, drafted) for slot, drafted in zip(scaffold.weeks, weeks, strict=True)],
        environment=closing.environment,
        family=closing.family,
        evaluation=closing.evaluation,
    )
