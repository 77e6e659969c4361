"""An ERP source held in Python lists: a real ErpSource implementation for engine tests."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from decimal import Decimal

from core.erp.source import ErpError, VentasBatch


class MemorySource:
    """Microsip-shaped records in memory; tests edit them between syncs."""

    name = "memoria"

    def __init__(self, batch: int = 3) -> None:
        self.batch = batch
        self.reachable = True
        self.almacenes_rows = [("19", "Matriz"), ("188104", "Sucursal Norte")]
        self.productos_rows = [
            (str(1000 + i), f"SKU-{i:03d}", f"Producto {i}", None, Decimal("10.50") + i,
             Decimal("7.250000"), "Herramientas", "Ferretería", "PIEZA", True)
            for i in range(7)
        ]
        self.inventario_rows = [
            (str(1000 + i), alm, Decimal(i * 2 + k), Decimal(1), Decimal(2), Decimal(20), None)
            for i in range(7) for k, alm in enumerate(("19", "188104"))
        ]
        self.clientes_rows = [
            (str(5000 + i), f"C{i:03d}", f"Cliente {i}", "XAXX010101000", None, None, None, True)
            for i in range(4)
        ]
        self.docs: dict[tuple[str, str], tuple] = {}
        self.lines: dict[tuple[str, str], list[tuple]] = {}
        self.cancelled: dict[tuple[str, str], datetime] = {}
        for n in range(10):
            self.add_doc("VE" if n % 2 else "PV", str(9000 + n), datetime(2026, 11, 1 + n, 10),
                         [(str(1000 + n % 7), Decimal(n + 1), Decimal("10.5"))])

    def add_doc(self, origen: str, erp_id: str, when: datetime, lines: list[tuple], *,
                tipo: str = "F", cliente: str | None = "5000") -> None:
        rows = [(origen, erp_id, i + 1, p, q, price, (q * price).quantize(Decimal("0.01")))
                for i, (p, q, price) in enumerate(lines)]
        sub = sum((r[6] for r in rows), Decimal(0))
        self.docs[(origen, erp_id)] = (origen, erp_id, tipo, f"F{erp_id}", when, cliente, "19",
                                       sub, (sub * Decimal("0.16")).quantize(Decimal("0.01")),
                                       (sub * Decimal("1.16")).quantize(Decimal("0.01")), "N", when)
        self.lines[(origen, erp_id)] = rows

    def cancel(self, origen: str, erp_id: str, when: datetime) -> None:
        self.docs.pop((origen, erp_id))
        self.lines.pop((origen, erp_id))
        self.cancelled[(origen, erp_id)] = when

    def _batches(self, rows: list) -> Iterator[list]:
        self.ping()
        for i in range(0, len(rows), self.batch):
            yield list(rows[i:i + self.batch])

    def productos(self) -> Iterator[list[tuple]]:
        return self._batches(self.productos_rows)

    def almacenes(self) -> Iterator[list[tuple]]:
        return self._batches(self.almacenes_rows)

    def inventario(self) -> Iterator[list[tuple]]:
        return self._batches(self.inventario_rows)

    def clientes(self) -> Iterator[list[tuple]]:
        return self._batches(self.clientes_rows)

    def ventas(self, *, modified_since: datetime | None) -> Iterator[VentasBatch]:
        self.ping()
        keys = sorted(k for k, d in self.docs.items() if modified_since is None or d[11] >= modified_since)
        gone = [k for k, when in self.cancelled.items() if modified_since is None or when >= modified_since]
        for i in range(0, len(keys), self.batch):
            chunk = keys[i:i + self.batch]
            yield VentasBatch(documentos=[self.docs[k] for k in chunk],
                              lineas=[ln for k in chunk for ln in self.lines[k]])
        if gone:
            yield VentasBatch(cancelados=gone)

    def ping(self) -> str:
        if not self.reachable:
            raise ErpError("No se pudo conectar con el servidor Firebird: conexión rechazada.")
        return "memoria"

    def close(self) -> None:
        pass
