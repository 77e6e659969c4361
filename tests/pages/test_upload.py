"""The upload page through AppTest: a manager previews, confirms, sees the history and undoes; a viewer cannot."""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path

from sqlalchemy import func, select

from core import db
from core.models import erp_ventas, erp_ventas_detalle
from tests.ingest.conftest import xlsx
from tests.ingest.test_load import INVENTORY_CENTRO, SALES_TEXT_DATES
from tests.pages.conftest import MAIN, login, page_titles, refresh_until_done

# Relative to app/main.py, which AppTest resolves page paths against.
UPLOAD_PAGE = "../pages/upload.py"


def _lines() -> int:
    with db.get_engine().connect() as conn:
        return conn.execute(select(func.count()).select_from(erp_ventas_detalle)).scalar_one()


def _unknown_radio(at):
    """The radio for codes missing from the catalog (keyed by the file's hash)."""
    return next(r for r in at.radio if str(r.key).startswith("upload_unknown_"))


def _map_box(at, field: str):
    """The mapping selectbox of a field (keyed by the file's hash, kind and mapping)."""
    return next(s for s in at.selectbox if str(s.key).startswith("map_") and str(s.key).endswith(f"_{field}"))


def _metrics(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def test_manager_previews_confirms_and_undoes(engine, clean_db, users):
    at = login(users["manager"].email)
    assert "Cargar archivos" in page_titles(at)
    at.switch_page(UPLOAD_PAGE).run()
    assert not at.exception, at.exception
    assert at.title[0].value == "Cargar inventario o ventas"

    # AppTest cannot drive st.file_uploader: hand the page the bytes the widget would give it.
    at.session_state["upload_data"] = ("f1", "VENTAS SUC CENTRO ENE 2025.xlsx", xlsx(SALES_TEXT_DATES))
    at.run()
    assert not at.exception, at.exception
    text = " ".join(m.value for m in at.markdown)
    assert "**Tipo:** Ventas" in text and "**Sucursal:** Centro (nueva)" in text
    assert "**Periodo:** 01/01/2025 al 31/01/2025" in text
    assert _metrics(at)["Filas listas"] == "4" and _metrics(at)["Filas rechazadas"] == "2"
    assert _metrics(at)["Importe total"] == "$1,367.95"
    rejected = [df.value for df in at.dataframe if "Motivo" in df.value.columns][0]
    assert rejected.to_dict("records")[0] == {"Fila": 8, "Motivo": "Fecha no válida: «31/02/2025»"}
    before = _lines()  # the app may have seeded the demo ERP on its first start
    at.run()
    assert _lines() == before  # nothing written by the preview

    unknown = _unknown_radio(at)
    assert unknown.value == "Omitir esas filas"  # QA P2-2: never create products unless asked
    assert "**2 claves no están en el catálogo:** A-001, A-002" in [m.value for m in at.markdown]
    unknown.set_value("Crearlas como productos nuevos (origen Excel)").run()
    assert "Al cargar se crearán 2 productos nuevos en el catálogo (origen Excel, sin línea ni costo)." in [
        w.value for w in at.warning]
    at.button(key="upload_confirm").click().run()
    assert not at.exception, at.exception
    assert at.success[0].value.startswith("Se cargó el archivo de ventas «VENTAS SUC CENTRO ENE 2025.xlsx»")
    assert _metrics(at)["Procesados"] == "7"  # 3 documents + 4 lines
    assert _lines() == before + 4
    history = [df.value for df in at.dataframe if "Archivo" in df.value.columns][0].to_dict("records")
    assert (history[0]["Archivo"], history[0]["Estado"], history[0]["Filas"]) == (
        "VENTAS SUC CENTRO ENE 2025.xlsx", "Vigente", 4)

    detail = [df.value for df in at.dataframe if "Motivo" in df.value.columns][-1].to_dict("records")
    assert detail[1] == {"Fila": 9, "Motivo": "Fecha fuera del periodo del reporte (01/01/2025 al 31/01/2025)"}
    assert at.get("download_button")  # the original file, as received

    at.button(key="undo_button").click().run()
    assert not at.exception, at.exception
    assert _lines() == before + 4  # not yet: the undo asks first
    at.button(key="undo_confirm").click().run()
    assert not at.exception, at.exception
    assert any(s.value.startswith("Se deshizo la carga") for s in at.success)
    assert _lines() == before
    with db.get_engine().connect() as conn:
        assert conn.execute(select(func.count()).select_from(erp_ventas).where(erp_ventas.c.origen == "EXCEL")).scalar_one() == 0


def test_refused_file_shows_a_spanish_message(engine, clean_db, users):
    at = login(users["admin"].email)
    at.switch_page(UPLOAD_PAGE).run()
    at.session_state["upload_data"] = ("f2", "foto.xlsx", b"\x89PNG\r\n\x1a\n" + b"\0" * 50)
    at.run()
    assert not at.exception, at.exception
    assert at.error[0].value == "El archivo no es una hoja de cálculo: es una imagen PNG con extensión .xlsx."


def test_viewer_and_user_have_no_upload_page(engine, users):
    for role in ("viewer", "user"):
        at = login(users[role].email)
        assert "Cargar archivos" not in page_titles(at)


def test_mapping_correction_and_kind_override(engine, clean_db, users):
    at = login(users["manager"].email)
    at.switch_page(UPLOAD_PAGE).run()
    at.session_state["upload_data"] = ("f3", "conteo.xlsx", xlsx(
        [["Sucursal: Centro"], ["Clave", "Existencia", "Conteo físico"], ["A1", 5, 7], ["A2", 1, 2]]))
    at.run()
    assert _metrics(at)["Existencia total"] == "6"
    _map_box(at, "existencia").set_value("C: Conteo físico").run()
    assert not at.exception, at.exception
    assert _metrics(at)["Existencia total"] == "9"
    at.selectbox(key="upload_kind").set_value("Ventas").run()
    assert "Para un archivo de ventas faltan las columnas: Fecha, Cantidad o Importe." in [e.value for e in at.error]
    assert at.button(key="upload_confirm").disabled


def test_one_click_loads_after_the_file_is_replaced_by_another_kind(engine, clean_db, users):
    """QA P1-3: the mapping of the previous file must not swallow the first "Confirmar y cargar"."""
    at = login(users["manager"].email)
    at.switch_page(UPLOAD_PAGE).run()
    # As in QA's files: the inventory has no price column (Precio mapped to nothing), the sales file has one.
    at.session_state["upload_data"] = ("inv", "existencias oeste.xlsx", xlsx(
        [["Sucursal: Oeste"], ["Código", "Descripción", "Existencia"], ["A1", "Uno", 5], ["A2", "Dos", 1]]))
    at.run()
    assert _metrics(at)["Existencia total"] == "6"
    at.session_state["upload_data"] = ("sales", "VENTAS SUC ORIENTE NOV 2026.xlsx", xlsx([
        ["Del 01/11/2026 al 15/11/2026"], ["Fecha", "Folio", "Clave", "Descripción", "Cantidad", "Precio", "Importe"],
        ["03/11/2026", "T-1", "A1", "Uno", 2, 8.5, 17], ["05/11/2026", "T-2", "A2", "Dos", 1, 26.5, 26.5]]))
    at.run()
    assert not at.exception, at.exception
    assert _metrics(at)["Importe total"] == "$43.50"
    assert _map_box(at, "precio").value == "F: Precio"
    _unknown_radio(at).set_value("Crearlas como productos nuevos (origen Excel)").run()
    before = _lines()
    at.button(key="upload_confirm").click().run()  # one click
    assert not at.exception, at.exception
    assert _lines() == before + 2
    assert at.success[0].value.startswith("Se cargó el archivo de ventas «VENTAS SUC ORIENTE NOV 2026.xlsx»")
    with db.get_engine().connect() as conn:
        prices = conn.execute(select(erp_ventas_detalle.c.precio_unitario).join(
            erp_ventas, erp_ventas.c.id == erp_ventas_detalle.c.venta_id).where(erp_ventas.c.origen == "EXCEL"))
        assert sorted(float(p) for p in prices.scalars()) == [8.5, 26.5]


def _upload(at, fid: str, name: str, data: bytes):
    at.session_state["upload_data"] = (fid, name, data)
    return at.run()


def test_undo_picker_confirmation_plurals_and_history(engine, clean_db, users):
    """QA P2-8, P3-2, P3-6: "#id · archivo · sucursal · fecha", newest first, a confirmation, "1 fila"."""
    at = login(users["manager"].email)
    at.switch_page(UPLOAD_PAGE).run()
    uploader = at.get("file_uploader")[0].proto
    assert uploader.label.startswith("Archivo de inventario o ventas (hasta 10 MB)")
    assert "1 MB = 1,000,000 bytes" in uploader.help and "«Upload»" in uploader.help
    for fid, name, store, code in (("a", "conteo norte.xlsx", "Norte", "N1"), ("b", "conteo sur.xlsx", "Sur", "S1")):
        _upload(at, fid, name, xlsx([[f"Sucursal: {store}"], ["Clave", "Existencia"], [code, 3]]))
        _unknown_radio(at).set_value("Crearlas como productos nuevos (origen Excel)").run()
        at.button(key="upload_confirm").click().run()
        assert not at.exception, at.exception
    assert at.success[0].value.endswith(
        ": 1 fila; 1 registro nuevo, 0 actualizados y 0 sin cambio; 0 filas rechazadas.")
    history = [df for df in at.dataframe if "Archivo" in df.value.columns][0]
    first = history.value.to_dict("records")[0]
    assert first["Archivo"] == "conteo sur.xlsx" and re.fullmatch(r"\d\d/\d\d/\d{4} \d\d:\d\d", first["Fecha"])
    widths = {c.get("title", k): c.get("width") for k, c in
              json.loads(history.proto.columns).items()}
    assert widths["Fecha"] >= 120 and widths["Estado"] >= 95 and sum(w or 0 for w in widths.values()) <= 940

    picker = next(s for s in at.selectbox if str(s.key).startswith("undo_id_"))
    labels = picker.options
    assert labels[0].startswith(f"#{first['Carga']} · conteo sur.xlsx · Sur · ")  # the newest is the default
    assert picker.index == 0
    at.button(key="undo_button").click().run()
    warning = [w.value for w in at.warning if w.value.startswith("¿Deshacer la carga")][0]
    assert "Sus existencias vuelven a los valores que tenían antes de la carga." in warning
    at.button(key="undo_cancel").click().run()
    assert not [w for w in at.warning if w.value.startswith("¿Deshacer")]
    assert [r["Estado"] for r in [df for df in at.dataframe if "Archivo" in df.value.columns][0].value.to_dict(
        "records")] == ["Vigente", "Vigente"]
    at.button(key="undo_button").click().run()
    at.button(key="undo_confirm").click().run()
    assert not at.exception, at.exception
    assert f"Se deshizo la carga #{first['Carga']} (conteo sur.xlsx)" in " ".join(s.value for s in at.success)
    assert not [e.value for e in at.error]


def test_over_size_file_gets_the_spanish_message_and_the_uploader_takes_it(engine, clean_db, users):
    """QA P2-7, with issue 11 §5: the server takes UPLOAD_MAX_MB binary megabytes (no more), so a file
    just over the decimal limit reaches our Spanish message."""
    at = login(users["manager"].email)
    at.switch_page(UPLOAD_PAGE).run()
    _upload(at, "big", "grande.csv", b"a,b\n" * 2_550_000)
    assert at.error[0].value == "El archivo pesa 10.2 MB y el límite es 10 MB (UPLOAD_MAX_MB)."


def test_preview_shows_a_time_only_on_rows_that_have_one(engine, clean_db, users):
    at = login(users["manager"].email)
    at.switch_page(UPLOAD_PAGE).run()
    _upload(at, "t", "VENTAS SUC CENTRO NOV 2026.xlsx", xlsx([
        ["Fecha", "Clave", "Cantidad", "Importe"], ["03/11/2026", "A1", 1, 10], ["04/11/2026 14:30", "A1", 1, 10]]))
    rows = [df for df in at.dataframe if "Fila" in df.value.columns and "Fecha" in df.value.columns][0].value
    assert rows["Fecha"].tolist() == ["03/11/2026", "04/11/2026 14:30"]


def test_hostile_files_get_a_spanish_refusal_on_the_page(engine, clean_db, users):
    """Issue 11 §1 on the page: each hostile file ends in one Spanish message (no traceback, no
    raw exception text), the session keeps working, nothing is written."""
    from bench.hostile_files import HOSTILE
    from tests.ingest.test_hostile import EXPECTED

    at = login(users["manager"].email)
    at.switch_page(UPLOAD_PAGE).run()
    before = _lines()
    for i, (label, (name, build)) in enumerate(HOSTILE.items()):
        at.session_state["upload_data"] = (f"h{i}", name, build())
        at.run()
        assert not at.exception, (label, at.exception)
        errors = [e.value for e in at.error]
        if label.startswith("20,000 guiones"):  # read in linear time: an ordinary preview
            assert not errors and _metrics(at)["Filas listas"] == "1", errors
            continue
        assert any(EXPECTED[label] in e for e in errors), (label, errors)
        assert not any("--store" in e or "línea de comandos" in e for e in errors), errors  # a page, not a shell
    assert _lines() == before
    # The same session still previews an ordinary file.
    at.session_state["upload_data"] = ("ok", "VENTAS SUC CENTRO ENE 2025.xlsx", xlsx(SALES_TEXT_DATES))
    at.run()
    assert _metrics(at)["Filas listas"] == "4"


def test_missing_store_says_what_to_do_on_the_page(engine, clean_db, users):
    at = login(users["manager"].email)
    at.switch_page(UPLOAD_PAGE).run()
    at.session_state["upload_data"] = ("s1", "existencias.xlsx", xlsx([["Clave", "Existencia"], ["A1", 3]]))
    at.run()
    assert [e.value for e in at.error] == [
        "No se encontró la sucursal (ni en una columna, ni en el título, la hoja o el nombre del archivo): "
        "escríbala en «Sucursal» antes de cargar."]


def test_server_upload_limit_follows_upload_max_mb(engine, clean_db, users, monkeypatch):
    """Streamlit's server refuses bodies above server.maxUploadSize on every upload request: the page
    sets it from UPLOAD_MAX_MB (it was 200 MB from config.toml whatever the setting)."""
    from streamlit import config

    from core.config import get_settings

    monkeypatch.setenv("UPLOAD_MAX_MB", "3")
    get_settings.cache_clear()
    try:
        at = login(users["manager"].email)
        at.switch_page(UPLOAD_PAGE).run()
        assert not at.exception, at.exception
        assert config.get_option("server.maxUploadSize") == 3
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()
        config.set_option("server.maxUploadSize", get_settings().upload_max_mb)
    toml = tomllib.loads((Path(MAIN).parents[1] / ".streamlit" / "config.toml").read_text())
    assert toml["server"]["maxUploadSize"] == get_settings().upload_max_mb


def test_unexpected_preview_error_shows_no_exception_text(engine, clean_db, users, monkeypatch):
    import core.ingest.service as service

    def boom(*args, **kwargs):
        raise RuntimeError("secreto interno /srv/x")

    monkeypatch.setattr(service, "analyze_isolated", boom)
    at = login(users["manager"].email)
    at.switch_page(UPLOAD_PAGE).run()
    at.session_state["upload_data"] = ("e1", "x.xlsx", xlsx([["Clave", "Existencia"], ["A1", 3]]))
    at.run()
    errors = [e.value for e in at.error]
    assert errors and not any("secreto" in e or "RuntimeError" in e for e in errors), errors


def _load_as_a_job(at, monkeypatch, unknown: str) -> str:
    """Confirm the inventory file as a background job (any file counts as large); the job's id
    once the page's own refresh saw it end."""
    import core.ingest.service as service

    monkeypatch.setattr(service, "JOB_ROWS", 1)
    at.switch_page(UPLOAD_PAGE).run()
    at.session_state["upload_data"] = ("f-job", "existencias centro.xlsx", xlsx(INVENTORY_CENTRO))
    at.run()
    _unknown_radio(at).set_value(unknown).run()
    at.button(key="upload_confirm").click().run()
    return refresh_until_done(at, "upload_job")


def test_a_large_file_loads_through_the_shared_job_widget(engine, clean_db, users, job_widget, monkeypatch):
    """Issue 9: one job-progress widget; the upload page keeps showing what the load did."""
    at = login(users["manager"].email)
    job_id = _load_as_a_job(at, monkeypatch, "Crearlas como productos nuevos (origen Excel)")
    assert ("upload_job", job_id) in job_widget
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert at.success[0].value.startswith("Se cargó el archivo de inventario «existencias centro.xlsx»")
    assert _metrics(at)["Procesados"] == "3"
    history = [df.value for df in at.dataframe if "Archivo" in df.value.columns][0].to_dict("records")
    assert (history[0]["Archivo"], history[0]["Estado"]) == ("existencias centro.xlsx", "Vigente")


def test_a_background_load_that_loads_nothing_says_why(engine, clean_db, users, job_widget, monkeypatch):
    """The job completes but refuses the file: the page shows the load's own reason."""
    at = login(users["manager"].email)
    job_id = _load_as_a_job(at, monkeypatch, "Omitir esas filas")  # every code is unknown
    assert ("upload_job", job_id) in job_widget
    assert not at.exception
    assert [e.value for e in at.error] == [
        "La carga falló: No queda ninguna fila para cargar: todas las claves son desconocidas y se "
        "omitieron. Para cargarlas, elija crearlas como productos nuevos."]
    assert not [df for df in at.dataframe if "Archivo" in df.value.columns]  # nothing was loaded
