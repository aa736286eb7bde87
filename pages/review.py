"""教案审核 (leads and admins): the queue of submitted plans with their rubric results; comment per
section, return to the author or approve into the library as a 精品教案; withdraw an approval.
Every action is checked in the core (lesson_studio.review)."""

import streamlit as st

from lesson_studio.authoring.diff import plan_sections
from lesson_studio.errors import StudioError
from studio_ui import get_studio, md, render_plan, require_user, show_error, t

user = require_user()
studio = get_studio()
st.title(t("page_review"))
if st.session_state.get("review_done"):
    st.success(md(st.session_state.pop("review_done")))

try:
    waiting = studio.reviews.queue(user)
    approved = studio.reviews.queue(user, status="approved")
except StudioError as error:
    show_error(error)
    st.stop()


def act(action, done: str) -> None:  # type: ignore[no-untyped-def]
    try:
        action()
        st.session_state["review_done"] = done
        st.rerun()
    except StudioError as error:
        show_error(error)


queue_tab, approved_tab = st.tabs([f"{t('review_queue')}（{len(waiting)}）", f"{t('review_approved')}（{len(approved)}）"])
with queue_tab:
    if not waiting:
        st.info(t("review_empty"))
    else:
        labels = {r.id: f"{r.title}（{r.author}，v{r.version_number}，{r.created_at:%m-%d %H:%M}）" for r in waiting}
        chosen = st.selectbox(t("review_choose"), list(labels), format_func=labels.get, key="review_chosen")
        review = next(r for r in waiting if r.id == chosen)
        plan = studio.load_plan(user, review.version_id)
        report = studio.rubric(user, plan, studio.plan_request(user, review.draft_id))
        verdict = f":green[{t('rubric_all_pass')}]" if report.passed else f":orange[{t('rubric_needs_work')}]"
        st.markdown(f"**{t('rubric')}**：{report.passed_count}/15 · {verdict}")
        for result in report.failed:
            st.caption(f":red[:material/cancel:] {result.number}\\. {md(result.name)}：{md(result.message)}")
        for comment in review.comments:
            st.info(f"**{md(comment.section)}**（{md(comment.author)}）：{md(comment.body)}")
        with st.form("review_comment", clear_on_submit=True):
            section = st.selectbox(t("review_section"), [t("review_whole"), *plan_sections(plan)])
            body = st.text_area(t("review_comment"))
            if st.form_submit_button(t("review_add_comment")):
                act(lambda: studio.reviews.comment(user, review.id, section, body), t("review_commented"))
        left, right = st.columns(2)
        if left.button(t("review_return"), key="review_return"):
            act(lambda: studio.reviews.return_to_author(user, review.id), t("review_returned", title=review.title))
        if right.button(t("review_approve"), type="primary", key="review_approve"):
            act(lambda: studio.reviews.approve(user, review.id), t("review_approved_done", title=review.title))
        render_plan(plan, author=review.author)

with approved_tab:
    if not approved:
        st.info(t("review_none_approved"))
    for review in approved:
        left, right = st.columns([4, 1])
        left.markdown(
            f"**{md(review.title)}**（{md(review.author)}，v{review.version_number}）· "
            f"{md(review.reviewer)} {review.decided_at:%Y-%m-%d}"
        )
        if right.button(t("review_withdraw"), key=f"withdraw_{review.id}"):
            act(lambda review=review: studio.reviews.withdraw(user, review.id), t("review_withdrawn", title=review.title))
