"""主题活动 (a theme unit of 1–4 weeks): what the teacher asks for, what the model writes, what is saved.

The parts follow DOMAIN.md §3 (主题活动): 主题名称; 主题来源与价值; goals across the five domains; a
question web along the CPS path 发现烦恼 -> 想办法 -> 做出来 -> 展示/用起来; a week-by-week list of
activities of four kinds (集体, 区域, 户外, 生活); 环境创设 (问题墙); 家园共育; 评价. Code decides the
weeks, each week's place on the CPS path, the activity slots with their kind, domain and minutes;
the model writes the words (OverviewDraft, WeekDraft, ClosingDraft), every string bounded for the
embedded model's grammar (see lesson_studio.models).
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field

from lesson_studio.models import AgeBand, Citation, Domain

UnitStage = Literal["发现烦恼", "想办法", "做出来", "展示/用起来"]
ActivityKind = Literal["集体活动", "区域活动", "户外活动", "生活活动"]
UNIT_STAGES: tuple[UnitStage, ...] = ("发现烦恼", "想办法", "做出来", "展示/用起来")
ACTIVITY_KINDS: tuple[ActivityKind, ...] = ("集体活动", "区域活动", "户外活动", "生活活动")
COLLECTIVE: ActivityKind = "集体活动"
Question = Annotated[str, Field(max_length=30)]  # one question of the question web, in children's words
QuestionEn = Annotated[str, Field(max_length=90)]  # the same in English (about three times the characters)

# The form's fields as a teacher reads them (a bad field is named in the message).
FIELD_LABELS = {
    "class_name": "班级 / class",
    "age_band": "年龄段 / age band",
    "theme": "主题 / theme",
    "problem": "真实问题 / the real problem",
    "weeks": "周数 / weeks",
    "teacher": "教师 / teacher",
    "start_date": "开始日期 / start date",
    "domains": "侧重领域 / domains emphasised",
    "materials": "现有材料 / materials at hand",
    "notes": "备注 / notes",
}


class ThemeUnitRequest(BaseModel):
    """The 主题活动 form."""

    class_name: str = Field(min_length=1, max_length=30)  # "中二班"
    age_band: AgeBand = "中班"
    theme: str = Field(min_length=1, max_length=60)  # "小熊的帽子"
    problem: str = Field(min_length=1, max_length=200)  # the real problem the unit starts from
    weeks: int = Field(default=2, ge=1, le=4)
    teacher: str = Field(min_length=1, max_length=30)
    start_date: str = Field(default="", max_length=20)  # "2026-12-07" or "2026年12月7日"; optional
    domains: list[Domain] = Field(default_factory=list, max_length=5)  # emphasised domains, optional
    materials: list[str] = Field(default_factory=list, max_length=30)  # what the class has at hand
    notes: str = Field(default="", max_length=300)
    language: Literal["zh", "en"] = "zh"


# --- what the model writes ------------------------------------------------------------------------


class OverviewDraft(BaseModel):
    """One call: the unit's name, source and value, a goal per domain, and the question web."""

    unit_title: str = Field(min_length=2, max_length=20)
    source_and_value: str = Field(min_length=20, max_length=200)
    goal_health: str = Field(min_length=4, max_length=50)
    goal_language: str = Field(min_length=4, max_length=50)
    goal_social: str = Field(min_length=4, max_length=50)
    goal_science: str = Field(min_length=4, max_length=50)
    goal_art: str = Field(min_length=4, max_length=50)
    web_discover: list[Question] = Field(min_length=1, max_length=3)  # 发现烦恼's questions
    web_ideas: list[Question] = Field(min_length=1, max_length=3)  # 想办法's
    web_make: list[Question] = Field(min_length=1, max_length=3)  # 做出来's
    web_show: list[Question] = Field(min_length=1, max_length=3)  # 展示/用起来's


class ActivityDraft(BaseModel):
    title: str = Field(max_length=20)
    children_do: str = Field(max_length=60)  # one line: what the children do


class WeekDraft(BaseModel):
    """One call per week: the week's focus and its activities, in the scaffold's slot order."""

    week_focus: str = Field(min_length=4, max_length=60)
    activities: list[ActivityDraft] = Field(min_length=1, max_length=8)


class ClosingDraft(BaseModel):
    """The last call: 环境创设 (问题墙), 家园共育 and 评价."""

    environment: str = Field(min_length=10, max_length=150)
    family: str = Field(min_length=10, max_length=150)
    evaluation: str = Field(min_length=10, max_length=150)


# --- the same sections written in English (ThemeUnitRequest.language == "en") ---
# English takes about three times the characters of the same Chinese text, so the upper bounds scale
# with it; each is a subclass of its Chinese section, so whatever takes a section takes it.


class OverviewDraftEn(OverviewDraft):
    unit_title: str = Field(min_length=2, max_length=60)
    source_and_value: str = Field(min_length=20, max_length=600)
    goal_health: str = Field(min_length=4, max_length=150)
    goal_language: str = Field(min_length=4, max_length=150)
    goal_social: str = Field(min_length=4, max_length=150)
    goal_science: str = Field(min_length=4, max_length=150)
    goal_art: str = Field(min_length=4, max_length=150)
    web_discover: list[QuestionEn] = Field(min_length=1, max_length=3)
    web_ideas: list[QuestionEn] = Field(min_length=1, max_length=3)
    web_make: list[QuestionEn] = Field(min_length=1, max_length=3)
    web_show: list[QuestionEn] = Field(min_length=1, max_length=3)


class ActivityDraftEn(ActivityDraft):
    title: str = Field(max_length=60)
    children_do: str = Field(max_length=180)


class WeekDraftEn(WeekDraft):
    week_focus: str = Field(min_length=4, max_length=180)
    activities: list[ActivityDraftEn] = Field(min_length=1, max_length=8)  # type: ignore[assignment]


class ClosingDraftEn(ClosingDraft):
    environment: str = Field(min_length=10, max_length=450)
    family: str = Field(min_length=10, max_length=450)
    evaluation: str = Field(min_length=10, max_length=450)


def drafts_for(language: str) -> tuple[type[OverviewDraft], type[WeekDraft], type[ClosingDraft]]:
    """The section types the model fills for a unit in this language."""
    if language == "en":
        return OverviewDraftEn, WeekDraftEn, ClosingDraftEn
    return OverviewDraft, WeekDraft, ClosingDraft


# --- the saved document ---
# Its bounds fit a unit in English (about three times the characters of the Chinese); the model's
# Chinese is bounded tighter by the drafts above.------------------------------------------------------------------------


class DomainGoal(BaseModel):
    domain: Domain
    text: str = Field(max_length=240)


class WebBranch(BaseModel):
    """One stage of the question web and the questions children meet there."""

    stage: UnitStage
    questions: list[QuestionEn] = Field(default_factory=list, max_length=5)


class UnitActivity(BaseModel):
    key: str = Field(max_length=16)  # "w1-a2": stable, so an expanded lesson stays linked to it
    kind: ActivityKind
    stage: UnitStage
    domain: Domain
    title: str = Field(max_length=120)
    children_do: str = Field(max_length=480)
    minutes: int | None = None  # collective activities only, within the band's cap


class UnitWeek(BaseModel):
    number: int
    stages: list[UnitStage]
    dates: str = ""  # "12月7日—12月11日" when the teacher gave a start date
    focus: str = Field(default="", max_length=360)
    activities: list[UnitActivity] = Field(default_factory=list)


class ThemeUnit(BaseModel):
    """A saved 主题活动 (one version)."""

    title: str = Field(max_length=120)
    age_band: AgeBand
    class_name: str
    teacher: str
    start_date: str = ""
    theme: str
    problem: str
    source_and_value: str = Field(max_length=900)
    goals: list[DomainGoal] = Field(default_factory=list)
    question_web: list[WebBranch] = Field(default_factory=list)
    weeks: list[UnitWeek] = Field(default_factory=list)
    environment: str = Field(default="", max_length=900)
    family: str = Field(default="", max_length=900)
    evaluation: str = Field(default="", max_length=900)
    materials: list[str] = Field(default_factory=list)  # the teacher's materials that are safe for the band
    warnings: list[str] = Field(default_factory=list)  # what code changed, for the teacher
    citations: list[Citation] = Field(default_factory=list)
    language: Literal["zh", "en"] = "zh"  # the request's: what code wrote and the Word labels follow it

    def activities(self) -> list[UnitActivity]:
        return [activity for week in self.weeks for activity in week.activities]

    def expansion(self, item_key: str) -> tuple[str, BaseModel]:
        """A collective activity as a lesson plan's request (Studio.expand_item): see expand.py."""
        from lesson_studio.resource_types.theme_unit.expand import lesson_request_for

        return "lesson_plan", lesson_request_for(self, item_key)
