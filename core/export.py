"""Tables a person can download: cells a spreadsheet would run as a formula are neutralised.

Streamlit's table toolbar offers every shown table as CSV. A cell typed by someone else (a
sign-up name such as ``=HYPERLINK(...)``, a store name in an uploaded file) would run as a
formula when that CSV is opened in Excel. OWASP's rule: a text cell starting with ``=``, ``+``,
``-``, ``@``, a tab or a carriage return gets a leading apostrophe, which spreadsheets read as
"this is text" and do not show.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import pandas as pd

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise_formula(value: Any) -> Any:
    """``value`` with a leading apostrophe when it is text a spreadsheet would run as a formula.

    Every text with such a start, even one that looks like a signed amount ("=1" is a formula that
    looks like one): numbers themselves are not text and pass unchanged.
    """
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def neutralise_rows(rows: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The same rows (a list of dicts, as pages build them) with every text cell neutralised."""
    return [{key: neutralise_formula(value) for key, value in row.items()} for row in rows]


def neutralise_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` with every text cell neutralised (column names included)."""
    out = frame.rename(columns=neutralise_formula)
    for column in out.columns:
        if not (pd.api.types.is_numeric_dtype(out[column]) or pd.api.types.is_datetime64_any_dtype(out[column])):
            out[column] = out[column].map(neutralise_formula)
    return out
