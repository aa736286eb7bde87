"""创造力观察清单: the form -> a saved request -> a job through the one pipeline -> the checklist,
the teacher's marks and evidence per child (a new version on save), its versions and its Word
file. Every model or user text reaches the page through studio_ui.md; no mark is ever summed."""

import datetime
import uuid

import streamlit as st

from lesson_studio.errors import StudioError
from lesson_studio.models import AGE_BANDS
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

KIND = "creativity_checklist"
MARK_CHOICES = ("", "未观察到", "偶尔", "经常")  # "": not recorded yet
# This page's words, Chinese and English (the type's own file: nothing added to i18n.toml but its title).
WORDS = {
    "intro": (
        "按流畅性、变通性、独创性、精细性和学习品质，记下每个孩子做了什么、说了什么：只勾未观察到、偶尔、经常，"
        "每个勾配一句看到的事实，不打分、不排名。",
        "Notice each child through fluency, flexibility, originality, elaboration and learning dispositions: "
        "tick not observed, sometimes or often with one sentence of what you saw. No scores, no rankings.",
    ),
    "class_name": ("班级", "Class"),
    "activity": ("活动名称（孩子们在做什么）", "Activity (what the children are doing)"),
    "date": ("日期", "Date"),
    "teacher": ("教师", "Teacher"),
    "language": ("清单语言", "Language of the checklist"),
    "children": (
        "观察的幼儿（每行一个，或用顿号、逗号分开；不填则生成一张空白表）",
        "Children to observe (one a line, or separated by 、 or commas; none gives one blank sheet)",
    ),
    "generate": ("生成观察清单", "Write the checklist"),
    "writing": ("正在写观察清单……", "Writing the checklist…"),
    "saved": ("已保存为第{number}版", "Saved as version {number}"),
    "look_fors": ("观察要点", "Look-fors"),
    "how": ("怎样观察", "How to observe"),
    "record": ("记录观察", "Record what you saw"),
    "blank_sheet": ("空白表", "Blank sheet"),
    "evidence": ("{item}：看到的事实（一句话）", "{item}: what you saw (one sentence)"),
    "save": ("保存为新版本", "Save as a new version"),
    "download": ("下载 Word", "Download Word"),
    "new": ("再写一份", "Write another"),
    "mine": ("我的观察清单", "My observation checklists"),
    "open": ("打开", "Open"),
    "failed": ("没有写成", "Not written"),
    "history": ("版本", "Versions"),
    "not_recorded": ("未记录", "Not recorded"),
    "未观察到": ("未观察到", "Not observed"),
    "偶尔": ("偶尔", "Sometimes"),
    "经常": ("经常", "Often"),
}


def w(key: str, **values: object) -> str:
    zh, en = WORDS[key]
    text = en if st.session_state.get("language", "zh") == "en" else zh
    return text.format(**values) if values else text


def mark_label(mark: str) -> str:
    return w(mark) if mark else w("not_recorded")


CHECKLIST_LANGUAGES = {"zh": "中文", "en": "English"}
user = require_user()
studio = get_studio()
st.session_state.setdefault("checklist_nonce", uuid.uuid4().hex)


def sentence_box() -> None:
    """One sentence above the form (studio_ui.resource_sentence_box)."""
    resource_sentence_box(
        KIND, "checklist", text_lists=("children",), field_label=lambda name: w(name) if name in WORDS else t(name)
    )


st.title(t("page_creativity_checklist"))
st.caption(w("intro"))


shown: set[int] = set()  # versions rendered in this run (a version is drawn once)


def render_checklist(version_id: int) -> None:
    shown.add(version_id)
    version, _, checklist = studio.open_document(user, version_id)
    st.success(w("saved", number=version.number))
    for warning in checklist.warnings:
        st.warning(md(warning))
    st.download_button(
        w("download"),
        data=lambda: studio.export_document_docx(user, version_id),  # made on the click
        file_name=f"{checklist.title}.docx".replace("/", "-"),
        mime=DOCX_MIME,
        type="primary",
        key=f"checklist_docx_{version_id}",
    )
    school_template_export(KIND, version_id, f"{checklist.title}-学校模板.docx".replace("/", "-"))
    with st.container(border=True):
        st.subheader(md(checklist.title))
        details = (checklist.class_name, value_label(checklist.age_band), checklist.date, checklist.teacher)
        st.caption(" · ".join(md(part) for part in details if part))
        st.markdown(md(checklist.activity))
        st.info(md(checklist.principle))
        for item in checklist.items:
            st.markdown(f"**{md(item.name)}**：{md(item.meaning)}")
            st.markdown("\n".join(f"- {md(look_for)}" for look_for in item.look_fors))
            if item.how_to_observe:
                st.caption(f"{w('how')}：{md(item.how_to_observe)}")
    for finding in studio.document_findings(user, version_id):
        st.warning(md(finding))
    history = studio.versions(user, version.draft_id)
    st.caption(f"{w('history')}：" + "、".join(f"v{item.number} {md(item.note)}" for item in history))
    if version.id == history[-1].id:  # only the author may save (the core refuses anyone else)
        # 让模型改写一部分 (studio_ui): the proposal is saved as the next version, then shown.
        refine_part_controls(
            user,
            version.id,
            key="checklist",
            on_saved=lambda saved_id: st.session_state.update(checklist_shown=saved_id),
        )
        with st.form(f"checklist_record_{version_id}"):
            st.subheader(w("record"))
            recorded = {}
            for index, sheet in enumerate(checklist.sheets):
                with st.expander(md(sheet.child) or w("blank_sheet"), expanded=index == 0):
                    for item in checklist.items:
                        record = sheet.record(item.id)
                        mark = st.radio(
                            md(item.name),
                            MARK_CHOICES,
                            index=MARK_CHOICES.index(record.mark),
                            format_func=mark_label,
                            horizontal=True,
                            key=f"mark_{version_id}_{index}_{item.id}",
                        )
                        evidence = st.text_input(
                            w("evidence", item=item.name),
                            value=record.evidence,
                            max_chars=360 if checklist.language == "en" else 120,  # English: ~3x the characters
                            key=f"evidence_{version_id}_{index}_{item.id}",
                        )
                        recorded[(index, item.id)] = (mark, evidence)
            if st.form_submit_button(w("save")):
                try:
                    saved = studio.save_document(
                        user, version.draft_id, checklist.with_records(recorded), base_version_id=version.id
                    )
                    st.session_state["checklist_shown"] = saved.id
                    st.rerun()
                except StudioError as error:
                    show_error(error)


@st.fragment(run_every=1.0)
def poll(job_id: int) -> None:
    view = studio.job_view(user, job_id)
    if view.status not in ("queued", "running"):
        st.rerun()
    st.info(w("writing"))


job_id = st.session_state.get("checklist_job")
if job_id is None:
    sentence_box()
    with st.form("checklist"):
        left, middle, right = st.columns(3)
        left.text_input(w("class_name"), key="checklist_class_name")
        middle.text_input(w("teacher"), value=user.display_name, key="checklist_teacher")
        right.text_input(w("date"), value=f"{datetime.date.today():%Y年%m月%d日}", key="checklist_date")
        st.selectbox(t("age_band"), AGE_BANDS, index=1, key="checklist_age_band", format_func=value_label)
        st.text_input(w("activity"), key="checklist_activity")
        st.text_area(w("children"), key="checklist_children", height=100)
        st.radio(
            w("language"),
            list(CHECKLIST_LANGUAGES),
            key="checklist_language",
            format_func=CHECKLIST_LANGUAGES.get,
            horizontal=True,
        )
        submitted = st.form_submit_button(w("generate"), type="primary")
    if submitted:
        fields = ("class_name", "teacher", "date", "age_band", "activity", "children", "language")
        try:
            request = studio.resource_request_from_form(
                KIND, {name: st.session_state[f"checklist_{name}"] for name in fields}
            )
            key = studio.idempotency_key(st.session_state["checklist_nonce"], KIND, request.model_dump_json())
            st.session_state["checklist_job"] = studio.submit_resource(user, KIND, request, idempotency_key=key)
            st.rerun()
        except StudioError as error:
            show_error(error)
else:
    view = studio.job_view(user, job_id)
    if view.status in ("queued", "running"):
        poll(job_id)
    elif view.status == "done" and view.version_id is not None:
        render_checklist(st.session_state.get("checklist_shown") or view.version_id)
    else:
        st.error(f"{w('failed')}：{md(view.error)}")
    if view.status not in ("queued", "running") and st.button(w("new"), key="checklist_new"):
        del st.session_state["checklist_job"]
        st.session_state.pop("checklist_shown", None)
        st.session_state["checklist_nonce"] = uuid.uuid4().hex
        st.rerun()

checklists = studio.documents(user, KIND)
if checklists:
    st.subheader(w("mine"))
    titles = {draft.head_version_id: draft.title for draft in checklists}
    chosen = st.selectbox(
        w("open"), list(titles), key="checklist_open", format_func=lambda version_id: md(titles[version_id])
    )
    if chosen is not None and chosen not in shown:
        render_checklist(chosen)
