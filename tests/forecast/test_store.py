"""Forecast storage: daily rows in 0001's shape, the run's model and pooled metrics, retention,
and a forecast for one almacén from series to purchasing."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta

import numpy as np
import pytest
from sqlalchemy import func, insert, select

from core import db, purchasing
from core.forecast import service, store
from core.forecast.backtest import Choice, Forecast
from core.models import (
    erp_almacenes,
    erp_inventario,
    erp_ventas,
    erp_ventas_detalle,
    forecast_models,
    forecast_runs,
    forecasts,
    purchase_settings,
)
from tests.forecast.factories import END, make_sales

START = END + timedelta(days=1)


def _fc(yhat: list[float], start: date = START) -> Forecast:
    y = np.array(yhat, dtype=float)
    return Forecast(start=start, yhat=y, lo80=y - 0.5, hi80=y + 1, lo95=y - 1, hi95=y + 2)


def _choice(modelo: str, rmsse: float) -> Choice:
    return Choice(modelo=modelo, clase="smooth",
                  metricas={"mae": 1.0, "rmse": 2.0, "rmsse": rmsse, "bias": 0.1,
                            "cobertura_80": 0.8, "cobertura_95": None},
                  candidatos={modelo: {"rmsse": rmsse}})


def _run(kind: str, items: list, almacen_id: int | None = None) -> int:
    run_id = store.create_run(kind=kind, trigger="test", horizon_days=3, history_days=56,
                              almacen_id=almacen_id)
    store.update_run(run_id, status=store.RUN_RUNNING, products=len(items))
    store.save(run_id, items, done=len(items))
    return run_id


@pytest.fixture
def two(clean_db):
    return make_sales({"A": [1.0] * 30, "B": [2.0] * 30})


def test_daily_rows_in_0001s_shape_and_the_runs_model_and_pooled_metrics(two):
    a, b = two["A"], two["B"]
    batch = _run("batch", [(a, _choice("ses", 0.5), _fc([3, 4, 5])),
                           (b, _choice("tsb", 1.0), _fc([1, 1, 1]))])
    with db.get_engine().connect() as conn:
        rows = conn.execute(select(forecasts).where(forecasts.c.producto_id == a)
                            .order_by(forecasts.c.fecha)).mappings().all()
        assert conn.scalar(select(func.count()).select_from(forecast_models)) == 2
    assert [r["fecha"] for r in rows] == [START, START + timedelta(days=1), START + timedelta(days=2)]
    assert [r["yhat"] for r in rows] == [3, 4, 5]
    assert [(r["yhat_lower"], r["yhat_upper"]) for r in rows][0] == (2, 5)  # 95 %
    assert [(r["yhat_lower_80"], r["yhat_upper_80"]) for r in rows][0] == (2.5, 4)
    run = store.get_run(batch)
    assert run["status"] == "completed" and run["model"] == "auto"
    pooled = json.loads(run["metrics"])
    assert pooled["productos"] == 2 and pooled["modelos"] == {"ses": 1, "tsb": 1}
    assert pooled["promedio"]["rmsse"] == pytest.approx(0.75)
    assert pooled["promedio"]["cobertura_80"] == pytest.approx(0.8)
    assert pooled["promedio"]["cobertura_95"] is None
    single = _run("single", [(a, _choice("theta", 0.4), _fc([7, 7, 7]))])
    assert store.get_run(single)["model"] == "theta"
    got = store.latest(a)
    assert got["run_id"] == single and got["valores"]["yhat"] == [7, 7, 7]
    assert got["valores"]["lo95"] == [6, 6, 6] and got["valores"]["hi80"] == [8, 8, 8]
    assert got["fecha_inicio"] == START and got["modelo"] == "theta"


def test_only_the_latest_batches_keep_their_daily_rows(two):
    a, b = two["A"], two["B"]
    first = _run("batch", [(a, _choice("ses", 1), _fc([1, 1, 1])),
                           (b, _choice("ses", 1), _fc([2, 2, 2]))])
    single = _run("single", [(a, _choice("ses", 1), _fc([9, 9, 9]))])
    later = [_run("batch", [(a, _choice("ses", 1), _fc([n, n, n]))]) for n in (3, 4)]
    with db.get_engine().connect() as conn:  # three completed batches: nothing older yet
        assert conn.scalar(select(func.count(func.distinct(forecasts.c.run_id)))) == 4
    newest = _run("batch", [(a, _choice("ses", 1), _fc([5, 5, 5]))])
    with db.get_engine().connect() as conn:
        kept = set(conn.scalars(select(forecasts.c.run_id).distinct()))
        purged = dict(conn.execute(select(forecast_runs.c.id, forecast_runs.c.purged_at)).all())
        # the per-product summaries stay: each product's accuracy history
        assert conn.scalar(select(func.count()).select_from(forecast_models)) == 6
    assert kept == {*later, newest}
    assert purged[first] is not None and purged[single] is not None
    assert all(purged[r] is None for r in (*later, newest))
    assert store.latest(a)["valores"]["yhat"] == [5, 5, 5]
    assert store.latest(b) is None  # only in a purged run: trained again when asked
    assert set(store.latest_all()) == {a}


def _second_almacen(producto_id: int, units: float, days: int = 112) -> int:
    """Almacén "Sucursal" selling ``units`` a day of the product over the last ``days`` days."""
    with db.begin() as conn:
        alm = conn.execute(insert(erp_almacenes).values(erp_id="A2", nombre="Sucursal")
                           .returning(erp_almacenes.c.id)).scalar_one()
        conn.execute(insert(erp_inventario).values(producto_id=producto_id, almacen_id=alm,
                                                   stock_actual=0))
        for i in range(days):
            day = END - timedelta(days=i)
            venta = conn.execute(insert(erp_ventas).values(
                origen="PV", erp_id=f"S{i}", tipo="T", folio=f"S{i}",
                fecha=datetime.combine(day, datetime.min.time()) + timedelta(hours=10),
                almacen_id=alm, subtotal=units, iva=0, total=units, estatus="N")
                .returning(erp_ventas.c.id)).scalar_one()
            conn.execute(insert(erp_ventas_detalle).values(
                venta_id=venta, linea=1, producto_id=producto_id, cantidad=units,
                precio_unitario=1, importe=units))
    return alm


def test_a_forecast_for_one_almacen_from_its_own_sales_end_to_end(clean_db, users):
    pid = make_sales({"P": [10.0] * 112})["P"]
    suc = _second_almacen(pid, 3.0)
    own = service.product_forecast(users["user"], "P", almacen_id=suc)["forecast"]
    assert own["almacen_id"] == suc
    assert np.allclose(own["valores"]["yhat"], 3.0, atol=0.3)
    everywhere = service.product_forecast(users["user"], "P")["forecast"]
    assert everywhere["almacen_id"] is None and everywhere["run_id"] != own["run_id"]
    assert np.allclose(everywhere["valores"]["yhat"], 13.0, atol=0.5)
    assert service.product_forecast(users["user"], "P", almacen_id=suc)["forecast"]["run_id"] \
        == own["run_id"]  # stored: read again, not retrained
    hist = service.history(users["user"], pid, days=7, almacen_id=suc)
    assert [h["unidades"] for h in hist] == [3.0] * 7


def test_purchasing_uses_an_almacens_own_forecast_over_its_share(clean_db, users):
    pid = make_sales({"P": [10.0] * 112})["P"]
    suc = _second_almacen(pid, 3.0)
    start = END + timedelta(days=1)
    _run("batch", [(pid, _choice("ses", 1), _fc([13.0] * 90, start))])
    shared = purchasing.analysis(users["user"], almacen_id=suc, today=start).set_index("codigo")
    # no forecast of its own: the all-almacenes 13/day × its 3/13 share of recent units
    assert shared.loc["P", "demanda_lr"] == pytest.approx(3 * 14, abs=0.01)
    _run("single", [(pid, _choice("ses", 1), _fc([5.0] * 90, start))], almacen_id=suc)
    own = purchasing.analysis(users["user"], almacen_id=suc, today=start).set_index("codigo")
    assert own.loc["P", "demanda_lr"] == pytest.approx(5 * 14, abs=0.01)
    everywhere = purchasing.analysis(users["user"], today=start).set_index("codigo")
    assert everywhere.loc["P", "demanda_lr"] == pytest.approx(13 * 14, abs=0.01)


def test_linea_settings_keep_0001s_categoria(two, users):
    mgr = users["manager"]
    purchasing.save_settings(mgr, scope="global", values={"lead_time_days": 5})
    purchasing.save_settings(mgr, scope="linea", key="Ferretería", values={"lead_time_days": 4})
    purchasing.save_settings(mgr, scope="producto", key=str(two["A"]), values={"moq": 2})
    purchasing.save_settings(mgr, scope="linea", key="Ferretería", values={"lead_time_days": 6})
    with db.get_engine().connect() as conn:
        got = dict(conn.execute(select(purchase_settings.c.scope, purchase_settings.c.categoria)).all())
    assert got == {"global": None, "linea": "Ferretería", "producto": None}
