"""What the sync page and the sync CLI show: per-entity state, recent runs, services' health,
and the Spanish labels and formats they share (sync:read)."""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any

from core.config import get_settings
from core.erp.schedules import next_runs
from core.erp.source import ENTITIES
from core.erp.sync_status import PENDING_TTL, entity_overview, recent_jobs
from core.scrub import scrub
from core.users import User, require

STATUS_LABELS = {
    "pending": "En espera",
    "running": "En curso",
    "completed": "Completada",
    "failed": "Falló",
    "interrupted": "Interrumpida",
    "busy": "No iniciada (otra en curso)",
    None: "Nunca",
}
TRIGGER_LABELS = {"cron": "Programada", "manual": "Manual", "startup": "Al iniciar"}
NO_SCHEDULER = "Requiere worker con Redis"
NO_SCHEDULE = "Sin programación"
NO_WORKER = "Sin worker activo"

_health_cache: dict[str, tuple[float, dict[str, Any]]] = {}


def entity_label(entity: str) -> str:
    """"Productos y almacenes", "Ventas"… for an entity key."""
    from core.erp.sync import ENTITY_LABELS

    return ENTITY_LABELS.get(entity, entity).capitalize()


def status_label(status: str | None) -> str:
    return STATUS_LABELS.get(status, status or "—")


def count(value: int | float | None) -> str:
    """Whole numbers with thousands separators, as the rest of the app: 102,877."""
    return f"{value or 0:,.0f}"


def when(value: datetime | None) -> str:
    """dd/mm/aaaa HH:MM, or a dash."""
    return value.strftime("%d/%m/%Y %H:%M") if value else "—"


def duration(seconds: float | None) -> str:
    """0.8 s · 12.3 s · 1 min 12 s · 2 h 5 min; a dash when unknown."""
    if seconds is None:
        return "—"
    seconds = max(float(seconds), 0.0)
    if seconds < 59.95:
        return f"{seconds:.1f} s"
    whole = round(seconds)
    if whole < 3600:
        return f"{whole // 60} min {whole % 60} s"
    return f"{whole // 3600} h {whole % 3600 // 60} min"


def embedded() -> bool:
    """True when jobs run inside the app process (no REDIS_URL): no schedules, no workers."""
    return not get_settings().redis_url


def _is_active(state: dict[str, Any], held: bool) -> bool:
    if state["status"] == "pending":
        created = state.get("created_at")
        return created is None or created >= datetime.now() - PENDING_TTL
    return state["status"] == "running" and held


def _live_status(status: str | None, held: bool) -> str | None:
    # A row left "running" by a process that died: its lock is gone with it.
    return "interrupted" if status == "running" and not held else status


def _held(entity: str) -> bool:
    from core.erp.sync_lock import EntityLock

    return EntityLock(entity).is_held()


def overview(user: User | None) -> list[dict[str, Any]]:
    """One row per entity: last successful sync, next scheduled run, current status."""
    require(user, "sync:read")
    from core.jobs import reconcile

    reconcile()  # what a dead process left running shows as failed, with its reason
    scheduled: dict[str, datetime | None] = {}
    workers = 0
    if not embedded():
        scheduled = next_runs()
        workers = _workers()
    state = entity_overview(ENTITIES)
    out = []
    for entity in ENTITIES:
        info = state[entity]
        held = info["status"] == "running" and _held(entity)
        status = _live_status(info["status"], held)
        if embedded():
            next_label = NO_SCHEDULER
        elif scheduled.get(entity) is None:
            next_label = NO_SCHEDULE
        else:
            next_label = when(scheduled[entity]) if workers else NO_WORKER
        out.append({
            "entity": entity,
            "label": entity_label(entity),
            "last_success": info["last_success"],
            "next_run": scheduled.get(entity),
            "next_run_label": next_label,
            "status": status,
            "status_label": status_label(status),
            "active": _is_active(info, held),
            "progress": info["progress"],
            "records_processed": info["records_processed"],
            "error_message": info["error_message"] if status == "failed" else None,
        })
    return out


def history(user: User | None, limit: int = 20) -> list[dict[str, Any]]:
    """The last ``limit`` runs, newest first, with Spanish labels."""
    require(user, "sync:read")
    rows = recent_jobs(limit)
    held = {e: _held(e) for e in {r["job_type"] for r in rows if r["status"] == "running"}}
    for row in rows:
        row["status"] = _live_status(row["status"], held.get(row["job_type"], False))
        if row["status"] == "running" and row["started_at"] is not None:
            row["duration_s"] = (datetime.now() - row["started_at"]).total_seconds()
        row["entity_label"] = entity_label(row["job_type"])
        row["status_label"] = status_label(row["status"])
        row["trigger_label"] = TRIGGER_LABELS.get(row["trigger"], row["trigger"])
    return rows


def _workers() -> int:
    from core.jobs import worker_count

    try:
        return worker_count()
    except Exception:  # Redis down: no live workers we can see
        return 0


def sync_health(max_age_s: float = 0.0) -> dict[str, Any]:
    """ERP reachability ("ok" or "error: …"), Redis and live RQ workers, for `health` and the page.

    ``max_age_s`` lets a page that refreshes reuse a recent answer instead of reconnecting to
    the ERP every time. The demo ERP is built inside this process: it is always reachable, and
    building it just to ping it would take seconds.
    """
    settings = get_settings()
    key = f"{settings.erp_source}|{settings.redis_url}"
    cached = _health_cache.get(key)
    if cached is not None and max_age_s > 0 and time.monotonic() - cached[0] < max_age_s:
        return dict(cached[1])
    out: dict[str, Any] = {"embedded": not settings.redis_url}
    if settings.erp_source == "demo":
        out["erp"] = "ok"
    else:
        out["erp"] = _ping_erp()
    out["redis"] = "none" if not settings.redis_url else _ping_redis()
    out["workers"] = _workers() if out["redis"] == "ok" else 0
    _health_cache[key] = (time.monotonic(), dict(out))
    return out


def _ping_erp() -> str:
    from core.erp.sync import get_source

    try:
        source = get_source()
        try:
            source.ping()
        finally:
            source.close()
        return "ok"
    except Exception as exc:  # health reports every failure as text
        text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return f"error: {scrub(text)}"


def _ping_redis() -> str:
    from core.jobs import redis_connection

    try:
        conn = redis_connection()
        if conn is not None:
            conn.ping()
        return "ok"
    except Exception as exc:  # Redis down or misconfigured
        text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return f"error: {scrub(text)}"
