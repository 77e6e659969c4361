"""The offline interpreter's SQL, one builder per kind of question, in the target dialect.

Every statement still goes through the guard and the runner like an LLM's. Names the user typed
never reach the SQL: almacenes, categorías and products are resolved to catalog values first.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from core.ask.parts import Parts
from core.ask.spanish import Period

SALES_FROM = ("erp_ventas_detalle d JOIN erp_ventas v ON v.id = d.venta_id "
              "JOIN erp_productos p ON p.id = d.producto_id")
STOCK_FROM = ("erp_inventario i JOIN erp_productos p ON p.id = i.producto_id "
              "JOIN erp_almacenes a ON a.id = i.almacen_id")
IMPORTE = "ROUND(COALESCE(SUM(d.importe), 0), 2)"
UNIDADES = "COALESCE(SUM(d.cantidad), 0)"
SALE_DOCS = "COUNT(DISTINCT CASE WHEN v.tipo <> 'D' THEN v.id END)"


def lit(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def period_conditions(period: Period) -> list[str]:
    return ["COALESCE(v.estatus, 'N') <> 'C'", f"v.fecha >= '{period.start.isoformat()}'",
            f"v.fecha < '{(period.end + timedelta(days=1)).isoformat()}'"]


def catalog_conditions(parts: Parts) -> list[str]:
    conds = []
    if parts.categoria:
        conds.append(f"p.categoria = {lit(parts.categoria)}")
    if parts.grupo:
        conds.append(f"p.grupo = {lit(parts.grupo)}")
    if parts.productos:
        conds.append(f"p.id IN ({', '.join(str(int(i)) for i in parts.productos)})")
    return conds


def sales_where(parts: Parts, period: Period | None = None) -> str:
    assert parts.period is not None
    conds = period_conditions(period or parts.period) + catalog_conditions(parts)
    if parts.almacen:
        conds.append(f"v.almacen_id = {int(parts.almacen[0])}")
    return " AND ".join(conds)


def stock_where(parts: Parts, *extra: str) -> str:
    conds = ["p.activo", *extra, *catalog_conditions(parts)]
    if parts.almacen:
        conds.append(f"i.almacen_id = {int(parts.almacen[0])}")
    return " AND ".join(conds)


def bucket(dialect: str, grain: str) -> str:
    pg = dialect == "postgresql"
    if grain == "day":
        return "CAST(v.fecha AS DATE)" if pg else "DATE(v.fecha)"
    if grain == "week":
        return "CAST(DATE_TRUNC('week', v.fecha) AS DATE)" if pg else "DATE(v.fecha, 'weekday 0', '-6 days')"
    return "TO_CHAR(v.fecha, 'YYYY-MM')" if pg else "STRFTIME('%Y-%m', v.fecha)"


def weekday(dialect: str) -> str:
    """1 = lunes … 7 = domingo."""
    if dialect == "postgresql":
        return "CAST(EXTRACT(ISODOW FROM v.fecha) AS INTEGER)"
    return "((CAST(STRFTIME('%w', v.fecha) AS INTEGER) + 6) % 7 + 1)"


DAY_NAMES = ("lunes", "martes", "miércoles", "jueves", "viernes", "sábado", "domingo")


def ventas_total(p: Parts, d: str) -> str:
    return (f"SELECT {IMPORTE} AS importe, {UNIDADES} AS unidades, {SALE_DOCS} AS documentos "
            f"FROM {SALES_FROM} WHERE {sales_where(p)}")


def _grouped(p: Parts, label: str, expr: str, join: str = "", order: str = "importe DESC") -> str:
    return (f"SELECT {expr} AS {label}, {IMPORTE} AS importe, {UNIDADES} AS unidades, "
            f"{SALE_DOCS} AS documentos FROM {SALES_FROM}{join} WHERE {sales_where(p)} "
            f"GROUP BY {expr} ORDER BY {order}, {label}")


def ventas_por_almacen(p: Parts, d: str) -> str:
    return _grouped(p, "almacen", "COALESCE(a.nombre, 'Sin almacén')",
                    " LEFT JOIN erp_almacenes a ON a.id = v.almacen_id")


def ventas_por_categoria(p: Parts, d: str) -> str:
    return _grouped(p, "categoria", "COALESCE(p.categoria, 'Sin categoría')")


def ventas_por_grupo(p: Parts, d: str) -> str:
    return _grouped(p, "grupo", "COALESCE(p.grupo, 'Sin grupo')")


def ventas_por_dia(p: Parts, d: str) -> str:
    return _grouped(p, "dia", bucket(d, "day"), order="1")


def ventas_por_semana(p: Parts, d: str) -> str:
    return _grouped(p, "semana", bucket(d, "week"), order="1")


def ventas_por_mes(p: Parts, d: str) -> str:
    return _grouped(p, "mes", bucket(d, "month"), order="1")


def ventas_por_dia_semana(p: Parts, d: str) -> str:
    n = weekday(d)
    name = "CASE " + " ".join(f"WHEN {n} = {i + 1} THEN '{day}'" for i, day in enumerate(DAY_NAMES)) + " END"
    return (f"SELECT {name} AS dia, {IMPORTE} AS importe, {UNIDADES} AS unidades, {SALE_DOCS} AS documentos "
            f"FROM {SALES_FROM} WHERE {sales_where(p)} GROUP BY {n} ORDER BY {n}")


def _ranking(p: Parts, direction: str) -> str:
    order = "unidades" if p.metric == "unidades" else "importe"
    having = " HAVING SUM(d.cantidad) > 0" if direction == "ASC" else ""
    return (f"SELECT p.codigo, p.nombre, {IMPORTE} AS importe, {UNIDADES} AS unidades "
            f"FROM {SALES_FROM} WHERE {sales_where(p)} GROUP BY p.id, p.codigo, p.nombre{having} "
            f"ORDER BY {order} {direction}, p.codigo LIMIT {p.n or 10}")


def mas_vendidos(p: Parts, d: str) -> str:
    return _ranking(p, "DESC")


def menos_vendidos(p: Parts, d: str) -> str:
    return _ranking(p, "ASC")


def ventas_producto(p: Parts, d: str) -> str:
    return (f"SELECT p.codigo, p.nombre, {IMPORTE} AS importe, {UNIDADES} AS unidades, "
            f"COUNT(DISTINCT v.id) AS documentos FROM {SALES_FROM} WHERE {sales_where(p)} "
            "GROUP BY p.id, p.codigo, p.nombre ORDER BY importe DESC, p.codigo")


def ticket_promedio(p: Parts, d: str) -> str:
    return (f"SELECT ROUND(COALESCE(SUM(CASE WHEN v.tipo <> 'D' THEN d.importe ELSE 0 END), 0) / "
            f"NULLIF({SALE_DOCS}, 0), 2) AS ticket_promedio, {SALE_DOCS} AS documentos "
            f"FROM {SALES_FROM} WHERE {sales_where(p)}")


def num_documentos(p: Parts, d: str) -> str:
    return (f"SELECT {SALE_DOCS} AS documentos, COUNT(DISTINCT CASE WHEN v.tipo = 'D' THEN v.id END) "
            f"AS devoluciones FROM {SALES_FROM} WHERE {sales_where(p)}")


def devoluciones(p: Parts, d: str) -> str:
    return (f"SELECT p.codigo, p.nombre, -SUM(d.cantidad) AS unidades_devueltas, "
            f"-ROUND(SUM(d.importe), 2) AS importe_devuelto FROM {SALES_FROM} "
            f"WHERE v.tipo = 'D' AND {sales_where(p)} GROUP BY p.id, p.codigo, p.nombre "
            f"ORDER BY importe_devuelto DESC, p.codigo LIMIT {p.n or 10}")


CLIENTE = "COALESCE(c.nombre, v.cliente_nombre, 'Sin cliente')"


def clientes_principales(p: Parts, d: str) -> str:
    return (f"SELECT {CLIENTE} AS cliente, {IMPORTE} AS importe, COUNT(DISTINCT v.id) AS documentos "
            f"FROM {SALES_FROM} LEFT JOIN erp_clientes c ON c.id = v.cliente_id WHERE {sales_where(p)} "
            f"GROUP BY v.cliente_id, {CLIENTE} ORDER BY importe DESC, cliente LIMIT {p.n or 10}")


def clientes_compraron(p: Parts, d: str) -> str:
    return (f"SELECT COUNT(DISTINCT v.cliente_id) AS clientes FROM {SALES_FROM} "
            f"WHERE v.tipo <> 'D' AND {sales_where(p)}")


def comparacion(p: Parts, d: str) -> str:
    assert p.period is not None
    previous = p.period.previous()
    parts = []
    for period in (p.period, previous):
        parts.append(f"SELECT {lit(period.label)} AS periodo, '{period.start.isoformat()}' AS desde, "
                     f"'{period.end.isoformat()}' AS hasta, {IMPORTE} AS importe, {UNIDADES} AS unidades, "
                     f"{SALE_DOCS} AS documentos FROM {SALES_FROM} WHERE {sales_where(p, period)}")
    return " UNION ALL ".join(parts)


def stock_bajo(p: Parts, d: str) -> str:
    return ("SELECT p.codigo, p.nombre, a.nombre AS almacen, i.stock_actual, i.stock_minimo, "
            f"i.stock_minimo - i.stock_actual AS faltante FROM {STOCK_FROM} "
            f"WHERE {stock_where(p, 'i.stock_actual < i.stock_minimo')} ORDER BY faltante DESC, p.codigo, almacen")


def sin_existencia(p: Parts, d: str) -> str:
    return ("SELECT p.codigo, p.nombre, a.nombre AS almacen, i.stock_actual "
            f"FROM {STOCK_FROM} WHERE {stock_where(p, 'i.stock_actual <= 0')} ORDER BY p.codigo, almacen")


def punto_reorden(p: Parts, d: str) -> str:
    return ("SELECT p.codigo, p.nombre, a.nombre AS almacen, i.stock_actual, i.punto_reorden, "
            "COALESCE(i.stock_maximo, i.punto_reorden) - i.stock_actual AS sugerido "
            f"FROM {STOCK_FROM} WHERE "
            f"{stock_where(p, 'i.punto_reorden IS NOT NULL', 'i.stock_actual <= i.punto_reorden')} "
            "ORDER BY p.codigo, almacen")


def sobre_maximo(p: Parts, d: str) -> str:
    return ("SELECT p.codigo, p.nombre, a.nombre AS almacen, i.stock_actual, i.stock_maximo, "
            f"i.stock_actual - i.stock_maximo AS exceso FROM {STOCK_FROM} WHERE "
            f"{stock_where(p, 'i.stock_maximo IS NOT NULL', 'i.stock_actual > i.stock_maximo')} "
            "ORDER BY exceso DESC, p.codigo, almacen")


VALOR = "ROUND(COALESCE(SUM(i.stock_actual * COALESCE(p.costo, 0)), 0), 2)"


def inventario_valorizado(p: Parts, d: str) -> str:
    return (f"SELECT {VALOR} AS valor, COALESCE(SUM(i.stock_actual), 0) AS unidades, "
            f"COUNT(DISTINCT i.producto_id) AS productos FROM {STOCK_FROM} "
            f"WHERE {stock_where(p, 'i.stock_actual > 0')}")


def inventario_valorizado_almacen(p: Parts, d: str) -> str:
    return (f"SELECT a.nombre AS almacen, {VALOR} AS valor, SUM(i.stock_actual) AS unidades "
            f"FROM {STOCK_FROM} WHERE {stock_where(p, 'i.stock_actual > 0')} "
            "GROUP BY a.nombre ORDER BY valor DESC, almacen")


def inventario_valorizado_categoria(p: Parts, d: str) -> str:
    cat = "COALESCE(p.categoria, 'Sin categoría')"
    return (f"SELECT {cat} AS categoria, {VALOR} AS valor, SUM(i.stock_actual) AS unidades "
            f"FROM {STOCK_FROM} WHERE {stock_where(p, 'i.stock_actual > 0')} "
            f"GROUP BY {cat} ORDER BY valor DESC, categoria")


def existencia_por_almacen(p: Parts, d: str) -> str:
    return ("SELECT a.nombre AS almacen, COUNT(DISTINCT CASE WHEN i.stock_actual > 0 THEN i.producto_id END) "
            "AS productos_con_existencia, SUM(i.stock_actual) AS unidades, "
            "ROUND(SUM(CASE WHEN i.stock_actual > 0 THEN i.stock_actual * COALESCE(p.costo, 0) ELSE 0 END), 2) "
            f"AS valor FROM {STOCK_FROM} WHERE {stock_where(p)} GROUP BY a.nombre ORDER BY almacen")


def existencia_producto(p: Parts, d: str) -> str:
    return ("SELECT p.codigo, p.nombre, a.nombre AS almacen, i.stock_actual, i.stock_minimo "
            f"FROM {STOCK_FROM} WHERE {stock_where(p)} ORDER BY p.codigo, almacen")


def precio_producto(p: Parts, d: str) -> str:
    return (f"SELECT p.codigo, p.nombre, p.precio, p.costo, p.unidad_medida FROM erp_productos p "
            f"WHERE {' AND '.join(catalog_conditions(p))} ORDER BY p.codigo")


def productos_por_categoria(p: Parts, d: str) -> str:
    cat = "COALESCE(p.categoria, 'Sin categoría')"
    where = " AND ".join(["p.activo", *catalog_conditions(p)])
    return (f"SELECT {cat} AS categoria, COUNT(*) AS productos FROM erp_productos p WHERE {where} "
            f"GROUP BY {cat} ORDER BY productos DESC, categoria")


def sin_movimiento(p: Parts, d: str) -> str:
    assert p.period is not None
    almacen_sales = f" AND v.almacen_id = {int(p.almacen[0])}" if p.almacen else ""
    return ("SELECT p.codigo, p.nombre, SUM(i.stock_actual) AS existencia, "
            f"{VALOR} AS valor FROM erp_inventario i JOIN erp_productos p ON p.id = i.producto_id "
            f"WHERE {stock_where(p, 'i.stock_actual > 0')} AND NOT EXISTS (SELECT 1 FROM erp_ventas_detalle d "
            "JOIN erp_ventas v ON v.id = d.venta_id WHERE d.producto_id = p.id AND "
            f"COALESCE(v.estatus, 'N') <> 'C' AND v.fecha >= '{p.period.start.isoformat()}'{almacen_sales}) "
            "GROUP BY p.id, p.codigo, p.nombre ORDER BY valor DESC, p.codigo")


BUILDERS: dict[str, Callable[[Parts, str], str]] = {
    name: globals()[name] for name in (
        "ventas_total", "ventas_por_almacen", "ventas_por_categoria", "ventas_por_grupo", "ventas_por_dia",
        "ventas_por_semana", "ventas_por_mes", "ventas_por_dia_semana", "mas_vendidos", "menos_vendidos",
        "ventas_producto", "ticket_promedio", "num_documentos", "devoluciones", "clientes_principales",
        "clientes_compraron", "comparacion", "stock_bajo", "sin_existencia", "punto_reorden", "sobre_maximo",
        "inventario_valorizado", "inventario_valorizado_almacen", "inventario_valorizado_categoria",
        "existencia_por_almacen", "existencia_producto", "precio_producto", "productos_por_categoria",
        "sin_movimiento",
    )
}
