"""我的教案: the teacher's saved plans, each with its latest version and a Word download (built-in
layout or a school template), PDF when LibreOffice is installed, and several plans at once: a .zip,
or one theme-unit document with a table of contents."""

import streamlit as st

from lesson_studio.export import pdf_available, safe_file_stem
from studio_ui import DOCX_MIME, export_buttons, get_studio, render_plan, require_user, t

user = require_user()
studio = get_studio()
st.title(t("page_mine"))

drafts = [draft for draft in studio.list_plans(user) if draft.head_version_id is not None]
if not drafts:
    st.info(t("no_drafts"))
    st.stop()

labels = {
    draft.id: f"{draft.title}（v{draft.head_number}，{draft.updated_at:%Y-%m-%d %H:%M}）"
    + ("" if draft.owner_id == user.id else f" · {draft.owner_name}")
    for draft in drafts
}
owners = {draft.id: draft for draft in drafts}
versions = {draft.id: draft.head_version_id for draft in drafts}
chosen = st.selectbox(t("page_mine"), list(labels), format_func=labels.get, label_visibility="collapsed")
version, plan = studio.open_version(user, versions[chosen])
template_id, cover = export_buttons(user, version.id, plan, key="export")

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

render_plan(
    plan,
    author="" if owners[chosen].owner_id == user.id else owners[chosen].owner_name,
    retired=studio.retired_citations(user, plan),
)
