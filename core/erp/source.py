"""The contract between an ERP reader and the sync engine.

A source yields batches of plain tuples whose field order is given by the
``*_FIELDS`` constants below; tuples keep a million-line sync cheap.
References between entities use the ERP's own ids (as strings), never ours.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Protocol

from core.errors import ReadableError

ENTITIES = ("productos", "inventario", "clientes", "ventas")

PRODUCTO_FIELDS = (
    "erp_id", "codigo", "nombre", "descripcion", "precio", "costo",
    "categoria", "grupo", "unidad_medida", "activo",
)
ALMACEN_FIELDS = ("erp_id", "nombre")
INVENTARIO_FIELDS = (
    "producto_erp_id", "almacen_erp_id", "stock_actual", "stock_minimo",
    "punto_reorden", "stock_maximo", "ubicacion",
)
CLIENTE_FIELDS = (
    "erp_id", "clave", "nombre", "rfc", "email", "telefono", "direccion", "activo",
)
# origen: "VE" (DOCTOS_VE) or "PV" (DOCTOS_PV); tipo: the Microsip TIPO_DOCTO letter;
# modificado_en: FECHA_HORA_ULT_MODIF, the incremental watermark.
VENTA_FIELDS = (
    "origen", "erp_id", "tipo", "folio", "fecha", "cliente_erp_id",
    "almacen_erp_id", "subtotal", "iva", "total", "estatus", "modificado_en",
)
# cantidad and importe are negative for returns (devoluciones).
VENTA_DETALLE_FIELDS = (
    "origen", "venta_erp_id", "linea", "producto_erp_id", "cantidad",
    "precio_unitario", "importe",
)


@dataclass
class VentasBatch:
    """Whole documents: every line of each document in ``documentos`` is in ``lineas``.

    ``cancelados`` holds (origen, erp_id) of documents cancelled in the ERP that
    must disappear from our copy.
    """

    documentos: list[tuple] = field(default_factory=list)
    lineas: list[tuple] = field(default_factory=list)
    cancelados: list[tuple[str, str]] = field(default_factory=list)


def decimals_as_text(batch: VentasBatch) -> VentasBatch:
    """The batch with its Decimals as their exact text, to send it to another process: pickling
    a Decimal costs about ten times its text, and COPY (or SQLite's NUMERIC bind) takes either."""
    def text(row: tuple) -> tuple:
        return tuple(str(v) if type(v) is Decimal else v for v in row)

    return VentasBatch([text(d) for d in batch.documentos], [text(ln) for ln in batch.lineas],
                       batch.cancelados)


class ErpSource(Protocol):
    """What the sync engine reads; implemented by the Microsip reader and the demo ERP."""

    name: str

    def productos(self) -> Iterator[list[tuple]]: ...

    def almacenes(self) -> Iterator[list[tuple]]: ...

    def inventario(self) -> Iterator[list[tuple]]: ...

    def clientes(self) -> Iterator[list[tuple]]: ...

    def ventas(self, *, modified_since: datetime | None) -> Iterator[VentasBatch]:
        """Documents modified at or after ``modified_since`` (all when None)."""
        ...

    def ping(self) -> str:
        """A short description of the connected database; raises ErpError when unreachable."""
        ...

    def close(self) -> None: ...


class ErpError(ReadableError):
    """An ERP failure with a message in Spanish that can be shown to the user."""
