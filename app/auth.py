"""Login gate: streamlit-authenticator keeps the signed cookie; core.users checks passwords and lockout."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import jwt
import streamlit as st
import streamlit.components.v1 as components
import streamlit_authenticator as stauth

from core import users as core_users
from core.config import get_settings

log = logging.getLogger(__name__)
COOKIE_NAME = "devcompras_sesion"
COOKIE_DAYS = 7


def _authenticator() -> stauth.Authenticate:
    """The cookie keeper; build it once per run (it renders a cookie component with a fixed key).

    Its credentials stay empty: passwords and lockout live in core.users, not in its dict.
    """
    return stauth.Authenticate({"usernames": {}}, COOKIE_NAME, get_settings().cookie_key,
                               cookie_expiry_days=COOKIE_DAYS, auto_hash=False, login_sleep_time=0)


def _write_cookie(value: str, expires: datetime) -> None:
    """Set the session cookie (an empty one already expired deletes it) from a script in the page.

    The authenticator's cookie component would do it too, but its answer reruns the page, and a
    click on the navigation made meanwhile was lost; this script sends nothing back.
    """
    cookie = (f"{COOKIE_NAME}={value}; expires={format_datetime(expires, usegmt=True)}; path=/; "
              "SameSite=Strict")
    components.html(f"<script>window.parent.document.cookie = {json.dumps(cookie)};</script>",
                    height=0)


def _session_token(username: str, expires: datetime) -> str:
    """The signed token streamlit-authenticator reads back from the cookie (its own format)."""
    return jwt.encode({"username": username, "exp_date": expires.timestamp()},
                      get_settings().cookie_key, algorithm="HS256")


def _sync_cookie() -> None:
    """Write or delete the cookie asked for by the previous run, then restore a session from it."""
    action = st.session_state.pop("cookie_action", None)
    if action == "set":
        expires = datetime.now(UTC) + timedelta(days=COOKIE_DAYS)
        _write_cookie(_session_token(st.session_state["username"], expires), expires)
    elif action == "delete":
        _write_cookie("", datetime(1970, 1, 1, tzinfo=UTC))
    if st.session_state.get("authentication_status") or st.session_state.get("logout"):
        return
    # Only a run without a session builds the authenticator (and its component) to read it.
    token = _authenticator().cookie_controller.get_cookie()
    if token and (user := core_users.get_user(token.get("username", ""))):
        st.session_state.update(authentication_status=True, username=user.email,
                                name=user.name, roles=[user.role])


def _cookie_work_pending() -> bool:
    """Whether this run must touch the cookie: write or delete it, or read it into a session."""
    state = st.session_state
    return bool(state.get("cookie_action") or not state.get("authentication_status"))


def current_user() -> core_users.User | None:
    """The logged-in user as our database knows it now (role changes apply at once)."""
    if not st.session_state.get("authentication_status"):
        return None
    user = core_users.get_user(st.session_state.get("username") or "")
    if user is None:  # deactivated or deleted since login
        st.session_state["authentication_status"] = None
    return user


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
        email = st.text_input("Correo electrónico", key="login_email")
        password = st.text_input("Contraseña", type="password", key="login_password")
        if st.form_submit_button("Entrar", type="primary"):
            try:
                user = core_users.authenticate(email, password)
            except core_users.LoginRefused as exc:
                st.error(str(exc))
            else:
                _start_session(user)
    if signup:
        with tabs[1]:
            _registration_form()
    if get_settings().demo_mode:
        _demo_accounts()


def _registration_form() -> None:
    with st.form("registro"):
        st.caption("Las cuentas nuevas tienen rol de consulta; un administrador puede cambiarlo.")
        name = st.text_input("Nombre", key="reg_name")
        reg_email = st.text_input("Correo electrónico", key="reg_email")
        reg_password = st.text_input("Contraseña (mínimo 8 caracteres)", type="password", key="reg_password")
        if st.form_submit_button("Crear cuenta"):
            try:
                core_users.register(email=reg_email, name=name, password=reg_password)
            except core_users.UserError as exc:
                st.error(str(exc))
            else:
                st.success("Cuenta creada. Ya puede entrar con su correo y contraseña.")


def _start_session(user: core_users.User) -> None:
    st.session_state.update(authentication_status=True, username=user.email, name=user.name,
                            roles=[user.role], logout=None, cookie_action="set")
    st.rerun()


def _demo_accounts() -> None:
    rows = "\n".join(f"| {core_users.ROLE_LABELS[role]} | `{email}` |"
                     for role, (email, _name) in core_users.DEMO_ACCOUNTS.items())
    st.info(f"**Modo demostración.** Cuentas de prueba, todas con la contraseña "
            f"`{core_users.DEMO_PASSWORD}`:\n\n| Rol | Correo |\n|---|---|\n{rows}")


def logout() -> None:
    """End the session; the next run deletes the cookie."""
    for key in ("authentication_status", "username", "name", "roles"):
        st.session_state[key] = None
    st.session_state.update(logout=True, cookie_action="delete")
    st.rerun()
