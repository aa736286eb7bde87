"""学校模板: a curriculum lead uploads and checks the school's .docx template; everyone sees the list
and the placeholder names."""

import streamlit as st

from lesson_studio.errors import StudioError
from lesson_studio.export import reference_markdown
from studio_ui import get_studio, in_language, md, require_user, show_error, t

DOCX_MIME = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


user = require_user()
templates = get_studio().templates
can_manage = user.role in ("lead", "admin")
st.title(t("tpl_title"))
st.caption(t("tpl_intro"))
if "template_saved" in st.session_state:
    st.success(md(t("tpl_saved", name=st.session_state.pop("template_saved"))))
# Which kind of resource each template is for ("家长信 / parent letter"), in the page's language.
kinds = {kind: in_language(label) for kind, label in templates.template_types().items()}

for info in templates.list_templates(user, kind=None):
    when = f"，{info.uploaded_at[:10]}" if info.uploaded_at else ""
    # A template's name and uploader are what a lead typed: inert text in the label, never Markdown.
    with st.expander(md(f"{info.name}（{info.uploaded_by}{when}）"), expanded=False):
        st.caption(t("tpl_kind") + kinds.get(info.resource_type, info.resource_type))
        st.caption(t("tpl_used") + md("、".join(info.placeholders)))
        for warning in info.warnings:
            st.warning(md(warning))
        st.download_button(
            t("tpl_download"),
            data=templates.read(user, info.id),
            file_name=info.file_name,
            mime=DOCX_MIME,
            key=f"get-{info.id}",
        )
        if can_manage and not info.builtin and st.button(t("tpl_remove"), key=f"remove-{info.id}"):
            try:
                templates.remove(user, info.id)
                st.rerun()
            except StudioError as error:
                show_error(error)

st.subheader(t("tpl_upload"))
if not can_manage:
    st.info(t("tpl_leads_only"))
else:
    # A new key after each save empties the uploader, so the saved file is not offered again.
    upload_round = st.session_state.get("template_upload_round", 0)
    kind = st.selectbox(t("tpl_for"), list(kinds), format_func=kinds.get, help=t("tpl_for_help"), key="template_kind")
    uploaded = st.file_uploader(t("tpl_file"), type=["docx"], key=f"template_file-{upload_round}")
    if uploaded is not None:
        data = uploaded.getvalue()
        result = templates.check(user, data, kind)
        if result.ok:
            st.success(t("tpl_ok"))
        else:
            st.error(t("tpl_errors") + "\n\n" + "\n".join(f"- {md(error)}" for error in result.errors))
        for warning in result.warnings:
            st.warning(md(warning))
        if result.placeholders:
            st.caption(t("tpl_used") + md("、".join(result.placeholders)))
        name = st.text_input(t("tpl_name"), value=uploaded.name.removesuffix(".docx"), key="template_name")
        if st.button(t("tpl_save"), type="primary", disabled=not result.ok):
            try:
                info = templates.upload(user, name=name, data=data, file_name=uploaded.name, kind=kind)
                st.session_state["template_saved"] = info.name
                st.session_state["template_upload_round"] = upload_round + 1
                st.rerun()
            except StudioError as error:
                show_error(error)

with st.expander(t("tpl_reference")):
    st.markdown(t("tpl_howto"))
    st.markdown(reference_markdown())
for other_kind, label in kinds.items():
    if other_kind != "lesson_plan":  # the 教案's list is the one above
        with st.expander(t("tpl_reference_for", kind=label)):
            st.markdown(templates.reference_markdown(other_kind))
