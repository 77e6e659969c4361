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


# ---------------------------------------------------------------- 0011: forecasts' contract


def _t(name, **cols):
    import sqlalchemy as sa

    return sa.table(name, *[sa.column(c, t) for c, t in cols.items()])


def _fill_0010(url):
    """Five runs in 0010's shape (four completed batches, then a single run), two products."""
    import json
    from datetime import date, datetime

    import sqlalchemy as sa

    prod = _t("erp_productos", id=sa.Integer, codigo=sa.String, nombre=sa.String)
    runs = _t("forecast_runs", id=sa.Integer, kind=sa.String, status=sa.String, products=sa.Integer,
              created_at=sa.DateTime)
    fc = _t("forecasts", run_id=sa.Integer, producto_id=sa.Integer, modelo=sa.String,
            clase=sa.String, fecha_inicio=sa.Date, valores=sa.Text, metricas=sa.Text,
            candidatos=sa.Text, created_at=sa.DateTime)
    ps = _t("purchase_settings", scope=sa.String, scope_key=sa.String, lead_time_days=sa.Integer)
    now = datetime(2026, 12, 1, 3)
    with db.begin(url) as conn:
        conn.execute(sa.insert(prod), [{"id": 1, "codigo": "A", "nombre": "Uno"},
                                       {"id": 2, "codigo": "B", "nombre": "Dos"}])
        conn.execute(sa.insert(runs), [{"id": i, "kind": "batch" if i < 5 else "single",
                                        "status": "completed", "products": 2 if i < 5 else 1,
                                        "created_at": now} for i in range(1, 6)])
        rows = []
        for run in range(1, 6):
            for pid in ((1, 2) if run < 5 else (2,)):
                base = 10 * run + pid
                valores = {"yhat": [base, base + 1, base + 2], "lo80": [base - 1] * 3,
                           "hi80": [base + 3] * 3, "lo95": [base - 2] * 3, "hi95": [base + 4] * 3}
                rows.append({"run_id": run, "producto_id": pid,
                             "modelo": "ses" if pid == 1 else "tsb", "clase": "smooth",
                             "fecha_inicio": date(2026, 12, run), "valores": json.dumps(valores),
                             "metricas": json.dumps({"rmsse": 0.5 * pid, "mase": pid, "bias": 0.1,
                                                     "cobertura_80": 0.8, "cobertura_95": None}),
                             "candidatos": json.dumps({"ses": {"rmsse": 0.5}}), "created_at": now})
        conn.execute(sa.insert(fc), rows)
        conn.execute(sa.insert(ps), [{"scope": "global", "scope_key": "", "lead_time_days": 5},
                                     {"scope": "linea", "scope_key": "Ferretería",
                                      "lead_time_days": 9},
                                     {"scope": "producto", "scope_key": "1", "lead_time_days": 3}])
    return rows


def test_0011_carries_0010_rows_to_daily_rows_and_back(scratch_url):
    import json

    from sqlalchemy import text

    db.migrate(scratch_url, "0010")
    old = _fill_0010(scratch_url)
    db.migrate(scratch_url)
    engine = db.get_engine(scratch_url)
    with engine.connect() as conn:
        # every 0010 row is a forecast_models row
        models = conn.execute(text("SELECT run_id, producto_id, modelo, fecha_inicio, metricas "
                                   "FROM forecast_models ORDER BY run_id, producto_id")).all()
        assert [(r.run_id, r.producto_id, r.modelo) for r in models] == \
            [(o["run_id"], o["producto_id"], o["modelo"]) for o in old]
        # daily rows only for the runs retention keeps: batches 2-4 and the single run 5
        daily = conn.execute(text("SELECT run_id, producto_id, fecha, yhat, yhat_lower, yhat_upper, "
                                  "yhat_lower_80, yhat_upper_80 FROM forecasts "
                                  "ORDER BY run_id, producto_id, fecha")).all()
        assert {r.run_id for r in daily} == {2, 3, 4, 5}
        assert len(daily) == 3 * (2 + 2 + 2 + 1)
        first = [r for r in daily if r.run_id == 3 and r.producto_id == 2]
        assert [float(r.yhat) for r in first] == [32, 33, 34]
        assert [str(r.fecha)[:10] for r in first] == ["2026-12-03", "2026-12-04", "2026-12-05"]
        assert (first[0].yhat_lower, first[0].yhat_upper) == (30, 36)  # 95 %
        assert (first[0].yhat_lower_80, first[0].yhat_upper_80) == (31, 35)
        runs = {r.id: r for r in conn.execute(text(
            "SELECT id, model, metrics, purged_at FROM forecast_runs")).all()}
        assert runs[1].purged_at is not None and all(runs[i].purged_at is None for i in (2, 3, 4, 5))
        assert runs[4].model == "auto" and runs[5].model == "tsb"
        pooled = json.loads(runs[4].metrics)
        assert pooled["productos"] == 2 and pooled["modelos"] == {"ses": 1, "tsb": 1}
        assert pooled["promedio"]["rmsse"] == 0.75 and pooled["promedio"]["cobertura_95"] is None
        cats = dict(conn.execute(text("SELECT scope, categoria FROM purchase_settings")).all())
        assert cats == {"global": None, "linea": "Ferretería", "producto": None}

    db.downgrade(scratch_url, "0010")
    engine.dispose()
    with db.get_engine(scratch_url).connect() as conn:
        back = conn.execute(text("SELECT run_id, producto_id, fecha_inicio, valores, metricas "
                                 "FROM forecasts ORDER BY run_id, producto_id")).all()
        # run 1 was purged: no daily values for 0010's non-NULL valores
        kept = [o for o in old if o["run_id"] != 1]
        assert [(r.run_id, r.producto_id) for r in back] == \
            [(o["run_id"], o["producto_id"]) for o in kept]
        for r, o in zip(back, kept, strict=True):
            assert json.loads(r.valores) == json.loads(o["valores"])
            assert r.metricas == o["metricas"]
            assert str(r.fecha_inicio)[:10] == o["fecha_inicio"].isoformat()
        cols = {c["name"] for c in inspect(conn).get_columns("forecast_runs")}
        assert not {"model", "metrics", "purged_at"} & cols
        assert "categoria" not in {c["name"] for c in inspect(conn).get_columns("purchase_settings")}
        assert "forecast_models" not in inspect(conn).get_table_names()


# ---------------------------------------------------------------- 0012: no personal data for the AI reader


def _reader_can_read(url: str, column: str) -> bool:
    engine = db.get_engine(url)
    with engine.connect() as conn:
        role = conn.exec_driver_sql("SELECT current_database() || '_ask_reader'").scalar_one()
        return bool(conn.exec_driver_sql(
            "SELECT has_column_privilege(%(role)s, 'erp_clientes', %(col)s, 'SELECT')",
            {"role": role, "col": column}).scalar_one())


def test_0012_closes_customers_personal_columns_to_the_ai_reader(scratch_url):
    if BACKEND != "postgres":
        pytest.skip("roles are PostgreSQL's; on SQLite the authorizer closes these columns")
    db.migrate(scratch_url)
    assert not _reader_can_read(scratch_url, "rfc")
    assert not _reader_can_read(scratch_url, "email")
    assert _reader_can_read(scratch_url, "nombre")
    db.downgrade(scratch_url, "0011")
    assert _reader_can_read(scratch_url, "rfc")
    db.migrate(scratch_url)
    assert not _reader_can_read(scratch_url, "telefono")
