"""An ERP stock sync takes over the rows an Excel upload had set in an ERP almacén."""

from sqlalchemy import insert, select, update

from core import db
from core.erp.sync import run_sync
from core.models import erp_inventario, uploads


def test_inventory_sync_restores_erp_stock_and_clears_the_upload_mark(demo_data):
    with db.begin() as conn:
        row = conn.execute(select(erp_inventario.c.id, erp_inventario.c.stock_actual)
                           .where(erp_inventario.c.stock_actual > 0).limit(1)).one()
        upload_id = conn.execute(insert(uploads).values(filename="existencias.xlsx", sha256="x" * 64,
                                                        kind="inventory", status="loaded")
                                 .returning(uploads.c.id)).scalar_one()
        conn.execute(update(erp_inventario).where(erp_inventario.c.id == row.id)
                     .values(stock_actual=987654, upload_id=upload_id))

    report = run_sync(entities="inventario", trigger="manual").as_json()

    assert report["status"] == "completed"
    assert report["entities"]["inventario"]["updated"] == 1
    with db.get_engine().connect() as conn:
        after = conn.execute(select(erp_inventario.c.stock_actual, erp_inventario.c.upload_id)
                             .where(erp_inventario.c.id == row.id)).one()
    assert float(after.stock_actual) == float(row.stock_actual)
    assert after.upload_id is None
