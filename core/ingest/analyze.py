"""Understand an uploaded file: sheet, header, mapping, kind, store, dates, clean rows, rejects."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Mapping
from operator import itemgetter
from typing import Any

import numpy as np
import pandas as pd

from core.ingest import context
from core.ingest.clean import to_dates, to_numbers, to_text
from core.ingest.errors import IngestError
from core.ingest.header import FIELD_LABELS, SYNONYMS, HeaderGuess, find_header, normalize
from core.ingest.limits import col_letter
from core.ingest.preview import KIND_LABELS, Preview
from core.ingest.read import RawSheet, read_sheets
from core.ingest.sniff import sniff
from core.ingest.util import keep_alive, paused_gc, phase
from core.text import plural

_FEMININE = {"existencia", "cantidad"}
CODE_HEADERS = {normalize(s) for s in SYNONYMS["codigo"]}
_MAX_ABS = 1e12
REQUIRED = {"inventory": ("codigo", "existencia"), "sales": ("codigo", "fecha")}
# "sub - total": (?:-\s*)? rather than -?\s* so that two \s* never meet (quadratic on blank runs).
_TOTAL_RE = re.compile(r"^\s*(sub\s*(?:-\s*)?total|total|gran total|suma|totales)\b", re.IGNORECASE)
_MAX_CODE = 50


def detect_kind(mapping: Mapping[str, int]) -> str | None:
    """Sales: dates with quantities or amounts; inventory: a stock column (or quantities, no dates)."""
    if "codigo" not in mapping:
        return None
    stock = "existencia" in mapping
    # An amount next to a stock column is the stock's value, not a sale.
    if "fecha" in mapping and ("cantidad" in mapping or ("importe" in mapping and not stock)):
        return "sales"
    if stock or ("cantidad" in mapping and "fecha" not in mapping):
        return "inventory"
    return None


def _pick_sheet(sheets: list[RawSheet]) -> tuple[RawSheet, HeaderGuess, list[str]]:
    """The sheet whose header names the most fields (the first one on a tie), and the other
    sheets that also look like data."""
    best: tuple[RawSheet, HeaderGuess] | None = None
    candidates = []
    for sheet in sheets:
        guess = find_header(sheet.head, sheet.merged)
        if guess and detect_kind(guess.mapping):
            candidates.append(sheet.name)
        if guess and (best is None or guess.score > best[1].score):
            best = (sheet, guess)
    if best is None:
        raise IngestError(
            "No se reconoce el archivo como inventario ni como ventas: en ninguna hoja hay "
            "encabezados como Clave, Descripción, Existencia, Fecha, Cantidad o Importe."
        )
    return best[0], best[1], [c for c in candidates if c != best[0].name]


def _column_labels(labels: list[str], width: int) -> list[str]:
    """One display label per column: its header text, or its letter when blank."""
    out = []
    for i in range(width):
        text = labels[i].strip() if i < len(labels) and labels[i] else ""
        letter = col_letter(i)
        out.append(f"{letter}: {text}" if text else f"{letter}: (sin encabezado)")
    return out


def analyze(
    data: bytes,
    filename: str,
    *,
    max_mb: float,
    kind: str | None = None,
    store: str | None = None,
    mapping: Mapping[str, int | None] | None = None,
) -> Preview:
    """Read, understand and clean a file into a Preview; raise IngestError when it is refused."""
    with paused_gc():
        return _analyze(data, filename, max_mb=max_mb, kind=kind, store=store, mapping=mapping)


def _analyze(
    data: bytes,
    filename: str,
    *,
    max_mb: float,
    kind: str | None,
    store: str | None,
    mapping: Mapping[str, int | None] | None,
) -> Preview:
    """The body of analyze."""
    with phase("sniff"):
        sniffed = sniff(data, filename, max_mb=max_mb)
    sheet, guess, others = _pick_sheet(read_sheets(data, sniffed))
    with phase("cells"):
        rows = sheet.rows()
    keep_alive(rows)  # in the analysis child, never freed cell by cell (see keep_alive)
    width = max((len(r) for r in rows[guess.first : guess.last + 60]), default=len(guess.labels))
    cols = dict(guess.mapping)
    for field, col in (mapping or {}).items():
        cols.pop(field, None)
        if col is not None and 0 <= int(col) < width:
            cols = {f: c for f, c in cols.items() if c != int(col)}
            cols[field] = int(col)
    detected = detect_kind(guess.mapping)
    chosen = kind or detect_kind(cols)
    titles = rows[: guess.first]
    data_rows, first_data = rows[guess.last + 1 :], guess.last + 2
    del rows  # only the data rows are needed from here on
    pv = Preview(
        filename=filename,
        sha256=hashlib.sha256(data).hexdigest(),
        size=len(data),
        fmt=sniffed.fmt,
        sheet=sheet.name,
        header_first=guess.first + 1,
        header_last=guess.last + 1,
        columns=_column_labels(guess.labels, width),
        mapping=cols,
        kind=chosen,
        detected_kind=detected,
    )
    if sniffed.note:
        pv.warnings.append(sniffed.note)
    if others:
        pv.warnings.append(
            f"El libro tiene más hojas con datos ({', '.join(others[:5])}); se leyó solo «{sheet.name}». "
            "Suba cada hoja como un archivo aparte."
        )
    if chosen is None:
        found = ", ".join(FIELD_LABELS[f] for f in cols) or "ninguna"
        pv.problems.append(
            "No se reconoce el archivo como inventario (clave y existencia) ni como ventas "
            f"(clave, fecha y cantidad o importe). Columnas reconocidas: {found}. Corríjalas arriba, en "
            "«Columnas reconocidas (puede corregirlas)»: elija cuál es la Clave y cuál la Existencia, o la "
            "Fecha y la Cantidad."
        )
        pv.cli_hints.append("indique el tipo con --kind inventory o --kind sales")
        return pv
    if (kind == "inventory" and "existencia" not in cols and "fecha" in cols
            and "existencia" not in (mapping or {})):
        # Forced to inventory, a sales file would load its units sold as stock.
        pv.problems.append(
            "El archivo no tiene columna de existencia y sí tiene Fecha: parece de ventas, no de inventario. "
            "Cambie el tipo a Ventas, o elija la columna de existencia en «Columnas reconocidas»."
        )
        pv.cli_hints.append("cambie el tipo con --kind sales")
        return pv
    if chosen == "inventory" and "existencia" not in cols and "cantidad" in cols:
        cols["existencia"] = cols.pop("cantidad")
    missing = [FIELD_LABELS[f] for f in REQUIRED[chosen] if f not in cols]
    if chosen == "sales" and not ({"cantidad", "importe"} & cols.keys()):
        missing.append("Cantidad o Importe")
    if missing:
        pv.problems.append(
            f"Para un archivo de {KIND_LABELS[chosen].lower()} faltan las columnas: {', '.join(missing)}."
        )
        return pv
    _store_context(pv, store, titles, sheet.name, filename)
    # A sales report "al 31/01/2025" is a cut-off date, not a one-day period.
    _title_from, _title_to = context.range_from_titles(titles, single=chosen == "inventory")
    _clean_rows(pv, data_rows, first_data, (_title_from, _title_to))
    if pv.rows.empty:
        pv.problems.append("El archivo no tiene filas de datos válidas para cargar.")
    return pv


def _store_context(pv: Preview, override: str | None, titles: list, sheet: str, filename: str) -> None:
    """File-level store: the user's choice, then a title cell, the sheet name, the file name."""
    if override and override.strip():
        pv.store, pv.store_source = override.strip(), "usuario"
        return
    for source, found in (
        ("título", context.store_from_titles(titles)),
        ("hoja", context.store_from_name(sheet)),
        ("nombre del archivo", context.store_from_name(filename)),
    ):
        if found:
            pv.store, pv.store_source = found, source
            return


def _rectangular(rows: list[list[Any]]) -> list[list[Any]]:
    """Pad short rows with "" (CSV and HTML rows may be ragged; workbook rows never are)."""
    widths = set(map(len, rows))
    if len(widths) <= 1:
        return rows
    width = max(widths)
    return [r + [""] * (width - len(r)) if len(r) < width else r for r in rows]


def _col(rows: list[list[Any]], idx: int | None) -> list[Any]:
    """One column of the (rectangular) data rows; "" beyond their width."""
    if idx is None or not rows or idx >= len(rows[0]):
        return [""] * len(rows)
    return list(map(itemgetter(idx), rows))


def _clean_rows(pv: Preview, raw_rows: list[list[Any]], first_row: int, title_range: tuple) -> None:
    """Clean every data row and split them into accepted rows, rejects and skipped lines."""
    n = len(raw_rows)
    data = _rectangular(raw_rows)
    m = pv.mapping
    fila = np.arange(first_row, first_row + n)
    codes = to_text(_col(data, m.get("codigo")))
    reasons = np.full(n, None, dtype=object)
    frame: dict[str, Any] = {"fila": fila, "codigo": codes.to_numpy()}
    raw: dict[str, list[Any]] = {}
    numbers: dict[str, np.ndarray] = {}
    for field in ("existencia", "stock_minimo", "stock_maximo", "punto_reorden", "cantidad", "importe", "precio", "costo"):
        if field in m:
            raw[field] = _col(data, m[field])
            values, bad = to_numbers(raw[field])
            numbers[field] = values
            label = FIELD_LABELS[field]
            _reject(reasons, bad, f"{label} no {'numérica' if field in _FEMININE else 'numérico'}", raw[field])
            # NUMERIC(15,2) and (18,5) columns: anything this big is a misread, not a quantity.
            _reject(reasons, np.abs(np.nan_to_num(values)) >= _MAX_ABS, f"{label} fuera de rango", raw[field])
    for field in ("descripcion", "almacen", "folio", "cliente", "unidad", "categoria"):
        if field in m:
            frame[field] = to_text(_col(data, m[field])).to_numpy()
    has_code = pd.notna(frame["codigo"])
    # Codes repeat a lot: test each distinct code once.
    distinct = pd.unique(frame["codigo"][has_code])
    # Totals, and the header repeated on every printed page of a long report ("Clave", "SKU"…).
    total_codes = [c for c in distinct if _TOTAL_RE.match(c) or normalize(c) in CODE_HEADERS]
    long_codes = [c for c in distinct if len(c) > _MAX_CODE]
    value_fields = [f for f in numbers if f not in ("precio", "costo")]
    any_value = np.zeros(n, bool)
    for f in value_fields:
        any_value |= ~np.isnan(numbers[f])
    if pv.kind == "sales":
        any_value |= _sales(pv, data, frame, numbers, reasons, has_code)
    else:
        _inventory(frame, numbers)
    # Lines that are not data: blank rows, section titles, totals, subtotals and footnotes.
    totals = pd.Series(frame["codigo"]).isin(total_codes).to_numpy() if total_codes else np.zeros(n, bool)
    no_code_idx = np.flatnonzero(~has_code)
    for i in no_code_idx:
        if any(isinstance(c, str) and _TOTAL_RE.search(c) for c in data[i]):
            totals[i] = True
    has_desc = pd.notna(frame["descripcion"]) if "descripcion" in frame else np.zeros(n, bool)
    skip = totals | (~any_value & (~has_code | ~has_desc)) | (~has_code & ~any_value)
    reasons[~has_code & ~skip & (reasons == None)] = "Falta la clave del producto"  # noqa: E711
    long_code = pd.Series(frame["codigo"]).isin(long_codes).to_numpy() if long_codes else np.zeros(n, bool)
    reasons[long_code & ~skip & (reasons == None)] = f"Clave de más de {_MAX_CODE} caracteres"  # noqa: E711
    _assign_stores(pv, frame, reasons, skip)
    reasons[skip] = None
    rejected = ~skip & (reasons != None)  # noqa: E711
    accepted = ~skip & ~rejected
    if pv.kind == "inventory":
        _reject_repeated(frame, reasons, accepted, rejected)
    pv.skipped = int(skip.sum())
    pv.rejected = [{"row": int(fila[i]), "reason": str(reasons[i])} for i in np.flatnonzero(rejected)]
    # Only the accepted rows, one array per column: no DataFrame of every row filtered and re-indexed
    # afterwards (two copies), and copy=False keeps pandas from stacking same-typed columns (a third).
    # Text stays as Python objects (no conversion to Arrow strings: nothing here needs it).
    pv.rows = pd.DataFrame({k: np.asarray(v)[accepted] for k, v in frame.items()}, copy=False)
    _date_range(pv, title_range)
    _value_notes(pv, fila[accepted], {k: v[accepted] for k, v in numbers.items()}, frame.get("folio"), accepted)


def _value_notes(pv: Preview, fila: np.ndarray, numbers: dict[str, np.ndarray], folio: Any, accepted: np.ndarray) -> None:
    """What the user should know before confirming: stock read as 0 or negative; documents made per day."""

    def rows(mask: np.ndarray) -> str:
        shown = ", ".join(str(f) for f in fila[mask][:8]) + ("…" if mask.sum() > 8 else "")
        return f"{plural(int(mask.sum()), 'fila', 'filas')} ({shown})"

    if pv.kind == "inventory" and "existencia" in numbers:
        blank, negative = np.isnan(numbers["existencia"]), numbers["existencia"] < 0
        if blank.any():
            pv.warnings.append(f"{rows(blank)} sin existencia: se cargan como 0.")
        if negative.any():
            pv.warnings.append(f"{rows(negative)} con existencia negativa: se cargan así; revise que sea correcto.")
    elif pv.kind == "sales" and accepted.any() and (folio is None or pd.isna(folio[accepted]).any()):
        pv.warnings.append("El archivo no trae folio o ticket en todas las filas: se guardará un documento por "
                           "sucursal y día (así se cuentan «Documentos» y «Ticket promedio» en el tablero).")


def _reject_repeated(frame: dict[str, Any], reasons: np.ndarray, accepted: np.ndarray, rejected: np.ndarray) -> None:
    """A stock file lists each product once per almacén: earlier repeats are rejected, the last row counts."""
    idx = np.flatnonzero(accepted)
    keys = pd.DataFrame({"c": frame["codigo"][idx], "a": frame["almacen"][idx], "f": frame["fila"][idx]})
    dup = keys.duplicated(["c", "a"], keep="last").to_numpy()
    if not dup.any():
        return
    last = {(c, a): f for c, a, f in keys.drop_duplicates(["c", "a"], keep="last").itertuples(index=False)}
    for pos in np.flatnonzero(dup):
        i = idx[pos]
        reasons[i] = f"Clave repetida en el archivo (cuenta la fila {last[(keys.c.iat[pos], keys.a.iat[pos])]})"
        accepted[i], rejected[i] = False, True


def _reject(reasons: np.ndarray, bad: np.ndarray, label: str, raw: list[Any]) -> None:
    """Give each bad, not yet rejected row its reason with the original value."""
    for i in np.flatnonzero(bad & (reasons == None)):  # noqa: E711
        reasons[i] = f"{label}: «{str(raw[i]).strip()[:40]}»"


def _inventory(frame: dict[str, Any], numbers: dict[str, np.ndarray]) -> None:
    """Stock columns; a blank stock cell is zero (that is how many systems print it)."""
    frame["existencia"] = np.nan_to_num(numbers["existencia"], nan=0.0)
    for f in ("stock_minimo", "stock_maximo", "punto_reorden", "precio", "costo"):
        if f in numbers:
            frame[f] = numbers[f]


def _ffill(values: np.ndarray) -> np.ndarray:
    """Forward-fill None (grouped reports print the folio/fecha once per document)."""
    return pd.Series(values, dtype=object).ffill().to_numpy()


def _sales(pv: Preview, data: list[list[Any]], frame: dict, numbers: dict, reasons: np.ndarray, has_code: np.ndarray) -> np.ndarray:
    """Dates, quantities, amounts and prices of sales lines; returns rows that carry a value."""
    n = len(data)
    raw_dates = _col(data, pv.mapping["fecha"])
    fechas, bad = to_dates(raw_dates)
    if bad.any():
        # Dates that fail day first but all read month first come from a US-configured system.
        alt, alt_bad = to_dates(raw_dates, month_first=True)
        if not alt_bad.any():
            fechas, bad = alt, alt_bad
            pv.warnings.append("Las fechas vienen con el mes primero (mm/dd/aaaa); se leyeron así.")
    fecha = fechas.to_numpy()
    if "folio" in frame:
        filled = _ffill(frame["folio"])
        # Grouped reports print the folio and date once per document: fill them down within it.
        need = pd.isna(fecha) & ~bad & np.r_[False, filled[1:] == filled[:-1]]
        if need.any():
            by_doc = pd.Series(fecha).groupby(pd.Series(filled)).ffill().to_numpy()
            fecha = np.where(need, by_doc, fecha)
        frame["folio"] = np.where(has_code, filled, frame["folio"])
    _reject(reasons, bad, "Fecha no válida", raw_dates)
    nan = np.full(n, np.nan)
    cant = numbers.get("cantidad", nan)
    imp = numbers.get("importe", nan)
    precio = numbers.get("precio", nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        cant = np.where(np.isnan(cant) & ~np.isnan(imp) & (precio > 0), imp / precio, cant)
        imp = np.where(np.isnan(imp) & ~np.isnan(cant) & ~np.isnan(precio), cant * precio, imp)
        precio = np.where(np.isnan(precio) & ~np.isnan(imp) & (cant != 0), imp / cant, precio)
    if "cantidad" not in numbers:
        pv.warnings.append("El archivo no trae cantidades: se calculan con importe / precio, o quedan en 0.")
        cant = np.nan_to_num(cant, nan=0.0)
    if "importe" not in numbers and "precio" not in numbers:
        pv.warnings.append("El archivo no trae importes ni precios: las ventas se cargan con importe 0.")
    carries = ~np.isnan(cant) | ~np.isnan(imp)
    imp = np.nan_to_num(imp, nan=0.0)
    # Returns: an amount follows the sign of its quantity.
    imp = np.where((cant < 0) & (imp > 0), -imp, imp)
    blank_date = pd.isna(fecha) & ~bad
    open_ = reasons == None  # noqa: E711
    reasons[has_code & blank_date & carries & open_] = "Falta la fecha"
    reasons[has_code & np.isnan(cant) & carries & (reasons == None)] = "Falta la cantidad"  # noqa: E711
    reasons[has_code & ~carries & ~blank_date & (reasons == None)] = "Sin cantidad ni importe"  # noqa: E711
    future = np.datetime64(dt.date.today() + dt.timedelta(days=2))
    reasons[has_code & (fecha >= future) & (reasons == None)] = "Fecha en el futuro"  # noqa: E711
    frame["fecha"] = fecha
    frame["cantidad"] = np.nan_to_num(cant, nan=0.0)
    frame["importe"] = np.round(imp, 2)
    frame["precio"] = precio
    return carries | ~pd.isna(fecha)


def _assign_stores(pv: Preview, frame: dict, reasons: np.ndarray, skip: np.ndarray) -> None:
    """Each row's store: the user's override, the store column, else the file-level store."""
    n = len(frame["fila"])
    column = frame.get("almacen")
    if pv.store_source == "usuario" or column is None:
        frame["almacen"] = np.full(n, pv.store, dtype=object)
    else:
        frame["almacen"] = np.where(pd.isna(column), pv.store, column)
        seen = pd.unique(pd.Series(frame["almacen"][~skip]).dropna())
        if len(seen) == 1:
            pv.store, pv.store_source = str(seen[0]), "columna"
        elif len(seen) > 1:
            pv.store, pv.store_source = None, "columna"
            pv.stores = sorted(str(s) for s in seen)
    missing = pd.isna(frame["almacen"])
    if missing[~skip].all() and (~skip).any():
        pv.problems.append(
            "No se encontró la sucursal (ni en una columna, ni en el título, la hoja o el nombre "
            "del archivo): escríbala en «Sucursal» antes de cargar."
        )
        pv.cli_hints.append("indique la sucursal con --store NOMBRE")
    else:
        reasons[missing & (reasons == None)] = "Falta la sucursal"  # noqa: E711


def _date_range(pv: Preview, title_range: tuple[dt.date | None, dt.date | None]) -> None:
    """The period: from a title, else from the data; sales outside a title's period are rejected."""
    start, end = title_range
    if pv.kind == "sales" and not pv.rows.empty:
        fechas = pd.to_datetime(pv.rows["fecha"])
        if start and end:
            outside = (fechas.dt.date < start) | (fechas.dt.date > end)
            if outside.any():
                bad = pv.rows.loc[outside, "fila"].tolist()
                text = f"Fecha fuera del periodo del reporte ({start:%d/%m/%Y} al {end:%d/%m/%Y})"
                pv.rejected = sorted(pv.rejected + [{"row": int(r), "reason": text} for r in bad], key=lambda x: x["row"])
                pv.rows = pv.rows.loc[~outside].reset_index(drop=True)
            pv.date_source = "título"
        elif not fechas.empty:
            start, end = fechas.min().date(), fechas.max().date()
            pv.date_source = "datos"
    elif start:
        pv.date_source = "título"
    pv.date_from, pv.date_to = start, end
