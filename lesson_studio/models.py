"""The data that flows through Lesson Studio, as pydantic types.

Field names are English; content is in the request's language (zh-CN by default).
Every string the model fills carries a max_length: the embedded model's JSON-schema grammar then
bounds each string, which is what keeps a 1.5B model from looping (measured, see DESIGN.md).
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

AgeBand = Literal["小班", "中班", "大班", "混龄"]
Domain = Literal["健康", "语言", "社会", "科学", "艺术"]
# The child-level CPS frame of DOMAIN.md §1.3, in teaching order.
CpsStage = Literal["发现问题", "想办法", "选办法", "试一试改一改", "分享"]
Phase = Literal["导入", "展开", "结束"]
ObjectiveDimension = Literal["认知", "能力", "情感"]
Role = Literal["teacher", "lead", "admin"]

AGE_BANDS: tuple[str, ...] = ("小班", "中班", "大班", "混龄")
DOMAINS: tuple[str, ...] = ("健康", "语言", "社会", "科学", "艺术")
CPS_STAGES: tuple[str, ...] = ("发现问题", "想办法", "选办法", "试一试改一改", "分享")


class User(BaseModel):
    """The acting user; every core function that reads or changes data takes one."""

    model_config = ConfigDict(frozen=True)

    id: int
    username: str
    display_name: str = ""
    role: Role = "teacher"


class LessonRequest(BaseModel):
    """What the teacher asked for (the 新建教案 form, or one parsed sentence)."""

    age_band: AgeBand = "中班"
    domain: Domain = "科学"
    topic: str = Field(min_length=1, max_length=200)
    minutes: int = Field(default=20, ge=5, le=60)
    materials: list[str] = Field(default_factory=list, max_length=30)
    cps_focus: str = Field(default="", max_length=60)
    notes: str = Field(default="", max_length=500)
    language: Literal["zh", "en"] = "zh"
    # A library lesson this plan adapts: its passages ground the plan first, and the plan can be
    # compared with it section by section.
    source_document_id: str = Field(default="", max_length=32)


# --- The plan the model fills (content) inside the scaffold (structure) ---------------------------


class Objective(BaseModel):
    dimension: ObjectiveDimension
    text: str = Field(max_length=180)


class MaterialItem(BaseModel):
    name: str = Field(max_length=60)
    quantity: str = Field(max_length=60)  # "每人1张", "每组1盒": quantities per child or group
    for_whom: Literal["教师", "幼儿"] = "幼儿"


class Preparation(BaseModel):
    experience: list[str] = Field(default_factory=list)  # 经验准备
    materials: list[MaterialItem] = Field(default_factory=list)  # 物质准备


class ProcessStep(BaseModel):
    """One row of 活动过程: phase and CPS stage and minutes come from the scaffold."""

    phase: Phase
    cps_stage: CpsStage
    minutes: int = Field(ge=1, le=60)
    title: str = Field(max_length=60)
    teacher: str = Field(max_length=900)  # 师：teacher talk
    key_questions: list[str] = Field(default_factory=list)
    children: str = Field(max_length=600)  # 幼：children's actions / expected answers
    intent: str = Field(default="", max_length=300)


class Extension(BaseModel):
    area: str = Field(max_length=450)  # 区域活动: which area, which materials
    home: str = Field(max_length=450)  # 家园共育: one concrete home task


class SafetyNote(BaseModel):
    """Written by code from the hazard table, never by the model; teachers cannot remove them."""

    hazard_id: str
    material: str
    note: str
    severity: Literal["ban", "caution"] = "caution"


class Citation(BaseModel):
    """A library passage a plan used; resolves to a chunk in the library."""

    number: int = 0
    chunk_id: str
    document_id: str
    document_title: str
    heading: str = ""
    page: int | None = None
    excerpt: str = ""
    score: float = 0.0
    reason: str = ""  # why it was given to the model (library.selection), shown to the teacher


class LessonPlan(BaseModel):
    """A Chinese 教案 (DOMAIN.md §2.1) with CPS-tagged steps."""

    title: str = Field(max_length=100)  # 活动名称, e.g. "中班科学：乒乓球过小河" (code keeps a Chinese one within 40)
    # The language the plan is written in (its request's): what code writes and the labels of the
    # page and the Word file follow it (authoring.english). English takes about three times the
    # characters, so the bounds below are English-sized; the drafts bound each language's own text.
    language: Literal["zh", "en"] = "zh"
    age_band: AgeBand
    domain: Domain
    minutes: int
    design_intent: str = Field(max_length=900)  # 设计意图
    objectives: list[Objective]
    key_point: str = Field(max_length=240)  # 活动重点
    difficult_point: str = Field(max_length=240)  # 活动难点
    preparation: Preparation
    steps: list[ProcessStep]
    extension: Extension
    safety_notes: list[SafetyNote] = Field(default_factory=list)
    observation_points: list[str] = Field(default_factory=list)
    # 《指南》 alignment, quoted verbatim from the imported catalogue for the plan's age band:
    # "领域 （子领域）目标N：原句" (DOMAIN.md rubric item 3).
    guideline_lines: list[str] = Field(default_factory=list)
    citations: list[Citation] = Field(default_factory=list)
    warnings: list[str] = Field(default_factory=list)  # adjustments the scaffold made, shown to the teacher


class Hit(BaseModel):
    """One retrieved library passage."""

    chunk_id: str
    text: str
    score: float
    citation: Citation


class VersionInfo(BaseModel):
    """A saved version of a draft (every save is a new one)."""

    id: int
    draft_id: int
    number: int
    created_at: datetime
    created_by: int
    backend: str = ""
    prompt_hash: str = ""
    note: str = ""
    source_version_id: int | None = None  # the version an adapted plan came from
