"""家长信 / 家园联系: what the teacher asks for, what the model writes, what is saved.

The parts follow DOMAIN.md §3 (家园联系/家长信): salutation; what and why in plain language; what
the child did or will do; one concrete family task; a collection list with the exclusions;
safety/time notes; thanks; class, teacher, contact and date. Code writes the salutation, the
collection list, the exclusions and the signature; the model writes the prose (LetterDraft), every
string bounded for the embedded model's grammar (see lesson_studio.models).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from lesson_studio.models import AgeBand, Citation

# The form's fields as a teacher reads them (a bad field is named in the message).
FIELD_LABELS = {
    "class_name": "班级 / class",
    "teacher": "教师 / teacher",
    "date": "日期 / date",
    "age_band": "年龄段 / age band",
    "topic": "活动主题 / topic",
    "collect": "请家长收集的材料 / items to collect",
    "notes": "备注 / notes",
    "contact": "联系方式 / contact",
}


class ParentLetterRequest(BaseModel):
    """The 家长信 form."""

    class_name: str = Field(min_length=1, max_length=30)  # "中二班"
    teacher: str = Field(min_length=1, max_length=30)  # "王老师"
    date: str = Field(min_length=1, max_length=20)  # "2026年12月7日", as the teacher writes it
    age_band: AgeBand = "中班"
    topic: str = Field(min_length=1, max_length=200)  # what the class is working on
    collect: list[str] = Field(default_factory=list, max_length=20)  # what families are asked to bring
    notes: str = Field(default="", max_length=300)
    contact: str = Field(default="", max_length=60)
    language: Literal["zh", "en"] = "zh"


class LetterDraft(BaseModel):
    """What the model writes, in one call."""

    title: str = Field(min_length=4, max_length=24)
    what_and_why: str = Field(min_length=20, max_length=200)
    child_part: str = Field(min_length=10, max_length=150)
    family_task: str = Field(min_length=10, max_length=150)
    safety_and_time: str = Field(min_length=6, max_length=120)
    thanks: str = Field(min_length=4, max_length=60)


class LetterDraftEn(LetterDraft):
    """The same prose in English (ParentLetterRequest.language == "en"): English takes about three
    times the characters of the same Chinese text, so the upper bounds scale with it."""

    title: str = Field(min_length=4, max_length=72)
    what_and_why: str = Field(min_length=20, max_length=600)
    child_part: str = Field(min_length=10, max_length=450)
    family_task: str = Field(min_length=10, max_length=450)
    safety_and_time: str = Field(min_length=6, max_length=360)
    thanks: str = Field(min_length=4, max_length=180)


def draft_model(language: str) -> type[LetterDraft]:
    return LetterDraftEn if language == "en" else LetterDraft


class CollectionItem(BaseModel):
    name: str = Field(max_length=60)


class RemovedItem(BaseModel):
    """An item code took off the teacher's collection list, and why (shown to the teacher)."""

    name: str
    reason: str


class ParentLetter(BaseModel):
    """A saved 家长信 (one version). The bounds fit a letter in English (about three times the
    characters of the Chinese); the model's Chinese prose is bounded tighter by LetterDraft."""

    title: str = Field(max_length=80)
    age_band: AgeBand
    salutation: str = "亲爱的家长朋友们："
    what_and_why: str = Field(max_length=900)
    child_part: str = Field(max_length=600)
    family_task: str = Field(max_length=600)
    collection: list[CollectionItem] = Field(default_factory=list)
    collection_note: str = ""  # how to hand items in (by code)
    exclusions: list[str] = Field(default_factory=list)  # what never to send (by code)
    safety_and_time: str = Field(max_length=600)
    thanks: str = Field(max_length=300)
    class_name: str
    teacher: str
    date: str
    contact: str = ""
    removed_items: list[RemovedItem] = Field(default_factory=list)  # for the teacher, not printed
    warnings: list[str] = Field(default_factory=list)  # what code changed, for the teacher
    citations: list[Citation] = Field(default_factory=list)
    language: Literal["zh", "en"] = "zh"  # the request's: what code wrote and the Word labels follow it
