"""The sync schedules: which entities each SYNC_*_CRON setting runs, and when they run next."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from croniter import croniter

from core.config import get_settings

log = logging.getLogger(__name__)

# (schedule name, entities it syncs, setting holding its cron expression). Customers
# change as rarely as the catalog, so they ride on the productos schedule.
SCHEDULES: tuple[tuple[str, tuple[str, ...], str], ...] = (
    ("productos", ("productos", "clientes"), "sync_productos_cron"),
    ("inventario", ("inventario",), "sync_inventario_cron"),
    ("ventas", ("ventas",), "sync_ventas_cron"),
)


def schedules() -> list[tuple[str, tuple[str, ...], str]]:
    """(name, entities, cron expression) of every valid schedule; invalid ones are logged and skipped."""
    settings = get_settings()
    out = []
    for name, entities, setting in SCHEDULES:
        expr = (getattr(settings, setting) or "").strip()
        if not expr:
            continue
        if not croniter.is_valid(expr):
            log.error("%s=%r no es una expresión cron válida; la programación se omite",
                      setting.upper(), expr)
            continue
        out.append((name, entities, expr))
    return out


def register_all(register: Callable[..., Any]) -> int:
    """Register every schedule with RQ's cron ``register``; returns how many."""
    from core.jobs import scheduled_sync

    count = 0
    for name, entities, expr in schedules():
        register(scheduled_sync, queue_name="sync", kwargs={"entities": list(entities)},
                 cron=expr, name=f"devcompras-sync-{name}")
        count += 1
    return count


def next_runs(now: datetime | None = None) -> dict[str, datetime | None]:
    """Next scheduled run per entity, in local time like RQ's cron (None = not scheduled)."""
    base = now or datetime.now()
    out: dict[str, datetime | None] = {}
    for _, entities, expr in schedules():
        when = croniter(expr, base).get_next(datetime)
        for entity in entities:
            out[entity] = when
    for _, entities, _ in SCHEDULES:
        for entity in entities:
            out.setdefault(entity, None)
    return out
