"""区域活动材料计划 (activity-area materials plan): what the teacher asks for, what the model writes
for each area, what is saved.

The parts follow DOMAIN.md §3 (区域活动材料计划): per area a goal linked to the theme, materials by
structure level (高结构 / 低结构) with quantities, levels of challenge (层次/梯度), a record sheet,
an observation focus and a replacement schedule. Code decides the areas and their order, the
levels' names, the schedule's dates and the safety (exclusions, substitutes, notes); the model writes
the content of each area (AreaDraft), every string bounded for the embedded model's grammar (see
lesson_studio.models).
"""

from __future__ import annotations

import datetime
import re
from typing import Annotated, Literal

from pydantic import BaseModel, Field, field_validator

from lesson_studio.errors import InvalidInput
from lesson_studio.models import AgeBand, Citation
from lesson_studio.resource_types.area_plan.english import STRUCTURE_LABELS, STRUCTURE_VALUES

# The activity areas a Chinese kindergarten room is usually divided into, in the order a plan lists
# them (code's order, whatever order the teacher ticked them in).
AREAS: tuple[str, ...] = ("美工区", "建构区", "科学区", "益智区", "阅读区", "角色区", "自然角", "沙水区")
# Other names teachers use for the same area.
AREA_ALIASES = {
    "探索区": "科学区",
    "科学探索区": "科学区",
    "表演区": "角色区",
    "角色表演区": "角色区",
    "图书区": "阅读区",
}
AreaName = Literal["美工区", "建构区", "科学区", "益智区", "阅读区", "角色区", "自然角", "沙水区"]
Structure = Literal["高结构", "低结构"]
STRUCTURES: tuple[str, ...] = ("高结构", "低结构")
LEVEL_NAMES = ("层次一", "层次二", "层次三")  # 层次一 the easiest
ScheduleAction = Literal["投放", "调整", "更换"]

# The form's fields as a teacher reads them (a bad field is named in the message).
FIELD_LABELS = {
    "class_name": "班级 / class",
    "teacher": "教师 / teacher",
    "age_band": "年龄段 / age band",
    "theme": "主题或正在解决的问题 / theme or problem",
    "areas": "区域 / areas",
    "start_date": "开始日期 / start date",
    "weeks": "周数 / weeks",
    "materials_on_hand": "现有材料 / materials on hand",
    "notes": "备注 / notes",
}


class AreaPlanRequest(BaseModel):
    """The 区域活动材料计划 form."""

    class_name: str = Field(min_length=1, max_length=30)  # "中二班"
    teacher: str = Field(min_length=1, max_length=30)
    age_band: AgeBand = "中班"
    theme: str = Field(min_length=1, max_length=200)  # the theme or the problem the class works on
    areas: list[AreaName] = Field(min_length=1, max_length=len(AREAS))
    start_date: datetime.date
    weeks: int = Field(default=2, ge=1, le=4)
    materials_on_hand: list[str] = Field(default_factory=list, max_length=30)
    notes: str = Field(default="", max_length=300)
    language: Literal["zh", "en"] = "zh"

    @field_validator("areas", mode="before")
    @classmethod
    def _known_names(cls, value: object) -> object:
        """科学区/探索区 and 角色区/表演区 are one area each; the same area ticked twice counts once."""
        if not isinstance(value, list):
            return value
        names = [AREA_ALIASES.get(str(name).strip(), str(name).strip()) for name in value]
        return list(dict.fromkeys(name for name in names if name))


# --- what the model writes, one call per area ---------------------------------------------------------


ColumnText = Annotated[str, Field(min_length=1, max_length=16)]  # a record-sheet column heading
FocusText = Annotated[str, Field(min_length=4, max_length=50)]  # what the teacher watches for


class MaterialDraft(BaseModel):
    name: str = Field(min_length=1, max_length=20)
    quantity: str = Field(max_length=20)  # "每组1筐", "4套"
    structure: Structure


class LevelDraft(BaseModel):
    challenge: str = Field(min_length=4, max_length=60)  # what a child tries at this level
    difficulty: int = Field(ge=1, le=3)  # 1 the easiest: levels must increase


class AreaDraft(BaseModel):
    """One area's content, in one call."""

    goal: str = Field(min_length=6, max_length=80)
    materials: list[MaterialDraft] = Field(min_length=1, max_length=8)
    levels: list[LevelDraft] = Field(min_length=1, max_length=3)
    record_columns: list[ColumnText] = Field(min_length=1, max_length=5)
    observation_focus: list[FocusText] = Field(min_length=1, max_length=3)


# --- the same area written in English (AreaPlanRequest.language == "en") ---
# English takes about three times the characters of the same Chinese text, so the upper bounds scale
# with it; each is a subclass of its Chinese part, so whatever takes a draft takes it. The structure
# is "high" or "low" (the English prompt holds no Chinese); code stores it as 高结构/低结构, the data.

ColumnTextEn = Annotated[str, Field(min_length=1, max_length=48)]
FocusTextEn = Annotated[str, Field(min_length=4, max_length=150)]


class MaterialDraftEn(MaterialDraft):
    name: str = Field(min_length=1, max_length=60)
    quantity: str = Field(max_length=60)
    structure: Literal["high", "low"]  # type: ignore[assignment]


class LevelDraftEn(LevelDraft):
    challenge: str = Field(min_length=4, max_length=180)


class AreaDraftEn(AreaDraft):
    goal: str = Field(min_length=6, max_length=240)
    materials: list[MaterialDraftEn] = Field(min_length=1, max_length=8)  # type: ignore[assignment]
    levels: list[LevelDraftEn] = Field(min_length=1, max_length=3)  # type: ignore[assignment]
    record_columns: list[ColumnTextEn] = Field(min_length=1, max_length=5)
    observation_focus: list[FocusTextEn] = Field(min_length=1, max_length=3)


def draft_model(language: str) -> type[AreaDraft]:
    return AreaDraftEn if language == "en" else AreaDraft


# --- the saved plan -------------------------------------------------------------------------------------


# The saved plan's bounds fit a plan in English (about three times the characters of the Chinese);
# the model's Chinese is bounded tighter by AreaDraft, a teacher's Chinese edit by EDIT_LIMITS.
class Material(BaseModel):
    name: str = Field(max_length=120)
    quantity: str = Field(default="", max_length=90)
    structure: Structure = "低结构"


class Level(BaseModel):
    name: str  # 层次一 / 层次二 / 层次三, by code from the position
    challenge: str = Field(max_length=240)
    difficulty: int = Field(ge=1, le=3)


class ScheduleEntry(BaseModel):
    """A date on which the area's materials are put out, adjusted or replaced (computed by code)."""

    date: datetime.date
    action: ScheduleAction
    what: str


class Exclusion(BaseModel):
    """A material code took out of an area for the age band, why, and what children use instead."""

    material: str
    reason: str
    substitute: str = ""


class AreaSection(BaseModel):
    area: AreaName
    goal: str = Field(max_length=360)
    materials: list[Material] = Field(default_factory=list)
    levels: list[Level] = Field(default_factory=list)
    record_columns: list[str] = Field(default_factory=list)
    record_how: str = ""  # how children record at this band (draw, tick, stickers), by code
    observation_focus: list[str] = Field(default_factory=list)
    schedule: list[ScheduleEntry] = Field(default_factory=list)
    exclusions: list[Exclusion] = Field(default_factory=list)
    safety_notes: list[str] = Field(default_factory=list)  # by code, from resources/hazards.toml


class AreaPlan(BaseModel):
    """A saved 区域活动材料计划 (one version)."""

    title: str = Field(max_length=120)
    class_name: str
    teacher: str
    age_band: AgeBand
    theme: str = Field(max_length=200)
    start_date: datetime.date
    weeks: int = Field(ge=1, le=4)
    areas: list[AreaSection] = Field(default_factory=list)
    exclusions: list[Exclusion] = Field(default_factory=list)  # the teacher's own materials code took out
    general_safety: str = ""  # the band's note for every area (by code)
    warnings: list[str] = Field(default_factory=list)  # what code changed, for the teacher
    citations: list[Citation] = Field(default_factory=list)
    language: Literal["zh", "en"] = "zh"  # the request's: what code wrote and the Word labels follow it

    # --- a teacher's edit on the page: each area's parts as text, and back ---------------------------

    def edit_texts(self) -> dict[str, dict[str, str]]:
        """Each area's editable parts as the page's text boxes show them (one material or level a line)."""
        return {
            section.area: {
                "goal": section.goal,
                "materials": "\n".join(
                    f"{item.name}｜{item.quantity}｜{structure_label(item.structure, self.language)}"
                    for item in section.materials
                ),
                "levels": "\n".join(level.challenge for level in section.levels),
                "record_columns": (", " if self.language == "en" else "、").join(section.record_columns),
                "observation_focus": "\n".join(section.observation_focus),
            }
            for section in self.areas
        }

    def with_edits(self, edits: dict[str, dict[str, str]]) -> AreaPlan:
        """The plan with the page's text boxes read back (the format edit_texts writes). A line that
        cannot be read is an InvalidInput naming the area, the part and the line; nothing is changed."""
        areas = []
        for section in self.areas:
            texts = edits.get(section.area)
            if texts is None:
                areas.append(section)
                continue
            areas.append(
                section.model_copy(
                    update={
                        "goal": texts.get("goal", section.goal).strip(),
                        "materials": _materials_from(texts["materials"], section.area, self.language)
                        if "materials" in texts
                        else section.materials,
                        "levels": _levels_from(texts["levels"], section.area, self.language)
                        if "levels" in texts
                        else section.levels,
                        "record_columns": _items(texts["record_columns"], "[、，,\\n]")
                        if "record_columns" in texts
                        else section.record_columns,
                        "observation_focus": _items(texts["observation_focus"], "\\n")
                        if "observation_focus" in texts
                        else section.observation_focus,
                    }
                )
            )
        return self.model_copy(update={"areas": areas})


def structure_label(structure: str, language: str) -> str:
    """高结构/低结构 as the plan's language shows it."""
    return STRUCTURE_LABELS.get(structure, structure) if language == "en" else structure


def _items(text: str, separators: str) -> list[str]:
    return [item.strip() for item in re.split(separators, text) if item.strip()]


PART_NAMES = {"材料": "materials", "挑战层次": "levels"}


def _bad_line(area: str, part: str, number: int, zh: str, en: str) -> InvalidInput:
    return InvalidInput(
        f"请检查“{area}·{part}”第{number}行：{zh} / Please check the {PART_NAMES[part]} of {area}, line {number}: {en}"
    )


# How a teacher may write a material's structure in an edit (an English plan's box shows the English).
STRUCTURE_WORDS = {
    "高": "高结构",
    "低": "低结构",
    **{english: value for value, english in STRUCTURE_LABELS.items()},
    **{english: value for english, value in STRUCTURE_VALUES.items()},
}
# A teacher's edit, per language: (material name, quantity, level) at most this many characters.
EDIT_LIMITS = {"zh": (40, 30, 80), "en": (120, 90, 240)}


def _materials_from(text: str, area: str, language: str = "zh") -> list[Material]:
    """One material a line: 名称｜数量｜高结构 or 低结构 (the quantity and structure may be left out)."""
    name_chars, quantity_chars, _ = EDIT_LIMITS[language]
    materials = []
    for number, line in enumerate(_items(text, "\\n"), start=1):
        name, quantity, structure = ([part.strip() for part in re.split("[｜|]", line)] + ["", ""])[:3]
        if not name or len(name) > name_chars:
            raise _bad_line(
                area,
                "材料",
                number,
                f"材料名不能为空，最多{name_chars}字",
                f"a material needs a name of at most {name_chars} characters",
            )
        if len(quantity) > quantity_chars:
            raise _bad_line(
                area,
                "材料",
                number,
                f"数量最多{quantity_chars}字",
                f"the quantity has at most {quantity_chars} characters",
            )
        structure = STRUCTURE_WORDS.get(structure.lower(), structure) or "低结构"
        if structure not in STRUCTURES:
            raise _bad_line(area, "材料", number, "结构只能写“高结构”或“低结构”", "the structure is 高结构 or 低结构")
        materials.append(Material(name=name, quantity=quantity, structure=structure))  # type: ignore[arg-type]
    return materials


def _levels_from(text: str, area: str, language: str = "zh") -> list[Level]:
    """One level a line, the easiest first (the teacher's order is the order of difficulty)."""
    lines = _items(text, "\\n")
    if len(lines) > len(LEVEL_NAMES):
        raise _bad_line(area, "挑战层次", len(lines), "最多三个层次", "at most three levels")
    levels = []
    for number, line in enumerate(lines, start=1):
        level_chars = EDIT_LIMITS[language][2]
        if len(line) > level_chars:
            raise _bad_line(
                area,
                "挑战层次",
                number,
                f"每个层次最多{level_chars}字",
                f"a level has at most {level_chars} characters",
            )
        levels.append(Level(name=LEVEL_NAMES[number - 1], challenge=line, difficulty=number))
    return levels
