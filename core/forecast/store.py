"""Forecast storage: runs, one forecast_models row per product and run (model, metrics,
candidates), one forecasts row per product, run and day (0001's contract), and the reads.

Retention: a batch writes ~1,900 products × 90 days ≈ 170k daily rows, every week. Only the
daily rows of the newest ``KEEP_BATCH_RUNS`` completed batches (and of any run newer than the
oldest of them) are kept; older runs lose them when a batch completes and are marked
``purged_at``. The forecast_models rows stay: they are small and are each product's accuracy
history. Reads only use runs that still have their daily rows.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import Any

import numpy as np
from sqlalchemy import ColumnElement, Connection, and_, delete, func, insert, select, update

from core.db import begin, bump_version, copy_text, get_engine
from core.forecast.backtest import Choice, Forecast
from core.models import forecast_models, forecast_runs, forecasts

RUN_PENDING, RUN_RUNNING, RUN_COMPLETED, RUN_FAILED = "pending", "running", "completed", "failed"
KIND_BATCH, KIND_SINGLE = "batch", "single"
MODEL_AUTO = "auto"  # forecast_runs.model of a batch: each product chose its own
# Three weekly batches: the current one, and two to compare it with or fall back on if the
# newest turns out wrong; any older daily row is never read again.
KEEP_BATCH_RUNS = 3
POOLED = ("mae", "rmse", "r2", "mase", "rmsse", "bias", "cobertura_80", "cobertura_95")
DAILY_COLUMNS = ("run_id", "producto_id", "fecha", "yhat", "yhat_lower", "yhat_upper",
                 "yhat_lower_80", "yhat_upper_80")
SERIES = ("yhat", "lo80", "hi80", "lo95", "hi95")  # the read shape of a product's daily values


def _now() -> datetime:
    return datetime.now().replace(microsecond=0)


def create_run(*, kind: str, trigger: str, horizon_days: int, history_days: int,
               almacen_id: int | None = None, user_id: int | None = None,
               parameters: dict[str, Any] | None = None) -> int:
    with begin() as conn:
        return int(conn.execute(insert(forecast_runs).values(
            kind=kind, trigger=trigger, status=RUN_PENDING, horizon_days=horizon_days,
            history_days=history_days, almacen_id=almacen_id, user_id=user_id,
            parameters=json.dumps(parameters or {}), created_at=_now(),
        ).returning(forecast_runs.c.id)).scalar_one())


def update_run(run_id: int, **values: Any) -> None:
    with begin() as conn:
        conn.execute(update(forecast_runs).where(forecast_runs.c.id == run_id).values(**values))


def get_run(run_id: int) -> dict[str, Any] | None:
    with get_engine().connect() as conn:
        row = conn.execute(select(forecast_runs).where(forecast_runs.c.id == run_id)).mappings().first()
    return dict(row) if row else None


def last_run(kind: str = KIND_BATCH) -> dict[str, Any] | None:
    with get_engine().connect() as conn:
        row = conn.execute(select(forecast_runs).where(forecast_runs.c.kind == kind)
                           .order_by(forecast_runs.c.id.desc()).limit(1)).mappings().first()
    return dict(row) if row else None


def _daily_rows(run_id: int, items: list[tuple[int, Choice, Forecast]]) -> list[tuple]:
    """forecasts rows in DAILY_COLUMNS order, dates as ISO text; values rounded with numpy, not
    one by one (this runs for ~170k rows a batch)."""
    days: dict[tuple[date, int], list[str]] = {}
    rows: list[tuple] = []
    for pid, _, fc in items:
        n = len(fc.yhat)
        fechas = days.get((fc.start, n))
        if fechas is None:
            fechas = days[(fc.start, n)] = [(fc.start + timedelta(days=i)).isoformat()
                                            for i in range(n)]
        values = np.round(np.column_stack([fc.yhat, fc.lo95, fc.hi95, fc.lo80, fc.hi80]),
                          4).tolist()
        rows += [(run_id, pid, f, *v) for f, v in zip(fechas, values, strict=True)]
    return rows


def _insert_daily(conn: Connection, rows: list[tuple]) -> None:
    """New rows, no conflict check: on PostgreSQL one COPY of text built here (psycopg's
    per-row write_row costs more than the server's insert at this size), on SQLite one
    executemany."""
    if not rows:
        return
    if conn.dialect.name == "postgresql":
        text = "".join("\t".join(map(str, r)) + "\n" for r in rows)
        copy_text(conn, "forecasts", DAILY_COLUMNS, text.encode())
        return
    marks = ", ".join("?" for _ in DAILY_COLUMNS)
    conn.exec_driver_sql(f"INSERT INTO forecasts ({', '.join(DAILY_COLUMNS)}) VALUES ({marks})",
                         rows)


def save(run_id: int, items: list[tuple[int, Choice, Forecast]], *, done: int = 0,
         failed: int = 0) -> dict[str, Any]:
    """Store products' forecasts and count them on the run (one transaction); the chunk that
    completes the run writes its model and pooled metrics and purges old runs. Returns the run."""
    with begin() as conn:
        if items:
            now = _now()
            conn.execute(insert(forecast_models), [{
                "run_id": run_id, "producto_id": pid, "modelo": choice.modelo,
                "clase": choice.clase, "fecha_inicio": fc.start,
                "metricas": json.dumps(choice.metricas), "candidatos": json.dumps(choice.candidatos),
                "created_at": now,
            } for pid, choice, fc in items])
            _insert_daily(conn, _daily_rows(run_id, items))
        conn.execute(update(forecast_runs).where(forecast_runs.c.id == run_id).values(
            products_done=forecast_runs.c.products_done + done,
            products_failed=forecast_runs.c.products_failed + failed))
        row = conn.execute(select(forecast_runs).where(forecast_runs.c.id == run_id)).mappings().one()
        if row["products_done"] + row["products_failed"] >= row["products"] \
                and row["status"] == RUN_RUNNING:
            model, metrics = _summary(conn, run_id, row["kind"])
            conn.execute(update(forecast_runs).where(forecast_runs.c.id == run_id,
                                                     forecast_runs.c.status == RUN_RUNNING)
                         .values(status=RUN_COMPLETED, completed_at=_now(), model=model,
                                 metrics=json.dumps(metrics)))
            if row["kind"] == KIND_BATCH:
                purge_old_runs(conn)
            bump_version(conn, "forecasts")
        return dict(row)


def pooled_metrics(rows: Iterable[tuple[str, str, dict[str, Any]]]) -> dict[str, Any]:
    """A run's backtest metrics over its products from (modelo, clase, metricas): the mean of
    each metric (bias too: the mean of the products' biases, as their sums are not stored) and
    how many products chose each model and fell in each class."""
    rows = list(rows)
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


def _summary(conn: Connection, run_id: int, kind: str) -> tuple[str, dict[str, Any]]:
    found = [(m, c, json.loads(x)) for m, c, x in conn.execute(
        select(forecast_models.c.modelo, forecast_models.c.clase, forecast_models.c.metricas)
        .where(forecast_models.c.run_id == run_id)).all()]
    model = found[0][0] if kind == KIND_SINGLE and found else MODEL_AUTO
    return model, pooled_metrics(found)


def purge_old_runs(conn: Connection, keep: int = KEEP_BATCH_RUNS) -> list[int]:
    """Delete the daily rows of every run older than the ``keep``-th newest completed batch
    (whatever its status: an older run still "running" is a dead one); returns their ids."""
    newest = conn.execute(select(forecast_runs.c.id).where(
        forecast_runs.c.kind == KIND_BATCH, forecast_runs.c.status == RUN_COMPLETED)
        .order_by(forecast_runs.c.id.desc()).limit(keep)).scalars().all()
    if len(newest) < keep:
        return []
    old = conn.execute(select(forecast_runs.c.id).where(
        forecast_runs.c.id < newest[-1], forecast_runs.c.purged_at.is_(None))).scalars().all()
    if old:
        conn.execute(delete(forecasts).where(forecasts.c.run_id.in_(old)))
        conn.execute(update(forecast_runs).where(forecast_runs.c.id.in_(old))
                     .values(purged_at=_now()))
    return list(old)


def _readable(almacen_id: int | None) -> ColumnElement[bool]:
    """Runs a read may use: completed, daily rows kept, of the almacén asked (None = all)."""
    scope = (forecast_runs.c.almacen_id.is_(None) if almacen_id is None
             else forecast_runs.c.almacen_id == almacen_id)
    return and_(forecast_runs.c.status == RUN_COMPLETED, forecast_runs.c.purged_at.is_(None),
                scope)


def _as_date(value: Any) -> date:
    return value.date() if isinstance(value, datetime) else value


def latest(producto_id: int, *, almacen_id: int | None = None) -> dict[str, Any] | None:
    """The newest stored forecast of a product (all almacenes, or the one given): its
    forecast_models row, the run's kind and date, and ``valores`` {yhat, lo80, hi80, lo95, hi95}
    as daily lists from ``fecha_inicio``."""
    query = (select(forecast_models, forecast_runs.c.kind, forecast_runs.c.completed_at,
                    forecast_runs.c.almacen_id)
             .join(forecast_runs, forecast_runs.c.id == forecast_models.c.run_id)
             .where(forecast_models.c.producto_id == producto_id, _readable(almacen_id))
             .order_by(forecast_models.c.run_id.desc()).limit(1))
    with get_engine().connect() as conn:
        row = conn.execute(query).mappings().first()
        if row is None:
            return None
        days = conn.execute(select(forecasts.c.fecha, forecasts.c.yhat, forecasts.c.yhat_lower_80,
                                   forecasts.c.yhat_upper_80, forecasts.c.yhat_lower,
                                   forecasts.c.yhat_upper)
                            .where(forecasts.c.run_id == row["run_id"],
                                   forecasts.c.producto_id == producto_id)
                            .order_by(forecasts.c.fecha)).all()
    out = dict(row)
    out["metricas"] = json.loads(out["metricas"])
    out["candidatos"] = json.loads(out["candidatos"])
    out["fecha_inicio"] = _as_date(days[0][0]) if days else _as_date(out["fecha_inicio"])
    out["valores"] = {k: [float(d[i + 1]) if d[i + 1] is not None else float(d[1]) for d in days]
                      for i, k in enumerate(SERIES)}
    return out


def latest_all(*, almacen_id: int | None = None) -> dict[int, dict[str, Any]]:
    """Every product's newest stored forecast for the scope: {producto_id: {"start", "yhat"
    (daily list), "metricas"}} (purchasing reads the whole catalog at once)."""
    newest = (select(forecast_models.c.producto_id,
                     func.max(forecast_models.c.run_id).label("run_id"))
              .join(forecast_runs, forecast_runs.c.id == forecast_models.c.run_id)
              .where(_readable(almacen_id))
              .group_by(forecast_models.c.producto_id).subquery())
    on = and_(newest.c.producto_id == forecasts.c.producto_id, newest.c.run_id == forecasts.c.run_id)
    daily = (select(forecasts.c.producto_id, forecasts.c.fecha, forecasts.c.yhat)
             .join(newest, on).order_by(forecasts.c.producto_id, forecasts.c.fecha))
    models = select(forecast_models.c.producto_id, forecast_models.c.metricas).join(
        newest, and_(newest.c.producto_id == forecast_models.c.producto_id,
                     newest.c.run_id == forecast_models.c.run_id))
    out: dict[int, dict[str, Any]] = {}
    with get_engine().connect() as conn:
        metricas = {pid: json.loads(m) for pid, m in conn.execute(models)}
        for pid, fecha, yhat in conn.execute(daily):
            item = out.get(pid)
            if item is None:
                item = out[pid] = {"start": _as_date(fecha), "yhat": [],
                                   "metricas": metricas.get(pid, {})}
            item["yhat"].append(float(yhat))
    return out
