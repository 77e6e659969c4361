"""Plain functions that tests enqueue (importable by an RQ worker process)."""

from __future__ import annotations

from pathlib import Path

from core import jobs
from core.erp.source import ErpError


def double(*, value: int) -> dict:
    """Succeeds, reporting progress on the way."""
    jobs.report_progress(0.5, "a la mitad")
    return {"status": "completed", "value": value * 2, "message": f"Listo: {value * 2}"}


def flaky(*, counter: str, failures: int) -> dict:
    """Fails ``failures`` times (counted in a file shared by processes), then succeeds."""
    path = Path(counter)
    n = int(path.read_text()) if path.exists() else 0
    path.write_text(str(n + 1))
    if n < failures:
        raise ErpError(f"No se pudo conectar con el ERP (intento {n + 1}).")
    return {"status": "completed", "attempt": n + 1}


def broken() -> None:
    """Always fails with a Spanish ERP error."""
    raise ErpError("No se pudo conectar con el servidor Firebird: conexión rechazada.")


def wait_for_file(*, path: str, timeout: float = 60) -> dict:
    """Runs until ``path`` exists (a job that is alive as long as the test wants)."""
    import time

    deadline = time.monotonic() + timeout
    while not Path(path).exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    return {"status": "completed"}


def start_echo(*, value: int, trigger: str) -> str:
    """A schedule starter declared by a test: returns a recognisable fake job id."""
    return f"echo-{value}-{trigger}"
