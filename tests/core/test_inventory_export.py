"""Exports of the filtered list read back cell by cell: every page, Spanish headers, formulas neutralised."""

from __future__ import annotations

import csv
import io
from datetime import datetime

import pytest
from openpyxl import load_workbook

from core import db
from core import inventory as inv
from core.inventory import export
from core.models import erp_almacenes, erp_inventario, erp_productos

INJECTIONS = {  # nombre as typed -> as the cell must hold it
    "=HYPERLINK(\"http://x\",\"clic\")": "'=HYPERLINK(\"http://x\",\"clic\")",
    "+1+1": "'+1+1",
    "-2+3": "'-2+3",
    "@SUM(A1:A2)": "'@SUM(A1:A2)",
    "\tTabulado": "'\tTabulado",
    "\rRetorno": "'\rRetorno",
    "Normal = seguro": "Normal = seguro",
}


@pytest.fixture
def exportable(clean_db, users):
    with db.begin() as conn:  # as the ERP or an Excel file could bring them (the forms strip blanks)
        conn.execute(erp_productos.insert(), [
            {"codigo": f"INY-{i:02d}", "nombre": nombre, "precio": i + 0.5, "origen": "local",
             "categoria": "Inyección" if i % 2 == 0 else "-Menos"} for i, nombre in enumerate(INJECTIONS)])
    for i in range(30):  # more than one page: the export must take all of them
        inv.create_producto(users["manager"], {"codigo": f"PAG-{i:02d}", "nombre": f"Producto {i}", "categoria": "Inyección"})
    with db.begin() as conn:
        alm = conn.execute(erp_almacenes.insert().values(nombre="Almacén General", origen="erp")
                           .returning(erp_almacenes.c.id)).scalar_one()
        pid = inv.producto_detail(users["viewer"], "INY-00")["producto"]["id"]
        conn.execute(erp_inventario.insert().values(producto_id=pid, almacen_id=alm, stock_actual=4, stock_minimo=9,
                                                    punto_reorden=10, stock_maximo=20))
    return True


def test_neutralise():
    assert [export.neutralise(v) for v in ("=1", "+1", "-1", "@a", "\t", "\r", "a=1", "", None, -5, 3.5)] == [
        "'=1", "'+1", "'-1", "'@a", "'\t", "'\r", "a=1", "", None, -5, 3.5]


def test_xlsx_holds_every_row_with_spanish_headers_and_neutralised_cells(exportable, users):
    f = inv.InventoryFilter(categoria="Inyección", limit=20)
    assert inv.list_productos(users["viewer"], f)["pagination"]["totalPages"] == 2
    headers, rows = export.table(users["viewer"], f)
    sheet = load_workbook(io.BytesIO(export.to_xlsx(headers, rows)), read_only=True)["Inventario"]
    cells = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert cells[0] == ["Código", "Nombre", "Categoría", "Grupo", "Unidad", "Stock total", "Stock Almacén General",
                        "Mínimo", "Punto de reorden", "Máximo", "Precio", "Costo", "Bajo mínimo", "Última venta",
                        "Última sincronización", "Activo", "Origen"]
    body = cells[1:]
    assert len(body) == 4 + 30  # the even INY rows plus every PAG row, both pages
    by_code = {r[0]: r for r in body}
    typed = list(INJECTIONS)
    for i in range(0, len(typed), 2):
        assert by_code[f"INY-{i:02d}"][1] == INJECTIONS[typed[i]], typed[i]
        assert by_code[f"INY-{i:02d}"][10] == i + 0.5  # numbers stay numbers
    first = by_code["INY-00"]
    assert first[5:10] == [4, 4, 9, 10, 20] and first[12] == "Sí" and first[15:] == ["Sí", "Local"]
    assert by_code["PAG-00"][5] == 0 and by_code["PAG-00"][6] is None and by_code["PAG-00"][12] == "No"


def test_csv_is_the_same_view_in_utf8_with_bom(exportable, users):
    f = inv.InventoryFilter(search="iny")
    headers, rows = export.table(users["viewer"], f)
    raw = export.to_csv(headers, rows)
    assert raw.startswith(b"\xef\xbb\xbf")
    read = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))
    assert read[0][:3] == ["Código", "Nombre", "Categoría"]
    by_code = {r[0]: r for r in read[1:]}
    assert len(by_code) == len(INJECTIONS)
    for i, typed in enumerate(INJECTIONS):
        row = by_code[f"INY-{i:02d}"]
        assert row[1] == INJECTIONS[typed], typed
        assert row[2] == ("Inyección" if i % 2 == 0 else "'-Menos")
    synced = by_code["INY-00"][14]
    assert synced == ""  # local products never synced


def test_dates_are_written_as_dates(exportable, users):
    headers, rows = export.table(users["viewer"], inv.InventoryFilter(search="INY-00"))
    rows[0][13] = datetime(2026, 12, 1, 10, 30)
    sheet = load_workbook(io.BytesIO(export.to_xlsx(headers, rows)))["Inventario"]
    cell = sheet.cell(row=2, column=14)
    assert cell.value == datetime(2026, 12, 1, 10, 30) and cell.number_format == "dd/mm/yyyy hh:mm"
    read = list(csv.reader(io.StringIO(export.to_csv(headers, rows).decode("utf-8-sig"), newline="")))
    assert read[1][13] == "01/12/2026 10:30"
