"""我的账号: who is signed in, with which role, and changing one's own password (required after an
admin set it)."""

import streamlit as st

from lesson_studio.errors import StudioError
from studio_ui import get_studio, md, require_user, show_error, sign_in_as, sign_out, t

user = require_user()
studio = get_studio()
st.title(t("page_account"))
st.markdown(f"{t('username')}：{md(user.username)}  \n{t('account_role')}：{t('role_' + user.role)}")
must_change = studio.accounts.must_change_password(user)
if must_change:
    st.info(t("must_change_password"))
if st.session_state.pop("password_changed", False):
    st.success(t("password_changed"))

with st.form("change_password", clear_on_submit=True):
    current = st.text_input(t("password_current"), type="password")
    new = st.text_input(t("password_new"), type="password")
    again = st.text_input(t("password_again"), type="password")
    if st.form_submit_button(t("password_change"), type="primary"):
        if new != again:
            st.error(t("passwords_differ"))
        else:
            try:
                # This session carries on under the new epoch; the account's other sessions end.
                sign_in_as(studio.accounts.change_password(user, current, new))
                st.session_state["password_changed"] = True
                st.rerun()
            except StudioError as error:
                show_error(error)

if must_change and st.button(t("sign_out"), key="account_sign_out"):
    sign_out()
    st.rerun()
