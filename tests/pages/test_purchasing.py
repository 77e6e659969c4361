"""The purchasing page: a user reads suggestions; a manager edits settings and exports."""

from __future__ import annotations

import io

import openpyxl
import pandas as pd
import pytest
from sqlalchemy import select

from app import purchasing_ui
from core import db, purchasing
from core.forecast import service
from core.models import purchase_settings
from tests.forecast.factories import make_sales
from tests.pages.conftest import goto, login


@pytest.fixture
def shop(clean_db, users):
    ids = make_sales({"TORN": [10.0] * 120, "=CMD": [5.0] * 120, "CLAVO": [0.0] * 120},
                     stock={"TORN": 30, "=CMD": 0, "CLAVO": 200})
    for code in ids:
        service.product_forecast(users["user"], code)
    return ids


def test_a_user_reads_what_to_order(shop):
    at = goto(login("user@pruebas.devcompras.mx"), "purchasing.py")
    assert not at.exception
    frame = at.dataframe[0].value  # the suggestions' editor
    assert set(frame["Código"]) == {"TORN", "'=CMD"}  # only what must be ordered; neutralised
    torn = frame[frame["Código"] == "TORN"].iloc[0]
    assert torn["Sugerido"] == pytest.approx(110, abs=1)  # 14 days × 10 − 30 in stock
    assert "Stock de seguridad = z × σ × √(L + R)" in " ".join(m.value for m in at.markdown)
    assert not [f for f in at.get("form")]  # no settings form for a user


def test_a_manager_saves_settings_and_they_change_the_suggestion(shop):
    at = goto(login("manager@pruebas.devcompras.mx"), "purchasing.py")
    at.number_input(key="pc_lead").set_value(3)
    at.number_input(key="pc_review").set_value(4)
    at.number_input(key="pc_pack").set_value(12.0)
    at.button[[b.label for b in at.button].index("Guardar parámetros")].click().run()
    assert not at.exception
    with db.get_engine().connect() as conn:
        row = conn.execute(select(purchase_settings)).mappings().one()
    assert row["scope"] == "global" and row["lead_time_days"] == 3 and float(row["pack_size"]) == 12
    at.run()
    frame = at.dataframe[0].value
    torn = frame[frame["Código"] == "TORN"].iloc[0]
    assert torn["Sugerido"] == 48  # 7 days × 10 − 30 = 40 → 4 packs of 12


def test_the_exported_order_cell_by_cell(shop, users):
    frame = purchasing.analysis(users["manager"])
    rows = purchasing.to_order(frame, today=pd.Timestamp.today().date()).copy()
    rows["pedir"] = rows["sugerido"]
    rows.loc[rows["codigo"] == "TORN", "pedir"] = 7  # the buyer's edit
    data = purchasing_ui.excel(purchasing.order_draft(users["manager"], rows), "Orden")
    sheet = openpyxl.load_workbook(io.BytesIO(data)).active
    cells = [[c.value for c in r] for r in sheet.iter_rows()]
    cmd = float(rows.loc[rows["codigo"] == "=CMD", "pedir"].iloc[0])
    assert cells == [
        ["Línea", "Código", "Producto", "Cantidad", "Costo unitario", "Importe"],
        ["Ferretería", "'=CMD", "Producto =CMD", cmd, 10, cmd * 10],
        ["Ferretería", "TORN", "Producto TORN", 7, 10, 70],
        ["Ferretería", None, "Subtotal Ferretería", cmd + 7, None, cmd * 10 + 70],
    ]
