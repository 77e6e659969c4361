"""Undo for sales uploads: keep the documents a load takes over from another live upload, and put them back."""

from __future__ import annotations

from collections.abc import Collection, Mapping

from sqlalchemy import Connection, delete, insert, select

from core.db import upsert
from core.models import (
    erp_ventas,
    erp_ventas_detalle,
    upload_sales_line_snapshots,
    upload_sales_snapshots,
)

DOC_COLS = ["erp_id", "tipo", "folio", "fecha", "cliente_id", "cliente_nombre", "almacen_id", "subtotal", "iva",
            "total", "estatus"]
LINE_COLS = ["linea", "producto_id", "cantidad", "precio_unitario", "importe"]
CHUNK = 5_000


def _chunks(ids: list[int]) -> list[list[int]]:
    return [ids[i:i + CHUNK] for i in range(0, len(ids), CHUNK)]


def snapshot_sales(conn: Connection, upload_id: int, taken: Mapping[str, int], replacing: Collection[int]) -> None:
    """Before the load rewrites them, keep the documents (and lines) of this file that exist already.

    `taken` maps erp_id -> venta id of the file's documents that exist. Documents of an upload this
    load replaces are not kept: what they held before that upload is (its own snapshot, moved here).
    """
    if not taken:
        return
    v = erp_ventas.c
    for ids in _chunks(sorted(taken.values())):
        docs = conn.execute(select(v.id, v.upload_id, *(v[c] for c in DOC_COLS)).where(v.id.in_(ids))).all()
        keep = [d for d in docs if d.upload_id not in replacing]
        moved = [d.id for d in docs if d.upload_id in replacing]
        if keep:
            conn.execute(insert(upload_sales_snapshots), [
                {"upload_id": upload_id, "venta_id": d.id, "prev_upload_id": d.upload_id,
                 **{c: getattr(d, c) for c in DOC_COLS}} for d in keep])
            lines = conn.execute(select(erp_ventas_detalle).where(
                erp_ventas_detalle.c.venta_id.in_([d.id for d in keep]))).mappings().all()
            if lines:
                conn.execute(insert(upload_sales_line_snapshots), [
                    {"upload_id": upload_id, "venta_id": r["venta_id"], **{c: r[c] for c in LINE_COLS}} for r in lines])
        if moved:
            _move(conn, [(upload_id, i) for i in moved], replacing)


def _move(conn: Connection, targets: list[tuple[int, int]], owners: Collection[int]) -> None:
    """Give (new upload, venta) the snapshot an owner in `owners` had of that venta, if any."""
    s, sl = upload_sales_snapshots.c, upload_sales_line_snapshots.c
    for new_upload, venta in targets:
        old = conn.execute(select(upload_sales_snapshots).where(
            s.venta_id == venta, s.upload_id.in_(list(owners)))).mappings().first()
        if old is None:
            continue
        conn.execute(insert(upload_sales_snapshots).values({**dict(old), "upload_id": new_upload}))
        lines = conn.execute(select(upload_sales_line_snapshots).where(
            sl.upload_id == old["upload_id"], sl.venta_id == venta)).mappings().all()
        if lines:
            conn.execute(insert(upload_sales_line_snapshots), [{**dict(r), "upload_id": new_upload} for r in lines])


def restore_sales(conn: Connection, upload_id: int) -> None:
    """Put back the documents an upload took over, delete the ones it created (with their lines).

    Documents a later upload took over stay; that upload's snapshot now holds what was there before
    this one (or nothing, so undoing it later deletes them).
    """
    v, s, sl = erp_ventas.c, upload_sales_snapshots.c, upload_sales_line_snapshots.c
    snaps = conn.execute(select(upload_sales_snapshots).where(s.upload_id == upload_id)).mappings().all()
    owned = set(conn.execute(select(v.id).where(v.upload_id == upload_id)).scalars())
    back = [r for r in snaps if r["venta_id"] in owned]
    for ids in _chunks([r["venta_id"] for r in back]):
        conn.execute(delete(erp_ventas_detalle).where(erp_ventas_detalle.c.venta_id.in_(ids)))
        lines = conn.execute(select(*(sl[c] for c in ("venta_id", *LINE_COLS))).where(
            sl.upload_id == upload_id, sl.venta_id.in_(ids))).tuples().all()
        upsert(conn, "erp_ventas_detalle", lines, columns=["venta_id", *LINE_COLS], key=["venta_id", "linea"],
               fresh=True)
    if back:
        upsert(conn, "erp_ventas", [("EXCEL", *(r[c] for c in DOC_COLS), r["prev_upload_id"]) for r in back],
               columns=["origen", *DOC_COLS, "upload_id"], key=["origen", "erp_id"])
    # What is still this upload's now is what it created.
    docs = select(v.id).where(v.upload_id == upload_id).scalar_subquery()
    conn.execute(delete(erp_ventas_detalle).where(erp_ventas_detalle.c.venta_id.in_(docs)))
    conn.execute(delete(erp_ventas).where(v.upload_id == upload_id))
    # Later uploads that took over this one's documents now hold what was there before it.
    later = list(conn.execute(select(s.upload_id, s.venta_id).where(s.prev_upload_id == upload_id)).tuples())
    for u, venta in later:
        conn.execute(delete(upload_sales_line_snapshots).where(sl.upload_id == u, sl.venta_id == venta))
        conn.execute(delete(upload_sales_snapshots).where(s.upload_id == u, s.venta_id == venta))
    _move(conn, later, [upload_id])
    conn.execute(delete(upload_sales_line_snapshots).where(sl.upload_id == upload_id))
    conn.execute(delete(upload_sales_snapshots).where(s.upload_id == upload_id))
