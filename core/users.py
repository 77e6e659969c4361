"""Accounts, roles and permissions, password hashing and login lockout."""

from __future__ import annotations

import logging
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import bcrypt
from sqlalchemy import Connection, and_, case, exists, func, not_, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite

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
# Input caps, checked before any other work on the text: RFC 5321's longest address, the
# column's width, and what bcrypt reads (it refuses longer input rather than cutting it).
MAX_EMAIL_CHARS = 254
MAX_NAME_CHARS = 255
MAX_PASSWORD_BYTES = 72
MIN_PASSWORD_CHARS = 8
# Linear: no character can be matched by two parts of the pattern (labels exclude the dot).
EMAIL_RE = re.compile(r"[^@\s\x00-\x1f\x7f]+@[^@\s\x00-\x1f\x7f.]+(?:\.[^@\s\x00-\x1f\x7f.]+)+")
# The one answer to every failed login (unknown e-mail, wrong password, deactivated or locked
# account): a stranger must not learn which accounts exist.
LOGIN_FAILED = "Correo o contraseña incorrectos."
# The one answer to a sign-up, whether or not the e-mail already had an account.
REGISTRATION_RECEIVED = ("Solicitud recibida. Si el correo no tenía cuenta, ya puede entrar "
                         "con él y la contraseña que eligió.")


@dataclass(frozen=True)
class User:
    id: int
    email: str
    name: str
    role: str
    # The version signed into this session's cookie; not part of who the user is.
    session_version: int = field(default=0, compare=False)

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
    except ValueError:  # also a password bcrypt cannot take (too long, not encodable)
        return False


def _password_bytes(password: str) -> int | None:
    """The password's UTF-8 length, or None when it cannot be encoded at all."""
    if len(password) > MAX_PASSWORD_BYTES:  # every character is at least one byte
        return len(password)
    try:
        return len(password.encode("utf-8"))
    except UnicodeEncodeError:
        return None


def _validate_password(password: str) -> None:
    size = _password_bytes(password)
    if size is None:
        raise UserError("La contraseña tiene caracteres no válidos.")
    if size > MAX_PASSWORD_BYTES:
        raise UserError(f"La contraseña es demasiado larga: máximo {MAX_PASSWORD_BYTES} bytes "
                        f"({MAX_PASSWORD_BYTES} letras sin acento; una letra con acento o ñ cuenta como dos).")
    if len(password) < MIN_PASSWORD_CHARS:
        raise UserError(f"La contraseña debe tener al menos {MIN_PASSWORD_CHARS} caracteres.")


def _validate_email(email: str) -> None:
    # The length first: the pattern never sees more than MAX_EMAIL_CHARS characters.
    if len(email) > MAX_EMAIL_CHARS:
        raise UserError(f"El correo electrónico es demasiado largo (máximo {MAX_EMAIL_CHARS} caracteres).")
    if not EMAIL_RE.fullmatch(email):
        raise UserError("El correo electrónico no es válido.")


def _validate_name(name: str) -> None:
    if len(name) > MAX_NAME_CHARS:
        raise UserError(f"El nombre es demasiado largo (máximo {MAX_NAME_CHARS} caracteres).")
    if not name.strip():
        raise UserError("El nombre es obligatorio.")
    if any(unicodedata.category(ch) == "Cc" for ch in name):
        raise UserError("El nombre tiene caracteres no válidos.")


def _validate(email: str, name: str, role: str, password: str | None) -> None:
    _validate_email(email)
    _validate_name(name)
    if role not in ROLES:
        raise UserError(f"Rol desconocido: {role}. Usa uno de: {', '.join(ROLES)}.")
    if password is not None:
        _validate_password(password)


def _normal_email(email: str | None) -> str:
    return (email or "").strip().lower()


def _row_to_user(row) -> User:
    return User(id=row.id, email=row.email, name=row.name, role=row.role,
                session_version=row.session_version)


_USER_COLUMNS = (users.c.id, users.c.email, users.c.name, users.c.role, users.c.session_version)


def _insert_user(conn: Connection, *, email: str, name: str, role: str, password: str) -> User:
    email = _normal_email(email)
    _validate(email, name, role, password)
    if conn.execute(select(users.c.id).where(users.c.email == email)).first():
        raise UserError(f"Ya existe una cuenta con el correo {email}.")
    new_id = conn.execute(users.insert().values(
        email=email, name=name.strip(), role=role, password_hash=hash_password(password)
    ).returning(users.c.id)).scalar_one()
    db.bump_version(conn, "users")
    return User(new_id, email, name.strip(), role)


def _insert_if_absent(conn: Connection, *, email: str, name: str, role: str, password_hash: str) -> bool:
    """Insert an account unless its e-mail exists (also when another process inserts it meanwhile)."""
    dialect_insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
    inserted = conn.execute(dialect_insert(users).values(
        email=email, name=name, role=role, password_hash=password_hash,
    ).on_conflict_do_nothing(index_elements=["email"]).returning(users.c.id)).first()
    if inserted:
        db.bump_version(conn, "users")
    return inserted is not None


def create_user(actor: User | None, *, email: str, name: str, role: str, password: str) -> User:
    """Create an account; only an admin may (``actor=None`` is the operator's CLI)."""
    if actor is not None:
        require(actor, "users:admin")
    with db.begin() as conn:
        return _insert_user(conn, email=email, name=name, role=role, password=password)


def register(*, email: str, name: str, password: str) -> None:
    """Self-registration of a viewer; refused when ALLOW_SELF_REGISTRATION is off.

    An e-mail that already has an account gets the same answer (REGISTRATION_RECEIVED) at the
    same cost (one bcrypt hash) and changes nothing: sign-up must not tell who has an account.
    """
    if not get_settings().allow_self_registration:
        raise UserError("El registro de cuentas está desactivado; pida una cuenta a un administrador.")
    email = _normal_email(email)
    _validate(email, name, "viewer", password)
    password_hash = hash_password(password)
    with db.begin() as conn:
        created = _insert_if_absent(conn, email=email, name=name.strip(), role="viewer",
                                    password_hash=password_hash)
    if not created:
        log.info("sign-up for an e-mail that already has an account: nothing changed")


def get_user(email: str) -> User | None:
    """An active account by e-mail."""
    with db.get_engine().connect() as conn:
        row = conn.execute(select(*_USER_COLUMNS).where(users.c.email == _normal_email(email),
                                                        users.c.active.is_(True))).first()
    return _row_to_user(row) if row else None


def session_user(email: str, session_version: int | None) -> User | None:
    """The active account a session names, while no logout or change has ended its sessions."""
    if not isinstance(session_version, int):
        return None
    user = get_user(email)
    return user if user is not None and user.session_version == session_version else None


def end_sessions(user: User) -> None:
    """Invalidate every session and cookie of the account (logout ends them on every device)."""
    with db.begin() as conn:
        conn.execute(update(users).where(users.c.id == user.id)
                     .values(session_version=users.c.session_version + 1))


def list_users(actor: User) -> list[dict]:
    require(actor, "users:admin")
    with db.get_engine().connect() as conn:
        rows = conn.execute(select(users.c.id, users.c.email, users.c.name, users.c.role,
                                   users.c.active, users.c.last_login_at, users.c.locked_until)
                            .order_by(users.c.email)).mappings().all()
    return [dict(r) for r in rows]


_ACTIVE_ADMIN = and_(users.c.role == "admin", users.c.active.is_(True))


def _lock_admins(conn: Connection) -> None:
    """On PostgreSQL, make changes to admin accounts wait for each other (SQLite writes one at a time).

    Without it two admins demoting each other at once both see the other still admin and leave none.
    """
    if conn.dialect.name == "postgresql":
        conn.execute(select(users.c.id).where(_ACTIVE_ADMIN).order_by(users.c.id).with_for_update())


def update_user(actor: User, user_id: int, *, role: str | None = None, active: bool | None = None) -> None:
    """Change an account's role or activity; its sessions end when either changes.

    Refused when it would leave no active admin, when the actor is no longer an active admin, and
    for an admin's own role or activity.
    """
    require(actor, "users:admin")
    if role is not None and role not in ROLES:
        raise UserError(f"Rol desconocido: {role}.")
    removes_admin = (role is not None and role != "admin") or active is False
    if user_id == actor.id and removes_admin:
        raise UserError("No puede quitarse el rol de administrador ni desactivar su propia cuenta.")
    values: dict = {}
    changed = []
    if role is not None:
        values["role"] = role
        changed.append(users.c.role != role)
    if active is not None:
        values["active"] = active
        changed.append(users.c.active != active)
    if not values:
        return
    other, acting = users.alias("other_admin"), users.alias("acting_admin")
    guards = [users.c.id == user_id,
              exists().where(acting.c.id == actor.id, acting.c.role == "admin", acting.c.active.is_(True))]
    if removes_admin:  # one statement: the count of other admins and the change cannot drift apart
        guards.append(or_(not_(_ACTIVE_ADMIN), exists().where(
            other.c.id != users.c.id, other.c.role == "admin", other.c.active.is_(True))))
    with db.begin() as conn:
        _lock_admins(conn)
        res = conn.execute(update(users).where(*guards).values(
            **values, session_version=users.c.session_version + case((or_(*changed), 1), else_=0),
            updated_at=datetime.now()))
        if res.rowcount == 0:
            raise _why_not_updated(conn, actor, user_id)
        db.bump_version(conn, "users")


def _why_not_updated(conn: Connection, actor: User, user_id: int) -> ReadableError:
    if conn.execute(select(users.c.id).where(users.c.id == user_id)).first() is None:
        return UserError("La cuenta no existe.")
    if conn.execute(select(users.c.id).where(users.c.id == actor.id, _ACTIVE_ADMIN)).first() is None:
        return PermissionDenied("Permiso denegado: su cuenta ya no es de administrador activo.")
    return UserError("No se puede quitar el rol ni desactivar al último administrador activo.")


def set_password(actor: User, user_id: int, password: str) -> None:
    """Change a password (one's own, or anyone's as an admin); the account's sessions end."""
    if actor.id != user_id:
        require(actor, "users:admin")
    _validate_password(password)
    password_hash = hash_password(password)
    with db.begin() as conn:
        res = conn.execute(update(users).where(users.c.id == user_id).values(
            password_hash=password_hash, session_version=users.c.session_version + 1,
            updated_at=datetime.now()))
        if res.rowcount == 0:
            raise UserError("La cuenta no existe.")


def _unlocked(now: datetime):
    return or_(users.c.locked_until.is_(None), users.c.locked_until <= now)


def authenticate(email: str, password: str, *, now: datetime | None = None) -> User:
    """Check a password, counting failures: five within 15 minutes lock the account 15 minutes.

    Every refusal is the same LoginRefused(LOGIN_FAILED) after the same work (one bcrypt check),
    whether the e-mail is unknown, the account deactivated or locked, or the password wrong.
    """
    now = now or datetime.now()
    email, password = _normal_email(email), password or ""
    fits = len(email) <= MAX_EMAIL_CHARS and (_password_bytes(password) or 0) <= MAX_PASSWORD_BYTES
    row = None
    if fits:
        with db.get_engine().connect() as conn:
            row = conn.execute(select(users.c.id, users.c.password_hash)
                               .where(users.c.email == email)).first()
    matches = _check_password(password if fits else "", row.password_hash if row else _DUMMY_HASH)
    if row is not None and matches:
        if user := _record_success(row.id, now):
            return user
    elif row is not None:
        _record_failure(row.id, now)
    raise LoginRefused(LOGIN_FAILED)


def _record_success(user_id: int, now: datetime) -> User | None:
    """Clear the failures of an active, unlocked account in one statement; None otherwise."""
    with db.begin() as conn:
        row = conn.execute(update(users).where(users.c.id == user_id, users.c.active.is_(True), _unlocked(now))
                           .values(failed_logins=0, first_failed_at=None, locked_until=None, last_login_at=now)
                           .returning(*_USER_COLUMNS)).first()
    return _row_to_user(row) if row else None


def _record_failure(user_id: int, now: datetime) -> None:
    """Count a failure in one statement, so parallel attempts each count: read, add and lock in SQL.

    A locked account counts nothing more: the counter ends at the attempts that led to the lock.
    """
    in_window = and_(users.c.first_failed_at.is_not(None), users.c.first_failed_at > now - LOCK_WINDOW)
    failed = case((in_window, users.c.failed_logins + 1), else_=1)
    with db.begin() as conn:
        count = conn.execute(update(users).where(users.c.id == user_id, _unlocked(now)).values(
            failed_logins=failed,
            first_failed_at=case((in_window, users.c.first_failed_at), else_=now),
            locked_until=case((failed >= MAX_FAILED_LOGINS, now + LOCK_WINDOW), else_=users.c.locked_until),
        ).returning(users.c.failed_logins)).scalar()
    if count is not None and count >= MAX_FAILED_LOGINS:
        log.warning("account %s locked after %d failed logins", user_id, count)
    elif count is not None:
        log.info("failed login for account %s (%d in window)", user_id, count)


_DUMMY_HASH = hash_password("not-a-real-password")


def ensure_bootstrap_accounts() -> None:
    """Demo mode: one listed demo account per role. Production: no demo account may log in, and
    ADMIN_EMAIL always exists. Development on a real ERP: the first admin on an empty database.

    Demo mode creates no settings admin: an account with a well-known default password that the
    login page does not list would be a back door. For the same reason production disables
    demo accounts a demo run left in the same database.
    """
    settings = get_settings()
    with db.begin() as conn:
        if settings.demo_mode:
            for role, (email, name) in DEMO_ACCOUNTS.items():
                if not conn.execute(select(users.c.id).where(users.c.email == email)).first():
                    _insert_user(conn, email=email, name=name, role=role, password=DEMO_PASSWORD)
            return
        if settings.app_env == "production":
            _disable_demo_accounts(conn)
        elif conn.execute(select(func.count()).select_from(users)).scalar_one() > 0:
            return
        _ensure_admin(conn, email=settings.admin_email, password=settings.admin_password)


def _disable_demo_accounts(conn: Connection) -> None:
    emails = [email for email, _name in DEMO_ACCOUNTS.values()]
    disabled = conn.execute(update(users).where(users.c.email.in_(emails), users.c.active.is_(True))
                            .values(active=False, session_version=users.c.session_version + 1,
                                    updated_at=datetime.now())
                            .returning(users.c.email)).scalars().all()
    if disabled:
        db.bump_version(conn, "users")
        log.warning("production: demo accounts disabled (their password is public): %s",
                    ", ".join(sorted(disabled)))


def _ensure_admin(conn: Connection, *, email: str, password: str) -> None:
    """Create the settings admin when missing; an existing account keeps its password and role."""
    email = _normal_email(email)
    _validate(email, "Administrador", "admin", password)
    if conn.execute(select(users.c.id).where(users.c.email == email)).first():
        return
    if _insert_if_absent(conn, email=email, name="Administrador", role="admin",
                         password_hash=hash_password(password)):
        log.warning("created the admin account %s from ADMIN_EMAIL", email)
