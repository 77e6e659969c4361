"""Figures computed independently on both sides: the Microsip tables (Firebird or the demo's
SQLite) and our database. Plain SQL written for the tests, not the reader's."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import text

from core import db

Q = Decimal("0.00001")
# VE facturas generated only from live remisiones (DOCTOS_VE_LIGAS): the remisiones count their
# units, so these do not. A condition on DOCTOS_VE d.
NOT_INVOICED_FROM_REMISIONES = (
    "d.DOCTO_VE_ID NOT IN (SELECT g.DOCTO_VE_DEST_ID FROM DOCTOS_VE_LIGAS g "
    "JOIN DOCTOS_VE f ON f.DOCTO_VE_ID = g.DOCTO_VE_DEST_ID "
    "LEFT JOIN DOCTOS_VE s ON s.DOCTO_VE_ID = g.DOCTO_VE_FTE_ID "
    "WHERE f.TIPO_DOCTO = 'F' GROUP BY g.DOCTO_VE_DEST_ID "
    "HAVING MIN(CASE WHEN s.TIPO_DOCTO = 'R' AND s.ESTATUS <> 'C' THEN 1 ELSE 0 END) = 1)"
)
COUNTED = {
    "VE": f"d.TIPO_DOCTO IN ('F', 'R', 'D') AND d.ESTATUS <> 'C' AND {NOT_INVOICED_FROM_REMISIONES}",
    "PV": "d.TIPO_DOCTO IN ('V', 'D') AND d.ESTATUS <> 'C'",
}


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
    for origen, where in COUNTED.items():
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


