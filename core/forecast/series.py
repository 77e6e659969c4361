"""Series: net units per product per day from the sales lines (one long table).

``erp_ventas_detalle`` ⨝ ``erp_ventas``: returns are already negative and cancelled documents
are never stored. Days without sales are zero; the history window ends at the last sales day.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

import numpy as np
import pandas as pd
from sqlalchemy import func, select

from core.db import get_engine
from core.models import erp_ventas, erp_ventas_detalle

COLUMNS = ("producto", "fecha", "unidades")  # statsforecast's unique_id, ds, y


def last_sales_day() -> date | None:
    """The last day with a sales document (the end of every series)."""
    with get_engine().connect() as conn:
        value = conn.execute(select(func.max(erp_ventas.c.fecha))).scalar()
    if value is None:
        return None
    return value.date() if hasattr(value, "date") else value


def daily_units(*, producto_ids: Sequence[int] | None = None, almacen_id: int | None = None,
                history_days: int = 730, end: date | None = None) -> pd.DataFrame:
    """Long table (producto, fecha, unidades): every product asked for (or every one sold in
    the window), every calendar day of the window, zero-filled."""
    end = end or last_sales_day()
    if end is None:
        return pd.DataFrame(columns=list(COLUMNS))
    start = end - timedelta(days=history_days - 1)
    day = func.date(erp_ventas.c.fecha)
    query = (select(erp_ventas_detalle.c.producto_id, day.label("fecha"),
                    func.sum(erp_ventas_detalle.c.cantidad).label("unidades"))
             .join(erp_ventas, erp_ventas.c.id == erp_ventas_detalle.c.venta_id)
             .where(erp_ventas.c.fecha >= start, erp_ventas.c.fecha < end + timedelta(days=1))
             .group_by(erp_ventas_detalle.c.producto_id, day))
    if producto_ids is not None:
        query = query.where(erp_ventas_detalle.c.producto_id.in_(list(producto_ids)))
    if almacen_id is not None:
        query = query.where(erp_ventas.c.almacen_id == almacen_id)
    with get_engine().connect() as conn:
        rows = conn.execute(query).all()
    raw = pd.DataFrame(rows, columns=["producto", "fecha", "unidades"])
    raw["fecha"] = pd.to_datetime(raw["fecha"])
    raw["unidades"] = raw["unidades"].astype(float)
    ids = list(producto_ids) if producto_ids is not None else sorted(raw["producto"].unique())
    return zero_fill(raw, ids=ids, start=start, end=end)


def zero_fill(raw: pd.DataFrame, *, ids: Sequence[int], start: date, end: date) -> pd.DataFrame:
    """Every (id, day) of the window, with 0 where ``raw`` has no row."""
    days = pd.date_range(start, end, freq="D")
    index = pd.MultiIndex.from_product([list(ids), days], names=["producto", "fecha"])
    full = (raw.groupby(["producto", "fecha"])["unidades"].sum()
            .reindex(index, fill_value=0.0).reset_index())
    full["unidades"] = full["unidades"].astype(float)
    return full


FREQS = ("D", "W", "MS")  # day, week, month
MONDAY = date(2024, 1, 1)  # weeks start on Monday unless another first day is given


def period_start(fechas: pd.Series, freq: str, *, week_start: date | None = None) -> pd.Series:
    """The first day of each date's period: the day itself, its week (7 days from
    ``week_start``'s weekday, Monday by default) or its calendar month."""
    fechas = pd.to_datetime(fechas)
    if freq == "D":
        return fechas
    if freq == "MS":
        return fechas.dt.to_period("M").dt.start_time
    if freq == "W":
        anchor = pd.Timestamp(week_start or MONDAY)
        return anchor + pd.to_timedelta(((fechas - anchor).dt.days // 7) * 7, unit="D")
    raise ValueError(f"unknown frequency {freq!r}")


def aggregate(long: pd.DataFrame, freq: str, *, week_start: date | None = None) -> pd.DataFrame:
    """Daily ("D"), weekly ("W") or monthly ("MS") sums of a daily long table, each period
    labelled by its first day, with ``dias``: how many days of the table fell in it (the first
    and last periods may be partial)."""
    keyed = long.assign(fecha=period_start(long["fecha"], freq, week_start=week_start))
    out = (keyed.groupby(["producto", "fecha"])["unidades"].agg(["sum", "size"]).reset_index()
           .rename(columns={"sum": "unidades", "size": "dias"}))
    return out[[*COLUMNS, "dias"]]


def as_arrays(long: pd.DataFrame) -> dict[int, np.ndarray]:
    """One numpy array of units per product, in date order."""
    return {int(k): g.sort_values("fecha")["unidades"].to_numpy(dtype=float)
            for k, g in long.groupby("producto")}
