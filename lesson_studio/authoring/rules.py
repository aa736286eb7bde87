"""Code has the last word: the rules code applies to a plan the model wrote, in one place.

A plan is first built from the model's drafts as the model wrote them (generate.plan_from_sections,
or generate.merge_section for one rewritten section); `apply_code_rules` then puts the structure
and the rules back. Generation applies it to the whole plan and every refinement (one section
regenerated, 一键修正, a chat edit, the content checks' rewrites) to the sections it changed, so a
试一试 step written later gets the same support and challenge as a generated one: two copies of
these rules had drifted apart before (issue 13).

The rules (DESIGN.md principle 1; DOMAIN.md §1.3 and rubric items 2, 6, 10, 11):
- the title names the age band and domain ("中班艺术：…"), at most 40 characters;
- the objectives are 认知/能力/情感 in that order, without a vague closing clause, within 40 characters;
- a material the scaffold made teacher-only is the teacher's, whatever the model wrote;
- each step's phase, CPS stage and minutes are the scaffold's; labels the model repeated are removed;
- 想办法 opens with the brainstorming rules in child language when the model left them out;
- 试一试改一改 offers a support and a challenge when the model left either out;
- the whole plan's safety notes and warnings are the scaffold's, never the model's.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from lesson_studio.authoring import english
from lesson_studio.authoring.content_checks import strip_labels
from lesson_studio.authoring.scaffold import Scaffold, brainstorm_rules_sentence, has_tiers, mentions_rules
from lesson_studio.models import LessonPlan, MaterialItem, Objective, ProcessStep

OBJECTIVE_ORDER = ("认知", "能力", "情感")
OBJECTIVE_CHARS = 40  # the prompt's and the rubric's limit (the grammar allows 60 as a backstop)
TITLE_CHARS = 40
TEACHER_CHARS = 300  # ProcessStep.teacher's bound for a Chinese plan (an English one: three times)

# "……，提高/培养/发展……能力/思维/意识" closing an objective: the vague tail teachers' guides warn
# against (DOMAIN.md rubric item 2). The embedded model added one to most plans (bench/rubric.py).
_VAGUE_TAIL = re.compile(
    r"[，,；;]\s*(并|从而|以)?(培养|提高|发展|提升|增强)[^，。；]{0,16}(能力|素质|意识|思维|精神)[。]?$"
)


def apply_code_rules(plan: LessonPlan, scaffold: Scaffold, sections: Iterable[str] | None = None) -> LessonPlan:
    """The plan with code's rules applied to `sections` ("overview", "preparation", "step:N",
    "closing"; None: the whole plan, as generation does). Applying it twice changes nothing."""
    wanted = None if sections is None else set(sections)

    def applies(section: str) -> bool:
        return wanted is None or section in wanted

    updates: dict[str, object] = {}
    language = scaffold.request.language
    if applies("overview"):
        updates["title"] = titled(plan.title, plan.age_band, plan.domain, language)
        updates["objectives"] = [
            Objective(dimension=dimension, text=objective_text(objective.text, language))
            for dimension, objective in zip(OBJECTIVE_ORDER, plan.objectives, strict=False)
        ]
    if applies("preparation"):
        materials = [teacher_only(item, scaffold) for item in plan.preparation.materials]
        updates["preparation"] = plan.preparation.model_copy(update={"materials": materials})
    steps = list(plan.steps)
    for index, step in enumerate(plan.steps):
        if applies(f"step:{index}"):
            steps[index] = step_rules(step, scaffold, index)
    updates["steps"] = steps
    if wanted is None:
        updates["safety_notes"] = list(scaffold.safety_notes)
        updates["warnings"] = list(scaffold.warnings)
    return plan.model_copy(update=updates)


def titled(title: str, age_band: str, domain: str, language: str = "zh") -> str:
    """The title with the band and domain in front ("中班艺术：小熊的新帽子", "Middle class Art: A hat
    for Teddy") unless the model put the band there."""
    if english.is_english(language):
        band, subject = english.BAND_SHORT[age_band], english.DOMAIN_LABELS[domain]
        title = title if title.lower().startswith(band.lower()) else f"{band} {subject}: {title}"
        return title[: english.TITLE_CHARS]
    title = title if title.startswith(age_band) else f"{age_band}{domain}：{title}"
    return title[:TITLE_CHARS]


def objective_text(text: str, language: str = "zh") -> str:
    """An objective without a vague closing clause, and within 40 characters by dropping whole
    trailing clauses, as long as what is left still says something (English: within 120, the
    clause list is Chinese)."""
    text = text.strip()
    if english.is_english(language):
        if len(text) <= english.OBJECTIVE_CHARS:
            return text
        # Whole words only (bench r18 ended "…problem-solving sk"), and whole clauses where there are.
        cut = text[: english.OBJECTIVE_CHARS].rsplit(" ", 1)[0].rstrip(",;: ")
        clause = max(cut.rfind(","), cut.rfind(";"))
        return cut[:clause] if clause >= 40 else cut
    trimmed = _VAGUE_TAIL.sub("", text)
    trimmed = trimmed if len(trimmed) >= 6 else text
    clauses = re.split(r"(?<=[，；,;])", trimmed)
    while len(trimmed) > OBJECTIVE_CHARS and len(clauses) > 1 and len("".join(clauses[:-1])) >= 10:
        clauses = clauses[:-1]
        trimmed = "".join(clauses).rstrip("，；,;")
    return trimmed


def teacher_only(item: MaterialItem, scaffold: Scaffold) -> MaterialItem:
    """A banned material never goes to the children, whatever the model wrote."""
    if any(word in item.name for word in scaffold.teacher_only_materials):
        return item.model_copy(update={"for_whom": "教师"})
    return item


def step_rules(step: ProcessStep, scaffold: Scaffold, index: int) -> ProcessStep:
    """One step with the scaffold's structure, without repeated labels, with the brainstorming
    rules in front of 想办法 and the support and challenge in 试一试改一改."""
    structure = {}
    if index < len(scaffold.steps):
        slot = scaffold.steps[index]
        structure = {"phase": slot.phase, "cps_stage": slot.cps_stage, "minutes": slot.minutes}
    stage = structure.get("cps_stage", step.cps_stage)
    teacher = strip_labels("teacher", step.teacher)
    if stage == "想办法" and not mentions_rules(teacher, scaffold):
        teacher = brainstorm_rules_sentence(scaffold) + teacher
    in_english = english.is_english(scaffold.request.language)
    limit = TEACHER_CHARS * (3 if in_english else 1)
    if stage == "试一试改一改" and scaffold.tiers and not has_tiers(teacher + step.children):
        separator = " " if in_english else ""
        teacher = teacher[: limit - len(separator) - len(scaffold.tiers)].rstrip() + separator + scaffold.tiers
    return step.model_copy(
        update={**structure, "teacher": teacher[:limit], "children": strip_labels("children", step.children)}
    )
