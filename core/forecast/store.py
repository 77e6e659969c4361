"""Forecast storage: runs, one row per product and run, and the latest forecast of a product."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

from sqlalchemy import insert, select, update

from core.db import begin, bump_version, get_engine
from core.forecast.backtest import Choice, Forecast
from core.models import forecast_runs, forecasts

RUN_PENDING, RUN_RUNNING, RUN_COMPLETED, RUN_FAILED = "pending", "running", "completed", "failed"
KIND_BATCH, KIND_SINGLE = "batch", "single"


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


def save(run_id: int, items: list[tuple[int, Choice, Forecast]], *, done: int = 0,
         failed: int = 0) -> dict[str, Any]:
    """Store products' forecasts and count them on the run (one transaction); returns the run."""
    with begin() as conn:
        if items:
            conn.execute(insert(forecasts), [{
                "run_id": run_id, "producto_id": pid, "modelo": choice.modelo,
                "clase": choice.clase, "fecha_inicio": fc.start,
                "valores": json.dumps(fc.as_json()), "metricas": json.dumps(choice.metricas),
                "candidatos": json.dumps(choice.candidatos), "created_at": _now(),
            } for pid, choice, fc in items])
        conn.execute(update(forecast_runs).where(forecast_runs.c.id == run_id).values(
            products_done=forecast_runs.c.products_done + done,
            products_failed=forecast_runs.c.products_failed + failed))
        row = conn.execute(select(forecast_runs).where(forecast_runs.c.id == run_id)).mappings().one()
        if row["products_done"] + row["products_failed"] >= row["products"] \
                and row["status"] == RUN_RUNNING:
            conn.execute(update(forecast_runs).where(forecast_runs.c.id == run_id,
                                                     forecast_runs.c.status == RUN_RUNNING)
                         .values(status=RUN_COMPLETED, completed_at=_now()))
            bump_version(conn, "forecasts")
        return dict(row)


def latest(producto_id: int) -> dict[str, Any] | None:
    """The newest stored forecast of a product from a completed run (or a single run)."""
    query = (select(forecasts, forecast_runs.c.kind, forecast_runs.c.completed_at)
             .join(forecast_runs, forecast_runs.c.id == forecasts.c.run_id)
             .where(forecasts.c.producto_id == producto_id,
                    forecast_runs.c.status == RUN_COMPLETED)
             .order_by(forecasts.c.run_id.desc()).limit(1))
    with get_engine().connect() as conn:
        row = conn.execute(query).mappings().first()
    if row is None:
        return None
    out = dict(row)
    for key in ("valores", "metricas", "candidatos"):
        out[key] = json.loads(out[key])
    if isinstance(out["fecha_inicio"], datetime):
        out["fecha_inicio"] = out["fecha_inicio"].date()
    assert isinstance(out["fecha_inicio"], date)
    return out
