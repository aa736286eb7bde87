"""教案工作台: check a saved plan against the rubric, refine it (one section, 一键修正, chat, by
hand), compare versions side by side, restore, adapt. Model edits come back as proposals shown as
a diff; only 保存 writes a version."""

import uuid

import streamlit as st
from pydantic import ValidationError

from lesson_studio.authoring.diff import diff_plans
from lesson_studio.authoring.merge import field_label
from lesson_studio.authoring.refine import section_ids, section_label
from lesson_studio.errors import StaleVersion, StudioError
from lesson_studio.models import AGE_BANDS, LessonPlan
from studio_ui import (
    export_buttons,
    get_studio,
    md,
    render_diff,
    render_plan,
    render_writing,
    require_user,
    show_error,
    t,
)

DIMENSIONS = ["认知", "能力", "情感"]
FOR_WHOM = ["幼儿", "教师"]
TEACHER_NOTE = "teacher"  # the hazard_id of a safety note the teacher added (the table's own stay)

user = require_user()
studio = get_studio()
st.title(t("page_plan"))

drafts = studio.list_plans(user)
if not drafts:
    st.info(t("no_drafts"))
    st.stop()
labels = {d.id: f"{d.title}（v{d.head_number}）" + ("" if d.owner_id == user.id else f" · {d.owner_name}") for d in drafts}
default = list(labels).index(st.session_state["open_draft"]) if st.session_state.get("open_draft") in labels else 0
draft_id = st.selectbox(t("page_mine"), list(labels), index=default, format_func=labels.get, key="plan_draft")
draft = next(d for d in drafts if d.id == draft_id)
head_id = draft.head_version_id
head, plan = studio.open_version(user, head_id)
request = studio.plan_request(user, draft_id)
st.session_state.setdefault("nonce", uuid.uuid4().hex)
# Each browser tab is its own session: its own working copy, so two tabs never overwrite each other.
tab_id = st.session_state.setdefault("tab_id", uuid.uuid4().hex)
# Only the author changes a plan (the core enforces it); a lead reads, checks and exports it.
can_edit = draft.owner_id == user.id
if not can_edit:
    st.info(md(t("plan_read_only", author=draft.owner_name)))


def key_for(*parts: object) -> str:
    """Same session + same action on the same version = same key: reruns never repeat a model call."""
    return studio.idempotency_key(st.session_state["nonce"], *parts)


def start(kind: str, payload: dict) -> None:
    try:
        st.session_state["refinement"] = studio.submit_refinement(
            user, draft_id=draft_id, base_version_id=head_id, kind=kind, payload=payload, idempotency_key=key_for(kind, head_id, payload)
        )
    except StudioError as error:
        st.session_state["refine_error"] = str(error)


def show_diff(sections, before_label: str, after_label: str) -> None:  # type: ignore[no-untyped-def]
    render_diff(sections, before_label, after_label)


def resolve_conflict(conflict: StaleVersion, mine: LessonPlan, save, key: str) -> None:  # type: ignore[no-untyped-def]
    """这份教案已被更新: what was saved meanwhile, the merge, and the teacher's choice. `save(plan,
    on_top_of)` writes the chosen plan on top of the newest version."""
    st.warning(md(conflict))
    head_id, merge = studio.merge_edit(user, conflict.draft_id, conflict.base_version_id, mine)
    base = studio.load_plan(user, conflict.base_version_id)
    with st.expander(t("conflict_theirs"), expanded=True):
        show_diff(diff_plans(base, studio.load_plan(user, head_id)), t("before"), t("after"))
    with st.expander(t("conflict_mine")):
        show_diff(diff_plans(base, mine), t("before"), t("after"))
    if merge.conflicts:
        st.info(md(t("conflict_merged", fields="、".join(field_label(path) for path in merge.conflicts))))
    else:
        st.info(t("conflict_merged_clean"))
    merge_button, mine_button, discard_button = st.columns(3)
    try:
        if merge_button.button(t("merge_and_save"), type="primary", key=f"{key}_merge"):
            save(merge.merged, head_id)
            st.session_state.pop(key, None)
            st.rerun()
        if mine_button.button(t("save_mine_as_new"), key=f"{key}_mine"):
            save(mine, head_id)
            st.session_state.pop(key, None)
            st.rerun()
    except StaleVersion as again:  # yet another save came in meanwhile: show that one
        st.session_state[key] = again
        st.rerun()
    except StudioError as error:
        show_error(error)
    if discard_button.button(t("discard_mine"), key=f"{key}_discard"):
        st.session_state.pop(key, None)
        if key == "edit_conflict":
            studio.discard_working_copy(user, draft_id, tab_id)
            st.session_state["edit_round"] = st.session_state.get("edit_round", 0) + 1
        else:
            st.session_state.pop("refinement", None)
        st.rerun()


@st.fragment(run_every=1.0)
def poll_refinement() -> None:
    view = studio.refinement_view(user, st.session_state["refinement"])
    if view.status not in ("queued", "running"):
        st.rerun()  # a full run shows the proposal once; polling stops there
    if view.queue_position:
        st.info(t("queued", n=view.queue_position))
    if view.notice:
        st.warning(md(view.notice.message))
    if view.cancelling:
        st.warning(t("cancelling"))
    if view.progress:
        render_writing(view.progress)
    if not view.cancelling and st.button(t("cancel"), key="cancel_refinement"):
        studio.cancel_refinement(user, view.id)
        st.rerun()


def show_refinement() -> None:
    view = studio.refinement_view(user, st.session_state["refinement"])
    if view.status in ("queued", "running"):
        poll_refinement()
        return
    if view.status == "done" and view.proposal is not None:
        conflict = st.session_state.get("refinement_conflict")
        if conflict is not None:

            def save_proposal(chosen: LessonPlan, head: int) -> None:
                version = studio.accept_refinement(user, view.id, plan=chosen, on_top_of=head)
                st.session_state.pop("refinement")
                st.session_state["open_draft"] = version.draft_id

            resolve_conflict(conflict, view.proposal, save_proposal, "refinement_conflict")
            return
        base = studio.refinement_base(user, view.id)
        st.markdown(f"**{t('proposal')}**")
        show_diff(diff_plans(base, view.proposal), t("before"), t("after"))
        accept, discard = st.columns(2)
        if accept.button(t("save_version"), type="primary", key="accept"):
            try:
                version = studio.accept_refinement(user, view.id)
            except StaleVersion as conflict:  # another version was saved while the model worked
                st.session_state["refinement_conflict"] = conflict
                st.rerun()
            except StudioError as error:
                show_error(error)
                return
            st.session_state.pop("refinement")
            st.session_state["open_draft"] = version.draft_id
            st.rerun()
        if discard.button(t("discard"), key="discard"):
            st.session_state.pop("refinement")
            st.rerun()
        return
    st.error(md(view.error))
    if st.button(t("close"), key="close_refinement"):
        st.session_state.pop("refinement")
        st.rerun()


if st.session_state.get("refine_error"):
    st.error(md(st.session_state.pop("refine_error")))
if "refinement" in st.session_state:
    show_refinement()
    st.stop()

report = studio.rubric(user, plan, request)
# Verdicts in words and colour (emoji showed as empty boxes where no emoji font is installed).
verdict = f":green[{t('rubric_all_pass')}]" if report.passed else f":orange[{t('rubric_needs_work')}]"
with st.expander(f"{t('rubric')}：{report.passed_count}/15 · {verdict}", expanded=not report.passed):
    for result in report.results:
        mark = {
            "pass": f":green[:material/check_circle: {t('verdict_pass')}]",
            "fail": f":red[:material/cancel: {t('verdict_fail')}]",
            "skip": f":gray[:material/remove: {t('verdict_skip')}]",
        }[result.status]
        st.markdown(f"{mark} **{result.number}\\. {md(result.name)}**{'★' if result.starred else ''}：{md(result.message)}")
        if result.status == "fail" and result.suggestion:
            st.caption(t("suggestion") + "：" + md(result.suggestion))
    if can_edit and report.failed and st.button(t("fix_all"), key="fix_all"):
        start("fix", {})
        st.rerun()

if can_edit:
    content, refine_tab, edit_tab, versions_tab, adapt_tab = st.tabs(
        [t("tab_content"), t("tab_refine"), t("tab_edit"), t("tab_versions"), t("tab_adapt")]
    )
else:
    content, versions_tab = st.tabs([t("tab_content"), t("tab_versions")])
    refine_tab = edit_tab = adapt_tab = None

with content:
    export_buttons(user, head_id, plan, key="plan_export")
    submissions = studio.reviews.for_draft(user, draft_id)
    if submissions:  # 精品教案: where the plan stands, and the lead's comments
        latest = submissions[0]
        state = "submitted" if latest.status == "approving" else latest.status  # being added to the library
        message = t(f"review_state_{state}", number=latest.version_number, reviewer=latest.reviewer)
        (st.success if latest.status == "approved" else st.info)(md(message))
        for comment in latest.comments if latest.status == "returned" else []:
            st.caption(f"**{md(comment.section)}**（{md(comment.author)}）：{md(comment.body)}")
    open_submission = submissions and submissions[0].status == "submitted"
    if can_edit and not open_submission and st.button(t("submit_review"), key="submit_review"):
        try:
            studio.reviews.submit(user, draft_id, head_id)
            st.rerun()
        except StudioError as error:
            show_error(error)
    render_plan(plan, author="" if can_edit else draft.owner_name, retired=studio.retired_citations(user, plan))


def refine_controls() -> None:
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


def edit_controls() -> None:
    working = studio.working_copy(user, draft_id, tab_id)
    if working is None:
        # A tab that was closed (or reloaded) left an unsaved edit: offer it instead of losing it.
        left_behind = studio.unsaved_elsewhere(user, draft_id, tab_id)
        if left_behind:
            newest = left_behind[0]
            st.info(t("other_unsaved", when=f"{newest.updated_at:%m-%d %H:%M}"))
            adopt, drop = st.columns(2)
            if adopt.button(t("adopt_unsaved"), key="adopt_unsaved"):
                studio.adopt_working_copy(user, draft_id, from_tab=newest.tab_id, to_tab=tab_id)
                st.session_state["edit_round"] = st.session_state.get("edit_round", 0) + 1
                st.rerun()
            if drop.button(t("discard_unsaved"), key="discard_unsaved"):
                studio.discard_working_copy(user, draft_id, newest.tab_id)
                st.rerun()
    base_id, editing = working if working else (head_id, plan)
    if base_id != head_id:
        base_number = next((v.number for v in studio.versions(user, draft_id) if v.id == base_id), "?")
        st.warning(t("edit_on_old_version", number=base_number))
    # The widgets' keys change whenever what they show is replaced (another version, an adopted or
    # discarded edit): Streamlit keeps a widget's old value for as long as its key lives.
    prefix = f"edit_{draft_id}_{base_id}_{st.session_state.get('edit_round', 0)}_"

    def restructure(change) -> None:  # type: ignore[no-untyped-def]
        """Add or remove an objective, a material or a line: the working copy changes, and the
        widgets are drawn again from it."""
        data = edited_data()
        change(data)
        try:
            studio.keep_working_copy(user, draft_id, base_id, LessonPlan.model_validate(data), tab_id)
        except (ValidationError, StudioError) as error:
            st.session_state["edit_error"] = str(error)
        st.session_state["edit_round"] = st.session_state.get("edit_round", 0) + 1

    def lines(text: str) -> list[str]:
        return [line.strip() for line in text.splitlines() if line.strip()]

    def edited_data() -> dict:
        """The plan as the widgets now show it (read from their keys, so callbacks can use it too)."""
        value = st.session_state.get
        data = editing.model_dump()
        for name in ("title", "design_intent", "key_point", "difficult_point"):
            data[name] = value(prefix + name, data[name])
        for index, objective in enumerate(data["objectives"]):
            objective["dimension"] = value(f"{prefix}objective{index}_dimension", objective["dimension"])
            objective["text"] = value(f"{prefix}objective{index}_text", objective["text"])
        preparation = data["preparation"]
        preparation["experience"] = lines(value(prefix + "experience", "\n".join(preparation["experience"])))
        for index, material in enumerate(preparation["materials"]):
            for name in ("name", "quantity", "for_whom"):
                material[name] = value(f"{prefix}material{index}_{name}", material[name])
        for index, step in enumerate(data["steps"]):
            for name in ("title", "teacher", "children", "intent", "minutes"):
                step[name] = value(f"{prefix}step{index}_{name}", step[name])
            step["key_questions"] = lines(value(f"{prefix}step{index}_questions", "\n".join(step["key_questions"])))
        data["extension"]["area"] = value(prefix + "area", data["extension"]["area"])
        data["extension"]["home"] = value(prefix + "home", data["extension"]["home"])
        data["observation_points"] = lines(value(prefix + "observation", "\n".join(data["observation_points"])))
        # Safety notes from the hazard table stay as they are; the teacher's own follow them.
        fixed = [note for note in data["safety_notes"] if note["hazard_id"] != TEACHER_NOTE]
        own = lines(value(prefix + "own_safety", "\n".join(n["note"] for n in data["safety_notes"] if n["hazard_id"] == TEACHER_NOTE)))
        data["safety_notes"] = fixed + [
            {"hazard_id": TEACHER_NOTE, "material": "教师补充", "note": note, "severity": "caution"} for note in own
        ]
        return data

    def edited_plan() -> LessonPlan:
        return LessonPlan.model_validate(edited_data())

    st.text_input(t("field_title"), editing.title, key=prefix + "title", max_chars=40)
    st.text_area(t("field_intent"), editing.design_intent, key=prefix + "design_intent", max_chars=300)

    st.markdown(f"**{t('field_objectives')}**")
    for index, objective in enumerate(editing.objectives):
        dimension, text, remove = st.columns([1, 5, 1], vertical_alignment="bottom")
        dimension.selectbox(t("field_dimension"), DIMENSIONS, index=DIMENSIONS.index(objective.dimension), key=f"{prefix}objective{index}_dimension")
        text.text_input(t("field_objective"), objective.text, key=f"{prefix}objective{index}_text", max_chars=60)
        remove.button(t("remove"), key=f"{prefix}objective{index}_remove", on_click=restructure, args=(lambda d, i=index: d["objectives"].pop(i),))
    st.button(t("add_objective"), key=prefix + "add_objective", on_click=restructure,
              args=(lambda d: d["objectives"].append({"dimension": "能力", "text": ""}),))

    st.text_input(t("field_key"), editing.key_point, key=prefix + "key_point", max_chars=80)
    st.text_input(t("field_difficult"), editing.difficult_point, key=prefix + "difficult_point", max_chars=80)

    st.markdown(f"**{t('field_preparation')}**")
    st.text_area(t("field_experience"), "\n".join(editing.preparation.experience), key=prefix + "experience", help=t("one_per_line"))
    for index, material in enumerate(editing.preparation.materials):
        name, quantity, whom, remove = st.columns([3, 3, 2, 1], vertical_alignment="bottom")
        name.text_input(t("field_material"), material.name, key=f"{prefix}material{index}_name", max_chars=30)
        quantity.text_input(t("field_quantity"), material.quantity, key=f"{prefix}material{index}_quantity", max_chars=30)
        whom.selectbox(t("field_for_whom"), FOR_WHOM, index=FOR_WHOM.index(material.for_whom), key=f"{prefix}material{index}_for_whom")
        remove.button(t("remove"), key=f"{prefix}material{index}_remove", on_click=restructure,
                      args=(lambda d, i=index: d["preparation"]["materials"].pop(i),))
    st.button(t("add_material"), key=prefix + "add_material", on_click=restructure,
              args=(lambda d: d["preparation"]["materials"].append({"name": "", "quantity": "", "for_whom": "幼儿"}),))

    st.markdown(f"**{t('field_process')}**")
    for index, step in enumerate(editing.steps):
        with st.container(border=True):
            st.markdown(f"**{index + 1}\\. {step.phase}·{step.cps_stage}**")
            st.number_input(t("minutes"), 1, 60, step.minutes, key=f"{prefix}step{index}_minutes")
            st.text_input(t("field_step_title"), step.title, key=f"{prefix}step{index}_title", max_chars=30)
            st.text_area("师", step.teacher, key=f"{prefix}step{index}_teacher", max_chars=300)
            st.text_area(t("field_questions"), "\n".join(step.key_questions), key=f"{prefix}step{index}_questions", help=t("one_per_line"))
            st.text_area("幼", step.children, key=f"{prefix}step{index}_children", max_chars=200)
            st.text_input(t("field_step_intent"), step.intent, key=f"{prefix}step{index}_intent", max_chars=100)
    st.text_input(t("field_area"), editing.extension.area, key=prefix + "area", max_chars=150)
    st.text_input(t("field_home"), editing.extension.home, key=prefix + "home", max_chars=150)
    st.text_area(t("field_observation"), "\n".join(editing.observation_points), key=prefix + "observation", help=t("one_per_line"))
    fixed_notes = [note for note in editing.safety_notes if note.hazard_id != TEACHER_NOTE]
    if fixed_notes:
        st.markdown(f"**{t('field_safety_fixed')}**")
        for note in fixed_notes:
            st.caption(f"{md(note.material)}：{md(note.note)}")
    st.text_area(
        t("field_own_safety"),
        "\n".join(note.note for note in editing.safety_notes if note.hazard_id == TEACHER_NOTE),
        key=prefix + "own_safety",
        help=t("one_per_line"),
    )

    # Autosave: whatever differs from the working copy is kept, on every run (no callbacks to miss).
    try:
        current = edited_plan()
        if current != editing:
            studio.keep_working_copy(user, draft_id, base_id, current, tab_id)
    except ValidationError as error:
        problem = error.errors()[0]
        st.error(md(f"{'.'.join(str(part) for part in problem['loc'])}：{problem['msg']}"))
    except StudioError as error:
        show_error(error)
    st.caption(t("safety_locked"))
    if st.session_state.get("edit_error"):
        st.error(md(st.session_state.pop("edit_error")))
    conflict = st.session_state.get("edit_conflict")
    if conflict is not None and conflict.draft_id == draft_id:

        def save_merged(chosen: LessonPlan, head: int) -> None:
            studio.save_edit(user, draft_id, chosen, base_version_id=head, tab_id=tab_id)

        resolve_conflict(conflict, edited_plan(), save_merged, "edit_conflict")
    elif st.button(t("save_version"), type="primary", key="save_edit"):
        try:
            studio.save_edit(user, draft_id, edited_plan(), base_version_id=base_id, tab_id=tab_id)
            st.rerun()
        except StaleVersion as stale:  # 这份教案已被更新: show the difference, merge or save as new
            st.session_state["edit_conflict"] = stale
            st.rerun()
        except ValidationError as error:
            st.error(md(error.errors()[0]["msg"]))
        except StudioError as error:
            show_error(error)


def adapt_controls() -> None:
    source_diff = studio.diff_with_library_source(user, head_id)
    if source_diff is not None:
        with st.expander(t("compare_source")):
            for section in source_diff:
                left, right = st.columns(2)
                left.caption(f"{md(section.label)}（{t('source_label')}）")
                left.text(section.before or "—")
                right.caption(md(section.label))
                right.text(section.after or "—")
    with st.form("adapt"):
        band = st.selectbox(t("age_band"), AGE_BANDS, index=AGE_BANDS.index(plan.age_band))
        minutes = st.number_input(t("minutes"), 5, 60, plan.minutes)
        materials = st.text_input(t("materials"), "、".join(m.name for m in plan.preparation.materials))
        if st.form_submit_button(t("adapt")):
            try:
                adapted = studio.adapt_request(user, draft_id, head_id, age_band=band, minutes=int(minutes), materials=materials)
                start("adapt", {"request": adapted.model_dump()})
                st.rerun()
            except StudioError as error:
                show_error(error)


if can_edit:
    with refine_tab:
        refine_controls()
    with edit_tab:
        edit_controls()
    with adapt_tab:
        adapt_controls()

with versions_tab:
    history = studio.versions(user, draft_id)
    names = {v.id: f"v{v.number} · {v.created_at:%m-%d %H:%M} · {v.note}" for v in history}
    for version in reversed(history):
        left, right = st.columns([4, 1])
        left.markdown(md(names[version.id]))
        if can_edit and version.id != head_id and right.button(t("restore"), key=f"restore_{version.id}"):
            try:
                studio.restore(user, draft_id, version.id)
                st.rerun()
            except StudioError as error:
                show_error(error)
    if len(history) > 1:
        ids = [v.id for v in history]
        before = st.selectbox(t("before"), ids, index=len(ids) - 2, format_func=names.get, key="diff_before")
        after = st.selectbox(t("after"), ids, index=len(ids) - 1, format_func=names.get, key="diff_after")
        show_diff(studio.diff_versions(user, before, after), names[before], names[after])

if st.session_state.get("refine_error"):
    st.error(md(st.session_state.pop("refine_error")))
