"""query_history: every question asked, with its SQL, rows, time and status; and the rate limit.

A user reads only their own rows and an admin everyone's. On PostgreSQL the rule is the table's
row-level security (migration 0009): history is read and written as ``<database>_ask_history``,
with the acting user in ``devcompras.user_id``/``devcompras.user_role`` for the transaction, so
the rule holds even when the app connects as a superuser. On SQLite the same rule is the WHERE
clause below (which PostgreSQL applies too).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, func, select, text

from core import db
from core.ask.run import database_name
from core.models import query_history, users
from core.users import User

HISTORY_SUFFIX = "_ask_history"


@contextmanager
def _as_user(user: User) -> Iterator[Connection]:
    with db.begin() as conn:
        if conn.dialect.name == "postgresql":
            role = database_name(conn.engine.url.render_as_string(hide_password=False)) + HISTORY_SUFFIX
            conn.exec_driver_sql('SET LOCAL ROLE "' + role.replace('"', '""') + '"')
            conn.execute(text("SELECT set_config('devcompras.user_id', :id, true), "
                              "set_config('devcompras.user_role', :role, true)"),
                         {"id": str(user.id), "role": user.role})
        yield conn


def record(user: User, *, question: str, sql: str | None, explanation: str | None, rows: int | None,
           ms: float | None, status: str, error: str | None = None) -> None:
    with _as_user(user) as conn:
        conn.execute(query_history.insert().values(
            user_id=user.id, question=question[:500], sql=sql, explanation=explanation, rows=rows,
            ms=int(ms) if ms is not None else None, status=status, error=error, created_at=datetime.now()))


def recent(user: User, *, limit: int = 20, everyone: bool = False) -> list[dict[str, Any]]:
    """The newest questions: the user's own; everyone's only for an admin asking for it."""
    q = query_history
    query = (select(q.c.id, q.c.user_id, q.c.question, q.c.sql, q.c.explanation, q.c.rows, q.c.ms, q.c.status,
                    q.c.error, q.c.created_at).order_by(q.c.created_at.desc(), q.c.id.desc()).limit(limit))
    if not (everyone and user.role == "admin"):
        query = query.where(q.c.user_id == user.id)
    with _as_user(user) as conn:
        rows = [dict(r) for r in conn.execute(query).mappings()]
    if rows and everyone and user.role == "admin":
        with db.get_engine().connect() as conn:
            emails = dict(conn.execute(select(users.c.id, users.c.email)
                                       .where(users.c.id.in_({r["user_id"] for r in rows}))).all())
        for r in rows:
            r["email"] = emails.get(r["user_id"], "")
    return rows


def asked_since(user: User, since: datetime) -> int:
    with _as_user(user) as conn:
        return int(conn.execute(select(func.count()).select_from(query_history).where(
            query_history.c.user_id == user.id, query_history.c.created_at >= since)).scalar_one())


def asked_last_minute(user: User, now: datetime | None = None) -> int:
    return asked_since(user, (now or datetime.now()) - timedelta(minutes=1))
