"""A full ventas read, made ready for PostgreSQL inside the reader process.

The reader process already spends a core decoding Firebird rows; the writer's own Python work
(resolving ids, building tuples, formatting COPY rows) took CPU from it on a two-core machine.
Here the reader places every document we do not have yet: it reserves their ids from
``erp_ventas_id_seq`` and hands over the COPY text of those documents and their lines. Documents
we already have, their lines and the cancellations still travel as a VentasBatch for the
writer's general upsert.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from core.erp.source import VentasBatch, decimals_as_text

VENTA_COLS = ("origen", "erp_id", "tipo", "folio", "fecha", "cliente_id", "cliente_nombre",
              "almacen_id", "subtotal", "iva", "total", "estatus", "modificado_en")
DETALLE_COLS = ("venta_id", "linea", "producto_id", "cantidad", "precio_unitario", "importe")
# New documents carry their reserved id and the sync stamp upsert() would add.
WIRE_VENTA_COLS = ("id", *VENTA_COLS, "last_synced_at")
if TYPE_CHECKING:
    from sqlalchemy.engine import URL

_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def psycopg_connect_args(url: URL) -> dict[str, Any]:
    """psycopg.connect keyword arguments for a SQLAlchemy URL (host, port, user, password,
    dbname and query options such as sslmode)."""
    args: dict[str, Any] = url.translate_connect_args(username="user", database="dbname")
    args.update({k: v if isinstance(v, str) else v[-1] for k, v in url.query.items()})
    return args


def key_text(value: Any) -> str:
    """A reference as a lookup key ("" never matches an ERP id)."""
    return "" if value is None else str(value)


def clean_text(value: Any) -> str | None:
    if value is None:
        return None
    value = str(value).strip()
    return value or None


def header_row(d: tuple, clientes: dict[str, tuple[int, str]], almacenes: dict[str, int]) -> tuple:
    """A VentasBatch document as a row of VENTA_COLS, with our ids."""
    cliente = clientes.get(key_text(d[5]))
    return (str(d[0]), str(d[1]), clean_text(d[2]), clean_text(d[3]), d[4],
            cliente[0] if cliente else None, cliente[1] if cliente else None,
            almacenes.get(key_text(d[6])), d[7] or 0, d[8] or 0, d[9] or 0, clean_text(d[10]), d[11])


def _field(value: Any) -> str:
    """One value in COPY's text format."""
    if value is None:
        return "\\N"
    if isinstance(value, str):
        return value.translate(_ESCAPES)
    if isinstance(value, datetime):
        return value.isoformat(" ")
    return str(value)


@dataclass
class WireBatch:
    """What the writer gets: COPY text of new documents and their lines, and the rest."""

    doc_text: bytes
    doc_count: int
    line_text: bytes
    line_count: int
    rest: VentasBatch
    watermark: datetime | None = None
    unknown: int = 0
    new_keys: list[tuple[str, str]] = field(default_factory=list)


class VentasWire:
    """Called by the reader process on each batch (see core.erp.pipeline's ``encode``)."""

    def __init__(self, *, connect_args: dict[str, Any], productos: dict[str, int],
                 almacenes: dict[str, int], clientes: dict[str, tuple[int, str]],
                 known: set[tuple[str, str]]) -> None:
        import psycopg

        self.productos, self.almacenes, self.clientes, self.known = productos, almacenes, clientes, known
        # Keyword arguments, never a rendered URL: a password with a space or an @ stays whole,
        # and no driver error can quote it back.
        self.conn = psycopg.connect(**connect_args, autocommit=True)

    def _reserve(self, n: int) -> list[int]:
        """n ids of erp_ventas' own sequence (never handed out twice, whoever else inserts)."""
        if not n:
            return []
        rows = self.conn.execute("SELECT nextval(pg_get_serial_sequence('erp_ventas', 'id')) "
                                 "FROM generate_series(1, %s)", (n,)).fetchall()
        return [r[0] for r in rows]

    def __call__(self, batch: VentasBatch) -> WireBatch:
        keys = [(str(d[0]), str(d[1])) for d in batch.documentos]
        new_docs = [(k, d) for k, d in zip(keys, batch.documentos, strict=True) if k not in self.known]
        ids = dict(zip((k for k, _ in new_docs), self._reserve(len(new_docs)), strict=True))
        watermark = max((d[11] for d in batch.documentos if d[11] is not None), default=None)
        now = datetime.now().isoformat(" ")
        doc_lines = [f"{ids[k]}\t" + "\t".join(map(_field, header_row(d, self.clientes, self.almacenes)))
                     + f"\t{now}\n" for k, d in new_docs]
        line_rows, rest_lines, unknown = [], [], 0
        productos = self.productos
        for ln in batch.lineas:
            vid = ids.get((str(ln[0]), str(ln[1])))
            if vid is None:
                rest_lines.append(ln)  # a document we already have: the writer's general upsert
                continue
            pid = productos.get(key_text(ln[3]))
            if pid is None:
                unknown += 1
                continue
            # Amounts are Decimals (their text is exact); precio may be NULL, importe counts as 0.
            precio = "\\N" if ln[5] is None else ln[5]
            line_rows.append(f"{vid}\t{int(ln[2])}\t{pid}\t{ln[4]}\t{precio}\t{ln[6] or 0}\n")
        rest_docs = [d for k, d in zip(keys, batch.documentos, strict=True) if k in self.known]
        rest = decimals_as_text(VentasBatch(rest_docs, rest_lines, batch.cancelados))
        return WireBatch("".join(doc_lines).encode(), len(doc_lines), "".join(line_rows).encode(),
                         len(line_rows), rest, watermark, unknown, list(ids))
