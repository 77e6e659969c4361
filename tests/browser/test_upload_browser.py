"""In a real Chromium: a manager drops a sales file, checks the preview, confirms, and the dashboard changes."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app.ui import money
from core import analytics
from core.ingest.load import list_uploads, undo_upload
from tests.browser.conftest import dashboard_kpis, login_in_browser, open_page
from tests.conftest import TEST_PASSWORD
from tests.ingest.conftest import xlsx

pytestmark = pytest.mark.browser

DROPZONE_TEXTS = """() => [...document.querySelectorAll(
        '[data-testid="stFileUploaderDropzone"] button p, [data-testid="stFileUploaderDropzoneInstructions"] span')]
    .map(e => getComputedStyle(e, '::after').content)"""


def _ventas(user) -> float:
    end = analytics.filter_options(user)["ultima_venta"]
    return analytics.dashboard(user, analytics.DashboardFilter(end - timedelta(days=29), end)).ventas.importe


def test_upload_preview_confirm_and_dashboard_changes(demo_data, live_app, page, users, tmp_path):
    manager = users["manager"]
    options = analytics.filter_options(manager)
    last_day = options["ultima_venta"]
    before = _ventas(manager)
    store = options["almacenes"][0]["nombre"]
    path = tmp_path / "ventas navegador.xlsx"
    path.write_bytes(xlsx([
        [f"Sucursal: {store}"],
        ["Fecha", "Clave", "Descripción", "Cantidad", "Importe"],
        [last_day.strftime("%d/%m/%Y"), "NAV-001", "Producto de prueba del navegador", 3, "$12,345.67"],
        [None, "Total", None, 3, 12345.67],
    ]))

    login_in_browser(page, live_app, manager.email, TEST_PASSWORD)
    ventas_before = dashboard_kpis(page)["Ventas"]
    assert ventas_before == money(before)

    open_page(page, "Cargar archivos", "Cargar inventario o ventas")
    # Streamlit writes the drop zone in English; the page overlays Spanish.
    page.get_by_test_id("stFileUploaderDropzoneInstructions").wait_for()
    # The page's style element may land a moment after the uploader itself.
    page.wait_for_function(f"() => ({DROPZONE_TEXTS})().every(c => c !== 'none')")
    zone = page.evaluate(DROPZONE_TEXTS)
    assert zone[0] == '"Buscar archivo"'
    assert zone[1].startswith('"Arrastre aquí el archivo · hasta ') and "MB · XLSX" in zone[1]
    page.locator("input[type=file]").set_input_files(str(path))
    page.get_by_role("heading", name="Vista previa").wait_for()
    kpis = dashboard_kpis(page)
    assert (kpis["Filas listas"], kpis["Filas rechazadas"], kpis["Importe total"]) == ("1", "0", "$12,345.67")
    page.get_by_text("Producto de prueba del navegador").first.wait_for(state="attached")  # canvas grid cell
    # Unknown codes are skipped unless the user asks to create them (and is told how many).
    page.get_by_text("Crearlas como productos nuevos (origen Excel)").click()
    page.get_by_text("Al cargar se crearán 1 producto nuevo en el catálogo").wait_for()
    page.get_by_role("button", name="Confirmar y cargar").click()
    page.get_by_text("Se cargó el archivo de ventas «ventas navegador.xlsx»").wait_for()

    try:
        after = _ventas(manager)
        assert round(after - before, 2) == 12345.67
        open_page(page, "Tablero", "Tablero")
        page.wait_for_function(
            "([want]) => [...document.querySelectorAll('[data-testid=stMetricValue]')]"
            ".some(e => e.innerText.trim() === want)", arg=[money(after)])
        assert dashboard_kpis(page)["Ventas"] == money(after) != ventas_before
    finally:
        # Leave the shared session database as the other browser tests expect it.
        for row in list_uploads(manager):
            if row["filename"] == path.name and row["status"] == "loaded":
                undo_upload(manager, row["id"])


def test_a_file_over_the_limit_never_reaches_the_server(live_app, page, users, tmp_path):
    """Issue 11 §5: the uploader (and Streamlit's server) take at most UPLOAD_MAX_MB binary megabytes
    (10 here); before, they took 200 MB into the session and only then did the page refuse it."""
    path = tmp_path / "enorme.csv"
    path.write_bytes(b"a,b\n" * 2_750_000)  # 11 MB: above 10 MiB
    login_in_browser(page, live_app, users["manager"].email, TEST_PASSWORD)
    open_page(page, "Cargar archivos", "Cargar inventario o ventas")
    page.locator("input[type=file]").set_input_files(str(path))
    page.get_by_text("or smaller").first.wait_for()  # the uploader's own refusal, no upload request
    assert page.get_by_text("El archivo pesa").count() == 0
    assert page.get_by_role("heading", name="Vista previa").count() == 0
