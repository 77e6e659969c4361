"""The preview a user confirms: what was understood, the rows as stored, and what was rejected."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from core.ingest.header import FIELD_LABELS

KIND_LABELS = {"inventory": "Inventario", "sales": "Ventas"}
SHOW_COLUMNS = {
    "inventory": ("fila", "codigo", "descripcion", "almacen", "existencia", "stock_minimo", "stock_maximo"),
    "sales": ("fila", "fecha", "folio", "codigo", "descripcion", "almacen", "cantidad", "precio", "importe"),
}
SHOW_LABELS = {"fila": "Fila", **FIELD_LABELS}


@dataclass
class Preview:
    """Everything the page and the CLI show before loading; `rows` are exactly what will be stored."""

    filename: str
    sha256: str
    size: int
    fmt: str
    sheet: str
    header_first: int
    header_last: int
    columns: list[str]
    mapping: dict[str, int]
    kind: str | None
    detected_kind: str | None
    store: str | None = None
    store_source: str | None = None
    stores: list[str] = field(default_factory=list)
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    date_source: str | None = None
    rows: pd.DataFrame = field(default_factory=pd.DataFrame)
    rejected: list[dict[str, Any]] = field(default_factory=list)
    skipped: int = 0
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    unknown_codes: list[str] = field(default_factory=list)
    new_store: bool = False
    already_loaded_id: int | None = None
    # What the problems and warnings ask for, in command-line terms (the texts speak of the page).
    cli_hints: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when nothing blocks loading."""
        return not self.problems

    @property
    def store_label(self) -> str | None:
        """The store as shown and recorded: one name, or the list when the file has several."""
        if self.store:
            return self.store
        return ", ".join(self.stores)[:100] if self.stores else None

    def totals(self) -> dict[str, float | None]:
        """Sums over the accepted rows (None where the kind has no such column)."""
        r = self.rows

        def total(col: str) -> float | None:
            return round(float(r[col].sum()), 5) if col in r else None

        return {"cantidad": total("cantidad"), "importe": total("importe"), "existencia": total("existencia")}

    def sample(self, limit: int = 20) -> pd.DataFrame:
        """The first rows as they will be stored, with Spanish column names."""
        cols = [c for c in SHOW_COLUMNS.get(self.kind or "", ()) if c in self.rows]
        out = self.rows.loc[: limit - 1, cols].copy() if cols else pd.DataFrame()
        if "fecha" in out:
            fechas = pd.to_datetime(out["fecha"])
            # As users read dates; a time only on the rows that have one (no "00:00" on date-only rows).
            timed = fechas != fechas.dt.normalize()
            out["fecha"] = fechas.dt.strftime("%d/%m/%Y").where(~timed, fechas.dt.strftime("%d/%m/%Y %H:%M"))
        return out.rename(columns=SHOW_LABELS)

    def mapping_labels(self) -> dict[str, str]:
        """Field label -> column label, for display."""
        return {FIELD_LABELS[f]: self.columns[c] for f, c in self.mapping.items() if c < len(self.columns)}

    def summary(self, status: str, message: str) -> dict[str, Any]:
        """The JSON object of the CLI (and the page's result), per the issue's contract."""
        return {
            "status": status,
            "kind": self.kind,
            "store": self.store_label,
            "date_from": self.date_from.isoformat() if self.date_from else None,
            "date_to": self.date_to.isoformat() if self.date_to else None,
            "rows_ok": len(self.rows),
            "rows_rejected": len(self.rejected),
            "totals": self.totals(),
            "rejected": self.rejected,
            "message": message,
        }


def refused(message: str) -> dict[str, Any]:
    """The JSON object for a file refused before it could be understood."""
    return {
        "status": "refused", "kind": None, "store": None, "date_from": None, "date_to": None,
        "rows_ok": 0, "rows_rejected": 0,
        "totals": {"cantidad": None, "importe": None, "existencia": None},
        "rejected": [], "message": message,
    }
