"""In a real Chromium: the sync page's buttons, state table and services show whole at 1400 and
1024 px, and the services come with the page."""

from __future__ import annotations

import pytest

from tests.browser.conftest import login_in_browser, open_page
from tests.conftest import TEST_PASSWORD

pytestmark = pytest.mark.browser

LABELS = ["Productos y almacenes", "Inventario", "Clientes", "Ventas", "Todo"]

# Every sync button's label, and whether the browser had to cut it (an ellipsis somewhere inside).
CUT_LABELS = """() => [...document.querySelectorAll('button')]
    .filter(b => b.closest('[class*="st-key-sync_"]')
                 && b.checkVisibility({opacityProperty: true, visibilityProperty: true}))
    .map(b => [(b.querySelector('[data-testid="stMarkdownContainer"]') || b).innerText.trim(),
               [b, ...b.querySelectorAll('*')].some(e => e.scrollWidth > e.clientWidth + 1)])"""
# Texts of the overview table and the services' values that do not fit their boxes.
CUT_TEXTS = """() => [...document.querySelectorAll(
        '[data-testid="stTable"] th, [data-testid="stTable"] td, [data-testid="stMetricValue"] *')]
    .filter(e => e.scrollWidth > e.clientWidth + 1).map(e => e.innerText.trim())"""
TABLE_OVERFLOW = """() => [...document.querySelectorAll('[data-testid="stTable"]')]
    .map(t => t.scrollWidth - t.clientWidth)"""


@pytest.mark.parametrize("width", [1400, 1024])
def test_sync_page_fits_without_cut_labels(demo_data, live_app, page, users, width):
    page.set_viewport_size({"width": width, "height": 1000})
    login_in_browser(page, live_app, users["manager"].email, TEST_PASSWORD)
    open_page(page, "Sincronización", "Sincronización con el ERP")
    page.get_by_role("button", name="Todo").wait_for(timeout=60_000)
    # The services come with the page, not seconds later.
    page.get_by_text("Dentro de la app").wait_for(timeout=5_000)
    buttons = page.evaluate(CUT_LABELS)
    assert [text for text, _ in buttons] == LABELS
    assert [text for text, cut in buttons if cut] == []
    assert page.evaluate(CUT_TEXTS) == []
    assert all(extra <= 1 for extra in page.evaluate(TABLE_OVERFLOW))
    assert "En línea" in page.get_by_test_id("stMetricValue").all_inner_texts()
