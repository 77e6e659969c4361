"""Background jobs: RQ when REDIS_URL is set, a thread in this process otherwise.

Both paths run the same wrapper, which keeps a ``jobs`` row (status, progress, attempts,
result, Spanish error) that pages poll with ``job_status``. Nothing here knows what a job
does: a capability (sync in ``core.erp.sync_jobs``, training in ``core.forecast.train``)
queues its functions with ``enqueue`` and may register a reconcile hook (rows of its own whose
owner is gone) and extra status fields. Schedules live in ``core.schedules``.
"""

from __future__ import annotations

import dataclasses
import importlib
import json
import logging
import threading
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import insert, select, update

from core import leases
from core.config import get_settings
from core.db import begin, get_engine
from core.errors import ReadableError
from core.leases import Lease
from core.models import jobs
from core.scrub import scrub

log = logging.getLogger(__name__)

# Queue names and job statuses: the only place they are spelled.
QUEUE_SYNC = "sync"
QUEUE_DEFAULT = "default"
QUEUE_ML = "ml"  # model training: long, CPU-bound
QUEUES = (QUEUE_SYNC, QUEUE_DEFAULT, QUEUE_ML)
PENDING, RUNNING, COMPLETED, FAILED = "pending", "running", "completed", "failed"
ACTIVE = (PENDING, RUNNING)
FINISHED = (COMPLETED, FAILED)
# Modules that register reconcile hooks / status extras when imported.
_PROVIDERS = ("core.erp.sync_jobs",)
_reconcilers: list[Callable[[], int]] = []
_status_extras: dict[str, Callable[[str], dict[str, Any]]] = {}
JOB_TIMEOUT_S = 4 * 3600
_local = threading.local()

OWNER_GONE = ("Interrumpido: el proceso de la aplicación que lo ejecutaba terminó antes de acabar "
              "(se detuvo o se reinició).")
WORKER_GONE = "El trabajador que ejecutaba el trabajo se detuvo antes de terminar."
NOT_IN_QUEUE = "El trabajo ya no está en la cola de Redis (se perdió o se vació la cola)."
# RQ refreshes a running job's heartbeat every 30 s (job_monitoring_interval); one older than
# this means its worker died without telling anyone.
RQ_HEARTBEAT_STALE = timedelta(minutes=3)
# A jobs row is written just before its RQ job: that young, a missing RQ job is not lost yet.
ENQUEUE_GRACE = timedelta(minutes=1)


class JobFailed(ReadableError):
    """A job attempt that failed; the message is in Spanish (RQ retries it when attempts remain)."""


class UnknownQueue(ReadableError, ValueError):
    """A queue name we do not run; the message is in Spanish."""


def _now() -> datetime:
    return datetime.now().replace(microsecond=0)


# ---------------------------------------------------------------- redis / rq


@lru_cache(maxsize=4)
def _redis_for(url: str) -> Any:
    from redis import Redis

    return Redis.from_url(url)


def redis_connection() -> Any | None:
    """The Redis connection, or None in the embedded (inline jobs) mode."""
    url = get_settings().redis_url
    return _redis_for(url) if url else None


def retry_intervals() -> list[int]:
    """Exponential back-off in seconds between attempts: b, 2b, 4b…"""
    settings = get_settings()
    return [settings.job_retry_backoff_s * 2 ** i for i in range(settings.job_retry_max)]


def worker_count() -> int:
    """Live RQ workers (0 without Redis)."""
    conn = redis_connection()
    if conn is None:
        return 0
    from rq import Worker

    return int(Worker.count(connection=conn))


# ---------------------------------------------------------------- enqueue


def enqueue(func: Callable[..., Any], *, queue: str, job_kind: str, user: Any = None,
            **kwargs: Any) -> str:
    """Run ``func(**kwargs)`` in the background and return the job id for ``job_status``.

    On RQ (``queue`` one of QUEUES) with ``job_retry_max`` retries and exponential
    back-off; without Redis in a daemon thread that retries the same way.
    """
    if queue not in QUEUES:
        raise UnknownQueue(f"Cola desconocida: {queue}. Use: {', '.join(QUEUES)}.")
    job_id = uuid.uuid4().hex
    func_path = f"{func.__module__}:{func.__qualname__}"
    conn_redis = redis_connection()
    lease = None
    if conn_redis is None:
        # An in-app job belongs to this process: taken before the row exists, so a row without
        # a live lease is one whose process is gone.
        lease = Lease(lease_key(job_id))
        lease.acquire()
    try:
        with begin() as conn:
            conn.execute(insert(jobs).values(
                id=job_id, kind=job_kind, queue=queue, status=PENDING,
                user_id=getattr(user, "id", None), created_at=_now()))
    except Exception:
        if lease is not None:
            lease.release()
        raise
    if conn_redis is not None:
        from rq import Queue, Retry

        intervals = retry_intervals()
        try:
            Queue(queue, connection=conn_redis).enqueue(
                run_tracked, job_id, func_path, kwargs, job_id=job_id,
                retry=Retry(max=len(intervals), interval=intervals) if intervals else None,
                job_timeout=JOB_TIMEOUT_S, result_ttl=7 * 86400, failure_ttl=7 * 86400,
                description=f"{job_kind} {job_id[:8]}",
            )
        except Exception as exc:  # Redis down: say so instead of leaving a job pending forever
            detail = scrub(str(exc).splitlines()[0]) if str(exc) else type(exc).__name__
            message = ("No se pudo encolar el trabajo: Redis no responde (revise REDIS_URL). "
                       f"Detalle: {detail}")
            _finish(job_id, FAILED, error=message)
            raise JobFailed(message) from exc
    else:
        threading.Thread(target=_run_inline, args=(job_id, func_path, kwargs, lease),
                         name=f"job-{job_kind}-{job_id[:8]}", daemon=True).start()
    return job_id


def lease_key(job_id: str) -> str:
    """The lease an in-app job holds for its process (see core.leases)."""
    return f"job:{job_id[:16]}"


def _run_inline(job_id: str, func_path: str, kwargs: dict[str, Any], lease: Lease | None) -> None:
    intervals = retry_intervals()
    try:
        for attempt in range(len(intervals) + 1):
            retries_left = len(intervals) - attempt
            try:
                _attempt(job_id, func_path, kwargs, retries_left=retries_left)
                return
            except Exception:  # recorded on the jobs row by _attempt
                if retries_left <= 0:
                    return
                time.sleep(intervals[attempt])
    finally:
        if lease is not None:
            lease.release()


def run_tracked(job_id: str, func_path: str, kwargs: dict[str, Any]) -> Any:
    """The RQ entry point: one attempt of a job, recorded on its jobs row."""
    from rq import get_current_job

    _after_fork()
    current = get_current_job()
    retries_left = (current.retries_left or 0) if current is not None else 0
    return _attempt(job_id, func_path, kwargs, retries_left=retries_left)


def _after_fork() -> None:
    """RQ runs each job in a forked process: never reuse the parent's pooled connections."""
    get_engine().dispose(close=False)


def _attempt(job_id: str, func_path: str, kwargs: dict[str, Any], *, retries_left: int) -> Any:
    with begin() as conn:
        conn.execute(update(jobs).where(jobs.c.id == job_id).values(
            status=RUNNING, started_at=_now(), attempts=jobs.c.attempts + 1, error_message=None))
    _local.job_id = job_id
    try:
        result = _resolve(func_path)(**kwargs)
    except Exception as exc:
        message = _message(exc)
        will_retry = retries_left > 0
        if will_retry:
            message += f" Se reintentará ({retries_left} intento(s) restante(s))."
        _finish(job_id, PENDING if will_retry else FAILED, error=message)
        log.warning("job %s failed: %s", job_id, message)
        if isinstance(exc, JobFailed):
            raise
        raise JobFailed(message) from exc
    finally:
        _local.job_id = None
    payload = _jsonable(result)
    if isinstance(payload, dict) and payload.get("status") == FAILED:
        # A job that ran to the end but reports failure (e.g. a sync refused as busy).
        _finish(job_id, FAILED, error=str(payload.get("message") or "El trabajo falló."),
                result=payload)
    else:
        _finish(job_id, COMPLETED, result=payload)
    return payload


def _finish(job_id: str, status: str, *, error: str | None = None, result: Any = None) -> None:
    values: dict[str, Any] = {"status": status, "error_message": scrub(error)}
    if status in FINISHED:
        values["completed_at"] = _now()
    if status == COMPLETED:
        values["progress"] = 1.0
    if result is not None:
        values["result"] = scrub(json.dumps(result, ensure_ascii=False, default=str))
        if isinstance(result, dict) and result.get("message"):
            values["message"] = scrub(str(result["message"])[:2000])
    with begin() as conn:
        conn.execute(update(jobs).where(jobs.c.id == job_id).values(**values))


def _resolve(func_path: str) -> Callable[..., Any]:
    module, _, name = func_path.partition(":")
    obj: Any = importlib.import_module(module)
    for part in name.split("."):
        obj = getattr(obj, part)
    return obj


def _message(exc: Exception) -> str:
    text = scrub(str(exc).strip().splitlines()[0]) if str(exc).strip() else type(exc).__name__
    if isinstance(exc, JobFailed) or type(exc).__module__.startswith("core"):
        return text
    return f"Error inesperado: {text}"


def _jsonable(result: Any) -> Any:
    if result is None:
        return None
    if hasattr(result, "as_json"):
        return result.as_json()
    if dataclasses.is_dataclass(result) and not isinstance(result, type):
        return dataclasses.asdict(result)
    try:
        json.dumps(result, default=str)
        return result
    except TypeError:
        return str(result)


# ---------------------------------------------------------------- progress and status


def current_job_id() -> str | None:
    """The jobs row id of the job running in this thread/process, if any."""
    return getattr(_local, "job_id", None)


def report_progress(progress: float, message: str | None = None, *, job_id: str | None = None) -> None:
    """Store 0..1 progress (and an optional Spanish message) on the running job's row."""
    job_id = job_id or current_job_id()
    if job_id is None:
        return
    values: dict[str, Any] = {"progress": min(max(float(progress), 0.0), 1.0)}
    if message is not None:
        values["message"] = scrub(message)
    with begin() as conn:
        conn.execute(update(jobs).where(jobs.c.id == job_id).values(**values))


def job_status(job_id: str) -> dict[str, Any] | None:
    """A job's row as a dict (status, progress, message, error_message, attempts, result…).

    A job whose RQ worker died (SIGKILL, OOM) is reported failed. A kind with a registered
    status extra adds its fields (sync jobs: ``entities``, their sync_jobs rows).
    """
    with get_engine().connect() as conn:
        row = conn.execute(select(jobs).where(jobs.c.id == job_id)).mappings().first()
    if row is None:
        return None
    out = dict(row)
    if out["status"] in ACTIVE and (reason := _owner_gone(out)):
        fail_orphaned_job(job_id, reason)
        return job_status(job_id)
    out["result"] = json.loads(out["result"]) if out.get("result") else None
    _load_providers()
    if extra := _status_extras.get(out["kind"]):
        out.update(extra(job_id))
    return out


# ---------------------------------------------------------------- hooks of capabilities


def register_reconciler(func: Callable[[], int]) -> None:
    """A capability's hook failing its own rows whose owner is gone; returns rows changed."""
    if func not in _reconcilers:
        _reconcilers.append(func)


def register_status_extra(kind: str, func: Callable[[str], dict[str, Any]]) -> None:
    """Extra fields ``job_status`` adds to jobs of ``kind``."""
    _status_extras[kind] = func


def _load_providers() -> None:
    for module in _PROVIDERS:
        importlib.import_module(module)


def _run_reconcilers() -> int:
    _load_providers()
    return sum(func() for func in _reconcilers)


# ---------------------------------------------------------------- recovery after a crash


def _owner_gone(row: dict[str, Any]) -> str | None:
    """Why a pending/running job has nobody left to finish it (a Spanish reason), or None."""
    key = lease_key(row["id"])
    if leases.exists(key):  # an in-app job: its process holds the lease while it lives
        return None if leases.holder_alive(key) else OWNER_GONE
    conn = redis_connection()
    if conn is None:
        # In-app job without a lease: its process ended without finishing it.
        return OWNER_GONE
    try:
        return _rq_gone(row, conn)
    except Exception:  # Redis down: nothing is known about the job, so nothing is failed
        log.warning("could not ask Redis about job %s", row["id"], exc_info=True)
        return None


def _rq_gone(row: dict[str, Any], conn: Any) -> str | None:
    from rq.exceptions import NoSuchJobError
    from rq.job import Job

    try:
        job = Job.fetch(row["id"], connection=conn)
    except NoSuchJobError:
        young = row["created_at"] is not None and row["created_at"] > _now() - ENQUEUE_GRACE
        return None if young else NOT_IN_QUEUE
    status = job.get_status()
    state = str(getattr(status, "value", status))
    if state in ("failed", "stopped", "canceled"):
        return row.get("error_message") or WORKER_GONE
    beat = job.last_heartbeat
    if state == "started" and beat is not None:
        beat = beat if beat.tzinfo else beat.replace(tzinfo=UTC)
        if datetime.now(UTC) - beat > RQ_HEARTBEAT_STALE:
            return WORKER_GONE
    return None


def fail_orphaned_job(job_id: str, reason: str) -> None:
    """Mark a job whose owner is gone as failed, and its waiting or running sync rows too."""
    with begin() as conn:
        conn.execute(update(jobs).where(jobs.c.id == job_id,
                                        jobs.c.status.in_(ACTIVE))
                     .values(status=FAILED, error_message=scrub(reason), completed_at=_now()))
    log.warning("job %s failed: %s", job_id, reason)
    _run_reconcilers()


def reconcile() -> int:
    """Fail every pending/running job and sync row whose owner is gone (a dead process, a lost
    RQ job, a stopped heartbeat), with a Spanish reason; returns how many rows changed.

    Called when the app, a worker or the CLI starts, and whenever pages or a new sync look at
    what is running, so that nothing stays "Sincronizando…" or refuses a sync as busy for ever.
    """
    with get_engine().connect() as conn:
        active = [dict(r) for r in conn.execute(
            select(jobs).where(jobs.c.status.in_(ACTIVE))).mappings().all()]
    changed = 0
    for row in active:
        if reason := _owner_gone(row):
            with begin() as conn:
                res = conn.execute(
                    update(jobs).where(jobs.c.id == row["id"], jobs.c.status == row["status"])
                    .values(status=FAILED, error_message=reason, completed_at=_now()))
            changed += int(res.rowcount or 0)
    return changed + _run_reconcilers()


def job_state(job_id: str) -> str | None:
    """A job's status, or None when there is no such row."""
    with get_engine().connect() as conn:
        return conn.execute(select(jobs.c.status).where(jobs.c.id == job_id)).scalar()


def recent_jobs(kind: str | None = None, limit: int = 20) -> list[dict[str, Any]]:
    """Newest jobs rows (optionally of one kind)."""
    query = select(jobs).order_by(jobs.c.created_at.desc()).limit(limit)
    if kind:
        query = query.where(jobs.c.kind == kind)
    with get_engine().connect() as conn:
        return [dict(r) for r in conn.execute(query).mappings().all()]


def wait(job_id: str, *, timeout: float = 60.0, poll: float = 0.2) -> dict[str, Any] | None:
    """Block until a job completes or fails (CLI and tests); returns its final status."""
    deadline = time.monotonic() + timeout
    while True:
        status = job_status(job_id)
        if status is None or status["status"] in FINISHED \
                or time.monotonic() >= deadline:
            return status
        time.sleep(poll)


# Sync moved to core.erp.sync_jobs; these names stay reachable here for existing callers.
_MOVED = {"sync_now", "ensure_not_busy", "sync_job", "startup_sync", "reconcile_sync_rows",
          "queue_sync"}


def __getattr__(name: str) -> Any:
    if name in _MOVED:
        module = importlib.import_module("core.erp.sync_jobs")
        return getattr(module, name)
    raise AttributeError(f"module 'core.jobs' has no attribute {name!r}")
