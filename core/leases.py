"""Leases: a named right held by one process (a sync on SQLite, an in-app job), kept alive by a
heartbeat thread while held, and taken over when its holder is gone.

A holder is gone when it was a process on this host that no longer exists (or whose pid now
belongs to a newer process), or when its heartbeat stopped for a whole lease (any host). Rows
live in ``sync_locks`` (keys of at most 20 characters).
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import threading
import uuid
from datetime import datetime, timedelta

import psutil
from sqlalchemy import text

from core.db import begin, get_engine

log = logging.getLogger(__name__)

DEFAULT_SECONDS = 300
# Renewals per lease: a holder survives a few missed beats (a busy SQLite file, a slow server).
BEATS_PER_LEASE = 5


def _now() -> datetime:
    return datetime.now().replace(microsecond=0)


def _process_started() -> int:
    return int(psutil.Process(os.getpid()).create_time())


def new_owner() -> str:
    """host:pid:process-start:random — unique per holder, and tells a reused pid apart."""
    return f"{socket.gethostname()}:{os.getpid()}:{_process_started()}:{uuid.uuid4().hex[:8]}"


def owner_dead(owner: str) -> bool:
    """True when the holder was a process on this host that no longer exists."""
    parts = owner.split(":")
    if parts[0] != socket.gethostname() or len(parts) < 2 or not parts[1].isdigit():
        return False
    try:
        proc = psutil.Process(int(parts[1]))
        # A killed process can linger as a zombie until someone reaps it: that is dead too.
        if proc.status() == psutil.STATUS_ZOMBIE:
            return True
        # host:pid:start:random; older owners (host:pid:random) carry no start time.
        started = parts[2] if len(parts) == 4 and parts[2].isdigit() else None
        return started is not None and abs(int(proc.create_time()) - int(started)) > 1
    except psutil.NoSuchProcess:
        return True


def _expires(value: datetime | str) -> datetime:
    return datetime.fromisoformat(value) if isinstance(value, str) else value


def holder_alive(key: str) -> bool:
    """Whether someone holds ``key`` now: a row, not expired, whose owner is not dead."""
    with get_engine().connect() as conn:
        row = conn.execute(text("SELECT owner, expires_at FROM sync_locks WHERE entity = :k"),
                           {"k": key}).first()
    return row is not None and _expires(row.expires_at) > _now() and not owner_dead(row.owner)


def exists(key: str) -> bool:
    """Whether a row for ``key`` exists (alive or not)."""
    with get_engine().connect() as conn:
        return conn.execute(text("SELECT 1 FROM sync_locks WHERE entity = :k"),
                            {"k": key}).first() is not None


class Lease:
    """Exclusive right to ``key``; ``acquire()`` never waits. While held, a daemon thread renews
    it every ``seconds / BEATS_PER_LEASE``."""

    def __init__(self, key: str, *, seconds: float = DEFAULT_SECONDS) -> None:
        if len(key) > 20:
            raise ValueError("lease keys have at most 20 characters")
        self.key = key
        self.seconds = seconds
        self.owner = new_owner()
        self._stop: threading.Event | None = None

    @property
    def held(self) -> bool:
        return self._stop is not None

    def acquire(self) -> bool:
        """Take the lease if free (or its holder is gone); False when someone else holds it."""
        if not self._take():
            return False
        self._stop = threading.Event()
        threading.Thread(target=self._beat, args=(self._stop,), daemon=True,
                         name=f"lease-{self.key}").start()
        return True

    def renew(self) -> None:
        """Extend the lease by ``seconds`` from now."""
        if not self.held:
            return
        with begin() as conn:
            conn.execute(
                text("UPDATE sync_locks SET expires_at = :exp WHERE entity = :k AND owner = :o"),
                {"exp": _now() + timedelta(seconds=self.seconds), "k": self.key, "o": self.owner},
            )

    def release(self) -> None:
        """Give the lease back; safe to call twice."""
        if self._stop is None:
            return
        self._stop.set()
        self._stop = None
        with begin() as conn:
            conn.execute(text("DELETE FROM sync_locks WHERE entity = :k AND owner = :o"),
                         {"k": self.key, "o": self.owner})

    def _beat(self, stop: threading.Event) -> None:
        while not stop.wait(self.seconds / BEATS_PER_LEASE):
            try:
                self.renew()
            except Exception:  # the next beat tries again; the lease outlasts a few misses
                log.warning("renewing lease %s failed", self.key, exc_info=True)

    def _take(self) -> bool:
        now = _now()
        params = {"k": self.key, "o": self.owner, "now": now,
                  "exp": now + timedelta(seconds=self.seconds)}
        with begin() as conn:
            row = conn.execute(text("SELECT owner, expires_at FROM sync_locks WHERE entity = :k"),
                               {"k": self.key}).first()
            if row is None:
                conn.execute(
                    text("INSERT INTO sync_locks (entity, owner, acquired_at, expires_at) "
                         "VALUES (:k, :o, :now, :exp) ON CONFLICT (entity) DO NOTHING"),
                    params,
                )
            else:
                if _expires(row.expires_at) > now and not owner_dead(row.owner):
                    return False
                # Conditional on the owner we saw, so two takers cannot both win.
                conn.execute(
                    text("UPDATE sync_locks SET owner = :o, acquired_at = :now, expires_at = :exp "
                         "WHERE entity = :k AND owner = :old"),
                    {**params, "old": row.owner},
                )
            mine = conn.execute(text("SELECT owner FROM sync_locks WHERE entity = :k"),
                                {"k": self.key}).scalar()
        return mine == self.owner

    def __enter__(self) -> Lease:
        return self

    def __exit__(self, *exc: object) -> None:
        with contextlib.suppress(Exception):
            self.release()
