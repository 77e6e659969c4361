"""Figures computed independently on both sides: the Microsip tables (Firebird or the demo's
SQLite) and our database. Plain SQL written for the tests, not the reader's."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import text

from core import db

Q = Decimal("0.00001")
DOC_TYPES = {"VE": "('F', 'R', 'D')", "PV": "('V', 'D')"}


def microsip_truth(cur) -> dict:
    """Row counts, stock per almacén and net units per product, straight from the Microsip tables."""

    def one(sql: str):
        cur.execute(sql)
        return cur.fetchone()[0]

    out = {
        "productos": one("SELECT COUNT(*) FROM ARTICULOS"),
        "almacenes": one("SELECT COUNT(*) FROM ALMACENES"),
        "clientes": one("SELECT COUNT(*) FROM CLIENTES"),
        "documentos": 0,
        "lineas": 0,
    }
    cur.execute("SELECT ALMACEN_ID, SUM(ENTRADAS_UNIDADES - SALIDAS_UNIDADES) FROM SALDOS_IN "
                "GROUP BY ALMACEN_ID")
    out["stock"] = {str(a): Decimal(str(s)).quantize(Q) for a, s in cur.fetchall()}
    units: dict[str, Decimal] = {}
    for origen, types in DOC_TYPES.items():
        where = f"d.TIPO_DOCTO IN {types} AND d.ESTATUS <> 'C'"
        out["documentos"] += one(
            f"SELECT COUNT(*) FROM DOCTOS_{origen} d WHERE {where} AND EXISTS "
            f"(SELECT 1 FROM DOCTOS_{origen}_DET l WHERE l.DOCTO_{origen}_ID = d.DOCTO_{origen}_ID)")
        out["lineas"] += one(f"SELECT COUNT(*) FROM DOCTOS_{origen}_DET l JOIN DOCTOS_{origen} d "
                             f"ON d.DOCTO_{origen}_ID = l.DOCTO_{origen}_ID WHERE {where}")
        cur.execute(
            f"SELECT l.ARTICULO_ID, SUM(CASE WHEN d.TIPO_DOCTO = 'D' THEN -l.UNIDADES ELSE l.UNIDADES END) "
            f"FROM DOCTOS_{origen}_DET l JOIN DOCTOS_{origen} d ON d.DOCTO_{origen}_ID = l.DOCTO_{origen}_ID "
            f"WHERE {where} GROUP BY l.ARTICULO_ID")
        for art, qty in cur.fetchall():
            units[str(art)] = units.get(str(art), Decimal(0)) + Decimal(str(qty))
    out["unidades"] = {k: v.quantize(Q) for k, v in units.items() if v != 0}
    return out


def our_figures() -> dict:
    """The same figures from our database."""
    with db.get_engine().connect() as conn:
        def one(sql: str):
            return conn.execute(text(sql)).scalar_one()

        stock = conn.execute(text(
            "SELECT a.erp_id, SUM(i.stock_actual) FROM erp_inventario i "
            "JOIN erp_almacenes a ON a.id = i.almacen_id GROUP BY a.erp_id")).all()
        units = conn.execute(text(
            "SELECT p.erp_id, SUM(d.cantidad) FROM erp_ventas_detalle d "
            "JOIN erp_productos p ON p.id = d.producto_id GROUP BY p.erp_id")).all()
        return {
            "productos": one("SELECT COUNT(*) FROM erp_productos"),
            "almacenes": one("SELECT COUNT(*) FROM erp_almacenes"),
            "clientes": one("SELECT COUNT(*) FROM erp_clientes"),
            "documentos": one("SELECT COUNT(*) FROM erp_ventas"),
            "lineas": one("SELECT COUNT(*) FROM erp_ventas_detalle"),
            "stock": {a: Decimal(str(s)).quantize(Q) for a, s in stock},
            "unidades": {p: Decimal(str(u)).quantize(Q) for p, u in units
                         if Decimal(str(u)).quantize(Q) != 0},
        }


