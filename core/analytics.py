"""Dashboard aggregates, computed in SQL (never by loading rows into pandas)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any, Literal

from sqlalchemy import Connection, and_, case, distinct, func, literal_column, select
from sqlalchemy.sql import ColumnElement

from core import db
from core.models import erp_almacenes, erp_inventario, erp_productos, erp_ventas, erp_ventas_detalle
from core.users import User, require

V, D, P, INV, A = erp_ventas, erp_ventas_detalle, erp_productos, erp_inventario, erp_almacenes


@dataclass(frozen=True)
class DashboardFilter:
    """A date range (inclusive) and optional almacén and categoría (línea)."""

    start: date
    end: date
    almacen_id: int | None = None
    categoria: str | None = None

    def previous(self) -> DashboardFilter:
        """The period of the same length right before this one."""
        days = (self.end - self.start).days + 1
        return DashboardFilter(self.start - timedelta(days=days), self.start - timedelta(days=1),
                               self.almacen_id, self.categoria)


@dataclass(frozen=True)
class SalesKpis:
    importe: float
    unidades: float
    documentos: int
    ticket_promedio: float


def _sales_conditions(f: DashboardFilter) -> list[ColumnElement[bool]]:
    conds: list[ColumnElement[bool]] = [
        V.c.fecha >= datetime.combine(f.start, time.min),
        V.c.fecha < datetime.combine(f.end + timedelta(days=1), time.min),
        func.coalesce(V.c.estatus, "N") != "C",
    ]
    if f.almacen_id is not None:
        conds.append(V.c.almacen_id == f.almacen_id)
    if f.categoria is not None:
        conds.append(P.c.categoria == f.categoria)
    return conds


def _lines():
    return D.join(V, D.c.venta_id == V.c.id).join(P, D.c.producto_id == P.c.id)


def sales_kpis(conn: Connection, f: DashboardFilter) -> SalesKpis:
    """Net sales (returns subtract), units, sale documents and the average ticket of sale documents."""
    is_sale = V.c.tipo != "D"
    row = conn.execute(
        select(
            func.coalesce(func.sum(D.c.importe), 0),
            func.coalesce(func.sum(D.c.cantidad), 0),
            func.count(distinct(case((is_sale, V.c.id)))),
            func.coalesce(func.sum(case((is_sale, D.c.importe), else_=0)), 0),
        ).select_from(_lines()).where(and_(*_sales_conditions(f)))
    ).one()
    importe, unidades, documentos, bruto = float(row[0]), float(row[1]), int(row[2]), float(row[3])
    return SalesKpis(importe, unidades, documentos, bruto / documentos if documentos else 0.0)


def _stock_conditions(f: DashboardFilter) -> list[ColumnElement[bool]]:
    conds: list[ColumnElement[bool]] = [P.c.activo.is_(True)]
    if f.almacen_id is not None:
        conds.append(INV.c.almacen_id == f.almacen_id)
    if f.categoria is not None:
        conds.append(P.c.categoria == f.categoria)
    return conds


def below_minimum_count(conn: Connection, f: DashboardFilter) -> int:
    """Active products with stock under its minimum in at least one of the filtered almacenes."""
    return conn.execute(
        select(func.count(distinct(INV.c.producto_id))).select_from(INV.join(P, INV.c.producto_id == P.c.id))
        .where(INV.c.stock_actual < INV.c.stock_minimo, *_stock_conditions(f))
    ).scalar_one()


def inventory_value(conn: Connection, f: DashboardFilter) -> float:
    """Σ positive stock × cost of active products."""
    value = conn.execute(
        select(func.coalesce(func.sum(INV.c.stock_actual * func.coalesce(P.c.costo, 0)), 0))
        .select_from(INV.join(P, INV.c.producto_id == P.c.id))
        .where(INV.c.stock_actual > 0, *_stock_conditions(f))
    ).scalar_one()
    return float(value)


def _bucket(conn: Connection, grain: Literal["day", "week"]) -> ColumnElement[Any]:
    if conn.dialect.name == "postgresql":
        return func.date(func.date_trunc(grain, V.c.fecha))
    if grain == "day":
        return func.date(V.c.fecha)
    return func.date(V.c.fecha, "weekday 0", "-6 days")  # Monday of the week, as date_trunc


def sales_over_time(conn: Connection, f: DashboardFilter, grain: Literal["day", "week"]) -> list[dict]:
    """Sales per day or per week (weeks start on Monday); periods without sales are zeros.

    ``parcial`` marks a first or last week that the filter's range cuts, so a chart can say why
    it dips.
    """
    bucket = _bucket(conn, grain).label("periodo")
    found = {
        _as_date(r["periodo"]): r for r in conn.execute(
            select(bucket, func.sum(D.c.importe).label("importe"), func.sum(D.c.cantidad).label("unidades"))
            .select_from(_lines()).where(*_sales_conditions(f)).group_by(bucket)
        ).mappings()
    }
    step = timedelta(days=1 if grain == "day" else 7)
    period = f.start if grain == "day" else f.start - timedelta(days=f.start.weekday())
    series = []
    while period <= f.end:
        row = found.get(period)
        partial = grain == "week" and (period < f.start or period + timedelta(days=6) > f.end)
        series.append({"periodo": period, "importe": float(row["importe"]) if row else 0.0,
                       "unidades": float(row["unidades"]) if row else 0.0, "parcial": partial})
        period += step
    return series


def top_products(conn: Connection, f: DashboardFilter, limit: int = 10) -> list[dict]:
    importe = func.sum(D.c.importe).label("importe")
    rows = conn.execute(
        select(P.c.codigo, P.c.nombre, importe, func.sum(D.c.cantidad).label("unidades"))
        .select_from(_lines()).where(*_sales_conditions(f))
        .group_by(P.c.id, P.c.codigo, P.c.nombre).order_by(importe.desc()).limit(limit)
    ).mappings()
    return [{**r, "importe": float(r["importe"]), "unidades": float(r["unidades"])} for r in rows]


def sales_by_almacen(conn: Connection, f: DashboardFilter) -> list[dict]:
    importe = func.sum(D.c.importe).label("importe")
    nombre = func.coalesce(A.c.nombre, literal_column("'Sin almacén'")).label("almacen")
    rows = conn.execute(
        select(nombre, importe).select_from(_lines().outerjoin(A, V.c.almacen_id == A.c.id))
        .where(*_sales_conditions(f)).group_by(nombre).order_by(importe.desc())
    ).mappings()
    return [{"almacen": r["almacen"], "importe": float(r["importe"])} for r in rows]


def sales_by_categoria(conn: Connection, f: DashboardFilter) -> list[dict]:
    importe = func.sum(D.c.importe).label("importe")
    nombre = func.coalesce(P.c.categoria, literal_column("'Sin categoría'")).label("categoria")
    rows = conn.execute(
        select(nombre, importe).select_from(_lines())
        .where(*_sales_conditions(f)).group_by(nombre).order_by(importe.desc())
    ).mappings()
    return [{"categoria": r["categoria"], "importe": float(r["importe"])} for r in rows]


def _as_date(value: Any) -> date:
    if isinstance(value, datetime):
        return value.date()
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


@dataclass(frozen=True)
class Dashboard:
    filter: DashboardFilter
    ventas: SalesKpis
    ventas_anterior: SalesKpis
    bajo_minimo: int
    valor_inventario: float
    por_dia: list[dict]
    por_semana: list[dict]
    top_productos: list[dict]
    por_almacen: list[dict]
    por_categoria: list[dict]


def dashboard(user: User, f: DashboardFilter) -> Dashboard:
    """Everything the dashboard shows for a filter, in one connection."""
    require(user, "dashboard:read")
    with db.get_engine().connect() as conn:
        return Dashboard(
            filter=f,
            ventas=sales_kpis(conn, f),
            ventas_anterior=sales_kpis(conn, f.previous()),
            bajo_minimo=below_minimum_count(conn, f),
            valor_inventario=inventory_value(conn, f),
            por_dia=sales_over_time(conn, f, "day"),
            por_semana=sales_over_time(conn, f, "week"),
            top_productos=top_products(conn, f),
            por_almacen=sales_by_almacen(conn, f),
            por_categoria=sales_by_categoria(conn, f),
        )


def filter_options(user: User) -> dict[str, Any]:
    """Almacenes, categorías and the span of sales dates, for the dashboard's filters."""
    require(user, "dashboard:read")
    with db.get_engine().connect() as conn:
        almacenes = [dict(r) for r in conn.execute(
            select(A.c.id, A.c.nombre).where(A.c.activo.is_(True)).order_by(A.c.nombre)).mappings()]
        categorias = list(conn.scalars(select(P.c.categoria).distinct()
                                       .where(P.c.categoria.is_not(None)).order_by(P.c.categoria)))
        first, last = conn.execute(select(func.min(V.c.fecha), func.max(V.c.fecha))).one()
    return {"almacenes": almacenes, "categorias": categorias,
            "primera_venta": _as_date(first) if first else None,
            "ultima_venta": _as_date(last) if last else None}
