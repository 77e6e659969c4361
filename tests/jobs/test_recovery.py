"""Recovery after a crash: what a killed process left pending or running becomes failed with a
Spanish reason, and the next sync runs instead of being refused as busy.

The killed processes are real: `python -m core sync --full` and an app-like process that queued
a sync with core.jobs.sync_now (no Redis: the job runs in its thread), both SIGKILLed after they
started writing.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import func, insert, select, text

from core import db, jobs
from core.erp import monitor, sync_lock, sync_status
from core.erp.sync import run_sync
from core.models import jobs as jobs_table
from core.models import sync_jobs
from tests.conftest import BACKEND, PG_ADMIN_URL
from tests.erp.sync_memory_source import MemorySource
from tests.jobs import job_funcs

ROOT = Path(__file__).resolve().parents[2]
# Big enough that a full sync takes seconds after its first entity is written.
KILL_SCALE = "1"
APP_PROCESS = """
import sys, time
from core import jobs
from core.users import get_user
print(jobs.sync_now(None, user=get_user(sys.argv[1]), full=True), flush=True)
time.sleep(600)
"""


def _wait_for(condition: Callable[[], bool], what: str, timeout: float = 120) -> None:
    """Poll until ``condition()``; the timeout only keeps a broken run from hanging."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"no ocurrió a tiempo: {what}"
        time.sleep(0.05)


def _rows_after(first_id: int) -> list[dict]:
    with db.get_engine().connect() as conn:
        return [dict(r) for r in conn.execute(
            select(sync_jobs).where(sync_jobs.c.id > first_id).order_by(sync_jobs.c.id)
        ).mappings().all()]


def _last_row_id() -> int:
    with db.get_engine().connect() as conn:
        return conn.execute(select(func.coalesce(func.max(sync_jobs.c.id), 0))).scalar_one()


def _writing(rows: list[dict]) -> bool:
    """The sync has written something: an entity completed, or a batch of one committed."""
    return any(r["status"] == "completed" or (r["status"] == "running" and r["records_processed"])
               for r in rows)


def _kill(proc: subprocess.Popen) -> None:
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)


def _no_sync_lock_held() -> bool:
    # PostgreSQL drops a dead session's advisory locks when its backend notices the socket closed.
    return not any(sync_lock.EntityLock(e).is_held() for e in sync_lock._ENTITY_KEYS)


def test_cli_sync_killed_mid_run_is_failed_on_start_and_the_next_sync_completes(
        engine, clean_db, users):
    from core.setup import prepare

    first = _last_row_id()
    proc = subprocess.Popen([sys.executable, "-m", "core", "sync", "--full"], cwd=ROOT,
                            env={**os.environ, "DEMO_SCALE": KILL_SCALE},
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        # Killed while ventas (the last and longest entity: seconds at this scale) runs, after the
        # entities before it wrote: killed right after a short one (productos takes 0.3-0.6 s on a
        # quiet machine), the sync could finish that entity before the signal and leave nothing
        # to recover.
        _wait_for(lambda: _writing(rows := _rows_after(first))
                  and any(r["status"] == "running" and r["job_type"] == "ventas" for r in rows),
                  "la sincronización empezó a escribir las ventas")
    finally:
        _kill(proc)
    killed = _rows_after(first)
    running = [r["id"] for r in killed if r["status"] == "running"]
    assert running, f"the sync finished before it was killed: {killed}"
    _wait_for(_no_sync_lock_held, "el servidor soltó los candados del proceso muerto", 30)

    prepare()  # what the app does when it starts

    for row in _rows_after(first):
        if row["id"] in running:
            assert (row["status"], row["error_message"]) == ("failed", sync_status.INTERRUPTED)
    shown = {h["id"]: h for h in monitor.history(users["manager"], 20)}
    assert all(shown[r]["status_label"] == "Falló" for r in running)

    job_id = jobs.sync_now(None, user=users["manager"], full=True)  # not refused as busy
    status = jobs.wait(job_id, timeout=300)
    assert status["status"] == "completed", status
    assert [e["status"] for e in status["entities"]] == ["completed"] * 4


def test_app_process_killed_mid_sync_leaves_nothing_busy(engine, clean_db, users):
    """sync_now creates a pending row per entity up front: a killed app process used to leave
    them refusing every sync for an hour, and its jobs row "running" for ever."""
    proc = subprocess.Popen([sys.executable, "-c", APP_PROCESS, users["manager"].email], cwd=ROOT,
                            env={**os.environ, "DEMO_SCALE": KILL_SCALE},
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        assert proc.stdout is not None
        killed_job = proc.stdout.readline().strip()
        assert killed_job, "the app process did not queue its sync"

        def mid_sync() -> bool:
            rows = sync_status.jobs_of(killed_job)
            return _writing(rows) and any(r["status"] == "pending" for r in rows)

        _wait_for(mid_sync, "la sincronización empezó a escribir y aún tenía entidades en espera")
    finally:
        _kill(proc)
    before = {r["id"]: r["status"] for r in sync_status.jobs_of(killed_job)}
    assert "pending" in before.values()
    _wait_for(_no_sync_lock_held, "el servidor soltó los candados del proceso muerto", 30)

    # A new sync is accepted at once: the dead process's rows no longer count as busy.
    job_id = jobs.sync_now(None, user=users["manager"], full=True)

    dead = jobs.job_status(killed_job)
    assert (dead["status"], dead["error_message"]) == ("failed", jobs.OWNER_GONE)
    for row in dead["entities"]:
        was = before[row["id"]]
        if was == "pending":
            assert (row["status"], row["error_message"]) == ("failed", sync_status.NOT_STARTED)
        elif was == "running":
            assert (row["status"], row["error_message"]) == ("failed", sync_status.INTERRUPTED)
        else:
            assert row["status"] == "completed"
    status = jobs.wait(job_id, timeout=300)
    assert status["status"] == "completed", status
    assert [e["status"] for e in status["entities"]] == ["completed"] * 4
    # The page's history shows the reasons.
    errors = {h["error_message"] for h in monitor.history(users["manager"], 20)}
    assert sync_status.NOT_STARTED in errors


def test_a_job_lost_from_redis_is_failed_and_its_waiting_rows_freed(
        engine, clean_db, users, redis_env):
    """A queued sync whose RQ job is gone (Redis emptied, or lost) no longer blocks new ones."""
    job_id = "perdido" + "0" * 25
    long_ago = datetime.now() - timedelta(minutes=10)
    with db.begin() as conn:
        conn.execute(insert(jobs_table).values(id=job_id, kind="sync", queue="sync",
                                               status="pending", created_at=long_ago))
        conn.execute(insert(sync_jobs).values(job_type="ventas", trigger="manual", source="demo",
                                              full=False, status="pending", rq_job_id=job_id,
                                              created_at=long_ago))
    jobs.ensure_not_busy(["ventas"])  # used to raise SyncBusy for an hour
    status = jobs.job_status(job_id)
    assert (status["status"], status["error_message"]) == ("failed", jobs.NOT_IN_QUEUE)
    assert [(e["status"], e["error_message"]) for e in status["entities"]] == [
        ("failed", sync_status.NOT_STARTED)]


def test_a_live_in_app_job_is_left_alone(engine, clean_db, tmp_path):
    gate = tmp_path / "listo"
    job_id = jobs.enqueue(job_funcs.wait_for_file, queue="default", job_kind="prueba",
                          path=str(gate))
    try:
        _wait_for(lambda: jobs.job_status(job_id)["status"] == "running", "el trabajo empezó")
        assert jobs.reconcile() == 0
        assert jobs.job_status(job_id)["status"] == "running"
    finally:
        gate.touch()
    assert jobs.wait(job_id, timeout=30)["status"] == "completed"


@pytest.mark.skipif(BACKEND != "postgres", reason="advisory locks are PostgreSQL's")
def test_an_advisory_lock_on_another_database_does_not_make_our_sync_busy(
        engine, clean_db, users):
    key = sync_lock.EntityLock("ventas")._key()
    # The same key held by a session on another database of the same server.
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as other:
        other.execute("SELECT pg_advisory_lock(%s)", (key,))
        assert not sync_lock.EntityLock("ventas").is_held()
        jobs.ensure_not_busy(["ventas"])
        report = run_sync(source=MemorySource(), entities="ventas")
        assert report.status == "completed", report.message
    # Our own database's lock still counts.
    mine = sync_lock.EntityLock("ventas")
    assert mine.acquire()
    try:
        assert sync_lock.EntityLock("ventas").is_held()
    finally:
        mine.release()


class _SlowFirstBatch(MemorySource):
    """Productos whose first batch takes as long as the test wants (a slow ERP)."""

    def __init__(self) -> None:
        super().__init__()
        self.reading = threading.Event()
        self.go_on = threading.Event()

    def productos(self):
        self.reading.set()
        self.go_on.wait(120)
        yield from super().productos()


def test_the_sqlite_lease_is_not_taken_over_during_a_slow_first_batch(
        engine, clean_db, monkeypatch):
    monkeypatch.setattr(sync_lock, "LEASE_SECONDS", 2)
    slow = _SlowFirstBatch()
    outcome: list = []
    first = threading.Thread(target=lambda: outcome.append(
        run_sync(source=slow, entities="productos")))
    first.start()
    try:
        assert slow.reading.wait(60)
        time.sleep(5)  # longer than the lease: only its heartbeat keeps it
        second = run_sync(source=MemorySource(), entities="productos")
        assert second.entities["productos"].status == "busy", second.message
        with pytest.raises(sync_lock.SyncBusy):
            jobs.ensure_not_busy(["productos"])
    finally:
        slow.go_on.set()
        first.join(60)
    assert outcome[0].status == "completed", outcome[0].message
    with db.get_engine().connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM sync_locks "
                                 "WHERE entity = 'productos'")).scalar_one() == 0


def test_with_redis_down_the_sync_page_still_answers_and_fails_nothing(
        engine, clean_db, users, monkeypatch):
    from core.config import get_settings

    with db.begin() as conn:
        conn.execute(insert(jobs_table).values(id="en-cola" + "0" * 25, kind="sync", queue="sync",
                                               status="pending",
                                               created_at=datetime.now() - timedelta(hours=1)))
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:6390/0")  # nothing listens there
    get_settings.cache_clear()
    try:
        rows = monitor.overview(users["manager"])
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()
    assert len(rows) == 4
    with db.get_engine().connect() as conn:
        assert conn.execute(select(jobs_table.c.status)).scalar_one() == "pending"


def test_a_worker_start_fails_what_a_killed_worker_left_running(
        engine, clean_db, users, redis_env):
    from tests.jobs.rq_helpers import start_worker, stop_worker

    job_id = "huerfano" + "0" * 24
    long_ago = datetime.now() - timedelta(minutes=10)
    with db.begin() as conn:
        conn.execute(insert(jobs_table).values(id=job_id, kind="sync", queue="sync",
                                               status="running", created_at=long_ago,
                                               started_at=long_ago))
        conn.execute(insert(sync_jobs).values(job_type="clientes", trigger="cron", source="demo",
                                              full=False, status="running", rq_job_id=job_id,
                                              created_at=long_ago, started_at=long_ago))
    worker = start_worker()
    try:
        _wait_for(lambda: jobs.worker_count() > 0, "el worker se registró", 60)
    finally:
        stop_worker(worker)
    with db.get_engine().connect() as conn:
        job = conn.execute(select(jobs_table.c.status, jobs_table.c.error_message)).one()
        row = conn.execute(select(sync_jobs.c.status, sync_jobs.c.error_message)).one()
    assert tuple(job) == ("failed", jobs.NOT_IN_QUEUE)
    assert tuple(row) == ("failed", sync_status.INTERRUPTED)
