"""教案工作台: check a saved plan against the rubric, refine it (one section, 一键修正, chat, by
hand), compare versions side by side, restore, adapt. Model edits come back as proposals shown as
a diff; only 保存 writes a version."""

import hashlib
import uuid

import streamlit as st
from pydantic import ValidationError

from lesson_studio.authoring.diff import diff_plans
from lesson_studio.authoring.refine import section_ids, section_label
from lesson_studio.authoring.request_parser import split_materials
from lesson_studio.errors import StudioError
from lesson_studio.models import AGE_BANDS, LessonPlan
from studio_ui import export_buttons, get_studio, render_plan, require_user, t

user = require_user()
studio = get_studio()
st.title(t("page_plan"))

drafts = studio.store.list_drafts(user)
if not drafts:
    st.info(t("no_drafts"))
    st.stop()
labels = {d.id: f"{d.title}（v{d.head_number}）" for d in drafts}
default = list(labels).index(st.session_state["open_draft"]) if st.session_state.get("open_draft") in labels else 0
draft_id = st.selectbox(t("page_mine"), list(labels), index=default, format_func=labels.get, key="plan_draft")
draft = next(d for d in drafts if d.id == draft_id)
head_id = draft.head_version_id
head, plan = studio.store.get_version(user, head_id)
request = studio.store.draft_request(user, draft_id)
st.session_state.setdefault("nonce", uuid.uuid4().hex)


def key_for(*parts: object) -> str:
    """Same session + same action on the same version = same key: reruns never repeat a model call."""
    return hashlib.sha256("|".join(map(str, (st.session_state["nonce"], *parts))).encode()).hexdigest()


def start(kind: str, payload: dict) -> None:
    try:
        st.session_state["refinement"] = studio.submit_refinement(
            user, draft_id=draft_id, base_version_id=head_id, kind=kind, payload=payload, idempotency_key=key_for(kind, head_id, payload)
        )
    except StudioError as error:
        st.session_state["refine_error"] = str(error)


@st.fragment(run_every=1.0)
def poll_refinement() -> None:
    view = studio.jobs.refinement_view(user, st.session_state["refinement"])
    if view.status not in ("queued", "running"):
        st.rerun()  # a full run shows the proposal once; polling stops there
    if view.queue_position:
        st.info(t("queued", n=view.queue_position))
    if view.notice:
        st.warning(view.notice.message)
    if view.progress and view.progress.current_section:
        st.info(t("generating", section=view.progress.current_section))
    if st.button(t("cancel"), key="cancel_refinement"):
        studio.jobs.cancel_refinement(user, view.id)


def show_refinement() -> None:
    view = studio.jobs.refinement_view(user, st.session_state["refinement"])
    if view.status in ("queued", "running"):
        poll_refinement()
        return
    if view.status == "done" and view.proposal is not None:
        base = studio.load_plan(user, studio.store.get_refinement(user, view.id).base_version_id)
        st.markdown(f"**{t('proposal')}**")
        for section in diff_plans(base, view.proposal):
            if section.changed:
                left, right = st.columns(2)
                left.caption(f"{section.label}（{t('before')}）")
                left.text(section.before)
                right.caption(f"{section.label}（{t('after')}）")
                right.text(section.after)
        accept, discard = st.columns(2)
        if accept.button(t("save_version"), type="primary", key="accept"):
            version = studio.accept_refinement(user, view.id)
            st.session_state.pop("refinement")
            st.session_state["open_draft"] = version.draft_id
            st.rerun()
        if discard.button(t("discard"), key="discard"):
            st.session_state.pop("refinement")
            st.rerun()
        return
    st.error(view.error)
    if st.button(t("close"), key="close_refinement"):
        st.session_state.pop("refinement")
        st.rerun()


if st.session_state.get("refine_error"):
    st.error(st.session_state.pop("refine_error"))
if "refinement" in st.session_state:
    show_refinement()
    st.stop()

report = studio.rubric(user, plan, request)
with st.expander(f"{t('rubric')}：{report.passed_count}/15 {'✅' if report.passed else '⚠️'}", expanded=not report.passed):
    for result in report.results:
        mark = {"pass": "✅", "fail": "❌", "skip": "➖"}[result.status]
        st.markdown(f"{mark} **{result.number}. {result.name}**{'★' if result.starred else ''}：{result.message}")
        if result.status == "fail" and result.suggestion:
            st.caption(t("suggestion") + "：" + result.suggestion)
    if report.failed and st.button(t("fix_all"), key="fix_all"):
        start("fix", {})
        st.rerun()

content, refine_tab, edit_tab, versions_tab, adapt_tab = st.tabs(
    [t("tab_content"), t("tab_refine"), t("tab_edit"), t("tab_versions"), t("tab_adapt")]
)

with content:
    export_buttons(user, head_id, plan, key="plan_export")
    render_plan(plan)

with refine_tab:
    ids = section_ids(plan)
    section = st.selectbox(t("section"), ids, format_func=lambda sid: section_label(plan, sid), key="refine_section")
    instruction = st.text_input(t("instruction"), placeholder=t("instruction_placeholder"), key="refine_instruction")
    if st.button(t("regenerate"), type="primary", key="regenerate"):
        start("section", {"section": section, "instruction": instruction, "label": section_label(plan, section)})
        st.rerun()
    message = st.chat_input(t("chat_placeholder"))
    if message:
        start("chat", {"message": message})
        st.rerun()

with edit_tab:
    working = studio.store.get_working_copy(user, draft_id)
    editing = working[1] if working and working[0] == head_id else plan
    if working and working[0] != head_id:
        st.warning(t("stale_working_copy"))
    prefix = f"edit_{draft_id}_{head_id}_"

    def autosave() -> None:
        # Called on every change: the working copy keeps the edit, the saved version stays as it was.
        try:
            studio.store.put_working_copy(user, draft_id, head_id, edited_plan())
        except (ValidationError, StudioError) as error:
            st.session_state["edit_error"] = str(error)

    def edited_plan() -> LessonPlan:
        data = editing.model_dump()
        for name in ("title", "design_intent", "key_point", "difficult_point"):
            data[name] = st.session_state.get(prefix + name, data[name])
        for index, step in enumerate(data["steps"]):
            for name in ("title", "teacher", "children", "intent"):
                step[name] = st.session_state.get(f"{prefix}step{index}_{name}", step[name])
            step["minutes"] = st.session_state.get(f"{prefix}step{index}_minutes", step["minutes"])
        data["extension"]["area"] = st.session_state.get(prefix + "area", data["extension"]["area"])
        data["extension"]["home"] = st.session_state.get(prefix + "home", data["extension"]["home"])
        return LessonPlan.model_validate(data)

    st.text_input(t("field_title"), editing.title, key=prefix + "title", on_change=autosave)
    st.text_area(t("field_intent"), editing.design_intent, key=prefix + "design_intent", on_change=autosave)
    st.text_input(t("field_key"), editing.key_point, key=prefix + "key_point", on_change=autosave)
    st.text_input(t("field_difficult"), editing.difficult_point, key=prefix + "difficult_point", on_change=autosave)
    for index, step in enumerate(editing.steps):
        st.markdown(f"**{index + 1}. {step.phase}·{step.cps_stage}**")
        st.number_input(t("minutes"), 1, 60, step.minutes, key=f"{prefix}step{index}_minutes", on_change=autosave)
        st.text_input(t("field_step_title"), step.title, key=f"{prefix}step{index}_title", on_change=autosave)
        st.text_area("师", step.teacher, key=f"{prefix}step{index}_teacher", on_change=autosave)
        st.text_area("幼", step.children, key=f"{prefix}step{index}_children", on_change=autosave)
        st.text_input(t("field_step_intent"), step.intent, key=f"{prefix}step{index}_intent", on_change=autosave)
    st.text_input(t("field_area"), editing.extension.area, key=prefix + "area", on_change=autosave)
    st.text_input(t("field_home"), editing.extension.home, key=prefix + "home", on_change=autosave)
    st.caption(t("safety_locked"))
    if st.session_state.get("edit_error"):
        st.error(st.session_state.pop("edit_error"))
    if st.button(t("save_version"), type="primary", key="save_edit"):
        try:
            studio.save_edit(user, draft_id, edited_plan())
            st.rerun()
        except (ValidationError, StudioError) as error:
            st.error(str(error))

with versions_tab:
    history = studio.store.list_versions(user, draft_id)
    names = {v.id: f"v{v.number} · {v.created_at:%m-%d %H:%M} · {v.note}" for v in history}
    for version in reversed(history):
        left, right = st.columns([4, 1])
        left.markdown(names[version.id])
        if version.id != head_id and right.button(t("restore"), key=f"restore_{version.id}"):
            studio.restore(user, draft_id, version.id)
            st.rerun()
    if len(history) > 1:
        ids = [v.id for v in history]
        before = st.selectbox(t("before"), ids, index=len(ids) - 2, format_func=names.get, key="diff_before")
        after = st.selectbox(t("after"), ids, index=len(ids) - 1, format_func=names.get, key="diff_after")
        for section in studio.diff_versions(user, before, after):
            if section.changed:
                left, right = st.columns(2)
                left.caption(section.label)
                left.text(section.before)
                right.caption(section.label)
                right.text(section.after)

with adapt_tab:
    source_diff = studio.diff_with_library_source(user, head_id)
    if source_diff is not None:
        with st.expander(t("compare_source")):
            for section in source_diff:
                left, right = st.columns(2)
                left.caption(f"{section.label}（{t('source_label')}）")
                left.text(section.before or "—")
                right.caption(section.label)
                right.text(section.after or "—")
    with st.form("adapt"):
        band = st.selectbox(t("age_band"), AGE_BANDS, index=AGE_BANDS.index(plan.age_band))
        minutes = st.number_input(t("minutes"), 5, 60, plan.minutes)
        materials = st.text_input(t("materials"), "、".join(m.name for m in plan.preparation.materials))
        if st.form_submit_button(t("adapt")):
            base = (request.model_dump() if request else {"domain": plan.domain, "topic": plan.title.split("：")[-1]})
            base.update(age_band=band, minutes=int(minutes), materials=split_materials(materials))
            start("adapt", {"request": base})
            st.rerun()

if st.session_state.get("refine_error"):
    st.error(st.session_state.pop("refine_error"))
