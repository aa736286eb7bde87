"""课程资源库: search the library (the same retriever generation uses) and list its documents."""

import streamlit as st

from lesson_studio.errors import StudioError
from lesson_studio.models import AGE_BANDS
from studio_ui import ensure_library, get_studio, md, require_user, show_error, t

user = require_user()
studio = get_studio()
ensure_library()
st.title(t("page_library"))

query = st.text_input(t("search"), placeholder=t("search_placeholder"))
age_band = st.selectbox(t("age_band"), ["", *AGE_BANDS], format_func=lambda band: band or "—")
if query.strip():
    try:
        hits = studio.library.search(user, query, k=5, age_band=age_band or None)
    except StudioError as error:
        show_error(error)
        hits = []
    for number, hit in enumerate(hits, start=1):
        citation = hit.citation
        with st.container(border=True):
            # Titles, headings and passages come from uploaded files: shown as text, never as Markdown.
            st.markdown(f"**\\[{number}\\] 《{md(citation.document_title)}》** {md(citation.heading)}")
            if user.role in ("lead", "admin"):  # scores and chunk ids are for testing retrieval, not for teachers
                st.caption(f"{hit.score:.3f} · {md(hit.chunk_id)}")
            st.markdown(md(hit.text))

with st.expander(t("documents")):
    for doc in studio.library.list_documents(user):
        st.markdown(f"- {md(doc.title)}（{doc.chunks}）")
