"""Review and approval (精品教案): a teacher submits a saved version of a plan; a curriculum lead
reads it with its rubric results, comments per section, returns it or approves it into the course
library, where it is retrievable and adaptable like any lesson, with its provenance; approval can be
withdrawn, which takes it out of retrieval and says so on the plan. Nobody approves their own plan.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import insert, select, update
from sqlalchemy.engine import Row

from lesson_studio import access
from lesson_studio.errors import InvalidInput, NotAllowed, NotFound
from lesson_studio.models import LessonPlan, User
from lesson_studio.store import Store, drafts, review_comments, reviews, users, versions

if TYPE_CHECKING:
    from lesson_studio.library import Library

APPROVED_TYPE = "精品教案"
OPEN = ("submitted",)


@dataclass(frozen=True)
class ReviewComment:
    section: str
    body: str
    author: str
    created_at: datetime


@dataclass(frozen=True)
class Review:
    id: int
    draft_id: int
    version_id: int
    version_number: int
    title: str
    author_id: int
    author: str
    status: str  # submitted | returned | approved | withdrawn
    reviewer: str
    library_document_id: str
    created_at: datetime
    decided_at: datetime | None
    comments: list[ReviewComment]


class Reviews:
    def __init__(self, store: Store, library: Callable[[], Library]):
        self.store = store
        self._library = library

    # --- the teacher ----------------------------------------------------------------------------

    def submit(self, user: User, draft_id: int, version_id: int) -> Review:
        """Submit the newest version of one's own plan; a plan waiting for review is not submitted twice."""
        owner = self.store.draft_owner(user, draft_id, for_edit=True)  # only the author submits
        with self.store._write() as conn:
            head = conn.execute(select(drafts.c.head_version_id).where(drafts.c.id == draft_id)).scalar()
            if head != version_id:
                raise InvalidInput("请提交这份教案的最新版本 / Submit the newest version of the plan")
            waiting = conn.execute(
                select(reviews.c.id).where(reviews.c.draft_id == draft_id, reviews.c.status.in_(OPEN))
            ).first()
            if waiting is not None:
                return self._get(conn, waiting.id)
            review_id = conn.execute(
                insert(reviews).values(
                    draft_id=draft_id, version_id=version_id, submitted_by=owner, status="submitted", created_at=_now()
                )
            ).inserted_primary_key[0]
            self.store._audit(conn, user, "review_submit", f"review:{review_id}")
            return self._get(conn, review_id)

    def for_draft(self, user: User, draft_id: int) -> list[Review]:
        """Every submission of a plan, newest first, with the lead's comments (author, leads, admins)."""
        self.store.draft_owner(user, draft_id)
        with self.store.engine.connect() as conn:
            ids = conn.execute(
                select(reviews.c.id).where(reviews.c.draft_id == draft_id).order_by(reviews.c.id.desc())
            ).scalars()
            return [self._get(conn, review_id) for review_id in ids]

    def mine(self, user: User) -> list[Review]:
        """The teacher's own submissions, newest first."""
        with self.store.engine.connect() as conn:
            ids = conn.execute(
                select(reviews.c.id).where(reviews.c.submitted_by == user.id).order_by(reviews.c.id.desc())
            ).scalars()
            return [self._get(conn, review_id) for review_id in ids]

    # --- the lead -------------------------------------------------------------------------------

    def queue(self, user: User, *, status: str = "submitted") -> list[Review]:
        """Submissions in one state, oldest first (the review queue is "submitted")."""
        _require_reviewer(user, "查看审核队列", "see the review queue")
        with self.store.engine.connect() as conn:
            ids = conn.execute(select(reviews.c.id).where(reviews.c.status == status).order_by(reviews.c.id)).scalars()
            return [self._get(conn, review_id) for review_id in ids]

    def comment(self, user: User, review_id: int, section: str, body: str) -> None:
        _require_reviewer(user, "写审核意见", "comment on submissions")
        body = body.strip()
        if not body:
            raise InvalidInput("审核意见不能为空 / The comment is empty")
        with self.store._write() as conn:
            review = self._row(conn, review_id)
            if review.status not in OPEN:
                raise InvalidInput("这份教案已经审核完了 / This submission has been decided")
            _refuse_own(user, review)
            conn.execute(
                insert(review_comments).values(
                    review_id=review_id, section=section.strip()[:60] or "整体", body=body[:2000], author_id=user.id, created_at=_now()
                )
            )
            self.store._audit(conn, user, "review_comment", f"review:{review_id}")

    def return_to_author(self, user: User, review_id: int) -> Review:
        """Back to the teacher with the comments; she changes the plan and submits it again."""
        _require_reviewer(user, "退回教案", "return submissions")
        with self.store._write() as conn:
            review = self._row(conn, review_id)
            _refuse_own(user, review)
            if not conn.execute(select(review_comments.c.id).where(review_comments.c.review_id == review_id)).first():
                raise InvalidInput("退回前请至少写一条修改意见 / Write at least one comment before returning it")
            self._decide(conn, user, review, "returned")
            return self._get(conn, review_id)

    def approve(self, user: User, review_id: int) -> Review:
        """Into the library as a 精品教案 with its provenance; retrievable and adaptable at once."""
        _require_reviewer(user, "审核通过教案", "approve submissions")
        with self.store._write() as conn:  # claimed first: a second approval (two tabs) finds it taken
            review = self._row(conn, review_id)
            _refuse_own(user, review)
            self._decide(conn, user, review, "approving")
        try:
            document_id = self._into_library(user, review)
        except Exception:
            with self.store._write() as conn:
                conn.execute(update(reviews).where(reviews.c.id == review_id).values(status="submitted", decided_at=None))
            raise
        with self.store._write() as conn:
            conn.execute(
                update(reviews).where(reviews.c.id == review_id).values(status="approved", library_document_id=document_id)
            )
            self.store._audit(conn, user, "review_approve", f"review:{review_id}:document:{document_id}")
            return self._get(conn, review_id)

    def withdraw(self, user: User, review_id: int) -> Review:
        """Take an approved plan out of retrieval (the document is disabled, kept for the record)."""
        _require_reviewer(user, "撤回精品教案", "withdraw approvals")
        with self.store.engine.connect() as conn:
            review = self._row(conn, review_id)
        if review.status != "approved" or not review.library_document_id:
            raise InvalidInput("只有已收入资源库的教案可以撤回 / Only an approved plan can be withdrawn")
        self._library().set_enabled(user, review.library_document_id, False)
        with self.store._write() as conn:
            conn.execute(
                update(reviews).where(reviews.c.id == review_id).values(status="withdrawn", reviewer_id=user.id, decided_at=_now())
            )
            self.store._audit(conn, user, "review_withdraw", f"review:{review_id}")
            return self._get(conn, review_id)

    # --- helpers --------------------------------------------------------------------------------

    def _decide(self, conn, user: User, review: Row, status: str) -> None:  # type: ignore[no-untyped-def]
        claimed = conn.execute(
            update(reviews)
            .where(reviews.c.id == review.id, reviews.c.status.in_(OPEN))
            .values(status=status, reviewer_id=user.id, decided_at=_now())
        ).rowcount
        if not claimed:
            raise InvalidInput("这份教案已经审核过了 / This submission has already been decided")
        self.store._audit(conn, user, f"review_{status}", f"review:{review.id}")

    def _into_library(self, user: User, review: Row) -> str:
        version, plan = self.store.get_version(user, review.version_id)
        with self.store.engine.connect() as conn:
            author = conn.execute(select(users.c.display_name).where(users.c.id == review.submitted_by)).scalar() or ""
        text = approved_markdown(plan, author=author, approver=user.display_name or user.username, version=version.number)
        with tempfile.TemporaryDirectory(prefix="lesson-studio-approved-") as folder:
            # The same plan approved again later becomes a new version of the same document.
            path = Path(folder) / f"精品教案-{review.draft_id}.md"
            path.write_text(text, encoding="utf-8")
            report = self._library().ingest(
                user, [path], tags={"resource_type": APPROVED_TYPE, "age_band": plan.age_band, "domain": plan.domain}
            )
        if report.skipped:
            raise InvalidInput(f"收入资源库失败：{report.skipped[0].reason}")
        landed = (report.added or report.updated or report.unchanged)[0]
        if not landed.enabled:  # approved again after a withdrawal
            self._library().set_enabled(user, landed.document_id, True)
        return landed.document_id

    def _row(self, conn, review_id: int) -> Row:  # type: ignore[no-untyped-def]
        row = conn.execute(
            select(reviews, drafts.c.owner_id).join(drafts, drafts.c.id == reviews.c.draft_id).where(reviews.c.id == review_id)
        ).first()
        if row is None:
            raise NotFound(f"找不到这次提交 {review_id} / Submission {review_id} not found")
        return row

    def _get(self, conn, review_id: int) -> Review:  # type: ignore[no-untyped-def]
        row = conn.execute(
            select(reviews, versions.c.number, drafts.c.title, users.c.display_name.label("author"))
            .join(versions, versions.c.id == reviews.c.version_id)
            .join(drafts, drafts.c.id == reviews.c.draft_id)
            .join(users, users.c.id == reviews.c.submitted_by)
            .where(reviews.c.id == review_id)
        ).one()
        reviewer = (
            conn.execute(select(users.c.display_name).where(users.c.id == row.reviewer_id)).scalar() if row.reviewer_id else ""
        )
        comments = [
            ReviewComment(section=c.section, body=c.body, author=c.display_name, created_at=c.created_at)
            for c in conn.execute(
                select(review_comments, users.c.display_name)
                .join(users, users.c.id == review_comments.c.author_id)
                .where(review_comments.c.review_id == review_id)
                .order_by(review_comments.c.id)
            )
        ]
        return Review(
            id=row.id,
            draft_id=row.draft_id,
            version_id=row.version_id,
            version_number=row.number,
            title=row.title,
            author_id=row.submitted_by,
            author=row.author,
            status=row.status,
            reviewer=reviewer or "",
            library_document_id=row.library_document_id or "",
            created_at=row.created_at,
            decided_at=row.decided_at,
            comments=comments,
        )


def approved_markdown(plan: LessonPlan, *, author: str, approver: str, version: int) -> str:
    """The plan as a library lesson in the starter library's shape (设计意图, 活动过程 with its steps),
    with where it came from. Plan text cannot write tags: comment markers are taken out."""

    def clean(text: str) -> str:
        return re.sub(r"<!--|-->", "", " ".join(text.split()))

    cited = sorted({f"《{clean(c.document_title)}》第{c.chunk_id.split(':')[1]}版" for c in plan.citations if c.chunk_id.count(":") >= 2})
    lines = [
        f"# {clean(plan.title)}",
        "",
        "## 来源",
        "",
        f"- {APPROVED_TYPE}：{clean(author)}老师的教案第{version}版，{clean(approver)}审核通过（{_now():%Y-%m-%d}）。",
        f"- {plan.age_band} · {plan.domain} · {plan.minutes}分钟。" + (f"引用资料：{'、'.join(cited)}。" if cited else ""),
        "",
        "## 设计意图",
        "",
        clean(plan.design_intent),
        "",
        "## 活动目标",
        "",
        *[f"- {o.dimension}：{clean(o.text)}" for o in plan.objectives],
        "",
        "## 活动重点与难点",
        "",
        f"- 重点：{clean(plan.key_point)}",
        f"- 难点：{clean(plan.difficult_point)}",
        "",
        "## 活动准备",
        "",
        f"- 经验准备：{'；'.join(clean(item) for item in plan.preparation.experience)}",
        "- 物质准备：" + "；".join(f"{clean(m.name)}{clean(m.quantity)}（{m.for_whom}）" for m in plan.preparation.materials),
        "",
        f"## 活动过程（共{plan.minutes}分钟）",
        "",
    ]
    for number, step in enumerate(plan.steps, start=1):
        lines += [
            f"### {number}. {step.phase}：{clean(step.title)}（{step.cps_stage}，{step.minutes}分钟）",
            "",
            f"- 师：{clean(step.teacher)}",
            *[f"- 提问：{clean(question)}" for question in step.key_questions],
            f"- 幼：{clean(step.children)}",
            *([f"- 设计意图：{clean(step.intent)}"] if step.intent else []),
            "",
        ]
    lines += [
        "## 活动延伸",
        "",
        f"- 区域活动：{clean(plan.extension.area)}",
        f"- 家园共育：{clean(plan.extension.home)}",
        "",
    ]
    if plan.safety_notes:
        lines += ["## 安全提示", "", *[f"- {clean(n.material)}：{clean(n.note)}" for n in plan.safety_notes], ""]
    if plan.observation_points:
        lines += ["## 观察要点", "", *[f"- {clean(point)}" for point in plan.observation_points], ""]
    return "\n".join(lines)


def _require_reviewer(user: User, action_zh: str, action_en: str) -> None:
    access.require_curator(user, action_zh, action_en)


def _refuse_own(user: User, review: Row) -> None:
    if user.id in (review.submitted_by, review.owner_id):
        raise NotAllowed("不能审核自己的教案，请另一位教研组长审核 / Nobody reviews their own plan")


def _now() -> datetime:
    return datetime.now(UTC)
