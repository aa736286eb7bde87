"""创造力观察清单: what the teacher asks for, what the model writes, what is saved and recorded.

DOMAIN.md §3 ("Creativity observation checklist"): the four Torrance dimensions (流畅性, 变通性,
独创性, 精细性) used as observation lenses, with the learning dispositions, each item marked
未观察到 / 偶尔 / 经常 with one evidence sentence and never summed into a score (§1.1: "teacher
observation lenses, never scores or rankings of children"). Code writes the structure, the
dispositions and the sheets; the model writes each dimension's look-fors for this activity
(ChecklistDraft), every string bounded for the embedded model's grammar (see lesson_studio.models).
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import BaseModel, Field, StringConstraints, field_validator

from lesson_studio.models import AgeBand, Citation

# The three marks, in the order a teacher ticks them. "" is a mark not recorded yet (a blank box).
MARKS: tuple[str, ...] = ("未观察到", "偶尔", "经常")
Mark = Literal["", "未观察到", "偶尔", "经常"]
NAME_CHARS = 20
MAX_CHILDREN = 40

# The form's fields as a teacher reads them (a bad field is named in the message).
FIELD_LABELS = {
    "class_name": "班级 / class",
    "age_band": "年龄段 / age band",
    "activity": "活动名称（孩子们在做什么） / activity (what the children are doing)",
    "date": "日期 / date",
    "teacher": "教师 / teacher",
    "children": "观察的幼儿 / children to observe",
    "language": "清单语言 / language of the checklist",
}
# Names may come one a line or separated by 、，, (the form's one text box).
_NAME_SEPARATORS = re.compile(r"[\n\r、，,；;]+")


class ChecklistRequest(BaseModel):
    """The form. Only the activity is required: a blank class, date or teacher stays blank on the
    sheet for handwriting, as paper observation forms are filled in."""

    class_name: str = Field(default="", max_length=30)
    age_band: AgeBand = "中班"
    activity: str = Field(min_length=1, max_length=200)  # what the children are doing
    date: str = Field(default="", max_length=20)
    teacher: str = Field(default="", max_length=30)
    # The children to observe: a sheet each; none gives one blank sheet.
    children: list[Annotated[str, StringConstraints(max_length=NAME_CHARS)]] = Field(
        default_factory=list, max_length=MAX_CHILDREN
    )
    language: Literal["zh", "en"] = "zh"

    @field_validator("children", mode="before")
    @classmethod
    def one_name_per_entry(cls, value: object) -> object:
        """Split names given on one line or several, drop blanks and repeats (a sheet per child)."""
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list):
            return value
        names: list[str] = []
        for entry in value:
            for name in _NAME_SEPARATORS.split(str(entry)):
                if name.strip() and name.strip() not in names:
                    names.append(name.strip())
        return names


Short = Annotated[str, StringConstraints(min_length=6, max_length=40)]
ShortEn = Annotated[str, StringConstraints(min_length=12, max_length=120)]  # English: about three times the characters


class DimensionDraft(BaseModel):
    """One dimension as the model writes it for this activity and age band."""

    look_fors: list[Short] = Field(min_length=2, max_length=3)
    how_to_observe: str = Field(min_length=6, max_length=60)


class ChecklistDraft(BaseModel):
    """What the model writes, in one call: the look-fors of the four dimensions."""

    fluency: DimensionDraft
    flexibility: DimensionDraft
    originality: DimensionDraft
    elaboration: DimensionDraft


class DimensionDraftEn(DimensionDraft):
    """The same, written in English (authoring/drafts.py: the English drafts are subclasses)."""

    look_fors: list[ShortEn] = Field(min_length=2, max_length=3)  # type: ignore[assignment]
    how_to_observe: str = Field(min_length=12, max_length=180)


class ChecklistDraftEn(ChecklistDraft):
    fluency: DimensionDraftEn
    flexibility: DimensionDraftEn
    originality: DimensionDraftEn
    elaboration: DimensionDraftEn


class ChecklistItem(BaseModel):
    """A row of every sheet: a dimension (look-fors by the model) or a disposition (by code)."""

    id: str  # "fluency", "asks_questions" ...
    kind: Literal["dimension", "disposition"]
    name: str  # "流畅性"
    meaning: str  # what the lens looks at, in a teacher's words (code)
    look_fors: list[str] = Field(default_factory=list)
    how_to_observe: str = Field(default="", max_length=360)  # English-sized (see CreativityChecklist.language)


class Record(BaseModel):
    """What the teacher recorded for one child on one item: a mark and one evidence sentence."""

    item_id: str
    mark: Mark = ""
    evidence: str = Field(default="", max_length=360)  # English-sized (see CreativityChecklist.language)


class ChildSheet(BaseModel):
    child: str = Field(default="", max_length=NAME_CHARS)  # "": a blank sheet, the name written by hand
    records: list[Record] = Field(default_factory=list)

    def record(self, item_id: str) -> Record:
        return next((record for record in self.records if record.item_id == item_id), Record(item_id=item_id))


class CreativityChecklist(BaseModel):
    """A saved 创造力观察清单 (one version). There is no total anywhere: marks are never summed."""

    # The checklist's language (its request's): what code writes and the Word labels follow it. English
    # takes about three times the characters, so the text bounds are English-sized; the drafts bound
    # what the model writes in each language.
    language: Literal["zh", "en"] = "zh"
    title: str = Field(max_length=120)
    age_band: AgeBand
    activity: str = Field(max_length=200)
    class_name: str = ""
    teacher: str = ""
    date: str = ""
    principle: str = ""  # how to use the sheet (code), printed on every copy
    items: list[ChecklistItem] = Field(default_factory=list)
    sheets: list[ChildSheet] = Field(default_factory=list)
    warnings: list[str] = Field(default_factory=list)  # what code changed, for the teacher
    citations: list[Citation] = Field(default_factory=list)

    def with_records(self, recorded: dict[tuple[int, str], tuple[str, str]]) -> CreativityChecklist:
        """The checklist with the teacher's marks and evidence: (sheet index, item id) -> (mark, evidence).
        Entries not given keep what was recorded before."""
        sheets = []
        for index, sheet in enumerate(self.sheets):
            records = []
            for item in self.items:
                before = sheet.record(item.id)
                mark, evidence = recorded.get((index, item.id), (before.mark, before.evidence))
                # Not validated here: Studio.save_document validates and names a bad field to the teacher.
                records.append(Record.model_construct(item_id=item.id, mark=mark, evidence=evidence.strip()))
            sheets.append(sheet.model_copy(update={"records": records}))
        return self.model_copy(update={"sheets": sheets})
