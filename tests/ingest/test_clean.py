"""core.ingest.clean, header and context: values, column mapping, store and period."""

from __future__ import annotations

import datetime as dt
import math

from core.ingest.clean import to_dates, to_numbers, to_text
from core.ingest.context import range_from_titles, store_from_name, store_from_titles
from core.ingest.header import find_header, match_columns


def test_numbers_as_mexican_exports_write_them():
    values, bad = to_numbers(["1,234.50", "$1,234", "(12)", "12-", "", None, 3.5, 7, "abc", "-", " 5 ", "$ -"])
    assert values[:4].tolist() == [1234.5, 1234.0, -12.0, -12.0]
    assert math.isnan(values[4]) and math.isnan(values[5])
    assert values[6:8].tolist() == [3.5, 7.0]
    assert values[9:].tolist() == [0.0, 5.0, 0.0]
    assert bad.tolist() == [False] * 8 + [True] + [False] * 3


def test_dates_day_first_spanish_months_serials_and_times():
    parsed, bad = to_dates([
        45678.0, "15/01/2025", "2025-01-15", "15-ene-2025", "15 de enero de 2025", "ENE-25",
        "03/02/2025 08:30", "03/02/2025 08:30 p. m.", dt.datetime(2025, 1, 2, 3, 4), dt.date(2025, 1, 3),
        "", "32/13/2025", "1 Sept 2025", "15-DIC-24",
    ])
    got = [None if v is None or v != v else v.to_pydatetime() for v in parsed.tolist()]
    assert got[:10] == [
        dt.datetime(2025, 1, 21), dt.datetime(2025, 1, 15), dt.datetime(2025, 1, 15), dt.datetime(2025, 1, 15),
        dt.datetime(2025, 1, 15), dt.datetime(2025, 1, 1), dt.datetime(2025, 2, 3, 8, 30),
        dt.datetime(2025, 2, 3, 20, 30), dt.datetime(2025, 1, 2, 3, 4), dt.datetime(2025, 1, 3),
    ]
    assert got[10] is None and got[11] is None
    assert got[12:] == [dt.datetime(2025, 9, 1), dt.datetime(2024, 12, 15)]
    assert bad.tolist() == [False] * 11 + [True, False, False]


def test_codes_as_text():
    assert to_text([123.0, " A1 ", "", None, 12.5, "00123", 7]).tolist() == ["123", "A1", None, None, "12.5", "00123", "7"]


def test_column_mapping_spanish_english_accents_and_specificity():
    mapping = match_columns(["CLAVE", "Artículo", "Existencia mínima", "EXISTENCIA", "Código de cliente",
                             "Importe venta", "Total piezas", "Sucursal", "No. Ticket"])
    assert mapping == {"codigo": 0, "descripcion": 1, "stock_minimo": 2, "existencia": 3, "cliente": 4,
                       "importe": 5, "cantidad": 6, "almacen": 7, "folio": 8}
    english = match_columns(["InvoiceNo", "StockCode", "Description", "Quantity", "InvoiceDate", "UnitPrice",
                             "CustomerID", "Country"])
    assert english == {"folio": 0, "codigo": 1, "descripcion": 2, "cantidad": 3, "fecha": 4, "precio": 5, "cliente": 6}


def test_header_below_titles_and_two_row_merged_header():
    guess = find_header([["Reporte"], ["Sucursal: Centro"], [], ["Clave", "Descripción", "Existencia"], ["A1", "x", 3.0]])
    assert (guess.first, guess.last, guess.mapping) == (3, 3, {"codigo": 0, "descripcion": 1, "existencia": 2})
    two = find_header(
        [["Producto", "", "Existencia", ""], ["Clave", "Descripción", "Actual", "Mínima"], ["A1", "x", 3.0, 1.0]],
        [(0, 2, 0, 3)],
    )
    assert (two.first, two.last) == (0, 1)
    assert two.mapping == {"codigo": 0, "descripcion": 1, "existencia": 2, "stock_minimo": 3}


def test_store_and_period_from_titles_and_names():
    assert store_from_titles([["Reporte de ventas"], ["Sucursal: Centro   Del 01/01/2025 al 31/01/2025"]]) == "Centro"
    assert store_from_titles([["SUCURSAL:", "NORTE"]]) == "Norte"
    assert store_from_name("VENTAS SUC CENTRO ENE 2025.xlsx") == "Centro"
    assert store_from_name("inventario_sucursal_plaza_sol_2025-01-31.xls") == "Plaza Sol"
    assert store_from_name("ventas enero.xlsx") is None
    assert range_from_titles([["Del 01/01/2025 al 31/01/2025"]]) == (dt.date(2025, 1, 1), dt.date(2025, 1, 31))
    assert range_from_titles([["Periodo: 1 de enero de 2025 - 31 de enero de 2025"]]) == (
        dt.date(2025, 1, 1), dt.date(2025, 1, 31))
    assert range_from_titles([["Existencias al 31/01/2025"]]) == (dt.date(2025, 1, 31), dt.date(2025, 1, 31))


def test_single_date_title_is_a_period_only_for_stock():
    assert range_from_titles([["Ventas acumuladas al 31/01/2025"]], single=False) == (None, None)
    assert range_from_titles([["Del 15/01/2025 al 15/01/2025"]], single=False) == (dt.date(2025, 1, 15), dt.date(2025, 1, 15))


def test_microsip_style_sales_columns_take_the_amount_before_tax():
    mapping = match_columns(["Fecha", "Folio", "Cliente", "Clave artículo", "Artículo", "Unidades",
                             "Precio unitario", "Importe neto", "Descuento", "Impuestos", "Total"])
    assert mapping == {"fecha": 0, "folio": 1, "cliente": 2, "codigo": 3, "descripcion": 4, "cantidad": 5,
                       "precio": 6, "importe": 7}
