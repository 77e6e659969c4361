"""The sync schedules, declared into ``core.schedules``: which entities each SYNC_*_CRON
setting runs, and when each entity syncs next."""

from __future__ import annotations

from datetime import datetime

from core.schedules import Schedule, active_cron, declare

# (schedule name, entities it syncs, setting holding its cron expression). Customers
# change as rarely as the catalog, so they ride on the productos schedule.
SCHEDULES: tuple[tuple[str, tuple[str, ...], str], ...] = (
    ("productos", ("productos", "clientes"), "sync_productos_cron"),
    ("inventario", ("inventario",), "sync_inventario_cron"),
    ("ventas", ("ventas",), "sync_ventas_cron"),
)
STARTER = "core.erp.sync_jobs:scheduled_sync"

for _name, _entities, _setting in SCHEDULES:
    declare(Schedule(name=f"sync-{_name}", label=f"Sincronización de {_name}", starter=STARTER,
                     kwargs={"entities": list(_entities)}, setting=_setting))


def schedules() -> list[tuple[str, tuple[str, ...], str]]:
    """(name, entities, cron expression) of every valid sync schedule; invalid ones are skipped."""
    out = []
    for schedule, expr in active_cron():
        if schedule.starter == STARTER:
            out.append((schedule.name.removeprefix("sync-"),
                        tuple(schedule.kwargs["entities"]), expr))
    return out


def next_runs(now: datetime | None = None) -> dict[str, datetime | None]:
    """Next scheduled run per entity, in local time like RQ's cron (None = not scheduled)."""
    from croniter import croniter

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
