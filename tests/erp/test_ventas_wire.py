"""The reader process places new documents itself on PostgreSQL: ids from the sequence, COPY text."""

from datetime import datetime
from decimal import Decimal

import pytest
from sqlalchemy import text

from core.db import begin, copy_text
from core.erp.source import VentasBatch
from core.erp.ventas_wire import DETALLE_COLS, WIRE_VENTA_COLS, VentasWire, psycopg_connect_args
from tests.conftest import BACKEND

pytestmark = pytest.mark.skipif(BACKEND != "postgres", reason="COPY text is PostgreSQL's")

BATCH = VentasBatch(
    [("VE", "1", "F", "FA\t1", datetime(2026, 1, 2, 10, 0), "10", "1",
      Decimal("100.00"), Decimal("16.00"), Decimal("116.00"), "N", datetime(2026, 1, 3)),
     ("VE", "2", "R", "RE 2", datetime(2026, 1, 2), None, "1",
      Decimal("5.00"), Decimal("0.00"), Decimal("5.00"), "N", datetime(2026, 1, 4))],
    [("VE", "1", 1, "A-1", Decimal("2.00000"), Decimal("50.000000"), Decimal("100.00")),
     ("VE", "1", 2, "ZZ", Decimal("1.00000"), Decimal("1.000000"), Decimal("1.00")),
     ("VE", "2", 1, "A-1", Decimal("1.00000"), None, Decimal("5.00"))],
    [("PV", "9")],
)


def _wire(engine) -> VentasWire:
    return VentasWire(connect_args=psycopg_connect_args(engine.url),
                      productos={"A-1": 7}, almacenes={"1": 3},
                      clientes={"10": (5, "Ferretería \\ Centro")}, known={("VE", "2")})


def test_new_documents_go_as_copy_text_and_known_ones_stay_for_the_writer(engine, clean_db):
    out = _wire(engine)(BATCH)
    assert (out.doc_count, out.line_count, out.unknown) == (1, 1, 1)  # "ZZ" is not in the catalog
    assert out.new_keys == [("VE", "1")]
    assert out.watermark == datetime(2026, 1, 4)
    assert [d[:2] for d in out.rest.documentos] == [("VE", "2")]
    assert out.rest.lineas == [("VE", "2", 1, "A-1", "1.00000", None, "5.00")]
    assert out.rest.cancelados == [("PV", "9")]

    with begin() as conn:
        copy_text(conn, "erp_ventas", WIRE_VENTA_COLS, out.doc_text)
        copy_text(conn, "erp_ventas_detalle", DETALLE_COLS, out.line_text)
    with engine.connect() as conn:
        doc = conn.execute(text("SELECT id, folio, fecha, cliente_id, cliente_nombre, almacen_id, total, "
                                "modificado_en, last_synced_at FROM erp_ventas WHERE erp_id = '1'")).one()
        line = conn.execute(text("SELECT venta_id, linea, producto_id, cantidad, precio_unitario, importe "
                                 "FROM erp_ventas_detalle")).one()
    assert (doc.folio, doc.fecha, doc.cliente_id, doc.cliente_nombre, doc.almacen_id, doc.total) == (
        "FA\t1", datetime(2026, 1, 2, 10, 0), 5, "Ferretería \\ Centro", 3, Decimal("116.00"))
    assert doc.modificado_en == datetime(2026, 1, 3) and doc.last_synced_at is not None
    assert tuple(line) == (doc.id, 1, 7, Decimal("2.00000"), Decimal("50.000000"), Decimal("100.00"))


def test_reserved_ids_never_collide_with_the_sequence(engine, clean_db):
    first = _wire(engine)(BATCH)
    with begin() as conn:
        copy_text(conn, "erp_ventas", WIRE_VENTA_COLS, first.doc_text)
        # Another writer (an Excel upload) takes the next id from the same sequence.
        later = conn.execute(text("INSERT INTO erp_ventas (origen, erp_id, fecha) "
                                  "VALUES ('EXCEL', 'x', '2026-01-05') RETURNING id")).scalar_one()
    placed = int(first.doc_text.split(b"\t", 1)[0])
    assert later > placed
