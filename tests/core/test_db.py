from datetime import datetime
from decimal import Decimal

import pytest
from sqlalchemy import inspect, select

from core import db
from core.models import erp_productos

COLS = ("erp_id", "codigo", "nombre", "precio", "activo", "last_synced_at")


def _rows(*specs):
    return [(str(i), f"SKU-{i}", nombre, Decimal(precio), True, datetime(2026, 1, 1, 10, 0)) for i, nombre, precio in specs]


def _upsert(rows):
    with db.begin() as conn:
        return db.upsert(conn, "erp_productos", rows, columns=COLS, key=("erp_id",))


def test_upsert_counts_created_updated_unchanged(clean_db):
    first = _upsert(_rows((1, "Tornillo", "1.50"), (2, "Tuerca", "0.75")))
    assert (first.created, first.updated, first.unchanged) == (2, 0, 0)
    again = _upsert(_rows((1, "Tornillo", "1.50"), (2, "Tuerca", "0.75")))
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)
    changed = _upsert(_rows((1, "Tornillo", "1.60"), (2, "Tuerca", "0.75"), (3, "Rondana", "0.10")))
    assert (changed.created, changed.updated, changed.unchanged) == (1, 1, 1)
    with db.get_engine().connect() as conn:
        precios = dict(conn.execute(select(erp_productos.c.codigo, erp_productos.c.precio)).tuples().all())
    assert {k: Decimal(str(v)) for k, v in precios.items()} == {
        "SKU-1": Decimal("1.60"), "SKU-2": Decimal("0.75"), "SKU-3": Decimal("0.10")}


def test_upsert_last_duplicate_in_a_batch_wins(clean_db):
    result = _upsert(_rows((1, "Primero", "1"), (1, "Segundo", "2")))
    assert result.created == 1
    with db.get_engine().connect() as conn:
        assert conn.scalar(select(erp_productos.c.nombre)) == "Segundo"


def test_upsert_rolls_back_with_the_transaction(clean_db):
    with pytest.raises(RuntimeError), db.begin() as conn:
        db.upsert(conn, "erp_productos", _rows((1, "A", "1")), columns=COLS, key=("erp_id",))
        raise RuntimeError("falla a la mitad")
    with db.get_engine().connect() as conn:
        assert conn.scalar(select(erp_productos.c.id)) is None


def test_bump_version_happens_in_the_callers_transaction(clean_db):
    before = db.data_versions_now()["catalog"]
    with pytest.raises(RuntimeError), db.begin() as conn:
        db.bump_version(conn, "catalog")
        raise RuntimeError
    assert db.data_versions_now()["catalog"] == before
    with db.begin() as conn:
        db.bump_version(conn, "catalog", "stock")
    now = db.data_versions_now()
    assert now["catalog"] == before + 1


def test_seed_indexes_exist(engine):
    names = {ix["name"] for t in ("erp_productos", "erp_inventario", "erp_ventas", "sync_jobs")
             for ix in inspect(engine).get_indexes(t)}
    assert {"idx_erp_productos_categoria", "idx_erp_inventario_stock_bajo", "idx_erp_inventario_almacen",
            "idx_erp_ventas_fecha", "idx_erp_ventas_cliente_fecha", "idx_sync_jobs_status_created"} <= names
    if engine.dialect.name == "postgresql":
        # the seed's name index, as the inventory search uses it (migration 0008): the folded words
        assert "idx_erp_productos_palabras" in names
