"""Sources a reader process builds for itself in tests/erp/test_pipeline.py (importable by name)."""

from core.erp.source import ErpError


class _Counting:
    def numbers(self, *, upto: int):
        for start in range(0, upto, 10):
            yield list(range(start, min(start + 10, upto)))

    def close(self) -> None:
        pass


def counting() -> _Counting:
    return _Counting()


def unreachable():
    raise ErpError("No se pudo conectar con 127.0.0.1:3059: el servidor no responde o está apagado.")
