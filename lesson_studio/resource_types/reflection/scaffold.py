"""Structure by code for a 活动反思: the teacher's notes numbered, how long each step took against
the plan, which steps the revised plan must change, and their new minutes.

A step must change when it ran over time (the minutes the teacher entered, or a timing note naming
it: "想办法超时了", "第二环节来不及") or when a "what I would change" note names it. The revised
minutes are code's: time that steps which finished early did not use goes to the steps that ran
over (up to what they took), then the minutes are fitted to the plan's total, which never exceeds
the band's cap (authoring.scaffold.BAND_RULES: 20 / 25 / 30). The revised plan then goes through the
lesson plan's own rules (authoring.rules.apply_code_rules) with a lesson scaffold whose step slots
hold these minutes, so the revision gets exactly the structure and rules a generated plan gets.
"""

from __future__ import annotations

import re

from pydantic import BaseModel, Field

from lesson_studio.authoring import english as lesson_english
from lesson_studio.authoring.english import is_english
from lesson_studio.authoring.scaffold import (
    BAND_RULES,
    STAGE_GUIDANCE,
    Scaffold,
    StepSlot,
    build_scaffold,
    english_words_in,
)
from lesson_studio.models import LessonPlan, LessonRequest
from lesson_studio.resource_types.reflection import english
from lesson_studio.resource_types.reflection.schema import (
    NoteSource,
    ReflectionRequest,
    StepTiming,
    TeacherNote,
)

MAX_NOTES = 30
NOTE_SOURCES: tuple[NoteSource, ...] = ("children", "timing", "surprises", "changes")
# A sentence with the closing quote that follows its full stop ("乐乐说：“掉下来了。”").
_SENTENCE = re.compile(r"[^。！？；!?;\n]+(?:[。！？；!?;]+[”’」』\"]?)?")
# Words saying a step took longer than planned, or less. "时间不够", never a bare "不够" (材料不够).
OVERRUN_WORDS = (
    "超时",
    "超了",
    "超过",
    "拖",
    "太长",
    "太久",
    "来不及",
    "时间不够",
    "没做完",
    "没完成",
    "延长",
    "多用了",
    "收不住",
)
# What the teacher wants changed: a step's time shorter, or longer ("想办法的时间要缩短，试一试多给时间").
SHORTER_WORDS = ("缩短", "短一点", "少一点", "减少", "压缩", "shorter", "less time", "cut down")
LONGER_WORDS = ("多给", "延长", "长一点", "多一点时间", "增加时间", "多留", "more time", "longer", "extra time")
UNDERRUN_WORDS = ("提前", "太短", "很快就", "没用完", "富余", "多出", "早早", "只用了", "用不完")
_DIGITS = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10}
_STEP_NUMBER = re.compile(
    r"第\s*([0-9一二两三四五六七八九十]+)\s*个?\s*(?:环节|步|部分)|(?:环节|步骤)\s*([0-9一二两三四五六七八九十]+)"
)
_TOOK = re.compile(r"(?:用了|花了|实际|做了)\s*(\d{1,2})\s*分钟")
# The names a teacher uses for a CPS stage or a phase ("试一试" for 试一试改一改).
STAGE_NAMES = {
    "发现问题": ("发现问题",),
    "想办法": ("想办法",),
    "选办法": ("选办法", "投票"),
    "试一试改一改": ("试一试", "改一改", "动手试"),
    "分享": ("分享",),
}
PHASE_NAMES = {"导入": ("导入",), "结束": ("结束部分", "结束环节")}


class ReflectionScaffold(BaseModel):
    request: ReflectionRequest
    notes: list[TeacherNote]
    timings: list[StepTiming]
    overran: list[int]  # 0-based indices of steps that ran over
    underran: list[int]
    to_revise: list[int]  # the steps the revised plan changes: over time, or named by a change note
    reasons: dict[int, list[str]]  # index -> why it changes, in the teacher's words
    total: int  # the revised plan's minutes: the plan's, within the band's cap
    cap_max: int
    revised_minutes: list[int]
    lesson_scaffold: Scaffold  # the plan's structure with the revised minutes (for apply_code_rules)
    warnings: list[str] = Field(default_factory=list)

    @property
    def plan(self) -> LessonPlan:
        return self.request.plan

    def notes_text(self) -> str:
        return "\n".join(note.text for note in self.notes)


def number_notes(request: ReflectionRequest) -> list[TeacherNote]:
    """Every sentence of the teacher's notes, numbered in the form's order."""
    notes: list[TeacherNote] = []
    sentence = english.NOTE_SENTENCE if is_english(request.language) else _SENTENCE
    for source in NOTE_SOURCES:
        for clause in sentence.findall(getattr(request, source)):
            text = clause.strip()
            if len(text.strip("。！？；!?;，, ")) >= 2 and len(notes) < MAX_NOTES:
                notes.append(TeacherNote(number=len(notes) + 1, source=source, text=text))
    return notes


def steps_named(text: str, plan: LessonPlan) -> set[int]:
    """The steps (0-based) a sentence names: by number (第二环节), title, CPS stage or phase."""
    if is_english(plan.language):
        return english_steps_named(text, plan)
    named: set[int] = set()
    for match in _STEP_NUMBER.finditer(text):
        raw = match.group(1) or match.group(2)
        number = int(raw) if raw.isdigit() else _chinese_number(raw)
        if 1 <= number <= len(plan.steps):
            named.add(number - 1)
    for index, step in enumerate(plan.steps):
        title = step.title.strip()
        if len(title) >= 2 and title in text:
            named.add(index)
        if any(name in text for name in STAGE_NAMES.get(step.cps_stage, ())):
            named.add(index)
        if any(name in text for name in PHASE_NAMES.get(step.phase, ())):
            named.add(index)
    return named


def english_steps_named(text: str, plan: LessonPlan) -> set[int]:
    """The same for an English plan: "step 2", "the second step", a title, "brainstorming", "the opening"."""
    numbers = [match.group(1).lower() for match in english.STEP_NUMBER.finditer(text)]
    numbers += [match.group(1).lower() for match in english.ORDINAL_STEP.finditer(text)]
    named = {
        number - 1
        for raw in numbers
        if 1 <= (number := int(raw) if raw.isdigit() else english.NUMBERS.get(raw, 0)) <= len(plan.steps)
    }
    lowered = text.lower()
    for index, step in enumerate(plan.steps):
        title = step.title.strip().lower()
        if len(title) >= 3 and title in lowered:
            named.add(index)
        if english_words_in(text, english.STAGE_NAMES.get(step.cps_stage, ())):
            named.add(index)
        if english_words_in(text, english.PHASE_NAMES.get(step.phase, ())):
            named.add(index)
    return named


def _chinese_number(raw: str) -> int:
    if raw == "十":
        return 10
    if raw.startswith("十"):
        return 10 + _DIGITS.get(raw[1:], 0)
    return _DIGITS.get(raw, 0)


def step_timings(request: ReflectionRequest, notes: list[TeacherNote]) -> list[StepTiming]:
    """Each step's planned and actual minutes and whether it ran over: the entered minutes first,
    then the timing notes ("想办法用了8分钟", "第二环节来不及")."""
    plan = request.plan
    timings = [
        StepTiming(step=index + 1, title=step.title, cps_stage=step.cps_stage, planned=step.minutes)
        for index, step in enumerate(plan.steps)
    ]
    for index, actual in enumerate(request.actual_minutes[: len(timings)]):
        if actual > 0:
            timings[index] = _with_actual(timings[index], actual)
    in_english = is_english(request.language)
    took_pattern = english.TOOK if in_english else _TOOK

    def says(text: str, words: tuple[str, ...]) -> bool:
        return bool(english_words_in(text, words)) if in_english else any(word in text for word in words)

    over_words = english.OVERRUN_WORDS if in_english else OVERRUN_WORDS
    under_words = english.UNDERRUN_WORDS if in_english else UNDERRUN_WORDS
    for note in notes:
        if note.source != "timing":
            continue
        # Clause by clause: "想办法用了9分钟，试一试只剩5分钟，来不及分享" says three things about three
        # steps, and only the first ran over (bench/resources.py marked all three 超时).
        named: set[int] = set()
        for clause in clauses(note.text, in_english):
            if clause.lstrip().startswith(("来不及", "没时间", "no time for")):
                named = set()
                continue  # the step was squeezed out by another one, it did not run over
            # A clause that names no step goes on about the one before ("想办法超时了，用了9分钟").
            named = steps_named(clause, plan) or named
            took = took_pattern.search(clause)
            for index in named:
                timing = timings[index]
                if timing.actual is not None:
                    continue  # the entered minutes win over a sentence
                if took and len(named) == 1:
                    timings[index] = _with_actual(timing, int(took.group(1)))
                elif says(clause, over_words):
                    timings[index] = timing.model_copy(update={"status": "超时"})
                elif says(clause, under_words):
                    timings[index] = timing.model_copy(update={"status": "提前"})
    return timings


def clauses(text: str, in_english: bool = False) -> list[str]:
    return [part for part in re.split(r"[,;]" if in_english else r"[，,；;]", text) if part.strip()]


def time_wishes(notes: list[TeacherNote], plan: LessonPlan, in_english: bool = False) -> tuple[set[int], set[int]]:
    """The steps the teacher's change notes want shorter, and longer."""
    shorter: set[int] = set()
    longer: set[int] = set()
    for note in notes:
        if note.source != "changes":
            continue
        for clause in clauses(note.text, in_english):
            lowered = clause.lower()
            named = steps_named(clause, plan)
            if any(word in lowered for word in LONGER_WORDS):
                longer |= named
            elif any(word in lowered for word in SHORTER_WORDS):
                shorter |= named
    return shorter - longer, longer


def _with_actual(timing: StepTiming, actual: int) -> StepTiming:
    status = "超时" if actual > timing.planned else "提前" if actual < timing.planned else "按时"
    return timing.model_copy(update={"actual": actual, "status": status})


def revised_minutes(
    timings: list[StepTiming], total: int, shorter: set[int] | None = None, longer: set[int] | None = None
) -> list[int]:
    """New minutes per step summing to `total`: minutes the early steps did not use go to the
    steps that ran over (up to what they took), then the sum is fitted to the total. What the
    teacher asked for comes first: a step she wants shorter gives up to 2 minutes to the steps she
    wants longer, and is not given more for having run over."""
    shorter, longer = shorter or set(), longer or set()
    minutes = [max(1, timing.planned) for timing in timings]
    overran = [i for i, timing in enumerate(timings) if timing.status == "超时" and i not in shorter]
    receivers = sorted(longer) or [i for i in overran]
    for i in sorted(shorter):
        for _ in range(min(2, minutes[i] - 1)):
            if not receivers:
                break
            minutes[i] -= 1
            minutes[receivers[0]] += 1
            receivers = receivers[1:] + receivers[:1]
    spare = {
        i: timing.planned - timing.actual
        for i, timing in enumerate(timings)
        if timing.status == "提前" and timing.actual is not None
    }
    for i in sorted(overran, key=lambda i: -((timings[i].actual or 0) - timings[i].planned)):
        need = (timings[i].actual or timings[i].planned) - timings[i].planned
        for j in list(spare):
            moved = min(need, spare[j], minutes[j] - 1)
            if moved > 0:
                minutes[i] += moved
                minutes[j] -= moved
                spare[j] -= moved
                need -= moved
    return fit_total(minutes, total, protect=set(overran) | longer)


def fit_total(minutes: list[int], total: int, protect: frozenset[int] | set[int] = frozenset()) -> list[int]:
    """The minutes changed as little as possible to sum to `total`, each at least 1: taken from the
    longest step the notes did not flag, given to a flagged step (or the longest)."""
    minutes = [max(1, minute) for minute in minutes]
    total = max(total, len(minutes))
    while sum(minutes) > total:
        candidates = [i for i in range(len(minutes)) if minutes[i] > 1 and i not in protect] or [
            i for i in range(len(minutes)) if minutes[i] > 1
        ]
        minutes[max(candidates, key=lambda i: (minutes[i], -i))] -= 1
    while minutes and sum(minutes) < total:
        candidates = sorted(protect) or list(range(len(minutes)))
        minutes[max(candidates, key=lambda i: (minutes[i], -i))] += 1
    return minutes


def lesson_scaffold_for(plan: LessonPlan, minutes: list[int], total: int) -> Scaffold:
    """The lesson plan's scaffold for the revision: the plan's band, domain and materials, and its
    own steps (phase, CPS stage) holding the revised minutes."""
    request = LessonRequest(
        age_band=plan.age_band,
        domain=plan.domain,
        # The plan's language: the lesson plan's rules then write an English step's lines in English.
        language=plan.language,
        topic=(re.split("[：:]", plan.title)[-1].strip() or plan.title)[:200],
        minutes=min(max(total, 5), 60),
        materials=[item.name for item in plan.preparation.materials][:30],
    )
    slots = [
        StepSlot(
            phase=step.phase,
            cps_stage=step.cps_stage,
            minutes=minute,
            guidance=(lesson_english.STAGE_GUIDANCE if is_english(plan.language) else STAGE_GUIDANCE)[step.cps_stage],
        )
        for step, minute in zip(plan.steps, minutes, strict=True)
    ]
    return build_scaffold(request).model_copy(update={"steps": slots})


def build_reflection_scaffold(request: ReflectionRequest) -> ReflectionScaffold:
    """The reflection's structure for the request. Pure and deterministic."""
    plan = request.plan
    notes = number_notes(request)
    timings = step_timings(request, notes)
    reasons: dict[int, list[str]] = {}
    in_english = is_english(request.language)
    for index, timing in enumerate(timings):
        if timing.status == "超时":
            took = f"，实际{timing.actual}分钟" if timing.actual is not None else ""
            reasons.setdefault(index, []).append(
                english.over_time_reason(timing.planned, timing.actual)
                if in_english
                else f"超时：计划{timing.planned}分钟{took}"
            )
    for note in notes:
        if note.source == "changes":
            for index in sorted(steps_named(note.text, plan)):
                reasons.setdefault(index, []).append(
                    english.note_reason(note.number, note.text) if in_english else f"记录{note.number}：{note.text}"
                )
    cap_max = BAND_RULES[plan.age_band].cap_max
    warnings = []
    total = plan.minutes
    if total > cap_max and in_english:
        warnings.append(english.over_cap_warning(plan.minutes, plan.age_band, cap_max))
        total = cap_max
    elif total > cap_max:
        warnings.append(
            f"原教案共{plan.minutes}分钟，超过{plan.age_band}集体活动{cap_max}分钟的上限：修订后的教案按{cap_max}分钟安排。"
            f" / The plan's {plan.minutes} minutes exceed the band's {cap_max}-minute cap; the revision is planned for {cap_max}."
        )
        total = cap_max
    total = max(total, len(plan.steps))
    shorter, longer = time_wishes(notes, plan, in_english)
    minutes = revised_minutes(timings, total, shorter, longer) if plan.steps else []
    return ReflectionScaffold(
        request=request,
        notes=notes,
        timings=timings,
        overran=[i for i, timing in enumerate(timings) if timing.status == "超时"],
        underran=[i for i, timing in enumerate(timings) if timing.status == "提前"],
        to_revise=sorted(reasons),
        reasons=reasons,
        total=total,
        cap_max=cap_max,
        revised_minutes=minutes,
        lesson_scaffold=lesson_scaffold_for(plan, minutes, total),
        warnings=warnings,
    )
