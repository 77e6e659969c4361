"""One product: data, stock per almacén, weekly units over a year, last documents (GET /api/inventory/:id)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Connection, Row, func, select

from core import db
from core.inventory.errors import NotFound
from core.inventory.listing import INV, A, D, P, V, not_cancelled, producto_rows
from core.users import User, require

WEEKS = 52
LAST_DOCUMENTS = 20
MAX_REF_CHARS = 50  # a código is at most 50 characters
NOT_FOUND = "Producto no encontrado"


def find(conn: Connection, ref: int | str) -> Row:
    """The product row by id (an int) or by código (a str; an all-digits one that is no código is
    tried as an id, so ``show 42`` works); NotFound otherwise."""
    row = None
    if isinstance(ref, str):
        ref = ref.strip()
        if len(ref) > MAX_REF_CHARS:
            raise NotFound(f"{NOT_FOUND}.")
        row = conn.execute(select(P).where(P.c.codigo == ref)).first()
        if row is None and ref.isdigit() and len(ref) <= 9:
            ref = int(ref)
    if row is None and isinstance(ref, int):
        row = conn.execute(select(P).where(P.c.id == ref)).first()
    if row is None:
        raise NotFound(f"{NOT_FOUND}: {str(ref)[:MAX_REF_CHARS]}.")
    return row


def stock_levels(conn: Connection, producto_id: int) -> list[dict[str, Any]]:
    rows = conn.execute(
        select(INV.c.almacen_id, A.c.nombre.label("almacen"), INV.c.stock_actual, INV.c.stock_minimo,
               INV.c.punto_reorden, INV.c.stock_maximo, INV.c.ubicacion, INV.c.last_synced_at,
               INV.c.upload_id)
        .select_from(INV.join(A, INV.c.almacen_id == A.c.id))
        .where(INV.c.producto_id == producto_id).order_by(A.c.nombre)).mappings()
    out = []
    for r in rows:
        item = dict(r)
        for k in ("stock_actual", "stock_minimo", "punto_reorden", "stock_maximo"):
            item[k] = None if item[k] is None else float(item[k])
        item["bajo_minimo"] = item["stock_actual"] < item["stock_minimo"]
        out.append(item)
    return out


def _week_start(value: date) -> date:
    return value - timedelta(days=value.weekday())


def weekly_units(conn: Connection, producto_id: int, *, today: date | None = None) -> list[dict[str, Any]]:
    """Units sold per week (Monday start) over the last 52 weeks, zeros included; returns subtract."""
    first = _week_start((today or date.today()) - timedelta(weeks=WEEKS - 1))
    rows = conn.execute(
        select(V.c.fecha, D.c.cantidad).select_from(D.join(V, D.c.venta_id == V.c.id))
        .where(D.c.producto_id == producto_id, V.c.fecha >= datetime.combine(first, time.min),
               not_cancelled()))
    # One product's lines over a year are few (hundreds): summing here keeps the SQL the same on
    # both databases (no date_trunc on SQLite).
    units: dict[date, float] = {}
    for fecha, cantidad in rows:
        day = fecha.date() if isinstance(fecha, datetime) else date.fromisoformat(str(fecha)[:10])
        week = _week_start(day)
        units[week] = units.get(week, 0.0) + float(cantidad)
    return [{"semana": first + timedelta(weeks=i), "unidades": units.get(first + timedelta(weeks=i), 0.0)}
            for i in range(WEEKS)]


def last_documents(conn: Connection, producto_id: int) -> list[dict[str, Any]]:
    """The last 20 documents with this product: folio, date, almacén, units."""
    unidades = func.sum(D.c.cantidad).label("unidades")
    rows = conn.execute(
        select(V.c.id, V.c.origen, V.c.tipo, V.c.folio, V.c.fecha, A.c.nombre.label("almacen"), unidades)
        .select_from(D.join(V, D.c.venta_id == V.c.id).outerjoin(A, V.c.almacen_id == A.c.id))
        .where(D.c.producto_id == producto_id, not_cancelled())
        .group_by(V.c.id, V.c.origen, V.c.tipo, V.c.folio, V.c.fecha, A.c.nombre)
        .order_by(V.c.fecha.desc(), V.c.id.desc()).limit(LAST_DOCUMENTS)).mappings()
    return [{**r, "unidades": float(r["unidades"])} for r in rows]


def producto_detail(user: User, ref: int | str, *, today: date | None = None) -> dict[str, Any]:
    """``{"producto", "inventario", "ventas_semanales", "documentos"}`` or NotFound (404)."""
    require(user, "inventory:read")
    with db.get_engine().connect() as conn:
        row = find(conn, ref)
        producto = producto_rows(conn, [row.id])[0]
        return {"producto": producto, "inventario": stock_levels(conn, row.id),
                "ventas_semanales": weekly_units(conn, row.id, today=today),
                "documentos": last_documents(conn, row.id)}
