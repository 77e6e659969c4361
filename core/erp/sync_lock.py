"""One sync per entity at a time, across threads, processes and machines.

PostgreSQL: a session-level advisory lock held on a dedicated connection; the server
drops it by itself when the holder dies (even on SIGKILL). Elsewhere (SQLite): a lease
row in ``sync_locks`` renewed on every batch; a lease whose holder died on this host,
or that was not renewed in time, can be taken over.
"""

from __future__ import annotations

import logging
import os
import socket
import uuid
from datetime import datetime, timedelta

import psutil
from sqlalchemy import Connection, text

from core.db import begin, dialect_name, get_engine
from core.errors import ReadableError

log = logging.getLogger(__name__)

LEASE_SECONDS = 300
# Stable advisory-lock keys (a namespace in the high bits keeps us clear of others' locks).
_ADVISORY_BASE = 0x44430000  # "DC"
_ENTITY_KEYS = {"productos": 1, "inventario": 2, "clientes": 3, "ventas": 4}


class SyncBusy(ReadableError):
    """A sync of the entity is already running; the message is in Spanish."""


def _now() -> datetime:
    return datetime.now().replace(microsecond=0)


def _owner_dead(owner: str) -> bool:
    """True when the lease holder was a process on this host that no longer exists."""
    host, _, rest = owner.partition(":")
    pid_text = rest.split(":", 1)[0]
    if host != socket.gethostname() or not pid_text.isdigit():
        return False
    try:
        # A killed process can linger as a zombie until someone reaps it: that is dead too.
        return psutil.Process(int(pid_text)).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


class EntityLock:
    """Exclusive right to sync one entity; ``acquire()`` never waits."""

    def __init__(self, entity: str) -> None:
        self.entity = entity
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
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
        else:
            if not self._take_lease():
                return False
        self._held = True
        return True

    def is_held(self) -> bool:
        """Whether someone holds the lock now, without taking it (so a probe never refuses a
        sync that starts at the same moment)."""
        if dialect_name() == "postgresql":
            with get_engine().connect() as conn:
                # A bigint advisory key below 2**32 shows as classid 0, objid key, objsubid 1.
                return conn.execute(text(
                    "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' "
                    "AND classid = 0 AND objid = :k AND objsubid = 1 AND granted)"),
                    {"k": self._key()}).scalar_one()
        with get_engine().connect() as conn:
            row = conn.execute(text("SELECT owner, expires_at FROM sync_locks WHERE entity = :e"),
                               {"e": self.entity}).first()
        if row is None:
            return False
        expires = row.expires_at
        if isinstance(expires, str):
            expires = datetime.fromisoformat(expires)
        return expires > _now() and not _owner_dead(row.owner)

    def renew(self) -> None:
        """Extend the lease (no-op on PostgreSQL, where the session holds the lock)."""
        if not self._held or self._conn is not None:
            return
        with begin() as conn:
            conn.execute(
                text("UPDATE sync_locks SET expires_at = :exp WHERE entity = :e AND owner = :o"),
                {"exp": _now() + timedelta(seconds=LEASE_SECONDS), "e": self.entity, "o": self.owner},
            )

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
        with begin() as conn:
            conn.execute(
                text("DELETE FROM sync_locks WHERE entity = :e AND owner = :o"),
                {"e": self.entity, "o": self.owner},
            )

    def _key(self) -> int:
        return _ADVISORY_BASE + _ENTITY_KEYS.get(self.entity, 99)

    def _take_lease(self) -> bool:
        now = _now()
        params = {
            "e": self.entity, "o": self.owner, "now": now,
            "exp": now + timedelta(seconds=LEASE_SECONDS),
        }
        with begin() as conn:
            row = conn.execute(
                text("SELECT owner, expires_at FROM sync_locks WHERE entity = :e"), {"e": self.entity}
            ).first()
            if row is None:
                conn.execute(
                    text("INSERT INTO sync_locks (entity, owner, acquired_at, expires_at) "
                         "VALUES (:e, :o, :now, :exp) ON CONFLICT (entity) DO NOTHING"),
                    params,
                )
            else:
                expires = row.expires_at
                if isinstance(expires, str):
                    expires = datetime.fromisoformat(expires)
                if expires > now and not _owner_dead(row.owner):
                    return False
                # Conditional on the owner we saw, so two takers cannot both win.
                conn.execute(
                    text("UPDATE sync_locks SET owner = :o, acquired_at = :now, expires_at = :exp "
                         "WHERE entity = :e AND owner = :old"),
                    {**params, "old": row.owner},
                )
            mine = conn.execute(
                text("SELECT owner FROM sync_locks WHERE entity = :e"), {"e": self.entity}
            ).scalar()
        return mine == self.owner

    def __enter__(self) -> EntityLock:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()
