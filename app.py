"""Lesson Studio entry: page config, sign-in gate, role -> st.navigation(...).run(). Nothing else."""

import streamlit as st

from lesson_studio.errors import StudioError
from studio_ui import current_user, get_studio, t

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
st.sidebar.caption(f"{user.display_name}（{user.role}）")
if st.sidebar.button(t("sign_out")):
    st.session_state.clear()
    st.rerun()

pages = [
    st.Page("pages/new_lesson.py", title=t("page_new"), icon="✏️", default=True),
    st.Page("pages/my_lessons.py", title=t("page_mine"), icon="📚"),
    st.Page("pages/plan.py", title=t("page_plan"), icon="🛠️"),
    st.Page("pages/library.py", title=t("page_library"), icon="🔎"),
]
st.navigation(pages).run()
