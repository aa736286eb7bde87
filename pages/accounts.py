"""账号与角色 (admin): every account with its role, and a form to change one. The core checks the role."""

import streamlit as st

from lesson_studio.errors import StudioError
from lesson_studio.store import ROLES
from studio_ui import get_studio, require_user, t

user = require_user()
studio = get_studio()
st.title(t("page_accounts"))
st.caption(t("accounts_intro"))

try:
    accounts = studio.list_users(user)
except StudioError as error:
    st.error(str(error))
    st.stop()

st.table({t("account_username"): [a.username for a in accounts], t("account_role"): [t(f"role_{a.role}") for a in accounts]})

with st.form("set_role"):
    username = st.text_input(t("account_username"))
    role = st.selectbox(t("account_role"), ROLES, format_func=lambda r: t(f"role_{r}"))
    if st.form_submit_button(t("set_role"), type="primary"):
        try:
            changed = studio.set_role(user, username, role)
            st.success(t("role_saved", username=changed.username, role=t(f"role_{changed.role}")))
        except StudioError as error:
            st.error(str(error))
