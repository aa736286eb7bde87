"""The standards catalogue: the 《3-6岁儿童学习与发展指南》 as data.

domain (健康…) -> sub-area （一）身心状况 -> goal 目标1 具有健康的体态 -> age band -> the typical
performance lines, verbatim. Generation and the rubric use it to quote a goal word for word and
from the right age column. The product ships no copy of the 《指南》: a school imports its own
(tagged resource_type=指南) and the catalogue is parsed from that document's age-band tables.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, Field

from lesson_studio.library.chunker import Chunk, age_band_of
from lesson_studio.library.loaders import LoadedDocument

GUIDE_RESOURCE_TYPE = "指南"
AGE_LABELS: dict[str, str] = {"小班": "3～4岁", "中班": "4～5岁", "大班": "5～6岁"}

_DOMAIN = re.compile(r"^(?:[一二三四五六七八九十]+、)?\s*(健康|语言|社会|科学|艺术)(?:领域)?$")
_SUB_AREA = re.compile(r"^[（(]([一二三四五六七八九十]+)[）)]\s*(\S.*)$")
_GOAL = re.compile(r"^目标\s*(\d+)\s*(\S.*)$")
_BAND_LINE = re.compile(r"^\s*([3-5]\s*[～~\-—–至到]\s*[4-6]\s*岁|小班|中班|大班)\s*[:：]\s*(.*)$")
# "1．", "2. " at the start or after a space; not the "94.9" of a measurement.
_NUMBERED = re.compile(r"(?:^|(?<=\s))(\d{1,2})\s*[．.](?!\d)\s*")

AgeBandName = Literal["小班", "中班", "大班"]


class BandExpectation(BaseModel):
    age_band: AgeBandName
    age_label: str  # as the document writes it, e.g. "3～4岁"
    lines: list[str]  # the typical performances, verbatim, in order, without their numbers
    chunk_ids: list[str] = Field(default_factory=list)  # library chunks holding this cell, for citations


class Goal(BaseModel):
    number: int
    title: str  # "具有健康的体态"
    bands: list[BandExpectation]

    def for_band(self, age_band: str) -> BandExpectation | None:
        return next((band for band in self.bands if band.age_band == age_band), None)


class SubArea(BaseModel):
    name: str  # "身心状况"
    goals: list[Goal]


class DomainStandards(BaseModel):
    name: str  # 健康 | 语言 | 社会 | 科学 | 艺术
    sub_areas: list[SubArea]


class Expectation(BaseModel):
    """One typical-performance line with everything needed to cite it."""

    domain: str
    sub_area: str
    goal_number: int
    goal_title: str
    age_band: AgeBandName
    age_label: str
    line_number: int
    text: str
    chunk_ids: list[str] = Field(default_factory=list)

    @property
    def reference(self) -> str:
        """《指南》 健康（身心状况）目标1 具有健康的体态 · 3～4岁 第2条"""
        return (
            f"《指南》{self.domain}（{self.sub_area}）目标{self.goal_number} {self.goal_title} · "
            f"{self.age_label} 第{self.line_number}条"
        )


class Catalogue(BaseModel):
    document_id: str
    version: int
    title: str
    domains: list[DomainStandards]

    @property
    def goal_count(self) -> int:
        return sum(len(sub.goals) for domain in self.domains for sub in domain.sub_areas)

    @property
    def sub_area_count(self) -> int:
        return sum(len(domain.sub_areas) for domain in self.domains)

    def expectations(self, *, domain: str | None = None, age_band: str | None = None) -> list[Expectation]:
        """Every line, optionally only one domain's and one age band's (混龄/None: every band)."""
        found = []
        for area in self.domains:
            if domain and area.name != domain:
                continue
            for sub in area.sub_areas:
                for goal in sub.goals:
                    for band in goal.bands:
                        if age_band and age_band in AGE_LABELS and band.age_band != age_band:
                            continue
                        for number, line in enumerate(band.lines, start=1):
                            found.append(
                                Expectation(
                                    domain=area.name,
                                    sub_area=sub.name,
                                    goal_number=goal.number,
                                    goal_title=goal.title,
                                    age_band=band.age_band,
                                    age_label=band.age_label,
                                    line_number=number,
                                    text=line,
                                    chunk_ids=band.chunk_ids,
                                )
                            )
        return found

    def find(self, text: str) -> list[Expectation]:
        """The lines that `text` quotes verbatim (spaces ignored) — possibly in several bands."""
        wanted = _squash(text)
        if not wanted:
            return []
        return [item for item in self.expectations() if wanted in _squash(item.text) or _squash(item.text) in wanted]


def parse_catalogue(document: LoadedDocument, chunks: list[Chunk], *, document_id: str, version: int) -> Catalogue:
    """Read the age-band tables of a 《指南》 into a Catalogue (empty domains when there are none)."""
    domains: dict[str, dict[str, dict[int, Goal]]] = {}
    for section in document.sections:
        if section.kind != "table":
            continue
        domain = sub_area = None
        goal_number, goal_title = 0, ""
        for heading in section.heading_path:
            heading = heading.strip()
            if match := _DOMAIN.match(heading):
                domain = match.group(1)
            elif match := _SUB_AREA.match(heading):
                sub_area = _one_line(match.group(2))
            elif match := _GOAL.match(heading):
                goal_number, goal_title = int(match.group(1)), _one_line(match.group(2))
        if not (domain and sub_area and goal_number):
            continue
        goal = (
            domains.setdefault(domain, {})
            .setdefault(sub_area, {})
            .setdefault(goal_number, Goal(number=goal_number, title=goal_title, bands=[]))
        )
        for line in section.text.split("\n"):
            match = _BAND_LINE.match(line)
            if not match:
                continue
            band = age_band_of(match.group(1))
            if band not in AGE_LABELS or goal.for_band(band):
                continue
            heading = " > ".join(part for part in section.heading_path if part != document.title)
            goal.bands.append(
                BandExpectation(
                    age_band=band,  # type: ignore[arg-type]
                    age_label=_one_line(match.group(1)),
                    lines=_numbered_lines(match.group(2)),
                    chunk_ids=[c.id for c in chunks if c.heading == heading and c.age_band == band],
                )
            )
    return Catalogue(
        document_id=document_id,
        version=version,
        title=document.title,
        domains=[
            DomainStandards(
                name=name,
                sub_areas=[
                    SubArea(name=sub_name, goals=[goals[number] for number in sorted(goals)])
                    for sub_name, goals in sub_areas.items()
                ],
            )
            for name, sub_areas in domains.items()
        ],
    )


def _numbered_lines(cell: str) -> list[str]:
    starts = list(_NUMBERED.finditer(cell))
    if not starts or starts[0].start() != 0:
        return [cell.strip()] if cell.strip() else []
    lines = []
    for position, match in enumerate(starts):
        end = starts[position + 1].start() if position + 1 < len(starts) else len(cell)
        line = cell[match.end() : end].strip()
        if line:
            lines.append(line)
    return lines


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)
