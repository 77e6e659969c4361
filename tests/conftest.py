"""Shared fixtures: a real, migrated database (SQLite file or a fresh PostgreSQL database) and users."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import psycopg
import pytest
from sqlalchemy import delete

PG_ADMIN_URL = os.environ.get("DEVCOMPRAS_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
TEST_PASSWORD = "Demo1234!"
# Real-looking secrets: PostgreSQL and Firebird count as real data, where the public defaults are
# refused. Set in os.environ, so every subprocess a test starts (CLI, worker, streamlit) gets them.
TEST_SECRETS = {"COOKIE_KEY": "clave-de-pruebas-para-firmar-cookies-0123456789",
                "ADMIN_PASSWORD": "Pruebas-Admin-2026"}
BACKEND = os.environ.get("DEVCOMPRAS_TEST_DB", "sqlite")
DEMO_TEST_SCALE = 0.1


def _pg_url(dbname: str) -> str:
    base = PG_ADMIN_URL.rsplit("/", 1)[0]
    return base.replace("postgresql://", "postgresql+psycopg://", 1) + "/" + dbname


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A new empty database for this test session, on the backend DEVCOMPRAS_TEST_DB names."""
    if BACKEND == "postgres":
        name = f"dc_test_{uuid.uuid4().hex[:10]}"
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        yield _pg_url(name)
        from core.db import drop_database, get_engine

        get_engine(_pg_url(name)).dispose()
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            drop_database(conn, name)
    else:
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"


@pytest.fixture(scope="session", autouse=True)
def test_environment(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Point the settings at the test database and a scratch storage folder, inline jobs."""
    saved = dict(os.environ)
    os.environ.update({
        "DATABASE_URL": database_url,
        "STORAGE_DIR": str(tmp_path_factory.mktemp("storage")),
        "APP_ENV": "development",
        "ERP_SOURCE": "demo",
        "DEMO_SCALE": str(DEMO_TEST_SCALE),
        **TEST_SECRETS,
    })
    for name in ("REDIS_URL", "OPENAI_API_KEY", "OPENAI_BASE_URL", "ALLOW_SELF_REGISTRATION"):
        os.environ.pop(name, None)
    from core.config import get_settings

    get_settings.cache_clear()
    yield
    os.environ.clear()
    os.environ.update(saved)
    get_settings.cache_clear()


@pytest.fixture(scope="session")
def engine(test_environment: None, database_url: str):
    """The migrated test database's engine."""
    from core import db

    db.migrate(database_url)
    return db.get_engine(database_url)


@pytest.fixture
def clean_db(engine) -> Iterator[None]:
    """Empty every data table (accounts and data-version counters stay)."""
    with engine.begin() as conn:
        for table in reversed(metadata_tables()):
            conn.execute(delete(table))
    yield


@pytest.fixture(scope="session")
def users(engine) -> dict:
    """One account per role (password TEST_PASSWORD), keyed by role."""
    from core import users as core_users

    made = {}
    for role in core_users.ROLES:
        email = f"{role}@pruebas.devcompras.mx"
        made[role] = core_users.get_user(email) or core_users.create_user(
            None, email=email, name=f"Prueba {role}", role=role, password=TEST_PASSWORD)
    return made


@pytest.fixture
def demo_data(engine) -> bool:
    """The demo ERP at a small scale, loaded through the sync path (again if a test emptied it)."""
    from sqlalchemy import func, select

    from core.models import erp_almacenes, erp_ventas
    from core.setup import init_db, seed_demo

    with engine.connect() as conn:
        ventas = conn.scalar(select(func.count()).select_from(erp_ventas).where(erp_ventas.c.origen != "EXCEL"))
        almacenes = conn.scalar(select(func.count()).select_from(erp_almacenes))
    if ventas < 1000 or almacenes < 3:
        with engine.begin() as conn:
            for table in reversed(metadata_tables()):
                conn.execute(delete(table))
        init_db()
        report = seed_demo(DEMO_TEST_SCALE)
        assert report.as_json()["status"] == "completed", report.as_json()
    return True


def metadata_tables() -> list:
    """Data tables in dependency order (accounts and data versions excluded)."""
    from core.models import metadata

    return [t for t in metadata.sorted_tables if t.name not in {"users", "data_versions"}]
