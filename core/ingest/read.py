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
from core.ingest.sniff import Sniffed

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
    sheets = []
    for meta in chosen:
        try:
            sheet = wb.get_sheet_by_name(meta.name)
            head = sheet.to_python(skip_empty_area=False, nrows=HEAD_ROWS)
        except pc.PasswordError as exc:
            raise IngestError("El libro está protegido con contraseña; quítela en Excel y vuelva a subirlo.") from exc
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
    """Delimited text; every cell stays a string until cleaning."""
    delim = _sniff_delimiter(text)
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delim))
    return RawSheet("CSV", rows[:HEAD_ROWS], partial(list, rows))


class _TableParser(HTMLParser):
    """Collect every <table> as rows of cell texts, repeating nothing for colspan."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tables: list[list[Row]] = []
        self._stack: list[list[Row]] = []
        self._cell: list[str] | None = None
        self._span = 1

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("td", "th", "tr", "table"):
            self._flush()  # old exports often never close <td> or <tr>
        if tag == "table":
            self._stack.append([])
        elif tag == "tr" and self._stack:
            self._stack[-1].append([])
        elif tag in ("td", "th") and self._stack:
            if not self._stack[-1]:
                self._stack[-1].append([])
            self._cell = []
            span = dict(attrs).get("colspan") or "1"
            self._span = int(span) if span.isdigit() else 1
        elif tag == "br" and self._cell is not None:
            self._cell.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th", "tr"):
            self._flush()
        elif tag == "table" and self._stack:
            self._flush()
            self.tables.append(self._stack.pop())

    def _flush(self) -> None:
        """Close the open cell, if any, into the current row."""
        if self._cell is not None and self._stack and self._stack[-1]:
            self._stack[-1][-1].extend([" ".join("".join(self._cell).split())] + [""] * (self._span - 1))
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
    sheets = []
    for ws in root.iter(f"{_SS}Worksheet"):
        rows: list[Row] = []
        for row in ws.iter(f"{_SS}Row"):
            idx = row.get(f"{_SS}Index")
            while idx and len(rows) < int(idx) - 1:
                rows.append([])
            cells: Row = []
            for cell in row.iter(f"{_SS}Cell"):
                cidx = cell.get(f"{_SS}Index")
                while cidx and len(cells) < int(cidx) - 1:
                    cells.append("")
                node = cell.find(f"{_SS}Data")
                cells.append(_xml_value(node))
            rows.append(cells)
        sheets.append(RawSheet(ws.get(f"{_SS}Name") or "Hoja", rows[:HEAD_ROWS], partial(list, rows)))
    if not sheets:
        raise IngestError("El libro XML de Excel no tiene hojas.")
    return sheets


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
