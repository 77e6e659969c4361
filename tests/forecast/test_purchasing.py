"""Purchasing formulas on worked examples computed by hand, and the table from the database."""

from __future__ import annotations

import math
from datetime import date

import pytest
import sqlalchemy as sa
from sqlalchemy import func, select

from core import db, purchasing
from core.forecast import service
from core.models import audit_log, purchase_settings
from tests.forecast.factories import make_sales

Z95 = 1.6448536269514722


def test_the_worked_example():
    """30 days of 10 a day from 1 Dec; 50 in stock; σ 4/day; L 5, R 7, 95 %, pack 12, MOQ 24."""
    s = purchasing.suggest(stock=50, daily=[10.0] * 30, start=date(2026, 12, 1), rmse=4, lead=5,
                           review=7, service_level=0.95, pack=12, moq=24)
    assert s.demanda_lr == 120  # 12 days × 10
    assert s.safety_stock == pytest.approx(Z95 * 4 * math.sqrt(12))  # 1.64485 × 4 × 3.46410 = 22.7918
    assert s.reorder_point == pytest.approx(50 + Z95 * 4 * math.sqrt(5))  # 64.71
    assert s.order_up_to == pytest.approx(120 + 22.7918, abs=1e-3)
    assert s.sugerido == 96  # need 92.79 → 8 packs of 12 (≥ MOQ 24)
    assert s.cobertura_dias == 5
    assert s.agotamiento == date(2026, 12, 6)  # day 6 needs units 51–60
    assert s.pedir_antes == date(2026, 12, 1)  # 5 days of lead time before
    assert purchasing.z_value(0.95) == pytest.approx(Z95)


@pytest.mark.parametrize(("need", "pack", "moq", "expected"), [
    (3, 1, 10, 10), (3, 6, 10, 12), (13, 6, 0, 18), (12, 6, 0, 12), (0, 6, 10, 0), (-5, 1, 0, 0),
    (0.5, 1, 0, 1)])
def test_rounding_to_pack_and_moq(need, pack, moq, expected):
    assert purchasing.round_order(need, pack=pack, moq=moq) == expected


def test_enough_stock_orders_nothing_and_no_demand_never_runs_out():
    s = purchasing.suggest(stock=500, daily=[10.0] * 30, start=date(2026, 12, 1), rmse=2,
                           lead=5, review=7, service_level=0.9, pack=1, moq=0)
    assert s.sugerido == 0 and s.cobertura_dias == 50 and s.agotamiento is None
    s = purchasing.suggest(stock=5, daily=[0.0] * 30, start=date(2026, 12, 1), rmse=0,
                           lead=5, review=7, service_level=0.9, pack=1, moq=0)
    assert s.sugerido == 0 and s.cobertura_dias is None and s.pedir_antes is None


def test_abc_by_sales_value_and_xyz_by_variability():
    got = purchasing.abc_classes({1: 500, 2: 300, 3: 100, 4: 60, 5: 40, 6: 0})
    # shares before each: 0, 50 %, 80 %, 90 %, 96 %
    assert got == {1: "A", 2: "A", 3: "B", 4: "B", 5: "C", 6: "C"}
    assert purchasing.xyz_class([10, 10, 10, 10]) == "X"
    assert purchasing.xyz_class([5, 15]) == "Y"  # CV exactly 0.5
    assert purchasing.xyz_class([0, 0, 20]) == "Z"  # CV 1.41
    assert purchasing.xyz_class([]) == "Z"


@pytest.fixture
def shop(clean_db):
    return make_sales({"TORN": [10.0] * 120, "CLAVO": [0.0] * 120, "RARO": [0.0] * 100 + [1.0] * 20},
                      stock={"TORN": 30, "CLAVO": 200, "RARO": 500})


def test_settings_inherit_product_over_linea_over_global(shop, users):
    mgr = users["manager"]
    pid = shop["TORN"]
    assert purchasing.effective_settings(mgr, pid, "Ferretería")["lead_time_days"] == 7
    purchasing.save_settings(mgr, scope="global", values={"lead_time_days": 10, "moq": 5})
    purchasing.save_settings(mgr, scope="linea", key="Ferretería", values={"lead_time_days": 4})
    got = purchasing.effective_settings(mgr, pid, "Ferretería")
    assert got["lead_time_days"] == 4 and got["moq"] == 5
    purchasing.save_settings(mgr, scope="producto", key=str(pid), values={"lead_time_days": 2})
    assert purchasing.effective_settings(mgr, pid, "Ferretería")["lead_time_days"] == 2
    assert purchasing.effective_settings(mgr, shop["CLAVO"], "Otra")["lead_time_days"] == 10
    # saving the defaults again updates the one row
    purchasing.save_settings(mgr, scope="global", values={"lead_time_days": 11})
    with db.get_engine().connect() as conn:
        assert conn.scalar(select(func.count()).select_from(purchase_settings)
                           .where(purchase_settings.c.scope == "global")) == 1
    with pytest.raises(purchasing.PurchasingError, match="nivel de servicio"):
        purchasing.save_settings(mgr, scope="global", values={"service_level": 1.5})
    with db.get_engine().connect() as conn:  # every change is in the audit log, by whom, before and after
        rows = conn.execute(select(audit_log.c.entity_id, audit_log.c.action, audit_log.c.user_email,
                                   audit_log.c.before, audit_log.c.after)
                            .where(audit_log.c.entity == "purchase_settings").order_by(audit_log.c.id)).all()
    assert [(r.entity_id, r.action) for r in rows] == [
        ("global:", "create"), ("linea:Ferretería", "create"), (f"producto:{pid}", "create"), ("global:", "update")]
    assert {r.user_email for r in rows} == {mgr.email}
    assert rows[0].before is None and '"lead_time_days": 10' in rows[0].after
    assert '"lead_time_days": 10' in rows[3].before and '"lead_time_days": 11' in rows[3].after
    from core.users import PermissionDenied

    with pytest.raises(PermissionDenied):
        purchasing.save_settings(users["user"], scope="global", values={"lead_time_days": 1})


def test_the_database_refuses_a_second_defaults_row(shop):
    with pytest.raises(sa.exc.IntegrityError), db.begin() as conn:
        conn.execute(sa.insert(purchase_settings), [{"scope": "global", "scope_key": ""},
                                                    {"scope": "global", "scope_key": ""}])


def test_the_table_from_stored_forecasts(shop, users):
    for code in shop:
        service.product_forecast(users["user"], code)
    frame = purchasing.analysis(users["user"]).set_index("codigo")
    torn = frame.loc["TORN"]
    # 10 a day, exact: σ 0, L 7 + R 7 → S = 140, stock 30 → 110
    assert torn["demanda_lr"] == pytest.approx(140, abs=0.5)
    assert torn["sugerido"] == pytest.approx(110, abs=1)
    assert torn["cobertura_dias"] == pytest.approx(3, abs=0.1)
    assert torn["abc"] == "A" and torn["xyz"] == "X"
    today = date(2026, 12, 1)
    assert list(purchasing.to_order(frame.reset_index(), today=today)["codigo"]) == ["TORN"]
    dead = purchasing.dead(frame.reset_index(), today=today)
    assert list(dead["codigo"]) == ["CLAVO"]  # never sold; RARO sold in the last 20 days
    assert dead.iloc[0]["valor_stock"] == 2000  # 200 × $10
    excess = purchasing.excess(frame.reset_index())
    assert list(excess["codigo"]) == ["RARO"]  # 500 units at ~1/day: far beyond need
    purchasing.snooze(users["manager"], shop["TORN"], 10)
    again = purchasing.analysis(users["user"])
    assert purchasing.to_order(again, today=date.today()).empty


def test_order_draft_groups_by_linea_and_neutralises_formulas(users):
    import pandas as pd

    rows = pd.DataFrame([
        {"linea": "B", "codigo": "=1+1", "nombre": "=HYPERLINK(\"x\")", "pedir": 2.0, "costo": 5.0},
        {"linea": "A", "codigo": "P1", "nombre": "Pija", "pedir": 3.0, "costo": 1.5},
        {"linea": "A", "codigo": "P2", "nombre": "Taquete", "pedir": 0.0, "costo": 9.0},
    ])
    out = purchasing.order_draft(users["user"], rows)
    assert list(out.columns) == ["Línea", "Código", "Producto", "Cantidad", "Costo unitario",
                                 "Importe"]
    cells = out.astype(object).where(out.notna(), None).values.tolist()
    assert cells == [
        ["A", "P1", "Pija", 3.0, 1.5, 4.5],
        ["A", "", "Subtotal A", 3.0, None, 4.5],
        ["B", "'=1+1", "'=HYPERLINK(\"x\")", 2.0, 5.0, 10.0],
        ["B", "", "Subtotal B", 2.0, None, 10.0],
    ]
