"""登录: the password form (and single sign-on when configured); while no admin exists, the
one-time set-up of the first admin instead. Nothing else is reachable before sign-in."""

import streamlit as st

from lesson_studio.errors import StudioError
from studio_ui import get_studio, md, show_error, sign_in_as, sso_claims, sso_configured, t

studio = get_studio()
st.title(t("app_title"))
if st.session_state.get("signed_out_reason"):
    st.warning(md(st.session_state.pop("signed_out_reason")))

if not studio.accounts.has_admin():
    # A fresh installation: the first admin is made here (or with `users add NAME --role admin`).
    # The form disappears for good once an admin who can sign in exists.
    st.subheader(t("setup_title"))
    st.info(t("setup_intro"))
    with st.form("setup"):
        username = st.text_input(t("username"))
        display_name = st.text_input(t("display_name"))
        password = st.text_input(t("password"), type="password")
        again = st.text_input(t("password_again"), type="password")
        if st.form_submit_button(t("setup_create"), type="primary"):
            if password != again:
                st.error(t("passwords_differ"))
            else:
                try:
                    studio.accounts.create_first_admin(username, password, display_name=display_name)
                    sign_in_as(studio.sign_in(username, password))
                    st.rerun()
                except StudioError as error:
                    show_error(error)
    st.stop()

claims = sso_claims()
if claims is not None:
    # Signed in at the school's identity provider: the account and its role come from our database.
    try:
        sign_in_as(studio.accounts.sso_sign_in(claims))
        st.rerun()
    except StudioError as error:
        show_error(error)
        st.button(t("sso_sign_out"), on_click=st.logout)
        st.stop()

with st.form("sign_in"):
    username = st.text_input(t("username"))
    password = st.text_input(t("password"), type="password")
    if st.form_submit_button(t("sign_in"), type="primary"):
        try:
            sign_in_as(studio.sign_in(username, password))
            st.rerun()
        except StudioError as error:
            show_error(error)
st.caption(t("sign_in_hint"))
if sso_configured():
    st.button(t("sso_sign_in"), on_click=st.login)
