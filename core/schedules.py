"""One schedule registry for the whole app.

A capability declares what should start on its own (``declare(Schedule(...))`` at import of
one of ``PROVIDERS``): on a cron expression read from a setting (the entity syncs, the weekly
retrain), or after an event (``after:ventas``: the retrain after a sales sync). RQ's cron
scheduler runs ``run_schedule(name=…)``, which skips a duplicate of the same minute and calls
the schedule's starter; every starter queues through ``core.jobs.enqueue``, so a scheduled run
leaves a ``jobs`` row, gets retries and shows on the pages like a manual one.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from croniter import croniter

from core.config import get_settings

log = logging.getLogger(__name__)

# Modules that declare schedules when imported.
PROVIDERS = ("core.erp.schedules", "core.forecast.schedules")
CRON_QUEUE = "default"  # where the tiny starter runs; the work goes to the schedule's queue
DUPLICATE = "Programación duplicada omitida."


@dataclass(frozen=True)
class Schedule:
    """Something that starts on its own.

    ``starter`` is "module:function"; called with ``kwargs`` (and ``trigger``) it queues the
    work and returns the job id (or None when it had nothing to do). ``setting`` names the
    Settings field with the cron expression; ``event`` instead starts it after an event.
    ``toggle`` names a boolean setting that must be true for an event schedule.
    """

    name: str
    label: str  # Spanish, for pages
    starter: str
    kwargs: dict[str, Any] = field(default_factory=dict)
    setting: str | None = None
    event: str | None = None
    toggle: str | None = None


_registry: dict[str, Schedule] = {}


def declare(schedule: Schedule) -> None:
    """Add (or replace) a schedule; a capability calls this when its module is imported."""
    _registry[schedule.name] = schedule


def declared() -> list[Schedule]:
    """Every declared schedule, in declaration order."""
    for module in PROVIDERS:
        importlib.import_module(module)
    return list(_registry.values())


def cron_of(schedule: Schedule) -> str | None:
    """The schedule's valid cron expression, or None (not a cron one, empty, or invalid: logged)."""
    if schedule.setting is None:
        return None
    expr = (getattr(get_settings(), schedule.setting) or "").strip()
    if not expr:
        return None
    if not croniter.is_valid(expr):
        log.error("%s=%r no es una expresión cron válida; la programación se omite",
                  schedule.setting.upper(), expr)
        return None
    return expr


def active_cron() -> list[tuple[Schedule, str]]:
    """(schedule, cron expression) of every cron schedule with a valid expression."""
    return [(s, expr) for s in declared() if (expr := cron_of(s)) is not None]


def register_all(register: Callable[..., Any]) -> int:
    """Register every cron schedule with RQ's cron ``register``; returns how many."""
    count = 0
    for schedule, expr in active_cron():
        register(run_schedule, queue_name=CRON_QUEUE, kwargs={"name": schedule.name},
                 cron=expr, name=f"devcompras-{schedule.name}")
        count += 1
    return count


def next_run(schedule: Schedule, now: datetime | None = None) -> datetime | None:
    """Next run of a cron schedule in local time, like RQ's cron (None = not scheduled)."""
    expr = cron_of(schedule)
    if expr is None:
        return None
    return croniter(expr, now or datetime.now()).get_next(datetime)


def start(schedule: Schedule, *, trigger: str) -> str | None:
    """Call a schedule's starter; returns the job id it queued (or None)."""
    module, _, name = schedule.starter.partition(":")
    func = getattr(importlib.import_module(module), name)
    result: str | None = func(trigger=trigger, **schedule.kwargs)
    return result


def run_schedule(*, name: str) -> dict[str, Any]:
    """What RQ's cron enqueues: start the named schedule once per minute slot."""
    from rq import get_current_job

    from core.jobs import _after_fork, redis_connection

    _after_fork()
    schedule = next((s for s in declared() if s.name == name), None)
    if schedule is None:
        return {"status": "failed", "message": f"Programación desconocida: {name}."}
    conn = redis_connection()
    current = get_current_job()
    if conn is not None and current is not None and current.enqueued_at is not None:
        slot = current.enqueued_at.strftime("%Y%m%d%H%M")
        if not conn.set(f"devcompras:cron:{name}:{slot}", current.id, nx=True, ex=3600):
            return {"status": "completed", "job_id": None, "message": DUPLICATE}
    job_id = start(schedule, trigger="cron")
    message = "Trabajo encolado." if job_id else "Nada que hacer: ya había uno en curso."
    return {"status": "completed", "job_id": job_id, "message": message}


def fire_event(event: str) -> list[str]:
    """Start every schedule declared for ``event`` whose toggle is on; returns the job ids."""
    settings = get_settings()
    started = []
    for schedule in declared():
        if schedule.event != event:
            continue
        if schedule.toggle and not getattr(settings, schedule.toggle):
            continue
        try:
            job_id = start(schedule, trigger=event)
        except Exception:  # an event must never break what fired it
            log.exception("schedule %s after %s failed to start", schedule.name, event)
            continue
        if job_id:
            started.append(job_id)
    return started
