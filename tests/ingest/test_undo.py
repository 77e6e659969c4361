"""Undo and replace put back what an upload overwrote: stock rows (QA P1-2) and other uploads' sales documents."""

from __future__ import annotations

from sqlalchemy import func, select

from core.db import begin, get_engine, upsert
from core.ingest.load import undo_upload
from core.models import (
    erp_almacenes,
    erp_inventario,
    erp_productos,
    erp_ventas,
    erp_ventas_detalle,
    upload_sales_snapshots,
    upload_stock_snapshots,
)
from tests.ingest.conftest import xlsx

ERP_STOCK = {"A1": (10.0, 1.0), "A2": (20.0, 2.0), "A3": (30.0, 3.0)}


def _erp_stock() -> None:
    """Catalog and stock of the ERP almacén "Sucursal Zapopan", owned by no upload."""
    with begin() as conn:
        upsert(conn, "erp_productos", [(c, f"Producto {c}", "erp") for c in ERP_STOCK],
               columns=["codigo", "nombre", "origen"], key=["codigo"])
        upsert(conn, "erp_almacenes", [("Sucursal Zapopan", "erp", "7")], columns=["nombre", "origen", "erp_id"],
               key=["nombre"])
        prods = dict(conn.execute(select(erp_productos.c.codigo, erp_productos.c.id)).tuples().all())
        alm = conn.execute(select(erp_almacenes.c.id)).scalar_one()
        upsert(conn, "erp_inventario", [(prods[c], alm, s, m) for c, (s, m) in ERP_STOCK.items()],
               columns=["producto_id", "almacen_id", "stock_actual", "stock_minimo"], key=["producto_id", "almacen_id"])


def _rows() -> dict[str, tuple[float, float, int | None]]:
    """clave -> (existencia, mínimo, upload_id) in Zapopan."""
    q = (select(erp_productos.c.codigo, erp_inventario.c.stock_actual, erp_inventario.c.stock_minimo,
                erp_inventario.c.upload_id)
         .join(erp_productos, erp_productos.c.id == erp_inventario.c.producto_id))
    with get_engine().connect() as conn:
        return {c: (float(s), float(m), u) for c, s, m, u in conn.execute(q)}


def _file(day: str, lines: list[list]) -> bytes:
    return xlsx([["Tienda: Zapopan"], [f"Existencias al {day}"], ["Clave", "Existencia", "Mínimo"], *lines])


ERP_ROWS = {c: (s, m, None) for c, (s, m) in ERP_STOCK.items()}


def test_undo_restores_the_erp_stock_and_removes_only_created_rows(ingest, manager):
    _erp_stock()
    pv, res = ingest(_file("01/11/2026", [["A1", 5, 9], ["A2", 20, 2], ["A4", 7, 0]]), "inv.xlsx")
    assert pv.store == "Sucursal Zapopan" and not pv.new_store
    assert _rows() == {"A1": (5.0, 9.0, res.upload_id), "A2": (20.0, 2.0, res.upload_id),
                       "A3": (30.0, 3.0, None), "A4": (7.0, 0.0, res.upload_id)}
    message = undo_upload(manager, res.upload_id)
    assert message == (f"Se deshizo la carga #{res.upload_id} (inv.xlsx): las existencias volvieron a los "
                       "valores que tenían antes de la carga.")
    assert _rows() == ERP_ROWS  # A1 and A2 back as the ERP had them, A4 (created by the upload) gone
    with get_engine().connect() as conn:
        assert conn.execute(select(upload_stock_snapshots)).all() == []


def test_corrected_file_puts_back_the_rows_it_no_longer_has(ingest, manager):
    _erp_stock()
    _pv, first = ingest(_file("01/11/2026", [["A1", 5, 1], ["A3", 6, 3]]), "inv.xlsx")
    _pv, second = ingest(_file("01/11/2026", [["A1", 7, 1]]), "inv corregido.xlsx")
    assert second.replaced == [first.upload_id]
    # A3 was only in the earlier file: it returns to the ERP's value instead of disappearing.
    assert _rows() == {**ERP_ROWS, "A1": (7.0, 1.0, second.upload_id)}
    undo_upload(manager, second.upload_id)
    assert _rows() == ERP_ROWS  # not the replaced file's 5


def test_undo_of_an_older_upload_keeps_the_newer_one_and_then_the_erp_values(ingest, manager):
    _erp_stock()
    _pv, older = ingest(_file("01/11/2026", [["A1", 5, 1], ["A2", 4, 2]]), "inv1.xlsx")
    _pv, newer = ingest(_file("02/11/2026", [["A1", 6, 1]]), "inv2.xlsx")
    undo_upload(manager, older.upload_id)
    assert _rows() == {**ERP_ROWS, "A1": (6.0, 1.0, newer.upload_id)}
    undo_upload(manager, newer.upload_id)
    assert _rows() == ERP_ROWS  # the undone older upload's 5 does not come back


def _sales_file(period: str, lines: list[list]) -> bytes:
    return xlsx([["Sucursal: Centro"], [period], ["Fecha", "Folio", "Clave", "Cantidad", "Importe"], *lines])


def _docs() -> dict[str, tuple[float, int | None]]:
    """folio -> (cantidad total, upload_id) of the EXCEL documents."""
    q = (select(erp_ventas.c.folio, func.sum(erp_ventas_detalle.c.cantidad), erp_ventas.c.upload_id)
         .join(erp_ventas_detalle, erp_ventas_detalle.c.venta_id == erp_ventas.c.id)
         .where(erp_ventas.c.origen == "EXCEL").group_by(erp_ventas.c.folio, erp_ventas.c.upload_id))
    with get_engine().connect() as conn:
        return {f: (float(q_), u) for f, q_, u in conn.execute(q)}


FIRST = ("Del 01/11/2026 al 15/11/2026", [["03/11/2026", "T1", "A1", 1, 10], ["12/11/2026", "T2", "A1", 2, 20],
                                          ["12/11/2026", "T2", "A2", 3, 30]])
OVERLAP = ("Del 10/11/2026 al 20/11/2026", [["12/11/2026", "T2", "A1", 5, 50], ["18/11/2026", "T3", "A1", 1, 10]])


def test_undo_of_an_overlapping_sales_file_gives_back_the_earlier_uploads_documents(ingest, manager):
    _pv, first = ingest(_sales_file(*FIRST), "ventas 1.xlsx", unknown="create")
    _pv, second = ingest(_sales_file(*OVERLAP), "ventas 2.xlsx", unknown="create")
    assert _docs() == {"T1": (1.0, first.upload_id), "T2": (5.0, second.upload_id), "T3": (1.0, second.upload_id)}
    undo_upload(manager, second.upload_id)
    # T2 is again the earlier file's (its two lines), not deleted with the later file.
    assert _docs() == {"T1": (1.0, first.upload_id), "T2": (5.0, first.upload_id)}
    with get_engine().connect() as conn:
        assert conn.execute(select(func.count()).select_from(erp_ventas_detalle)).scalar_one() == 3
    undo_upload(manager, first.upload_id)
    assert _docs() == {}


def test_undo_of_the_earlier_sales_file_keeps_the_later_ones_documents(ingest, manager):
    _pv, first = ingest(_sales_file(*FIRST), "ventas 1.xlsx", unknown="create")
    _pv, second = ingest(_sales_file(*OVERLAP), "ventas 2.xlsx", unknown="create")
    undo_upload(manager, first.upload_id)
    assert _docs() == {"T2": (5.0, second.upload_id), "T3": (1.0, second.upload_id)}
    undo_upload(manager, second.upload_id)
    assert _docs() == {}  # the undone earlier file's T2 does not come back
    with get_engine().connect() as conn:
        assert conn.execute(select(func.count()).select_from(upload_sales_snapshots)).scalar_one() == 0
