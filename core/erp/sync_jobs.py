"""Sync as a job: queue a sync (manual, startup or scheduled) on the generic ``core.jobs``.

Everything sync-specific that used to live in ``core.jobs`` is here: the busy check, the
per-entity ``sync_jobs`` rows created before queuing, the job function itself, and the
reconcile hook that fails sync rows whose owner is gone.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from core.config import get_settings
from core.jobs import (
    QUEUE_SYNC,
    JobFailed,
    current_job_id,
    enqueue,
    reconcile,
    register_reconciler,
    register_status_extra,
)

JOB_KIND = "sync"


def sync_now(entities: Iterable[str] | str | None = None, *, user: Any, full: bool = False,
             trigger: str = "manual") -> str:
    """Queue a sync of ``entities`` for ``user`` (needs sync:trigger); returns the job id.

    Raises SyncBusy (Spanish message) when one of them is already running or waiting.
    """
    from core.erp.sync import normalise_entities
    from core.users import require

    require(user, "sync:trigger")
    wanted = normalise_entities(entities)
    ensure_not_busy(wanted)
    return queue_sync(list(wanted), user=user, full=full, trigger=trigger)


def queue_sync(entities: list[str], *, user: Any = None, full: bool = False,
               trigger: str = "manual") -> str:
    """Create the waiting sync_jobs rows and queue the job (no permission or busy check)."""
    from core.erp.sync_status import create_job, set_rq_job_id

    user_id = getattr(user, "id", None)
    rows = {e: create_job(e, trigger=trigger, source=get_settings().erp_source, full=full,
                          user_id=user_id) for e in entities}
    try:
        job_id = enqueue(sync_job, queue=QUEUE_SYNC, job_kind=JOB_KIND, user=user,
                         entities=list(entities), full=full, trigger=trigger, job_ids=rows,
                         requested_by=user_id)
    except JobFailed as exc:
        _fail_rows(rows, str(exc))
        raise
    set_rq_job_id(list(rows.values()), job_id)
    return job_id


def _fail_rows(rows: dict[str, int], message: str) -> None:
    from core.erp.sync_status import Counts, finish

    for row in rows.values():
        finish(row, status="failed", counts=Counts(), error=message)


def ensure_not_busy(entities: Iterable[str]) -> None:
    """Raise SyncBusy when a sync of any of ``entities`` runs or waits to run."""
    from core.erp.sync import ENTITY_LABELS
    from core.erp.sync_lock import EntityLock, SyncBusy
    from core.erp.sync_status import waiting_entities

    reconcile()  # rows left by a process that died must not refuse this sync
    busy = set(waiting_entities())
    for entity in entities:
        if entity in busy:
            continue
        if EntityLock(entity).is_held():
            busy.add(entity)
    hit = [ENTITY_LABELS[e] for e in entities if e in busy]
    if hit:
        raise SyncBusy(f"Ya hay una sincronización de {', '.join(hit)} en curso o en espera; "
                       "espere a que termine.")


def sync_job(*, entities: list[str], full: bool, trigger: str, job_ids: dict[str, int],
             requested_by: int | None = None) -> dict[str, Any]:
    """The queued sync: run it, and raise (so RQ retries) when the ERP could not be read.

    A completed sync of ventas fires the "after:ventas" schedules (the retrain after a sales
    sync, when it is switched on).
    """
    from core import schedules
    from core.erp.sync import run_sync

    report = run_sync(entities=entities, full=full, trigger=trigger, job_id=job_ids,
                      rq_job_id=current_job_id(), requested_by=requested_by)
    if report.status != "completed" and report.retryable:
        raise JobFailed(report.message)
    if report.status == "completed":
        for entity in entities:
            schedules.fire_event(f"after:{entity}")
    return report.as_json()


def scheduled_sync(*, entities: list[str], trigger: str = "cron") -> str | None:
    """What a sync schedule starts: a queued sync leaving a jobs row, or None when busy."""
    from core.erp.sync_lock import SyncBusy

    try:
        ensure_not_busy(entities)
    except SyncBusy:
        return None
    return queue_sync(list(entities), full=False, trigger=trigger)


def startup_sync() -> str | None:
    """Queue a sync (trigger "startup") of the entities that never synced; returns the job id."""
    from core.erp.source import ENTITIES
    from core.erp.sync_lock import SyncBusy
    from core.erp.sync_status import entity_overview

    never = [e for e, info in entity_overview(ENTITIES).items() if info["last_success"] is None]
    if not never:
        return None
    try:
        ensure_not_busy(never)
    except SyncBusy:
        return None
    try:
        return queue_sync(never, full=True, trigger="startup")
    except JobFailed:
        return None


def reconcile_sync_rows() -> int:
    """Fail the sync_jobs rows whose owner is gone (see ``sync_status.fail_orphans``)."""
    from core.erp.sync_lock import EntityLock
    from core.erp.sync_status import fail_orphans
    from core.jobs import job_state

    return fail_orphans(lock_held=lambda entity: EntityLock(entity).is_held(),
                        job_state=job_state)


def _entities_of(job_id: str) -> dict[str, Any]:
    from core.erp.sync_status import jobs_of

    return {"entities": jobs_of(job_id)}


register_reconciler(reconcile_sync_rows)
register_status_extra(JOB_KIND, _entities_of)
