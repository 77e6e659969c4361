"""The ``sync_jobs`` rows: one per run per entity, read by the sync page and the CLI."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, insert, select, update

from core.db import begin, get_engine
from core.models import sync_jobs
from core.scrub import scrub

INTERRUPTED = "Interrumpida: el proceso que la ejecutaba terminó antes de acabar."
NOT_STARTED = ("No se inició: el proceso que la tenía en espera terminó antes de empezarla "
               "(se detuvo o se reinició).")
# A pending row not yet linked to its job is that young: sync_now links it right after queuing.
UNLINKED_GRACE = timedelta(minutes=5)


def _now() -> datetime:
    # Microseconds kept: most runs take under a second, and durations come from these stamps.
    return datetime.now()


@dataclass
class Counts:
    """Per-entity counters of one run."""

    processed: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    failed: int = 0

    def as_dict(self) -> dict[str, int]:
        return {
            "processed": self.processed, "created": self.created, "updated": self.updated,
            "unchanged": self.unchanged, "failed": self.failed,
        }


def create_job(
    entity: str, *, trigger: str, source: str | None, full: bool,
    rq_job_id: str | None = None, user_id: int | None = None,
) -> int:
    """Insert a pending sync_jobs row and return its id."""
    with begin() as conn:
        return int(conn.execute(
            insert(sync_jobs).values(
                job_type=entity, trigger=trigger, source=source, full=full, status="pending",
                rq_job_id=rq_job_id, requested_by=user_id, created_at=_now(),
            ).returning(sync_jobs.c.id)
        ).scalar_one())


def get_job(job_id: int) -> dict[str, Any] | None:
    """One sync_jobs row as a dict, or None."""
    with get_engine().connect() as conn:
        row = conn.execute(select(sync_jobs).where(sync_jobs.c.id == job_id)).mappings().first()
    return dict(row) if row else None


def mark_running(job_id: int) -> None:
    """pending -> running."""
    with begin() as conn:
        conn.execute(update(sync_jobs).where(sync_jobs.c.id == job_id).values(
            status="running", started_at=_now(), progress=0.0, error_message=None))


def record_progress(job_id: int, counts: Counts, progress: float) -> None:
    """Counts so far and a 0..1 progress while running."""
    with begin() as conn:
        conn.execute(update(sync_jobs).where(sync_jobs.c.id == job_id).values(
            progress=min(max(progress, 0.0), 0.99), **_count_values(counts)))


def finish(
    job_id: int, *, status: str, counts: Counts, error: str | None = None,
    watermark: datetime | None = None,
) -> None:
    """running -> completed/failed with the final counts."""
    values: dict[str, Any] = {
        "status": status, "completed_at": _now(), "error_message": scrub(error),
        **_count_values(counts),
    }
    if status == "completed":
        values["progress"] = 1.0
    if watermark is not None:
        values["watermark"] = watermark
    with begin() as conn:
        conn.execute(update(sync_jobs).where(sync_jobs.c.id == job_id).values(**values))
        row = conn.execute(
            select(sync_jobs.c.started_at).where(sync_jobs.c.id == job_id)
        ).first()
        if row is not None and row.started_at is None:
            conn.execute(update(sync_jobs).where(sync_jobs.c.id == job_id).values(started_at=_now()))


def fail_stale_running(entity: str, *, except_id: int) -> int:
    """Rows left 'running'/'pending' by a dead process; called while holding the entity lock."""
    with begin() as conn:
        res = conn.execute(
            update(sync_jobs)
            .where(sync_jobs.c.job_type == entity, sync_jobs.c.status == "running",
                   sync_jobs.c.id != except_id)
            .values(status="failed", error_message=INTERRUPTED, completed_at=_now())
        )
        return int(res.rowcount or 0)


def fail_orphans(*, lock_held: Callable[[str], bool],
                 job_state: Callable[[str], str | None]) -> int:
    """Fail the pending/running rows whose owner is gone; returns how many.

    A running row is orphaned when nobody holds its entity's lock (the lock is taken before the
    row starts and given back after it ends). A pending row waits for its job: orphaned when that
    job (``job_state``: its status, None when there is no such job) has ended, or when the row
    was never linked to a job and is older than UNLINKED_GRACE.
    """
    with get_engine().connect() as conn:
        rows = conn.execute(
            select(sync_jobs.c.id, sync_jobs.c.job_type, sync_jobs.c.status,
                   sync_jobs.c.rq_job_id, sync_jobs.c.created_at)
            .where(sync_jobs.c.status.in_(("pending", "running")))
        ).all()
    failed = 0
    held: dict[str, bool] = {}
    for row in rows:
        if row.status == "running":
            if row.job_type not in held:
                held[row.job_type] = lock_held(row.job_type)
            if not held[row.job_type]:
                failed += _fail_if(row.id, "running", INTERRUPTED)
        elif _pending_orphaned(row.rq_job_id, row.created_at, job_state):
            failed += _fail_if(row.id, "pending", NOT_STARTED)
    return failed


def _pending_orphaned(job_id: str | None, created_at: datetime | None,
                      job_state: Callable[[str], str | None]) -> bool:
    if job_id is None:
        return created_at is not None and created_at < _now() - UNLINKED_GRACE
    return job_state(job_id) in (None, "completed", "failed")


def _fail_if(row_id: int, status: str, reason: str) -> int:
    # Conditional on the status we saw: a row its owner finished meanwhile is left alone.
    with begin() as conn:
        res = conn.execute(
            update(sync_jobs).where(sync_jobs.c.id == row_id, sync_jobs.c.status == status)
            .values(status="failed", error_message=reason, completed_at=_now())
        )
        return int(res.rowcount or 0)


def last_watermark(entity: str) -> datetime | None:
    """Watermark of the newest completed run of the entity that recorded one."""
    with get_engine().connect() as conn:
        return conn.execute(
            select(sync_jobs.c.watermark)
            .where(sync_jobs.c.job_type == entity, sync_jobs.c.status == "completed",
                   sync_jobs.c.watermark.is_not(None))
            .order_by(sync_jobs.c.id.desc()).limit(1)
        ).scalar()


def expected_records(entity: str, *, full: bool) -> int | None:
    """Records processed by the last completed run of the same kind: the progress denominator."""
    with get_engine().connect() as conn:
        return conn.execute(
            select(sync_jobs.c.records_processed)
            .where(sync_jobs.c.job_type == entity, sync_jobs.c.status == "completed",
                   sync_jobs.c.full == full, sync_jobs.c.records_processed > 0)
            .order_by(sync_jobs.c.id.desc()).limit(1)
        ).scalar()


def recent_jobs(limit: int = 20) -> list[dict[str, Any]]:
    """The newest sync_jobs rows, newest first, with a duration in seconds."""
    with get_engine().connect() as conn:
        rows = conn.execute(
            select(sync_jobs).order_by(sync_jobs.c.id.desc()).limit(limit)
        ).mappings().all()
    out = []
    for row in rows:
        item = dict(row)
        start, end = item.get("started_at"), item.get("completed_at")
        item["duration_s"] = (end - start).total_seconds() if start and end else None
        out.append(item)
    return out


def entity_overview(entities: tuple[str, ...]) -> dict[str, dict[str, Any]]:
    """Per entity: last successful sync, newest job status and whether one is active."""
    out: dict[str, dict[str, Any]] = {}
    with get_engine().connect() as conn:
        for entity in entities:
            last_ok = conn.execute(
                select(func.max(sync_jobs.c.completed_at))
                .where(sync_jobs.c.job_type == entity, sync_jobs.c.status == "completed")
            ).scalar()
            newest = conn.execute(
                select(sync_jobs).where(sync_jobs.c.job_type == entity)
                .order_by(sync_jobs.c.id.desc()).limit(1)
            ).mappings().first()
            out[entity] = {
                "last_success": last_ok,
                "status": newest["status"] if newest else None,
                "progress": newest["progress"] if newest else None,
                "error_message": newest["error_message"] if newest else None,
                "job_id": newest["id"] if newest else None,
                "created_at": newest["created_at"] if newest else None,
                "records_processed": newest["records_processed"] if newest else 0,
            }
    return out


def active_jobs(rq_job_id: str | None = None) -> list[dict[str, Any]]:
    """Jobs pending or running (optionally of one enqueued job), oldest first."""
    query = select(sync_jobs).where(sync_jobs.c.status.in_(("pending", "running")))
    if rq_job_id is not None:
        query = query.where(sync_jobs.c.rq_job_id == rq_job_id)
    with get_engine().connect() as conn:
        return [dict(r) for r in conn.execute(query.order_by(sync_jobs.c.id)).mappings().all()]


def _count_values(counts: Counts) -> dict[str, int]:
    return {
        "records_processed": counts.processed, "records_created": counts.created,
        "records_updated": counts.updated, "records_unchanged": counts.unchanged,
        "records_failed": counts.failed,
    }


def set_rq_job_id(row_ids: list[int], job_id: str) -> None:
    """Link pre-created rows to the enqueued job."""
    with begin() as conn:
        conn.execute(update(sync_jobs).where(sync_jobs.c.id.in_(row_ids),
                                             sync_jobs.c.rq_job_id.is_(None))
                     .values(rq_job_id=job_id))


def jobs_of(rq_job_id: str) -> list[dict[str, Any]]:
    """The sync_jobs rows (every attempt) of one enqueued job, oldest first."""
    with get_engine().connect() as conn:
        return [dict(r) for r in conn.execute(
            select(sync_jobs).where(sync_jobs.c.rq_job_id == rq_job_id).order_by(sync_jobs.c.id)
        ).mappings().all()]


PENDING_TTL = timedelta(hours=1)


def waiting_entities() -> list[str]:
    """Entities with a queued (pending) run younger than PENDING_TTL."""
    with get_engine().connect() as conn:
        return list(conn.execute(
            select(sync_jobs.c.job_type).distinct()
            .where(sync_jobs.c.status == "pending", sync_jobs.c.created_at >= _now() - PENDING_TTL)
        ).scalars())
