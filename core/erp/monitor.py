"""What the sync page shows: per-entity state, recent runs and services' health (sync:read)."""

from __future__ import annotations

from typing import Any

from core.erp.schedules import next_runs
from core.erp.source import ENTITIES
from core.erp.sync_status import entity_overview, recent_jobs
from core.users import User, require

STATUS_LABELS = {
    "pending": "En espera",
    "running": "En curso",
    "completed": "Completada",
    "failed": "Falló",
    None: "Nunca",
}
TRIGGER_LABELS = {"cron": "Programada", "manual": "Manual", "startup": "Al iniciar"}


def overview(user: User | None) -> list[dict[str, Any]]:
    """One row per entity: last successful sync, next scheduled run, current status."""
    from core.erp.sync import ENTITY_LABELS
    from core.jobs import redis_connection

    require(user, "sync:read")
    scheduled = next_runs() if redis_connection() is not None else {}
    state = entity_overview(ENTITIES)
    return [{
        "entity": entity,
        "label": ENTITY_LABELS[entity].capitalize(),
        "last_success": state[entity]["last_success"],
        "next_run": scheduled.get(entity),
        "status": state[entity]["status"],
        "status_label": STATUS_LABELS.get(state[entity]["status"], state[entity]["status"]),
        "progress": state[entity]["progress"],
        "error_message": state[entity]["error_message"],
    } for entity in ENTITIES]


def history(user: User | None, limit: int = 20) -> list[dict[str, Any]]:
    """The last ``limit`` runs, newest first, with Spanish labels."""
    require(user, "sync:read")
    rows = recent_jobs(limit)
    for row in rows:
        row["status_label"] = STATUS_LABELS.get(row["status"], row["status"])
        row["trigger_label"] = TRIGGER_LABELS.get(row["trigger"], row["trigger"])
    return rows


def sync_health() -> dict[str, Any]:
    """ERP reachability ("ok" or "error: …") and live RQ workers, for `health` and the page."""
    from core.erp.sync import get_source
    from core.jobs import worker_count

    out: dict[str, Any] = {}
    try:
        source = get_source()
        try:
            source.ping()
        finally:
            source.close()
        out["erp"] = "ok"
    except Exception as exc:  # health reports every failure as text
        text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        out["erp"] = f"error: {text}"
    try:
        out["workers"] = worker_count()
    except Exception:  # Redis down: no live workers we can see
        out["workers"] = 0
    return out
