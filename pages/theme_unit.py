"""主题活动: the form -> a saved request -> a job through the one pipeline -> the unit, week by week;
each collective activity 展开为教案 (Studio.expand_item) and listed with its lesson's status; the
unit's versions and its Word file (with its lessons). Every model or user text goes through md()."""

import uuid

import streamlit as st

from lesson_studio.errors import StudioError
from lesson_studio.models import AGE_BANDS, DOMAINS
from studio_ui import (
    DOCX_MIME,
    get_studio,
    md,
    refine_part_controls,
    require_user,
    resource_sentence_box,
    school_template_export,
    show_error,
    t,
    value_label,
)

KIND = "theme_unit"
# This page's words, Chinese and English (the type's own file: nothing added to i18n.toml but its title).
WORDS = {
    "intro": (
        "从孩子身边一个真实的烦恼出发，1～4周走完“发现烦恼→想办法→做出来→展示/用起来”；每个集体活动都能一键展开为教案。",
        "From a real problem, 1–4 weeks along find the problem -> ideas -> make it -> show and use it; each collective activity expands into a lesson plan.",
    ),
    "class_name": ("班级", "Class"),
    "teacher": ("教师", "Teacher"),
    "theme": ("主题", "Theme"),
    "problem": ("孩子遇到的真实问题", "The real problem the children met"),
    "weeks": ("周数", "Weeks"),
    "start_date": ("开始日期（可不填，如 2026-12-07）", "Start date (optional, e.g. 2026-12-07)"),
    "domains": ("侧重领域（可不选）", "Domains to emphasise (optional)"),
    "materials": ("现有材料（用顿号分开，可不填）", "Materials at hand (separated by 、, optional)"),
    "notes": ("备注", "Notes"),
    "generate": ("生成主题活动", "Write the unit"),
    "writing": ("正在写主题活动（{done}/{total}）……", "Writing the unit ({done}/{total})…"),
    "saved": ("已保存为第{number}版", "Saved as version {number}"),
    "download": ("下载 Word（主题）", "Download Word (unit)"),
    "download_all": ("下载 Word（主题 + 已展开的教案）", "Download Word (unit + its lessons)"),
    "problem_label": ("真实问题", "Real problem"),
    "source_and_value": ("主题来源与价值", "Source and value"),
    "goals": ("主题目标", "Goals"),
    "web": ("问题网", "Question web"),
    "week": ("第{number}周", "Week {number}"),
    "focus": ("本周重点", "This week"),
    "expand": ("展开为教案", "Expand into a lesson plan"),
    "lesson": ("教案", "Lesson"),
    "open_lesson": ("打开教案", "Open the lesson plan"),
    "lessons": ("已展开的教案", "Expanded lessons"),
    "environment": ("环境创设（问题墙）", "Environment (question wall)"),
    "family": ("家园共育", "Families"),
    "evaluation": ("评价", "Evaluation"),
    "materials_label": ("主题材料", "Materials"),
    "new": ("再写一个主题", "Write another unit"),
    "mine": ("我的主题活动", "My theme units"),
    "open": ("打开", "Open"),
    "failed": ("没有写成", "Not written"),
    "edit": ("修改这个主题", "Edit this unit"),
    "save": ("保存为新版本", "Save as a new version"),
    "history": ("版本", "Versions"),
    "queued": ("排队中", "queued"),
    "running": ("正在生成", "writing"),
    "done": ("已完成", "done"),
    "cancelled": ("已取消", "cancelled"),
    "language": ("主题活动的语言", "Unit language"),
}
UNIT_LANGUAGES = {"zh": "中文", "en": "English"}
WORDS["failed_status"] = WORDS["failed"]
EDITABLE = ("source_and_value", "environment", "family", "evaluation")


def w(key: str, **values: object) -> str:
    zh, en = WORDS[key]
    text = en if st.session_state.get("language", "zh") == "en" else zh
    return text.format(**values) if values else text


def status_word(status: str) -> str:
    return w("failed_status" if status == "failed" else status) if status else ""


user = require_user()
studio = get_studio()
st.session_state.setdefault("unit_nonce", uuid.uuid4().hex)


def sentence_box() -> None:
    """One sentence above the form (studio_ui.resource_sentence_box)."""
    resource_sentence_box(
        KIND, "unit", text_lists=("materials",), field_label=lambda name: w(name) if name in WORDS else t(name)
    )


st.title(t("page_theme_unit"))
st.caption(w("intro"))

shown: set[int] = set()  # versions rendered in this run (a version is drawn once)


def expand(version_id: int, item_key: str) -> None:
    try:
        studio.expand_item(user, version_id, item_key)  # one job per activity, whatever the clicks
    except StudioError as error:
        st.session_state["unit_error"] = str(error)


def open_lesson(draft_id: int) -> None:
    st.session_state["open_draft"] = draft_id
    st.switch_page("pages/plan.py")


@st.fragment(run_every=2.0)
def poll_lessons(draft_id: int) -> None:
    """Reruns the page once no expanded lesson is still being written."""
    if all(item.status not in ("queued", "running") for item in studio.linked_documents(user, draft_id)):
        st.rerun()


def render_unit(version_id: int) -> None:
    shown.add(version_id)
    version, _, unit = studio.open_document(user, version_id)
    history = studio.versions(user, version.draft_id)
    mine = version.created_by == user.id  # only the author expands or saves (the core refuses anyone else)
    links = {item.item_key: item for item in studio.linked_documents(user, version.draft_id)}
    st.success(w("saved", number=version.number))
    for warning in unit.warnings:
        st.warning(md(warning))
    if error := st.session_state.pop("unit_error", None):
        st.error(md(error))
    left, right = st.columns(2)
    file_name = f"{unit.class_name}-{unit.title}.docx".replace("/", "-")
    left.download_button(
        w("download"),
        data=lambda: studio.export_document_docx(user, version_id),  # made on the click
        file_name=file_name,
        mime=DOCX_MIME,
        type="primary",
        key=f"unit_docx_{version_id}",
    )
    if any(item.child_version_id for item in links.values()):
        right.download_button(
            w("download_all"),
            data=lambda: studio.export_with_linked_docx(user, version_id),
            file_name=file_name.replace(".docx", "-含教案.docx"),
            mime=DOCX_MIME,
            key=f"unit_docx_all_{version_id}",
        )
    school_template_export(KIND, version_id, file_name.replace(".docx", "-学校模板.docx"))
    with st.container(border=True):
        st.subheader(md(unit.title))
        st.caption(md(f"{unit.class_name}（{unit.age_band}）　{unit.teacher}　{len(unit.weeks)}周　{unit.start_date}"))
        st.markdown(f"**{w('problem_label')}**：{md(unit.problem)}")
        st.markdown(f"**{w('source_and_value')}**  \n{md(unit.source_and_value)}")
        st.markdown(f"**{w('goals')}**  \n" + "  \n".join(f"{value_label(g.domain)}：{md(g.text)}" for g in unit.goals))
        st.markdown(
            f"**{w('web')}**  \n"
            + "  \n".join(f"{md(b.stage)} → {md('　'.join(b.questions))}" for b in unit.question_web)
        )
        for week in unit.weeks:
            dates = f"（{md(week.dates)}）" if week.dates else ""
            st.markdown(f"#### {w('week', number=week.number)}{dates}　{md('、'.join(week.stages))}")
            if week.focus:
                st.caption(f"{w('focus')}：{md(week.focus)}")
            for activity in week.activities:
                minutes = f" · {activity.minutes}分钟" if activity.minutes else ""
                st.markdown(
                    f"**{md(activity.kind)}** · {value_label(activity.domain)}{minutes}：**{md(activity.title)}**"
                    f" — {md(activity.children_do)}"
                )
                if activity.kind != "集体活动":
                    continue
                link = links.get(activity.key)
                if link is not None:
                    text, label = md(link.title or activity.title), status_word(link.status)
                    st.caption(f"{w('lesson')}：{text} · {label}")
                    if link.child_draft_id is not None and st.button(
                        w("open_lesson"), key=f"unit_open_{version_id}_{activity.key}"
                    ):
                        open_lesson(link.child_draft_id)
                if mine and (link is None or link.status in ("failed", "cancelled")):
                    st.button(
                        w("expand"),
                        key=f"unit_expand_{version_id}_{activity.key}",
                        on_click=expand,
                        args=(version_id, activity.key),
                    )
        st.markdown(f"**{w('environment')}**  \n{md(unit.environment)}")
        st.markdown(f"**{w('family')}**  \n{md(unit.family)}")
        st.markdown(f"**{w('evaluation')}**  \n{md(unit.evaluation)}")
        if unit.materials:
            st.caption(f"{w('materials_label')}：{md('、'.join(unit.materials))}")
    if any(item.status in ("queued", "running") for item in links.values()):
        poll_lessons(version.draft_id)
    for finding in studio.document_findings(user, version_id):
        st.warning(md(finding))
    st.caption(f"{w('history')}：" + "、".join(f"v{item.number} {md(item.note)}" for item in history))
    if mine and version.id == history[-1].id:
        # 让模型改写一部分 (studio_ui): the proposal is saved as the next version, then shown.
        refine_part_controls(
            user, version.id, key="unit", on_saved=lambda saved_id: st.session_state.update(unit_shown=saved_id)
        )
        with st.expander(w("edit")), st.form(f"unit_edit_{version_id}"):
            changed = {
                name: st.text_area(w(name), value=getattr(unit, name), key=f"unit_edit_{name}_{version_id}")
                for name in EDITABLE
            }
            if st.form_submit_button(w("save")):
                try:
                    saved = studio.save_document(
                        user, version.draft_id, unit.model_copy(update=changed), base_version_id=version.id
                    )
                    st.session_state["unit_shown"] = saved.id
                    st.rerun()
                except StudioError as error:
                    show_error(error)


@st.fragment(run_every=1.0)
def poll(job_id: int) -> None:
    view = studio.job_view(user, job_id)
    if view.status not in ("queued", "running"):
        st.rerun()
    progress = view.progress
    done, total = (progress.sections_done(), progress.sections_total()) if progress else (0, 1)
    st.info(w("writing", done=done, total=total))


job_id = st.session_state.get("unit_job")
if job_id is None:
    sentence_box()
    with st.form("unit"):
        left, middle, right = st.columns(3)
        left.text_input(w("class_name"), key="unit_class_name")
        middle.text_input(w("teacher"), value=user.display_name, key="unit_teacher")
        right.text_input(w("start_date"), key="unit_start_date")
        left, right = st.columns(2)
        left.selectbox(t("age_band"), AGE_BANDS, index=1, key="unit_age_band", format_func=value_label)
        right.number_input(w("weeks"), min_value=1, max_value=4, value=2, step=1, key="unit_weeks")
        st.text_input(w("theme"), key="unit_theme")
        st.text_area(w("problem"), key="unit_problem", height=68)
        st.multiselect(w("domains"), DOMAINS, key="unit_domains", format_func=value_label)
        st.text_input(w("materials"), key="unit_materials")
        st.text_area(w("notes"), key="unit_notes", height=68)
        st.radio(
            w("language"),
            list(UNIT_LANGUAGES),
            key="unit_language",
            format_func=UNIT_LANGUAGES.get,
            horizontal=True,
        )
        submitted = st.form_submit_button(w("generate"), type="primary")
    if submitted:
        fields = (
            "class_name",
            "teacher",
            "start_date",
            "age_band",
            "weeks",
            "theme",
            "problem",
            "domains",
            "materials",
            "notes",
            "language",
        )
        try:
            request = studio.resource_request_from_form(
                KIND, {name: st.session_state[f"unit_{name}"] for name in fields}
            )
            key = studio.idempotency_key(st.session_state["unit_nonce"], KIND, request.model_dump_json())
            st.session_state["unit_job"] = studio.submit_resource(user, KIND, request, idempotency_key=key)
            st.rerun()
        except StudioError as error:
            show_error(error)
else:
    view = studio.job_view(user, job_id)
    if view.status in ("queued", "running"):
        poll(job_id)
    elif view.status == "done" and view.version_id is not None:
        render_unit(st.session_state.get("unit_shown") or view.version_id)
    else:
        st.error(f"{w('failed')}：{md(view.error)}")
    if view.status not in ("queued", "running") and st.button(w("new"), key="unit_new"):
        del st.session_state["unit_job"]
        st.session_state.pop("unit_shown", None)
        st.session_state["unit_nonce"] = uuid.uuid4().hex
        st.rerun()

units = studio.documents(user, KIND)
if units:
    st.subheader(w("mine"))
    titles = {draft.head_version_id: draft.title for draft in units}
    chosen = st.selectbox(
        w("open"), list(titles), key="unit_open", format_func=lambda version_id: md(titles[version_id])
    )
    if chosen is not None and chosen not in shown:
        render_unit(chosen)
