"""The forecast page: a user reads a product's forecast and its accuracy; a manager retrains."""

from __future__ import annotations

import time

import numpy as np
import pytest

from tests.forecast.factories import make_sales
from tests.forecast.test_models import WEEK
from tests.pages.conftest import goto, login


@pytest.fixture
def weekly_shop(clean_db, users):
    return make_sales({"SEMANAL": list(np.tile(WEEK, 16)), "CONST": [4.0] * 112})


def test_a_user_reads_the_forecast_and_its_accuracy_in_spanish(weekly_shop):
    at = goto(login("user@pruebas.devcompras.mx"), "forecast.py")
    assert not at.exception
    at.text_input(key="fc_buscar").input("SEMA").run()
    assert at.selectbox(key="fc_producto").value == "SEMANAL"
    at.number_input(key="fc_dias").set_value(14).run()
    text = " ".join(m.value for m in at.markdown)
    assert "En promedio se equivoca por ±" in text
    assert "piezas al día" in text
    table = at.dataframe[1].value  # the candidates' table comes first, in its expander
    assert len(table) == 14
    assert (table["Pronóstico"] >= 0).all()
    assert (table["Mínimo 95 %"] <= table["Pronóstico"]).all()
    assert (table["Pronóstico"] <= table["Máximo 95 %"]).all()
    labels = {m.label for m in at.metric}
    assert {"MAE", "RMSE", "R²", "MASE", "RMSSE", "Sesgo", "Cobertura 80 %"} <= labels
    assert at.get("download_button")  # the Excel of the table
    assert not [b for b in at.button if b.key == "fc_reentrenar"]  # users do not retrain


def test_days_are_capped_at_90(weekly_shop):
    at = goto(login("user@pruebas.devcompras.mx"), "forecast.py")
    at.text_input(key="fc_buscar").input("CONST").run()
    assert at.number_input(key="fc_dias").max == 90


def test_a_manager_retrains_every_product_with_progress(weekly_shop):
    from core.forecast import store

    at = goto(login("manager@pruebas.devcompras.mx"), "forecast.py")
    at.button(key="fc_reentrenar").click().run()
    deadline = time.monotonic() + 120
    while "fc_job" in at.session_state and time.monotonic() < deadline:
        time.sleep(0.5)
        at.run()
    assert "fc_job" not in at.session_state, "el entrenamiento no terminó"
    run = store.last_run()
    assert run is not None and run["status"] == "completed" and run["products_done"] == 2
    assert "Último entrenamiento por lotes" in " ".join(c.value for c in at.caption)


def test_a_user_views_the_forecast_by_week_and_for_one_almacen(weekly_shop):
    at = goto(login("user@pruebas.devcompras.mx"), "forecast.py")
    at.text_input(key="fc_buscar").input("CONST").run()
    at.number_input(key="fc_dias").set_value(14).run()
    daily = at.dataframe[1].value
    at.radio(key="fc_periodo").set_value("semana").run()
    assert not at.exception
    weekly = at.dataframe[1].value
    assert list(weekly.columns[:2]) == ["Semana del", "Pronóstico"] and list(weekly["Días"]) == [7, 7]
    assert weekly["Pronóstico"].sum() == pytest.approx(daily["Pronóstico"].sum(), abs=0.05)
    # never wider than the sum of the daily ones (narrower, test_periods shows, when not 0)
    assert (weekly["Máximo 95 %"].iloc[0] - weekly["Pronóstico"].iloc[0]
            <= (daily["Máximo 95 %"] - daily["Pronóstico"]).iloc[:7].sum() + 0.01)
    assert "raíz de la suma de cuadrados" in " ".join(c.value for c in at.caption)
    almacen = at.selectbox(key="fc_almacen")
    assert almacen.options == ["Todos los almacenes", "Matriz"]
    almacen.select_index(1).run()
    assert not at.exception and len(at.dataframe[1].value) == 2
