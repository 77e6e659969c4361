"""A PostgreSQL password with spaces, @, : and / goes through a full Firebird→PostgreSQL sync,
and no stored or shown message carries a credential.

PostgreSQL here authenticates 127.0.0.1 by trust (pg_hba.conf), so the server does not check the
password: these tests prove the connect path keeps the special characters whole (the URL is
parsed, the reader process connects with keyword arguments) and that messages are scrubbed.
Firebird does check passwords, so its wrong-password failure is a real one.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import psycopg
import pytest
from sqlalchemy import text

from core import db, jobs
from core.erp.sync import run_sync
from tests.conftest import PG_ADMIN_URL
from tests.erp.sync_memory_source import MemorySource
from tests.erp.sync_truth import microsip_truth, our_figures
from tests.erp.test_sync_firebird import FB, _build, _drop, fb_connect

pytestmark = pytest.mark.firebird

PASSWORD = "p@ss word:/x"
FORMS = (PASSWORD, quote(PASSWORD, safe=""), quote(PASSWORD, safe=" +"), "p%40ss+word%3A%2Fx")


@pytest.fixture
def special_pg(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A role whose password has a space, @, : and /, and a migrated database it owns;
    DATABASE_URL points at it (the password URL-encoded, as the README says)."""
    from core.config import get_settings

    name = f"dc_pw_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        # CREATEROLE: the migrations create the AI query's roles, as the README asks of the app's user.
        conn.execute(f"CREATE ROLE {name} LOGIN CREATEROLE PASSWORD '{PASSWORD}'")
        conn.execute(f'CREATE DATABASE "{name}" OWNER {name}')
    url = f"postgresql+psycopg://{name}:{quote(PASSWORD, safe='')}@127.0.0.1:5432/{name}"
    monkeypatch.setenv("DATABASE_URL", url)
    get_settings.cache_clear()
    try:
        db.migrate(url)
        yield url
    finally:
        db.get_engine(url).dispose()
        monkeypatch.undo()
        get_settings.cache_clear()
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            db.drop_database(conn, name)
            conn.execute(f"DROP ROLE IF EXISTS {name}")


@pytest.fixture
def fdb_path(monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    from core.config import get_settings

    path = _build(0.05)
    monkeypatch.setenv("ERP_SOURCE", "firebird")
    monkeypatch.setenv("FIREBIRD_DATABASE", str(path))
    monkeypatch.setenv("FIREBIRD_PASSWORD", FB["password"])
    monkeypatch.setenv("FIREBIRD_READERS", "2")
    get_settings.cache_clear()
    yield path
    get_settings.cache_clear()
    _drop(path)


def _stored_messages() -> list[str]:
    with db.get_engine().connect() as conn:
        rows = conn.execute(text("SELECT error_message FROM sync_jobs UNION ALL "
                                 "SELECT COALESCE(error_message, '') || ' ' || COALESCE(message, '') "
                                 "|| ' ' || COALESCE(result, '') FROM jobs")).scalars().all()
    return [r or "" for r in rows]


def _assert_no_password(texts: list[str]) -> None:
    for t in texts:
        for form in FORMS:
            assert form not in t, t


def test_full_firebird_sync_into_a_database_whose_password_has_special_characters(
        special_pg, fdb_path):
    report = run_sync(full=True)
    assert report.status == "completed", report.message
    conn = fb_connect(fdb_path)
    try:
        truth = microsip_truth(conn.cursor())
    finally:
        conn.close()
    ours = our_figures()
    for key in ("productos", "almacenes", "clientes", "documentos", "lineas"):
        assert ours[key] == truth[key] > 0, key
    with db.get_engine().connect() as conn:
        rows = conn.execute(text("SELECT job_type, status, error_message FROM sync_jobs "
                                 "ORDER BY id")).all()
    assert [(r[0], r[1], r[2]) for r in rows] == [
        ("productos", "completed", None), ("inventario", "completed", None),
        ("clientes", "completed", None), ("ventas", "completed", None)]


def test_a_wrong_firebird_password_with_special_characters_is_not_stored(
        special_pg, fdb_path, monkeypatch):
    from core.config import get_settings

    monkeypatch.setenv("FIREBIRD_PASSWORD", PASSWORD)  # not SYSDBA's: Firebird refuses it
    get_settings.cache_clear()
    report = run_sync(entities=["productos"])
    assert report.status == "failed"
    assert "Usuario o contraseña de Firebird incorrectos" in report.message
    _assert_no_password([report.message, *_stored_messages()])


class _LeakySource(MemorySource):
    """A source whose driver quotes its connection strings back in its error (as psycopg did
    with the rendered DATABASE_URL: 'unexpected spaces found in "p%40ss word%3A%2Fx"')."""

    def __init__(self, url: str) -> None:
        super().__init__()
        self.url = url

    def clientes(self):
        from sqlalchemy.engine import make_url

        rendered = make_url(self.url).render_as_string(hide_password=False)
        yield from ()  # a generator, as every source's reads are
        raise RuntimeError(f'unexpected spaces found in "{quote(PASSWORD, safe=" +")}" '
                           f"({rendered}; password={PASSWORD})")


def test_a_failure_quoting_the_database_url_is_stored_without_the_password(special_pg):
    report = run_sync(source=_LeakySource(special_pg), entities=["productos", "clientes"])
    assert report.status == "failed"
    assert report.message.startswith("Falló la sincronización de clientes: Error inesperado")
    assert "***" in report.message
    _assert_no_password([report.message, *_stored_messages()])
    with db.get_engine().connect() as conn:
        stored = conn.execute(text("SELECT error_message FROM sync_jobs "
                                   "WHERE job_type = 'clientes'")).scalar_one()
    assert "unexpected spaces found in" in stored and "***" in stored


def leaky_job(url: str) -> None:
    """A job that fails with its connection string in the message."""
    raise RuntimeError(f"could not connect to {url} (password={PASSWORD})")


def test_a_job_failure_quoting_the_url_is_stored_without_the_password(special_pg, monkeypatch):
    from core.config import get_settings

    monkeypatch.setenv("JOB_RETRY_MAX", "0")
    get_settings.cache_clear()
    job_id = jobs.enqueue(leaky_job, queue="default", job_kind="prueba", url=special_pg)
    status = jobs.wait(job_id, timeout=60)
    assert status["status"] == "failed"
    assert status["error_message"].startswith("Error inesperado: could not connect to")
    assert "***" in status["error_message"]
    _assert_no_password([status["error_message"], *_stored_messages()])


def test_health_lines_are_scrubbed(special_pg, monkeypatch):
    from core.config import get_settings
    from core.erp import monitor

    # A Redis URL whose password is the same special string, on a port nobody listens on.
    monkeypatch.setenv("REDIS_URL", f"redis://:{quote(PASSWORD, safe='')}@127.0.0.1:6390/0")
    get_settings.cache_clear()
    health = monitor.sync_health()
    assert health["redis"].startswith("error: ")
    _assert_no_password([health["redis"], health["erp"]])
    assert os.environ["DATABASE_URL"] == special_pg
