"""Engine, transactions, the one upsert path every loader uses, and data versions."""

from __future__ import annotations

import itertools
import logging
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from operator import itemgetter
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, select, text, update
from sqlalchemy.dialects import postgresql, sqlite

from core.config import ROOT, get_settings
from core.models import DOMAINS, data_versions, metadata

log = logging.getLogger(__name__)
_tmp_counter = itertools.count()


@dataclass
class UpsertResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0

    @property
    def processed(self) -> int:
        return self.created + self.updated + self.unchanged

    def __add__(self, other: UpsertResult) -> UpsertResult:
        return UpsertResult(self.created + other.created, self.updated + other.updated,
                            self.unchanged + other.unchanged)


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()


# The word similarity a typed word needs in the inventory search (core/inventory/search.py).
# pg_trgm's default, 0.6, misses one wrong letter in the middle of a long word ("galvanisado"
# scores 0.6 against "galvanizado", "tornilo" 0.75). It is a session setting that every PostgreSQL
# connection gets in its first packet, so no search spends a round trip setting it.
TRGM_WORD_THRESHOLD = 0.5
_PG_OPTIONS = f"-c pg_trgm.word_similarity_threshold={TRGM_WORD_THRESHOLD}"


@lru_cache(maxsize=8)
def _engine_for(url: str) -> Engine:
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=10,
                         connect_args={"options": _PG_OPTIONS})


def get_engine(url: str | None = None) -> Engine:
    return _engine_for(url or get_settings().database_url)


def dialect_name(conn: Connection | Engine | None = None) -> str:
    return (conn or get_engine()).dialect.name


@contextmanager
def begin(url: str | None = None) -> Iterator[Connection]:
    """A connection inside one transaction: committed on success, rolled back on error."""
    with get_engine(url).begin() as conn:
        yield conn


def _alembic(url: str | None, action: str, revision: str) -> None:
    from alembic import command
    from alembic.config import Config

    cfg = Config(str(ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(ROOT / "core" / "migrations"))
    with get_engine(url).begin() as conn:
        cfg.attributes["connection"] = conn
        getattr(command, action)(cfg, revision)


def migrate(url: str | None = None, revision: str = "head") -> None:
    """Apply Alembic migrations up to ``revision`` and make sure every data domain has a counter."""
    _alembic(url, "upgrade", revision)
    if revision == "head":
        with begin(url) as conn:
            existing = set(conn.scalars(select(data_versions.c.domain)))
            missing = [{"domain": d, "version": 0} for d in DOMAINS if d not in existing]
            if missing:
                conn.execute(data_versions.insert(), missing)


def downgrade(url: str | None = None, revision: str = "base") -> None:
    _alembic(url, "downgrade", revision)


# Cluster-wide roles the migrations create for one database (named after it): migration 0009's.
DATABASE_ROLE_SUFFIXES = ("_ask_reader", "_ask_history")


def drop_database(admin_conn: Any, name: str) -> None:
    """Drop a PostgreSQL database and the roles its migrations created (tests, benches).

    ``admin_conn`` is an autocommit psycopg connection to another database of the cluster.
    """
    admin_conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    for suffix in DATABASE_ROLE_SUFFIXES:
        admin_conn.execute(f'DROP ROLE IF EXISTS "{name}{suffix}"')


# ---------------------------------------------------------------- upsert


def upsert(
    conn: Connection,
    table: str,
    rows: Sequence[Sequence[Any]],
    *,
    columns: Sequence[str],
    key: Sequence[str],
    fresh: bool = False,
) -> UpsertResult:
    """Insert new rows and update changed ones by ``key``; unchanged rows are not written.

    Rows are tuples in ``columns`` order. A key repeated inside ``rows`` keeps its last row.
    ``updated_at`` and ``last_synced_at`` are stamped on written rows when the table has them.
    ``fresh=True`` (added for bulk Excel loads): the caller knows no key exists yet (e.g. the lines
    of documents created in this transaction), so rows go straight in without the conflict check;
    an existing key then fails the transaction instead of updating it.
    """
    if not rows:
        return UpsertResult()
    tbl = metadata.tables[table]
    stamps = [c for c in ("updated_at", "last_synced_at") if c in tbl.c and c not in columns]
    if fresh:
        return _insert_fresh(conn, table, rows, columns, key, stamps)
    key_idx = [columns.index(k) for k in key]
    unique = {tuple(r[i] for i in key_idx): r for r in rows}
    rows = list(unique.values())
    if conn.dialect.name == "postgresql":
        return _upsert_postgresql(conn, table, rows, columns, key, stamps)
    return _upsert_sqlite(conn, table, rows, columns, key, stamps)


def _insert_fresh(conn: Connection, table: str, rows: Sequence[Sequence[Any]], columns: Sequence[str],
                  key: Sequence[str], stamps: Sequence[str]) -> UpsertResult:
    """Rows whose keys cannot exist yet: COPY straight into the table (PostgreSQL) or INSERT (SQLite)."""
    # Same "last row wins" rule as upsert, checked in C first: bulk callers rarely repeat a key.
    getter = itemgetter(*[columns.index(k) for k in key])
    if len(set(map(getter, rows))) != len(rows):
        rows = list({getter(r): r for r in rows}.values())
    cols = [*columns, *stamps]
    if stamps:
        now = datetime.now()
        rows = [(*r, *([now] * len(stamps))) for r in rows]
    return UpsertResult(created=copy_rows(conn, table, cols, [rows]))


def copy_rows(conn: Connection, table: str, columns: Sequence[str],
              chunks: Iterable[Sequence[Sequence[Any]]]) -> int:
    """Insert rows whose keys the caller knows are new, with no conflict check; returns the count.

    On PostgreSQL all chunks go through one COPY, so the server inserts one chunk while the
    caller builds the next (a COPY per chunk would wait for the server at the end of each).
    """
    count = 0
    if conn.dialect.name == "postgresql":
        raw = conn.connection.driver_connection
        assert raw is not None  # a live psycopg connection inside the caller's transaction
        with raw.cursor() as cur, cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            for rows in chunks:
                for row in rows:
                    copy.write_row(row)
                count += len(rows)
        return count
    tbl = metadata.tables[table]
    procs = [tbl.c[c].type._cached_bind_processor(conn.dialect) for c in columns]
    sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' for _ in columns)})"
    for rows in chunks:
        if any(procs):
            rows = [tuple(p(v) if p and v is not None else v for p, v in zip(procs, r, strict=True))
                    for r in rows]
        if rows:
            conn.exec_driver_sql(sql, rows)
        count += len(rows)
    return count


def copy_text(conn: Connection, table: str, columns: Sequence[str], payload: bytes) -> None:
    """COPY rows already in PostgreSQL's text format (made elsewhere, e.g. in a reader process)."""
    if not payload:
        return
    raw = conn.connection.driver_connection
    assert raw is not None  # a live psycopg connection inside the caller's transaction
    with raw.cursor() as cur, cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        copy.write(payload)


def _set_clause(target: str, columns: Sequence[str], key: Sequence[str], stamps: Sequence[str],
                now_sql: str, excluded: str) -> tuple[str, str]:
    changing = [c for c in columns if c not in key]
    sets = [f"{c} = {excluded}.{c}" for c in changing] + [f"{c} = {now_sql}" for c in stamps]
    return ", ".join(sets), ", ".join(changing)


def _upsert_postgresql(conn: Connection, table: str, rows: list, columns: Sequence[str],
                       key: Sequence[str], stamps: Sequence[str]) -> UpsertResult:
    tmp = f"_up_{table}_{next(_tmp_counter)}"
    cols = ", ".join(columns)
    conn.exec_driver_sql(f"CREATE TEMP TABLE {tmp} ON COMMIT DROP AS SELECT {cols} FROM {table} WITH NO DATA")
    raw = conn.connection.driver_connection
    assert raw is not None  # a live psycopg connection inside the caller's transaction
    with raw.cursor() as cur, cur.copy(f"COPY {tmp} ({cols}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)
    sets, changing = _set_clause(table, columns, key, stamps, "LOCALTIMESTAMP", "EXCLUDED")
    if changing:
        old = ", ".join(f"{table}.{c}" for c in changing.split(", "))
        new = ", ".join(f"EXCLUDED.{c}" for c in changing.split(", "))
        conflict = f"DO UPDATE SET {sets} WHERE ROW({old}) IS DISTINCT FROM ROW({new})"
    else:
        conflict = "DO NOTHING"
    insert_cols = cols + "".join(f", {c}" for c in stamps)
    insert_vals = cols + "".join(", LOCALTIMESTAMP" for _ in stamps)
    created, updated = conn.exec_driver_sql(
        f"WITH up AS (INSERT INTO {table} ({insert_cols}) SELECT {insert_vals} FROM {tmp} "
        f"ON CONFLICT ({', '.join(key)}) {conflict} RETURNING (xmax = 0) AS inserted) "
        "SELECT count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted) FROM up"
    ).one()
    conn.exec_driver_sql(f"DROP TABLE {tmp}")
    return UpsertResult(created, updated, len(rows) - created - updated)


def _upsert_sqlite(conn: Connection, table: str, rows: list, columns: Sequence[str],
                   key: Sequence[str], stamps: Sequence[str]) -> UpsertResult:
    tbl = metadata.tables[table]
    # Store values exactly as SQLAlchemy would (datetime text format, Decimal as float), so
    # that the IS NOT comparison below sees no false changes.
    procs = [tbl.c[c].type._cached_bind_processor(conn.dialect) for c in columns]
    if any(procs):
        rows = [tuple(p(v) if p and v is not None else v for p, v in zip(procs, r, strict=True))
                for r in rows]
    tmp = f"_up_{table}_{next(_tmp_counter)}"
    cols = ", ".join(columns)
    conn.exec_driver_sql(f"CREATE TEMP TABLE {tmp} AS SELECT {cols} FROM {table} WHERE 0")
    conn.exec_driver_sql(f"INSERT INTO {tmp} ({cols}) VALUES ({', '.join('?' for _ in columns)})", rows)
    on = " AND ".join(f"t.{k} = s.{k}" for k in key)
    existing = conn.exec_driver_sql(f"SELECT count(*) FROM {tmp} s JOIN {table} t ON {on}").scalar_one()
    now = "strftime('%Y-%m-%d %H:%M:%f000', 'now')"
    sets, changing = _set_clause(table, columns, key, stamps, now, "excluded")
    if changing:
        differs = " OR ".join(f"{table}.{c} IS NOT excluded.{c}" for c in changing.split(", "))
        conflict = f"DO UPDATE SET {sets} WHERE {differs}"
    else:
        conflict = "DO NOTHING"
    insert_cols = cols + "".join(f", {c}" for c in stamps)
    insert_vals = cols + "".join(f", {now}" for _ in stamps)
    written = conn.exec_driver_sql(
        f"INSERT INTO {table} ({insert_cols}) SELECT {insert_vals} FROM {tmp} WHERE true "
        f"ON CONFLICT ({', '.join(key)}) {conflict}"
    ).rowcount
    conn.exec_driver_sql(f"DROP TABLE {tmp}")
    created = len(rows) - existing
    updated = written - created
    return UpsertResult(created, updated, existing - updated)


# ---------------------------------------------------------------- lookups and versions


def id_map(conn: Connection, table: str, key_col: str = "erp_id", *, where: Any = None) -> dict[Any, int]:
    """Our id by another unique column (by default the ERP id)."""
    tbl = metadata.tables[table]
    query = select(tbl.c[key_col], tbl.c.id).where(tbl.c[key_col].is_not(None))
    if where is not None:
        query = query.where(where)
    return {k: v for k, v in conn.execute(query)}


def bump_version(conn: Connection, *domains: str) -> None:
    """Advance the data version of each domain, inside the caller's transaction."""
    for domain in domains:
        if domain not in DOMAINS:
            raise ValueError(f"unknown data domain {domain!r}")
        res = conn.execute(
            update(data_versions).where(data_versions.c.domain == domain)
            .values(version=data_versions.c.version + 1, updated_at=datetime.now())
        )
        if res.rowcount == 0:
            ins = (postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert)(data_versions)
            conn.execute(ins.values(domain=domain, version=1).on_conflict_do_update(
                index_elements=["domain"], set_={"version": data_versions.c.version + 1}))


def data_versions_now(url: str | None = None) -> dict[str, int]:
    """Current version of every data domain; pages key their caches on these."""
    with get_engine(url).connect() as conn:
        return {d: v for d, v in conn.execute(select(data_versions.c.domain, data_versions.c.version))}


def describe_error(exc: BaseException) -> str | None:
    """A Spanish sentence for a database failure, or None when ``exc`` is not one."""
    from sqlalchemy.exc import DBAPIError, OperationalError

    if isinstance(exc, OperationalError):
        log.info("database unreachable: %s", exc)
        return ("No se pudo conectar con la base de datos: revise DATABASE_URL y que el servidor "
                "esté en línea.")
    if isinstance(exc, DBAPIError):
        log.info("database error: %s", exc)
        return "La base de datos rechazó la operación; el detalle quedó en el registro."
    return None


def ping(url: str | None = None) -> None:
    with get_engine(url).connect() as conn:
        conn.execute(text("SELECT 1"))
