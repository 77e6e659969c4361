"""Full sync from the demo ERP (what seed-demo and the zero-configuration start use)."""

from __future__ import annotations

from core.erp.demo import DemoSource
from core.erp.sync import run_sync
from tests.erp.sync_truth import microsip_truth, our_figures


def test_demo_full_sync_equals_the_demo_tables(engine, clean_db):
    source = DemoSource(scale=0.1)
    truth = microsip_truth(source.conn.cursor())  # computed before the sync closes the source
    report = run_sync(source=source, full=True, trigger="startup")
    assert report.status == "completed", report.message
    ours = our_figures()
    for key in ("productos", "almacenes", "clientes", "documentos", "lineas"):
        assert ours[key] == truth[key], key
    assert ours["stock"] == truth["stock"]
    assert ours["unidades"] == truth["unidades"]
    assert truth["documentos"] > 1000 and len(truth["stock"]) >= 3


def test_demo_rerun_through_configured_source_changes_nothing(engine, clean_db):
    assert run_sync(full=True).status == "completed"  # ERP_SOURCE=demo in the test settings
    again = run_sync()
    assert again.status == "completed"
    assert all((r.counts.created, r.counts.updated) == (0, 0) for r in again.entities.values())


def test_a_big_load_leaves_planner_statistics(engine, clean_db):
    """After a full load the sales tables are analysed, so the next sync's lookups use indexes."""
    from sqlalchemy import text

    from core import db
    from core.erp.demo import DemoSource
    from core.erp.sync import run_sync

    report = run_sync(source=DemoSource(scale=0.6), entities=None, full=True)
    assert report.status == "completed"
    if engine.dialect.name != "postgresql":
        return  # SQLite: nothing to refresh
    with db.get_engine().connect() as conn:
        analysed = conn.execute(text(
            "SELECT relname FROM pg_stat_user_tables WHERE last_analyze IS NOT NULL "
            "AND relname IN ('erp_ventas', 'erp_ventas_detalle')")).scalars().all()
    assert sorted(analysed) == ["erp_ventas", "erp_ventas_detalle"]
