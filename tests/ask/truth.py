"""Independent answers for the offline interpreter's tests: the raw rows read with SQLAlchemy Core
and aggregated here in Python (no SQL of the interpreter's is reused)."""

from __future__ import annotations

import calendar
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import Engine, select

from core.models import (
    erp_almacenes,
    erp_clientes,
    erp_inventario,
    erp_productos,
    erp_ventas,
    erp_ventas_detalle,
)

DAY_NAMES = ("lunes", "martes", "miércoles", "jueves", "viernes", "sábado", "domingo")


@dataclass(frozen=True)
class Line:
    venta_id: int
    day: date
    tipo: str
    almacen_id: int | None
    cliente_id: int | None
    cliente: str
    producto_id: int
    codigo: str
    nombre: str
    categoria: str | None
    grupo: str | None
    cantidad: float
    importe: float


@dataclass(frozen=True)
class Stock:
    producto_id: int
    codigo: str
    nombre: str
    categoria: str | None
    grupo: str | None
    almacen_id: int
    almacen: str
    stock: float
    minimo: float
    reorden: float | None
    maximo: float | None
    costo: float


class Truth:
    def __init__(self, engine: Engine) -> None:
        V, D, P, A, C, INV = erp_ventas, erp_ventas_detalle, erp_productos, erp_almacenes, erp_clientes, erp_inventario
        with engine.connect() as conn:
            clientes = dict(conn.execute(select(C.c.id, C.c.nombre)).all())
            self.productos = [dict(r) for r in conn.execute(select(P)).mappings()]
            self.almacenes = dict(conn.execute(select(A.c.id, A.c.nombre)).all())
            rows = conn.execute(select(D.c.venta_id, V.c.fecha, V.c.tipo, V.c.estatus, V.c.almacen_id, V.c.cliente_id,
                                       V.c.cliente_nombre, D.c.producto_id, D.c.cantidad, D.c.importe)
                                .select_from(D.join(V, V.c.id == D.c.venta_id))).all()
            stock = conn.execute(select(INV.c.producto_id, INV.c.almacen_id, INV.c.stock_actual, INV.c.stock_minimo,
                                        INV.c.punto_reorden, INV.c.stock_maximo)).all()
        by_id = {p["id"]: p for p in self.productos}
        self.lines = []
        for venta_id, fecha, tipo, estatus, almacen_id, cliente_id, cliente_nombre, pid, cantidad, importe in rows:
            if (estatus or "N") == "C":
                continue
            p = by_id[pid]
            fecha = fecha if isinstance(fecha, datetime) else datetime.fromisoformat(str(fecha))
            self.lines.append(Line(venta_id, fecha.date(), tipo or "", almacen_id, cliente_id,
                                   clientes.get(cliente_id) or cliente_nombre or "Sin cliente", pid, p["codigo"],
                                   p["nombre"], p["categoria"], p["grupo"], float(cantidad), float(importe)))
        self.stock = [Stock(pid, by_id[pid]["codigo"], by_id[pid]["nombre"], by_id[pid]["categoria"],
                            by_id[pid]["grupo"], aid, self.almacenes[aid], float(s), float(mn),
                            None if r is None else float(r), None if mx is None else float(mx),
                            float(by_id[pid]["costo"] or 0))
                      for pid, aid, s, mn, r, mx in stock if by_id[pid]["activo"]]

    def almacen_id(self, nombre: str) -> int:
        return next(i for i, n in self.almacenes.items() if n == nombre)

    # ---------------------------------------------------------------- sales

    def sales(self, start: date, end: date, *, almacen: str | None = None, categoria: str | None = None,
              grupo: str | None = None, productos: set[int] | None = None) -> list[Line]:
        aid = self.almacen_id(almacen) if almacen else None
        return [ln for ln in self.lines if start <= ln.day <= end and (aid is None or ln.almacen_id == aid)
                and (categoria is None or ln.categoria == categoria) and (grupo is None or ln.grupo == grupo)
                and (productos is None or ln.producto_id in productos)]

    @staticmethod
    def totals(lines: list[Line]) -> tuple[float, float, int]:
        return (sum(ln.importe for ln in lines), sum(ln.cantidad for ln in lines),
                len({ln.venta_id for ln in lines if ln.tipo != "D"}))

    def grouped(self, lines: list[Line], key, *, by_value: bool = True) -> list[tuple]:
        groups: dict = defaultdict(list)
        for ln in lines:
            groups[key(ln)].append(ln)
        out = [(k, *self.totals(v)) for k, v in groups.items()]
        return sorted(out, key=(lambda r: (-round(r[1], 2), r[0])) if by_value else (lambda r: r[0]))

    def ranking(self, lines: list[Line], *, n: int, ascending: bool = False, metric: str = "importe") -> list[tuple]:
        groups: dict = defaultdict(list)
        for ln in lines:
            groups[(ln.codigo, ln.nombre)].append(ln)
        out = [(c, nm, sum(x.importe for x in v), sum(x.cantidad for x in v)) for (c, nm), v in groups.items()]
        if ascending:
            out = [r for r in out if r[3] > 0]
        idx = 2 if metric == "importe" else 3
        out.sort(key=lambda r: ((round(r[idx], 2) if ascending else -round(r[idx], 2)), r[0]))
        return out[:n]

    # ---------------------------------------------------------------- stock

    def stock_rows(self, *, almacen: str | None = None, categoria: str | None = None,
                   grupo: str | None = None) -> list[Stock]:
        return [s for s in self.stock if (almacen is None or s.almacen == almacen)
                and (categoria is None or s.categoria == categoria) and (grupo is None or s.grupo == grupo)]


def month_start(day: date, back: int = 0) -> date:
    index = day.year * 12 + day.month - 1 - back
    return date(index // 12, index % 12 + 1, 1)


def month_end(day: date) -> date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def monday(day: date) -> date:
    return day - timedelta(days=day.weekday())
