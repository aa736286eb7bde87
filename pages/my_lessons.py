"""我的教案: the teacher's saved plans, each with its latest version and a Word download."""

import streamlit as st

from lesson_studio.export import plan_to_markdown
from studio_ui import docx_file_name, get_studio, render_plan, require_user, t

user = require_user()
studio = get_studio()
st.title(t("page_mine"))

drafts = studio.store.list_drafts(user)
if not drafts:
    st.info(t("no_drafts"))
    st.stop()

labels = {draft.id: f"{draft.title}（v{draft.head_number}，{draft.updated_at:%Y-%m-%d %H:%M}）" for draft in drafts}
chosen = st.selectbox(t("page_mine"), list(labels), format_func=labels.get, label_visibility="collapsed")
draft = next(d for d in drafts if d.id == chosen)
if draft.head_version_id is not None:
    version, plan = studio.store.get_version(user, draft.head_version_id)
    left, right = st.columns(2)
    left.download_button(
        t("download_docx"),
        data=studio.export_docx(user, version.id),
        file_name=docx_file_name(plan),
        mime="application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        type="primary",
    )
    right.download_button(t("download_md"), data=plan_to_markdown(plan), file_name=docx_file_name(plan).replace(".docx", ".md"))
    render_plan(plan)
