"""Lesson Studio entry: page config, sign-in gate, role -> st.navigation(...).run(). Nothing else."""

import streamlit as st

from lesson_studio.errors import StudioError
from studio_ui import current_user, get_studio, pages_for, t

st.set_page_config(page_title="创新备课工作室 Lesson Studio", page_icon="🧸", layout="wide")

st.sidebar.radio(t("language"), ["zh", "en"], key="language", format_func=lambda code: "中文" if code == "zh" else "English", horizontal=True)

if current_user() is None:
    st.title(t("app_title"))
    with st.form("sign_in"):
        username = st.text_input(t("username"), help=t("sign_in_hint"))
        if st.form_submit_button(t("sign_in"), type="primary"):
            try:
                st.session_state["user"] = get_studio().sign_in(username)
                st.rerun()
            except StudioError as error:
                st.error(str(error))
    st.stop()

user = current_user()
st.sidebar.caption(f"{user.display_name}（{t('role_' + user.role)}）")
if st.sidebar.button(t("sign_out")):
    st.session_state.clear()
    st.rerun()

pages = [st.Page(path, title=t(title_key), icon=icon, default=index == 0) for index, (path, title_key, icon) in enumerate(pages_for(user))]
st.navigation(pages).run()
