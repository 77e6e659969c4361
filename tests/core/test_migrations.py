"""Migrations go up and down cleanly on a database of their own."""

import uuid

import psycopg
import pytest
from sqlalchemy import inspect

from core import db
from tests.conftest import BACKEND, PG_ADMIN_URL, _pg_url


@pytest.fixture
def scratch_url(tmp_path):
    if BACKEND != "postgres":
        yield f"sqlite:///{tmp_path / 'mig.db'}"
        return
    name = f"dc_mig_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    yield _pg_url(name)
    db.get_engine(_pg_url(name)).dispose()
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        db.drop_database(conn, name)


def test_upgrade_downgrade_upgrade(scratch_url):
    db.migrate(scratch_url)
    tables = set(inspect(db.get_engine(scratch_url)).get_table_names())
    assert {"erp_productos", "erp_almacenes", "erp_inventario", "erp_clientes", "erp_ventas",
            "erp_ventas_detalle", "sync_jobs", "uploads", "users", "query_history", "forecast_runs",
            "forecasts", "purchase_settings", "data_versions"} <= tables
    db.downgrade(scratch_url, "base")
    db.get_engine(scratch_url).dispose()
    assert set(inspect(db.get_engine(scratch_url)).get_table_names()) <= {"alembic_version"}
    db.migrate(scratch_url)
    assert "erp_ventas_detalle" in inspect(db.get_engine(scratch_url)).get_table_names()
