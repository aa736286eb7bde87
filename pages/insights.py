"""资源使用与缺口 (leads and admins): which library documents generation uses and teachers' plans
cite, over time; which domains × age bands (and CPS stages) the library covers thinly. CSV of both."""

import altair as alt
import pandas as pd
import streamlit as st

from lesson_studio.errors import StudioError
from lesson_studio.usage import coverage, coverage_csv, document_usage, usage_csv
from studio_ui import get_studio, md, require_user, show_error, t

user = require_user()
studio = get_studio()
st.title(t("page_insights"))
try:
    usage = document_usage(studio.store, user)
    cells, stages = coverage(studio.store, user)
except StudioError as error:
    show_error(error)
    st.stop()

usage_tab, coverage_tab = st.tabs([t("insights_usage"), t("insights_coverage")])
with usage_tab:
    st.caption(t("insights_usage_intro"))
    # A dataframe shows values as plain text (titles come from uploaded files).
    st.dataframe(
        pd.DataFrame(
            {
                t("insights_title"): [u.title for u in usage],
                t("insights_type"): [u.resource_type for u in usage],
                t("insights_retrieved"): [u.retrieved for u in usage],
                t("insights_cited"): [u.cited_in_plans for u in usage],
            }
        ),
        hide_index=True,
        width="stretch",
    )
    used = [u for u in usage if u.by_month]
    if used:
        chosen = st.selectbox(t("insights_over_time"), [u.document_id for u in used], format_func=lambda i: next(u.title for u in used if u.document_id == i))
        months = next(u for u in used if u.document_id == chosen).by_month
        st.bar_chart(
            pd.DataFrame(
                {t("insights_retrieved"): [r for r, _ in months.values()], t("insights_cited"): [c for _, c in months.values()]},
                index=list(months),
            )
        )
    st.download_button(t("insights_csv"), usage_csv(usage), file_name="资源使用情况.csv", mime="text/csv", key="usage_csv")

with coverage_tab:
    st.caption(t("insights_coverage_intro"))
    frame = pd.DataFrame(
        {
            "领域": [c.domain for c in cells],
            "年龄段": [c.age_band for c in cells],
            "资料数": [c.documents for c in cells],
            "教案数": [c.plans for c in cells],
            "标记": ["待补充" if c.thin else "" for c in cells],
        }
    )
    base = alt.Chart(frame).encode(x=alt.X("年龄段:N", sort=["小班", "中班", "大班"]), y=alt.Y("领域:N"))
    heat = base.mark_rect().encode(color=alt.Color("资料数:Q", scale=alt.Scale(scheme="greens")), tooltip=list(frame.columns))
    labels = base.mark_text(fontSize=13).encode(text=alt.Text("label:N")).transform_calculate(
        label="datum['资料数'] + ' 份资料 / ' + datum['教案数'] + ' 份教案' + (datum['标记'] ? ' · 待补充' : '')"
    )
    st.altair_chart((heat + labels).properties(height=320), width="stretch")
    thin = [c for c in cells if c.thin]
    if thin:
        st.markdown(f"**{t('insights_to_add')}**")
        for cell in thin:
            left, right = st.columns([4, 1])
            left.markdown(f"- {md(cell.domain)} · {md(cell.age_band)}：{cell.documents} 份资料")
            # 资源库管理's upload form starts with this cell's tags (read from the query string).
            if right.button(t("insights_upload"), key=f"upload_{cell.domain}_{cell.age_band}"):
                st.switch_page("pages/library_manage.py", query_params={"domain": cell.domain, "age_band": cell.age_band})
    st.markdown(f"**{t('insights_stages')}**")
    st.dataframe(pd.DataFrame({"CPS": list(stages), "资料数": list(stages.values())}), hide_index=True)
    st.download_button(t("insights_csv"), coverage_csv(cells), file_name="资源覆盖情况.csv", mime="text/csv", key="coverage_csv")
