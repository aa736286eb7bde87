"""我的教案: the teacher's saved plans, each with its latest version and a Word download (built-in
layout or a school template), PDF when LibreOffice is installed, and several plans at once: a .zip,
or one theme-unit document with a table of contents."""

import datetime

import streamlit as st

from lesson_studio.errors import StudioError
from lesson_studio.export import Cover, docx_to_pdf, pdf_available, plan_to_markdown, safe_file_stem
from studio_ui import docx_file_name, get_studio, render_plan, require_user, t

# Strings this page added (to move into resources/i18n.toml).
TEXT = {
    "zh": {
        "options": "导出设置（模板、班级、日期）",
        "template": "版式",
        "builtin": "内置表格式教案",
        "teacher": "执教教师",
        "class_name": "班级",
        "date": "日期",
        "school": "幼儿园名称",
        "make_pdf": "生成 PDF",
        "download_pdf": "下载 PDF",
        "several": "批量导出",
        "choose": "选择教案（按选择顺序导出）",
        "zip": "打包下载（.zip）",
        "with_md": "同时包含 Markdown",
        "unit_title": "主题单元名称",
        "unit": "合成主题单元（含目录）",
    },
    "en": {
        "options": "Export settings (template, class, date)",
        "template": "Layout",
        "builtin": "Built-in 表格式教案",
        "teacher": "Teacher",
        "class_name": "Class",
        "date": "Date",
        "school": "Kindergarten name",
        "make_pdf": "Make PDF",
        "download_pdf": "Download PDF",
        "several": "Export several",
        "choose": "Choose plans (exported in this order)",
        "zip": "Download as .zip",
        "with_md": "Include Markdown",
        "unit_title": "Theme unit title",
        "unit": "One theme-unit document (with contents)",
    },
}
DOCX_MIME = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def tr(key: str) -> str:
    return TEXT[st.session_state.get("language", "zh")][key]


user = require_user()
studio = get_studio()
st.title(t("page_mine"))

drafts = [draft for draft in studio.store.list_drafts(user) if draft.head_version_id is not None]
if not drafts:
    st.info(t("no_drafts"))
    st.stop()

labels = {draft.id: f"{draft.title}（v{draft.head_number}，{draft.updated_at:%Y-%m-%d %H:%M}）" for draft in drafts}
versions = {draft.id: draft.head_version_id for draft in drafts}
chosen = st.selectbox(t("page_mine"), list(labels), format_func=labels.get, label_visibility="collapsed")
version, plan = studio.store.get_version(user, versions[chosen])
with st.expander(tr("options")):
    choices = {info.id: info.name for info in studio.templates.list_templates(user)}
    template_id = st.selectbox(
        tr("template"),
        [None, *choices],
        format_func=lambda key: tr("builtin") if key is None else choices[key],
        key="export_template",
    )
    left, right = st.columns(2)
    today = datetime.date.today()
    cover = Cover(
        teacher=left.text_input(tr("teacher"), value=user.display_name, key="export_teacher"),
        class_name=right.text_input(tr("class_name"), key="export_class"),
        date=left.text_input(tr("date"), value=f"{today.year}年{today.month}月{today.day}日", key="export_date"),
        school=right.text_input(tr("school"), key="export_school"),
    )

try:
    word = studio.export_version_docx(user, version.id, cover=cover, template_id=template_id)
except StudioError as error:
    st.error(str(error))
    word = None
left, middle, right = st.columns(3)
if word is not None:
    left.download_button(t("download_docx"), data=word, file_name=docx_file_name(plan), mime=DOCX_MIME, type="primary")
middle.download_button(
    t("download_md"), data=plan_to_markdown(plan), file_name=docx_file_name(plan).replace(".docx", ".md")
)
if word is not None and pdf_available() and right.button(tr("make_pdf")):
    try:
        with st.spinner(tr("make_pdf")):
            pdf = docx_to_pdf(word)
        right.download_button(tr("download_pdf"), data=pdf, file_name=docx_file_name(plan).replace(".docx", ".pdf"))
    except StudioError as error:
        st.error(str(error))

with st.expander(tr("several")):
    several = st.multiselect(tr("choose"), list(labels), format_func=labels.get, key="export_several")
    if several:
        ids = [versions[draft_id] for draft_id in several]
        with_markdown = st.checkbox(tr("with_md"), key="export_with_md")
        unit_title = st.text_input(tr("unit_title"), value="主题单元", key="export_unit_title")
        left, right = st.columns(2)
        # Deferred: the files are made only when the button is clicked, not on every rerun.
        left.download_button(
            tr("zip"),
            data=lambda: studio.export_versions_zip(
                user, ids, cover=cover, template_id=template_id, markdown=with_markdown
            ),
            file_name=f"{safe_file_stem(unit_title)}.zip",
            mime="application/zip",
        )
        right.download_button(
            tr("unit"),
            data=lambda: studio.export_unit_docx(user, ids, title=unit_title, cover=cover),
            file_name=f"{safe_file_stem(unit_title)}.docx",
            mime=DOCX_MIME,
        )

render_plan(plan)
