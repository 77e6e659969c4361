"""Exports of the filtered list (every page) to Excel and CSV, Spanish headers, formula cells neutralised."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell

from core.export import neutralise_formula as neutralise
from core.inventory.listing import ORIGENES, InventoryFilter, filter_options, iter_all
from core.users import User, require

SHEET_TITLE = "Inventario"


def _yes_no(value: bool) -> str:
    return "Sí" if value else "No"


def table(user: User, f: InventoryFilter) -> tuple[list[str], list[list[Any]]]:
    """Headers and rows of the whole filtered view (all pages, the list's order)."""
    require(user, "inventory:read")
    almacenes = [a["nombre"] for a in filter_options(user)["almacenes"]]
    headers = ["Código", "Nombre", "Categoría", "Grupo", "Unidad", "Stock total",
               *[f"Stock {a}" for a in almacenes], "Mínimo", "Punto de reorden", "Máximo", "Precio",
               "Costo", "Bajo mínimo", "Última venta", "Última sincronización", "Activo", "Origen"]
    rows = []
    for p in iter_all(user, f):
        rows.append([
            p["codigo"], p["nombre"], p["categoria"], p["grupo"], p["unidad_medida"], p["stock_total"],
            *[p["existencias"].get(a) for a in almacenes],
            p["stock_minimo"], p["punto_reorden"], p["stock_maximo"], p["precio"], p["costo"],
            _yes_no(p["bajo_minimo"]), _as_datetime(p["ultima_venta"]), _as_datetime(p["last_synced_at"]),
            _yes_no(p["activo"]), ORIGENES.get(p["origen"], p["origen"]),
        ])
    return headers, [[neutralise(v) for v in row] for row in rows]


def _as_datetime(value: Any) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    if isinstance(value, date):
        return datetime.combine(value, datetime.min.time())
    return datetime.fromisoformat(str(value))


def to_xlsx(headers: list[str], rows: list[list[Any]]) -> bytes:
    """An .xlsx workbook with one sheet; dates as dd/mm/aaaa hh:mm."""
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(SHEET_TITLE)
    ws.append([neutralise(h) for h in headers])
    for row in rows:
        cells: list[Any] = []
        for value in row:
            if isinstance(value, datetime):
                cell = WriteOnlyCell(ws, value)
                cell.number_format = "dd/mm/yyyy hh:mm"
                cells.append(cell)
            else:
                cells.append(value)
        ws.append(cells)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _csv_text(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.strftime("%d/%m/%Y %H:%M")
    return "" if value is None else value


def to_csv(headers: list[str], rows: list[list[Any]]) -> bytes:
    """CSV in UTF-8 with BOM (Excel in Spanish opens it with its accents)."""
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow([neutralise(h) for h in headers])
    for row in rows:
        writer.writerow([_csv_text(v) for v in row])
    return buf.getvalue().encode("utf-8-sig")
