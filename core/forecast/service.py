"""The forecast entry points pages and the CLI use (the seed's POST /api/predictions/demand).

``predict_demand`` answers from the newest stored forecast of the product, or trains that one
product on the spot (stored as a "single" run) when none exists yet.
"""

from __future__ import annotations

import logging
from datetime import date, timedelta
from typing import Any

from sqlalchemy import func, or_, select

from core.config import get_settings
from core.db import get_engine
from core.errors import ReadableError
from core.forecast import store
from core.forecast.models import MODELS
from core.forecast.series import as_arrays, daily_units, last_sales_day
from core.models import erp_productos
from core.users import require

log = logging.getLogger(__name__)
MAX_DAYS = 90
MAX_QUERY = 100  # characters of a product search
METRIC_KEYS = ("mae", "rmse", "r2", "mase", "rmsse", "bias")


class ForecastError(ReadableError, ValueError):
    """A forecast request that cannot be answered (Spanish message)."""


def check_days(days: int) -> int:
    if not isinstance(days, int) or isinstance(days, bool) or not 1 <= days <= MAX_DAYS:
        raise ForecastError(f"Los días a pronosticar deben estar entre 1 y {MAX_DAYS}.")
    return days


def find_product(codigo: str) -> dict[str, Any]:
    codigo = (codigo or "").strip()[:50]
    with get_engine().connect() as conn:
        row = conn.execute(select(erp_productos.c.id, erp_productos.c.codigo, erp_productos.c.nombre,
                                  erp_productos.c.categoria)
                           .where(erp_productos.c.codigo == codigo)).mappings().first()
    if row is None:
        raise ForecastError(f"No existe un producto con el código «{codigo}».")
    return dict(row)


def search_products(user: Any, text: str, limit: int = 20) -> list[dict[str, Any]]:
    """Products whose code or name contains ``text`` (capped), for the page's picker."""
    require(user, "forecast:read")
    needle = f"%{(text or '').strip()[:MAX_QUERY].lower()}%"
    query = (select(erp_productos.c.id, erp_productos.c.codigo, erp_productos.c.nombre)
             .where(or_(func.lower(erp_productos.c.codigo).like(needle),
                        func.lower(erp_productos.c.nombre).like(needle)))
             .order_by(erp_productos.c.codigo).limit(min(max(limit, 1), 100)))
    with get_engine().connect() as conn:
        return [dict(r) for r in conn.execute(query).mappings().all()]


def train_single(producto_id: int, *, user: Any = None,
                 almacen_id: int | None = None) -> dict[str, Any]:
    """Train one product now (on one almacén's sales, or all) and store it as a completed
    "single" run; returns the stored forecast."""
    from core.forecast.train import HORIZON_DAYS, fit_one

    settings = get_settings()
    end = last_sales_day()
    if end is None:
        raise ForecastError("Todavía no hay ventas: sincronice o cargue ventas primero.")
    y = as_arrays(daily_units(producto_ids=[producto_id], history_days=settings.forecast_history_days,
                              end=end, almacen_id=almacen_id))[producto_id]
    run_id = store.create_run(kind=store.KIND_SINGLE, trigger="on-demand", horizon_days=HORIZON_DAYS,
                              history_days=settings.forecast_history_days, almacen_id=almacen_id,
                              user_id=getattr(user, "id", None) or None)
    store.update_run(run_id, status=store.RUN_RUNNING, products=1, started_at=store._now())
    choice, fc = fit_one(y, end=end)
    store.save(run_id, [(producto_id, choice, fc)], done=1)
    row = store.latest(producto_id, almacen_id=almacen_id)
    assert row is not None
    return row


def product_forecast(user: Any, codigo: str, *, retrain: bool = False,
                     almacen_id: int | None = None) -> dict[str, Any]:
    """Product and its stored forecast for all almacenes or one (trained now if missing)."""
    require(user, "forecast:read")
    product = find_product(codigo)
    row = None if retrain else store.latest(product["id"], almacen_id=almacen_id)
    if row is None:
        row = train_single(product["id"], user=user, almacen_id=almacen_id)
    return {"producto": product, "forecast": row}


def predict_demand(user: Any, codigo: str, days: int) -> dict[str, Any]:
    """The seed's contract: producto, modelo, N daily predictions with 95 % bounds, metrics."""
    require(user, "forecast:read")
    check_days(days)
    out = product_forecast(user, codigo)
    row = out["forecast"]
    values = row["valores"]
    start: date = row["fecha_inicio"]
    preds = [{"fecha": (start + timedelta(days=i)).isoformat(),
              "demanda_estimada": round(values["yhat"][i], 3),
              "confidence_low": round(values["lo95"][i], 3),
              "confidence_high": round(values["hi95"][i], 3)} for i in range(days)]
    return {"producto": out["producto"]["codigo"], "modelo": row["modelo"],
            "predicciones": preds,
            "metricas": {k: row["metricas"].get(k) for k in METRIC_KEYS}}


def history(user: Any, producto_id: int, *, days: int = 180,
            almacen_id: int | None = None) -> list[dict[str, Any]]:
    """The product's last ``days`` of daily net units, all almacenes or one (for the chart)."""
    require(user, "forecast:read")
    long = daily_units(producto_ids=[producto_id], history_days=min(max(days, 7), 3650),
                       almacen_id=almacen_id)
    return [{"fecha": r.fecha.date(), "unidades": float(r.unidades)} for r in long.itertuples()]


def model_label(alias: str) -> str:
    from core.forecast.backtest import COMBO, members

    if alias.startswith(COMBO):
        return "Combinación de " + ", ".join(model_label(m).lower() for m in members(alias))
    model = MODELS.get(alias)
    return model.label if model else alias


def last_batch(user: Any) -> dict[str, Any] | None:
    """The newest batch training run (for the page's caption)."""
    require(user, "forecast:read")
    return store.last_run(store.KIND_BATCH)
