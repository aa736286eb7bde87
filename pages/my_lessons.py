"""我的教案: the teacher's saved plans, each with its latest version and a Word download (built-in
layout or a school template), PDF when LibreOffice is installed, and several plans at once: a .zip,
or one theme-unit document with a table of contents."""

import datetime

import streamlit as st

from lesson_studio.errors import StudioError
from lesson_studio.export import Cover, docx_to_pdf, pdf_available, plan_to_markdown, safe_file_stem
from studio_ui import docx_file_name, get_studio, render_plan, require_user, t

DOCX_MIME = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


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
with st.expander(t("export_options")):
    choices = {info.id: info.name for info in studio.templates.list_templates(user)}
    template_id = st.selectbox(
        t("export_template"),
        [None, *choices],
        format_func=lambda key: t("export_builtin") if key is None else choices[key],
        key="export_template",
    )
    left, right = st.columns(2)
    today = datetime.date.today()
    cover = Cover(
        teacher=left.text_input(t("export_teacher"), value=user.display_name, key="export_teacher"),
        class_name=right.text_input(t("export_class_name"), key="export_class"),
        date=left.text_input(t("export_date"), value=f"{today.year}年{today.month}月{today.day}日", key="export_date"),
        school=right.text_input(t("export_school"), key="export_school"),
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
if word is not None and pdf_available() and right.button(t("export_make_pdf")):
    try:
        with st.spinner(t("export_make_pdf")):
            pdf = docx_to_pdf(word)
        right.download_button(
            t("export_download_pdf"), data=pdf, file_name=docx_file_name(plan).replace(".docx", ".pdf")
        )
    except StudioError as error:
        st.error(str(error))

with st.expander(t("export_several")):
    several = st.multiselect(t("export_choose"), list(labels), format_func=labels.get, key="export_several")
    if several:
        ids = [versions[draft_id] for draft_id in several]
        with_markdown = st.checkbox(t("export_with_md"), key="export_with_md")
        # One LibreOffice run converts them all, after the click: a few seconds, more for many plans.
        with_pdf = pdf_available() and st.checkbox(t("export_with_pdf"), key="export_with_pdf")
        unit_title = st.text_input(t("export_unit_title"), value="主题单元", key="export_unit_title")
        left, right = st.columns(2)
        # Deferred: the files are made only when the button is clicked, not on every rerun.
        left.download_button(
            t("export_zip"),
            data=lambda: studio.export_versions_zip(
                user, ids, cover=cover, template_id=template_id, markdown=with_markdown, pdf=with_pdf
            ),
            file_name=f"{safe_file_stem(unit_title)}.zip",
            mime="application/zip",
        )
        right.download_button(
            t("export_unit"),
            data=lambda: studio.export_unit_docx(user, ids, title=unit_title, cover=cover),
            file_name=f"{safe_file_stem(unit_title)}.docx",
            mime=DOCX_MIME,
        )

render_plan(plan)
