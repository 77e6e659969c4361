"""Small sales histories written straight into the erp_* tables (a few products, few months)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import insert

from core import db
from core.models import erp_almacenes, erp_inventario, erp_productos, erp_ventas, erp_ventas_detalle

END = date(2026, 11, 30)


def make_sales(series: dict[str, list[float]], *, end: date = END, costo: float = 10.0,
               precio: float = 20.0, stock: dict[str, float] | None = None,
               categoria: str = "Ferretería") -> dict[str, int]:
    """One product per code with the given daily units ending on ``end``; returns code -> id."""
    ids: dict[str, int] = {}
    with db.begin() as conn:
        alm = conn.execute(insert(erp_almacenes).values(erp_id="A1", nombre="Matriz")
                           .returning(erp_almacenes.c.id)).scalar_one()
        for code in series:
            ids[code] = conn.execute(insert(erp_productos).values(
                codigo=code, nombre=f"Producto {code}", costo=costo, precio=precio,
                categoria=categoria, activo=True).returning(erp_productos.c.id)).scalar_one()
            conn.execute(insert(erp_inventario).values(
                producto_id=ids[code], almacen_id=alm, stock_actual=(stock or {}).get(code, 0)))
        doc = 0
        for code, units in series.items():
            for i, qty in enumerate(units):
                if not qty:
                    continue
                doc += 1
                day = end - timedelta(days=len(units) - 1 - i)
                venta = conn.execute(insert(erp_ventas).values(
                    origen="VE", erp_id=f"D{doc}", tipo="F", folio=str(doc),
                    fecha=datetime.combine(day, datetime.min.time()) + timedelta(hours=12),
                    almacen_id=alm, subtotal=qty * precio, iva=0, total=qty * precio,
                    estatus="N").returning(erp_ventas.c.id)).scalar_one()
                conn.execute(insert(erp_ventas_detalle).values(
                    venta_id=venta, linea=1, producto_id=ids[code], cantidad=qty,
                    precio_unitario=precio, importe=qty * precio))
    return ids
