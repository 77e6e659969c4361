"""Login gate: a signed session cookie (core.sessions) and the login and sign-up forms (core.users)."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from email.utils import format_datetime

import streamlit as st

from app import ui
from core import sessions
from core import users as core_users
from core.config import get_settings
from core.errors import ReadableError

log = logging.getLogger(__name__)
COOKIE_NAME = "devcompras_sesion"
SESSION_KEYS = ("authentication_status", "username", "name", "roles", "session_version", "session_token",
                "session_expires")
EXPIRED = datetime(1970, 1, 1, tzinfo=UTC)


def cookie_script(value: str, expires: datetime) -> str:
    """A script setting the session cookie (an empty one already expired deletes it)."""
    cookie = (f"{COOKIE_NAME}={value}; expires={format_datetime(expires, usegmt=True)}; path=/; "
              "SameSite=Strict")
    return f"<script>document.cookie = {json.dumps(cookie)};</script>"


def _browser_cookie() -> str | None:
    """The cookie the browser sent when it opened this session (st.context.cookies is read-only)."""
    return st.context.cookies.get(COOKIE_NAME)


def _sync_cookie() -> None:
    """Make the browser's cookie match this session, with st.html's script (no iframe, no reply).

    Written on every run until the browser has it (st.context holds the cookies of the request
    that opened the session, so: on every run of this page load). A run interrupted before the
    element reached the browser is followed by one that writes it again; the login page shows
    the same element type, so its code is loaded before a login and the script runs in the
    same commit that shows the dashboard, not after it.
    """
    state = st.session_state
    token = state.get("session_token")
    expires = state.get("session_expires")  # None for a session restored from this very cookie
    if state.get("authentication_status") and token:
        script = "" if _browser_cookie() == token or not expires else cookie_script(token, expires)
    elif state.get("logout") or (state.get("cookie_refused") and _browser_cookie() is not None):
        script = cookie_script("", EXPIRED)  # logged out (maybe of a cookie written since), or refused
    else:
        script = ""
    st.html(script or "<script>/* devcompras: cookie al día */</script>", unsafe_allow_javascript=True)


def _restore_from_cookie() -> None:
    """A new page load with a valid cookie is that account's session, with no form."""
    state = st.session_state
    if state.get("authentication_status") or state.get("logout"):
        return
    token = _browser_cookie()
    if not token:
        return
    if user := sessions.user_for(token):
        _remember(user, token=token, expires=None)
    else:
        state["cookie_refused"] = True


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


def _remember(user: core_users.User, *, token: str, expires: datetime | None) -> None:
    st.session_state.update(authentication_status=True, username=user.email, name=user.name,
                            roles=[user.role], session_version=user.session_version,
                            session_token=token, session_expires=expires)


def login_gate() -> core_users.User | None:
    """The logged-in user, or render the login and registration forms and return None."""
    try:
        _restore_from_cookie()
    except Exception:  # noqa: BLE001 - a bad or foreign cookie only means: log in again
        log.info("ignored the session cookie", exc_info=True)
    user = current_user()
    _sync_cookie()
    if user is None:
        _login_page()
    return user


def _login_page() -> None:
    st.title("DevCompras")
    st.caption("Análisis de compras e inventario para su ERP Microsip")
    signup = get_settings().allow_self_registration
    tabs = st.tabs(["Entrar", "Crear cuenta"]) if signup else [st.container()]
    with tabs[0], st.form("login", clear_on_submit=False):
        st.text_input("Correo electrónico", key="login_email", max_chars=core_users.MAX_EMAIL_CHARS)
        st.text_input("Contraseña", type="password", key="login_password",
                      max_chars=core_users.MAX_PASSWORD_BYTES)
        if message := st.session_state.pop("login_error", None):
            st.error(message)
        # A callback: it runs before the next run's script, which a rerun cannot interrupt, so
        # the click is never lost; that same run shows the app (no extra rerun).
        st.form_submit_button("Entrar", type="primary", on_click=_log_in)
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


def _log_in() -> None:
    """The "Entrar" callback: check the password and start the session (errors kept for the form)."""
    state = st.session_state
    try:
        user = core_users.authenticate(state.get("login_email") or "", state.get("login_password") or "")
    except ReadableError as exc:
        state["login_error"] = exc.message
        return
    except Exception:
        log.exception("unexpected error while logging in")
        state["login_error"] = ui.UNEXPECTED_ERROR
        return
    token, expires = sessions.issue(user)
    _remember(user, token=token, expires=expires)
    state["logout"] = None


def _demo_accounts() -> None:
    rows = "\n".join(f"| {core_users.ROLE_LABELS[role]} | `{email}` |"
                     for role, (email, _name) in core_users.DEMO_ACCOUNTS.items())
    st.info(f"**Modo demostración.** Cuentas de prueba, todas con la contraseña "
            f"`{core_users.DEMO_PASSWORD}`:\n\n| Rol | Correo |\n|---|---|\n{rows}")


def logout() -> None:
    """The "Cerrar sesión" callback: end the account's sessions (every copy of its cookie is
    refused from now on); the run that follows deletes this browser's cookie."""
    if user := current_user():
        core_users.end_sessions(user)
    for key in SESSION_KEYS:
        st.session_state[key] = None
    st.session_state["logout"] = True
