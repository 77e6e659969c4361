"""Read any supported format into plain sheets of rows (cells as Python values)."""

from __future__ import annotations

import csv
import io
import logging
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from html.parser import HTMLParser
from typing import Any

import python_calamine as pc

from core.ingest.errors import IngestError
from core.ingest.limits import (
    MAX_CELLS,
    MAX_COLS,
    MAX_COLSPAN,
    MAX_ROWS,
    CellBudget,
    check_grid,
    check_sheet_count,
)
from core.ingest.sniff import Sniffed
from core.ingest.util import phase
from core.ingest.xlsx_scan import scan_workbook

log = logging.getLogger(__name__)

HEAD_ROWS = 40
Row = list[Any]


@dataclass
class RawSheet:
    """One sheet (or HTML table): its name, first rows and a loader for all rows."""

    name: str
    head: list[Row]
    loader: Callable[[], list[Row]] | None
    merged: list[tuple[int, int, int, int]] = field(default_factory=list)  # r1, c1, r2, c2

    def rows(self) -> list[Row]:
        """All rows (row i is the sheet's row i + 1); once: the reader's buffers are freed after."""
        if self.loader is None:
            raise RuntimeError("sheet rows already taken")
        loader, self.loader = self.loader, None
        return loader()


def read_sheets(data: bytes, sniffed: Sniffed) -> list[RawSheet]:
    """Sheets of a workbook, tables of an HTML page or the one table of a CSV."""
    if sniffed.fmt in ("xlsx", "xls", "ods"):
        if sniffed.fmt == "xlsx":
            with phase("scan"):
                scan_workbook(data)  # before calamine allocates each sheet's grid
        with phase("parse"):
            return _read_calamine(data)
    text = data.decode(sniffed.encoding or "utf-8", errors="replace")
    if text.startswith("\ufeff"):
        text = text[1:]
    if sniffed.fmt == "html":
        return _read_html(text)
    if sniffed.fmt == "xml2003":
        return _read_xml2003(data)
    return [_read_csv(text)]


def _read_calamine(data: bytes) -> list[RawSheet]:
    """Workbook sheets through python-calamine (fast; never runs macros)."""
    try:
        wb = pc.CalamineWorkbook.from_filelike(io.BytesIO(data))
        metas = wb.sheets_metadata
    except pc.PasswordError as exc:
        raise IngestError("El libro está protegido con contraseña; quítela en Excel y vuelva a subirlo.") from exc
    except Exception as exc:  # calamine raises several types for broken files
        raise IngestError(f"El libro de Excel está dañado y no se puede leer ({type(exc).__name__}).") from exc
    visible = [m for m in metas if str(m.typ).endswith("WorkSheet") and str(m.visible).endswith(".Visible")]
    chosen = visible or [m for m in metas if str(m.typ).endswith("WorkSheet")]
    check_sheet_count(len(chosen))
    budget = CellBudget()
    sheets = []
    for meta in chosen:
        try:
            sheet = wb.get_sheet_by_name(meta.name)
            # The grid we build runs from A1 to the sheet's last cell: check it before building it.
            end = sheet.end
            if end is not None:
                budget.take(meta.name, rows=end[0] + 1, cols=end[1] + 1)
            head = sheet.to_python(skip_empty_area=False, nrows=HEAD_ROWS)
        except pc.PasswordError as exc:
            raise IngestError("El libro está protegido con contraseña; quítela en Excel y vuelva a subirlo.") from exc
        except IngestError:
            raise
        except Exception as exc:
            raise IngestError(f"No se pudo leer la hoja «{meta.name}» ({type(exc).__name__}).") from exc
        merged = []
        for rng in sheet.merged_cell_ranges or []:
            try:
                (r1, c1), (r2, c2) = rng
                merged.append((r1, c1, r2, c2))
            except (TypeError, ValueError):
                continue
        sheets.append(RawSheet(meta.name, head, partial(sheet.to_python, skip_empty_area=False), merged))
    return sheets


def _sniff_delimiter(text: str) -> str:
    """The delimiter that splits the first lines most consistently."""
    lines = [ln for ln in text[:65536].splitlines()[:50] if ln.strip()]
    best, best_score = ",", -1.0
    for delim in ("\t", ";", ",", "|"):
        counts = [ln.count(delim) for ln in lines]
        if not counts or max(counts) == 0:
            continue
        top = max(set(counts), key=counts.count)
        score = counts.count(top) * top
        if score > best_score:
            best, best_score = delim, score
    return best


def _read_csv(text: str) -> RawSheet:
    """Delimited text; every cell stays a string until cleaning (rows padded later: grid capped)."""
    delim = _sniff_delimiter(text)
    rows: list[Row] = []
    width = 0
    for row in csv.reader(io.StringIO(text, newline=""), delimiter=delim):
        if len(row) > width:
            width = len(row)
            check_grid("CSV", rows=len(rows) + 1, cols=width)
        rows.append(row)
    check_grid("CSV", rows=len(rows), cols=width)
    return RawSheet("CSV", rows[:HEAD_ROWS], partial(list, rows))


class _TableParser(HTMLParser):
    """Collect every <table> as rows of cell texts, repeating nothing for colspan.

    Each table's grid (its rows, padded later to the widest one) is checked against the caps as
    it grows, and all tables share one cell budget.
    """

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tables: list[list[Row]] = []
        self._stack: list[list[Row]] = []
        self._widths: list[int] = []
        self._budget = CellBudget()
        self._cell: list[str] | None = None
        self._span = 1

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("td", "th", "tr", "table"):
            self._flush()  # old exports often never close <td> or <tr>
        if tag == "table":
            self._stack.append([])
            self._widths.append(0)
        elif tag == "tr" and self._stack:
            self._stack[-1].append([])
            self._check(self._widths[-1])
        elif tag in ("td", "th") and self._stack:
            if not self._stack[-1]:
                self._stack[-1].append([])
            self._cell = []
            span = (dict(attrs).get("colspan") or "1").strip()
            # Clamped as browsers do (HTML standard); rowspan is never expanded here.
            self._span = min(int(span), MAX_COLSPAN) if span.isdigit() and int(span) > 0 else 1
        elif tag == "br" and self._cell is not None:
            self._cell.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th", "tr"):
            self._flush()
        elif tag == "table" and self._stack:
            self._flush()
            table, width = self._stack.pop(), self._widths.pop()
            self._budget.take(self._name(), rows=len(table), cols=width)
            self.tables.append(table)
            check_sheet_count(len(self.tables))

    def _name(self) -> str:
        return f"Tabla {len(self.tables) + 1}"

    def _check(self, width: int) -> None:
        """The open table's grid, at `width` columns, within the caps and the cells left."""
        rows = len(self._stack[-1])
        if width > MAX_COLS or rows > MAX_ROWS or rows * width > min(MAX_CELLS, self._budget.left):
            self._budget.take(self._name(), rows=rows, cols=width)

    def _flush(self) -> None:
        """Close the open cell, if any, into the current row."""
        if self._cell is not None and self._stack and self._stack[-1]:
            row = self._stack[-1][-1]
            if len(row) + self._span > self._widths[-1]:
                self._widths[-1] = len(row) + self._span
                self._check(self._widths[-1])
            row.extend([" ".join("".join(self._cell).split())] + [""] * (self._span - 1))
        self._cell = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def _read_html(text: str) -> list[RawSheet]:
    """Tables of an HTML page saved as .xls by many web systems."""
    parser = _TableParser()
    parser.feed(text)
    parser.close()
    tables = [t for t in parser.tables if t]
    if not tables:
        raise IngestError("El archivo es una página web sin tabla de datos.")
    return [RawSheet(f"Tabla {i + 1}", t[:HEAD_ROWS], partial(list, t)) for i, t in enumerate(tables)]


_SS = "{urn:schemas-microsoft-com:office:spreadsheet}"


def _read_xml2003(data: bytes) -> list[RawSheet]:
    """Excel 2003 XML Spreadsheet (SpreadsheetML), another common fake .xls."""
    try:
        root = ET.fromstring(data)
    except ET.ParseError as exc:
        raise IngestError("El libro XML de Excel está dañado y no se puede leer.") from exc
    sheets: list[RawSheet] = []
    budget = CellBudget()
    for ws in root.iter(f"{_SS}Worksheet"):
        name = ws.get(f"{_SS}Name") or "Hoja"
        check_sheet_count(len(sheets) + 1)
        rows = _xml_rows(ws, name, budget)
        sheets.append(RawSheet(name, rows[:HEAD_ROWS], partial(list, rows)))
    if not sheets:
        raise IngestError("El libro XML de Excel no tiene hojas.")
    return sheets


def _xml_index(node: ET.Element, after: int, limit: int, sheet: str) -> int:
    """A row's or cell's ss:Index (1-based), or the next position; checked before padding up to it."""
    raw = node.get(f"{_SS}Index")
    if raw is None:
        return after + 1
    idx = int(raw) if raw.strip().isdigit() else 0
    if idx <= after:  # a repeated or backward index: the next position, as before
        return after + 1
    if idx > limit:
        is_row = node.tag == f"{_SS}Row"
        check_grid(sheet, rows=idx if is_row else 1, cols=1 if is_row else idx)
    return idx


def _xml_rows(ws: ET.Element, sheet: str, budget: CellBudget) -> list[Row]:
    """A SpreadsheetML sheet's rows, padded by ss:Index only within the caps (checked first)."""
    rows: list[Row] = []
    width = 0
    for row in ws.iter(f"{_SS}Row"):
        idx = _xml_index(row, len(rows), MAX_ROWS, sheet)
        cells: Row = []
        for cell in row.iter(f"{_SS}Cell"):
            cidx = _xml_index(cell, len(cells), MAX_COLS, sheet)
            width = max(width, cidx)
            if idx * width > MAX_CELLS:
                check_grid(sheet, rows=idx, cols=width)
            cells.extend([""] * (cidx - 1 - len(cells)))
            cells.append(_xml_value(cell.find(f"{_SS}Data")))
        if idx * max(width, 1) > MAX_CELLS:
            check_grid(sheet, rows=idx, cols=max(width, 1))
        rows.extend([] for _ in range(idx - 1 - len(rows)))
        rows.append(cells)
    budget.take(sheet, rows=len(rows), cols=width)
    return rows


def _xml_value(node: ET.Element | None) -> Any:
    """A SpreadsheetML <Data> element as a Python value."""
    if node is None or node.text is None:
        return ""
    kind = node.get(f"{_SS}Type")
    if kind == "Number":
        try:
            return float(node.text)
        except ValueError:
            return node.text
    if kind == "DateTime":
        try:
            return datetime.fromisoformat(node.text[:19])
        except ValueError:
            return node.text
    return node.text
