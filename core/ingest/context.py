"""Store (sucursal) and date range from title rows, the sheet name or the file name."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Iterable
from typing import Any

from core.ingest.clean import MONTHS, parse_date
from core.ingest.limits import MAX_TITLE_CHARS

_STORE_WORDS = r"sucursal|suc|tienda|almac[eé]n|alm|bodega|store|branch"
_TITLE_STORE = re.compile(rf"^\s*(?:{_STORE_WORDS})\b\.?\s*[:#\-]?\s*(.*)$", re.IGNORECASE)
# Inside a longer title ("Inventario Sucursal: Plaza Sol") only with a colon.
_TITLE_STORE_IN = re.compile(rf"\b(?:{_STORE_WORDS})\b\.?\s*:\s*(.+)$", re.IGNORECASE)
_STOP_AFTER = re.compile(
    r"\s+(?:del|desde|periodo|per[ií]odo|fecha|al|corte|reporte|inventario|existencias|ventas)\b.*$"
    r"|\s{2,}.*$",
    re.IGNORECASE,
)
_NAME_STORE = re.compile(rf"\b(?:{_STORE_WORDS})\b\.?\s+(.+)$", re.IGNORECASE)
_MONTH_WORDS = "|".join(sorted(MONTHS, key=len, reverse=True))
# In a file name the store is the words after "SUC"/"Sucursal" up to a date, a number or a period word:
# "VENTAS SUC CENTRO 10 AL 20 NOV" -> Centro, "ventas sucursal Sur semana" -> Sur.
_PERIOD_WORDS = (
    r"lunes|martes|mi[eé]rcoles|jueves|viernes|s[aá]bado|domingo|semana|semanal|sem|quincena|quincenal"
    r"|mes|mensual|diario|d[ií]a|acumulado|hasta|desde|reporte|corte|del|al|inventario|existencias|ventas"
)
_NAME_STOP = re.compile(rf"\s+(?:{_MONTH_WORDS}|\d+|{_PERIOD_WORDS})\b.*$", re.IGNORECASE)
_DATE = (
    r"\d{1,2}[/-]\d{1,2}[/-]\d{2,4}|\d{4}-\d{1,2}-\d{1,2}"
    r"|\d{1,2}(?:\s+de)?[\s-]+[a-záéíóú]{3,10}\.?(?:\s+de)?[\s-]+\d{2,4}"
)
_RANGE = re.compile(
    rf"(?:del|desde|de|periodo:?|per[ií]odo:?|from)?\s*({_DATE})\s*(?:al|a|hasta|to|-|–)\s*({_DATE})",
    re.IGNORECASE,
)
_SINGLE = re.compile(rf"(?:al|corte|fecha:?|a la fecha|as of)\s*:?\s*({_DATE})", re.IGNORECASE)


_LONG_BLANK = re.compile(r"\s{9,}")


def _clip(text: str) -> str:
    """A title cell or name as the rules below read it: its first MAX_TITLE_CHARS characters, runs
    of blanks cut to eight. Several rules have two blank-matching parts in a row (quadratic on a
    long run) or end in `(.+)$` (rescanning a line per keyword); on bounded text their cost per
    cell is bounded, so reading titles is linear in the file. No title or store name is longer."""
    return _LONG_BLANK.sub(lambda m: m.group()[:8], text[:MAX_TITLE_CHARS])


def _nice(name: str) -> str | None:
    """Clean a detected store name: trimmed, no trailing punctuation, title case if shouted."""
    name = re.sub(r"[\s_]+", " ", name).strip(" .:-_#")
    if not name or len(name) > 60 or not re.search(r"[A-Za-zÁÉÍÓÚÑáéíóúñ0-9]", name):
        return None
    return name.title() if name.isupper() or name.islower() else name


def store_from_titles(rows: list[list[Any]]) -> str | None:
    """`Sucursal: Centro` in a cell, or `Sucursal:` with the name in the next cell."""
    for row in rows:
        cells = [_clip(c).strip() if isinstance(c, str) else "" for c in row]
        for i, cell in enumerate(cells):
            m = _TITLE_STORE.match(cell) or _TITLE_STORE_IN.search(cell)
            if not m:
                continue
            value = m.group(1)
            if not value:
                value = next((c for c in cells[i + 1:] if c), "")
            value = _STOP_AFTER.sub("", value)
            if (found := _nice(value)) is not None:
                return found
    # A title like "Ventas Tienda Oriente": the words after the store keyword.
    for row in rows:
        for cell in row:
            if isinstance(cell, str) and (found := store_from_name(_clip(cell).strip() + ".")):
                return found
    return None


def store_from_name(name: str) -> str | None:
    """`VENTAS SUC CENTRO ENE 2025.xlsx` -> Centro; also sheet names like `Sucursal Norte`."""
    stem = re.sub(r"\.[A-Za-z0-9]{2,4}$", "", _clip(name))
    stem = re.sub(r"[_\-]+", " ", stem)
    m = _NAME_STORE.search(stem)
    if not m:
        return None
    return _nice(_NAME_STOP.sub("", " " + m.group(1)).strip())


def range_from_titles(rows: list[list[Any]], *, single: bool = True) -> tuple[dt.date | None, dt.date | None]:
    """`Del 01/01/2025 al 31/01/2025` (a range) or, when `single`, `Existencias al 31/01/2025` (one day)."""
    for row in rows:
        for cell in row:
            if not isinstance(cell, str) or not cell.strip():
                continue
            cell = _clip(cell)
            m = _RANGE.search(cell)
            if m:
                a, b = parse_date(m.group(1)), parse_date(m.group(2))
                if a and b and a <= b:
                    return a, b
            m = _SINGLE.search(cell) if single else None
            if m and (d := parse_date(m.group(1))):
                return d, d
    return None, None


def fold(text: str) -> str:
    """Case- and accent-insensitive key for matching store names to almacenes."""
    raw = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return " ".join(re.split(r"[^a-z0-9]+", raw)).strip()


_STORE_PREFIX = re.compile(r"^(?:sucursal|suc|tienda|almacen|alm|bodega|store|branch)\b\s*")


def leading_match(name: str, keys: Iterable[str]) -> str | None:
    """The longest existing store key whose words start `name` ("centro 10" -> "centro")."""
    key = store_key(name)
    found = [k for k in keys if k and (key == k or key.startswith(k + " "))]
    return max(found, key=len) if found else None


def store_key(name: str) -> str:
    """Matching key of a store: folded, without a leading "Sucursal"/"Almacén"/"Tienda" word."""
    key = fold(name)
    return _STORE_PREFIX.sub("", key).strip() or key
