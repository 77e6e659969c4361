import threading
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta

import pytest
from sqlalchemy import delete, select, update

from core import db
from core import users as core_users
from core.errors import ReadableError
from core.models import users as users_table
from core.users import LOGIN_FAILED, LoginRefused, PermissionDenied, User, UserError


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
    with pytest.raises(LoginRefused, match=f"^{LOGIN_FAILED}$"):  # locked: the right password is refused too
        core_users.authenticate(fresh_account.email, "Correcta123", now=t0 + timedelta(minutes=5))
    assert core_users.authenticate(fresh_account.email, "Correcta123", now=t0 + timedelta(minutes=20))


def test_failures_spread_over_more_than_fifteen_minutes_do_not_lock(fresh_account):
    t0 = datetime(2026, 1, 10, 9, 0)
    for i in range(5):
        with pytest.raises(LoginRefused, match="incorrectos"):
            core_users.authenticate(fresh_account.email, "mala", now=t0 + timedelta(minutes=4 * i))
    assert core_users.authenticate(fresh_account.email, "Correcta123", now=t0 + timedelta(minutes=17))


def test_self_registration_creates_a_viewer(engine):
    assert core_users.register(email="Nuevo@Pruebas.mx", name="Nuevo", password="segura123") is None
    user = core_users.get_user("nuevo@pruebas.mx")
    assert (user.role, user.email, user.name) == ("viewer", "nuevo@pruebas.mx", "Nuevo")


def test_sign_up_with_a_taken_email_answers_the_same_and_changes_nothing(users):
    """Sign-up must not tell a stranger which e-mails have an account (it said «Ya existe»)."""
    taken = users["manager"]
    assert core_users.register(email=taken.email.upper(), name="Intruso", password="otra-clave-1") is None
    with db.get_engine().connect() as conn:
        rows = conn.execute(select(users_table.c.name, users_table.c.role)
                            .where(users_table.c.email == taken.email)).all()
    assert [tuple(r) for r in rows] == [(taken.name, "manager")]
    assert core_users.authenticate(taken.email, "Demo1234!") == taken  # its password is untouched
    with pytest.raises(LoginRefused):
        core_users.authenticate(taken.email, "otra-clave-1")


def test_pathological_email_is_refused_before_the_pattern_runs(engine, monkeypatch):
    """The old pattern backtracked quadratically: ~200,000 characters held the server for minutes.

    The length cap comes first, so the pattern never sees the input (a spy stands in for it).
    """
    seen = []

    class Spy:
        def fullmatch(self, text):
            seen.append(len(text))
            return None

        match = fullmatch

    monkeypatch.setattr(core_users, "EMAIL_RE", Spy())
    hostile = "a@" + "." * 200_000 + "@"
    with pytest.raises(UserError) as refused:
        core_users.register(email=hostile, name="Ataque", password="segura123")
    assert refused.value.message == "El correo electrónico es demasiado largo (máximo 254 caracteres)."
    assert seen == []


def test_email_pattern_takes_addresses_and_refuses_malformed_ones():
    ok = ["ana@empresa.mx", "a.b+c@sub.empresa.com.mx", "x" * 64 + "@" + "d" * 185 + ".mx"]
    bad = ["sin-arroba", "a@b", "a@@b.mx", "a@b..mx", "a@.mx", "a b@c.mx", "a@b.mx.", "a\x00@b.mx",
           "a@" + "." * 250 + "@"]
    assert [e for e in ok if not core_users.EMAIL_RE.fullmatch(e)] == []
    assert [e for e in bad if core_users.EMAIL_RE.fullmatch(e)] == []


@pytest.mark.parametrize("password", ["a" * 100, "ñ" * 37])  # 100 and 74 bytes of UTF-8
def test_sign_up_password_over_72_bytes_gets_a_spanish_message(engine, password):
    """bcrypt refuses more than 72 bytes: sign-up raised an uncaught ValueError."""
    email = f"larga{len(password)}@pruebas.mx"
    with pytest.raises(UserError) as refused:
        core_users.register(email=email, name="Larga", password=password)
    assert refused.value.message.startswith("La contraseña es demasiado larga: máximo 72 bytes")
    assert core_users.get_user(email) is None


def test_name_longer_than_the_column_is_refused_in_spanish(engine):
    with pytest.raises(UserError, match="El nombre es demasiado largo"):
        core_users.register(email="nombre-largo@pruebas.mx", name="N" * 256, password="segura123")
    assert core_users.get_user("nombre-largo@pruebas.mx") is None


def _at_once(calls: list[Callable[[], object]]) -> list[str]:
    """Run the calls in threads released together; each outcome: "ok", a readable message, or repr."""
    start = threading.Barrier(len(calls))
    outcomes: list[str] = []

    def run(call: Callable[[], object]) -> None:
        start.wait(timeout=60)
        try:
            call()
            outcomes.append("ok")
        except ReadableError as exc:
            outcomes.append(exc.message)
        except Exception as exc:  # noqa: BLE001 - recorded: any other outcome fails the test
            outcomes.append(repr(exc))

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return outcomes


def test_parallel_wrong_passwords_lock_the_account(fresh_account):
    """Twelve wrong passwords at once: the old read-then-write count ended at 1 and never locked."""
    attempts = 12
    outcomes = _at_once([lambda: core_users.authenticate(fresh_account.email, "equivocada")] * attempts)
    assert outcomes == [LOGIN_FAILED] * attempts
    with db.get_engine().connect() as conn:
        row = conn.execute(select(users_table.c.failed_logins, users_table.c.locked_until)
                           .where(users_table.c.id == fresh_account.id)).one()
    assert row.failed_logins == core_users.MAX_FAILED_LOGINS  # the attempts up to the lock
    assert row.locked_until is not None and row.locked_until > datetime.now()
    with pytest.raises(LoginRefused):
        core_users.authenticate(fresh_account.email, "Correcta123")


def _deactivate(user: User) -> None:
    with db.begin() as conn:
        conn.execute(update(users_table).where(users_table.c.id == user.id).values(active=False))


def test_every_failed_login_reads_the_same_and_costs_one_bcrypt_check(engine, monkeypatch):
    """Unknown e-mail, wrong password, deactivated or locked account: one message, one check.

    The old messages («desactivada», «bloqueada») told a stranger which accounts exist.
    """
    made = {name: core_users.create_user(None, email=f"igual-{name}@pruebas.devcompras.mx", name=name,
                                         role="viewer", password="Correcta123")
            for name in ("mala", "desactivada", "bloqueada")}
    _deactivate(made["desactivada"])
    for _ in range(core_users.MAX_FAILED_LOGINS):
        with pytest.raises(LoginRefused):
            core_users.authenticate(made["bloqueada"].email, "equivocada")
    checks = []
    real_check = core_users.bcrypt.checkpw
    monkeypatch.setattr(core_users.bcrypt, "checkpw", lambda *a: checks.append(1) or real_check(*a))
    cases = {
        "unknown": ("nadie-aqui@pruebas.devcompras.mx", "Correcta123"),
        "wrong": (made["mala"].email, "equivocada"),
        "deactivated": (made["desactivada"].email, "Correcta123"),
        "locked": (made["bloqueada"].email, "Correcta123"),
        "long e-mail": ("a@" + "." * 20_000 + "@", "Correcta123"),
        "long password": (made["mala"].email, "x" * 100),
    }
    messages, cost = {}, {}
    for case, (email, password) in cases.items():
        checks.clear()
        with pytest.raises(LoginRefused) as refused:
            core_users.authenticate(email, password)
        messages[case], cost[case] = refused.value.message, len(checks)
    assert messages == dict.fromkeys(cases, LOGIN_FAILED)
    assert cost == dict.fromkeys(cases, 1)


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
    with pytest.raises(LoginRefused, match=f"^{LOGIN_FAILED}$"):
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


@pytest.fixture
def production_settings(engine, monkeypatch) -> Iterator[str]:
    """APP_ENV=production with real secrets and an ADMIN_EMAIL of its own; the accounts it
    touches are put back (demo accounts active, its admin removed) afterwards."""
    from core.config import get_settings

    admin_email = "jefa-produccion@pruebas.devcompras.mx"
    for name, value in {"APP_ENV": "production", "ADMIN_EMAIL": admin_email,
                        "ADMIN_PASSWORD": "Produccion-Segura-2026", "COOKIE_KEY": "k" * 48,
                        "FIREBIRD_PASSWORD": "no-es-masterkey-2026"}.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    yield admin_email
    monkeypatch.undo()
    get_settings.cache_clear()
    demo_emails = [email for email, _name in core_users.DEMO_ACCOUNTS.values()]
    with db.begin() as conn:
        conn.execute(update(users_table).where(users_table.c.email.in_(demo_emails)).values(active=True))
        conn.execute(delete(users_table).where(users_table.c.email == admin_email))


def test_production_start_disables_demo_accounts_and_creates_admin_email(production_settings, caplog):
    """A demo run left admin@demo.devcompras.mx / Demo1234! behind; production kept it and,
    as the users table was not empty, never created ADMIN_EMAIL."""
    from core.config import get_settings
    from core.setup import init_db

    with pytest.MonkeyPatch.context() as demo_start:  # a demo run first: the demo accounts exist
        demo_start.setenv("APP_ENV", "development")
        get_settings.cache_clear()
        init_db()
    get_settings.cache_clear()
    demo_admin = core_users.DEMO_ACCOUNTS["admin"][0]
    assert core_users.authenticate(demo_admin, core_users.DEMO_PASSWORD).role == "admin"

    with caplog.at_level("WARNING", logger="core.users"):
        init_db()  # the production start

    warned = [r.getMessage() for r in caplog.records if "demo accounts disabled" in r.getMessage()]
    assert len(warned) == 1 and demo_admin in warned[0]
    for email, _name in core_users.DEMO_ACCOUNTS.values():
        assert core_users.get_user(email) is None, email
    with pytest.raises(LoginRefused):
        core_users.authenticate(demo_admin, core_users.DEMO_PASSWORD)
    admin = core_users.authenticate(production_settings, "Produccion-Segura-2026")
    assert (admin.email, admin.role) == (production_settings, "admin")


def test_production_start_never_overwrites_an_existing_admin(production_settings, monkeypatch):
    from core.config import get_settings
    from core.setup import init_db

    init_db()
    admin = core_users.get_user(production_settings)
    core_users.set_password(admin, admin.id, "Cambiada-Por-La-Jefa")
    monkeypatch.setenv("ADMIN_PASSWORD", "Otra-Del-Entorno-2026")
    get_settings.cache_clear()
    init_db()
    assert core_users.authenticate(production_settings, "Cambiada-Por-La-Jefa").role == "admin"
    with pytest.raises(LoginRefused):
        core_users.authenticate(production_settings, "Otra-Del-Entorno-2026")


@pytest.fixture
def two_admins(engine) -> Iterator[tuple[User, User]]:
    """Exactly two active admins (the others set aside for the test and put back afterwards)."""
    with db.begin() as conn:
        others = conn.execute(update(users_table)
                              .where(users_table.c.role == "admin", users_table.c.active.is_(True))
                              .values(active=False).returning(users_table.c.id)).scalars().all()
    suffix = datetime.now().strftime("%H%M%S%f")
    pair = tuple(core_users.create_user(None, email=f"admin-{n}-{suffix}@pruebas.devcompras.mx", name=f"Admin {n}",
                                        role="admin", password="Correcta123") for n in ("a", "b"))
    yield pair  # type: ignore[misc]
    with db.begin() as conn:
        conn.execute(update(users_table).where(users_table.c.id.in_([u.id for u in pair])).values(active=False))
        conn.execute(update(users_table).where(users_table.c.id.in_(others)).values(active=True))


def _active_admins() -> list[int]:
    with db.get_engine().connect() as conn:
        return conn.execute(select(users_table.c.id).where(users_table.c.role == "admin",
                                                           users_table.c.active.is_(True))).scalars().all()


def test_a_demoted_admin_cannot_demote_the_last_one(two_admins):
    a, b = two_admins
    core_users.update_user(a, b.id, role="manager")
    # b's User object still says admin (as a page run that started before the change would):
    # core checks the database, so the last admin stays.
    with pytest.raises(PermissionDenied, match="ya no es de administrador activo"):
        core_users.update_user(b, a.id, role="viewer")
    with pytest.raises(PermissionDenied):
        core_users.update_user(b, a.id, active=False)
    assert _active_admins() == [a.id]


def test_two_admins_demoting_each_other_at_once_leave_one(two_admins):
    """Each saw the other still admin and both succeeded: no admin was left."""
    a, b = two_admins
    refusals = ("No se puede quitar el rol ni desactivar al último administrador activo.",
                "Permiso denegado: su cuenta ya no es de administrador activo.")
    for _ in range(5):
        outcomes = _at_once([lambda: core_users.update_user(a, b.id, role="viewer"),
                             lambda: core_users.update_user(b, a.id, role="viewer")])
        assert len(_active_admins()) == 1
        assert sorted(outcomes)[1] == "ok" and sorted(outcomes)[0] in refusals, outcomes
        survivor, demoted = (a, b) if _active_admins() == [a.id] else (b, a)
        core_users.update_user(survivor, demoted.id, role="admin")


def test_sessions_end_on_logout_role_change_deactivation_and_password_change(users):
    target = core_users.create_user(users["admin"], email="sesiones@pruebas.devcompras.mx", name="Sesiones",
                                    role="viewer", password="Correcta123")

    def version() -> int:
        with db.get_engine().connect() as conn:
            return conn.scalar(select(users_table.c.session_version).where(users_table.c.id == target.id))

    seen = [version()]
    assert core_users.session_user(target.email, seen[0]) == target
    core_users.end_sessions(target)  # logout
    seen.append(version())
    assert core_users.session_user(target.email, seen[0]) is None
    core_users.update_user(users["admin"], target.id, role="viewer", active=True)  # saved unchanged
    assert version() == seen[-1]
    core_users.update_user(users["admin"], target.id, role="user")
    seen.append(version())
    core_users.set_password(users["admin"], target.id, "Nueva-Clave-1")
    seen.append(version())
    core_users.update_user(users["admin"], target.id, active=False)
    seen.append(version())
    assert seen == [0, 1, 2, 3, 4]
    assert core_users.session_user(target.email, 4) is None  # deactivated


def test_only_an_admin_changes_another_account_password(users):
    with pytest.raises(PermissionDenied):
        core_users.set_password(users["viewer"], users["user"].id, "Nueva-Clave-1")
    with pytest.raises(UserError, match="demasiado larga"):
        core_users.set_password(users["admin"], users["user"].id, "x" * 73)
