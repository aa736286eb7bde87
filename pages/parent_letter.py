"""家长信 / 家园联系: the form -> a saved request -> a job through the one pipeline -> the letter,
its versions and its Word file. Every model or user text reaches the page through studio_ui.md."""

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

KIND = "parent_letter"
# This page's words, Chinese and English (the type's own file: nothing added to i18n.toml but its title).
WORDS = {
    "intro": (
        "用大白话写给家长：一个不用花钱的家庭小任务、安全的收集清单，以及班级、教师和日期。",
        "A letter in plain words: one family task that needs nothing bought, a safe collection list, class, teacher and date.",
    ),
    "class_name": ("班级", "Class"),
    "teacher": ("教师", "Teacher"),
    "date": ("日期", "Date"),
    "topic": ("我们正在做的事", "What the class is working on"),
    "collect": ("请家长收集的材料（用顿号分开）", "Items families may collect (separated by 、)"),
    "notes": ("备注", "Notes"),
    "contact": ("联系方式（可不填）", "Contact (optional)"),
    "generate": ("生成家长信", "Write the letter"),
    "writing": ("正在写家长信……", "Writing the letter…"),
    "saved": ("已保存为第{number}版", "Saved as version {number}"),
    "removed": ("已从收集清单中去掉", "Taken off the collection list"),
    "task": ("家庭小任务", "Family task"),
    "collection": ("请帮忙收集", "Please collect"),
    "exclusions": ("为了孩子的安全，请不要带", "For the children's safety, please do not send"),
    "safety": ("温馨提示", "Reminder"),
    "download": ("下载 Word", "Download Word"),
    "new": ("再写一封", "Write another"),
    "mine": ("我的家长信", "My parent letters"),
    "open": ("打开", "Open"),
    "failed": ("没有写成", "Not written"),
    "edit": ("修改这封信", "Edit this letter"),
    "what_and_why": ("做什么、为什么", "What and why"),
    "child_part": ("孩子做什么", "What the children do"),
    "safety_and_time": ("温馨提示", "Reminder"),
    "thanks": ("感谢", "Thanks"),
    "save": ("保存为新版本", "Save as a new version"),
    "history": ("版本", "Versions"),
    "language": ("信的语言", "Letter language"),
}
LETTER_LANGUAGES = {"zh": "中文", "en": "English"}
EDITABLE = ("what_and_why", "child_part", "family_task", "safety_and_time", "thanks")
WORDS["family_task"] = WORDS["task"]


def w(key: str, **values: object) -> str:
    zh, en = WORDS[key]
    text = en if st.session_state.get("language", "zh") == "en" else zh
    return text.format(**values) if values else text


user = require_user()
studio = get_studio()
st.session_state.setdefault("letter_nonce", uuid.uuid4().hex)


def sentence_box() -> None:
    """One sentence above the form (studio_ui.resource_sentence_box)."""
    resource_sentence_box(
        KIND, "letter", text_lists=("collect",), field_label=lambda name: w(name) if name in WORDS else t(name)
    )


st.title(t("page_parent_letter"))
st.caption(w("intro"))


shown: set[int] = set()  # versions rendered in this run (a version is drawn once)


def show_saved(version_id: int) -> None:
    st.session_state["letter_shown"] = version_id


def render_letter(version_id: int) -> None:
    shown.add(version_id)
    version, _, letter = studio.open_document(user, version_id)
    st.success(w("saved", number=version.number))
    for warning in letter.warnings:
        st.warning(md(warning))
    st.download_button(
        w("download"),
        data=lambda: studio.export_document_docx(user, version_id),  # made on the click
        file_name=f"{letter.class_name}-{letter.title}.docx".replace("/", "-"),
        mime=DOCX_MIME,
        type="primary",
        key=f"letter_docx_{version_id}",
    )
    school_template_export(KIND, version_id, f"{letter.class_name}-{letter.title}-学校模板.docx".replace("/", "-"))
    with st.container(border=True):
        st.subheader(md(letter.title))
        st.markdown(md(letter.salutation))
        st.markdown(md(letter.what_and_why))
        st.markdown(md(letter.child_part))
        st.markdown(f"**{w('task')}**：{md(letter.family_task)}")
        if letter.collection:
            st.markdown(f"**{w('collection')}**：{md('、'.join(item.name for item in letter.collection))}")
            st.caption(md(letter.collection_note))
        st.markdown(f"**{w('exclusions')}**：{md('、'.join(letter.exclusions))}")
        st.markdown(f"**{w('safety')}**：{md(letter.safety_and_time)}")
        st.markdown(md(letter.thanks))
        st.markdown(md(f"{letter.class_name}　{letter.teacher}　{letter.contact}　{letter.date}".replace("　　", "　")))
    for finding in studio.document_findings(user, version_id):
        st.warning(md(finding))
    history = studio.versions(user, version.draft_id)
    st.caption(f"{w('history')}：" + "、".join(f"v{item.number} {md(item.note)}" for item in history))
    if version.id == history[-1].id:  # only the author may save (the core refuses anyone else)
        refine_part_controls(user, version.id, key="letter", on_saved=show_saved)
        with st.expander(w("edit")), st.form(f"letter_edit_{version_id}"):
            changed = {
                name: st.text_area(w(name), value=getattr(letter, name), key=f"edit_{name}_{version_id}")
                for name in EDITABLE
            }
            if st.form_submit_button(w("save")):
                try:
                    saved = studio.save_document(
                        user, version.draft_id, letter.model_copy(update=changed), base_version_id=version.id
                    )
                    st.session_state["letter_shown"] = saved.id
                    st.rerun()
                except StudioError as error:
                    show_error(error)


@st.fragment(run_every=1.0)
def poll(job_id: int) -> None:
    view = studio.job_view(user, job_id)
    if view.status not in ("queued", "running"):
        st.rerun()
    st.info(w("writing"))


job_id = st.session_state.get("letter_job")
if job_id is None:
    sentence_box()
    with st.form("letter"):
        left, middle, right = st.columns(3)
        left.text_input(w("class_name"), key="letter_class_name")
        middle.text_input(w("teacher"), value=user.display_name, key="letter_teacher")
        right.text_input(w("date"), value=f"{datetime.date.today():%Y年%m月%d日}", key="letter_date")
        st.selectbox(t("age_band"), AGE_BANDS, index=1, key="letter_age_band", format_func=value_label)
        st.text_input(w("topic"), key="letter_topic")
        st.text_input(w("collect"), key="letter_collect")
        st.text_area(w("notes"), key="letter_notes", height=68)
        st.text_input(w("contact"), key="letter_contact")
        st.radio(
            w("language"),
            list(LETTER_LANGUAGES),
            key="letter_language",
            format_func=LETTER_LANGUAGES.get,
            horizontal=True,
        )
        submitted = st.form_submit_button(w("generate"), type="primary")
    if submitted:
        fields = ("class_name", "teacher", "date", "age_band", "topic", "collect", "notes", "contact", "language")
        try:
            request = studio.resource_request_from_form(
                KIND, {name: st.session_state[f"letter_{name}"] for name in fields}
            )
            key = studio.idempotency_key(st.session_state["letter_nonce"], KIND, request.model_dump_json())
            st.session_state["letter_job"] = studio.submit_resource(user, KIND, request, idempotency_key=key)
            st.rerun()
        except StudioError as error:
            show_error(error)
else:
    view = studio.job_view(user, job_id)
    if view.status in ("queued", "running"):
        poll(job_id)
    elif view.status == "done" and view.version_id is not None:
        render_letter(st.session_state.get("letter_shown") or view.version_id)
    else:
        st.error(f"{w('failed')}：{md(view.error)}")
    if view.status not in ("queued", "running") and st.button(w("new"), key="letter_new"):
        del st.session_state["letter_job"]
        st.session_state.pop("letter_shown", None)
        st.session_state["letter_nonce"] = uuid.uuid4().hex
        st.rerun()

letters = studio.documents(user, KIND)
if letters:
    st.subheader(w("mine"))
    titles = {draft.head_version_id: draft.title for draft in letters}
    chosen = st.selectbox(
        w("open"), list(titles), key="letter_open", format_func=lambda version_id: md(titles[version_id])
    )
    if chosen is not None and chosen not in shown:
        render_letter(chosen)
