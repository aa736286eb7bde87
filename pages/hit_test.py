"""检索测试 (leads and admins): a question and the filters generation uses, the ranked passages with
the fused score and where the dense and the keyword side ranked each, through the retriever
generation uses (Library.search); a question can be saved with the passage it should find, and
the saved questions are run again on every visit (how many find their passage in the top 5)."""

import pandas as pd
import streamlit as st

from lesson_studio.errors import StudioError
from lesson_studio.library.curation import COMMON_RESOURCE_TYPES, HIT_TEST_DEPTH
from lesson_studio.library.tags import DOMAINS
from lesson_studio.models import AGE_BANDS
from studio_ui import ensure_library, get_studio, md, require_user, show_error, t, value_label

user = require_user()
studio = get_studio()
ensure_library()
library = studio.library
st.title(t("page_hit_test"))
if st.session_state.get("hit_done"):
    st.success(md(st.session_state.pop("hit_done")))
try:
    saved = library.check_hit_tests(user)
except StudioError as error:
    show_error(error)
    st.stop()

with st.form("hit_test"):
    question = st.text_input(t("hit_question"), key="hit_question", placeholder=t("hit_question_placeholder"))
    left, middle, right = st.columns(3)
    age_band = left.selectbox(
        t("age_band"), ["", *AGE_BANDS], format_func=lambda v: value_label(v) if v else "—", key="hit_age_band"
    )
    domain = middle.selectbox(
        t("domain"), ["", *DOMAINS], format_func=lambda v: value_label(v) if v else "—", key="hit_domain"
    )
    resource_type = right.selectbox(
        t("tag_resource_type"), ["", *COMMON_RESOURCE_TYPES], format_func=lambda v: v or "—", key="hit_resource_type"
    )
    if st.form_submit_button(t("hit_run"), type="primary"):
        st.session_state["hit_asked"] = (question, age_band, domain, resource_type)

asked = st.session_state.get("hit_asked")
if asked:
    question, age_band, domain, resource_type = asked
    try:
        ranked = library.hit_test(user, question, k=10, age_band=age_band, domain=domain, resource_type=resource_type)
    except StudioError as error:
        show_error(error)
        ranked = []
    if not ranked:
        st.info(t("hit_nothing"))
    if ranked:
        # Ranks, not raw similarities: the embedding model's cosines sit in a narrow band (DESIGN.md).
        st.dataframe(
            pd.DataFrame(
                {
                    t("hit_col_rank"): list(range(1, len(ranked) + 1)),
                    t("hit_col_score"): [round(r.score, 4) for r in ranked],
                    # "—": that side did not find the passage among its candidates.
                    t("hit_col_dense"): [str(r.dense_rank or "—") for r in ranked],
                    t("hit_col_keyword"): [str(r.keyword_rank or "—") for r in ranked],
                    t("hit_col_document"): [r.hit.citation.document_title for r in ranked],
                    t("hit_col_heading"): [r.hit.citation.heading for r in ranked],
                    t("hit_col_text"): [r.hit.text for r in ranked],
                }
            ),
            hide_index=True,
            width="stretch",
        )
        st.caption(t("hit_ranks_intro"))
        labels = {
            r.hit.chunk_id: f"{n}. 《{r.hit.citation.document_title}》{r.hit.citation.heading}：{r.hit.text[:40]}"
            for n, r in enumerate(ranked, 1)
        }
        expected = st.selectbox(t("hit_expected"), list(labels), format_func=labels.get, key="hit_expected")
        if st.button(t("hit_save"), key="hit_save"):
            try:
                library.save_hit_test(
                    user, question, expected, age_band=age_band, domain=domain, resource_type=resource_type
                )
                st.session_state["hit_done"] = t("hit_saved")
                st.rerun()
            except StudioError as error:
                show_error(error)

st.subheader(t("hit_saved_title"))
if not saved:
    st.info(t("hit_none_saved"))
else:
    found = sum(result.found for result in saved)
    st.metric(t("hit_regression", depth=HIT_TEST_DEPTH), f"{found} / {len(saved)}")
    for result in saved:
        left, right = st.columns([5, 1])
        where = t("hit_found_at", rank=result.rank) if result.found else f":red[{t('hit_not_found')}]"
        filters = " · ".join(value_label(v) for v in (result.age_band, result.domain, result.resource_type) if v)
        left.markdown(f"**{md(result.question)}** {md(filters)} — {where}")
        left.caption(f"{t('hit_expected_short')}：{md(result.expected_text[:80])}（{md(result.created_by)}）")
        if right.button(t("hit_remove"), key=f"hit_remove_{result.id}"):
            try:
                library.remove_hit_test(user, result.id)
                st.rerun()
            except StudioError as error:
                show_error(error)
