"""Health of the services the app depends on: database, Redis, ERP and live workers."""

from __future__ import annotations

from typing import Any

from core import db
from core.config import get_settings


def _status(check) -> str:
    try:
        detail = check()
    except Exception as exc:  # noqa: BLE001 - health reports every failure as text
        text = db.describe_error(exc) or (str(exc).splitlines()[0] if str(exc) else type(exc).__name__)
        return f"error: {text}"
    return "ok" if not detail else f"ok ({detail})"


def _redis() -> str | None:
    from core.jobs import redis_connection

    conn = redis_connection()
    if conn is None:
        return "sin configurar: trabajos en el mismo proceso"
    conn.ping()
    return None


def _erp() -> str | None:
    from core.erp.sync import get_source

    source = get_source()
    try:
        return source.ping()
    finally:
        source.close()


def check_health() -> dict[str, Any]:
    """One entry per service: "ok", "ok (detalle)" or "error: …"; workers is a count."""
    from core.jobs import worker_count

    report: dict[str, Any] = {"database": _status(db.ping), "redis": _status(_redis), "erp": _status(_erp)}
    try:
        report["workers"] = worker_count()
    except Exception:  # noqa: BLE001 - Redis down already shows in report["redis"]
        report["workers"] = 0
    report["erp_source"] = get_settings().erp_source
    return report


def is_healthy(report: dict[str, Any]) -> bool:
    return all(not str(report[k]).startswith("error") for k in ("database", "redis", "erp"))
