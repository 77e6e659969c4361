from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from core import db
from core import users as core_users
from core.models import users as users_table
from core.users import LoginRefused, PermissionDenied, User, UserError


@pytest.fixture
def fresh_account(engine, request) -> User:
    email = f"lock-{request.node.name[:20].lower()}@pruebas.devcompras.mx".replace("_", "-")
    return core_users.create_user(None, email=email, name="Bloqueo", role="user", password="Correcta123")


def test_role_permissions_follow_the_seed(users):
    assert users["admin"].can("users:admin")
    assert users["manager"].can("sync:trigger") and not users["manager"].can("users:admin")
    assert users["user"].can("ai:query") and not users["user"].can("inventory:write")
    assert users["viewer"].can("dashboard:read") and not users["viewer"].can("ai:query")


def test_viewer_cannot_create_users_without_any_ui(users):
    with pytest.raises(PermissionDenied, match="Permiso denegado"):
        core_users.create_user(users["viewer"], email="x@y.mx", name="X", role="admin", password="12345678")
    assert core_users.get_user("x@y.mx") is None


def test_viewer_cannot_change_roles(users):
    with pytest.raises(PermissionDenied):
        core_users.update_user(users["viewer"], users["viewer"].id, role="admin")
    assert core_users.get_user(users["viewer"].email).role == "viewer"


def test_passwords_are_bcrypt_hashed(users):
    with db.get_engine().connect() as conn:
        stored = conn.scalar(select(users_table.c.password_hash).where(users_table.c.id == users["user"].id))
    assert stored.startswith("$2") and "Demo1234!" not in stored


def test_authenticate_accepts_right_password_and_refuses_wrong(users):
    assert core_users.authenticate(users["user"].email.upper(), "Demo1234!") == users["user"]
    with pytest.raises(LoginRefused, match="Correo o contraseña incorrectos"):
        core_users.authenticate(users["user"].email, "otra-cosa")
    with pytest.raises(LoginRefused, match="Correo o contraseña incorrectos"):
        core_users.authenticate("nadie@pruebas.mx", "Demo1234!")


def test_five_failures_lock_for_fifteen_minutes(fresh_account):
    t0 = datetime(2026, 1, 10, 9, 0)
    for i in range(5):
        with pytest.raises(LoginRefused, match="incorrectos"):
            core_users.authenticate(fresh_account.email, "mala", now=t0 + timedelta(minutes=i))
    with pytest.raises(LoginRefused, match="bloqueada"):
        core_users.authenticate(fresh_account.email, "Correcta123", now=t0 + timedelta(minutes=5))
    assert core_users.authenticate(fresh_account.email, "Correcta123", now=t0 + timedelta(minutes=20))


def test_failures_spread_over_more_than_fifteen_minutes_do_not_lock(fresh_account):
    t0 = datetime(2026, 1, 10, 9, 0)
    for i in range(5):
        with pytest.raises(LoginRefused, match="incorrectos"):
            core_users.authenticate(fresh_account.email, "mala", now=t0 + timedelta(minutes=4 * i))
    assert core_users.authenticate(fresh_account.email, "Correcta123", now=t0 + timedelta(minutes=17))


def test_self_registration_creates_a_viewer(engine):
    user = core_users.register(email="Nuevo@Pruebas.mx", name="Nuevo", password="segura123")
    assert (user.role, user.email) == ("viewer", "nuevo@pruebas.mx")
    with pytest.raises(UserError, match="Ya existe"):
        core_users.register(email="nuevo@pruebas.mx", name="Otro", password="segura123")


def test_self_registration_can_be_turned_off(engine, monkeypatch):
    from core.config import get_settings

    monkeypatch.setenv("ALLOW_SELF_REGISTRATION", "false")
    get_settings.cache_clear()
    try:
        with pytest.raises(UserError, match="registro de cuentas está desactivado"):
            core_users.register(email="cerrado@pruebas.mx", name="Cerrado", password="segura123")
        assert core_users.get_user("cerrado@pruebas.mx") is None
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()


@pytest.mark.parametrize("email,name,password,message", [
    ("sin-arroba", "A", "12345678", "correo"),
    ("a@b.mx", " ", "12345678", "nombre"),
    ("a@b.mx", "A", "corta", "8 caracteres"),
])
def test_registration_validates(engine, email, name, password, message):
    with pytest.raises(UserError, match=message):
        core_users.register(email=email, name=name, password=password)


def test_admin_changes_role_and_deactivates(users):
    target = core_users.create_user(users["admin"], email="cambio@pruebas.mx", name="C", role="viewer",
                                    password="12345678")
    core_users.update_user(users["admin"], target.id, role="manager")
    assert core_users.get_user(target.email).role == "manager"
    core_users.update_user(users["admin"], target.id, active=False)
    assert core_users.get_user(target.email) is None
    with pytest.raises(LoginRefused, match="desactivada"):
        core_users.authenticate(target.email, "12345678")


def test_admin_cannot_demote_themself(users):
    with pytest.raises(UserError, match="No puede quitarse"):
        core_users.update_user(users["admin"], users["admin"].id, role="viewer")


def test_bootstrap_in_demo_mode_creates_only_the_listed_demo_accounts(engine):
    from core.setup import init_db

    init_db()
    for email, _name in core_users.DEMO_ACCOUNTS.values():
        assert core_users.get_user(email) is not None
    assert core_users.get_user("admin@devcompras.mx") is None
