"""The sales tables have no per-row foreign keys (migration 0003): the loaders keep them whole."""

from sqlalchemy import text

ORPHANS = {
    "lines without document": "SELECT count(*) FROM erp_ventas_detalle d "
                              "WHERE NOT EXISTS (SELECT 1 FROM erp_ventas v WHERE v.id = d.venta_id)",
    "lines without product": "SELECT count(*) FROM erp_ventas_detalle d "
                             "WHERE NOT EXISTS (SELECT 1 FROM erp_productos p WHERE p.id = d.producto_id)",
    "documents without almacén": "SELECT count(*) FROM erp_ventas v WHERE v.almacen_id IS NOT NULL "
                                 "AND NOT EXISTS (SELECT 1 FROM erp_almacenes a WHERE a.id = v.almacen_id)",
    "documents without customer": "SELECT count(*) FROM erp_ventas v WHERE v.cliente_id IS NOT NULL "
                                  "AND NOT EXISTS (SELECT 1 FROM erp_clientes c WHERE c.id = v.cliente_id)",
}


def orphan_counts(engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {name: conn.execute(text(sql)).scalar_one() for name, sql in ORPHANS.items()}


def test_demo_sync_and_a_full_resync_leave_no_orphans(engine, demo_data):
    from core.setup import seed_demo

    assert orphan_counts(engine) == dict.fromkeys(ORPHANS, 0)
    report = seed_demo(0.1).as_json()
    assert report["status"] == "completed"
    assert orphan_counts(engine) == dict.fromkeys(ORPHANS, 0)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM erp_ventas_detalle")).scalar_one() > 1000
