"""Accounts, roles and permissions, password hashing and login lockout."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

import bcrypt
from sqlalchemy import Connection, func, select, update

from core import db
from core.config import get_settings
from core.errors import ReadableError
from core.models import users

log = logging.getLogger(__name__)

ROLES = ("admin", "manager", "user", "viewer")
ROLE_LABELS = {"admin": "Administrador", "manager": "Gerente", "user": "Usuario", "viewer": "Consulta"}
PERMISSIONS: dict[str, frozenset[str]] = {
    "admin": frozenset({"*"}),
    "manager": frozenset({
        "dashboard:read", "inventory:read", "inventory:write", "sync:read", "sync:trigger",
        "upload:read", "upload:write", "forecast:read", "forecast:write", "purchasing:read",
        "purchasing:write", "ai:query",
    }),
    "user": frozenset({"dashboard:read", "inventory:read", "forecast:read", "purchasing:read", "ai:query"}),
    "viewer": frozenset({"dashboard:read", "inventory:read"}),
}
MAX_FAILED_LOGINS = 5
LOCK_WINDOW = timedelta(minutes=15)
DEMO_PASSWORD = "Demo1234!"
DEMO_ACCOUNTS = {
    "admin": ("admin@demo.devcompras.mx", "Ana Administradora"),
    "manager": ("gerente@demo.devcompras.mx", "Gabriel Gerente"),
    "user": ("comprador@demo.devcompras.mx", "Carla Compradora"),
    "viewer": ("consulta@demo.devcompras.mx", "Víctor Consulta"),
}
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@dataclass(frozen=True)
class User:
    id: int
    email: str
    name: str
    role: str

    def can(self, permission: str) -> bool:
        granted = PERMISSIONS.get(self.role, frozenset())
        return "*" in granted or permission in granted


class PermissionDenied(ReadableError, PermissionError):
    """The acting user lacks a permission; the message is in Spanish."""


class LoginRefused(ReadableError):
    """A login that did not succeed; the message is in Spanish and safe to show."""


class UserError(ReadableError, ValueError):
    """Invalid account data; the message is in Spanish."""


def require(user: User | None, permission: str) -> None:
    """Raise PermissionDenied unless ``user`` holds ``permission``."""
    if user is None or not user.can(permission):
        who = f"el rol «{ROLE_LABELS.get(user.role, user.role)}»" if user else "un usuario sin sesión"
        raise PermissionDenied(f"Permiso denegado: {who} no puede realizar esta acción ({permission}).")


def hash_password(password: str) -> str:
    return bcrypt.hashpw(password.encode(), bcrypt.gensalt(rounds=10)).decode()


def _check_password(password: str, hashed: str) -> bool:
    try:
        return bcrypt.checkpw(password.encode(), hashed.encode())
    except ValueError:
        return False


def _validate(email: str, name: str, role: str, password: str | None) -> None:
    if not EMAIL_RE.match(email):
        raise UserError("El correo electrónico no es válido.")
    if not name.strip():
        raise UserError("El nombre es obligatorio.")
    if role not in ROLES:
        raise UserError(f"Rol desconocido: {role}. Usa uno de: {', '.join(ROLES)}.")
    if password is not None and len(password) < 8:
        raise UserError("La contraseña debe tener al menos 8 caracteres.")


def _row_to_user(row) -> User:
    return User(id=row.id, email=row.email, name=row.name, role=row.role)


def _insert_user(conn: Connection, *, email: str, name: str, role: str, password: str) -> User:
    email = email.strip().lower()
    _validate(email, name, role, password)
    if conn.execute(select(users.c.id).where(users.c.email == email)).first():
        raise UserError(f"Ya existe una cuenta con el correo {email}.")
    new_id = conn.execute(users.insert().values(
        email=email, name=name.strip(), role=role, password_hash=hash_password(password)
    ).returning(users.c.id)).scalar_one()
    db.bump_version(conn, "users")
    return User(new_id, email, name.strip(), role)


def create_user(actor: User | None, *, email: str, name: str, role: str, password: str) -> User:
    """Create an account; only an admin may (``actor=None`` is the operator's CLI)."""
    if actor is not None:
        require(actor, "users:admin")
    with db.begin() as conn:
        return _insert_user(conn, email=email, name=name, role=role, password=password)


def register(*, email: str, name: str, password: str) -> User:
    """Self-registration: always a viewer; refused when ALLOW_SELF_REGISTRATION is off."""
    if not get_settings().allow_self_registration:
        raise UserError("El registro de cuentas está desactivado; pida una cuenta a un administrador.")
    with db.begin() as conn:
        return _insert_user(conn, email=email, name=name, role="viewer", password=password)


def get_user(email: str) -> User | None:
    """An active account by e-mail."""
    with db.get_engine().connect() as conn:
        row = conn.execute(select(users).where(users.c.email == email.strip().lower(),
                                               users.c.active.is_(True))).first()
    return _row_to_user(row) if row else None


def list_users(actor: User) -> list[dict]:
    require(actor, "users:admin")
    with db.get_engine().connect() as conn:
        rows = conn.execute(select(users.c.id, users.c.email, users.c.name, users.c.role,
                                   users.c.active, users.c.last_login_at, users.c.locked_until)
                            .order_by(users.c.email)).mappings().all()
    return [dict(r) for r in rows]


def update_user(actor: User, user_id: int, *, role: str | None = None, active: bool | None = None) -> None:
    """Change an account's role or activity; an admin cannot demote or deactivate themselves."""
    require(actor, "users:admin")
    values: dict = {}
    if role is not None:
        if role not in ROLES:
            raise UserError(f"Rol desconocido: {role}.")
        values["role"] = role
    if active is not None:
        values["active"] = active
    if user_id == actor.id and (values.get("role", "admin") != "admin" or values.get("active") is False):
        raise UserError("No puede quitarse el rol de administrador ni desactivar su propia cuenta.")
    if not values:
        return
    with db.begin() as conn:
        res = conn.execute(update(users).where(users.c.id == user_id)
                           .values(**values, updated_at=datetime.now()))
        if res.rowcount == 0:
            raise UserError("La cuenta no existe.")
        db.bump_version(conn, "users")


def authenticate(email: str, password: str, *, now: datetime | None = None) -> User:
    """Check a password, counting failures: five within 15 minutes lock the account 15 minutes."""
    now = now or datetime.now()
    email = (email or "").strip().lower()
    wrong = LoginRefused("Correo o contraseña incorrectos.")
    with db.begin() as conn:
        row = conn.execute(select(users).where(users.c.email == email)).first()
        if row is None:
            _check_password(password, _DUMMY_HASH)  # same cost as a real check: no user enumeration
            raise wrong
        if not row.active:
            raise LoginRefused("La cuenta está desactivada. Pida ayuda a un administrador.")
        if row.locked_until and row.locked_until > now:
            minutes = max(1, int((row.locked_until - now).total_seconds() // 60) + 1)
            raise LoginRefused(f"Cuenta bloqueada por demasiados intentos fallidos. "
                               f"Intente de nuevo en {minutes} min.")
        if not _check_password(password or "", row.password_hash):
            in_window = row.first_failed_at and now - row.first_failed_at < LOCK_WINDOW
            failed = (row.failed_logins + 1) if in_window else 1
            values = {"failed_logins": failed, "first_failed_at": row.first_failed_at if in_window else now}
            if failed >= MAX_FAILED_LOGINS:
                values["locked_until"] = now + LOCK_WINDOW
            conn.execute(update(users).where(users.c.id == row.id).values(**values))
            log.info("failed login for %s (%d in window)", email, failed)
        else:
            conn.execute(update(users).where(users.c.id == row.id).values(
                failed_logins=0, first_failed_at=None, locked_until=None, last_login_at=now))
            return _row_to_user(row)
    raise wrong


_DUMMY_HASH = hash_password("not-a-real-password")


def ensure_bootstrap_accounts() -> None:
    """In demo mode, one listed demo account per role; otherwise the first admin from settings.

    Demo mode creates no settings admin: an account with a well-known default password that the
    login page does not list would be a back door.
    """
    settings = get_settings()
    with db.begin() as conn:
        if settings.demo_mode:
            for role, (email, name) in DEMO_ACCOUNTS.items():
                if not conn.execute(select(users.c.id).where(users.c.email == email)).first():
                    _insert_user(conn, email=email, name=name, role=role, password=DEMO_PASSWORD)
        elif conn.execute(select(func.count()).select_from(users)).scalar_one() == 0:
            _insert_user(conn, email=settings.admin_email, name="Administrador", role="admin",
                         password=settings.admin_password)
