"""One sync per entity at a time, across threads, processes and machines.

PostgreSQL: a session-level advisory lock held on a dedicated connection; the server
drops it by itself when the holder dies (even on SIGKILL). Elsewhere (SQLite): a lease
(``core.leases``) renewed by a heartbeat while the sync runs, however slow a batch is; a
lease whose holder died on this host, or whose heartbeat stopped, can be taken over.
"""

from __future__ import annotations

import logging

from sqlalchemy import Connection, text

from core import leases
from core.db import dialect_name, get_engine
from core.errors import ReadableError

log = logging.getLogger(__name__)

LEASE_SECONDS = 300
# Stable advisory-lock keys (a namespace in the high bits keeps us clear of others' locks).
_ADVISORY_BASE = 0x44430000  # "DC"
_ENTITY_KEYS = {"productos": 1, "inventario": 2, "clientes": 3, "ventas": 4}


class SyncBusy(ReadableError):
    """A sync of the entity is already running; the message is in Spanish."""


class EntityLock:
    """Exclusive right to sync one entity; ``acquire()`` never waits."""

    def __init__(self, entity: str) -> None:
        self.entity = entity
        self._lease = leases.Lease(entity, seconds=LEASE_SECONDS)
        self.owner = self._lease.owner
        self._conn: Connection | None = None
        self._held = False

    def acquire(self) -> bool:
        """Take the lock if free; False when someone else holds it."""
        if dialect_name() == "postgresql":
            conn = get_engine().connect()
            got = conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": self._key()}).scalar()
            conn.commit()
            if not got:
                conn.close()
                return False
            self._conn = conn
        elif not self._lease.acquire():
            return False
        self._held = True
        return True

    def is_held(self) -> bool:
        """Whether someone holds the lock now, without taking it (so a probe never refuses a
        sync that starts at the same moment)."""
        if dialect_name() != "postgresql":
            return leases.holder_alive(self.entity)
        with get_engine().connect() as conn:
            # Advisory locks belong to one database: another database on the same server (a
            # second DevCompras, a test run) may hold the same key without blocking us.
            # A bigint advisory key below 2**32 shows as classid 0, objid key, objsubid 1.
            return conn.execute(text(
                "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' "
                "AND database = (SELECT oid FROM pg_database WHERE datname = current_database()) "
                "AND classid = 0 AND objid = :k AND objsubid = 1 AND granted)"),
                {"k": self._key()}).scalar_one()

    def renew(self) -> None:
        """Extend the lease now (the heartbeat does it anyway; no-op on PostgreSQL)."""
        if self._held and self._conn is None:
            self._lease.renew()

    def release(self) -> None:
        """Give the lock back; safe to call twice."""
        if not self._held:
            return
        self._held = False
        if self._conn is not None:
            try:
                self._conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": self._key()})
                self._conn.commit()
            finally:
                self._conn.close()
                self._conn = None
            return
        self._lease.release()

    def _key(self) -> int:
        return _ADVISORY_BASE + _ENTITY_KEYS.get(self.entity, 99)

    def __enter__(self) -> EntityLock:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()
