"""A throw-away database for a benchmark: a SQLite file or a new PostgreSQL database."""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg

PG_ADMIN_URL = os.environ.get("DEVCOMPRAS_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/postgres")


@contextmanager
def scratch_database(backend: str) -> Iterator[str]:
    """Yield the SQLAlchemy URL of an empty database on ``backend`` ("sqlite" or "postgres"); drop it after."""
    if backend == "sqlite":
        with tempfile.TemporaryDirectory() as tmp:
            yield f"sqlite:///{tmp}/bench.db"
        return
    name = f"dc_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield PG_ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://", 1) + "/" + name
    finally:
        from core.db import drop_database, get_engine

        get_engine(PG_ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://", 1) + "/" + name).dispose()
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            drop_database(conn, name)


@contextmanager
def using_database(url: str) -> Iterator[None]:
    """Point core's settings at ``url`` for the duration."""
    from core.config import get_settings

    saved = os.environ.get("DATABASE_URL")
    os.environ["DATABASE_URL"] = url
    get_settings.cache_clear()
    try:
        yield
    finally:
        if saved is None:
            os.environ.pop("DATABASE_URL", None)
        else:
            os.environ["DATABASE_URL"] = saved
        get_settings.cache_clear()
