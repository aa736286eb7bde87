"""The library passages a lesson request is written from, each with the reason it was chosen.

Measured on the product (issue 11): for 中班 科学 "用纸杯和吸管把乒乓球运过小河" the starter
library holds a plan on exactly that problem (tagged 大班), the 中班 filter dropped it, and the
model was given the 中班 teddy-hat and new-friend plans instead; the finished plan asked children
which hat they wanted to make. So:
- sample plans (活动案例, 教案) are found by the request's problem and materials in every band, and
  only then is the request's band preferred;
- a sample plan whose problem is unrelated is never given: its problem statement (设计意图) must
  be at least SAMPLE_PLAN_MIN_SIMILARITY close to the request;
- method cards, questioning and safety guides and the 《指南》 are always fair (the 《指南》 and the
  cards' age sections filtered to the request's band);
- every passage says why it was chosen, and every sample plan left out says why, for the teacher.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from lesson_studio.library import keyword
from lesson_studio.library.catalogue import GUIDE_RESOURCE_TYPE
from lesson_studio.library.index import LESSON_RESOURCE_TYPES
from lesson_studio.models import Hit, LessonRequest, User

if TYPE_CHECKING:
    from lesson_studio.library.index import Library

# Cosine similarity (embedded e5, bench/retrieval.py's measurements) of a request's problem and
# materials to a sample plan's 设计意图: the plan on the same problem scored 0.874-0.915 for 8
# requests written for it in other words (弹珠 for 乒乓球, 布娃娃 for 小熊), the closest unrelated plan
# 0.837-0.867 for 11 unrelated requests (e5 scores sit in a narrow band: rank, and set a threshold
# only by measurement). A different embedder needs its own value: pass min_similarity.
SAMPLE_PLAN_MIN_SIMILARITY = 0.87
PROBLEM_HEADING = "设计意图"  # where a lesson plan states the problem it solves
CANDIDATE_PLANS = 5  # sample plans whose similarity is measured for one request
MAX_PASSAGES_PER_DOCUMENT = 2
# Words too common in lesson plans to show a teacher as the reason two plans are alike.
_COMMON_WORDS = frozenset(
    ["幼儿", "孩子", "小朋友", "老师", "教师", "活动", "一起", "可以", "怎样", "中班", "小班", "大班"]
)
PROCESS_HEADING = "活动过程"  # the steps: what a plan for the same problem can borrow


@dataclass(frozen=True)
class ChosenPassage:
    hit: Hit
    kind: str  # "sample" (a sample plan) | "guide" (the 《指南》) | "method" (cards, guides, the rest)
    reason: str  # Chinese / English, for the teacher
    similarity: float | None = None  # sample plans: how close their problem is to the request


@dataclass(frozen=True)
class SkippedPlan:
    """A sample plan found for the request but not given to the model."""

    document_id: str
    title: str
    similarity: float
    reason: str


@dataclass(frozen=True)
class Selection:
    passages: list[ChosenPassage] = field(default_factory=list)
    skipped: list[SkippedPlan] = field(default_factory=list)

    @property
    def hits(self) -> list[Hit]:
        return [passage.hit for passage in self.passages]


def passages_for_request(
    library: Library,
    user: User,
    request: LessonRequest,
    k: int = 4,
    *,
    min_similarity: float = SAMPLE_PLAN_MIN_SIMILARITY,
) -> Selection:
    """Up to k passages for a new plan: sample plans on the same problem (at most half of k), the
    《指南》 for the request's band, method cards; each with its reason."""
    if k < 1:
        return Selection()
    problem = " ".join(part for part in (request.topic, " ".join(request.materials)) if part)
    band = request.age_band if request.age_band in ("小班", "中班", "大班") else None
    plans, skipped = _related_plans(library, user, request, problem, band, min_similarity)

    chosen: list[ChosenPassage] = []
    taken: set[str] = set()
    sample_slots = min(MAX_PASSAGES_PER_DOCUMENT, k // 2)
    for document_id, title, plan_band, similarity in plans:
        room = sample_slots - sum(passage.kind == "sample" for passage in chosen)
        if room <= 0:
            break
        reason = _sample_reason(
            request, title, plan_band, similarity, min_similarity, problem, library, user, document_id
        )
        for hit in _plan_passages(library, user, document_id, problem, request.cps_focus, room):
            chosen.append(ChosenPassage(hit, "sample", reason, similarity))
            taken.add(hit.chunk_id)

    guide_slots = max(1, k // 4) if k > 1 else 0
    guide_query = " ".join(part for part in (request.domain, request.topic) if part)
    guide_hits = library.search(
        user, guide_query, k=guide_slots, age_band=band, domain=request.domain, resource_types=[GUIDE_RESOURCE_TYPE]
    )
    for hit in guide_hits:
        reason = (
            f"《指南》{request.age_band}{request.domain}领域的目标与教育建议，与“{request.topic}”最相关的一段 / "
            f"The 《指南》 for {request.age_band} {request.domain}: the goals and advice closest to this activity"
        )
        chosen.append(ChosenPassage(hit, "guide", reason))
        taken.add(hit.chunk_id)

    method_types = _method_types(library, user)
    method_query = " ".join(part for part in (request.cps_focus, request.topic) if part)
    per_document: dict[str, int] = {}
    if method_types and len(chosen) < k:
        for hit in library.search(user, method_query, k=k * 4, age_band=band, resource_types=method_types):
            if len(chosen) >= k:
                break
            document = hit.citation.document_id
            if hit.chunk_id in taken or per_document.get(document, 0) >= MAX_PASSAGES_PER_DOCUMENT:
                continue
            per_document[document] = per_document.get(document, 0) + 1
            focus = request.cps_focus or request.topic
            reason = (
                f"方法与提示（{hit.citation.document_title}）：与“{focus}”相关的做法，适用于各年龄班或{request.age_band} / "
                f"A method card ({hit.citation.document_title}) on {focus}, for every band or {request.age_band}"
            )
            chosen.append(ChosenPassage(hit, "method", reason))
            taken.add(hit.chunk_id)
    return Selection(chosen[:k], skipped)


def _plan_passages(library: Library, user: User, document_id: str, problem: str, focus: str, room: int) -> list[Hit]:
    """A related plan's steps closest to the request, and with room for two its problem statement."""
    query = " ".join(part for part in (problem, focus) if part)
    ranked = library.search(user, query, k=20, document_ids=[document_id])
    steps = [hit for hit in ranked if hit.citation.heading.startswith(PROCESS_HEADING)]
    statement = [hit for hit in ranked if hit.citation.heading.startswith(PROBLEM_HEADING)]
    picked = (steps[:1] + statement[:1] + steps[1:] + ranked) if room > 1 else (steps + ranked)
    unique: list[Hit] = []
    for hit in picked:
        if hit.chunk_id not in {chosen.chunk_id for chosen in unique}:
            unique.append(hit)
    return unique[:room]


def _related_plans(
    library: Library, user: User, request: LessonRequest, problem: str, band: str | None, min_similarity: float
) -> tuple[list[tuple[str, str, str, float]], list[SkippedPlan]]:
    """(document id, title, band, similarity) of the sample plans on the request's problem, its
    band first, then by similarity; and the plans found but unrelated."""
    candidates: list[str] = []
    for hit in library.search(user, problem, k=CANDIDATE_PLANS * 4, resource_types=list(LESSON_RESOURCE_TYPES)):
        if hit.citation.document_id not in candidates:
            candidates.append(hit.citation.document_id)
    documents = {doc.document_id: doc for doc in library.lessons(user)}
    related, skipped = [], []
    for document_id in candidates[:CANDIDATE_PLANS]:
        passages = library.document_passages(user, document_id)
        statement = [hit.chunk_id for hit in passages if hit.citation.heading.startswith(PROBLEM_HEADING)]
        similarities = library.similarity(user, problem, statement or [passages[0].chunk_id])
        if not similarities:
            continue  # no vectors yet: neither chosen nor refused
        similarity = max(similarities.values())
        info = documents.get(document_id)
        title = info.title if info else passages[0].citation.document_title
        plan_band = info.tags.get("age_band", "") if info else ""
        if similarity >= min_similarity:
            related.append((document_id, title, plan_band, similarity))
        else:
            skipped.append(
                SkippedPlan(
                    document_id,
                    title,
                    similarity,
                    f"问题不相关（相似度 {similarity:.2f} < {min_similarity:.2f}），没有提供给模型 / Unrelated problem "
                    f"(similarity {similarity:.2f} < {min_similarity:.2f}); not given to the model",
                )
            )
    related.sort(key=lambda plan: (plan[2] == band, plan[3]), reverse=True)
    return related, skipped


def _sample_reason(
    request: LessonRequest,
    title: str,
    plan_band: str,
    similarity: float,
    min_similarity: float,
    problem: str,
    library: Library,
    user: User,
    document_id: str,
) -> str:
    passages = library.document_passages(user, document_id)
    statement = " ".join(hit.text for hit in passages if hit.citation.heading.startswith(PROBLEM_HEADING))
    shared = _shared_words(problem, f"{title} {statement}")
    words_zh = f"，都涉及：{'、'.join(shared)}" if shared else ""
    words_en = f"; both involve {', '.join(shared)}" if shared else ""
    if plan_band and plan_band != request.age_band:
        band_zh = f"另一年龄班（{plan_band}）的同类问题，只借鉴思路，目标与难度按{request.age_band}调整"
        band_en = f"written for {plan_band}: borrow the approach, set goals and difficulty for {request.age_band}"
    else:
        band_zh, band_en = f"同为{request.age_band}", f"for {request.age_band} too"
    return (
        f"同一问题的活动案例《{title}》（与本次问题的相似度 {similarity:.2f} ≥ {min_similarity:.2f}{words_zh}；{band_zh}）/ "
        f"A sample plan on the same problem, {title} (similarity {similarity:.2f} ≥ {min_similarity:.2f}{words_en}; "
        f"{band_en})"
    )


def _shared_words(request_text: str, plan_text: str) -> list[str]:
    plan_words = set(keyword.tokenize(plan_text))
    shared = {word for word in keyword.tokenize(request_text) if len(word) >= 2 and word in plan_words}
    shared -= _COMMON_WORDS
    # jieba's search mode gives 乒乓 and 乒乓球: show the longer word only.
    return sorted(word for word in shared if not any(word != other and word in other for other in shared))[:5]


def _method_types(library: Library, user: User) -> list[str]:
    """Every resource type in the library except sample plans and the 《指南》 (untagged included)."""
    types = {doc.tags.get("resource_type", "") for doc in library.list_documents(user, include_disabled=False)}
    return sorted(types - {*LESSON_RESOURCE_TYPES, GUIDE_RESOURCE_TYPE})
