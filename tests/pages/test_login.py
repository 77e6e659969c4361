import pytest
from sqlalchemy import update

from core import db
from core import users as core_users
from core.models import users as users_table
from tests.pages.conftest import MAIN, login, page_titles

EXPECTED_PAGES = {
    "admin": {"Tablero", "Usuarios"},
    "manager": {"Tablero"},
    "user": {"Tablero"},
    "viewer": {"Tablero"},
}


@pytest.mark.parametrize("role", ["admin", "manager", "user", "viewer"])
def test_each_role_sees_exactly_its_pages(demo_data, users, role):
    at = login(users[role].email)
    assert not at.exception and not at.error
    titles = set(page_titles(at))
    # pages added by later features (sync, upload…) must respect the role too
    from app.navigation import PAGES

    expected = {p.title for p in PAGES if users[role].can(p.permission)}
    assert titles == expected
    assert EXPECTED_PAGES[role] <= titles
    assert "Usuarios" not in titles or role == "admin"
    assert [t.value for t in at.title] == ["Tablero"]


def test_login_page_lists_demo_accounts_in_demo_mode(demo_data):
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(MAIN, default_timeout=60).run()
    shown = " ".join(m.value for m in at.info)
    for email, _name in core_users.DEMO_ACCOUNTS.values():
        assert email in shown


def test_demo_account_logs_in(demo_data):
    at = login(core_users.DEMO_ACCOUNTS["manager"][0], core_users.DEMO_PASSWORD)
    assert not at.error and [t.value for t in at.title] == ["Tablero"]


def test_wrong_password_shows_spanish_error(demo_data, users):
    at = login(users["user"].email, "no-es-esta")
    assert [e.value for e in at.error] == ["Correo o contraseña incorrectos."]
    assert not at.metric


def test_sixth_attempt_is_refused_even_with_right_password(demo_data):
    account = core_users.create_user(None, email="sexto@pruebas.devcompras.mx", name="Sexto",
                                     role="viewer", password="Correcta123")
    try:
        for _ in range(5):
            at = login(account.email, "incorrecta")
            assert [e.value for e in at.error] == ["Correo o contraseña incorrectos."]
        at = login(account.email, "Correcta123")
        assert "bloqueada" in at.error[0].value
        assert not at.metric
    finally:
        with db.begin() as conn:
            conn.execute(update(users_table).where(users_table.c.id == account.id).values(active=False))


def test_logout_returns_to_login(demo_data, users):
    at = login(users["viewer"].email)
    at.button(key="cerrar_sesion").click().run()
    assert at.text_input(key="login_email") is not None
    assert not at.metric


def test_login_page_without_self_registration_has_no_signup_tab(demo_data, monkeypatch):
    from streamlit.testing.v1 import AppTest

    from core.config import get_settings

    at = AppTest.from_file(MAIN, default_timeout=60).run()
    assert [t.label for t in at.tabs] == ["Entrar", "Crear cuenta"]
    monkeypatch.setenv("ALLOW_SELF_REGISTRATION", "false")
    get_settings.cache_clear()
    try:
        at = AppTest.from_file(MAIN, default_timeout=60).run()
        assert not at.exception
        assert [t.label for t in at.tabs] == []
        assert [b.label for b in at.button] == ["Entrar"]
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()
