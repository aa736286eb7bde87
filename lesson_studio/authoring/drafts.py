"""What the model writes, section by section, inside the scaffold.

Sections are generated separately so content appears progressively and each call stays short
(the 1.5B embedded model reads ~52 tokens/s and writes ~10). Every string is bounded and every
list has a size range: the JSON-schema grammar turns those into hard limits. The limits are about
1.5x the lengths the prompts ask for: a grammar limit cuts a sentence mid-word, so it is a backstop
against looping, while the prompt is what keeps the text short.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from pydantic import BaseModel, Field, StringConstraints

from lesson_studio.models import ObjectiveDimension

Short = Annotated[str, StringConstraints(min_length=4, max_length=70)]


class ObjectiveDraft(BaseModel):
    dimension: ObjectiveDimension
    text: str = Field(min_length=6, max_length=60)


class OverviewDraft(BaseModel):
    title: str = Field(min_length=4, max_length=30)
    design_intent: str = Field(min_length=20, max_length=240)
    objectives: list[ObjectiveDraft] = Field(min_length=3, max_length=3)
    key_point: str = Field(min_length=6, max_length=75)
    difficult_point: str = Field(min_length=6, max_length=75)


class MaterialDraft(BaseModel):
    name: str = Field(min_length=1, max_length=20)
    quantity: str = Field(min_length=1, max_length=20)
    for_whom: str = Field(max_length=2, pattern="^(教师|幼儿)$")


class PreparationDraft(BaseModel):
    experience: list[Short] = Field(min_length=1, max_length=2)
    materials: list[MaterialDraft] = Field(min_length=2, max_length=6)


class StepDraft(BaseModel):
    title: str = Field(min_length=2, max_length=20)
    teacher: str = Field(min_length=10, max_length=240)
    key_questions: list[Annotated[str, StringConstraints(min_length=4, max_length=50)]] = Field(
        min_length=1, max_length=3
    )
    children: str = Field(min_length=6, max_length=150)
    intent: str = Field(min_length=4, max_length=80)


class ClosingDraft(BaseModel):
    area: str = Field(min_length=8, max_length=120)
    home: str = Field(min_length=8, max_length=120)
    observation_points: list[Short] = Field(min_length=2, max_length=4)


# --- The same sections written in English (LessonRequest.language == "en") ---
# English takes about three times the characters of the same Chinese text; the upper bounds scale with it
# (the prompts ask for word counts), and the enumerations stay the plan's data values. Each is a
# subclass of its Chinese section, so whatever takes a section takes it.

ShortEn = Annotated[str, StringConstraints(min_length=4, max_length=210)]


class ObjectiveDraftEn(ObjectiveDraft):
    dimension: ObjectiveDimension
    text: str = Field(min_length=6, max_length=180)


class OverviewDraftEn(OverviewDraft):
    title: str = Field(min_length=4, max_length=70)
    design_intent: str = Field(min_length=20, max_length=720)
    objectives: list[ObjectiveDraftEn] = Field(min_length=3, max_length=3)
    key_point: str = Field(min_length=6, max_length=225)
    difficult_point: str = Field(min_length=6, max_length=225)


class MaterialDraftEn(MaterialDraft):
    name: str = Field(min_length=1, max_length=50)
    quantity: str = Field(min_length=1, max_length=50)
    for_whom: str = Field(max_length=2, pattern="^(教师|幼儿)$")


class PreparationDraftEn(PreparationDraft):
    experience: list[ShortEn] = Field(min_length=1, max_length=2)
    materials: list[MaterialDraftEn] = Field(min_length=2, max_length=6)


class StepDraftEn(StepDraft):
    title: str = Field(min_length=2, max_length=50)
    teacher: str = Field(min_length=10, max_length=720)
    key_questions: list[Annotated[str, StringConstraints(min_length=4, max_length=150)]] = Field(
        min_length=1, max_length=3
    )
    children: str = Field(min_length=6, max_length=450)
    intent: str = Field(min_length=4, max_length=240)


class ClosingDraftEn(ClosingDraft):
    area: str = Field(min_length=8, max_length=360)
    home: str = Field(min_length=8, max_length=360)
    observation_points: list[ShortEn] = Field(min_length=2, max_length=4)


@dataclass(frozen=True)
class SectionDrafts:
    OverviewDraft: type[BaseModel]
    PreparationDraft: type[BaseModel]
    StepDraft: type[BaseModel]
    ClosingDraft: type[BaseModel]


_DRAFTS = {
    "zh": SectionDrafts(OverviewDraft, PreparationDraft, StepDraft, ClosingDraft),
    "en": SectionDrafts(OverviewDraftEn, PreparationDraftEn, StepDraftEn, ClosingDraftEn),
}


def drafts_for(language: str) -> SectionDrafts:
    """The section types the model fills for a plan in this language."""
    return _DRAFTS.get(language, _DRAFTS["zh"])
