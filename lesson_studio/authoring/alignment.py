"""《指南》 alignment by code: the plan's 1–3 guideline lines are chosen from the imported catalogue,
verbatim and from the plan's own age band, never written by the model.

A small model asked to quote the 《指南》 paraphrases it or takes the line of another age band (the
most common retrieval error DESIGN.md measured), so the lines are picked here: the catalogue's lines
for the plan's domain and band, ranked by how many two-character pieces they share with what the
plan says children will do and learn.
"""

from __future__ import annotations

from lesson_studio.library.catalogue import Catalogue, Expectation
from lesson_studio.models import Citation, LessonPlan

MAX_LINES = 2
BANDS = ("小班", "中班", "大班")


def _bigrams(text: str) -> set[str]:
    kept = "".join(ch for ch in text if "\u4e00" <= ch <= "\u9fff")
    return {kept[i : i + 2] for i in range(len(kept) - 1)}


def _plan_words(plan: LessonPlan) -> set[str]:
    parts = [plan.title, plan.key_point, plan.difficult_point, *(o.text for o in plan.objectives)]
    parts += [step.children for step in plan.steps]
    return _bigrams(" ".join(parts))


def choose_lines(plan: LessonPlan, catalogue: Catalogue, *, limit: int = MAX_LINES) -> list[Expectation]:
    """The catalogue lines of the plan's domain and band that share most with the plan. A 混龄 group
    spans the three bands, so its lines may come from any of them (the rubric accepts the same)."""
    bands = BANDS if plan.age_band == "混龄" else (plan.age_band,) if plan.age_band in BANDS else ()
    words = _plan_words(plan)
    candidates = [item for band in bands for item in catalogue.expectations(domain=plan.domain, age_band=band)]
    scored = [(len(words & _bigrams(item.text)) / (len(_bigrams(item.text)) ** 0.5 or 1), item) for item in candidates]
    scored = [pair for pair in scored if pair[0] > 0]
    scored.sort(key=lambda pair: pair[0], reverse=True)
    return [item for _, item in scored[:limit]]


def align_plan(plan: LessonPlan, catalogue: Catalogue | None) -> LessonPlan:
    """The plan with its 《指南》 lines (verbatim, its band) and a citation for each; unchanged when
    no catalogue is imported (the rubric then says it could not check)."""
    if catalogue is None:
        return plan
    chosen = choose_lines(plan, catalogue)
    lines = [f"{item.domain} （{item.sub_area}）目标{item.goal_number} {item.goal_title}：{item.text}" for item in chosen]
    kept = [c for c in plan.citations if c.document_id != catalogue.document_id]
    citations = kept + [
        Citation(
            number=len(kept) + number,
            chunk_id=item.chunk_ids[0] if item.chunk_ids else f"{catalogue.document_id}:{catalogue.version}:0",
            document_id=catalogue.document_id,
            document_title=catalogue.title,
            heading=f"{item.domain}（{item.sub_area}）目标{item.goal_number} {item.goal_title} · {item.age_label}",
            excerpt=item.text,
        )
        for number, item in enumerate(chosen, start=1)
    ]
    return plan.model_copy(update={"guideline_lines": lines, "citations": citations})
