"""The AI query page as a user: ask in the chat, examples, follow-ups, the SQL edited and run
again through the same guard, the history in the sidebar; values compared with independent SQL."""

from __future__ import annotations

import os

import pytest
from sqlalchemy import text

from app.ui import money
from core import db
from tests.pages.conftest import goto, login, page_titles


@pytest.fixture
def page(demo_data, users, monkeypatch):
    from core.config import get_settings

    monkeypatch.setitem(os.environ, "ASK_RATE_LIMIT_PER_MINUTE", "0")
    get_settings.cache_clear()
    at = login(users["user"].email)
    assert "Consulta IA" in page_titles(at)
    at = goto(at, "ai_query.py")
    assert not at.exception, at.exception
    yield at
    get_settings.cache_clear()


def _markdown(at) -> str:
    return "\n".join(m.value for m in at.markdown)


def test_viewer_does_not_see_the_page(demo_data, users):
    at = login(users["viewer"].email)
    assert "Consulta IA" not in page_titles(at)


def test_question_in_the_chat_answers_with_table_and_summary(page):
    page.chat_input(key="ask_input").set_value("valor del inventario por almacén").run()
    assert not page.exception, page.exception
    with db.get_engine().connect() as conn:
        expected = conn.execute(text(
            "SELECT a.nombre, SUM(i.stock_actual * COALESCE(p.costo, 0)) FROM erp_inventario i "
            "JOIN erp_productos p ON p.id = i.producto_id JOIN erp_almacenes a ON a.id = i.almacen_id "
            "WHERE p.activo AND i.stock_actual > 0 GROUP BY a.nombre ORDER BY 2 DESC")).all()
    frame = page.dataframe[0].value
    assert list(frame["almacen"]) == [r[0] for r in expected]
    assert [round(v, 2) for v in frame["valor"]] == [round(float(r[1]), 2) for r in expected]
    assert (f"Valor del inventario por almacén: {len(expected)} filas. La primera es {expected[0][0]} con valor "
            f"{money(round(float(expected[0][1]), 2))}.") in _markdown(page)
    assert len(page.get("plotly_chart")) == 1
    assert any(c.value.endswith(": valor del inventario por almacén") for c in page.sidebar.caption), [c.value for c in page.sidebar.caption]


def test_example_button_and_follow_up(page):
    example = next(b for b in page.button if b.key and b.key.startswith("ask_ej_") and "stock bajo" in b.label)
    example.click().run()
    assert "Productos con stock bajo:" in _markdown(page)
    follow = next(b for b in page.button if (b.key or "").startswith("ask_seg_0_") and b.label.startswith("¿Y en "))
    almacen = follow.label.removeprefix("¿Y en ").removesuffix("?")
    follow.click().run()
    assert not page.exception, page.exception
    frame = page.dataframe[1].value
    assert len(frame) > 0 and set(frame["almacen"]) == {almacen}


def test_edit_and_run_goes_through_the_guard(page):
    page.chat_input(key="ask_input").set_value("existencias por almacén").run()
    page.text_area(key="ask_sql_0").set_value("SELECT nombre FROM erp_almacenes ORDER BY nombre")
    page.button(key="ask_run_0").click().run()
    with db.get_engine().connect() as conn:
        names = [r[0] for r in conn.execute(text("SELECT nombre FROM erp_almacenes ORDER BY nombre"))]
    assert list(page.dataframe[1].value["nombre"]) == names
    page.text_area(key="ask_sql_1").set_value("DELETE FROM erp_almacenes")
    page.button(key="ask_run_1").click().run()
    assert [e.value for e in page.error] == ["Sólo se permiten consultas SELECT (o WITH … SELECT)."]
    with db.get_engine().connect() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM erp_almacenes")).scalar_one() == len(names)


def test_not_understood_shows_suggestions(page):
    page.chat_input(key="ask_input").set_value("¿va a llover mañana?").run()
    assert page.error[0].value.startswith("No entendí la pregunta")
    suggestion = next(b for b in page.button if (b.key or "").startswith("ask_sug_0_"))
    suggestion.click().run()
    assert not page.exception and len(page.dataframe) == 1
