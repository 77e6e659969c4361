"""Login gate: a signed session cookie (core.sessions) and the login and sign-up forms (core.users)."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from email.utils import format_datetime

import streamlit as st
import streamlit.components.v1 as components

from app import ui
from core import sessions
from core import users as core_users
from core.config import get_settings

log = logging.getLogger(__name__)
COOKIE_NAME = "devcompras_sesion"
SESSION_KEYS = ("authentication_status", "username", "name", "roles", "session_version")


def _write_cookie(value: str, expires: datetime) -> None:
    """Set the session cookie (an empty one already expired deletes it) from a script in the page.

    A cookie component (streamlit-authenticator's) would do it too, but its answer reruns the
    page, and a click on the navigation made meanwhile was lost; this script sends nothing back.
    The cookie is read back from the request (st.context.cookies), so no component is needed.
    """
    cookie = (f"{COOKIE_NAME}={value}; expires={format_datetime(expires, usegmt=True)}; path=/; "
              "SameSite=Strict")
    components.html(f"<script>window.parent.document.cookie = {json.dumps(cookie)};</script>",
                    height=0)


def _sync_cookie() -> None:
    """Write or delete the cookie asked for by the previous run, then restore a session from it."""
    action = st.session_state.pop("cookie_action", None)
    if action == "set" and (user := current_user()):
        _write_cookie(*sessions.issue(user))
    elif action == "delete":
        _write_cookie("", datetime(1970, 1, 1, tzinfo=UTC))
    if st.session_state.get("authentication_status") or st.session_state.get("logout"):
        return
    token = st.context.cookies.get(COOKIE_NAME)
    if token and (user := sessions.user_for(token)):
        _remember(user)


def _cookie_work_pending() -> bool:
    """Whether this run must touch the cookie: write or delete it, or read it into a session."""
    state = st.session_state
    return bool(state.get("cookie_action") or not state.get("authentication_status"))


def current_user() -> core_users.User | None:
    """The logged-in user as our database knows it now, checked on every run (and fragment run).

    None once the account is deactivated or its sessions ended (logout anywhere, a role or
    password change): the session's version no longer matches the account's.
    """
    state = st.session_state
    if not state.get("authentication_status"):
        return None
    user = core_users.session_user(state.get("username") or "", state.get("session_version"))
    if user is None:
        for key in SESSION_KEYS:
            state[key] = None
    return user


def _remember(user: core_users.User) -> None:
    st.session_state.update(authentication_status=True, username=user.email, name=user.name,
                            roles=[user.role], session_version=user.session_version)


def login_gate() -> core_users.User | None:
    """The logged-in user, or render the login and registration forms and return None."""
    try:
        if _cookie_work_pending():
            _sync_cookie()
    except Exception:  # noqa: BLE001 - a bad or foreign cookie only means: log in again
        log.info("ignored the session cookie", exc_info=True)
    if user := current_user():
        return user
    _login_page()
    return None


def _login_page() -> None:
    st.title("DevCompras")
    st.caption("Análisis de compras e inventario para su ERP Microsip")
    signup = get_settings().allow_self_registration
    tabs = st.tabs(["Entrar", "Crear cuenta"]) if signup else [st.container()]
    with tabs[0], st.form("login", clear_on_submit=False):
        email = st.text_input("Correo electrónico", key="login_email",
                              max_chars=core_users.MAX_EMAIL_CHARS)
        password = st.text_input("Contraseña", type="password", key="login_password",
                                 max_chars=core_users.MAX_PASSWORD_BYTES)
        if st.form_submit_button("Entrar", type="primary"):
            with ui.shows_errors():
                _start_session(core_users.authenticate(email, password))
    if signup:
        with tabs[1]:
            _registration_form()
    if get_settings().demo_mode:
        _demo_accounts()


def _registration_form() -> None:
    with st.form("registro"):
        st.caption("Las cuentas nuevas tienen rol de consulta; un administrador puede cambiarlo.")
        name = st.text_input("Nombre", key="reg_name", max_chars=core_users.MAX_NAME_CHARS)
        reg_email = st.text_input("Correo electrónico", key="reg_email", max_chars=core_users.MAX_EMAIL_CHARS)
        # Characters, not bytes: core refuses a password past 72 bytes (accents take two).
        reg_password = st.text_input("Contraseña (mínimo 8 caracteres)", type="password", key="reg_password",
                                     max_chars=core_users.MAX_PASSWORD_BYTES)
        if st.form_submit_button("Crear cuenta"):
            with ui.shows_errors():
                core_users.register(email=reg_email, name=name, password=reg_password)
                st.success(core_users.REGISTRATION_RECEIVED)


def _start_session(user: core_users.User) -> None:
    _remember(user)
    st.session_state.update(logout=None, cookie_action="set")
    st.rerun()


def _demo_accounts() -> None:
    rows = "\n".join(f"| {core_users.ROLE_LABELS[role]} | `{email}` |"
                     for role, (email, _name) in core_users.DEMO_ACCOUNTS.items())
    st.info(f"**Modo demostración.** Cuentas de prueba, todas con la contraseña "
            f"`{core_users.DEMO_PASSWORD}`:\n\n| Rol | Correo |\n|---|---|\n{rows}")


def logout() -> None:
    """End the account's sessions (every copy of its cookie is refused from now on); the next run
    deletes this browser's cookie."""
    if user := current_user():
        core_users.end_sessions(user)
    for key in SESSION_KEYS:
        st.session_state[key] = None
    st.session_state.update(logout=True, cookie_action="delete")
    st.rerun()
