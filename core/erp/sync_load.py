"""Per-entity loaders of the sync engine: source batches -> core.db.upsert, one transaction each.

Decisions (documented in docs/sync.md):
- productos, almacenes and clientes missing from a snapshot become inactive, never deleted
  (sales and uploads keep pointing at them);
- a stock row (of an ERP almacén) missing from the snapshot keeps its row and levels but
  its stock goes to 0, so sums per almacén equal the ERP's;
- documents: headers by (origen, erp_id), lines by (venta_id, linea), lines no longer in a
  document are deleted, ``cancelados`` are deleted, and a run that read every document
  (full, or the first one) deletes VE/PV documents the ERP no longer returns.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, bindparam, text

from core.config import get_settings
from core.db import (
    UpsertResult,
    begin,
    bump_version,
    copy_text,
    dialect_name,
    get_engine,
    id_map,
    upsert,
)
from core.erp.pipeline import prefetch_from_process
from core.erp.source import ErpSource, VentasBatch
from core.erp.sync_status import Counts
from core.erp.ventas_wire import (
    DETALLE_COLS,
    VENTA_COLS,
    WIRE_VENTA_COLS,
    WireBatch,
    clean_text,
    header_row,
    key_text,
    psycopg_connect_args,
)
from core.text import plural

log = logging.getLogger(__name__)

CHUNK = 500  # ids per IN (...) list: far below SQLite's variable limit
PROGRESS_EVERY_S = 0.5

PRODUCTO_COLS = ("erp_id", "codigo", "nombre", "descripcion", "precio", "costo", "categoria",
                 "grupo", "unidad_medida", "activo", "origen")
ALMACEN_COLS = ("erp_id", "nombre", "origen", "activo")
# upload_id is written as NULL: the ERP's snapshot takes over a row an Excel upload had set, so
# undoing that upload later leaves the ERP's figure alone.
INVENTARIO_COLS = ("producto_id", "almacen_id", "stock_actual", "stock_minimo", "punto_reorden",
                   "stock_maximo", "ubicacion", "upload_id")
CLIENTE_COLS = ("erp_id", "clave", "nombre", "rfc", "email", "telefono", "direccion", "activo")
ERP_ORIGENES = ("VE", "PV")


@dataclass
class LoadContext:
    """What a loader needs: the source, the counters, and how to report a finished batch."""

    entity: str
    source: ErpSource
    full: bool
    counts: Counts
    lookback: timedelta
    previous_watermark: datetime | None
    expected: int | None
    on_batch: Callable[[Counts, float], None]
    prefetch: Callable[..., Iterator[Any]]
    # "module:function" that builds this source again in a reader process, or None (same process)
    process_reader: str | None = None
    batches: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)
    _last_report: float = 0.0

    def add(self, result: Any, *, processed: int | None = None) -> None:
        """Add an UpsertResult to the counters."""
        with self.lock:
            self.counts.created += result.created
            self.counts.updated += result.updated
            self.counts.unchanged += result.unchanged
            self.counts.processed += result.processed if processed is None else processed

    def batch_done(self) -> None:
        """Report progress after a committed batch (at most every PROGRESS_EVERY_S seconds)."""
        with self.lock:
            self.batches += 1
            now = time.monotonic()
            if now - self._last_report < PROGRESS_EVERY_S:
                return
            self._last_report = now
            if self.expected:
                progress = self.counts.processed / self.expected
            else:  # no earlier run to compare with: creep towards 1 without reaching it
                progress = 1 - 1 / (1 + self.batches / 10)
        self.on_batch(self.counts, progress)


@dataclass
class LoadOutcome:
    """What a loader returns besides the counters."""

    watermark: datetime | None = None
    notes: list[str] = field(default_factory=list)


@contextmanager
def batch_tx() -> Iterator[Connection]:
    """One batch's transaction. On PostgreSQL its commit does not wait for the WAL flush: a
    crash can lose only the last batches, never half of one, and the watermark (written
    after them, in commit order) then does not advance past them either."""
    with begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql("SET LOCAL synchronous_commit = off")
        yield conn


def _chunks(items: Sequence[Any], size: int = CHUNK) -> Iterator[Sequence[Any]]:
    for i in range(0, len(items), size):
        yield items[i:i + size]


# After a bulk load the planner knows nothing of the new rows until autovacuum gets to them; the
# next sync's lookups by id then pick sequential scans (measured: incremental 1.5 s -> 1.1 s).
ANALYZE_AFTER_CREATED = 50_000


def _refresh_statistics(tables: Sequence[str]) -> None:
    """ANALYZE freshly loaded tables (PostgreSQL; SQLite plans without statistics here)."""
    with begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql(f"ANALYZE {', '.join(tables)}")


def _in_ids(conn: Connection, sql: str) -> Any:
    """``sql`` with its ``IN :ids`` as one array parameter on PostgreSQL (``= ANY``): thousands of
    expanded placeholders cost more to build and parse than the lookup itself."""
    if conn.dialect.name == "postgresql":
        return text(sql.replace("IN :ids", "= ANY(:ids)"))
    return text(sql).bindparams(bindparam("ids", expanding=True))




# ---------------------------------------------------------------- productos + almacenes


def load_productos(ctx: LoadContext) -> LoadOutcome:
    """Almacenes then productos (full snapshots); missing ones become inactive."""
    notes = []
    seen_alm = _load_almacenes(ctx)
    deactivated = _deactivate_missing(ctx, "erp_almacenes", seen_alm, "catalog")
    if deactivated:
        notes.append(f"{deactivated} almacenes desactivados")

    with begin() as conn:
        by_codigo = {r.codigo: (r.id, r.erp_id) for r in conn.execute(
            text("SELECT id, codigo, erp_id FROM erp_productos"))}
        # Products a person created in the app: a sync never overwrites them, even on the same código.
        local = set(conn.scalars(text("SELECT codigo FROM erp_productos WHERE origen = 'local'")))
    seen: set[str] = set()
    duplicated = kept_local = 0
    for batch in ctx.prefetch(ctx.source.productos):
        rows, link = [], []
        for t in batch:
            erp_id = str(t[0])
            codigo = clean_text(t[1]) or f"ERP-{erp_id}"
            owner = by_codigo.get(codigo)
            if codigo in local:
                kept_local += 1
                continue
            if owner is not None and owner[1] not in (None, erp_id):
                duplicated += 1  # the key belongs to another ERP article
                continue
            if owner is not None and owner[1] is None:
                link.append({"id": owner[0], "e": erp_id})  # an Excel/manual product becomes ERP
            by_codigo[codigo] = (owner[0] if owner else 0, erp_id)
            seen.add(erp_id)
            rows.append((erp_id, codigo, clean_text(t[2]) or codigo, clean_text(t[3]), t[4], t[5],
                         clean_text(t[6]), clean_text(t[7]), clean_text(t[8]), bool(t[9]), "erp"))
        with batch_tx() as conn:
            if link:
                conn.execute(text("UPDATE erp_productos SET erp_id = :e, origen = 'erp' WHERE id = :id"),
                             link)
            ctx.add(upsert(conn, "erp_productos", rows, columns=PRODUCTO_COLS, key=("erp_id",)))
            bump_version(conn, "catalog")
        ctx.batch_done()
    ctx.counts.failed += duplicated
    ctx.counts.processed += duplicated + kept_local
    if duplicated:
        notes.append(plural(duplicated, "artículo con clave repetida omitido",
                            "artículos con clave repetida omitidos"))
    if kept_local:
        notes.append(plural(kept_local, "artículo omitido porque su clave es de un producto local",
                            "artículos omitidos porque su clave es de un producto local"))
    deactivated = _deactivate_missing(ctx, "erp_productos", seen, "catalog")
    if deactivated:
        notes.append(plural(deactivated, "producto desactivado", "productos desactivados"))
    return LoadOutcome(notes=notes)


def _load_almacenes(ctx: LoadContext) -> set[str]:
    with begin() as conn:
        unlinked = {r.nombre: r.id for r in conn.execute(
            text("SELECT id, nombre FROM erp_almacenes WHERE erp_id IS NULL"))}
    seen: set[str] = set()
    for batch in ctx.source.almacenes():
        rows, link = [], []
        for t in batch:
            erp_id = str(t[0])
            nombre = clean_text(t[1]) or f"Almacén {erp_id}"
            if nombre in unlinked:  # a store first seen in an Excel upload is the same almacén
                link.append({"id": unlinked.pop(nombre), "e": erp_id})
            seen.add(erp_id)
            rows.append((erp_id, nombre, "erp", True))
        with begin() as conn:
            if link:
                conn.execute(text("UPDATE erp_almacenes SET erp_id = :e, origen = 'erp' WHERE id = :id"),
                             link)
            ctx.add(upsert(conn, "erp_almacenes", rows, columns=ALMACEN_COLS, key=("erp_id",)))
            bump_version(conn, "catalog")
    return seen


def _deactivate_missing(ctx: LoadContext, table: str, seen: set[str], domain: str) -> int:
    """activo=false for ERP rows of ``table`` that the snapshot did not contain.

    An empty snapshot deactivates nothing: it means a broken read (a wrong SQL override, an
    empty database), not a company that sold off its whole catalog.
    """
    if not seen:
        return 0
    with begin() as conn:
        current = id_map(conn, table, where=text("activo = true"))
        gone = [i for e, i in current.items() if e not in seen]
        for chunk in _chunks(gone):
            conn.execute(_in_ids(conn, f"UPDATE {table} SET activo = false WHERE id IN :ids"),
                         {"ids": list(chunk)})
        if gone:
            bump_version(conn, domain)
    ctx.counts.updated += len(gone)
    return len(gone)


# ---------------------------------------------------------------- inventario


def load_inventario(ctx: LoadContext) -> LoadOutcome:
    """Stock per producto x almacén (full snapshot); pairs missing from it go to 0."""
    with begin() as conn:
        productos = id_map(conn, "erp_productos")
        almacenes = id_map(conn, "erp_almacenes")
        erp_alm_ids = set(almacenes.values())
        before = {(r.producto_id, r.almacen_id) for r in conn.execute(text(
            "SELECT producto_id, almacen_id FROM erp_inventario "
            "WHERE upload_id IS NULL AND stock_actual <> 0")) if r.almacen_id in erp_alm_ids}
    seen: set[tuple[int, int]] = set()
    unknown = 0
    for batch in ctx.prefetch(ctx.source.inventario):
        rows = []
        for t in batch:
            pid, aid = productos.get(str(t[0])), almacenes.get(str(t[1]))
            if pid is None or aid is None:
                unknown += 1
                continue
            seen.add((pid, aid))
            rows.append((pid, aid, t[2] or 0, t[3] or 0, t[4], t[5], clean_text(t[6]), None))
        with batch_tx() as conn:
            ctx.add(upsert(conn, "erp_inventario", rows, columns=INVENTARIO_COLS,
                           key=("producto_id", "almacen_id")))
            bump_version(conn, "stock")
        ctx.batch_done()
    notes = []
    zero = sorted(before - seen) if seen else []  # an empty snapshot is a broken read
    if zero:
        with begin() as conn:
            res = upsert(conn, "erp_inventario", [(p, a, 0) for p, a in zero],
                         columns=("producto_id", "almacen_id", "stock_actual"),
                         key=("producto_id", "almacen_id"))
            bump_version(conn, "stock")
        ctx.counts.updated += res.updated
        notes.append(f"{len(zero)} existencias ausentes en el ERP puestas en 0")
    if unknown:
        ctx.counts.failed += unknown
        ctx.counts.processed += unknown
        notes.append(f"{unknown} existencias de artículos o almacenes desconocidos; "
                     "sincronice productos primero")
    return LoadOutcome(notes=notes)


# ---------------------------------------------------------------- clientes


def load_clientes(ctx: LoadContext) -> LoadOutcome:
    """Customers (full snapshot); missing ones become inactive."""
    seen: set[str] = set()
    for batch in ctx.prefetch(ctx.source.clientes):
        rows = []
        for t in batch:
            erp_id = str(t[0])
            seen.add(erp_id)
            rows.append((erp_id, clean_text(t[1]), clean_text(t[2]) or f"Cliente {erp_id}", clean_text(t[3]),
                         clean_text(t[4]), clean_text(t[5]), clean_text(t[6]), bool(t[7])))
        with batch_tx() as conn:
            ctx.add(upsert(conn, "erp_clientes", rows, columns=CLIENTE_COLS, key=("erp_id",)))
            bump_version(conn, "customers")
        ctx.batch_done()
    gone = _deactivate_missing(ctx, "erp_clientes", seen, "customers")
    return LoadOutcome(notes=[f"{gone} clientes desactivados"] if gone else [])


# ---------------------------------------------------------------- ventas


def load_ventas(ctx: LoadContext) -> LoadOutcome:
    """Sales documents with their lines, incremental by modificado_en."""
    since = None
    if not ctx.full and ctx.previous_watermark is not None:
        since = ctx.previous_watermark - ctx.lookback
    reads_all = since is None
    with begin() as conn:
        productos = id_map(conn, "erp_productos")
        almacenes = id_map(conn, "erp_almacenes")
        clientes = {r.erp_id: (r.id, r.nombre) for r in conn.execute(
            text("SELECT erp_id, id, nombre FROM erp_clientes"))}
        # A full read needs every known document (to find the vanished ones); an incremental
        # one looks up only the documents of each batch.
        docs: dict[tuple[str, str], int] = {
            (r.origen, r.erp_id): r.id for r in conn.execute(text(
                "SELECT origen, erp_id, id FROM erp_ventas WHERE origen IN ('VE', 'PV')"))
        } if reads_all else {}
    seen: set[tuple[str, str]] = set()
    state: dict[str, Any] = {"watermark": ctx.previous_watermark, "unknown": 0, "deleted": 0,
                             "lines_removed": 0}

    if reads_all and ctx.process_reader:  # a big read: worth a process's start-up
        batches = prefetch_from_process(ctx.process_reader, "ventas", _full_read_parts(ctx.source),
                                        **_reader_encoding(productos, almacenes, clientes, docs))
    else:
        batches = ctx.prefetch(lambda: ctx.source.ventas(modified_since=since))
    for batch in batches:
        wire = batch if isinstance(batch, WireBatch) else None
        if wire is not None:
            seen.update(wire.new_keys)
            batch = wire.rest
        _load_ventas_batch(ctx, batch, docs, seen if reads_all else None, state,
                           productos=productos, almacenes=almacenes, clientes=clientes,
                           complete_map=reads_all, wire=wire)
        ctx.batch_done()

    if reads_all and seen:  # an empty read deletes nothing: it is a broken read
        vanished = [docs[k] for k in docs.keys() - seen]
        if vanished:
            with begin() as conn:
                _delete_documents(conn, vanished)
                bump_version(conn, "sales")
            state["deleted"] += len(vanished)
    if ctx.counts.created >= ANALYZE_AFTER_CREATED:
        _refresh_statistics(("erp_ventas", "erp_ventas_detalle"))

    notes = []
    if state["deleted"]:
        notes.append(plural(state["deleted"], "documento cancelado o ya inexistente eliminado",
                            "documentos cancelados o ya inexistentes eliminados"))
    if state["lines_removed"]:
        notes.append(plural(state["lines_removed"], "renglón eliminado de un documento modificado",
                            "renglones eliminados de documentos modificados"))
    watermark = state["watermark"]
    if state["unknown"]:
        ctx.counts.failed += state["unknown"]
        ctx.counts.processed += state["unknown"]
        notes.append(plural(state["unknown"], "renglón", "renglones")
                     + " con artículo desconocido (sincronice productos; se reintentarán en la "
                     "próxima sincronización)")
        watermark = ctx.previous_watermark  # keep the window so those documents come back
    return LoadOutcome(watermark=watermark, notes=notes)


def _full_read_parts(source: ErpSource) -> list[dict[str, Any]]:
    """The arguments of each reader process of a full read: FIREBIRD_READERS parts by document
    id, when the source can split its read (one reader does not keep the writer busy)."""
    parts_of = getattr(source, "ventas_parts", None)
    n = parts_of(get_settings().firebird_readers) if parts_of is not None else 1
    if n == 1:
        return [{"modified_since": None}]
    return [{"modified_since": None, "part": (k, n)} for k in range(n)]


def _reader_encoding(productos: dict[str, int], almacenes: dict[str, int],
                     clientes: dict[str, tuple[int, str]], docs: dict[tuple[str, str], int]) -> dict[str, Any]:
    """How the reader process sends a full read: on PostgreSQL it places the documents we do not
    have yet itself (core.erp.ventas_wire); elsewhere it only sends amounts as text."""
    if dialect_name() != "postgresql":
        return {"encode": "core.erp.source:decimals_as_text"}
    return {"encode": "core.erp.ventas_wire:VentasWire", "encode_args": {
        "connect_args": psycopg_connect_args(get_engine().url),
        "productos": productos, "almacenes": almacenes, "clientes": clientes, "known": set(docs)}}


def _load_ventas_batch(
    ctx: LoadContext, batch: VentasBatch, docs: dict[tuple[str, str], int],
    seen: set[tuple[str, str]] | None, state: dict[str, Any], *,
    productos: dict[str, int], almacenes: dict[str, int], clientes: dict[str, tuple[int, str]],
    complete_map: bool = True, wire: WireBatch | None = None,
) -> None:
    headers = []
    wm = state["watermark"]
    for d in batch.documentos:
        key = (str(d[0]), str(d[1]))
        headers.append(header_row(d, clientes, almacenes))
        if seen is not None:
            seen.add(key)
        if d[11] is not None and (wm is None or d[11] > wm):
            wm = d[11]
    with batch_tx() as conn:
        if wire is not None:  # documents the reader process placed, in this same transaction
            copy_text(conn, "erp_ventas", WIRE_VENTA_COLS, wire.doc_text)
            copy_text(conn, "erp_ventas_detalle", DETALLE_COLS, wire.line_text)
        if not complete_map:
            keys = [(h[0], h[1]) for h in headers] + [(str(o), str(e)) for o, e in batch.cancelados]
            _lookup_documents(conn, keys, docs)
        existed = {docs[(h[0], h[1])] for h in headers if (h[0], h[1]) in docs}
        # Documents we do not have yet (the whole first load) go straight in with COPY; the
        # entity lock guarantees nobody else creates VE/PV documents meanwhile.
        old_h = [h for h in headers if (h[0], h[1]) in docs]
        new_h = [h for h in headers if (h[0], h[1]) not in docs]
        max_before = conn.execute(text("SELECT COALESCE(MAX(id), 0) FROM erp_ventas")).scalar_one()
        res_h = upsert(conn, "erp_ventas", old_h, columns=VENTA_COLS, key=("origen", "erp_id"))
        res_h += upsert(conn, "erp_ventas", new_h, columns=VENTA_COLS, key=("origen", "erp_id"),
                        fresh=True)
        if new_h:
            for r in conn.execute(text(
                    "SELECT origen, erp_id, id FROM erp_ventas WHERE id > :m "
                    "AND origen IN ('VE', 'PV')"), {"m": max_before}):
                docs[(r.origen, r.erp_id)] = r.id
        old_lines, new_lines = [], []
        last_line: dict[int, int] = {}  # per known document: its last line in the ERP
        skipped: list[tuple[int, int]] = []  # lines of known documents left out (unknown product)
        unknown = 0
        for ln in batch.lineas:
            vid = docs.get((str(ln[0]), str(ln[1])))
            pid = productos.get(key_text(ln[3]))
            linea = int(ln[2])
            if vid in existed:
                last_line[vid] = max(last_line.get(vid, 0), linea)
            if vid is None or pid is None:
                unknown += 1
                if vid in existed:
                    skipped.append((vid, linea))
                continue
            if vid in existed:
                old_lines.append((vid, linea, pid, ln[4], ln[5], ln[6] or 0))
            else:
                new_lines.append((vid, linea, pid, ln[4], ln[5], ln[6] or 0))
        res_l = upsert(conn, "erp_ventas_detalle", old_lines, columns=DETALLE_COLS,
                       key=("venta_id", "linea"))
        res_l += upsert(conn, "erp_ventas_detalle", new_lines, columns=DETALLE_COLS,
                        key=("venta_id", "linea"), fresh=True)
        removed = _delete_stale_lines(conn, last_line, skipped)
        cancel_ids = [docs.pop((str(o), str(e))) for o, e in batch.cancelados
                      if (str(o), str(e)) in docs]
        if seen is not None:
            seen.difference_update((str(o), str(e)) for o, e in batch.cancelados)
        _delete_documents(conn, cancel_ids)
        bump_version(conn, "sales")

    ctx.add(res_h)
    ctx.add(res_l)
    if wire is not None:
        ctx.add(UpsertResult(created=wire.doc_count))
        ctx.add(UpsertResult(created=wire.line_count))
        unknown += wire.unknown
        if wire.watermark is not None and (wm is None or wire.watermark > wm):
            wm = wire.watermark
    with ctx.lock:
        ctx.counts.updated += removed
        if wm is not None and (state["watermark"] is None or wm > state["watermark"]):
            state["watermark"] = wm
        state["unknown"] += unknown
        state["deleted"] += len(cancel_ids)
        state["lines_removed"] += removed


def _lookup_documents(conn: Connection, keys: list[tuple[str, str]],
                      docs: dict[tuple[str, str], int]) -> None:
    """Add our ids of the given (origen, erp_id) documents to ``docs``."""
    query = _in_ids(conn, "SELECT erp_id, id FROM erp_ventas WHERE origen = :o AND erp_id IN :ids")
    for origen in {k[0] for k in keys}:
        wanted = [e for o, e in keys if o == origen and (o, e) not in docs]
        for chunk in _chunks(wanted):
            for r in conn.execute(query, {"o": origen, "ids": list(chunk)}):
                docs[(origen, r.erp_id)] = r.id


def _delete_stale_lines(conn: Connection, last_line: dict[int, int],
                        skipped: list[tuple[int, int]]) -> int:
    """Delete lines of already-known documents that the ERP no longer has: those past the
    document's last line (the reader numbers lines 1..n) and those left out of this batch."""
    removed = 0
    if last_line and conn.dialect.name == "postgresql":  # one statement, not one per document
        removed = conn.execute(text(
            "DELETE FROM erp_ventas_detalle d USING unnest(CAST(:v AS integer[]), CAST(:n AS integer[])) "
            "AS t(v, n) WHERE d.venta_id = t.v AND d.linea > t.n"),
            {"v": list(last_line), "n": list(last_line.values())}).rowcount
    elif last_line:
        removed = conn.execute(
            text("DELETE FROM erp_ventas_detalle WHERE venta_id = :v AND linea > :n"),
            [{"v": v, "n": n} for v, n in last_line.items()]).rowcount
    if skipped:
        removed += conn.execute(
            text("DELETE FROM erp_ventas_detalle WHERE venta_id = :v AND linea = :n"),
            [{"v": v, "n": n} for v, n in skipped]).rowcount
    return removed


def _delete_documents(conn: Connection, venta_ids: list[int]) -> None:
    """Delete documents and their lines (explicitly: not every SQLite has FKs enforced)."""
    for chunk in _chunks(venta_ids):
        params = {"ids": list(chunk)}
        conn.execute(_in_ids(conn, "DELETE FROM erp_ventas_detalle WHERE venta_id IN :ids"), params)
        conn.execute(_in_ids(conn, "DELETE FROM erp_ventas WHERE id IN :ids"), params)


LOADERS: dict[str, Callable[[LoadContext], LoadOutcome]] = {
    "productos": load_productos,
    "inventario": load_inventario,
    "clientes": load_clientes,
    "ventas": load_ventas,
}
