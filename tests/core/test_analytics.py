from datetime import date, datetime
from decimal import Decimal

from core import analytics, db


def _sale(conn, erp_id: str, when: datetime, importe: str) -> None:
    ids = {}
    for table, cols, row, key in (
        ("erp_productos", ("erp_id", "codigo", "nombre", "costo"), ("P1", "P1", "Producto", Decimal("1")), ("erp_id",)),
        ("erp_almacenes", ("erp_id", "nombre"), ("A1", "Centro"), ("erp_id",)),
    ):
        db.upsert(conn, table, [row], columns=cols, key=key)
        ids[table] = db.id_map(conn, table)[row[0]]
    db.upsert(conn, "erp_ventas", [("VE", erp_id, "F", erp_id, when, ids["erp_almacenes"])],
              columns=("origen", "erp_id", "tipo", "folio", "fecha", "almacen_id"), key=("origen", "erp_id"))
    venta = db.id_map(conn, "erp_ventas")[erp_id]
    db.upsert(conn, "erp_ventas_detalle", [(venta, 1, ids["erp_productos"], Decimal("1"), Decimal(importe))],
              columns=("venta_id", "linea", "producto_id", "cantidad", "importe"), key=("venta_id", "linea"))


def test_days_without_sales_are_zeros_and_cut_weeks_are_marked(clean_db):
    with db.begin() as conn:
        _sale(conn, "1", datetime(2026, 3, 2, 10), "100")   # Monday
        _sale(conn, "2", datetime(2026, 3, 5, 18), "50")    # Thursday
        f = analytics.DashboardFilter(date(2026, 3, 2), date(2026, 3, 11))
        daily = analytics.sales_over_time(conn, f, "day")
        weekly = analytics.sales_over_time(conn, f, "week")
    assert [d["periodo"] for d in daily] == [date(2026, 3, d) for d in range(2, 12)]
    assert [d["importe"] for d in daily] == [100, 0, 0, 50, 0, 0, 0, 0, 0, 0]
    assert [(w["periodo"], w["importe"], w["parcial"]) for w in weekly] == [
        (date(2026, 3, 2), 150, False), (date(2026, 3, 9), 0, True)]
