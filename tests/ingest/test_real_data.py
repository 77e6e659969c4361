"""Hold-out checks on real files from ../shared/data/real (skipped when that folder is absent)."""

from __future__ import annotations

import csv
import gzip
import io
from collections import Counter

import pytest
from sqlalchemy import func, select

from core.db import get_engine
from core.ingest.errors import IngestError
from core.models import erp_ventas, erp_ventas_detalle
from tests.ingest.conftest import REAL

MESSY = sorted((REAL / "messy_excel").glob("*.xls*")) if (REAL / "messy_excel").is_dir() else []
RETAIL = REAL / "online_retail.csv.gz"


@pytest.mark.skipif(not MESSY, reason="../shared/data/real/messy_excel no está disponible")
@pytest.mark.parametrize("path", MESSY, ids=lambda p: p.name)
def test_messy_real_workbooks_are_refused_clearly(ingest, counts, path):
    before = counts()
    with pytest.raises(IngestError) as exc:
        ingest(path.read_bytes(), path.name, max_mb=50)
    assert exc.value.message.startswith("No se reconoce el archivo como inventario")
    assert counts() == before


@pytest.mark.skipif(not RETAIL.exists(), reason="online_retail.csv.gz no está disponible")
def test_online_retail_slice_loads_as_sales_with_cancellations(ingest):
    with gzip.open(RETAIL, "rt", encoding="utf-8", newline="") as fh:
        lines = [next(fh) for _ in range(6001)]
    rows = list(csv.reader(io.StringIO("".join(lines))))[1:]
    cancelled = {r[0] for r in rows if r[0].startswith("C")}
    assert cancelled, "the slice must hold cancellations"
    pv, res = ingest("".join(lines).encode(), "online_retail.csv", store="Online")
    assert (pv.kind, pv.store, len(pv.rejected)) == ("sales", "Online", 0)
    assert res.status == "loaded" and res.rows_ok == 6000
    with get_engine().connect() as conn:
        docs = dict(conn.execute(select(erp_ventas.c.folio, erp_ventas.c.tipo)).all())
        total_qty = conn.execute(select(func.sum(erp_ventas_detalle.c.cantidad))).scalar_one()
        negative = conn.execute(select(func.count()).select_from(erp_ventas_detalle)
                                .join(erp_ventas, erp_ventas.c.id == erp_ventas_detalle.c.venta_id)
                                .where(erp_ventas.c.folio.like("C%"), erp_ventas_detalle.c.cantidad < 0)).scalar_one()
    assert len(docs) == len({r[0] for r in rows})
    # Cancellations are returns: their documents are type D and their quantities negative.
    assert {f: t for f, t in docs.items() if f in cancelled} == {f: "D" for f in cancelled}
    assert negative == Counter(r[0] for r in rows if r[0].startswith("C")).total()
    assert float(total_qty) == sum(int(r[3]) for r in rows)
