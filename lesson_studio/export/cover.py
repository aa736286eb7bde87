"""What the teacher adds at export time: the 封面 fields a plan does not carry."""

from __future__ import annotations

from dataclasses import dataclass

from lesson_studio.models import LessonPlan


@dataclass(frozen=True)
class Cover:
    """Teacher, class, date and school for the cover table and page header; blank ones stay blank for
    handwriting, which is how paper 教案 are filled in."""

    teacher: str = ""
    class_name: str = ""
    date: str = ""
    school: str = ""


def cover_rows(plan: LessonPlan, cover: Cover) -> list[tuple[str, str]]:
    """The cover table of the built-in layout, label then value."""
    age_and_class = f"{plan.age_band}（{cover.class_name}）" if cover.class_name else plan.age_band
    return [
        ("活动名称", plan.title),
        ("年龄段/班级", age_and_class),
        ("领域", plan.domain),
        ("时长", f"{plan.minutes}分钟"),
        ("执教教师", cover.teacher),
        ("日期", cover.date),
    ]


def header_text(cover: Cover) -> str:
    """The running header: school and class when known, then 教学活动设计."""
    return "　".join(part for part in (cover.school, cover.class_name, "教学活动设计") if part)
