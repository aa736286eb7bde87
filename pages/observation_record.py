"""观察记录 / 学习故事: the form -> a saved request -> a job through the one pipeline -> the record,
its versions and its Word file. Every model or user text reaches the page through studio_ui.md."""

import datetime
import uuid

import streamlit as st

from lesson_studio.errors import StudioError
from lesson_studio.models import AGE_BANDS
from lesson_studio.resource_types.observation_record.schema import METHODS
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

KIND = "observation_record"
# This page's words, Chinese and English (the type's own file: nothing added to i18n.toml but its title).
WORDS = {
    "intro": (
        "把您看到的写下来：记录只写笔记里有的事实，不贴标签；分析对照《指南》中本年龄段的条目，再给出支持策略。",
        "Write down what you saw: the record keeps to your notes, with no labels; the analysis is linked to the "
        "《指南》 lines of the child's age band, then supports follow.",
    ),
    "class_name": ("班级", "Class"),
    "date": ("观察日期", "Date observed"),
    "place": ("观察地点/区域", "Place or area"),
    "child": ("观察对象（姓名或缩写）", "Child observed (name or initials)"),
    "observer": ("观察者", "Observer"),
    "activity": ("活动名称（可不填）", "Activity (optional)"),
    "purpose": ("观察目的（可不填）", "Purpose (optional)"),
    "method": ("观察方法", "Method"),
    "language": ("记录语言", "Language of the record"),
    "notes": (
        "看到了什么（观察笔记：谁、做了什么、怎么做的、说了什么、结果怎样）",
        "What you saw (who, what, how, what was said, how it ended)",
    ),
    "generate": ("生成观察记录", "Write the record"),
    "writing": ("正在整理观察记录……", "Writing the record…"),
    "saved": ("已保存为第{number}版", "Saved as version {number}"),
    "download": ("下载 Word", "Download Word"),
    "new": ("再写一份", "Write another"),
    "mine": ("我的观察记录", "My observation records"),
    "open": ("打开", "Open"),
    "failed": ("没有写成", "Not written"),
    "edit": ("修改这份记录", "Edit this record"),
    "objective_record": ("观察实录", "The record"),
    "analysis": ("分析评价", "Analysis"),
    "support_strategies": ("支持策略（每行一条）", "Supports (one per line)"),
    "follow_up": ("后续观察", "Next observation"),
    "guidelines": ("对照《指南》", "Linked to the 《指南》"),
    "save": ("保存为新版本", "Save as a new version"),
    "history": ("版本", "Versions"),
    "facts": (
        "观察对象：{child}（{class_name}，{age_band}）　日期：{date}　地点：{place}　观察者：{observer}",
        "Child: {child} ({class_name}, {age_band})   Date: {date}   Place: {place}   Observer: {observer}",
    ),
    "purpose_line": ("观察目的：{purpose}　观察方法：{method}", "Purpose: {purpose}   Method: {method}"),
}
RECORD_LANGUAGES = {"zh": "中文", "en": "English"}
METHODS_EN = {"轶事记录法": "Anecdotal record", "事件取样法": "Event sampling", "时间取样法": "Time sampling"}
EDITABLE = ("objective_record", "analysis", "support_strategies", "follow_up")


def w(key: str, **values: object) -> str:
    zh, en = WORDS[key]
    text = en if st.session_state.get("language", "zh") == "en" else zh
    return text.format(**values) if values else text


def method_label(method: str) -> str:
    return METHODS_EN.get(method, method) if st.session_state.get("language", "zh") == "en" else method


user = require_user()
studio = get_studio()
st.session_state.setdefault("observation_nonce", uuid.uuid4().hex)


def sentence_box() -> None:
    """One sentence above the form (studio_ui.resource_sentence_box)."""
    resource_sentence_box(
        KIND, "observation", text_lists=(), field_label=lambda name: w(name) if name in WORDS else t(name)
    )


st.title(t("page_observation_record"))
st.caption(w("intro"))


shown: set[int] = set()  # versions rendered in this run (a version is drawn once)


def render_record(version_id: int) -> None:
    shown.add(version_id)
    version, _, record = studio.open_document(user, version_id)
    st.success(w("saved", number=version.number))
    for warning in record.warnings:
        st.warning(md(warning))
    st.download_button(
        w("download"),
        data=lambda: studio.export_document_docx(user, version_id),  # made on the click
        file_name=f"{record.title}.docx".replace("/", "-"),
        mime=DOCX_MIME,
        type="primary",
        key=f"observation_docx_{version_id}",
    )
    school_template_export(KIND, version_id, f"{record.title}-学校模板.docx".replace("/", "-"))
    titles = record.section_titles
    with st.container(border=True):
        st.subheader(md(record.title))
        facts = {name: md(getattr(record, name)) for name in ("child", "class_name", "date", "place", "observer")}
        st.caption(w("facts", age_band=value_label(record.age_band), **facts))
        if record.purpose:
            st.caption(w("purpose_line", purpose=md(record.purpose), method=md(record.method)))
        st.markdown(f"**{md(titles[0])}**  \n{md(record.objective_record)}")
        st.markdown(f"**{md(titles[1])}**  \n{md(record.analysis)}")
        guidelines = [f"{md(line.reference)}：{md(line.text)}" for line in record.guideline_lines]
        st.markdown(f"**{w('guidelines')}**  \n" + "  \n".join(guidelines or [md(record.guideline_note)]))
        strategies = "  \n".join(f"{number}\\. {md(text)}" for number, text in enumerate(record.support_strategies, 1))
        st.markdown(f"**{md(titles[2])}**  \n{strategies}")
        st.markdown(f"**{md(titles[3])}**  \n{md(record.follow_up)}")
    for finding in studio.document_findings(user, version_id):
        st.warning(md(finding))
    history = studio.versions(user, version.draft_id)
    st.caption(f"{w('history')}：" + "、".join(f"v{item.number} {md(item.note)}" for item in history))
    if version.id == history[-1].id:  # only the author may save (the core refuses anyone else)
        # 让模型改写一部分 (studio_ui): the proposal is saved as the next version, then shown.
        refine_part_controls(
            user,
            version.id,
            key="observation",
            on_saved=lambda saved_id: st.session_state.update(observation_shown=saved_id),
        )
        with st.expander(w("edit")), st.form(f"observation_edit_{version_id}"):
            changed = {
                name: st.text_area(
                    w(name),
                    value="\n".join(record.support_strategies)
                    if name == "support_strategies"
                    else getattr(record, name),
                    key=f"observation_edit_{name}_{version_id}",
                )
                for name in EDITABLE
            }
            if st.form_submit_button(w("save")):
                changed["support_strategies"] = [
                    line.strip() for line in changed["support_strategies"].splitlines() if line.strip()
                ]
                try:
                    saved = studio.save_document(
                        user, version.draft_id, record.model_copy(update=changed), base_version_id=version.id
                    )
                    st.session_state["observation_shown"] = saved.id
                    st.rerun()
                except StudioError as error:
                    show_error(error)


@st.fragment(run_every=1.0)
def poll(job_id: int) -> None:
    view = studio.job_view(user, job_id)
    if view.status not in ("queued", "running"):
        st.rerun()
    st.info(w("writing"))


job_id = st.session_state.get("observation_job")
if job_id is None:
    sentence_box()
    with st.form("observation"):
        left, middle, right = st.columns(3)
        left.text_input(w("class_name"), key="observation_class_name")
        middle.selectbox(t("age_band"), AGE_BANDS, index=1, key="observation_age_band", format_func=value_label)
        right.text_input(w("date"), value=f"{datetime.date.today():%Y年%m月%d日}", key="observation_date")
        left.text_input(w("child"), key="observation_child")
        middle.text_input(w("place"), key="observation_place")
        right.text_input(w("observer"), value=user.display_name, key="observation_observer")
        st.text_area(w("notes"), key="observation_notes", height=150)
        left, right = st.columns(2)
        left.text_input(w("activity"), key="observation_activity")
        right.selectbox(w("method"), METHODS, key="observation_method", format_func=method_label)
        st.text_input(w("purpose"), key="observation_purpose")
        st.radio(
            w("language"),
            list(RECORD_LANGUAGES),
            key="observation_language",
            format_func=RECORD_LANGUAGES.get,
            horizontal=True,
        )
        submitted = st.form_submit_button(w("generate"), type="primary")
    if submitted:
        fields = (
            "class_name",
            "age_band",
            "date",
            "place",
            "child",
            "observer",
            "notes",
            "purpose",
            "activity",
            "method",
            "language",
        )
        try:
            request = studio.resource_request_from_form(
                KIND, {name: st.session_state[f"observation_{name}"] for name in fields}
            )
            key = studio.idempotency_key(st.session_state["observation_nonce"], KIND, request.model_dump_json())
            st.session_state["observation_job"] = studio.submit_resource(user, KIND, request, idempotency_key=key)
            st.rerun()
        except StudioError as error:
            show_error(error)
else:
    view = studio.job_view(user, job_id)
    if view.status in ("queued", "running"):
        poll(job_id)
    elif view.status == "done" and view.version_id is not None:
        render_record(st.session_state.get("observation_shown") or view.version_id)
    else:
        st.error(f"{w('failed')}：{md(view.error)}")
    if view.status not in ("queued", "running") and st.button(w("new"), key="observation_new"):
        del st.session_state["observation_job"]
        st.session_state.pop("observation_shown", None)
        st.session_state["observation_nonce"] = uuid.uuid4().hex
        st.rerun()

records = studio.documents(user, KIND)
if records:
    st.subheader(w("mine"))
    titles_by_version = {draft.head_version_id: draft.title for draft in records}
    chosen = st.selectbox(
        w("open"),
        list(titles_by_version),
        key="observation_open",
        format_func=lambda version_id: md(titles_by_version[version_id]),
    )
    if chosen is not None and chosen not in shown:
        render_record(chosen)
