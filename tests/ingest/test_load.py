"""Messy files end to end: each loads exactly the expected rows, or is refused and changes nothing."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from core.config import get_settings
from core.db import begin, get_engine, upsert
from core.ingest.errors import IngestError
from core.ingest.load import list_uploads, load_preview, undo_upload, upload_detail
from core.ingest.service import preview_upload, start_upload
from core.models import (
    erp_almacenes,
    erp_inventario,
    erp_productos,
    erp_ventas,
    erp_ventas_detalle,
    uploads,
)
from core.users import PermissionDenied
from tests.ingest.conftest import encrypted_cfb, xls_legacy, xlsx, zip_bomb


def stock() -> dict[tuple[str, str], float]:
    """(almacén, clave) -> existencia."""
    q = (select(erp_almacenes.c.nombre, erp_productos.c.codigo, erp_inventario.c.stock_actual)
         .join(erp_productos, erp_productos.c.id == erp_inventario.c.producto_id)
         .join(erp_almacenes, erp_almacenes.c.id == erp_inventario.c.almacen_id))
    with get_engine().connect() as conn:
        return {(a, c): float(s) for a, c, s in conn.execute(q)}


def sales_lines() -> list[tuple]:
    """(erp_id, tipo, fecha, almacén, linea, clave, cantidad, importe) ordered."""
    q = (select(erp_ventas.c.erp_id, erp_ventas.c.tipo, erp_ventas.c.fecha, erp_almacenes.c.nombre,
                erp_ventas_detalle.c.linea, erp_productos.c.codigo, erp_ventas_detalle.c.cantidad,
                erp_ventas_detalle.c.importe)
         .join(erp_ventas, erp_ventas.c.id == erp_ventas_detalle.c.venta_id)
         .join(erp_productos, erp_productos.c.id == erp_ventas_detalle.c.producto_id)
         .join(erp_almacenes, erp_almacenes.c.id == erp_ventas.c.almacen_id)
         .order_by(erp_ventas.c.erp_id, erp_ventas_detalle.c.linea))
    with get_engine().connect() as conn:
        return [(e, t, f, a, ln, c, float(q_), float(i)) for e, t, f, a, ln, c, q_, i in conn.execute(q)]


INVENTORY_CENTRO = [
    ["REPORTE DE EXISTENCIAS", None, None, None],
    ["Sucursal: Centro", None, None, None],
    ["Existencias al 31/01/2025", None, None, None],
    [None, None, None, None],
    ["Producto", None, "Existencia", None],          # row 5: merged two-row header
    ["Clave", "Descripción", "Actual", "Mínima"],   # row 6
    ["A-001", "Tornillo 1/4", "1,234.50", 10],
    ["A-002", "Tuerca hexagonal", None, 5],           # blank stock is zero
    ["A-003", "Rondana", "abc", 1],                   # rejected
    [None, None, None, None],
    ["B-010", "Taladro", "(2)", "3"],                 # negative stock in parentheses
    ["Total", None, 1232.5, None],
    ["* Cifras al cierre del día", None, None, None],
]


def test_inventory_with_titles_merged_header_totals_and_footnote(ingest, counts, manager):
    data = xlsx(INVENTORY_CENTRO, merges=["A5:B5", "C5:D5"])
    pv, res = ingest(data, "existencias.xlsx")
    assert (pv.kind, pv.store, pv.store_source, pv.header_last) == ("inventory", "Centro", "título", 6)
    assert (pv.date_from, pv.date_to) == (dt.date(2025, 1, 31), dt.date(2025, 1, 31))
    assert pv.rejected == [{"row": 9, "reason": "Existencia no numérica: «abc»"}]
    assert pv.skipped == 3  # blank row, total, footnote
    assert pv.totals()["existencia"] == 1232.5
    assert res.status == "loaded" and (res.created, res.rows_ok, res.products_created, res.stores_created) == (3, 3, 3, 1)
    assert stock() == {("Centro", "A-001"): 1234.5, ("Centro", "A-002"): 0.0, ("Centro", "B-010"): -2.0}
    with get_engine().connect() as conn:
        assert conn.execute(select(erp_productos.c.codigo, erp_productos.c.nombre, erp_productos.c.origen)
                            .order_by(erp_productos.c.codigo)).all() == [
            ("A-001", "Tornillo 1/4", "excel"), ("A-002", "Tuerca hexagonal", "excel"), ("B-010", "Taladro", "excel")]
        up = conn.execute(select(uploads)).mappings().one()
        mins = dict(conn.execute(select(erp_productos.c.codigo, erp_inventario.c.stock_minimo)
                                 .join(erp_productos, erp_productos.c.id == erp_inventario.c.producto_id)).all())
    assert {k: float(v) for k, v in mins.items()} == {"A-001": 10.0, "A-002": 5.0, "B-010": 3.0}
    assert (up["kind"], up["store"], up["rows_ok"], up["rows_rejected"], up["status"]) == ("inventory", "Centro", 3, 1, "loaded")
    assert up["sha256"] == pv.sha256 and up["user_id"] is not None
    assert Path(up["stored_path"]).parent == Path(get_settings().storage_dir) / "uploads"
    detail = upload_detail(manager, res.upload_id)
    assert detail["original"] == data
    assert detail["rejected"] == [{"row": 9, "reason": "Existencia no numérica: «abc»"}]
    assert counts()["uploads"] == 1


SALES_TEXT_DATES = [
    ["Ferretería La Esperanza"],
    ["Reporte de ventas del 01/01/2025 al 31/01/2025"],
    ["Fecha", "Clave", "Descripción", "Cantidad", "Importe"],
    ["15 de enero de 2025", "A-001", "Tornillo", "10", "$1,234.50"],
    ["15-ene-2025", "A-002", "Tuerca", 2, "$20"],
    ["03/01/2025", "A-001", "Tornillo", "1", "123.45"],      # day first: 3 January
    ["2025-01-20", "A-002", "Tuerca", "1-", "(10)"],          # a return
    ["31/02/2025", "A-001", "Tornillo", 1, 10],                # no such day
    ["05/02/2025", "A-001", "Tornillo", 1, 10],                # outside the title's period
    [None, "Subtotal enero", None, 14, 1367.95],
]


def test_sales_with_spanish_text_dates_day_first_and_store_from_file_name(ingest):
    pv, res = ingest(xlsx(SALES_TEXT_DATES), "VENTAS SUC CENTRO ENE 2025.xlsx")
    assert (pv.kind, pv.store, pv.store_source) == ("sales", "Centro", "nombre del archivo")
    assert (pv.date_from, pv.date_to, pv.date_source) == (dt.date(2025, 1, 1), dt.date(2025, 1, 31), "título")
    assert pv.rejected == [
        {"row": 8, "reason": "Fecha no válida: «31/02/2025»"},
        {"row": 9, "reason": "Fecha fuera del periodo del reporte (01/01/2025 al 31/01/2025)"},
    ]
    assert pv.totals() == {"cantidad": 12.0, "importe": 1367.95, "existencia": None}
    assert res.status == "loaded" and res.rows_ok == 4
    # No folio column: one document per store and day.
    assert sales_lines() == [
        ("centro|2025-01-03", "V", dt.datetime(2025, 1, 3), "Centro", 1, "A-001", 1.0, 123.45),
        ("centro|2025-01-15", "V", dt.datetime(2025, 1, 15), "Centro", 1, "A-001", 10.0, 1234.5),
        ("centro|2025-01-15", "V", dt.datetime(2025, 1, 15), "Centro", 2, "A-002", 2.0, 20.0),
        ("centro|2025-01-20", "D", dt.datetime(2025, 1, 20), "Centro", 1, "A-002", -1.0, -10.0),
    ]
    with get_engine().connect() as conn:
        assert conn.execute(select(erp_ventas.c.origen, erp_ventas.c.total).order_by(erp_ventas.c.erp_id)).all()[1][0] == "EXCEL"


def test_sales_grouped_by_ticket_with_folio_and_date_printed_once(ingest):
    rows = [
        ["Sucursal:", "Norte"],
        ["Ticket", "Fecha", "Clave", "Cantidad", "Precio"],
        ["T-1", "02/01/2025 10:15", "A-001", 2, 5.5],
        [None, None, "A-002", 1, 3],                     # same ticket, folio and date printed once
        ["T-2", "02/01/2025 11:00", "A-001", 1, 5.5],
    ]
    pv, res = ingest(xlsx(rows), "ventas.xlsx")
    assert (pv.store, pv.store_source, pv.date_from, pv.date_source) == ("Norte", "título", dt.date(2025, 1, 2), "datos")
    assert sales_lines() == [
        ("norte|T-1", "V", dt.datetime(2025, 1, 2, 10, 15), "Norte", 1, "A-001", 2.0, 11.0),
        ("norte|T-1", "V", dt.datetime(2025, 1, 2, 10, 15), "Norte", 2, "A-002", 1.0, 3.0),
        ("norte|T-2", "V", dt.datetime(2025, 1, 2, 11, 0), "Norte", 1, "A-001", 1.0, 5.5),
    ]


def test_html_disguised_as_xls_loads(ingest):
    html = """<html><head><meta charset="utf-8"></head><body>
    <table><tr><td colspan="3">Inventario Sucursal: Plaza Sol</td></tr>
    <tr><th>Código</th><th>Descripción</th><th>Existencias</th></tr>
    <tr><td>X1</td><td>Martillo &amp; mango</td><td>1,200</td></tr>
    <tr><td>X2</td><td>Pinzas</td><td>7</td></tr></table></body></html>""".encode()
    pv, res = ingest(html, "inventario.xls")
    assert pv.fmt == "html" and "tabla HTML" in pv.warnings[0]
    assert stock() == {("Plaza Sol", "X1"): 1200.0, ("Plaza Sol", "X2"): 7.0}


def test_windows_1252_csv_with_semicolons_loads(ingest):
    csv = "Clave;Descripción;Existencia;Almacén\nÑ-1;Cañón de riego;1.234,50;Bodega Sur\nÑ-2;Piñón;3;Bodega Sur\n"
    pv, res = ingest(csv.encode("cp1252"), "existencias.csv")
    assert (pv.fmt, pv.store, pv.store_source) == ("csv", "Bodega Sur", "columna")
    assert stock() == {("Bodega Sur", "Ñ-1"): 1234.5, ("Bodega Sur", "Ñ-2"): 3.0}
    with get_engine().connect() as conn:
        assert conn.execute(select(erp_productos.c.nombre).where(erp_productos.c.codigo == "Ñ-1")).scalar_one() == "Cañón de riego"


def test_legacy_xls_loads(ingest):
    data = xls_legacy([
        ["Ventas Tienda Oriente"],
        ["Fecha", "SKU", "Unidades", "Total"],
        [dt.date(2025, 3, 1), "L-1", 4, 40.0],
        [dt.date(2025, 3, 2), "L-1", 1, 10.0],
    ])
    pv, res = ingest(data, "ventas.xls")
    assert (pv.fmt, pv.kind, pv.store) == ("xls", "sales", "Oriente")
    assert [(ln[0], ln[6], ln[7]) for ln in sales_lines()] == [("oriente|2025-03-01", 4.0, 40.0), ("oriente|2025-03-02", 1.0, 10.0)]


@pytest.mark.parametrize(("data", "name", "message"), [
    (b"", "vacio.xlsx", "El archivo está vacío."),
    (b"\x89PNG\r\n\x1a\n" + b"\0" * 100, "foto.xlsx", "El archivo no es una hoja de cálculo: es una imagen PNG con extensión .xlsx."),
    (encrypted_cfb(), "protegido.xlsx", "El libro está protegido con contraseña."),
    (zip_bomb(), "bomba.xlsx", "El archivo se expande a 300 MB al descomprimirlo"),
    (xlsx([["CASH FLOW"], ["", "April", "May"], ["Beginning balance", 0, -3989.5]]), "flujo.xlsx",
     "No se reconoce el archivo como inventario ni como ventas"),
])
def test_refused_files_change_nothing(ingest, counts, data, name, message):
    before = counts()
    with pytest.raises(IngestError) as exc:
        ingest(data, name)
    assert exc.value.message.startswith(message)
    assert counts() == before


def test_missing_store_blocks_loading_until_given(ingest, counts, manager):
    data = xlsx([["Clave", "Existencia"], ["A1", 3]])
    before = counts()
    with pytest.raises(IngestError, match="No se encontró la sucursal"):
        ingest(data, "existencias.xlsx")
    assert counts() == before
    pv, res = ingest(data, "existencias.xlsx", store="Matriz")
    assert (pv.store_source, res.status) == ("usuario", "loaded")
    assert stock() == {("Matriz", "A1"): 3.0}


def test_same_file_twice_changes_nothing(ingest, counts):
    data = xlsx(INVENTORY_CENTRO)
    ingest(data, "existencias.xlsx")
    before = counts()
    pv, res = ingest(data, "copia con otro nombre.xlsx")
    assert res.status == "already_loaded"
    assert res.message.startswith("Este archivo ya se cargó (existencias.xlsx, carga #")
    assert pv.already_loaded_id == res.upload_id
    assert counts() == before


def test_corrected_file_replaces_the_earlier_upload(ingest):
    first = [["Sucursal: Centro"], ["Existencias al 31/01/2025"], ["Clave", "Existencia"], ["A1", 5], ["A2", 7], ["A3", 9]]
    fixed = [["Sucursal: Centro"], ["Existencias al 31/01/2025"], ["Clave", "Existencia"], ["A1", 6], ["A2", 7]]
    _pv, one = ingest(xlsx(first), "inv.xlsx")
    _pv, two = ingest(xlsx(fixed), "inv corregido.xlsx")
    assert two.replaced == [one.upload_id]
    assert stock() == {("Centro", "A1"): 6.0, ("Centro", "A2"): 7.0}
    with get_engine().connect() as conn:
        assert conn.execute(select(uploads.c.status, uploads.c.replaced_by).where(uploads.c.id == one.upload_id)).one() == (
            "replaced", two.upload_id)


def test_corrected_sales_file_replaces_documents_and_lines(ingest):
    rows = [["Sucursal: Centro  Del 01/01/2025 al 31/01/2025"], ["Fecha", "Clave", "Cantidad", "Importe"],
            ["02/01/2025", "A1", 1, 10], ["02/01/2025", "A2", 1, 10], ["03/01/2025", "A1", 3, 30]]
    ingest(xlsx(rows), "ventas enero.xlsx")
    ingest(xlsx(rows[:3] + [["03/01/2025", "A1", 2, 20]]), "ventas enero v2.xlsx")
    assert [(ln[0], ln[4], ln[5], ln[6]) for ln in sales_lines()] == [
        ("centro|2025-01-02", 1, "A1", 1.0), ("centro|2025-01-03", 1, "A1", 2.0)]


def test_unknown_codes_skipped_on_request(ingest, counts, engine):
    with begin() as conn:
        upsert(conn, "erp_productos", [("A1", "Conocido", "erp")], columns=["codigo", "nombre", "origen"], key=["codigo"])
    data = xlsx([["Sucursal: Centro"], ["Clave", "Existencia"], ["A1", 4], ["ZZ-9", 2]])
    pv, res = ingest(data, "inv.xlsx", unknown="skip")
    assert pv.unknown_codes == ["ZZ-9"]
    assert res.rejected == [{"row": 4, "reason": "Clave desconocida en el catálogo (omitida): ZZ-9"}]
    assert stock() == {("Centro", "A1"): 4.0}
    assert counts()["erp_productos"] == 1


def test_an_error_anywhere_loads_nothing(ingest, counts, monkeypatch):
    import core.ingest.load as load

    def boom(*_a, **_k):
        raise RuntimeError("falla simulada al final de la carga")

    monkeypatch.setattr(load, "_replace_earlier", boom)  # fails after every row is written
    before = counts()
    with pytest.raises(RuntimeError):
        ingest(xlsx(SALES_TEXT_DATES), "VENTAS SUC CENTRO ENE 2025.xlsx")
    assert counts() == before


def test_undo_by_manager_removes_the_rows(ingest, users, counts):
    before = counts()
    _pv, res = ingest(xlsx(SALES_TEXT_DATES), "VENTAS SUC CENTRO ENE 2025.xlsx")
    with pytest.raises(PermissionDenied):
        undo_upload(users["viewer"], res.upload_id)
    message = undo_upload(users["manager"], res.upload_id)
    assert message.startswith(f"Se deshizo la carga #{res.upload_id}")
    after = counts()
    assert (after["erp_ventas"], after["erp_ventas_detalle"]) == (before["erp_ventas"], before["erp_ventas_detalle"])
    assert list_uploads(users["manager"])[0]["status"] == "undone"
    with pytest.raises(IngestError, match="no está vigente"):
        undo_upload(users["manager"], res.upload_id)


def test_permissions_checked_in_core(clean_db, users):
    data = xlsx(INVENTORY_CENTRO)
    for role in ("user", "viewer"):
        with pytest.raises(PermissionDenied):
            preview_upload(users[role], data, "x.xlsx")
    pv = preview_upload(users["admin"], data, "x.xlsx")
    with pytest.raises(PermissionDenied):
        load_preview(users["viewer"], pv, data)


def test_kind_and_mapping_overrides(clean_db, manager):
    data = xlsx([["Sucursal: Centro"], ["Código", "Nombre", "Cant"], ["A1", "Uno", 3]])
    pv = preview_upload(manager, data, "x.xlsx")
    assert (pv.kind, pv.rows["existencia"].tolist()) == ("inventory", [3.0])  # quantities without dates = stock
    forced = preview_upload(manager, data, "x.xlsx", kind="sales")
    assert forced.problems == ["Para un archivo de ventas faltan las columnas: Fecha."]
    remapped = preview_upload(manager, data, "x.xlsx", mapping={"existencia": 2, "descripcion": None})
    assert "descripcion" not in remapped.mapping and remapped.mapping["existencia"] == 2


def test_large_file_runs_as_a_job(clean_db, manager, monkeypatch):
    import core.ingest.service as service
    from core.jobs import job_status

    monkeypatch.setattr(service, "JOB_ROWS", 1)
    data = xlsx(INVENTORY_CENTRO)
    pv = preview_upload(manager, data, "existencias.xlsx")
    job_id = start_upload(manager, pv, data)
    assert isinstance(job_id, str)
    deadline = time.time() + 60
    while (status := job_status(job_id))["status"] not in ("completed", "failed") and time.time() < deadline:
        time.sleep(0.2)
    assert status["status"] == "completed", status
    assert status["result"]["status"] == "loaded" and status["result"]["rows_ok"] == 3
    assert stock()[("Centro", "A-001")] == 1234.5


def test_report_quirks_repeated_headers_duplicates_ranges_and_extra_sheets(clean_db, manager):
    rows = [
        ["Sucursal: Centro"],
        ["Clave", "Descripción", "Existencia", "Importe", "Fecha últ. compra"],  # a stock value, not a sale
        ["A1", "Uno", 3, 30, "02/01/2025"],
        ["A2", "Dos", "1e15", 10, None],
        ["Clave", "Descripción", "Existencia", "Importe", "Fecha últ. compra"],  # header again (page 2)
        ["A1", "Uno", 4, 40, None],
    ]
    other = [["Clave", "Existencia"], ["Z", 1]]
    pv = preview_upload(manager, xlsx(rows, sheet="Centro", extra_sheets={"Norte": other}), "inv.xlsx")
    assert pv.kind == "inventory" and pv.sheet == "Centro"
    assert pv.warnings[:1] == ["El libro tiene más hojas con datos (Norte); se leyó solo «Centro». "
                           "Suba cada hoja como un archivo aparte."]
    assert pv.rejected == [
        {"row": 3, "reason": "Clave repetida en el archivo (cuenta la fila 6)"},
        {"row": 4, "reason": "Existencia fuera de rango: «1e15»"},
    ]
    assert pv.skipped == 1
    assert pv.rows[["fila", "codigo", "existencia"]].values.tolist() == [[6, "A1", 4.0]]


def test_overlapping_sales_file_updates_old_documents_and_adds_new_ones(ingest):
    head = [["Sucursal: Centro"], ["Fecha", "Clave", "Cantidad", "Importe"]]
    ingest(xlsx(head + [["02/01/2025", "A1", 1, 10], ["02/01/2025", "A2", 1, 10]]), "ventas 1.xlsx")
    # A later file repeats 2 January (one line now) and brings 5 January: not the same period, so no
    # replacement; the 2 January document is updated in place and loses its stale second line.
    _pv, res = ingest(xlsx(head + [["02/01/2025", "A1", 5, 50], ["05/01/2025", "A2", 2, 20]]), "ventas 2.xlsx")
    assert res.replaced == []
    assert [(ln[0], ln[4], ln[5], ln[6]) for ln in sales_lines()] == [
        ("centro|2025-01-02", 1, "A1", 5.0), ("centro|2025-01-05", 1, "A2", 2.0)]


def test_fresh_upsert_refuses_an_existing_key(clean_db, engine):
    """core.db.upsert(fresh=True), added for this loader: inserts straight in, never updates."""
    cols = ["codigo", "nombre", "origen"]
    with begin() as conn:
        assert upsert(conn, "erp_productos", [("F1", "Uno", "excel")], columns=cols, key=["codigo"], fresh=True).created == 1
    # PostgreSQL's COPY raises the driver's UniqueViolation, SQLite an IntegrityError.
    with pytest.raises(Exception, match="uq_erp_productos_codigo|UNIQUE constraint failed"), begin() as conn:
        upsert(conn, "erp_productos", [("F2", "Dos", "excel"), ("F1", "Otro", "excel")], columns=cols, key=["codigo"], fresh=True)
    with get_engine().connect() as conn:
        assert conn.execute(select(erp_productos.c.codigo, erp_productos.c.nombre)).all() == [("F1", "Uno")]


def test_month_first_dates_from_a_us_configured_system(clean_db, manager):
    rows = [["Sucursal: Centro"], ["Date", "SKU", "Qty", "Amount"],
            ["01/02/2025", "A1", 1, 10], ["12/31/2025", "A1", 2, 20]]
    pv = preview_upload(manager, xlsx(rows), "sales.xlsx")
    assert pv.warnings[:1] == ["Las fechas vienen con el mes primero (mm/dd/aaaa); se leyeron así."]
    assert (pv.date_from, pv.date_to, pv.rejected) == (dt.date(2025, 1, 2), dt.date(2025, 12, 31), [])


def test_store_from_file_name_matches_an_existing_almacen(ingest):
    with begin() as conn:
        upsert(conn, "erp_almacenes", [("Sucursal Zapopan", "erp")], columns=["nombre", "origen"], key=["nombre"])
    pv, res = ingest(xlsx([["Fecha", "Clave", "Cantidad"], ["02/01/2025", "A1", 1]]), "VENTAS SUC ZAPOPAN ENE 2025.xlsx")
    assert (pv.store, pv.new_store, res.stores_created) == ("Sucursal Zapopan", False, 0)
    assert sales_lines()[0][3] == "Sucursal Zapopan"


def test_large_file_on_a_real_rq_worker(clean_db, manager, monkeypatch, rq_worker):
    """REDIS_URL set: the job goes to RQ's "default" queue and a separate worker process loads it."""
    import core.ingest.service as service
    from core.jobs import job_status

    monkeypatch.setattr(service, "JOB_ROWS", 1)
    data = xlsx(SALES_TEXT_DATES)
    pv = preview_upload(manager, data, "VENTAS SUC CENTRO ENE 2025.xlsx")
    job_id = start_upload(manager, pv, data)
    deadline = time.time() + 90
    while (status := job_status(job_id))["status"] not in ("completed", "failed") and time.time() < deadline:
        time.sleep(0.3)
    assert status["status"] == "completed", status
    assert (status["queue"], status["kind"], status["progress"]) == ("default", "upload", 1.0)
    assert status["result"]["rows_ok"] == 4
    assert len(sales_lines()) == 4
    assert not list((Path(get_settings().storage_dir) / "uploads" / "staging").glob("*"))


def test_blank_columns_and_rows_between_data(ingest):
    rows = [
        [None, None, None, None, None, None],
        [None, "Inventario físico", None, None, None, None],
        [None, "Almacén:", "Bodega Norte", None, None, None],
        [None, None, None, None, None, None],
        [None, "Clave", None, "Descripción", None, "Existencia"],
        [None, "N-1", None, "Cable", None, 12],
        [None, None, None, None, None, None],
        [None, "N-2", None, "Foco", None, "3.5"],
    ]
    pv, res = ingest(xlsx(rows), "conteo.xlsx")
    assert (pv.header_last, pv.store, pv.skipped) == (5, "Bodega Norte", 1)
    assert pv.mapping == {"codigo": 1, "descripcion": 3, "existencia": 5}
    assert stock() == {("Bodega Norte", "N-1"): 12.0, ("Bodega Norte", "N-2"): 3.5}
