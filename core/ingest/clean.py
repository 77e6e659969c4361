"""Vectorised cleaning of cell values: codes, numbers and dates as Mexican files write them."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

MONTHS = {
    "enero": 1, "ene": 1, "january": 1, "jan": 1,
    "febrero": 2, "feb": 2, "february": 2,
    "marzo": 3, "mar": 3, "march": 3,
    "abril": 4, "abr": 4, "april": 4, "apr": 4,
    "mayo": 5, "may": 5,
    "junio": 6, "jun": 6, "june": 6,
    "julio": 7, "jul": 7, "july": 7,
    "agosto": 8, "ago": 8, "august": 8, "aug": 8,
    "septiembre": 9, "setiembre": 9, "sept": 9, "sep": 9, "set": 9, "september": 9,
    "octubre": 10, "oct": 10, "october": 10,
    "noviembre": 11, "nov": 11, "november": 11,
    "diciembre": 12, "dic": 12, "december": 12, "dec": 12,
}
_MONTH_RE = re.compile(r"\b(" + "|".join(sorted(MONTHS, key=len, reverse=True)) + r")\b\.?")
_ACCENTS = str.maketrans("áéíóúüÁÉÍÓÚÜ", "aeiouuAEIOUU")
# Day first always (Mexico); month-year forms last so "01 2025" is not read as a day.
_DATE_FORMATS = (
    "%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M", "%d/%m/%Y %I:%M:%S %p", "%d/%m/%Y %I:%M %p", "%d/%m/%Y",
    "%d/%m/%y %H:%M:%S", "%d/%m/%y %H:%M", "%d/%m/%y",
    "%d-%m-%Y %H:%M:%S", "%d-%m-%Y %H:%M", "%d-%m-%Y", "%d-%m-%y",
    "%d %m %Y %H:%M:%S", "%d %m %Y %H:%M", "%d %m %Y", "%d %m %y", "%d.%m.%Y", "%d.%m.%y",
    "%Y/%m/%d %H:%M:%S", "%Y/%m/%d", "%Y%m%d",
    "%m-%y", "%m-%Y", "%m/%Y", "%m/%y", "%m %Y", "%m %y",
)
# The same forms month first (mm/dd/aaaa), for files from systems set up in US English.
_MONTH_FIRST_FORMATS = tuple(
    f.replace("%d", "\0").replace("%m", "%d").replace("\0", "%m") if f.startswith("%d") else f
    for f in _DATE_FORMATS
)
_SERIAL_MIN, _SERIAL_MAX = 18264, 109575  # 1950-01-01 .. 2199-12-31 as Excel serials
_EURO_NUMBER = re.compile(r"^\d{1,3}(\.\d{3})*,\d{1,2}$|^\d+,\d{1,2}$")


def _is_blank(s: pd.Series) -> np.ndarray:
    """None, NaN, empty or whitespace-only cells."""
    blank = s.isna().to_numpy().copy()
    is_str = np.fromiter((type(v) is str for v in s), bool, len(s))
    if is_str.any():
        idx = np.flatnonzero(is_str)
        blank[idx] = s.iloc[idx].astype(str).str.strip().eq("").to_numpy()
    return blank


def _text_cell(v: Any) -> str | None:
    """One cell as stripped text; whole floats lose their ".0"; blanks become None."""
    t = type(v)
    if t is str:
        return v.strip() or None
    if v is None:
        return None
    if t is float:
        if v != v:  # NaN
            return None
        return str(int(v)) if v.is_integer() else repr(v)
    if isinstance(v, dt.datetime):
        return v.strftime("%Y-%m-%d %H:%M:%S") if (v.hour or v.minute or v.second) else v.strftime("%Y-%m-%d")
    return str(v).strip() or None


def to_text(values: Sequence[Any]) -> pd.Series:
    """Cells as stripped text; 123.0 becomes "123"; blanks become None.

    Each distinct value is converted once (codes, folios, names and stores repeat a lot).
    """
    arr = np.empty(len(values), dtype=object)
    arr[:] = values
    codes, uniques = pd.factorize(arr, use_na_sentinel=True)
    # The extra last slot is what code -1 (None/NaN) picks.
    texts = np.array([_text_cell(v) for v in uniques] + [None], dtype=object)
    return pd.Series(texts[codes], dtype=object)


def to_numbers(values: Sequence[Any]) -> tuple[np.ndarray, np.ndarray]:
    """(floats with NaN for blanks, mask of cells that are not numbers). Handles $1,234.50, (12), 12-."""
    bad = np.zeros(len(values), bool)
    if set(map(type, values)) <= {float, int}:
        return np.array(values, dtype=float), bad
    s = pd.Series(values, dtype=object)
    out = pd.to_numeric(s, errors="coerce").astype(float).to_numpy(copy=True)
    nan_idx = np.flatnonzero(np.isnan(out))
    rest = nan_idx[~_is_blank(s.iloc[nan_idx])]
    if len(rest) == 0:
        return out, bad
    r = s.iloc[rest].astype(str).str.strip()
    neg = (r.str.match(r"^\(.*\)$") | r.str.endswith("-") | r.str.startswith("-")).to_numpy()
    c = r.str.replace(r"[()\s$€+]|MXN|USD|M\.?N\.?|-$|^-", "", regex=True)
    euro = c.str.match(_EURO_NUMBER.pattern).to_numpy()
    c = c.where(~euro, c.str.replace(".", "", regex=False).str.replace(",", ".", regex=False))
    c = c.where(euro, c.str.replace(",", "", regex=False))
    c = c.mask(c.isin(["", "-", "–"]), "0")  # accounting zero shown as a dash
    num = pd.to_numeric(c, errors="coerce").astype(float).to_numpy()
    num = np.where(neg, -np.abs(num), num) + 0.0  # no -0.0
    out[rest] = num
    bad[rest] = np.isnan(num)
    return out, bad


def _norm_date_text(r: pd.Series) -> pd.Series:
    """Lowercase, no accents, Spanish/English month names as numbers, a.m./p.m. as AM/PM."""
    t = r.str.lower().str.translate(_ACCENTS).str.replace(r"\s+", " ", regex=True)
    t = t.str.replace(r"\s*\b(a|p)\.?\s?m\.?$", lambda m: f" {m.group(1).upper()}M", regex=True)
    t = t.str.replace(r"\b(de|del)\b", " ", regex=True)
    t = t.str.replace(_MONTH_RE, lambda m: f"{MONTHS[m.group(1)]:02d}", regex=True)
    t = t.str.replace(r"(?<=\d)\s*-\s*(?=\d)", "-", regex=True)
    t = t.str.replace(r"^(\S+)\s*,?\s+(?=\d)", r"\1 ", regex=True)
    return t.str.replace(r"\s+", " ", regex=True).str.strip(" ,")


def _parse_text_dates(r: pd.Series, formats: tuple[str, ...] = _DATE_FORMATS) -> pd.Series:
    """Text dates in the formats Mexican exports use (ISO first: it is unambiguous)."""
    out = pd.to_datetime(r, format="ISO8601", errors="coerce")
    todo = out.isna()
    if todo.any():
        t = _norm_date_text(r[todo])
        for fmt in formats:
            parsed = pd.to_datetime(t, format=fmt, errors="coerce")
            hit = parsed.notna()
            if hit.any():
                out.loc[hit[hit].index] = parsed[hit]
                t = t[~hit]
            if t.empty:
                break
        # Serial numbers written as text ("45678").
        if not t.empty:
            num = pd.to_numeric(t, errors="coerce")
            ok = num.between(_SERIAL_MIN, _SERIAL_MAX)
            if ok.any():
                out.loc[ok[ok].index] = pd.to_datetime(num[ok], unit="D", origin="1899-12-30")
    return out


def to_dates(values: Sequence[Any], *, month_first: bool = False) -> tuple[pd.Series, np.ndarray]:
    """(datetime64 values with NaT for blanks, mask of cells that are not dates); day first unless told."""
    s = pd.Series(values, dtype=object)
    n = len(s)
    if n and set(map(type, values)) <= {dt.datetime, pd.Timestamp}:
        return pd.to_datetime(s).astype("datetime64[us]"), np.zeros(n, bool)
    out = pd.Series(pd.NaT, index=s.index, dtype="datetime64[us]")
    kinds = np.fromiter(
        (
            1 if isinstance(v, dt.datetime | dt.date) else
            2 if isinstance(v, int | float) and not isinstance(v, bool) else
            3 if isinstance(v, str) and v.strip() else 0
            for v in values
        ),
        np.int8,
        n,
    )
    bad = np.zeros(n, bool)
    if (kinds == 1).any():
        idx = np.flatnonzero(kinds == 1)
        out.iloc[idx] = pd.to_datetime(pd.Series(s.iloc[idx].to_numpy()), errors="coerce").to_numpy()
    if (kinds == 2).any():
        idx = np.flatnonzero(kinds == 2)
        num = s.iloc[idx].astype(float)
        ok = num.between(_SERIAL_MIN, _SERIAL_MAX).to_numpy()
        parsed = pd.to_datetime(num.where(ok), unit="D", origin="1899-12-30")
        out.iloc[idx] = parsed.to_numpy()
        bad[idx[~ok]] = True
    if (kinds == 3).any():
        idx = np.flatnonzero(kinds == 3)
        parsed = _parse_text_dates(s.iloc[idx].astype(str).str.strip().reset_index(drop=True),
                                   _MONTH_FIRST_FORMATS if month_first else _DATE_FORMATS)
        out.iloc[idx] = parsed.to_numpy()
        bad[idx[parsed.isna().to_numpy()]] = True
    # Times alone (datetime.time) and anything else that is not blank.
    other = (kinds == 0) & ~_is_blank(s)
    bad |= other
    return out, bad


def parse_date(text: str) -> dt.date | None:
    """One text date (day first), or None."""
    parsed, bad = to_dates([text])
    value = parsed.iloc[0]
    return None if bad[0] or pd.isna(value) else value.date()
