"""新建教案: one sentence or the form -> a saved request -> a job -> the plan appears -> Word."""

import uuid

import streamlit as st

from lesson_studio.errors import StudioError
from lesson_studio.llm.remedies import CONTACT_ADMIN, CONTINUE, REGENERATE, REPHRASE, RETRY_LATER
from lesson_studio.models import AGE_BANDS, DOMAINS, LessonRequest
from studio_ui import (
    ensure_library,
    export_buttons,
    get_studio,
    md,
    render_plan,
    render_progress,
    render_progress_bar,
    require_user,
    show_error,
    t,
    value_label,
)

user = require_user()
studio = get_studio()
ensure_library()
st.session_state.setdefault("nonce", uuid.uuid4().hex)
FIELDS = {
    "age_band": "中班",
    "domain": "科学",
    "topic": "",
    "minutes": 20,
    "materials": "",
    "cps_focus": "",
    "notes": "",
    "language": "zh",  # the plan's language: a sentence in English sets it to "en"
}
PLAN_LANGUAGES = {"zh": "中文", "en": "English"}
for name, default in FIELDS.items():
    st.session_state.setdefault(f"req_{name}", default)


def fill_form(request: LessonRequest) -> None:
    for name in FIELDS:
        value = getattr(request, name)
        st.session_state[f"req_{name}"] = "、".join(value) if name == "materials" else value


def parse_sentence() -> None:
    # Runs as a callback, before the form widgets exist in this run, so it may set their values.
    try:
        parsed = studio.parse_request(user, st.session_state["sentence"])
    except StudioError as error:
        st.session_state["parse_error"] = str(error)
        return
    fill_form(parsed.request)
    st.session_state["guessed"] = parsed.guessed
    st.session_state.pop("parse_error", None)


st.title(t("page_new"))
job_id = st.session_state.get("job_id")

if job_id is None:
    # After a reload the session is new: offer the teacher's unfinished or failed jobs again.
    for job, old_request in studio.recent_jobs(user, limit=3):
        if job.status in ("queued", "running", "failed", "cancelled"):
            left, right = st.columns([4, 1])
            left.caption(
                f"{t('job_' + job.status)}：{old_request.age_band}{old_request.domain} · {md(old_request.topic)}"
            )
            if job.status in ("queued", "running") and right.button(t("view"), key=f"view_{job.id}"):
                st.session_state["job_id"] = job.id
                st.rerun()
            if (
                job.status in ("failed", "cancelled")
                and job.partial_json
                and right.button(t("resume"), key=f"resume_{job.id}")
            ):
                try:
                    key = studio.idempotency_key(st.session_state["nonce"], "resume", job.id)
                    st.session_state["job_id"] = studio.resume_generation(user, job.id, idempotency_key=key)
                    st.rerun()
                except StudioError as error:
                    show_error(error)
            if job.status in ("failed", "cancelled") and right.button(t("retry"), key=f"retry_{job.id}"):
                try:
                    key = studio.idempotency_key(st.session_state["nonce"], "retry", job.id)
                    st.session_state["job_id"] = studio.retry_generation(user, job.id, idempotency_key=key)
                    st.rerun()
                except StudioError as error:
                    show_error(error)
    st.text_input(t("sentence"), key="sentence", placeholder=t("sentence_placeholder"))
    st.button(t("parse"), key="parse", on_click=parse_sentence)
    if st.session_state.get("parse_error"):
        st.error(md(st.session_state["parse_error"]))
    if st.session_state.get("guessed"):
        labels = "、".join(t(name) for name in st.session_state["guessed"])
        st.warning(f"{t('parsed_check')}：{labels}")

    with st.form("request"):
        left, middle, right = st.columns(3)
        left.selectbox(t("age_band"), AGE_BANDS, key="req_age_band", format_func=value_label)
        middle.selectbox(t("domain"), DOMAINS, key="req_domain", format_func=value_label)
        right.number_input(t("minutes"), min_value=5, max_value=60, step=5, key="req_minutes")
        st.text_input(t("topic"), key="req_topic")
        st.text_input(t("materials"), key="req_materials")
        st.text_input(t("cps_focus"), key="req_cps_focus")
        st.text_area(t("notes"), key="req_notes", height=68)
        st.radio(
            t("plan_language"),
            list(PLAN_LANGUAGES),
            key="req_language",
            format_func=PLAN_LANGUAGES.get,
            horizontal=True,
        )
        submitted = st.form_submit_button(t("generate"), type="primary")

    # Adapting a curated library lesson is the second way in; it sits below the teacher's own request.
    lessons = {doc.document_id: doc.title for doc in studio.library.lessons(user)}
    if lessons:
        with st.expander(t("adapt_library")), st.form("adapt_library"):
            chosen = st.selectbox(t("adapt_library_choose"), list(lessons), format_func=lessons.get, key="lib_lesson")
            left, middle = st.columns(2)
            band = left.selectbox(t("age_band"), AGE_BANDS, key="lib_age_band", format_func=value_label)
            minutes = middle.number_input(t("minutes"), min_value=5, max_value=60, value=20, step=5, key="lib_minutes")
            materials_text = st.text_input(t("materials"), key="lib_materials")
            if st.form_submit_button(t("adapt"), type="primary"):
                try:
                    prefilled = studio.library_lesson_request(user, chosen).model_dump()
                    request = studio.request_from_form(
                        {**prefilled, "age_band": band, "minutes": minutes, "materials": materials_text}
                    )
                    key = studio.idempotency_key(st.session_state["nonce"], request.model_dump_json())
                    st.session_state["job_id"] = studio.adapt_library_lesson(user, request, idempotency_key=key)
                    st.rerun()
                except StudioError as error:
                    show_error(error)

    if submitted:
        try:
            request = studio.request_from_form({name: st.session_state[f"req_{name}"] for name in FIELDS})
            # Same session + same request = same key: a double click or rerun never starts a second job.
            key = studio.idempotency_key(st.session_state["nonce"], request.model_dump_json())
            st.session_state["job_id"] = studio.submit_generation(user, request, idempotency_key=key)
        except StudioError as error:
            show_error(error)
            st.stop()
        st.rerun()
    st.stop()


@st.fragment(run_every=1.0)
def poll_job() -> None:
    view = studio.job_view(user, st.session_state["job_id"])
    if view.status not in ("queued", "running"):
        st.rerun()  # a full run shows the result once; the fragment (and its polling) stops there
    if view.status == "queued":
        st.info(t("queued", n=view.queue_position))
    if view.notice:
        st.warning(md(view.notice.message))
    render_progress_bar(view.figures, cancelling=view.cancelling)
    if view.progress:
        render_progress(view.progress)
    if not view.cancelling and st.button(t("cancel")):
        studio.cancel_job(user, view.id)
        st.rerun()  # say so at once


def show_finished(view) -> None:  # type: ignore[no-untyped-def]
    if view.status == "done" and view.version_id is not None:
        version, plan = studio.open_version(user, view.version_id)
        st.success(t("saved", number=version.number))
        export_buttons(user, version.id, plan, key="new_export")
        if st.button(t("open_workspace"), key="open_workspace"):
            st.session_state["open_draft"] = version.draft_id
            st.switch_page("pages/plan.py")
        render_plan(plan)
    else:
        if view.status == "cancelled":
            st.info(t("cancelled"))
        else:
            st.error(f"{t('failed')}：{md(view.error)}")
        # What to offer is decided in the core (llm.remedies); the page only draws the buttons.
        if CONTACT_ADMIN in view.offers:
            st.info(t("contact_admin"))
        partial = studio.partial_progress(user, view.id) if view.partial else None
        if partial is not None:
            st.info(t("partial_kept"))
        if CONTINUE in view.offers and st.button(t("resume"), key="resume_current", type="primary"):
            key = studio.idempotency_key(st.session_state["nonce"], "resume", view.id)
            st.session_state["job_id"] = studio.resume_generation(user, view.id, idempotency_key=key)
            st.rerun()
        again = next((offer for offer in view.offers if offer in (REGENERATE, RETRY_LATER)), None)
        if again and st.button(t("retry" if again == REGENERATE else "retry_later"), key="retry_current"):
            key = studio.idempotency_key(st.session_state["nonce"], "retry", view.id)
            st.session_state["job_id"] = studio.retry_generation(user, view.id, idempotency_key=key)
            st.rerun()
        if REPHRASE in view.offers and st.button(t("rephrase"), key="rephrase_current"):
            fill_form(studio.job_request(user, view.id))
            del st.session_state["job_id"]
            st.rerun()
        if partial is not None:
            render_progress(partial)
    if st.button(t("new_request")):
        del st.session_state["job_id"]
        st.session_state["nonce"] = uuid.uuid4().hex
        st.rerun()


current = studio.job_view(user, st.session_state["job_id"])
if current.status in ("queued", "running"):
    poll_job()
else:
    show_finished(current)
