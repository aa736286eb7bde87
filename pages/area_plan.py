"""区域活动材料计划: the form -> a saved request -> a job through the one pipeline (one call per
area, shown as it goes) -> the plan, its versions and its Word file. Every model or user text reaches
the page through studio_ui.md."""

import datetime
import uuid

import streamlit as st

from lesson_studio.errors import StudioError
from lesson_studio.models import AGE_BANDS
from lesson_studio.resource_types.area_plan.schema import AREAS
from studio_ui import (
    DOCX_MIME,
    get_studio,
    md,
    refine_part_controls,
    render_progress_bar,
    require_user,
    resource_sentence_box,
    school_template_export,
    show_error,
    t,
    value_label,
)

KIND = "area_plan"
# This page's words, Chinese and English (the type's own file: nothing added to i18n.toml but its title).
WORDS = {
    "intro": (
        "为每个区域写目标、高/低结构材料和数量、由易到难的挑战层次、幼儿画一画或打√的记录表、观察要点，以及投放、调整、更换的日期。",
        "For each area: a goal, high- and low-structure materials with quantities, levels of challenge, a record sheet children draw or tick, an observation focus and the dates to put out, adjust and replace materials.",
    ),
    "class_name": ("班级", "Class"),
    "teacher": ("教师", "Teacher"),
    "theme": ("主题或正在解决的问题", "Theme or the problem the class is working on"),
    "areas": ("区域", "Areas"),
    "start_date": ("开始日期", "Start date"),
    "weeks": ("周数（1～4）", "Weeks (1–4)"),
    "materials_on_hand": ("现有材料（可不填，用顿号分开）", "Materials on hand (optional, separated by 、)"),
    "notes": ("备注", "Notes"),
    "generate": ("生成区域材料计划", "Write the area plan"),
    "writing": ("正在写：{area}", "Writing: {area}"),
    "written": ("已写好：{areas}", "Done: {areas}"),
    "saved": ("已保存为第{number}版", "Saved as version {number}"),
    "download": ("下载 Word", "Download Word"),
    "new": ("再写一份", "Write another"),
    "mine": ("我的区域材料计划", "My area plans"),
    "open": ("打开", "Open"),
    "failed": ("没有写成", "Not written"),
    "theme_line": ("主题", "Theme"),
    "goal": ("区域目标", "Goal"),
    "high": ("高结构材料", "High-structure materials"),
    "low": ("低结构材料", "Low-structure materials"),
    "levels": ("挑战层次", "Levels of challenge"),
    "record": ("记录表", "Record sheet"),
    "focus": ("观察要点", "Observation focus"),
    "schedule": ("投放与更换", "Put out, adjust, replace"),
    "excluded": ("不投放", "Not put out"),
    "instead": ("幼儿改用", "children use instead"),
    "safety": ("安全提示", "Safety"),
    "edit": ("修改这份计划", "Edit this plan"),
    "materials": (
        "材料（一行一种：名称｜数量｜高结构或低结构）",
        "Materials (one a line: name｜quantity｜高结构 or 低结构)",
    ),
    "level_lines": ("挑战层次（一行一层，从易到难）", "Levels (one a line, easiest first)"),
    "columns": ("记录表栏目（用顿号分开）", "Record-sheet columns (separated by 、)"),
    "focus_lines": ("观察要点（一行一条）", "Observation focus (one a line)"),
    "save": ("保存为新版本", "Save as a new version"),
    "history": ("版本", "Versions"),
    "language": ("计划的语言", "Plan language"),
}
PLAN_LANGUAGES = {"zh": "中文", "en": "English"}
EDIT_FIELDS = (
    ("goal", "goal"),
    ("materials", "materials"),
    ("levels", "level_lines"),
    ("record_columns", "columns"),
    ("observation_focus", "focus_lines"),
)


def w(key: str, **values: object) -> str:
    zh, en = WORDS[key]
    text = en if st.session_state.get("language", "zh") == "en" else zh
    return text.format(**values) if values else text


def day(date: datetime.date) -> str:
    return f"{date.month}月{date.day}日"


user = require_user()
studio = get_studio()
st.session_state.setdefault("area_nonce", uuid.uuid4().hex)


def sentence_box() -> None:
    """One sentence above the form (studio_ui.resource_sentence_box)."""
    resource_sentence_box(
        KIND, "area", text_lists=("materials_on_hand",), field_label=lambda name: w(name) if name in WORDS else t(name)
    )


st.title(t("page_area_plan"))
st.caption(w("intro"))


shown: set[int] = set()  # versions rendered in this run (a version is drawn once)


def render_area_plan(version_id: int) -> None:
    shown.add(version_id)
    version, _, plan = studio.open_document(user, version_id)
    st.success(w("saved", number=version.number))
    for warning in plan.warnings:
        st.warning(md(warning))
    st.download_button(
        w("download"),
        data=lambda: studio.export_document_docx(user, version_id),  # made on the click
        file_name=f"{plan.class_name}-{plan.title}.docx".replace("/", "-"),
        mime=DOCX_MIME,
        type="primary",
        key=f"area_docx_{version_id}",
    )
    school_template_export(KIND, version_id, f"{plan.class_name}-{plan.title}-学校模板.docx".replace("/", "-"))
    st.subheader(md(plan.title))
    st.caption(md(f"{plan.class_name}（{plan.age_band}）　{plan.teacher}　{day(plan.start_date)}起，{plan.weeks}周"))
    st.markdown(f"**{w('theme_line')}**：{md(plan.theme)}")
    for section in plan.areas:
        with st.container(border=True):
            st.markdown(f"**{md(section.area)}**")
            st.markdown(f"{w('goal')}：{md(section.goal)}")
            for structure, label in (("高结构", "high"), ("低结构", "low")):
                items = [f"{item.name}（{item.quantity}）" for item in section.materials if item.structure == structure]
                if items:
                    st.markdown(f"{w(label)}：{md('、'.join(items))}")
            st.markdown(f"{w('levels')}：  \n" + "  \n".join(md(f"{lv.name}：{lv.challenge}") for lv in section.levels))
            st.markdown(f"{w('record')}：{md(' ｜ '.join(section.record_columns))}（{md(section.record_how)}）")
            st.markdown(f"{w('focus')}：" + "；".join(md(focus) for focus in section.observation_focus))
            st.markdown(
                f"{w('schedule')}：  \n"
                + "  \n".join(md(f"{day(entry.date)} {entry.action}：{entry.what}") for entry in section.schedule)
            )
            for exclusion in section.exclusions:
                instead = f"，{w('instead')}{exclusion.substitute}" if exclusion.substitute else ""
                st.warning(md(f"{w('excluded')}：{exclusion.material}{instead}。{exclusion.reason}"))
            for note in section.safety_notes:
                st.caption(md(f"{w('safety')}：{note}"))
    st.caption(md(f"{w('safety')}：{plan.general_safety}"))
    for finding in studio.document_findings(user, version_id):
        st.warning(md(finding))
    history = studio.versions(user, version.draft_id)
    st.caption(f"{w('history')}：" + "、".join(f"v{item.number} {md(item.note)}" for item in history))
    if version.id == history[-1].id:  # only the author may save (the core refuses anyone else)
        # 让模型改写一部分 (studio_ui): the proposal is saved as the next version, then shown.
        refine_part_controls(
            user, version.id, key="area", on_saved=lambda saved_id: st.session_state.update(area_shown=saved_id)
        )
        texts = plan.edit_texts()
        with st.expander(w("edit")), st.form(f"area_edit_{version_id}"):
            edits: dict[str, dict[str, str]] = {}
            for area, fields in texts.items():
                st.markdown(f"**{md(area)}**")
                edits[area] = {
                    name: st.text_area(w(label), value=fields[name], key=f"edit_{area}_{name}_{version_id}")
                    for name, label in EDIT_FIELDS
                }
            if st.form_submit_button(w("save")):
                try:
                    saved = studio.save_document(
                        user, version.draft_id, plan.with_edits(edits), base_version_id=version.id
                    )
                    st.session_state["area_shown"] = saved.id
                    st.rerun()
                except StudioError as error:
                    show_error(error)


@st.fragment(run_every=1.0)
def poll(job_id: int) -> None:
    view = studio.job_view(user, job_id)
    if view.status not in ("queued", "running"):
        st.rerun()
    render_progress_bar(view.figures, cancelling=view.cancelling)
    progress = view.progress
    if progress is not None and getattr(progress, "drafts", None):
        st.caption(md(w("written", areas="、".join(progress.drafts))))
    current = getattr(progress, "current_section", "") if progress is not None else ""
    st.info(w("writing", area=md(current)) if current else w("writing", area="…"))


job_id = st.session_state.get("area_job")
if job_id is None:
    sentence_box()
    with st.form("area_plan"):
        left, middle, right = st.columns(3)
        left.text_input(w("class_name"), key="area_class_name")
        middle.text_input(w("teacher"), value=user.display_name, key="area_teacher")
        right.selectbox(t("age_band"), AGE_BANDS, index=1, key="area_age_band", format_func=value_label)
        st.text_input(w("theme"), key="area_theme")
        st.multiselect(w("areas"), AREAS, key="area_areas")
        start, weeks = st.columns(2)
        start.date_input(w("start_date"), value=datetime.date.today(), key="area_start_date")
        weeks.number_input(w("weeks"), min_value=1, max_value=4, value=2, step=1, key="area_weeks")
        st.text_input(w("materials_on_hand"), key="area_materials_on_hand")
        st.text_area(w("notes"), key="area_notes", height=68)
        st.radio(
            w("language"),
            list(PLAN_LANGUAGES),
            key="area_language",
            format_func=PLAN_LANGUAGES.get,
            horizontal=True,
        )
        submitted = st.form_submit_button(w("generate"), type="primary")
    if submitted:
        fields = (
            "class_name",
            "teacher",
            "age_band",
            "theme",
            "areas",
            "start_date",
            "weeks",
            "materials_on_hand",
            "notes",
            "language",
        )
        try:
            request = studio.resource_request_from_form(
                KIND, {name: st.session_state[f"area_{name}"] for name in fields}
            )
            key = studio.idempotency_key(st.session_state["area_nonce"], KIND, request.model_dump_json())
            st.session_state["area_job"] = studio.submit_resource(user, KIND, request, idempotency_key=key)
            st.rerun()
        except StudioError as error:
            show_error(error)
else:
    view = studio.job_view(user, job_id)
    if view.status in ("queued", "running"):
        poll(job_id)
    elif view.status == "done" and view.version_id is not None:
        render_area_plan(st.session_state.get("area_shown") or view.version_id)
    else:
        st.error(f"{w('failed')}：{md(view.error)}")
    if view.status not in ("queued", "running") and st.button(w("new"), key="area_new"):
        del st.session_state["area_job"]
        st.session_state.pop("area_shown", None)
        st.session_state["area_nonce"] = uuid.uuid4().hex
        st.rerun()

plans = studio.documents(user, KIND)
if plans:
    st.subheader(w("mine"))
    titles = {draft.head_version_id: draft.title for draft in plans}
    chosen = st.selectbox(
        w("open"), list(titles), key="area_open", format_func=lambda version_id: md(titles[version_id])
    )
    if chosen is not None and chosen not in shown:
        render_area_plan(chosen)
