"""The sync engine's rules, on an in-memory ERP source, against the real test database."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import pytest
from sqlalchemy import text

from core.erp import sync_status
from core.erp.sync import run_sync
from core.erp.sync_lock import EntityLock
from core.users import PermissionDenied
from tests.erp.sync_memory_source import MemorySource


def q(engine, sql: str, **params):
    with engine.connect() as conn:
        return conn.execute(text(sql), params).all()


def scalar(engine, sql: str, **params):
    with engine.connect() as conn:
        return conn.execute(text(sql), params).scalar()


def net_units(engine) -> dict[str, Decimal]:
    rows = q(engine, "SELECT p.erp_id, SUM(d.cantidad) FROM erp_ventas_detalle d "
                     "JOIN erp_productos p ON p.id = d.producto_id GROUP BY p.erp_id")
    return {r[0]: Decimal(str(r[1])).quantize(Decimal("0.00001")) for r in rows}


def source_net_units(src: MemorySource) -> dict[str, Decimal]:
    out: dict[str, Decimal] = {}
    for lines in src.lines.values():
        for ln in lines:
            out[ln[3]] = out.get(ln[3], Decimal(0)) + ln[4]
    return {k: v.quantize(Decimal("0.00001")) for k, v in out.items()}


def test_full_sync_loads_everything_and_rerun_changes_nothing(engine, clean_db):
    src = MemorySource()
    report = run_sync(source=src, full=True)
    assert report.status == "completed", report.message
    assert scalar(engine, "SELECT count(*) FROM erp_productos") == 7
    assert scalar(engine, "SELECT count(*) FROM erp_almacenes") == 2
    assert scalar(engine, "SELECT count(*) FROM erp_inventario") == 14
    assert scalar(engine, "SELECT count(*) FROM erp_clientes") == 4
    assert scalar(engine, "SELECT count(*) FROM erp_ventas") == 10
    assert scalar(engine, "SELECT count(*) FROM erp_ventas_detalle") == 10
    stock = dict(q(engine, "SELECT a.erp_id, SUM(i.stock_actual) FROM erp_inventario i "
                           "JOIN erp_almacenes a ON a.id = i.almacen_id GROUP BY a.erp_id"))
    assert Decimal(str(stock["19"])) == sum(Decimal(i * 2) for i in range(7))
    assert Decimal(str(stock["188104"])) == sum(Decimal(i * 2 + 1) for i in range(7))
    assert net_units(engine) == source_net_units(src)
    assert report.entities["ventas"].counts.created == 20  # 10 headers + 10 lines

    again = run_sync(source=src, full=True)
    assert again.status == "completed"
    for entity, rep in again.entities.items():
        assert (rep.counts.created, rep.counts.updated) == (0, 0), entity
    assert again.as_json()["entities"]["productos"] == {
        "processed": 9, "created": 0, "updated": 0, "unchanged": 9, "failed": 0}

    jobs = sync_status.recent_jobs(8)
    assert [j["status"] for j in jobs] == ["completed"] * 8
    assert {j["job_type"] for j in jobs} == {"productos", "inventario", "clientes", "ventas"}
    assert all(j["progress"] == 1.0 and j["duration_s"] is not None for j in jobs)


def test_incremental_reflects_exactly_the_changes(engine, clean_db):
    src = MemorySource()
    assert run_sync(source=src, full=True).status == "completed"
    before_docs = {r[0]: r[1] for r in q(engine, "SELECT erp_id, total FROM erp_ventas")}

    src.productos_rows[0] = src.productos_rows[0][:4] + (Decimal("99.90"),) + src.productos_rows[0][5:]
    src.add_doc("VE", "9100", datetime(2026, 11, 20, 9), [("1001", Decimal(3), Decimal("12"))])
    src.add_doc("PV", "9101", datetime(2026, 11, 20, 9), [("1002", Decimal(-2), Decimal("11"))],
                tipo="D")  # a return: negative units
    src.cancel("VE", "9009", datetime(2026, 11, 20, 10))
    # A modified document lost a line and changed another.
    src.add_doc("PV", "9008", datetime(2026, 11, 20, 11), [("1001", Decimal(5), Decimal("10.5"))])

    report = run_sync(source=src)
    assert report.status == "completed", report.message
    assert report.entities["productos"].counts.updated == 1
    assert Decimal(str(scalar(engine, "SELECT precio FROM erp_productos WHERE erp_id = '1000'"))) == Decimal("99.9")
    ventas = report.entities["ventas"].counts
    # Window = watermark (11/10) minus 3 days: docs of 11/07..11/10 come back unchanged.
    assert ventas.created == 4  # 2 headers + 2 lines
    assert ventas.updated == 2  # doc 9008 header (total, modificado_en) + its line
    after = {r[0]: r[1] for r in q(engine, "SELECT erp_id, total FROM erp_ventas")}
    assert set(after) == (set(before_docs) - {"9009"}) | {"9100", "9101"}
    assert scalar(engine, "SELECT count(*) FROM erp_ventas_detalle d JOIN erp_ventas v "
                          "ON v.id = d.venta_id WHERE v.erp_id = '9009'") == 0
    assert net_units(engine) == source_net_units(src)
    assert net_units(engine)["1002"] == source_net_units(src)["1002"]

    assert run_sync(source=src).entities["ventas"].counts.created == 0


def test_modified_document_drops_removed_lines(engine, clean_db):
    src = MemorySource()
    src.add_doc("VE", "9200", datetime(2026, 11, 12, 9),
                [("1001", Decimal(1), Decimal(5)), ("1002", Decimal(2), Decimal(5)),
                 ("1003", Decimal(3), Decimal(5))])
    run_sync(source=src, entities="productos")
    run_sync(source=src, entities=["clientes", "ventas"], full=True)
    src.add_doc("VE", "9200", datetime(2026, 11, 13, 9), [("1001", Decimal(1), Decimal(5))])
    report = run_sync(source=src, entities="ventas")
    assert "2 renglones eliminados" in report.entities["ventas"].message
    assert q(engine, "SELECT d.linea FROM erp_ventas_detalle d JOIN erp_ventas v ON v.id = d.venta_id "
                     "WHERE v.erp_id = '9200'") == [(1,)]


def test_a_line_whose_product_we_do_not_know_leaves_our_copy_of_the_document(engine, clean_db):
    src = MemorySource()
    lines = [("1001", Decimal(1), Decimal(5)), ("1002", Decimal(2), Decimal(5)),
             ("1003", Decimal(3), Decimal(5))]
    src.add_doc("VE", "9201", datetime(2026, 11, 12, 9), lines)
    run_sync(source=src, entities="productos")
    run_sync(source=src, entities=["clientes", "ventas"], full=True)
    lines[1] = ("7777", Decimal(2), Decimal(5))  # an article not in the catalog we copied
    src.add_doc("VE", "9201", datetime(2026, 11, 13, 9), lines)
    report = run_sync(source=src, entities="ventas")
    assert "1 renglón eliminado de un documento modificado" in report.entities["ventas"].message
    assert q(engine, "SELECT d.linea, d.cantidad FROM erp_ventas_detalle d JOIN erp_ventas v "
                     "ON v.id = d.venta_id WHERE v.erp_id = '9201' ORDER BY d.linea") == [
        (1, Decimal(1)), (3, Decimal(3))]


def test_full_sync_deletes_documents_the_erp_no_longer_has(engine, clean_db):
    src = MemorySource()
    run_sync(source=src, full=True)
    # Gone from the ERP without a cancellation record (e.g. purged): only a full sync sees it.
    src.docs.pop(("PV", "9000"))
    src.lines.pop(("PV", "9000"))
    assert scalar(engine, "SELECT count(*) FROM erp_ventas WHERE erp_id = '9000'") == 1
    run_sync(source=src, entities="ventas", full=True)
    assert scalar(engine, "SELECT count(*) FROM erp_ventas WHERE erp_id = '9000'") == 0
    assert net_units(engine) == source_net_units(src)


def test_missing_products_become_inactive_and_missing_stock_goes_to_zero(engine, clean_db):
    src = MemorySource()
    run_sync(source=src, full=True)
    src.productos_rows.pop()  # SKU-006 no longer in the ERP
    src.inventario_rows = [r for r in src.inventario_rows if not (r[0] == "1005" and r[1] == "19")]
    report = run_sync(source=src, entities=["productos", "inventario"])
    assert "1 producto desactivado" in report.entities["productos"].message
    assert q(engine, "SELECT activo FROM erp_productos WHERE erp_id = '1006'")[0][0] in (False, 0)
    assert scalar(engine, "SELECT count(*) FROM erp_productos") == 7  # not deleted
    stock = scalar(engine, "SELECT i.stock_actual FROM erp_inventario i JOIN erp_productos p "
                           "ON p.id = i.producto_id JOIN erp_almacenes a ON a.id = i.almacen_id "
                           "WHERE p.erp_id = '1005' AND a.erp_id = '19'")
    assert Decimal(str(stock)) == 0
    # Back in the ERP: active again.
    src.productos_rows = MemorySource().productos_rows
    run_sync(source=src, entities="productos")
    assert q(engine, "SELECT activo FROM erp_productos WHERE erp_id = '1006'")[0][0] in (True, 1)


def test_excel_product_with_same_codigo_is_linked_not_duplicated(engine, clean_db):
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO erp_productos (codigo, nombre, origen, activo) "
                          "VALUES ('SKU-001', 'De Excel', 'excel', true)"))
    run_sync(source=MemorySource(), entities="productos")
    rows = q(engine, "SELECT erp_id, origen, nombre FROM erp_productos WHERE codigo = 'SKU-001'")
    assert rows == [("1001", "erp", "Producto 1")]


def test_unreachable_erp_fails_every_entity_with_spanish_message(engine, clean_db):
    src = MemorySource()
    src.reachable = False
    report = run_sync(source=src, entities=["productos", "ventas"])
    assert report.status == "failed"
    assert "No se pudo conectar con el servidor Firebird" in report.message
    rows = q(engine, "SELECT job_type, status, error_message FROM sync_jobs ORDER BY id")
    assert [(r[0], r[1]) for r in rows] == [("productos", "failed"), ("ventas", "failed")]
    assert all("No se pudo conectar" in r[2] for r in rows)
    assert scalar(engine, "SELECT count(*) FROM erp_productos") == 0


def test_watermark_advances_only_after_a_completed_run(engine, clean_db):
    src = MemorySource()
    run_sync(source=src, full=True)
    first = sync_status.last_watermark("ventas")
    assert first == datetime(2026, 11, 10, 10)
    src.add_doc("VE", "9300", datetime(2026, 11, 25, 9), [("1001", Decimal(1), Decimal(5))])
    src.reachable = False
    run_sync(source=src, entities="ventas")
    assert sync_status.last_watermark("ventas") == first
    src.reachable = True
    run_sync(source=src, entities="ventas")
    assert sync_status.last_watermark("ventas") == datetime(2026, 11, 25, 9)


def test_unknown_product_lines_are_counted_and_retried(engine, clean_db):
    src = MemorySource()
    run_sync(source=src, full=True)
    src.add_doc("VE", "9400", datetime(2026, 11, 25, 9), [("77777", Decimal(1), Decimal(5))])
    report = run_sync(source=src, entities="ventas")
    assert report.entities["ventas"].counts.failed == 1
    assert "artículo desconocido" in report.entities["ventas"].message
    assert sync_status.last_watermark("ventas") == datetime(2026, 11, 10, 10)  # not advanced
    src.productos_rows.append(("77777", "SKU-NEW", "Nuevo", None, Decimal(1), Decimal(1), None,
                               None, "PIEZA", True))
    run_sync(source=src, entities="productos")
    report = run_sync(source=src, entities="ventas")
    assert report.entities["ventas"].counts.failed == 0
    assert net_units(engine) == source_net_units(src)


def test_second_sync_of_same_entity_is_refused_while_one_runs(engine, clean_db):
    holder = EntityLock("ventas")
    assert holder.acquire()
    try:
        report = run_sync(source=MemorySource(), entities="ventas")
        assert report.status == "failed"
        assert report.message.endswith("Ya hay una sincronización de ventas en curso; "
                                       "esta solicitud no se inició.")
        assert scalar(engine, "SELECT count(*) FROM erp_ventas") == 0
        # Other entities are not blocked.
        assert run_sync(source=MemorySource(), entities="productos").status == "completed"
    finally:
        holder.release()
    assert run_sync(source=MemorySource(), entities="ventas").status == "completed"


def test_run_sync_checks_permission(engine, clean_db, users):
    with pytest.raises(PermissionDenied):
        run_sync(source=MemorySource(), user=users["viewer"])
    assert scalar(engine, "SELECT count(*) FROM sync_jobs") == 0
    report = run_sync(source=MemorySource(), entities="productos", user=users["manager"])
    assert report.status == "completed"
    assert scalar(engine, "SELECT requested_by FROM sync_jobs") == users["manager"].id


def test_unknown_entity_is_a_spanish_error(engine, clean_db, users):
    from core import jobs
    from core.errors import ReadableError

    with pytest.raises(ValueError, match="Entidad desconocida: facturas"):
        run_sync(source=MemorySource(), entities=["facturas"])
    # What the sync page calls: a readable error, which ui.shows_errors shows as it is.
    with pytest.raises(ReadableError, match="Entidad desconocida: facturas"):
        jobs.sync_now(["facturas"], user=users["manager"])


def test_data_versions_bumped(engine, clean_db):
    from core.db import data_versions_now

    before = data_versions_now()
    run_sync(source=MemorySource(), full=True)
    after = data_versions_now()
    for domain in ("catalog", "stock", "customers", "sales"):
        assert after[domain] > before.get(domain, 0), domain


def test_an_empty_snapshot_deactivates_and_deletes_nothing(engine, clean_db):
    src = MemorySource()
    run_sync(source=src, full=True)
    src.productos_rows, src.inventario_rows, src.clientes_rows = [], [], []
    src.docs, src.lines = {}, {}
    report = run_sync(source=src, full=True)
    assert report.status == "completed"
    assert scalar(engine, "SELECT count(*) FROM erp_productos WHERE activo = true") == 7
    assert scalar(engine, "SELECT count(*) FROM erp_clientes WHERE activo = true") == 4
    assert scalar(engine, "SELECT count(*) FROM erp_inventario WHERE stock_actual <> 0") == 13
    assert scalar(engine, "SELECT count(*) FROM erp_ventas") == 10


def test_lock_is_held_is_seen_without_taking_it(engine, clean_db):
    holder = EntityLock("clientes")
    assert not holder.is_held()
    assert holder.acquire()
    try:
        assert EntityLock("clientes").is_held()
        assert not EntityLock("ventas").is_held()
        assert not EntityLock("clientes").acquire()
    finally:
        holder.release()
    assert not EntityLock("clientes").is_held()
