"""观察记录 / 学习故事: what the teacher asks for, what the model writes, what is saved.

The parts follow DOMAIN.md §3 (观察记录): 时间、地点、对象、观察目的、观察方法、观察实录、分析评价
(against the 《指南》)、支持策略、反思/后续, with the 学习故事's 注意 -> 识别 -> 回应 as the order of the
written parts. The facts the form gives (who, when, where, who observed, why, how) are code's; the
model writes only from the teacher's notes: the objective record, then the analysis, the supports and
what to observe next (two bounded drafts, every string limited for the embedded model's grammar).
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field, StringConstraints, ValidationInfo, field_validator
from pydantic_core import PydanticCustomError

from lesson_studio.models import AgeBand, Citation

# The form's fields as a teacher reads them (a bad field is named in the message).
FIELD_LABELS = {
    "class_name": "班级 / class",
    "age_band": "年龄段 / age band",
    "date": "观察日期 / date observed",
    "place": "观察地点/区域 / place or area",
    "child": "观察对象 / child observed",
    "observer": "观察者 / observer",
    "notes": "观察笔记（看到了什么） / what you saw",
    "purpose": "观察目的 / purpose",
    "activity": "活动名称 / activity",
    "method": "观察方法 / method",
    "language": "记录语言 / language of the record",
}
# DOMAIN.md §3's methods that suit a written record (a checklist is another resource; a photo
# or video needs the parents' consent and is not written here).
METHODS = ("轶事记录法", "事件取样法", "时间取样法")
Method = Literal["轶事记录法", "事件取样法", "时间取样法"]
NOTES_CHARS = 1200  # a Chinese record's notes; an English one's may be three times as long


class ObservationRequest(BaseModel):
    """The 观察记录 form."""

    class_name: str = Field(min_length=1, max_length=30)  # "中二班"
    age_band: AgeBand = "中班"
    date: str = Field(min_length=1, max_length=30)  # "2026年12月7日 上午区域活动", as the teacher writes it
    place: str = Field(min_length=1, max_length=40)  # "建构区"
    child: str = Field(min_length=1, max_length=20)  # a name or initials: "乐乐", "Z.Y."
    observer: str = Field(min_length=1, max_length=30)  # "王老师"
    # Declared before the notes, whose bound it sets (English takes about three times the characters).
    language: Literal["zh", "en"] = "zh"
    notes: str = Field(min_length=10, max_length=NOTES_CHARS * 3)  # what the teacher saw, in her own words
    purpose: str = Field(default="", max_length=200 * 3)
    activity: str = Field(default="", max_length=60 * 3)
    method: Method = "轶事记录法"

    @field_validator("notes", "purpose", "activity")
    @classmethod
    def _chinese_bound(cls, text: str, info: ValidationInfo) -> str:
        """The Chinese bound for a Chinese record (the field's own bound is English-sized)."""
        limit = {"notes": NOTES_CHARS, "purpose": 200, "activity": 60}[str(info.field_name)]
        if info.data.get("language", "zh") == "zh" and len(text) > limit:
            # The same error as the field's own bound, so the teacher reads the same message as before.
            raise PydanticCustomError(
                "string_too_long", "String should have at most {max_length} characters", {"max_length": limit}
            )
        return text


class RecordDraft(BaseModel):
    """注意: the objective record the model writes from the notes (first call)."""

    objective_record: str = Field(min_length=20, max_length=450)


class RecordDraftEn(RecordDraft):
    """The same, written in English: about three times the characters (authoring/drafts.py)."""

    objective_record: str = Field(min_length=40, max_length=1350)


StrategyText = Annotated[str, StringConstraints(min_length=6, max_length=80)]
StrategyTextEn = Annotated[str, StringConstraints(min_length=12, max_length=240)]


class AnalysisDraft(BaseModel):
    """识别 and 回应: what the record shows, how to support it, what to observe next (second call)."""

    analysis: str = Field(min_length=20, max_length=300)
    support_strategies: list[StrategyText] = Field(min_length=1, max_length=3)
    follow_up: str = Field(min_length=6, max_length=100)


class AnalysisDraftEn(AnalysisDraft):
    analysis: str = Field(min_length=40, max_length=900)
    support_strategies: list[StrategyTextEn] = Field(min_length=1, max_length=3)  # type: ignore[assignment]
    follow_up: str = Field(min_length=12, max_length=300)


class GuidelineLine(BaseModel):
    """A 《指南》 typical-performance line, verbatim, and where it stands in the catalogue."""

    reference: str  # 《指南》科学（科学探究）目标2 … · 4～5岁 第1条
    age_band: str  # 小班 | 中班 | 大班: the column it was taken from
    text: str


class ObservationRecord(BaseModel):
    """A saved 观察记录 (one version)."""

    # The record's language (its request's): what code writes and the Word labels follow it. English
    # takes about three times the characters, so the text bounds below are English-sized; the drafts
    # bound what the model writes in each language.
    language: Literal["zh", "en"] = "zh"
    title: str = Field(max_length=180)  # by code: who, and the activity or place
    age_band: AgeBand
    class_name: str
    date: str
    place: str
    child: str
    observer: str
    purpose: str = ""
    activity: str = ""
    method: str = "轶事记录法"
    section_titles: list[str] = Field(default_factory=list)  # the scaffold's headings, in order
    objective_record: str = Field(default="", max_length=NOTES_CHARS * 3)  # as long as the notes it may fall back to
    analysis: str = Field(default="", max_length=1200)
    # 《指南》 lines by code (align), verbatim and of the record's band; or a note saying why none.
    guideline_lines: list[GuidelineLine] = Field(default_factory=list)
    guideline_note: str = ""
    support_strategies: list[str] = Field(default_factory=list)
    follow_up: str = Field(default="", max_length=600)
    warnings: list[str] = Field(default_factory=list)  # what code changed or could not, for the teacher
    citations: list[Citation] = Field(default_factory=list)
