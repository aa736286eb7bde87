"""活动反思 (activity reflection): what the teacher asks for, what the model writes, what is saved.

The reflection's parts follow DOMAIN.md §2.1 (活动反思: 目标达成、幼儿表现、时间、问题与原因、改进):
目标达成 per objective of the plan, with evidence from the teacher's notes; 幼儿表现, facts from the
notes only; 时间与环节; 调整建议, each naming the note it answers; 下次再做. The teacher's notes are
numbered by code (TeacherNote) so a suggestion can name the note it answers, and the per-step
timings, the revised minutes and the list of changes are code's. The model writes the prose
(ReflectionDraft) and each revised step (RevisedStepDraft), every string bounded for the embedded
model's grammar (see lesson_studio.models).
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field, StringConstraints, ValidationInfo, field_validator
from pydantic_core import PydanticCustomError

from lesson_studio.models import AgeBand, Citation, LessonPlan

# The form's fields as a teacher reads them (a bad field is named in the message).
FIELD_LABELS = {
    "plan_version_id": "教案 / lesson plan",
    "plan": "教案 / lesson plan",
    "children": "幼儿做了什么、说了什么 / what the children did and said",
    "timing": "哪些环节超时或提前 / steps that ran over or under time",
    "actual_minutes": "各环节实际用时（分钟） / minutes each step took",
    "surprises": "意外的发现 / what surprised you",
    "changes": "下次想改什么 / what you would change",
    "language": "反思语言 / language of the reflection",
}

NoteSource = Literal["children", "timing", "surprises", "changes"]
Achievement = Literal["达成", "部分达成", "未达成", "未观察到"]
TimingStatus = Literal["超时", "提前", "按时", "未记录"]
MAX_STEP_MINUTES = 90
# A Chinese reflection's bounds on the notes; an English one's are three times as long (English takes
# about three times the characters).
NOTE_CHARS = {"children": 600, "timing": 300, "surprises": 300, "changes": 300}


class ReflectionRequest(BaseModel):
    """The 活动反思 form: one of the teacher's own plans (the version she taught) and her notes."""

    plan_version_id: int = Field(ge=1)
    # The version as the teacher read it when she chose it (Studio.plan_to_revise); the revision is
    # saved only if the store still holds exactly this content as that version (see __init__).
    plan: LessonPlan
    # The reflection's language, declared before the notes whose bounds it sets: the plan's own (a
    # revised step is written into the plan, so a reflection in another language would mix two).
    language: Literal["zh", "en"] = Field(default="zh", validate_default=True)
    children: str = Field(min_length=4, max_length=600 * 3)  # required: the evidence everything rests on
    timing: str = Field(default="", max_length=300 * 3)
    # Minutes each step actually took, in the plan's order; 0 (or nothing) where not noted.
    actual_minutes: list[Annotated[int, Field(ge=0, le=MAX_STEP_MINUTES)]] = Field(default_factory=list)
    surprises: str = Field(default="", max_length=300 * 3)
    changes: str = Field(default="", max_length=300 * 3)

    @field_validator("language")
    @classmethod
    def _the_plans_language(cls, language: str, info: ValidationInfo) -> str:
        plan = info.data.get("plan")
        if plan is not None and plan.language != language:
            raise ValueError(
                f"反思要用教案的语言写（这份教案是{'英文' if plan.language == 'en' else '中文'}）"
                f" / write the reflection in the plan's language ({'English' if plan.language == 'en' else 'Chinese'})"
            )
        return language

    @field_validator("children", "timing", "surprises", "changes")
    @classmethod
    def _chinese_bound(cls, text: str, info: ValidationInfo) -> str:
        limit = NOTE_CHARS[str(info.field_name)]
        if info.data.get("language", "zh") == "zh" and len(text) > limit:
            # The same error as the field's own bound, so the teacher reads the same message as before.
            raise PydanticCustomError(
                "string_too_long", "String should have at most {max_length} characters", {"max_length": limit}
            )
        return text

    @field_validator("actual_minutes")
    @classmethod
    def _one_per_step(cls, minutes: list[int], info: ValidationInfo) -> list[int]:
        plan = info.data.get("plan")
        if minutes and plan is not None and len(minutes) != len(plan.steps):
            raise ValueError(
                f"教案有{len(plan.steps)}个环节，实际用时填了{len(minutes)}个 / the plan has"
                f" {len(plan.steps)} steps, {len(minutes)} were given"
            )
        return minutes


# --- what the model writes -----------------------------------------------------------------------


class GoalReviewDraft(BaseModel):
    achieved: Achievement
    evidence: str = Field(min_length=2, max_length=80)


class SuggestionDraft(BaseModel):
    note: int = Field(ge=0, le=40)  # the number of the teacher's note it answers
    text: str = Field(min_length=6, max_length=80)


class ReflectionDraft(BaseModel):
    """The reflection's prose, in one call."""

    goal_reviews: list[GoalReviewDraft] = Field(min_length=1, max_length=4)
    child_facts: list[Annotated[str, StringConstraints(min_length=4, max_length=80)]] = Field(
        min_length=1, max_length=4
    )
    timing_review: str = Field(min_length=4, max_length=120)
    suggestions: list[SuggestionDraft] = Field(min_length=1, max_length=4)
    next_time: str = Field(min_length=6, max_length=120)


class GoalReviewDraftEn(GoalReviewDraft):
    """The English drafts (authoring/drafts.py): about three times the characters, and the
    achievement in English words the code maps back to the enumeration (english.ACHIEVEMENT_DATA)."""

    achieved: Literal["achieved", "partly achieved", "not achieved", "not observed"]  # type: ignore[assignment]
    evidence: str = Field(min_length=4, max_length=240)


class SuggestionDraftEn(SuggestionDraft):
    text: str = Field(min_length=12, max_length=240)


class ReflectionDraftEn(ReflectionDraft):
    goal_reviews: list[GoalReviewDraftEn] = Field(min_length=1, max_length=4)  # type: ignore[assignment]
    child_facts: list[Annotated[str, StringConstraints(min_length=8, max_length=240)]] = Field(
        min_length=1, max_length=4
    )
    timing_review: str = Field(min_length=8, max_length=360)
    suggestions: list[SuggestionDraftEn] = Field(min_length=1, max_length=4)  # type: ignore[assignment]
    next_time: str = Field(min_length=12, max_length=360)


class RevisedStepDraft(BaseModel):
    """One step of the plan written again for the notes (the lesson plan's StepDraft, plus what changed)."""

    title: str = Field(min_length=2, max_length=20)
    teacher: str = Field(min_length=10, max_length=240)
    key_questions: list[Annotated[str, StringConstraints(min_length=4, max_length=50)]] = Field(
        min_length=1, max_length=3
    )
    children: str = Field(min_length=6, max_length=150)
    intent: str = Field(min_length=4, max_length=80)
    change: str = Field(min_length=4, max_length=60)


class RevisedStepDraftEn(RevisedStepDraft):
    title: str = Field(min_length=2, max_length=60)
    teacher: str = Field(min_length=20, max_length=720)
    key_questions: list[Annotated[str, StringConstraints(min_length=8, max_length=150)]] = Field(
        min_length=1, max_length=3
    )
    children: str = Field(min_length=12, max_length=450)
    intent: str = Field(min_length=8, max_length=240)
    change: str = Field(min_length=8, max_length=180)


# --- what is saved ---------------------------------------------------------------------------------


class TeacherNote(BaseModel):
    """One sentence of the teacher's notes, numbered by code (记录1, 记录2 …)."""

    number: int
    source: NoteSource
    text: str


class GoalReview(BaseModel):
    dimension: str  # 认知 / 能力 / 情感, the plan's
    objective: str  # the plan's objective, by code
    achieved: Achievement
    evidence: str = Field(max_length=360)  # English-sized (see Reflection.language)


class Suggestion(BaseModel):
    note: int  # the note it answers
    note_text: str = ""  # that note's words, by code
    text: str = Field(max_length=360)  # English-sized (see Reflection.language)


class StepTiming(BaseModel):
    """How long one step took against the plan (by code, from the minutes and the timing notes)."""

    step: int  # 1-based
    title: str
    cps_stage: str
    planned: int
    actual: int | None = None
    status: TimingStatus = "未记录"


class StepChange(BaseModel):
    """One step the revised plan changed, and why (by code; the summary is the model's)."""

    step: int  # 1-based
    title: str
    minutes_before: int
    minutes_after: int
    reason: str
    summary: str = ""


class Reflection(BaseModel):
    """A saved 活动反思 (one version), with the revised plan it proposes."""

    # The reflection's language (the plan's): what code writes and the Word labels follow it. English
    # takes about three times the characters, so the text bounds are English-sized; the drafts bound
    # what the model writes in each language.
    language: Literal["zh", "en"] = "zh"
    title: str = Field(max_length=180)
    plan_title: str
    age_band: AgeBand
    plan_version_id: int
    notes: list[TeacherNote] = Field(default_factory=list)
    goal_reviews: list[GoalReview] = Field(default_factory=list)  # 目标达成
    child_facts: list[str] = Field(default_factory=list)  # 幼儿表现
    timings: list[StepTiming] = Field(default_factory=list)  # 时间与环节 (facts)
    timing_review: str = Field(default="", max_length=600)  # 时间与环节 (the model's reading)
    suggestions: list[Suggestion] = Field(default_factory=list)  # 调整建议
    next_time: str = Field(default="", max_length=600)  # 下次再做
    changes: list[StepChange] = Field(default_factory=list)  # what the revised plan changed
    revised_plan: LessonPlan
    # Set when the revised plan was saved as the plan's next version.
    revised_version_id: int | None = None
    revised_version_number: int | None = None
    warnings: list[str] = Field(default_factory=list)  # what code decided, for the teacher
    citations: list[Citation] = Field(default_factory=list)
