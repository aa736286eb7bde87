"""账号与角色 (admin): every account with its role and state; add an account, set a role, reset a
password, unlock, disable or enable. Every action is checked in the core (lesson_studio.accounts)."""

import secrets

import streamlit as st

from lesson_studio.errors import StudioError
from lesson_studio.store import ROLES
from studio_ui import get_studio, md, require_user, show_error, t

user = require_user()
studio = get_studio()
st.title(t("page_accounts"))
st.caption(t("accounts_intro"))

try:
    accounts = studio.list_users(user)
except StudioError as error:
    show_error(error)
    st.stop()

for message_key in ("accounts_done", "accounts_password"):
    if st.session_state.get(message_key):
        st.success(md(st.session_state.pop(message_key)))


def state_of(account) -> str:  # type: ignore[no-untyped-def]
    if account.disabled:
        return t("account_disabled")
    if account.locked:
        return t("account_locked", until=f"{account.locked_until:%H:%M}")
    if not account.has_password:
        return t("account_no_password")
    return t("account_active")


# Names and e-mails are what users typed: shown as inert text, never as Markdown.
st.table(
    {
        t("account_username"): [md(a.username) for a in accounts],
        t("display_name"): [md(a.display_name) for a in accounts],
        t("account_role"): [t(f"role_{a.role}") for a in accounts],
        t("account_state"): [state_of(a) for a in accounts],
        t("account_email"): [md(a.email) for a in accounts],
    }
)


def act(action, done: str) -> None:  # type: ignore[no-untyped-def]
    try:
        action()
        st.session_state["accounts_done"] = done
        st.rerun()
    except StudioError as error:
        show_error(error)


with st.expander(t("account_add"), expanded=len(accounts) <= 1), st.form("add_account", clear_on_submit=True):
    left, right = st.columns(2)
    new_name = left.text_input(t("account_username"))
    new_display = right.text_input(t("display_name"))
    new_role = left.selectbox(t("account_role"), ROLES, format_func=lambda r: t(f"role_{r}"))
    new_email = right.text_input(t("account_email"))
    first_password = st.text_input(t("account_first_password"), value="", type="password", help=t("account_first_password_help"))
    if st.form_submit_button(t("account_add"), type="primary"):
        password = first_password or secrets.token_urlsafe(9)
        try:
            added = studio.accounts.add_user(
                user, new_name, role=new_role, password=password, display_name=new_display, email=new_email
            )
            st.session_state["accounts_done"] = t("account_added", username=added.username)
            if not first_password:
                # Shown once, to hand over; the account must choose its own at first sign-in.
                st.session_state["accounts_password"] = t("account_password_once", password=password)
            st.rerun()
        except StudioError as error:
            show_error(error)

names = [a.username for a in accounts]
if names:
    st.subheader(t("account_manage"))
    chosen = st.selectbox(t("account_username"), names, key="manage_account")
    account = next(a for a in accounts if a.username == chosen)
    left, right = st.columns(2)
    with left.form("set_role"):
        role = st.selectbox(t("account_role"), ROLES, index=ROLES.index(account.role), format_func=lambda r: t(f"role_{r}"))
        if st.form_submit_button(t("set_role"), type="primary"):
            act(lambda: studio.set_role(user, chosen, role), t("role_saved", username=chosen, role=t(f"role_{role}")))
    with right.form("reset_password", clear_on_submit=True):
        new_password = st.text_input(t("account_new_password"), type="password", help=t("account_first_password_help"))
        if st.form_submit_button(t("account_reset")):
            password = new_password or secrets.token_urlsafe(9)
            try:
                studio.accounts.reset_password(user, chosen, password)
                st.session_state["accounts_done"] = t("account_reset_done", username=chosen)
                if not new_password:
                    st.session_state["accounts_password"] = t("account_password_once", password=password)
                st.rerun()
            except StudioError as error:
                show_error(error)
    with left.form("set_email"):
        email = st.text_input(t("account_email"), value=account.email)
        if st.form_submit_button(t("account_set_email")):
            act(lambda: studio.accounts.set_email(user, chosen, email), t("account_email_saved", username=chosen))
    buttons = right.columns(2)
    if account.locked and buttons[0].button(t("account_unlock"), key="unlock"):
        act(lambda: studio.accounts.unlock(user, chosen), t("account_unlocked", username=chosen))
    if buttons[1].button(t("account_enable") if account.disabled else t("account_disable"), key="toggle_disabled"):
        act(
            lambda: studio.accounts.set_disabled(user, chosen, not account.disabled),
            t("account_enabled" if account.disabled else "account_disabled_done", username=chosen),
        )
