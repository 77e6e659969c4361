"""Sources a reader process builds for itself in tests/erp/test_pipeline.py (importable by name)."""

from core.erp.source import ErpError


class _Counting:
    def numbers(self, *, upto: int, part: tuple[int, int] = (0, 1), fail_after: int | None = None):
        k, n = part
        mine = [i for i in range(upto) if i % n == k]
        for sent, start in enumerate(range(0, len(mine), 10)):
            if fail_after is not None and sent == fail_after:
                raise ErpError("Se perdió la conexión con el servidor de Firebird.")
            yield mine[start:start + 10]

    def close(self) -> None:
        pass


def counting() -> _Counting:
    return _Counting()


def unreachable():
    raise ErpError("No se pudo conectar con 127.0.0.1:3059: el servidor no responde o está apagado.")


class _Sales:
    def ventas(self, *, modified_since=None):
        from datetime import datetime
        from decimal import Decimal

        from core.erp.source import VentasBatch

        yield VentasBatch([("VE", "10", "F", "FA1", datetime(2026, 1, 2), None, "1",
                            Decimal("100.00"), Decimal("16.00"), Decimal("116.00"), "N", None)],
                          [("VE", "10", 1, "A-1", Decimal("0.10000"), Decimal("1000.000000"), Decimal("100.00"))],
                          [("PV", "7")])

    def close(self) -> None:
        pass


def sales() -> _Sales:
    return _Sales()
