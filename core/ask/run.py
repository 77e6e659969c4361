"""Layer 4, the run: a checked statement reads the database with the least power we can give it.

PostgreSQL: a READ ONLY transaction with a statement timeout, as the role that migration 0009
creates (``<database>_ask_reader``, SELECT on the allow-listed tables only), always rolled back.
SQLite: a new read-only connection (``mode=ro``, ``PRAGMA query_only``) with an authorizer that
allows reading only the allow-listed tables and known functions, and a progress handler that
interrupts the statement at the timeout.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.engine import make_url

from core import db
from core.ask.errors import DangerousSql, ExecutionError
from core.ask.guard import ALLOWED_FUNCTIONS, Checked
from core.ask.schema import ALLOWED_TABLES, PRIVATE_COLUMNS
from core.config import get_settings

log = logging.getLogger(__name__)
READER_SUFFIX = "_ask_reader"


@dataclass(frozen=True)
class Result:
    columns: list[str]
    rows: list[dict[str, Any]]  # JSON-ready: numbers as int/float, dates as ISO text
    ms: float
    estimated_rows: int | None  # the planner's estimate (PostgreSQL); SQLite gives none


def plain(value: Any) -> Any:
    """A database value as JSON-ready Python: Decimal → float, dates → ISO text."""
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, datetime):
        return value.isoformat(sep=" ", timespec="seconds")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        return round(value, 6)  # SQLite's float sums carry noise in the last digits
    if isinstance(value, bytes | memoryview):
        return None
    return value


def execute(checked: Checked, *, url: str | None = None, explain: bool = True) -> Result:
    """Run a statement the guard accepted; raise ExecutionError / DangerousSql with a Spanish message."""
    engine = db.get_engine(url)
    timeout = get_settings().ask_statement_timeout_s
    if engine.dialect.name == "postgresql":
        return _run_postgresql(engine, checked, timeout, explain)
    return _run_sqlite(engine, checked, timeout)


@lru_cache(maxsize=8)
def database_name(url: str) -> str:
    """The PostgreSQL database's name: migration 0009's roles are named after it (roles are cluster-wide)."""
    with db.get_engine(url).connect() as conn:
        return str(conn.exec_driver_sql("SELECT current_database()").scalar_one())


def reader_role(url: str) -> str:
    """The read-only role of this database."""
    return database_name(url) + READER_SUFFIX


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def _run_postgresql(engine: Engine, checked: Checked, timeout: float, explain: bool) -> Result:
    import psycopg

    role = reader_role(engine.url.render_as_string(hide_password=False))
    with engine.connect() as conn:
        raw = conn.connection.driver_connection
        assert raw is not None
        try:
            with raw.cursor() as cur:
                cur.execute("BEGIN READ ONLY")
                try:
                    cur.execute(f"SET LOCAL statement_timeout = {max(1, int(timeout * 1000))}")
                    cur.execute(f"SET LOCAL ROLE {_quote(role)}")
                    cur.execute("SET LOCAL search_path = public")
                    cur.execute("SELECT current_setting('transaction_read_only'), current_user")
                    if cur.fetchone() != ("on", role):  # never run it in a writable transaction
                        raise ExecutionError("No se pudo abrir una lectura de sólo lectura.", rule="solo_lectura")
                    estimated = None
                    if explain:
                        cur.execute("EXPLAIN (FORMAT JSON) " + checked.sql)
                        plan = cur.fetchone()[0]  # type: ignore[index]
                        plan = json.loads(plan) if isinstance(plan, str) else plan
                        estimated = int(plan[0]["Plan"]["Plan Rows"])
                    started = time.perf_counter()
                    cur.execute(checked.sql)
                    columns = [d.name for d in cur.description or []]
                    fetched = cur.fetchall()
                    ms = (time.perf_counter() - started) * 1000
                finally:
                    raw.rollback()
        except psycopg.errors.QueryCanceled as exc:
            raise _timeout(timeout, checked) from exc
        except (psycopg.errors.InsufficientPrivilege, psycopg.errors.ReadOnlySqlTransaction) as exc:
            log.info("database refused an AI query: %s", exc)
            raise DangerousSql("La base de datos negó el permiso: la consulta sólo puede leer las "
                               "tablas de análisis.", rule="permiso_bd", sql=checked.sql) from exc
        except psycopg.Error as exc:
            raise _failed(exc, checked) from exc
    return Result(columns, [dict(zip(columns, map(plain, r), strict=True)) for r in fetched], ms, estimated)


def _timeout(timeout: float, checked: Checked) -> ExecutionError:
    return ExecutionError(f"La consulta tardó más de {timeout:g} s y se canceló; acote el periodo o "
                          "los filtros.", rule="tiempo_agotado", sql=checked.sql)


def _failed(exc: Exception, checked: Checked) -> ExecutionError:
    detail = str(exc).strip().splitlines()[0][:300] if str(exc).strip() else type(exc).__name__
    log.info("AI query failed: %s", detail)
    return ExecutionError(f"La base de datos no pudo ejecutar la consulta: {detail}",
                          rule="ejecucion", sql=checked.sql)


_ALLOWED_SQLITE_FUNCTIONS = frozenset(f.lower() for f in ALLOWED_FUNCTIONS) | {
    "total", "printf", "like", "glob", "julianday", "strftime", "date", "datetime", "time",
    "ifnull", "iif", "substr", "instr", "coalesce", "group_concat", "round",
}


def _authorizer_for(real_tables: frozenset[str]) -> Callable[..., int]:
    """Reads of the allow-listed tables, and of names that are no table (a WITH's own rows)."""

    def authorize(action: int, arg1: str | None, arg2: str | None, _db: str | None, _trigger: str | None) -> int:
        if action == sqlite3.SQLITE_READ:
            name = (arg1 or "").lower()
            ok = name in ALLOWED_TABLES or (name not in real_tables and not name.startswith("sqlite_"))
            if (arg2 or "").lower() in PRIVATE_COLUMNS.get(name, ()):
                ok = False  # customer personal data, as in the guard
            return sqlite3.SQLITE_OK if ok else sqlite3.SQLITE_DENY
        return _authorizer(action, arg1, arg2, _db, _trigger)

    return authorize


def _authorizer(action: int, arg1: str | None, arg2: str | None, _db: str | None, _trigger: str | None) -> int:
    if action == sqlite3.SQLITE_SELECT:
        return sqlite3.SQLITE_OK
    if action == sqlite3.SQLITE_READ:
        name = (arg1 or "").lower()
        ok = name in ALLOWED_TABLES and (arg2 or "").lower() not in PRIVATE_COLUMNS.get(name, ())
        return sqlite3.SQLITE_OK if ok else sqlite3.SQLITE_DENY
    if action == sqlite3.SQLITE_FUNCTION:
        return sqlite3.SQLITE_OK if (arg2 or "").lower() in _ALLOWED_SQLITE_FUNCTIONS else sqlite3.SQLITE_DENY
    if action == sqlite3.SQLITE_RECURSIVE:
        return sqlite3.SQLITE_OK
    return sqlite3.SQLITE_DENY


def _sqlite_path(engine: Engine) -> str:
    path = make_url(str(engine.url)).database or ""
    if not path or path == ":memory:":
        raise ExecutionError("La consulta IA necesita una base SQLite en archivo.", rule="ejecucion")
    return path


def _run_sqlite(engine: Engine, checked: Checked, timeout: float) -> Result:
    path = _sqlite_path(engine)
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5, check_same_thread=False)
    deadline = time.monotonic() + timeout
    interrupted = False

    def progress() -> int:
        nonlocal interrupted
        if time.monotonic() > deadline:
            interrupted = True
            return 1
        return 0

    try:
        conn.execute("PRAGMA query_only = 1")
        real = frozenset(str(n).lower() for (n,) in conn.execute(
            "SELECT name FROM sqlite_master WHERE type IN ('table', 'view')"))
        conn.set_authorizer(_authorizer_for(real))
        conn.set_progress_handler(progress, 10_000)
        started = time.perf_counter()
        cur = conn.execute(checked.sql)
        columns = [d[0] for d in cur.description or []]
        fetched = cur.fetchall()
        ms = (time.perf_counter() - started) * 1000
    except sqlite3.DatabaseError as exc:
        if interrupted:
            raise _timeout(timeout, checked) from exc
        if "not authorized" in str(exc) or "readonly" in str(exc) or "prohibited" in str(exc):
            log.info("SQLite refused an AI query: %s", exc)
            raise DangerousSql("La base de datos negó el permiso: la consulta sólo puede leer las "
                               "tablas de análisis.", rule="permiso_bd", sql=checked.sql) from exc
        raise _failed(exc, checked) from exc
    finally:
        conn.close()
    return Result(columns, [dict(zip(columns, map(plain, r), strict=True)) for r in fetched], ms, None)
