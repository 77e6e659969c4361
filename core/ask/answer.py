"""Layer 5, the answer: a Spanish summary sentence, a chart when the shape fits, follow-ups."""

from __future__ import annotations

import re
from typing import Any

from core.ask.parts import Parts

MONEY_COLUMNS = {"importe", "valor", "ticket_promedio", "precio", "costo", "importe_devuelto", "subtotal",
                 "total", "iva", "precio_unitario"}
TIME_COLUMNS = {"dia", "semana", "mes", "fecha", "periodo_fecha", "anio", "ano"}
_ISO_DATE = re.compile(r"\d{4}-\d{2}(?:-\d{2})?")


def money(value: float) -> str:
    sign = "-" if value < 0 else ""
    return f"{sign}${abs(value):,.2f}"


def number(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"


def show(column: str, value: Any) -> str:
    if isinstance(value, bool) or value is None:
        return "—" if value is None else ("sí" if value else "no")
    if isinstance(value, int | float):
        return money(value) if column in MONEY_COLUMNS else number(value)
    return str(value)


def _numeric(rows: list[dict[str, Any]], column: str) -> bool:
    values = [r[column] for r in rows if r[column] is not None]
    return bool(values) and all(isinstance(v, int | float) and not isinstance(v, bool) for v in values)


def chart(columns: list[str], rows: list[dict[str, Any]]) -> dict[str, str] | None:
    """A chart for the shape: time + number → line; category + number → bar; otherwise none."""
    if len(rows) < 2 or len(columns) < 2:
        return None
    numbers = [c for c in columns if _numeric(rows, c)]
    if not numbers:
        return None
    y = next((c for c in ("importe", "valor", "unidades") if c in numbers), numbers[0])
    first = columns[0]
    if first in TIME_COLUMNS or all(isinstance(r[first], str) and _ISO_DATE.fullmatch(r[first]) for r in rows):
        return {"type": "line", "x": first, "y": y}
    label: str | None = next((c for c in ("nombre", "cliente", "almacen", "categoria", "grupo", "dia", "periodo")
                  if c in columns and c not in numbers), None)
    label = label or next((c for c in columns if c not in numbers), None)
    if label and len(rows) <= 50:
        return {"type": "bar", "x": label, "y": y}
    return None


def summary(title: str, columns: list[str], rows: list[dict[str, Any]], parts: Parts | None) -> str:
    """One Spanish sentence about the rows."""
    if not rows:
        return f"{title}: no hay resultados con esos criterios."
    if parts is not None and parts.kind == "comparacion" and len(rows) == 2:
        now, before = rows
        change = ""
        if before["importe"]:
            change = f" ({(now['importe'] - before['importe']) / abs(before['importe']):+.1%})"
        return (f"Ventas de {now['periodo']}: {money(now['importe'])} contra {money(before['importe'])} "
                f"de {before['periodo']}{change}.")
    if len(rows) == 1:
        shown = ", ".join(f"{c.replace('_', ' ')} {show(c, rows[0][c])}" for c in columns[:5])
        return f"{title}: {shown}."
    numbers = [c for c in columns if _numeric(rows, c)]
    label = next((c for c in columns if c not in numbers), None)
    sentence = f"{title}: {len(rows):,} filas."
    if label and numbers:
        metric = next((c for c in ("importe", "valor", "unidades", "faltante", "exceso") if c in numbers), numbers[0])
        sentence += (f" La primera es {rows[0][label]} con {metric.replace('_', ' ')} "
                     f"{show(metric, rows[0][metric])}.")
    return sentence


def follow_ups(parts: Parts | None, almacenes: list[str], categorias: list[str], examples: tuple[str, ...],
               question: str) -> list[str]:
    """Two or three questions that continue this one."""
    if parts is None:
        return [e for e in examples if e != question][:3]
    out: list[str] = []
    if parts.period is not None:
        out.append("¿Y el mes pasado?" if parts.period.label != "el mes pasado" else "¿Y este mes?")
    other = [a for a in almacenes if not parts.almacen or a != parts.almacen[1]]
    if other:
        out.append(f"¿Y en {other[0]}?")
    if categorias and not parts.categoria and parts.kind not in {"ventas_por_categoria", "productos_por_categoria",
                                                                   "inventario_valorizado_categoria"}:
        out.append(f"Solo los de {categorias[0]}")
    related = {"mas_vendidos": "¿Cuáles son los menos vendidos?", "menos_vendidos": "¿Y los más vendidos?",
               "stock_bajo": "¿Qué productos debo reordenar?", "sin_existencia": "¿Qué productos tienen stock bajo?",
               "ventas_total": "¿Y por almacén?", "ventas_por_almacen": "Ventas por categoría",
               "inventario_valorizado": "¿Cuánto vale el inventario por almacén?"}
    if parts.kind in related:
        out.insert(0, related[parts.kind])
    return out[:3]
