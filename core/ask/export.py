"""An answer's rows as a CSV file a person downloads: cells that a spreadsheet would take as a
formula (starting with =, +, -, @, tab or CR) get a leading apostrophe."""

from __future__ import annotations

import csv
import io
from typing import Any

from core.export import neutralise_formula as neutralise


def to_csv(columns: list[str], rows: list[dict[str, Any]]) -> bytes:
    """UTF-8 with BOM (Excel opens accents right), header first."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([neutralise(c) for c in columns])
    for row in rows:
        writer.writerow(["" if row.get(c) is None else neutralise(row.get(c)) for c in columns])
    return ("\ufeff" + out.getvalue()).encode("utf-8")
