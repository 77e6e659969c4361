"""Layer 1, the schema agent: a curated catalog of the analytic tables, in Spanish.

Only these tables can be queried (the guard's allow-list and the database role's grants are
built from ALLOWED_TABLES); only the tables a question needs are described to the LLM.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Column:
    name: str
    description: str
    unit: str = ""
    samples: tuple[str, ...] = ()


@dataclass(frozen=True)
class TableInfo:
    name: str
    description: str
    columns: tuple[Column, ...]
    keywords: tuple[str, ...] = field(default=())  # words of a question that call for it


CATALOG: tuple[TableInfo, ...] = (
    TableInfo(
        "erp_productos", "Catálogo de productos (artículos de Microsip).",
        (
            Column("id", "identificador interno"),
            Column("codigo", "clave del artículo", samples=("TOR-0001", "PIN-0102")),
            Column("nombre", "nombre del producto", samples=("Tornillo hexagonal 1/4\" x 1\"",)),
            Column("precio", "precio de venta antes de IVA", "MXN"),
            Column("costo", "costo unitario", "MXN"),
            Column("categoria", "línea del producto", samples=("Tornillería", "Cerrajería")),
            Column("grupo", "grupo de líneas", samples=("Ferretería", "Eléctrico")),
            Column("unidad_medida", "unidad de venta", samples=("PIEZA", "METRO", "KILO")),
            Column("activo", "producto vigente (true/false)"),
        ),
        ("producto", "articulo", "catalogo", "categoria", "linea", "grupo", "precio", "costo", "codigo"),
    ),
    TableInfo(
        "erp_almacenes", "Almacenes y sucursales.",
        (
            Column("id", "identificador interno"),
            Column("nombre", "nombre del almacén o sucursal",
                   samples=("Almacén General", "Sucursal Zapopan")),
            Column("activo", "almacén vigente (true/false)"),
        ),
        ("almacen", "sucursal", "tienda", "bodega"),
    ),
    TableInfo(
        "erp_inventario", "Existencia actual de cada producto en cada almacén.",
        (
            Column("producto_id", "→ erp_productos.id"),
            Column("almacen_id", "→ erp_almacenes.id"),
            Column("stock_actual", "existencia actual", "unidades del producto"),
            Column("stock_minimo", "existencia mínima", "unidades del producto"),
            Column("punto_reorden", "punto de reorden", "unidades del producto"),
            Column("stock_maximo", "existencia máxima", "unidades del producto"),
            Column("ubicacion", "ubicación en el almacén"),
        ),
        ("stock", "existencia", "inventario", "minimo", "maximo", "reorden", "agotado", "hay"),
    ),
    TableInfo(
        "erp_clientes", "Clientes.",
        (
            Column("id", "identificador interno"),
            Column("clave", "clave del cliente"),
            Column("nombre", "nombre o razón social"),
            Column("activo", "cliente vigente (true/false)"),
        ),
        ("cliente", "comprador"),
    ),
    TableInfo(
        "erp_ventas", "Documentos de venta: una fila por factura, remisión o ticket.",
        (
            Column("id", "identificador interno"),
            Column("origen", "módulo de origen", samples=("VE", "PV", "EXCEL")),
            Column("tipo", "tipo de documento; 'D' es devolución (resta)", samples=("F", "R", "T", "D")),
            Column("folio", "folio del documento"),
            Column("fecha", "fecha y hora del documento"),
            Column("cliente_id", "→ erp_clientes.id"),
            Column("cliente_nombre", "nombre del cliente en el documento"),
            Column("almacen_id", "→ erp_almacenes.id"),
            Column("subtotal", "importe antes de IVA", "MXN"),
            Column("iva", "IVA", "MXN"),
            Column("total", "importe con IVA", "MXN"),
            Column("estatus", "'C' es cancelado: no cuenta; compare con COALESCE(estatus, 'N') <> 'C'"),
        ),
        ("venta", "vend", "factura", "ticket", "documento", "devolucion", "cliente", "mes", "dia",
         "semana", "ano", "periodo"),
    ),
    TableInfo(
        "erp_ventas_detalle", "Renglones de venta: producto, cantidad e importe de cada documento.",
        (
            Column("venta_id", "→ erp_ventas.id"),
            Column("linea", "número de renglón"),
            Column("producto_id", "→ erp_productos.id"),
            Column("cantidad", "cantidad vendida (negativa en devoluciones)", "unidades del producto"),
            Column("precio_unitario", "precio unitario", "MXN"),
            Column("importe", "importe neto del renglón antes de IVA (negativo en devoluciones)", "MXN"),
        ),
        ("vend", "venta", "movimiento", "rotacion", "importe", "unidades", "piezas"),
    ),
)

TABLES = {t.name: t for t in CATALOG}
ALLOWED_TABLES = frozenset(TABLES)
# Customer personal data (RFC, e-mail, phone, address): synced for the ERP's sake, but no purchasing
# question needs it, answers are cached for every user alike and, with an LLM, questions and SQL
# leave the building. Never described in the catalog above; the guard refuses any read of it,
# for every role (admin included), and on SQLite the runner's authorizer too.
PRIVATE_COLUMNS: dict[str, frozenset[str]] = {
    "erp_clientes": frozenset({"rfc", "email", "telefono", "direccion"}),
}
RULES = (
    "Ventas netas = SUM(erp_ventas_detalle.importe) de documentos con COALESCE(estatus, 'N') <> 'C'; "
    "las devoluciones (tipo 'D') ya vienen negativas.",
    "Existencia de un producto = SUM(erp_inventario.stock_actual) sobre sus almacenes.",
    "Stock bajo: stock_actual < stock_minimo. Valor del inventario: stock_actual × costo (existencia positiva).",
)


def fold(text: str) -> str:
    """Lowercase without accents: how questions and names are compared."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def tables_for(question: str) -> list[str]:
    """The tables a question seems to need (with the tables they join through); all when unsure."""
    q = fold(question)
    picked = {t.name for t in CATALOG if any(k in q for k in t.keywords)}
    if not picked:
        return list(TABLES)
    if "erp_ventas_detalle" in picked or "erp_ventas" in picked:
        picked |= {"erp_ventas", "erp_ventas_detalle", "erp_productos"}
    if "erp_inventario" in picked:
        picked |= {"erp_productos", "erp_almacenes"}
    if "erp_almacenes" in picked and "erp_ventas" not in picked:
        picked.add("erp_inventario")
    return [t.name for t in CATALOG if t.name in picked]


def describe(tables: list[str]) -> str:
    """The tables as text for the LLM's prompt: columns, Spanish descriptions, units, samples."""
    parts = []
    for name in tables:
        t = TABLES[name]
        lines = [f"TABLE {t.name} -- {t.description}"]
        for c in t.columns:
            extra = f" [{c.unit}]" if c.unit else ""
            if c.samples:
                extra += " ej.: " + ", ".join(c.samples)
            lines.append(f"  {c.name}: {c.description}{extra}")
        parts.append("\n".join(lines))
    return "\n\n".join(parts) + "\n\nReglas:\n" + "\n".join(f"- {r}" for r in RULES)


def context(tables: list[str]) -> dict[str, Any]:
    """``metadata.schemaContext`` of the contract: the tables used and their columns."""
    return {"tables": [{"name": n, "description": TABLES[n].description,
                        "columns": [c.name for c in TABLES[n].columns]} for n in tables]}
