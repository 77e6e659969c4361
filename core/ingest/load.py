"""Load a previewed file in one transaction through core.db.upsert; undo and history of uploads."""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Connection, delete, insert, select, update

from core.config import get_settings
from core.db import UpsertResult, begin, bump_version, copy_rows, get_engine, id_map, upsert
from core.ingest.context import leading_match, store_key
from core.ingest.errors import IngestError
from core.ingest.preview import KIND_LABELS, Preview
from core.ingest.sales_undo import restore_sales, snapshot_sales
from core.ingest.stock_undo import restore_stock, snapshot_stock
from core.ingest.util import paused_gc
from core.models import (
    erp_almacenes,
    erp_ventas,
    erp_ventas_detalle,
    uploads,
)
from core.text import plural
from core.users import User, require

log = logging.getLogger(__name__)

Progress = Callable[[float, str], None]
UNKNOWN_CHOICES = ("create", "skip")
GUESSED_STORE = ("título", "hoja", "nombre del archivo")
LINE_CHUNK = 100_000
LINE_COLS = ["venta_id", "linea", "producto_id", "cantidad", "precio_unitario", "importe"]


@dataclass
class LoadResult:
    """What a load did, in the seed's terms (processed / created / updated) plus our details."""

    status: str  # loaded | already_loaded
    upload_id: int | None
    message: str
    processed: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: list[dict[str, Any]] = field(default_factory=list)
    products_created: int = 0
    stores_created: int = 0
    replaced: list[int] = field(default_factory=list)
    rows_ok: int = 0

    def as_json(self) -> dict[str, Any]:
        """Plain dict for job results and the CLI."""
        return asdict(self)


# The operator at the shell (`python -m core ingest`): trusted like cron, recorded without a user.
OPERATOR = User(id=0, email="operador@localhost", name="Operador (línea de comandos)", role="admin")


def user_id(user: User | None) -> int | None:
    """The users.id to record (None for the operator)."""
    return None if user is None or user.id == 0 else user.id


# ---------------------------------------------------------------- lookups


def store_ids(conn: Connection) -> dict[str, tuple[int, str]]:
    """Existing almacenes by store key ("Sucursal Centro" and "CENTRO" match): (id, name as stored)."""
    rows = conn.execute(select(erp_almacenes.c.id, erp_almacenes.c.nombre))
    return {store_key(name): (i, name) for i, name in rows}


def check_catalog(pv: Preview, conn: Connection) -> None:
    """Fill the preview's unknown codes and match its store(s) to existing almacenes."""
    if pv.rows.empty or "codigo" not in pv.rows:
        return
    known = id_map(conn, "erp_productos", "codigo")
    codes = pd.unique(pv.rows["codigo"])
    pv.unknown_codes = sorted(str(c) for c in codes if c not in known)
    stores = store_ids(conn)
    # Show (and keep) existing almacenes under their stored names.
    names = {a: stores[store_key(str(a))][1] for a in pd.unique(pv.rows["almacen"])
             if a is not None and store_key(str(a)) in stores}
    # A name guessed from a title or file name with extra words ("Centro 10") is the existing "Centro".
    guessed = pv.store_source in GUESSED_STORE and pv.store and store_key(pv.store) not in stores
    if guessed and pv.store and (key := leading_match(pv.store, stores)) is not None:
        names[pv.store] = stores[key][1]
        pv.warnings.append(f"La sucursal «{pv.store}» ({pv.store_source}) se tomó como el almacén existente "
                           f"«{stores[key][1]}». Si no es así, escriba la sucursal en «Sucursal».")
        pv.store = stores[key][1]
    if names:
        pv.rows["almacen"] = pv.rows["almacen"].replace(names)
    if pv.store:
        match = stores.get(store_key(pv.store))
        if match:
            pv.store = match[1]
        pv.new_store = match is None
    new = [s for s in ([pv.store] if pv.store else pv.stores) if store_key(s) not in stores]
    if len(new) == 1:
        pv.warnings.append(f"La sucursal «{new[0]}» no existe todavía: al cargar se creará como almacén nuevo. "
                           "Si ya existe con otro nombre, escríbalo en «Sucursal».")
        pv.cli_hints.append("si la sucursal ya existe con otro nombre, indíquelo con --store NOMBRE")
    elif new:
        pv.warnings.append(f"{len(new)} sucursales no existen todavía ({', '.join(new[:5])}): al cargar se "
                           "crearán como almacenes nuevos.")
    _earlier_uploads(conn, pv)


def _earlier_uploads(conn: Connection, pv: Preview) -> None:
    """Say before loading which live upload of the same store this file replaces or overlaps."""
    if not pv.kind or not pv.date_from or not pv.date_to or not pv.store_label:
        return
    found = conn.execute(select(uploads.c.id, uploads.c.store, uploads.c.date_from, uploads.c.date_to).where(
        uploads.c.status == "loaded", uploads.c.kind == pv.kind, uploads.c.sha256 != pv.sha256,
        uploads.c.date_from <= pv.date_to, uploads.c.date_to >= pv.date_from).order_by(uploads.c.id)).all()
    for i, store, a, b in found:
        if store_key(store or "") != store_key(pv.store_label):
            continue
        if (a, b) == (pv.date_from, pv.date_to):
            pv.warnings.append(f"Reemplazará la carga #{i} del mismo periodo y sucursal.")
        elif pv.kind == "sales":
            pv.warnings.append(
                f"El periodo se traslapa con la carga #{i} de la misma sucursal ({a:%d/%m/%Y} al {b:%d/%m/%Y}): "
                "los documentos con el mismo folio (o del mismo día, si no hay folio) se actualizan con este "
                f"archivo y los demás se suman. Si después deshace esta carga, esos documentos vuelven a como los "
                f"dejó la carga #{i}.")


def already_loaded(conn: Connection, sha256: str) -> dict[str, Any] | None:
    """The live upload of exactly these bytes, if any."""
    row = conn.execute(
        select(uploads).where(uploads.c.sha256 == sha256, uploads.c.status == "loaded").order_by(uploads.c.id)
    ).mappings().first()
    return dict(row) if row else None


# ---------------------------------------------------------------- load


def load_preview(
    user: User | None,
    pv: Preview,
    data: bytes,
    *,
    unknown: str = "create",
    progress: Progress | None = None,
) -> LoadResult:
    """Write a preview's rows in ONE transaction (all or nothing) and record the upload."""
    require(user, "upload:write")
    if pv.problems:
        raise IngestError(pv.problems[0])
    if unknown not in UNKNOWN_CHOICES:
        raise IngestError("Opción inválida para claves desconocidas: use «create» (crear) o «skip» (omitir).")
    note = progress or (lambda _p, _m: None)
    written: list[Path] = []
    try:
        with paused_gc():
            return _load(user, pv, data, unknown, note, written)
    except BaseException:
        # The transaction rolled back: the kept copy of the original must go too.
        for path in written:
            path.unlink(missing_ok=True)
        raise


def _load(user: User | None, pv: Preview, data: bytes, unknown: str, note: Progress, written: list[Path]) -> LoadResult:
    """The body of load_preview: one transaction."""
    with begin() as conn:
        previous = already_loaded(conn, pv.sha256)
        if previous:
            when = previous["created_at"]
            return LoadResult(
                "already_loaded", previous["id"],
                f"Este archivo ya se cargó ({previous['filename']}, carga #{previous['id']}"
                + (f", {when:%d/%m/%Y %H:%M}" if isinstance(when, dt.datetime) else "")
                + "); no se cambió nada.",
            )
        note(0.05, "Preparando sucursales y catálogo")
        rows = pv.rows
        store_map, stores_created = _resolve_stores(conn, rows["almacen"])
        prod_map, products_created, skipped = _resolve_products(conn, rows, unknown)
        rejected = list(pv.rejected)
        if skipped is not None and skipped.any():
            fila, codes = rows.loc[skipped, "fila"].to_numpy(), rows.loc[skipped, "codigo"].to_numpy()
            rejected += [{"row": int(f), "reason": f"Clave desconocida en el catálogo (omitida): {c}"}
                         for f, c in zip(fila, codes, strict=True)]
            rejected.sort(key=lambda r: r["row"])
            rows = rows.loc[~skipped].reset_index(drop=True)
        if rows.empty:
            raise IngestError("No queda ninguna fila para cargar: todas las claves son desconocidas y se omitieron. "
                              "Para cargarlas, elija crearlas como productos nuevos.",
                              cli_hint="créelas como productos nuevos con --unknown create")
        single = store_map.get(store_key(pv.store)) if pv.store else None
        upload_id = conn.execute(insert(uploads).values(
            filename=pv.filename[:255], sha256=pv.sha256, kind=pv.kind, store=pv.store_label,
            almacen_id=single, date_from=pv.date_from, date_to=pv.date_to, status="loaded",
            user_id=user_id(user), created_at=dt.datetime.now(),
        ).returning(uploads.c.id)).scalar_one()
        note(0.15, "Escribiendo filas")
        if pv.kind == "inventory":
            res = _load_inventory(conn, rows, store_map, prod_map, upload_id)
        else:
            res = _load_sales(conn, rows, store_map, prod_map, upload_id, note,
                              replacing=_same_period(conn, pv, upload_id))
        note(0.9, "Reemplazando cargas anteriores del mismo periodo")
        replaced = _replace_earlier(conn, pv, upload_id)
        stored = _store_original(pv, data, upload_id)
        written.append(stored)
        conn.execute(update(uploads).where(uploads.c.id == upload_id).values(
            rows_ok=len(rows), rows_rejected=len(rejected), records_created=res.created,
            records_updated=res.updated, stored_path=str(stored),
            errors=json.dumps(rejected[:5000], ensure_ascii=False) if rejected else None,
        ))
        domains = ["uploads", "stock" if pv.kind == "inventory" else "sales"]
        if products_created or stores_created:
            domains.append("catalog")
        bump_version(conn, *domains)
    note(1.0, "Listo")
    label = KIND_LABELS[pv.kind or "sales"].lower()
    message = (
        f"Se cargó el archivo de {label} «{pv.filename}»: {plural(len(rows), 'fila', 'filas')}; "
        f"{plural(res.created, 'registro nuevo', 'registros nuevos')}, "
        f"{plural(res.updated, 'actualizado', 'actualizados')} y {res.unchanged:,} sin cambio; "
        f"{plural(len(rejected), 'fila rechazada', 'filas rechazadas')}."
    )
    if replaced:
        message += f" Reemplaza la carga #{', #'.join(map(str, replaced))} del mismo periodo y sucursal."
    return LoadResult(
        "loaded", upload_id, message, res.processed, res.created, res.updated, res.unchanged,
        rejected, products_created, stores_created, replaced, rows_ok=len(rows),
    )


def _resolve_stores(conn: Connection, almacenes: pd.Series) -> tuple[dict[str, int], int]:
    """Almacén id by store key, creating the new ones (origen excel)."""
    existing = store_ids(conn)
    names = {store_key(str(n)): str(n) for n in pd.unique(almacenes) if n is not None}
    new = [(name, "excel") for key, name in names.items() if key not in existing]
    if new:
        upsert(conn, "erp_almacenes", new, columns=["nombre", "origen"], key=["nombre"])
        existing = store_ids(conn)
    return {key: existing[key][0] for key in names}, len(new)


def _resolve_products(conn: Connection, rows: pd.DataFrame, unknown: str) -> tuple[dict[str, int], int, np.ndarray | None]:
    """Producto id by code; unknown codes are created (origen excel) or marked to skip."""
    known = id_map(conn, "erp_productos", "codigo")
    is_known = rows["codigo"].isin(known.keys()).to_numpy()
    if is_known.all():
        return known, 0, None
    if unknown == "skip":
        return known, 0, ~is_known
    fresh = rows.loc[~is_known].drop_duplicates("codigo")
    names = fresh["descripcion"] if "descripcion" in fresh else fresh["codigo"]
    names = names.where(names.notna(), fresh["codigo"])
    prices = fresh["precio"] if "precio" in fresh else pd.Series(np.nan, index=fresh.index)
    new = [
        (code, str(name)[:255], None if pd.isna(price) else round(float(price), 2), "excel", True)
        for code, name, price in zip(fresh["codigo"], names, prices, strict=True)
    ]
    upsert(conn, "erp_productos", new, columns=["codigo", "nombre", "precio", "origen", "activo"], key=["codigo"])
    return id_map(conn, "erp_productos", "codigo"), len(new), None


def _lookup(mapping: dict[Any, Any]) -> pd.Series:
    """A dict as a Series: Series.map then joins on a hash index instead of calling per row."""
    return pd.Series(mapping, dtype=object)


def _num_list(values: Any, digits: int) -> list[float | None]:
    """Floats rounded for NUMERIC columns, NaN as None."""
    arr = np.round(np.asarray(values, dtype=float), digits)
    out = arr.tolist()
    if np.isnan(arr).any():
        out = [None if v != v else v for v in out]
    return out


def _load_inventory(conn: Connection, rows: pd.DataFrame, stores: dict, prods: dict, upload_id: int) -> Any:
    """Set stock per product and almacén (the last row wins for a repeated key)."""
    ids = {a: stores[store_key(str(a))] for a in pd.unique(rows["almacen"])}
    alm = rows["almacen"].map(_lookup(ids)).astype(int).tolist()
    cols: dict[str, list[Any]] = {
        "producto_id": rows["codigo"].map(_lookup(prods)).astype(int).tolist(),
        "almacen_id": alm,
        "stock_actual": _num_list(rows["existencia"], 5),
    }
    for f in ("stock_minimo", "stock_maximo", "punto_reorden"):
        if f in rows:
            values = _num_list(rows[f], 5)
            cols[f] = [0.0 if v is None else v for v in values] if f == "stock_minimo" else values
    cols["upload_id"] = [upload_id] * len(rows)
    # What these rows held before (the ERP's stock, an earlier upload's), for undo and replace.
    snapshot_stock(conn, upload_id, zip(cols["producto_id"], alm, strict=True))
    tuples = list(zip(*cols.values(), strict=True))
    return upsert(conn, "erp_inventario", tuples, columns=list(cols), key=["producto_id", "almacen_id"])


_SAFE_KEY = re.compile(r"[^0-9A-Za-z._-]+")


def _load_sales(conn: Connection, rows: pd.DataFrame, stores: dict, prods: dict, upload_id: int, note: Progress,
                *, replacing: list[int] | tuple[int, ...] = ()) -> Any:
    """Documents (origen EXCEL) by folio, or one per store and day, with their lines."""
    alm = rows["almacen"].to_numpy(dtype=object)
    keys = {a: store_key(str(a)) for a in pd.unique(alm)}
    safe = {a: _SAFE_KEY.sub("-", k)[:30] for a, k in keys.items()}  # erp_id is String(80)
    fecha = pd.to_datetime(rows["fecha"])
    by_folio = "folio" in rows and bool(rows["folio"].notna().all())
    # Deterministic document id: the same file (or a corrected one) maps to the same documents.
    # Built with plain Python strings: converting to Arrow strings and back costs more here.
    # Strings are built once per distinct (store, folio or day) pair, then spread by position.
    store_code, stores_seen = pd.factorize(alm, use_na_sentinel=False)
    if by_folio:
        part_code, parts = pd.factorize(rows["folio"].to_numpy(dtype=object), use_na_sentinel=False)
        part_keys = [_SAFE_KEY.sub("-", str(f))[:49] for f in parts]
        folio = np.array([str(f)[:40] for f in parts], dtype=object)[part_code]
    else:
        part_code, parts = pd.factorize(fecha.dt.normalize(), use_na_sentinel=False)
        part_keys = ["sin-fecha" if pd.isna(d) else f"{d:%Y-%m-%d}" for d in parts]
        folio = np.full(len(rows), None, dtype=object)
    pair_code, pairs = pd.factorize(store_code.astype(np.int64) * len(parts) + part_code)
    erp_id = np.array([f"{safe[stores_seen[p // len(parts)]]}|{part_keys[p % len(parts)]}" for p in pairs],
                      dtype=object)[pair_code]
    alm_ids = {a: stores[k] for a, k in keys.items()}
    frame = pd.DataFrame({
        "erp_id": pd.Series(erp_id, dtype=object), "fecha": fecha.to_numpy(),
        "importe": rows["importe"].to_numpy(), "neg": (rows["cantidad"] < 0).to_numpy(),
        "folio": pd.Series(folio, dtype=object),
        "almacen_id": np.array([alm_ids[a] for a in stores_seen], dtype=np.int64)[store_code],
        "cliente": pd.Series(rows["cliente"].to_numpy(dtype=object) if "cliente" in rows else None,
                             index=range(len(rows)), dtype=object),
    })
    grouped = frame.groupby("erp_id", sort=False)
    docs = grouped.agg(fecha=("fecha", "min"), subtotal=("importe", "sum"), neg=("neg", "all"),
                       folio=("folio", "first"), almacen_id=("almacen_id", "first"), cliente=("cliente", "first"))
    if not by_folio:
        docs["fecha"] = docs["fecha"].dt.normalize()
    # Only this file's stores can hold its documents (their ids start with the store key).
    before = id_map(conn, "erp_ventas", "erp_id", where=(erp_ventas.c.origen == "EXCEL")
                    & erp_ventas.c.almacen_id.in_(sorted(set(alm_ids.values()))))
    if before:  # documents another upload loaded: kept so that undoing this one gives them back
        snapshot_sales(conn, upload_id, {k: before[k] for k in docs.index if k in before}, replacing)
    subtotal = _num_list(docs["subtotal"], 2)
    doc_rows = list(zip(
        ["EXCEL"] * len(docs), docs.index.tolist(), np.where(docs["neg"], "D", "V").tolist(),
        docs["folio"].tolist(), docs["fecha"].dt.to_pydatetime().tolist(),
        [None if pd.isna(c) else str(c)[:255] for c in docs["cliente"]],
        docs["almacen_id"].tolist(), subtotal, [0.0] * len(docs), subtotal, ["N"] * len(docs),
        [upload_id] * len(docs), strict=True,
    ))
    doc_cols = ["origen", "erp_id", "tipo", "folio", "fecha", "cliente_nombre", "almacen_id",
                "subtotal", "iva", "total", "estatus", "upload_id"]
    doc_res = UpsertResult()
    for fresh in (True, False):  # documents not seen before go straight in
        part_docs = [d for d in doc_rows if (d[1] not in before) == fresh]
        doc_res += upsert(conn, "erp_ventas", part_docs, key=["origen", "erp_id"], columns=doc_cols, fresh=fresh)
    note(0.4, "Escribiendo líneas de venta")
    # Every document of this file now carries this upload's id (new or updated alike).
    venta_ids = id_map(conn, "erp_ventas", "erp_id", where=erp_ventas.c.upload_id == upload_id)
    linea = grouped.cumcount().to_numpy() + 1
    codes, uniques = pd.factorize(frame["erp_id"])
    venta_col = np.array([venta_ids[k] for k in uniques], dtype=np.int64)[codes]
    prod_col = rows["codigo"].map(_lookup(prods)).to_numpy()
    cant, precio, imp = (rows[c].to_numpy(dtype=float) for c in ("cantidad", "precio", "importe"))
    # Lines of documents created by this load cannot exist yet: they skip the conflict check.
    fresh_doc = ~frame["erp_id"].isin(list(before)).to_numpy() if before else np.ones(len(rows), bool)
    total = len(rows)
    known_doc_lines: list[tuple] = []

    def fresh_lines() -> Iterator[list[tuple]]:
        """The new lines in chunks (bounded memory), streamed into one COPY; the others aside."""
        for start in range(0, total, LINE_CHUNK):
            part = slice(start, start + LINE_CHUNK)
            lines = list(zip(
                venta_col[part].tolist(), linea[part].tolist(), prod_col[part].tolist(),
                _num_list(cant[part], 5), _num_list(precio[part], 6), _num_list(imp[part], 2), strict=True,
            ))
            new = fresh_doc[part]
            if new.all():
                yield lines
            else:
                yield [t for t, is_new in zip(lines, new, strict=True) if is_new]
                known_doc_lines.extend(t for t, is_new in zip(lines, new, strict=True) if not is_new)
            done = min(start + LINE_CHUNK, total)
            note(0.4 + 0.5 * done / total, f"Líneas de venta: {done:,} de {total:,}")

    line_res = UpsertResult(created=copy_rows(conn, "erp_ventas_detalle", LINE_COLS, fresh_lines()))
    line_res += upsert(conn, "erp_ventas_detalle", known_doc_lines, key=["venta_id", "linea"], columns=LINE_COLS)
    # Documents that existed before (another upload) keep no stale lines beyond the new last one.
    reused = [(venta_ids[k], int(n)) for k, n in grouped.size().items() if k in before]
    for venta_id, last in reused:
        conn.execute(delete(erp_ventas_detalle).where(
            erp_ventas_detalle.c.venta_id == venta_id, erp_ventas_detalle.c.linea > last))
    return doc_res + line_res


def _same_period(conn: Connection, pv: Preview, upload_id: int) -> list[int]:
    """Live uploads of the same kind, store and period as this file (the ones it replaces)."""
    earlier = conn.execute(select(uploads.c.id, uploads.c.store).where(
        uploads.c.status == "loaded", uploads.c.kind == pv.kind, uploads.c.id != upload_id,
        uploads.c.date_from.is_(None) if pv.date_from is None else uploads.c.date_from == pv.date_from,
        uploads.c.date_to.is_(None) if pv.date_to is None else uploads.c.date_to == pv.date_to,
    )).all()
    return [i for i, store in earlier if store_key(store or "") == store_key(pv.store_label or "")]


def _replace_earlier(conn: Connection, pv: Preview, upload_id: int) -> list[int]:
    """A corrected file (same kind, store and period) replaces the rows of the earlier upload."""
    ids = _same_period(conn, pv, upload_id)
    for old in ids:
        _delete_rows(conn, old)
        conn.execute(update(uploads).where(uploads.c.id == old).values(status="replaced", replaced_by=upload_id))
    return ids


def _delete_rows(conn: Connection, upload_id: int) -> None:
    """Remove what an upload wrote; what it overwrote (documents, stock rows) goes back as it was."""
    restore_sales(conn, upload_id)
    restore_stock(conn, upload_id)  # stock rows go back to what they held before the upload


def _store_original(pv: Preview, data: bytes, upload_id: int) -> Path:
    """Keep the original bytes under STORAGE_DIR/uploads/ (named by upload id and hash)."""
    folder = Path(get_settings().storage_dir) / "uploads"
    folder.mkdir(parents=True, exist_ok=True)
    safe = re.sub(r"[^0-9A-Za-z._ -]+", "_", Path(pv.filename).name)[-80:] or "archivo"
    path = folder / f"{upload_id:06d}_{pv.sha256[:12]}_{safe}"
    path.write_bytes(data)
    return path


# ---------------------------------------------------------------- history and undo


def list_uploads(user: User | None, *, limit: int = 50) -> list[dict[str, Any]]:
    """Latest uploads, newest first."""
    require(user, "upload:read")
    with get_engine().connect() as conn:
        rows = conn.execute(select(uploads).order_by(uploads.c.id.desc()).limit(limit)).mappings().all()
    return [dict(r) for r in rows]


def upload_detail(user: User | None, upload_id: int) -> dict[str, Any]:
    """One upload's row, its rejected rows and the kept original (None if the file is gone)."""
    require(user, "upload:read")
    with get_engine().connect() as conn:
        row = conn.execute(select(uploads).where(uploads.c.id == upload_id)).mappings().first()
    if row is None:
        raise IngestError(f"No existe la carga #{upload_id}.")
    out = dict(row)
    out["rejected"] = json.loads(row["errors"]) if row["errors"] else []
    path = Path(row["stored_path"]) if row["stored_path"] else None
    out["original"] = path.read_bytes() if path and path.is_file() else None
    return out


def undo_upload(user: User | None, upload_id: int) -> str:
    """Remove every row an upload wrote, in one transaction; returns a Spanish confirmation."""
    require(user, "upload:write")
    with begin() as conn:
        row = conn.execute(select(uploads).where(uploads.c.id == upload_id)).mappings().first()
        if row is None:
            raise IngestError(f"No existe la carga #{upload_id}.")
        if row["status"] != "loaded":
            raise IngestError(f"La carga #{upload_id} no está vigente (estado: {row['status']}); no hay nada que deshacer.")
        _delete_rows(conn, upload_id)
        conn.execute(update(uploads).where(uploads.c.id == upload_id).values(status="undone"))
        bump_version(conn, "uploads", "stock" if row["kind"] == "inventory" else "sales")
    if row["kind"] == "inventory":
        return (f"Se deshizo la carga #{upload_id} ({row['filename']}): las existencias volvieron a los "
                "valores que tenían antes de la carga.")
    return f"Se deshizo la carga #{upload_id} ({row['filename']}): sus ventas se eliminaron."
