"""Build the Online Retail workbook used by `bench.ingest` (cached under /tmp)."""

from __future__ import annotations

import csv
import gzip
import sys
from datetime import datetime
from pathlib import Path

SOURCE = Path(__file__).resolve().parents[2] / "shared" / "data" / "real" / "online_retail.csv.gz"
CACHE_DIR = Path("/tmp/devcompras_bench")


def build_xlsx(*, rows: int | None = None, source: Path = SOURCE) -> Path:
    """Write online_retail.csv.gz (optionally its first `rows` lines) as an .xlsx; reuse the cache."""
    from openpyxl import Workbook

    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    target = CACHE_DIR / f"online_retail_{rows or 'all'}.xlsx"
    if target.exists():
        return target
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("Ventas")
    with gzip.open(source, "rt", encoding="utf-8", newline="") as fh:
        reader = csv.reader(fh)
        ws.append(next(reader))
        for i, (inv, code, desc, qty, when, price, cust, country) in enumerate(reader):
            if rows is not None and i >= rows:
                break
            # Typed cells, as an ERP export would write them (numbers, real dates).
            ws.append(
                [
                    int(inv) if inv.isdigit() else inv,
                    int(code) if code.isdigit() else code,
                    desc,
                    int(qty),
                    datetime.fromisoformat(when),
                    float(price),
                    float(cust) if cust else None,
                    country,
                ]
            )
    tmp = target.with_suffix(".part")
    wb.save(tmp)
    tmp.rename(target)
    return target


if __name__ == "__main__":
    n = int(sys.argv[1]) if len(sys.argv) > 1 else None
    print(build_xlsx(rows=n))
