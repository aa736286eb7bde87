"""Lesson Studio entry: page config, sign-in gate, role -> st.navigation(...).run(). Nothing else."""

import streamlit as st

from lesson_studio.errors import StudioError
from studio_ui import SIGNED_IN, current_user, get_studio, md, navigation_for, pages_for, show_error, sign_out, t

st.set_page_config(page_title="创新备课工作室 Lesson Studio", page_icon="🧸", layout="wide")

st.sidebar.radio(
    t("language"),
    ["zh", "en"],
    key="language",
    format_func=lambda code: "中文" if code == "zh" else "English",
    horizontal=True,
)

# Read from the store on every run (never cached in the session): a demoted or disabled account
# loses its powers on the next click.
user = current_user()
if user is None:
    # Only the sign-in page exists before sign-in (set-up while no admin exists); no other page's
    # name or address is offered.
    st.navigation([st.Page("pages/sign_in.py", title=t("sign_in"), default=True)], position="hidden").run()
    st.stop()

# A password an admin set must be replaced before anything else (single sign-on uses none).
if st.session_state[SIGNED_IN].via == "password" and get_studio().accounts.must_change_password(user):
    st.navigation([st.Page("pages/account.py", title=t("page_account"), default=True)], position="hidden").run()
    st.stop()

st.sidebar.caption(f"{md(user.display_name)}（{t('role_' + user.role)}）")
if st.sidebar.button(t("sign_out")):
    sign_out()
    st.rerun()

default_page = pages_for(user)[0][0]
pages = {
    t(section): [
        st.Page(path, title=t(title_key), icon=icon, default=path == default_page)
        for path, title_key, icon in section_pages
    ]
    for section, section_pages in navigation_for(user).items()
}
try:
    # expanded: an admin has more than twelve pages, and Streamlit would otherwise fold the last
    # ones (账号与角色 …) behind "View more".
    st.navigation(pages, expanded=True).run()
except StudioError as error:  # a page that missed one: the message, never a traceback
    show_error(error)
