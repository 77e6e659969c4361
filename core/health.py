"""Health of the services the app depends on: database, Redis, ERP and live workers."""

from __future__ import annotations

from typing import Any

from core import db, metrics
from core.config import get_settings


def _database() -> str:
    try:
        db.ping()
    except Exception as exc:  # noqa: BLE001 - health reports every failure as text
        text = db.describe_error(exc) or (str(exc).splitlines()[0] if str(exc) else type(exc).__name__)
        return f"error: {text}"
    return "ok"


def check_health() -> dict[str, Any]:
    """One entry per service: "ok" or "error: …" (Redis may be "sin configurar"); workers is a count;
    app_runs: the recent script runs of each app process (count, p50/p95 ms, per page)."""
    from core.erp.monitor import sync_health

    services = sync_health()
    redis = services["redis"]
    return {
        "database": _database(),
        "redis": "sin configurar (trabajos dentro de la app)" if redis == "none" else redis,
        "erp": services["erp"],
        "workers": services["workers"],
        "erp_source": get_settings().erp_source,
        "app_runs": metrics.process_summaries(),
    }


def is_healthy(report: dict[str, Any]) -> bool:
    return all(not str(report[k]).startswith("error") for k in ("database", "redis", "erp"))


def describe_app_runs(summaries: list[dict[str, Any]]) -> str:
    """One line per app process: its recent script runs, for `python -m core health`."""
    if not summaries:
        return "sin corridas recientes"
    return "; ".join(f"{s['process']}: {s['runs']} corridas, p50 {s.get('p50_ms', 0):.0f} ms, "
                     f"p95 {s.get('p95_ms', 0):.0f} ms" for s in summaries)
