"""QA findings on understanding files: store names from file names, forced kinds, header synonyms, sizes."""

from __future__ import annotations

import pytest

from core.db import begin, upsert
from core.ingest.context import store_from_name
from core.ingest.errors import IngestError
from core.ingest.service import preview_upload
from core.ingest.sniff import sniff
from tests.ingest.conftest import xlsx


@pytest.mark.parametrize(("name", "store"), [
    ("VENTAS SUC CENTRO 10 AL 20 NOV.xlsx", "Centro"),
    ("ventas sucursal Sur semana.xlsx", "Sur"),
    ("VENTAS SUC CENTRO ENE 2025.xlsx", "Centro"),
    ("ventas suc Plaza Sol quincena 2.xlsx", "Plaza Sol"),
    ("EXISTENCIAS SUC NORTE LUNES.xlsx", "Norte"),
])
def test_store_from_file_name_stops_at_numbers_and_period_words(name, store):
    assert store_from_name(name) == store


SALES = [["Fecha", "Folio", "Clave", "Cantidad", "Importe"], ["10/11/2026", "Z-0", "A1", 1, 100.0],
         ["12/11/2026", "Z-1", "A2", 2, 200.0]]


def test_file_name_store_with_extra_words_matches_the_existing_almacen(clean_db, manager):
    with begin() as conn:
        upsert(conn, "erp_almacenes", [("Sucursal Centro", "erp", "1")], columns=["nombre", "origen", "erp_id"],
               key=["nombre"])
    pv = preview_upload(manager, xlsx(SALES), "VENTAS SUC CENTRO PLAZA NOV.xlsx")
    assert (pv.store, pv.new_store) == ("Sucursal Centro", False)
    assert set(pv.rows["almacen"]) == {"Sucursal Centro"}
    assert ("La sucursal «Centro Plaza» (nombre del archivo) se tomó como el almacén existente «Sucursal Centro». "
            "Si no es así, escriba la sucursal en «Sucursal».") in pv.warnings


def test_a_new_store_is_announced_before_loading(clean_db, manager):
    pv = preview_upload(manager, xlsx(SALES), "ventas sucursal Sur semana.xlsx")
    assert (pv.store, pv.new_store) == ("Sur", True)
    assert ("La sucursal «Sur» no existe todavía: al cargar se creará como almacén nuevo. Si ya existe con otro "
            "nombre, escríbalo en «Sucursal».") in pv.warnings
    # The page's text names the page's field; the command line gets its flag separately.
    assert pv.cli_hints == ["si la sucursal ya existe con otro nombre, indíquelo con --store NOMBRE"]


def test_sales_file_forced_to_inventory_is_refused(clean_db, manager):
    data = xlsx([["Sucursal: Centro"], *SALES])
    assert preview_upload(manager, data, "v.xlsx").kind == "sales"
    forced = preview_upload(manager, data, "v.xlsx", kind="inventory")
    assert forced.problems == [
        "El archivo no tiene columna de existencia y sí tiene Fecha: parece de ventas, no de inventario. "
        "Cambie el tipo a Ventas, o elija la columna de existencia en «Columnas reconocidas»."]
    assert forced.cli_hints == ["cambie el tipo con --kind sales"]
    assert forced.rows.empty
    # The user may still say which column is the stock.
    chosen = preview_upload(manager, data, "v.xlsx", kind="inventory", mapping={"existencia": 3})
    assert not chosen.problems and chosen.rows["existencia"].tolist() == [1.0, 2.0]


def test_p_unit_is_the_price_and_producto_holding_codes_is_the_code(clean_db, manager):
    data = xlsx([["VENTAS DEL MES"], ["Tienda: Zapopan"], [],
                 ["Día", "Nota", "Producto", "Nombre", "Pzas", "P. Unit.", "Total"],
                 ["1 de octubre de 2026", "N0", "ABR-0144", "Disco flap", 1, 31.03, 31.03],
                 ["2 de octubre de 2026", "N1", "ABR-0145", "Lija de agua", 2, 16.81, 33.62]])
    pv = preview_upload(manager, data, "reporte_mensual_tienda.xlsx")
    assert pv.kind == "sales" and not pv.problems
    assert {f: pv.columns[c] for f, c in pv.mapping.items()} == {
        "fecha": "A: Día", "folio": "B: Nota", "codigo": "C: Producto", "descripcion": "D: Nombre",
        "cantidad": "E: Pzas", "precio": "F: P. Unit.", "importe": "G: Total"}
    assert pv.rows["codigo"].tolist() == ["ABR-0144", "ABR-0145"]


def test_producto_with_names_stays_the_description(clean_db, manager):
    data = xlsx([["Sucursal: Centro"], ["Clave", "Producto", "Existencia"], ["A1", "Disco flap de 4 pulgadas", 3]])
    pv = preview_upload(manager, data, "x.xlsx")
    assert (pv.mapping["codigo"], pv.mapping["descripcion"]) == (0, 1)


def test_unknown_kind_says_where_to_correct_the_columns(clean_db, manager):
    pv = preview_upload(manager, xlsx([["Sucursal: Centro"], ["Nombre", "Importe"], ["Uno", 3]]), "x.xlsx")
    assert pv.problems == [
        "No se reconoce el archivo como inventario (clave y existencia) ni como ventas (clave, fecha y cantidad o "
        "importe). Columnas reconocidas: Importe, Descripción. Corríjalas arriba, en «Columnas reconocidas (puede "
        "corregirlas)»: elija cuál es la Clave y cuál la Existencia, o la Fecha y la Cantidad."]
    assert pv.cli_hints == ["indique el tipo con --kind inventory o --kind sales"]


def test_size_limit_in_decimal_megabytes_like_the_uploader():
    with pytest.raises(IngestError) as exc:
        sniff(b"a,b\n" * 2_875_000, "grande.csv", max_mb=10)  # 11.5 MB = 10.97 MiB
    assert exc.value.message == "El archivo pesa 11.5 MB y el límite es 10 MB (UPLOAD_MAX_MB)."


def test_preview_notes_blank_and_negative_stock(clean_db, manager):
    """QA P3-11."""
    pv = preview_upload(manager, xlsx([["Sucursal: Centro"], ["Clave", "Descripción", "Existencia"], ["A1", "Uno", 3],
                                       ["A2", "Dos", None], ["A3", "Tres", "(3)"]]), "inv.xlsx")
    assert pv.rows["existencia"].tolist() == [3.0, 0.0, -3.0]
    assert "1 fila (4) sin existencia: se cargan como 0." in pv.warnings
    assert "1 fila (5) con existencia negativa: se cargan así; revise que sea correcto." in pv.warnings


def test_preview_says_documents_per_day_and_overlaps(ingest, manager):
    """QA P2-4 and P3-12."""
    first = xlsx([["Sucursal: Centro"], ["Del 01/11/2026 al 15/11/2026"], ["Fecha", "Clave", "Cantidad", "Importe"],
                  ["03/11/2026", "A1", 1, 10], ["12/11/2026", "A1", 1, 10]])
    pv, res = ingest(first, "ventas 1.xlsx", unknown="create")
    assert ("El archivo no trae folio o ticket en todas las filas: se guardará un documento por sucursal y día "
            "(así se cuentan «Documentos» y «Ticket promedio» en el tablero).") in pv.warnings
    second = xlsx([["Sucursal: Centro"], ["Del 10/11/2026 al 20/11/2026"], ["Fecha", "Folio", "Clave", "Cantidad"],
                   ["12/11/2026", "T1", "A1", 2]])
    pv2 = preview_upload(manager, second, "ventas 2.xlsx")
    assert [w for w in pv2.warnings if "traslapa" in w] == [
        f"El periodo se traslapa con la carga #{res.upload_id} de la misma sucursal (01/11/2026 al 15/11/2026): "
        "los documentos con el mismo folio (o del mismo día, si no hay folio) se actualizan con este archivo y los "
        f"demás se suman. Si después deshace esta carga, esos documentos vuelven a como los dejó la carga "
        f"#{res.upload_id}."]
    corrected = xlsx([["Sucursal: Centro"], ["Del 01/11/2026 al 15/11/2026"], ["Fecha", "Clave", "Cantidad", "Importe"],
                      ["03/11/2026", "A1", 2, 20]])
    assert f"Reemplazará la carga #{res.upload_id} del mismo periodo y sucursal." in preview_upload(
        manager, corrected, "ventas 1 corregido.xlsx").warnings
