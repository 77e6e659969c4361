"""Purchase suggestions a buyer can follow: settings with defaults, safety stock, reorder point,
suggested quantity, cover, stock-out date and last day to order; ABC/XYZ; excess and dead stock.

The formulas (periodic review, L = lead time, R = review period, in days):
- σ = the forecast's backtest RMSE per day; z = the normal quantile of the service level
- safety stock SS = z · σ · √(L + R)
- reorder point ROP = D(L) + z · σ · √L       (D(n) = Σ forecast over the next n days)
- order-up-to level S = D(L + R) + SS
- suggested = S − stock, rounded up to the pack size and at least the MOQ (0 when ≤ 0)
- cover (days) = stock / average daily forecast; stock-out = first day the cumulative forecast
  exceeds the stock; last day to order = stock-out − L
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from statistics import NormalDist
from typing import Any

import pandas as pd
from sqlalchemy import func, insert, select, update

from core.audit import record
from core.db import begin, bump_version, get_engine
from core.errors import ReadableError
from core.export import neutralise_frame
from core.models import (
    erp_almacenes,
    erp_inventario,
    erp_productos,
    erp_ventas,
    erp_ventas_detalle,
    purchase_settings,
)
from core.users import require

SCOPE_GLOBAL, SCOPE_LINEA, SCOPE_PRODUCTO = "global", "linea", "producto"
SCOPES = (SCOPE_GLOBAL, SCOPE_LINEA, SCOPE_PRODUCTO)
FIELDS = ("lead_time_days", "review_period_days", "service_level", "pack_size", "moq")
BUILT_IN = {"lead_time_days": 7, "review_period_days": 7, "service_level": 0.95,
            "pack_size": 1.0, "moq": 0.0}
LIMITS = {"lead_time_days": (0, 365), "review_period_days": (1, 365),
          "service_level": (0.5, 0.999), "pack_size": (0.001, 1_000_000), "moq": (0, 1_000_000)}
ABC_CUTS = (0.80, 0.95)  # A: the first 80 % of sales value, B: the next 15 %, C: the last 5 %
XYZ_CUTS = (0.5, 1.0)  # coefficient of variation of weekly units
DEAD_DAYS = 90
EXCESS_FACTOR = 3.0  # cover beyond 3 × (L + R) (and 90 days) is excess
MAX_SNOOZE_DAYS = 365


class PurchasingError(ReadableError, ValueError):
    """An invalid purchase setting or request (Spanish message)."""


# ---------------------------------------------------------------- formulas (pure)


@dataclass(frozen=True)
class Suggestion:
    stock: float
    demanda_lr: float
    safety_stock: float
    reorder_point: float
    order_up_to: float
    sugerido: float
    cobertura_dias: float | None
    agotamiento: date | None
    pedir_antes: date | None


def z_value(service_level: float) -> float:
    return NormalDist().inv_cdf(service_level)


def round_order(need: float, *, pack: float, moq: float) -> float:
    """0 when nothing is needed; else ``need`` rounded up to the pack, at least the MOQ (the MOQ
    itself rounded up to the pack)."""
    if need <= 1e-9:
        return 0.0
    qty = max(need, moq)
    return math.ceil(qty / pack - 1e-9) * pack


def suggest(*, stock: float, daily: list[float], start: date, rmse: float | None, lead: int,
            review: int, service_level: float, pack: float, moq: float) -> Suggestion:
    """Everything a buyer needs for one product from its daily forecast from ``start``."""
    z = z_value(service_level)
    sigma = float(rmse or 0.0)
    d_l = sum(daily[:lead])
    d_lr = sum(daily[:lead + review])
    ss = z * sigma * math.sqrt(lead + review)
    rop = d_l + z * sigma * math.sqrt(lead)
    s_level = d_lr + ss
    qty = round_order(s_level - stock, pack=pack, moq=moq)
    avg = sum(daily) / len(daily) if daily else 0.0
    cover = stock / avg if avg > 0 else None
    stockout = None
    cum = 0.0
    for i, d in enumerate(daily):
        cum += d
        if cum > stock:
            stockout = start + timedelta(days=i)
            break
    order_by = stockout - timedelta(days=lead) if stockout is not None else None
    return Suggestion(stock=stock, demanda_lr=d_lr, safety_stock=ss, reorder_point=rop,
                      order_up_to=s_level, sugerido=qty, cobertura_dias=cover,
                      agotamiento=stockout, pedir_antes=order_by)


def abc_classes(values: dict[int, float]) -> dict[int, str]:
    """A/B/C by cumulative share of sales value: a product is A while the share before it is
    under 80 %, B under 95 %, else C; products without sales are C."""
    total = sum(v for v in values.values() if v > 0)
    out: dict[int, str] = {}
    cum = 0.0
    for pid, value in sorted(values.items(), key=lambda kv: (-kv[1], kv[0])):
        share_before = cum / total if total > 0 else 1.0
        out[pid] = "A" if share_before < ABC_CUTS[0] and value > 0 else \
            "B" if share_before < ABC_CUTS[1] and value > 0 else "C"
        cum += max(value, 0.0)
    return out


def xyz_class(weekly: list[float]) -> str:
    """X (steady, CV < 0.5), Y (CV < 1) or Z (erratic or no sales) from weekly units."""
    if not weekly:
        return "Z"
    mean = sum(weekly) / len(weekly)
    if mean <= 0:
        return "Z"
    sd = math.sqrt(sum((w - mean) ** 2 for w in weekly) / len(weekly))
    cv = sd / mean
    return "X" if cv < XYZ_CUTS[0] else "Y" if cv < XYZ_CUTS[1] else "Z"


# ---------------------------------------------------------------- settings


def _clean(values: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in FIELDS:
        if name not in values or values[name] is None or values[name] == "":
            out[name] = None
            continue
        try:
            number = float(values[name])
        except (TypeError, ValueError) as exc:
            raise PurchasingError(f"{_LABELS[name]}: escriba un número.") from exc
        lo, hi = LIMITS[name]
        if not lo <= number <= hi or math.isnan(number):
            raise PurchasingError(f"{_LABELS[name]} debe estar entre {lo:g} y {hi:g}.")
        out[name] = int(number) if name.endswith("_days") else number
    return out


_LABELS = {"lead_time_days": "El tiempo de entrega (días)",
           "review_period_days": "El periodo de revisión (días)",
           "service_level": "El nivel de servicio", "pack_size": "El tamaño de empaque",
           "moq": "El pedido mínimo"}


def settings_rows(user: Any) -> list[dict[str, Any]]:
    """Every stored settings row (global, per línea, per product)."""
    require(user, "purchasing:read")
    with get_engine().connect() as conn:
        return [dict(r) for r in conn.execute(
            select(purchase_settings).order_by(purchase_settings.c.scope,
                                               purchase_settings.c.scope_key)).mappings().all()]


def save_settings(user: Any, *, scope: str, key: str = "", values: dict[str, Any]) -> None:
    """Write the global defaults, a línea's or a product's settings (None = inherit)."""
    require(user, "purchasing:write")
    if scope not in SCOPES:
        raise PurchasingError("Alcance desconocido: use global, línea o producto.")
    key = "" if scope == SCOPE_GLOBAL else str(key).strip()[:100]
    if scope != SCOPE_GLOBAL and not key:
        raise PurchasingError("Indique la línea o el producto.")
    clean = _clean(values)
    producto_id = int(key) if scope == SCOPE_PRODUCTO else None
    categoria = key if scope == SCOPE_LINEA else None  # 0001's column, kept for other readers
    with begin() as conn:
        before = conn.execute(select(purchase_settings).where(
            purchase_settings.c.scope == scope, purchase_settings.c.scope_key == key)
        ).mappings().first()
        now = datetime.now().replace(microsecond=0)
        if before is None:
            conn.execute(insert(purchase_settings).values(
                scope=scope, scope_key=key, producto_id=producto_id, categoria=categoria,
                updated_by=user.id or None, updated_at=now, **clean))
        else:
            conn.execute(update(purchase_settings).where(purchase_settings.c.id == before["id"])
                         .values(categoria=categoria, updated_by=user.id or None, updated_at=now,
                                 **clean))
        record(conn, user, entity="purchase_settings", entity_id=f"{scope}:{key}", label=f"{scope} {key}".strip(),
               action="create" if before is None else "update",
               before=dict(before) if before else None, after=clean)
        bump_version(conn, "purchasing")


def snooze(user: Any, producto_id: int, days: int) -> date | None:
    """Put a product aside for ``days`` (0 = bring it back); returns the date it returns."""
    require(user, "purchasing:write")
    if not 0 <= int(days) <= MAX_SNOOZE_DAYS:
        raise PurchasingError(f"Posponga entre 0 y {MAX_SNOOZE_DAYS} días.")
    until = date.today() + timedelta(days=int(days)) if days else None
    key = str(int(producto_id))
    with begin() as conn:
        res = conn.execute(update(purchase_settings).where(
            purchase_settings.c.scope == SCOPE_PRODUCTO, purchase_settings.c.scope_key == key)
            .values(snoozed_until=until))
        if not res.rowcount:
            conn.execute(insert(purchase_settings).values(
                scope=SCOPE_PRODUCTO, scope_key=key, producto_id=int(producto_id),
                snoozed_until=until, updated_by=user.id or None))
        bump_version(conn, "purchasing")
    return until


def _resolver(rows: list[dict[str, Any]]) -> Any:
    by_scope = {(r["scope"], r["scope_key"]): r for r in rows}

    def resolve(producto_id: int, linea: str | None) -> dict[str, Any]:
        out: dict[str, Any] = dict(BUILT_IN)
        for scope_key in ((SCOPE_GLOBAL, ""), (SCOPE_LINEA, linea or ""),
                          (SCOPE_PRODUCTO, str(producto_id))):
            row = by_scope.get(scope_key)
            if row is None:
                continue
            for name in FIELDS:
                if row[name] is not None:
                    out[name] = float(row[name]) if isinstance(row[name], Decimal) else row[name]
        snoozed = by_scope.get((SCOPE_PRODUCTO, str(producto_id)), {}).get("snoozed_until")
        out["snoozed_until"] = snoozed
        return out
    return resolve


def effective_settings(user: Any, producto_id: int, linea: str | None) -> dict[str, Any]:
    """The settings a product uses: its own, else its línea's, else the global defaults."""
    return _resolver(settings_rows(user))(producto_id, linea)


# ---------------------------------------------------------------- suggestion table


def _latest_forecasts(almacen_id: int | None) -> tuple[dict[int, dict[str, Any]], set[int]]:
    """Every product's newest forecast, and which of them are the almacén's own: a forecast
    stored for that almacén wins over the all-almacenes one (which the caller scales by the
    almacén's share of recent units)."""
    from core.forecast import store

    out = {pid: {"start": f["start"], "yhat": f["yhat"], "rmse": f["metricas"].get("rmse")}
           for pid, f in store.latest_all().items()}
    own: set[int] = set()
    if almacen_id is not None:
        for pid, f in store.latest_all(almacen_id=almacen_id).items():
            out[pid] = {"start": f["start"], "yhat": f["yhat"], "rmse": f["metricas"].get("rmse")}
            own.add(pid)
    return out, own


def _sales_window(days: int, end: date) -> pd.DataFrame:
    start = end - timedelta(days=days - 1)
    query = (select(erp_ventas_detalle.c.producto_id, erp_ventas.c.almacen_id,
                    func.date(erp_ventas.c.fecha).label("fecha"),
                    func.sum(erp_ventas_detalle.c.cantidad).label("unidades"),
                    func.sum(erp_ventas_detalle.c.importe).label("importe"))
             .join(erp_ventas, erp_ventas.c.id == erp_ventas_detalle.c.venta_id)
             .where(erp_ventas.c.fecha >= start, erp_ventas.c.fecha < end + timedelta(days=1))
             .group_by(erp_ventas_detalle.c.producto_id, erp_ventas.c.almacen_id,
                       func.date(erp_ventas.c.fecha)))
    with get_engine().connect() as conn:
        frame = pd.DataFrame(conn.execute(query).all(),
                             columns=["producto_id", "almacen_id", "fecha", "unidades", "importe"])
    frame["fecha"] = pd.to_datetime(frame["fecha"])
    frame[["unidades", "importe"]] = frame[["unidades", "importe"]].astype(float)
    return frame


def analysis(user: Any, *, almacen_id: int | None = None, today: date | None = None) -> pd.DataFrame:
    """One row per product (and the chosen almacén, or all): stock, the formulas' terms,
    suggested quantity, cover, dates, ABC/XYZ, last sale and stock value at cost."""
    require(user, "purchasing:read")
    from core.forecast.series import last_sales_day

    end = last_sales_day() or (today or date.today())
    today = today or end + timedelta(days=1)
    sales = _sales_window(365, end)
    stock_q = (select(erp_inventario.c.producto_id, func.sum(erp_inventario.c.stock_actual))
               .group_by(erp_inventario.c.producto_id))
    if almacen_id is not None:
        stock_q = stock_q.where(erp_inventario.c.almacen_id == almacen_id)
    with get_engine().connect() as conn:
        stock = {pid: float(q or 0) for pid, q in conn.execute(stock_q)}
        products = conn.execute(select(erp_productos.c.id, erp_productos.c.codigo,
                                       erp_productos.c.nombre, erp_productos.c.categoria,
                                       erp_productos.c.costo)
                                .where(erp_productos.c.activo.is_(True))).all()
    resolve = _resolver(settings_rows(user))
    fcs, own = _latest_forecasts(almacen_id)
    value = sales.groupby("producto_id")["importe"].sum().to_dict()
    abc = abc_classes({p.id: float(value.get(p.id, 0.0)) for p in products})
    weekly = (sales.set_index("fecha").groupby("producto_id")["unidades"].resample("W").sum())
    recent = sales[sales["fecha"] > pd.Timestamp(end - timedelta(days=90))]
    share = _almacen_share(recent, almacen_id)
    share.update({pid: 1.0 for pid in own})  # the almacén's own forecast needs no share
    last_sale = sales[sales["unidades"] > 0].groupby("producto_id")["fecha"].max().to_dict()
    rows = []
    for p in products:
        cfg = resolve(p.id, p.categoria)
        fc = fcs.get(p.id)
        daily = [v * share.get(p.id, 1.0) for v in fc["yhat"]] if fc else []
        offset = (today - fc["start"]).days if fc else 0
        daily = daily[max(offset, 0):]
        lead, review = int(cfg["lead_time_days"]), int(cfg["review_period_days"])
        rmse = (fc["rmse"] or 0.0) * share.get(p.id, 1.0) if fc else None
        s = suggest(stock=stock.get(p.id, 0.0), daily=daily, start=today, rmse=rmse, lead=lead,
                    review=review, service_level=float(cfg["service_level"]),
                    pack=float(cfg["pack_size"]), moq=float(cfg["moq"]))
        weeks = list(weekly.loc[p.id].to_numpy()) if p.id in weekly.index.get_level_values(0) else []
        last = last_sale.get(p.id)
        rows.append({
            "producto_id": p.id, "codigo": p.codigo, "nombre": p.nombre, "linea": p.categoria or "",
            "abc": abc.get(p.id, "C"), "xyz": xyz_class([float(w) for w in weeks]),
            "con_pronostico": fc is not None, **asdict(s),
            "lead_time_days": lead, "review_period_days": review,
            "service_level": float(cfg["service_level"]), "pack_size": float(cfg["pack_size"]),
            "moq": float(cfg["moq"]), "sigma": rmse or 0.0,
            "pospuesto_hasta": cfg["snoozed_until"],
            "ultima_venta": last.date() if last is not None else None,
            "costo": float(p.costo or 0), "valor_stock": float(p.costo or 0) * s.stock,
        })
    return pd.DataFrame(rows)


def _almacen_share(recent: pd.DataFrame, almacen_id: int | None) -> dict[int, float]:
    """The almacén's share of each product's recent units (the forecast is for all of them)."""
    if almacen_id is None or recent.empty:
        return {}
    total = recent.groupby("producto_id")["unidades"].sum()
    mine = recent[recent["almacen_id"] == almacen_id].groupby("producto_id")["unidades"].sum()
    return {int(pid): (float(mine.get(pid, 0.0)) / float(t) if t > 0 else 0.0)
            for pid, t in total.items()}


def to_order(frame: pd.DataFrame, *, today: date) -> pd.DataFrame:
    """What to order: a suggested quantity and not snoozed."""
    if frame.empty:
        return frame
    snoozed = frame["pospuesto_hasta"].apply(lambda d: d is not None and d > today)
    return frame[(frame["sugerido"] > 0) & ~snoozed]


def excess(frame: pd.DataFrame) -> pd.DataFrame:
    """Cover far beyond need: more than max(90, 3 × (L + R)) days; the units and value over the
    order-up-to level."""
    if frame.empty:
        return frame
    limit = (EXCESS_FACTOR * (frame["lead_time_days"] + frame["review_period_days"])).clip(lower=90)
    out = frame[frame["cobertura_dias"].notna() & (frame["cobertura_dias"] > limit)].copy()
    out["exceso"] = out["stock"] - out["order_up_to"]
    out["valor_exceso"] = out["exceso"] * out["costo"]
    return out


def dead(frame: pd.DataFrame, *, today: date, days: int = DEAD_DAYS) -> pd.DataFrame:
    """Stock without a sale in ``days`` days (or ever in the last year), valued at cost."""
    if frame.empty:
        return frame
    cutoff = today - timedelta(days=days)
    stale = frame["ultima_venta"].apply(lambda d: d is None or d < cutoff)
    return frame[(frame["stock"] > 0) & stale]


def almacenes() -> list[dict[str, Any]]:
    with get_engine().connect() as conn:
        return [dict(r) for r in conn.execute(
            select(erp_almacenes.c.id, erp_almacenes.c.nombre).order_by(erp_almacenes.c.nombre)
        ).mappings().all()]


ORDER_COLUMNS = {"linea": "Línea", "codigo": "Código", "nombre": "Producto", "pedir": "Cantidad",
                 "costo": "Costo unitario", "importe": "Importe"}


def order_draft(user: Any, rows: pd.DataFrame) -> pd.DataFrame:
    """A purchase-order draft grouped by línea (quantities as the buyer edited them, in a
    ``pedir`` column), formula cells neutralised, with a subtotal row per línea."""
    require(user, "purchasing:read")
    if rows.empty:
        return pd.DataFrame(columns=list(ORDER_COLUMNS.values()))
    data = rows[rows["pedir"] > 0].copy()
    data["importe"] = data["pedir"] * data["costo"]
    parts = []
    for linea, group in data.sort_values(["linea", "codigo"]).groupby("linea", sort=True):
        parts.append(group[list(ORDER_COLUMNS)])
        parts.append(pd.DataFrame([{"linea": linea, "codigo": "", "nombre": f"Subtotal {linea}",
                                    "pedir": group["pedir"].sum(), "costo": float("nan"),
                                    "importe": group["importe"].sum()}]))
    out = pd.concat(parts, ignore_index=True).rename(columns=ORDER_COLUMNS)
    return neutralise_frame(out)
