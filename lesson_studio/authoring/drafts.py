"""What the model writes, section by section, inside the scaffold.

Sections are generated separately so content appears progressively and each call stays short
(the 1.5B embedded model reads ~52 tokens/s and writes ~10). Every string is bounded and every
list has a size range: the JSON-schema grammar turns those into hard limits. The limits are about
1.5x the lengths the prompts ask for: a grammar limit cuts a sentence mid-word, so it is a backstop
against looping, while the prompt is what keeps the text short.
"""

from __future__ import annotations

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
    key_questions: list[Annotated[str, StringConstraints(min_length=4, max_length=50)]] = Field(min_length=1, max_length=3)
    children: str = Field(min_length=6, max_length=150)
    intent: str = Field(min_length=4, max_length=80)


class ClosingDraft(BaseModel):
    area: str = Field(min_length=8, max_length=120)
    home: str = Field(min_length=8, max_length=120)
    observation_points: list[Short] = Field(min_length=2, max_length=4)
