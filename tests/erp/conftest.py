"""Fixtures for the ERP data side: demo Microsip databases built on the real Firebird server.

``demo_fdb`` is shared by the whole session and must not be modified; tests that change
Firebird data build their own copy with ``make_demo_fdb``.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest

from core.erp.demo_fdb import BuildReport, build_demo_fdb, drop_fdb
from core.erp.microsip import MicrosipReader, connect_firebird

FB_HOST = os.environ.get("DEVCOMPRAS_TEST_FB_HOST", "127.0.0.1")
FB_PORT = int(os.environ.get("DEVCOMPRAS_TEST_FB_PORT", "3050"))
FB_USER = "SYSDBA"
FB_PASSWORD = os.environ.get("DEVCOMPRAS_TEST_FB_PASSWORD", "masterkey")
DEMO_SCALE = 0.05
DEMO_SEED = 7
DEMO_END = date(2026, 6, 30)  # fixed, so every run sees the same data


@dataclass(frozen=True)
class DemoFdb:
    """A demo Microsip database on the test Firebird server."""

    path: str
    scale: float
    seed: int
    end_date: date
    report: BuildReport
    host: str = FB_HOST
    port: int = FB_PORT
    user: str = FB_USER
    password: str = FB_PASSWORD

    def connect(self, charset: str = "WIN1252"):
        return connect_firebird(
            host=self.host,
            port=self.port,
            database=self.path,
            user=self.user,
            password=self.password,
            charset=charset,
        )

    def reader(self, **options) -> MicrosipReader:
        return MicrosipReader(self.connect(), **options)

    def query(self, sql: str, params: tuple = ()) -> list[tuple]:
        conn = self.connect()
        try:
            cur = conn.cursor()
            cur.execute(sql, params)
            return cur.fetchall()
        finally:
            conn.close()

    def execute(self, *statements: str) -> None:
        conn = self.connect()
        try:
            cur = conn.cursor()
            for sql in statements:
                cur.execute(sql)
            conn.commit()
        finally:
            conn.close()

    def settings(self, **extra) -> object:
        """A settings-like object for ``firebird_source``."""
        values = {
            "firebird_host": self.host,
            "firebird_port": self.port,
            "firebird_database": self.path,
            "firebird_user": self.user,
            "firebird_password": self.password,
            "firebird_charset": "WIN1252",
        }
        values.update(extra)
        return type("FbSettings", (), values)()


def _firebird_folder() -> Path:
    """A folder the server (user firebird) can write: under /tmp, owned by firebird."""
    folder = Path(tempfile.mkdtemp(prefix="devcompras-fdb-"))
    try:
        fb = pwd.getpwnam("firebird")
        os.chown(folder, fb.pw_uid, fb.pw_gid)
    except (KeyError, PermissionError):
        folder.chmod(0o777)
    return folder


@pytest.fixture(scope="session")
def make_demo_fdb() -> Iterator[Callable[..., DemoFdb]]:
    """Factory: ``make_demo_fdb(scale=0.05, seed=7, end_date=DEMO_END)`` builds a fresh database."""
    folder = _firebird_folder()
    built: list[DemoFdb] = []

    def make(
        scale: float = DEMO_SCALE, seed: int = DEMO_SEED, end_date: date = DEMO_END
    ) -> DemoFdb:
        path = folder / f"demo_{len(built)}.fdb"
        report = build_demo_fdb(
            path,
            scale,
            seed,
            end_date,
            host=FB_HOST,
            port=FB_PORT,
            user=FB_USER,
            password=FB_PASSWORD,
        )
        db = DemoFdb(str(path), scale, seed, end_date, report)
        built.append(db)
        return db

    yield make
    for db in built:
        with contextlib.suppress(Exception):
            drop_fdb(db.path, host=FB_HOST, port=FB_PORT, user=FB_USER, password=FB_PASSWORD)
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="session")
def demo_fdb(make_demo_fdb) -> DemoFdb:
    """The shared, read-only demo Microsip database (scale 0.05, seed 7, ending 2026-06-30)."""
    return make_demo_fdb()


@pytest.fixture
def fb_reader(demo_fdb: DemoFdb) -> Iterator[MicrosipReader]:
    reader = demo_fdb.reader()
    yield reader
    reader.close()
