"""活动反思: one of my plans and my notes on how it went -> a saved request -> a job through the one
pipeline -> the reflection, the revised plan (the plan's next version) as a diff, versions and the
Word file. Every model or user text reaches the page through studio_ui.md."""

import uuid

import streamlit as st

from lesson_studio.errors import StudioError
from studio_ui import (
    DOCX_MIME,
    get_studio,
    md,
    refine_part_controls,
    render_diff,
    require_user,
    resource_sentence_box,
    school_template_export,
    show_error,
    t,
    value,
)

KIND = "reflection"
NOTE_FIELDS = ("children", "timing", "surprises", "changes")
REFLECTION_LANGUAGES = {"zh": "中文", "en": "English"}
# This page's words, Chinese and English (the type's own file: nothing added to i18n.toml but its title).
WORDS = {
    "intro": (
        "上完课，记下孩子们做了什么、说了什么，哪些环节超时或提前：生成活动反思，并把教案修改成下一版。",
        "After the lesson, note what the children did and said and which steps ran over or under: get a"
        " reflection, and the plan revised as its next version.",
    ),
    "plan": ("选择我的教案", "Choose one of my plans"),
    "no_plans": ("您还没有自己的教案：先在“新建教案”里写一份。", "You have no plan of your own yet: write one first."),
    "children": ("幼儿做了什么、说了什么（必填）", "What the children did and said (required)"),
    "timing": ("哪些环节超时或提前", "Which steps ran over or under time"),
    "minutes": ("各环节实际用时（分钟，0 表示没记）", "Minutes each step took (0: not noted)"),
    "surprises": ("意外的发现", "What surprised you"),
    "changes": ("下次想改什么", "What you would change"),
    "language": ("反思语言（与教案相同）", "Language of the reflection (the plan's)"),
    "generate": ("生成活动反思", "Write the reflection"),
    "writing": ("正在写活动反思……", "Writing the reflection…"),
    "saved": ("已保存为第{number}版", "Saved as version {number}"),
    "goals": ("目标达成", "Objectives"),
    "facts": ("幼儿表现", "What the children did"),
    "timing_head": ("时间与环节", "Time and steps"),
    "planned": ("计划{planned}分钟", "planned {planned} min"),
    "actual": ("实际{actual}分钟", "took {actual} min"),
    "suggestions": ("调整建议", "Suggestions"),
    "answers": ("回应记录{note}", "answers note {note}"),
    "next_time": ("下次再做", "Next time"),
    "changed": ("教案改了什么", "What the plan changed"),
    "revised": (
        "修订后的教案已保存为第{number}版（在“我的教案”里打开）",
        "The revised plan is saved as version {number} (open it in My plans)",
    ),
    "before": ("修订前", "before"),
    "after": ("修订后", "after"),
    "download": ("下载 Word", "Download Word"),
    "new": ("再写一份反思", "Write another"),
    "mine": ("我的活动反思", "My reflections"),
    "open": ("打开", "Open"),
    "failed": ("没有写成", "Not written"),
    "edit": ("修改这份反思", "Edit this reflection"),
    "timing_review": ("时间与环节", "Time and steps"),
    "save": ("保存为新版本", "Save as a new version"),
    "history": ("版本", "Versions"),
}
EDITABLE = ("timing_review", "next_time")


def w(key: str, **values: object) -> str:
    zh, en = WORDS[key]
    text = en if st.session_state.get("language", "zh") == "en" else zh
    return text.format(**values) if values else text


user = require_user()
studio = get_studio()
st.session_state.setdefault("reflection_nonce", uuid.uuid4().hex)


def sentence_box() -> None:
    """One sentence above the form (studio_ui.resource_sentence_box)."""
    resource_sentence_box(
        KIND, "reflection", text_lists=(), field_label=lambda name: w(name) if name in WORDS else t(name)
    )


st.title(t("page_reflection"))
st.caption(w("intro"))


shown: set[int] = set()  # versions rendered in this run (a version is drawn once)


def render_reflection(version_id: int) -> None:
    shown.add(version_id)
    version, _, reflection = studio.open_document(user, version_id)
    st.success(w("saved", number=version.number))
    for warning in reflection.warnings:
        st.warning(md(warning))
    st.download_button(
        w("download"),
        data=lambda: studio.export_document_docx(user, version_id),  # made on the click
        file_name=f"{reflection.title}.docx".replace("/", "-"),
        mime=DOCX_MIME,
        type="primary",
        key=f"reflection_docx_{version_id}",
    )
    school_template_export(KIND, version_id, f"{reflection.title}-学校模板.docx".replace("/", "-"))
    with st.container(border=True):
        st.subheader(md(reflection.title))
        st.markdown(f"**{w('goals')}**")
        for review in reflection.goal_reviews:
            st.markdown(
                f"【{value(review.dimension)}】{md(review.objective)} —— **{value(review.achieved)}**：{md(review.evidence)}"
            )
        st.markdown(f"**{w('facts')}**")
        for fact in reflection.child_facts:
            st.markdown(f"- {md(fact)}")
        st.markdown(f"**{w('timing_head')}**")
        for timing in reflection.timings:
            took = f"，{w('actual', actual=timing.actual)}" if timing.actual is not None else ""
            st.markdown(
                f"{timing.step}\\. {value(timing.cps_stage)}·{md(timing.title)}：{w('planned', planned=timing.planned)}{took}（{value(timing.status)}）"
            )
        st.markdown(md(reflection.timing_review))
        st.markdown(f"**{w('suggestions')}**")
        for number, item in enumerate(reflection.suggestions, start=1):
            st.markdown(f"{number}\\. {md(item.text)}")
            st.caption(f"{w('answers', note=item.note)}：{md(item.note_text)}")
        st.markdown(f"**{w('next_time')}**  \n{md(reflection.next_time)}")
        if reflection.changes:
            st.markdown(f"**{w('changed')}**")
            for change in reflection.changes:
                st.markdown(
                    f"- {change.step}\\. {md(change.title)}（{change.minutes_before}→{change.minutes_after}）："
                    f"{md(change.summary)} — {md(change.reason)}"
                )
    for finding in studio.document_findings(user, version_id):
        st.warning(md(finding))
    if reflection.revised_version_id is not None:
        st.markdown(f"**{w('revised', number=reflection.revised_version_number)}**")
        render_diff(
            studio.diff_versions(user, reflection.plan_version_id, reflection.revised_version_id),
            w("before"),
            w("after"),
        )
    history = studio.versions(user, version.draft_id)
    st.caption(f"{w('history')}：" + "、".join(f"v{item.number} {md(item.note)}" for item in history))
    if version.id == history[-1].id:  # only the author may save (the core refuses anyone else)
        # 让模型改写一部分 (studio_ui): the proposal is saved as the next version, then shown.
        refine_part_controls(
            user,
            version.id,
            key="reflection",
            on_saved=lambda saved_id: st.session_state.update(reflection_shown=saved_id),
        )
        with st.expander(w("edit")), st.form(f"reflection_edit_{version_id}"):
            changed = {
                name: st.text_area(w(name), value=getattr(reflection, name), key=f"reflection_edit_{name}_{version_id}")
                for name in EDITABLE
            }
            if st.form_submit_button(w("save")):
                try:
                    saved = studio.save_document(
                        user, version.draft_id, reflection.model_copy(update=changed), base_version_id=version.id
                    )
                    st.session_state["reflection_shown"] = saved.id
                    st.rerun()
                except StudioError as error:
                    show_error(error)


@st.fragment(run_every=1.0)
def poll(job_id: int) -> None:
    view = studio.job_view(user, job_id)
    if view.status not in ("queued", "running"):
        st.rerun()
    st.info(w("writing"))


def notes_form() -> None:
    """The teacher's plans to choose from, and the notes on the chosen one."""
    plans = [draft for draft in studio.own_plans(user) if draft.head_version_id is not None]
    if not plans:
        st.info(w("no_plans"))
        return
    titles = {draft.head_version_id: f"{draft.title}（v{draft.head_number}）" for draft in plans}
    chosen = st.selectbox(w("plan"), list(titles), key="reflection_plan", format_func=lambda vid: md(titles[vid]))
    try:
        version, plan = studio.plan_to_revise(user, chosen)
    except StudioError as error:
        show_error(error)
        return
    sentence_box()
    with st.form("reflection"):
        st.text_area(w("children"), key="reflection_children")
        st.text_area(w("timing"), key="reflection_timing", height=68)
        st.caption(w("minutes"))
        for column, (index, step) in zip(st.columns(max(1, len(plan.steps))), enumerate(plan.steps), strict=False):
            column.number_input(
                f"{index + 1}\\. {value(step.cps_stage)}（{step.minutes}′）",
                min_value=0,
                max_value=90,
                step=1,
                key=f"reflection_minutes_{version.id}_{index}",
            )
        st.text_area(w("surprises"), key="reflection_surprises", height=68)
        st.text_area(w("changes"), key="reflection_changes", height=68)
        st.radio(
            w("language"),
            list(REFLECTION_LANGUAGES),
            index=list(REFLECTION_LANGUAGES).index(plan.language),  # the chosen plan's, which the core requires
            key=f"reflection_language_{version.id}",
            format_func=REFLECTION_LANGUAGES.get,
            horizontal=True,
        )
        submitted = st.form_submit_button(w("generate"), type="primary")
    if submitted:
        fields: dict[str, object] = {name: st.session_state[f"reflection_{name}"] for name in NOTE_FIELDS}
        fields["plan_version_id"] = version.id
        fields["plan"] = plan
        fields["language"] = st.session_state[f"reflection_language_{version.id}"]
        fields["actual_minutes"] = [
            int(st.session_state[f"reflection_minutes_{version.id}_{index}"]) for index in range(len(plan.steps))
        ]
        try:
            request = studio.resource_request_from_form(KIND, fields)
            key = studio.idempotency_key(st.session_state["reflection_nonce"], KIND, request.model_dump_json())
            st.session_state["reflection_job"] = studio.submit_resource(user, KIND, request, idempotency_key=key)
            st.rerun()
        except StudioError as error:
            show_error(error)


job_id = st.session_state.get("reflection_job")
if job_id is None:
    notes_form()
else:
    view = studio.job_view(user, job_id)
    if view.status in ("queued", "running"):
        poll(job_id)
    elif view.status == "done" and view.version_id is not None:
        render_reflection(st.session_state.get("reflection_shown") or view.version_id)
    else:
        st.error(f"{w('failed')}：{md(view.error)}")
    if view.status not in ("queued", "running") and st.button(w("new"), key="reflection_new"):
        del st.session_state["reflection_job"]
        st.session_state.pop("reflection_shown", None)
        st.session_state["reflection_nonce"] = uuid.uuid4().hex
        st.rerun()

reflections = studio.documents(user, KIND)
if reflections:
    st.subheader(w("mine"))
    titles = {draft.head_version_id: draft.title for draft in reflections}
    chosen = st.selectbox(
        w("open"), list(titles), key="reflection_open", format_func=lambda version_id: md(titles[version_id])
    )
    if chosen is not None and chosen not in shown:
        render_reflection(chosen)
