"""The dashboard's figures equal the same figures computed here by independent SQL."""

from datetime import datetime, timedelta

import pytest
from sqlalchemy import text

from app.ui import money, number
from core import db
from tests.pages.conftest import login

SALES = """
SELECT COALESCE(SUM(d.importe), 0), COALESCE(SUM(d.cantidad), 0),
       COUNT(DISTINCT CASE WHEN v.tipo <> 'D' THEN v.id END),
       COALESCE(SUM(CASE WHEN v.tipo <> 'D' THEN d.importe ELSE 0 END), 0)
FROM erp_ventas_detalle d
JOIN erp_ventas v ON v.id = d.venta_id
JOIN erp_productos p ON p.id = d.producto_id
WHERE v.fecha >= :desde AND v.fecha < :hasta AND COALESCE(v.estatus, 'N') <> 'C' {extra}
"""
BELOW_MIN = """
SELECT COUNT(DISTINCT i.producto_id) FROM erp_inventario i JOIN erp_productos p ON p.id = i.producto_id
WHERE i.stock_actual < i.stock_minimo AND p.activo {extra}
"""
STOCK_VALUE = """
SELECT COALESCE(SUM(i.stock_actual * COALESCE(p.costo, 0)), 0)
FROM erp_inventario i JOIN erp_productos p ON p.id = i.producto_id
WHERE i.stock_actual > 0 AND p.activo {extra}
"""


def _expected(desde, hasta, *, almacen_id=None):
    sales_extra = " AND v.almacen_id = :alm" if almacen_id else ""
    stock_extra = " AND i.almacen_id = :alm" if almacen_id else ""
    params = {"desde": datetime.combine(desde, datetime.min.time()),
              "hasta": datetime.combine(hasta + timedelta(days=1), datetime.min.time()), "alm": almacen_id}
    with db.get_engine().connect() as conn:
        importe, unidades, docs, bruto = conn.execute(text(SALES.format(extra=sales_extra)), params).one()
        below = conn.execute(text(BELOW_MIN.format(extra=stock_extra)), params).scalar_one()
        value = conn.execute(text(STOCK_VALUE.format(extra=stock_extra)), params).scalar_one()
    return {
        "Ventas": money(float(importe)),
        "Unidades": number(float(unidades)),
        "Documentos": number(docs),
        "Ticket promedio": money(float(bruto) / docs if docs else 0.0),
        "Productos bajo mínimo": number(below),
        "Valor del inventario": money(float(value)),
    }


def _shown(at):
    return {m.label: m.value for m in at.metric}


@pytest.fixture
def dashboard(demo_data, users):
    at = login(users["viewer"].email)
    assert not at.exception, at.exception
    return at


def test_kpis_match_independent_sql(dashboard):
    desde, hasta = dashboard.date_input(key="dash_rango").value
    expected = _expected(desde, hasta)
    assert _shown(dashboard) == expected
    assert float(expected["Ventas"].strip("$").replace(",", "")) > 0


def test_kpis_follow_the_almacen_filter(dashboard):
    nombres = [o for o in dashboard.selectbox(key="dash_almacen").options if o != "Todos"]
    assert len(nombres) >= 3
    dashboard.selectbox(key="dash_almacen").select(nombres[0]).run()
    with db.get_engine().connect() as conn:
        alm = conn.execute(text("SELECT id FROM erp_almacenes WHERE nombre = :n"), {"n": nombres[0]}).scalar_one()
    desde, hasta = dashboard.date_input(key="dash_rango").value
    assert _shown(dashboard) == _expected(desde, hasta, almacen_id=alm)


def test_longer_range_and_previous_period_delta(dashboard):
    desde, hasta = dashboard.date_input(key="dash_rango").value
    dashboard.date_input(key="dash_rango").set_value((hasta - timedelta(days=89), hasta)).run()
    assert _shown(dashboard) == _expected(hasta - timedelta(days=89), hasta)
    ventas = next(m for m in dashboard.metric if m.label == "Ventas")
    assert ventas.delta is not None and ventas.delta.endswith("%")


def test_charts_render(dashboard):
    assert len(dashboard.get("plotly_chart")) >= 4
