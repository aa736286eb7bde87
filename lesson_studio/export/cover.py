"""What the teacher adds at export time: the 封面 fields a plan does not carry."""

from __future__ import annotations

from dataclasses import dataclass

from lesson_studio.authoring import english
from lesson_studio.export import wording
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
    band = wording.value_label(english.BAND_LABELS, plan.age_band)
    if wording.in_english():
        age_and_class = f"{band} ({cover.class_name})" if cover.class_name else band
    else:
        age_and_class = f"{band}（{cover.class_name}）" if cover.class_name else band
    return [
        (wording.say("活动名称"), plan.title),
        (wording.say("年龄段/班级"), age_and_class),
        (wording.say("领域"), wording.value_label(english.DOMAIN_LABELS, plan.domain)),
        (wording.say("时长"), wording.minutes_text(plan.minutes)),
        (wording.say("执教教师"), cover.teacher),
        (wording.say("日期"), cover.date),
    ]


def header_text(cover: Cover) -> str:
    """The running header: school and class when known, then 教学活动设计."""
    return "　".join(part for part in (cover.school, cover.class_name, wording.say("教学活动设计")) if part)
