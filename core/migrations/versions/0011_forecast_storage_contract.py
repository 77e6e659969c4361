"""forecasts back to daily rows, forecast_models, forecast_runs.model/metrics, purchase_settings.categoria

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07 20:00:00

Table and column names of 0001 / ARCHITECTURE.md are a contract other tools read ("add, never
rename"), and 0010 broke it. This restores it without losing what 0010 added:
- ``forecasts`` is one row per (run, product, day) again: yhat, yhat_lower/yhat_upper (95 %),
  plus yhat_lower_80/yhat_upper_80; unique (run_id, producto_id, fecha), which is also the
  index every read uses (reads go by run and product);
- the per-product-per-run summary 0010 kept in ``forecasts`` (modelo, clase, fecha_inicio,
  metricas, candidatos) moves to the new ``forecast_models``;
- ``forecast_runs`` gets 0001's ``model`` (the chosen model of a single run, "auto" for a batch)
  and ``metrics`` (JSON: the run's pooled backtest metrics), plus ``purged_at``: when retention
  deleted the run's daily rows (only the latest few runs keep them; see core/forecast/store.py);
- ``purchase_settings`` gets 0001's ``categoria`` back: the línea of a línea row, else NULL.

Existing rows are carried over: each 0010 forecasts row becomes a forecast_models row, and its
JSON arrays become daily rows if its run is one that retention keeps (older runs are marked
purged, as the app would have left them). Completed runs get model and metrics.
Downgrade rebuilds 0010's shape from the daily rows; a model row whose run was purged has no
daily values to put in 0010's non-NULL ``valores``, so it is not carried back.
"""
from __future__ import annotations

import json
import math
from collections import Counter
from datetime import date, datetime, timedelta
from itertools import groupby
from typing import Any

from alembic import op
import sqlalchemy as sa


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None

NOW = sa.text('(CURRENT_TIMESTAMP)')
# Copies of core.forecast.store's constants: a migration never imports code that may change.
KEEP_BATCH_RUNS = 3
POOLED = ("mae", "rmse", "r2", "mase", "rmsse", "bias", "cobertura_80", "cobertura_95")
PAGE = 500

runs_t = sa.table('forecast_runs', sa.column('id', sa.Integer), sa.column('kind', sa.String),
                  sa.column('status', sa.String), sa.column('model', sa.String),
                  sa.column('metrics', sa.Text), sa.column('purged_at', sa.DateTime))
models_t = sa.table('forecast_models', sa.column('id', sa.Integer), sa.column('run_id', sa.Integer),
                    sa.column('producto_id', sa.Integer), sa.column('modelo', sa.String),
                    sa.column('clase', sa.String), sa.column('fecha_inicio', sa.Date),
                    sa.column('metricas', sa.Text), sa.column('candidatos', sa.Text),
                    sa.column('created_at', sa.DateTime))
DAILY = ('run_id', 'producto_id', 'fecha', 'yhat', 'yhat_lower', 'yhat_upper', 'yhat_lower_80',
         'yhat_upper_80')


def _daily_table(name: str) -> sa.TableClause:
    return sa.table(name, sa.column('run_id', sa.Integer), sa.column('producto_id', sa.Integer),
                    sa.column('fecha', sa.Date), sa.column('yhat', sa.Float),
                    sa.column('yhat_lower', sa.Float), sa.column('yhat_upper', sa.Float),
                    sa.column('yhat_lower_80', sa.Float), sa.column('yhat_upper_80', sa.Float))


def _old_forecasts_table(name: str) -> sa.TableClause:
    return sa.table(name, sa.column('id', sa.Integer), sa.column('run_id', sa.Integer),
                    sa.column('producto_id', sa.Integer), sa.column('modelo', sa.String),
                    sa.column('clase', sa.String), sa.column('fecha_inicio', sa.Date),
                    sa.column('valores', sa.Text), sa.column('metricas', sa.Text),
                    sa.column('candidatos', sa.Text), sa.column('created_at', sa.DateTime))


def _as_date(value: Any) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, str):
        return date.fromisoformat(value[:10])
    return value


def _purge_cutoff(bind: sa.Connection) -> int:
    """Runs with an id below this lose their daily rows: the KEEP-th newest completed batch."""
    ids = bind.execute(sa.select(runs_t.c.id).where(runs_t.c.kind == 'batch',
                                                    runs_t.c.status == 'completed')
                       .order_by(runs_t.c.id.desc()).limit(KEEP_BATCH_RUNS)).scalars().all()
    return ids[-1] if len(ids) == KEEP_BATCH_RUNS else 0


def _pooled(rows: list[tuple[str, str, dict[str, Any]]]) -> dict[str, Any]:
    values: dict[str, list[float]] = {k: [] for k in POOLED}
    for _, _, metricas in rows:
        for k in POOLED:
            v = metricas.get(k)
            if isinstance(v, (int, float)) and math.isfinite(v):
                values[k].append(float(v))
    return {"productos": len(rows),
            "promedio": {k: (sum(v) / len(v) if v else None) for k, v in values.items()},
            "modelos": dict(Counter(m for m, _, _ in rows).most_common()),
            "clases": dict(Counter(c for _, c, _ in rows).most_common())}


def _create_daily(name: str, *, contract: bool) -> None:
    cols = [sa.Column('run_id', sa.Integer(), nullable=False),
            sa.Column('producto_id', sa.Integer(), nullable=False),
            sa.Column('fecha', sa.Date(), nullable=False),
            sa.Column('yhat', sa.Float(), nullable=False),
            sa.Column('yhat_lower', sa.Float(), nullable=True),
            sa.Column('yhat_upper', sa.Float(), nullable=True),
            sa.Column('yhat_lower_80', sa.Float(), nullable=True),
            sa.Column('yhat_upper_80', sa.Float(), nullable=True)]
    if not contract:  # a scratch table: no keys, dropped at the end
        op.create_table(name, *cols)
        return
    op.create_table(name, sa.Column('id', sa.Integer(), nullable=False), *cols,
    sa.ForeignKeyConstraint(['producto_id'], ['erp_productos.id'], name=op.f('fk_forecasts_producto_id_erp_productos'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['run_id'], ['forecast_runs.id'], name=op.f('fk_forecasts_run_id_forecast_runs'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_forecasts')),
    sa.UniqueConstraint('run_id', 'producto_id', 'fecha', name='uq_forecasts_run_producto_fecha')
    )


def upgrade() -> None:
    bind = op.get_bind()
    op.add_column('forecast_runs', sa.Column('model', sa.String(length=40), nullable=True))
    op.add_column('forecast_runs', sa.Column('metrics', sa.Text(), nullable=True))
    op.add_column('forecast_runs', sa.Column('purged_at', sa.DateTime(), nullable=True))
    op.add_column('purchase_settings', sa.Column('categoria', sa.String(length=100), nullable=True))
    op.execute("UPDATE purchase_settings SET categoria = scope_key WHERE scope = 'linea'")

    op.create_table('forecast_models',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('run_id', sa.Integer(), nullable=False),
    sa.Column('producto_id', sa.Integer(), nullable=False),
    sa.Column('modelo', sa.String(length=40), nullable=False),
    sa.Column('clase', sa.String(length=20), nullable=False),
    sa.Column('fecha_inicio', sa.Date(), nullable=False),
    sa.Column('metricas', sa.Text(), nullable=False),
    sa.Column('candidatos', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(), server_default=NOW, nullable=False),
    sa.ForeignKeyConstraint(['producto_id'], ['erp_productos.id'], name=op.f('fk_forecast_models_producto_id_erp_productos'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['run_id'], ['forecast_runs.id'], name=op.f('fk_forecast_models_run_id_forecast_runs'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_forecast_models')),
    sa.UniqueConstraint('run_id', 'producto_id', name='uq_forecast_models_run_producto')
    )
    op.create_index('idx_forecast_models_producto_run', 'forecast_models',
                    ['producto_id', sa.text('run_id DESC')])
    op.execute("INSERT INTO forecast_models (run_id, producto_id, modelo, clase, fecha_inicio, "
               "metricas, candidatos, created_at) SELECT run_id, producto_id, modelo, clase, "
               "fecha_inicio, metricas, candidatos, created_at FROM forecasts")

    # The JSON arrays of the runs retention keeps become daily rows in a scratch table, page by
    # page (never the whole table in memory); then forecasts is rebuilt in 0001's shape.
    cutoff = _purge_cutoff(bind)
    _create_daily('forecasts_0011_daily', contract=False)
    old, scratch = _old_forecasts_table('forecasts'), _daily_table('forecasts_0011_daily')
    last = 0
    while True:
        page = bind.execute(sa.select(old.c.id, old.c.run_id, old.c.producto_id, old.c.fecha_inicio,
                                      old.c.valores)
                            .where(old.c.id > last, old.c.run_id >= cutoff)
                            .order_by(old.c.id).limit(PAGE)).all()
        if not page:
            break
        last = page[-1].id
        rows = []
        for r in page:
            v = json.loads(r.valores)
            start = _as_date(r.fecha_inicio)
            rows += [{"run_id": r.run_id, "producto_id": r.producto_id,
                      "fecha": start + timedelta(days=i), "yhat": v["yhat"][i],
                      "yhat_lower": v["lo95"][i], "yhat_upper": v["hi95"][i],
                      "yhat_lower_80": v["lo80"][i], "yhat_upper_80": v["hi80"][i]}
                     for i in range(len(v["yhat"]))]
        if rows:
            bind.execute(sa.insert(scratch), rows)
    op.drop_table('forecasts')
    _create_daily('forecasts', contract=True)
    cols = ", ".join(DAILY)
    op.execute(f"INSERT INTO forecasts ({cols}) SELECT {cols} FROM forecasts_0011_daily")
    op.drop_table('forecasts_0011_daily')

    now = datetime.now().replace(microsecond=0)
    bind.execute(sa.update(runs_t).where(runs_t.c.id < cutoff).values(purged_at=now))
    # model and pooled metrics of every completed run, from its forecast_models rows
    for run_id, kind in bind.execute(sa.select(runs_t.c.id, runs_t.c.kind)
                                     .where(runs_t.c.status == 'completed')).all():
        found = [(m, c, json.loads(x)) for m, c, x in bind.execute(
            sa.select(models_t.c.modelo, models_t.c.clase, models_t.c.metricas)
            .where(models_t.c.run_id == run_id)).all()]
        model = found[0][0] if kind == 'single' and found else 'auto'
        bind.execute(sa.update(runs_t).where(runs_t.c.id == run_id)
                     .values(model=model, metrics=json.dumps(_pooled(found))))


def downgrade() -> None:
    bind = op.get_bind()
    # 0010's forecasts rows rebuilt in a scratch table: each model row with its daily values as
    # JSON arrays (rows of purged runs have none and are left behind, see the docstring).
    op.create_table('forecasts_0010_rows',
    sa.Column('run_id', sa.Integer(), nullable=False),
    sa.Column('producto_id', sa.Integer(), nullable=False),
    sa.Column('modelo', sa.String(length=40), nullable=False),
    sa.Column('clase', sa.String(length=20), nullable=False),
    sa.Column('fecha_inicio', sa.Date(), nullable=False),
    sa.Column('valores', sa.Text(), nullable=False),
    sa.Column('metricas', sa.Text(), nullable=False),
    sa.Column('candidatos', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False)
    )
    scratch, daily = _old_forecasts_table('forecasts_0010_rows'), _daily_table('forecasts')
    last = 0
    while True:
        page = bind.execute(sa.select(models_t).where(models_t.c.id > last)
                            .order_by(models_t.c.id).limit(PAGE)).all()
        if not page:
            break
        last = page[-1].id
        runs = {r.run_id for r in page}
        values: dict[tuple[int, int], dict[str, list[float]]] = {}
        found = bind.execute(sa.select(daily).where(
            daily.c.run_id.in_(sorted(runs)),
            daily.c.producto_id.in_(sorted({r.producto_id for r in page})))
            .order_by(daily.c.run_id, daily.c.producto_id, daily.c.fecha)).all()
        for key, group in groupby(found, key=lambda d: (d.run_id, d.producto_id)):
            days = list(group)
            values[key] = {"yhat": [d.yhat for d in days],
                           "lo80": [d.yhat_lower_80 for d in days],
                           "hi80": [d.yhat_upper_80 for d in days],
                           "lo95": [d.yhat_lower for d in days],
                           "hi95": [d.yhat_upper for d in days]}
        rows = [{"run_id": r.run_id, "producto_id": r.producto_id, "modelo": r.modelo,
                 "clase": r.clase, "fecha_inicio": r.fecha_inicio,
                 "valores": json.dumps(values[(r.run_id, r.producto_id)]),
                 "metricas": r.metricas, "candidatos": r.candidatos, "created_at": r.created_at}
                for r in page if (r.run_id, r.producto_id) in values]
        if rows:
            bind.execute(sa.insert(scratch), rows)
    op.drop_table('forecasts')
    op.drop_index('idx_forecast_models_producto_run', table_name='forecast_models')
    op.drop_table('forecast_models')
    op.create_table('forecasts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('run_id', sa.Integer(), nullable=False),
    sa.Column('producto_id', sa.Integer(), nullable=False),
    sa.Column('modelo', sa.String(length=40), nullable=False),
    sa.Column('clase', sa.String(length=20), nullable=False),
    sa.Column('fecha_inicio', sa.Date(), nullable=False),
    sa.Column('valores', sa.Text(), nullable=False),
    sa.Column('metricas', sa.Text(), nullable=False),
    sa.Column('candidatos', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(), server_default=NOW, nullable=False),
    sa.ForeignKeyConstraint(['producto_id'], ['erp_productos.id'], name=op.f('fk_forecasts_producto_id_erp_productos'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['run_id'], ['forecast_runs.id'], name=op.f('fk_forecasts_run_id_forecast_runs'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_forecasts')),
    sa.UniqueConstraint('run_id', 'producto_id', name='uq_forecasts_run_producto')
    )
    op.create_index('idx_forecasts_producto_run', 'forecasts', ['producto_id', sa.text('run_id DESC')])
    cols = "run_id, producto_id, modelo, clase, fecha_inicio, valores, metricas, candidatos, created_at"
    op.execute(f"INSERT INTO forecasts ({cols}) SELECT {cols} FROM forecasts_0010_rows")
    op.drop_table('forecasts_0010_rows')
    # Plain ALTER TABLE … DROP COLUMN (SQLite ≥ 3.35 too): a batch "move and copy" would drop
    # forecast_runs, and with foreign keys on SQLite that cascades into forecasts.
    for table, column in (('forecast_runs', 'model'), ('forecast_runs', 'metrics'),
                          ('forecast_runs', 'purged_at'), ('purchase_settings', 'categoria')):
        op.execute(f"ALTER TABLE {table} DROP COLUMN {column}")
