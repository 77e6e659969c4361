"""In a real Chromium: search the inventory with a typo, open a product's detail, see its weekly chart."""

import pytest

from core import inventory as inv
from tests.browser.conftest import login_in_browser, open_page, wait_until_idle
from tests.conftest import TEST_PASSWORD

pytestmark = pytest.mark.browser


def test_typo_search_detail_and_chart(demo_data, live_app, page, users):
    expected = inv.list_productos(users["viewer"], inv.InventoryFilter(search="tornilo"))
    first = expected["data"][0]
    assert "tornillo" in first["nombre"].lower()

    login_in_browser(page, live_app, users["viewer"].email, TEST_PASSWORD)
    open_page(page, "Inventario", "Inventario")
    wait_until_idle(page)
    box = page.get_by_label("Buscar por código o nombre", exact=True)
    box.fill("tornilo")
    box.press("Enter")
    page.get_by_text(f"{expected['pagination']['total']:,} productos · página 1").wait_for()
    wait_until_idle(page)

    picker = page.get_by_label("Ver detalle de", exact=True)
    picker.click()
    picker.press_sequentially(first["codigo"])  # the list filters as one types
    page.get_by_role("option", name=f"{first['codigo']} · {first['nombre']}").click()
    page.get_by_role("heading", name=f"{first['codigo']} · {first['nombre']}").wait_for()
    chart = page.locator(".js-plotly-plot")
    chart.first.wait_for()
    page.get_by_text("Unidades vendidas por semana").first.wait_for()
    assert page.locator(".js-plotly-plot .bars path").count() > 0
    assert page.get_by_role("button", name="Eliminar").count() == 0  # a viewer gets no write controls
