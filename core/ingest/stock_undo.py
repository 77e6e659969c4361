"""Undo for inventory uploads: keep the stock rows a load overwrites, and put them back on undo."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Connection, delete, select

from core.db import upsert
from core.models import erp_inventario, upload_stock_snapshots

SNAP_COLS = ["upload_id", "producto_id", "almacen_id", "existed", "stock_actual", "stock_minimo",
             "punto_reorden", "stock_maximo", "prev_upload_id"]
_VALUES = ("stock_actual", "stock_minimo", "punto_reorden", "stock_maximo")
_SNAP_KEY = ["upload_id", "producto_id", "almacen_id"]


def snapshot_stock(conn: Connection, upload_id: int, pairs: Iterable[tuple[int, int]]) -> None:
    """Record, before the load writes them, what the (producto, almacén) rows held and who owned them."""
    wanted = set(pairs)
    if not wanted:
        return
    inv = erp_inventario.c
    almacenes = sorted({a for _p, a in wanted})
    current = {
        (r.producto_id, r.almacen_id): r
        for r in conn.execute(select(inv.producto_id, inv.almacen_id, *(inv[c] for c in _VALUES), inv.upload_id)
                              .where(inv.almacen_id.in_(almacenes)))
    }
    rows = []
    for p, a in wanted:
        old = current.get((p, a))
        if old is None:
            rows.append((upload_id, p, a, False, None, None, None, None, None))
        else:
            rows.append((upload_id, p, a, True, *(getattr(old, c) for c in _VALUES), old.upload_id))
    upsert(conn, "upload_stock_snapshots", rows, columns=SNAP_COLS, key=_SNAP_KEY, fresh=True)


def restore_stock(conn: Connection, upload_id: int) -> int:
    """Put back the rows an upload overwrote and delete the ones it created; returns rows restored.

    Rows a later upload took over stay as they are, but that upload's snapshot now points to what
    was there before this one, so undoing it later does not bring this upload's values back.
    Uploads loaded before snapshots existed have none: their rows are deleted, as before.
    """
    snap = upload_stock_snapshots.c
    inv = erp_inventario.c
    own = {(r.producto_id, r.almacen_id): r for r in conn.execute(
        select(upload_stock_snapshots).where(snap.upload_id == upload_id))}
    owned = set(conn.execute(select(inv.producto_id, inv.almacen_id).where(inv.upload_id == upload_id)).tuples())
    restore = [(p, a, *(getattr(r, c) for c in _VALUES), r.prev_upload_id)
               for (p, a), r in own.items() if r.existed and (p, a) in owned]
    upsert(conn, "erp_inventario", restore, key=["producto_id", "almacen_id"],
           columns=["producto_id", "almacen_id", *_VALUES, "upload_id"])
    # What is still this upload's now is what it created.
    conn.execute(delete(erp_inventario).where(inv.upload_id == upload_id))
    later = conn.execute(select(snap.upload_id, snap.producto_id, snap.almacen_id)
                         .where(snap.prev_upload_id == upload_id)).all()
    handed = []
    for u, p, a in later:
        r = own.get((p, a))
        before = (r.existed, *(getattr(r, c) for c in _VALUES), r.prev_upload_id) if r else (False, *[None] * 5)
        handed.append((u, p, a, *before))
    upsert(conn, "upload_stock_snapshots", handed, columns=SNAP_COLS, key=_SNAP_KEY)
    conn.execute(delete(upload_stock_snapshots).where(snap.upload_id == upload_id))
    return len(restore)
