"""Sync jobs end to end: queued on a real RQ worker (or a thread), retried, recorded in sync_jobs."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import text

from core import db, jobs
from tests.jobs.rq_helpers import start_worker, stop_worker


def _rows(sql: str, **params):
    with db.get_engine().connect() as conn:
        return conn.execute(text(sql), params).all()


def test_sync_now_inline_thread_writes_job_rows(engine, clean_db, users):
    job_id = jobs.sync_now(["productos", "inventario"], user=users["manager"])
    status = jobs.wait(job_id, timeout=120)
    assert status["status"] == "completed", status
    assert [(e["job_type"], e["status"], e["trigger"]) for e in status["entities"]] == [
        ("productos", "completed", "manual"), ("inventario", "completed", "manual")]
    assert all(e["rq_job_id"] == job_id and e["requested_by"] == users["manager"].id
               for e in status["entities"])
    assert status["result"]["entities"]["inventario"]["created"] == _rows(
        "SELECT count(*) FROM erp_inventario")[0][0]


def test_sync_job_on_rq_worker(engine, clean_db, users, rq_worker):
    job_id = jobs.sync_now(None, user=users["admin"], full=True)
    status = jobs.wait(job_id, timeout=180)
    assert status["status"] == "completed", status
    assert [e["job_type"] for e in status["entities"]] == ["productos", "inventario", "clientes", "ventas"]
    assert all(e["status"] == "completed" and e["progress"] == 1.0 for e in status["entities"])
    ventas = status["result"]["entities"]["ventas"]
    docs, lines = _rows("SELECT (SELECT count(*) FROM erp_ventas), (SELECT count(*) FROM erp_ventas_detalle)")[0]
    assert ventas["created"] == docs + lines > 0


def test_unreachable_firebird_fails_in_spanish_and_is_retried(engine, clean_db, users, redis_env):
    env = {"ERP_SOURCE": "firebird", "FIREBIRD_HOST": "127.0.0.1", "FIREBIRD_PORT": "3059",
           "FIREBIRD_DATABASE": "/var/lib/firebird/no-existe.fdb"}
    worker = start_worker(env)
    try:
        deadline = time.monotonic() + 30
        while jobs.worker_count() == 0 and time.monotonic() < deadline:
            time.sleep(0.2)
        job_id = jobs.sync_now(["productos"], user=users["manager"])
        status = jobs.wait(job_id, timeout=120)
    finally:
        stop_worker(worker)
    assert status["status"] == "failed"
    assert status["attempts"] == 3  # first try + 2 retries (JOB_RETRY_MAX in the fixture)
    assert status["error_message"].startswith("Falló la sincronización de productos y almacenes: "
                                              "No se pudo conectar con 127.0.0.1:3059")
    attempts = [(e["job_type"], e["status"]) for e in status["entities"]]
    assert attempts == [("productos", "failed")] * 3  # one sync_jobs row per attempt
    assert all("el servidor no responde o está apagado" in e["error_message"]
               for e in status["entities"])
    from rq.job import Job

    rq_job = Job.fetch(job_id, connection=jobs.redis_connection())
    assert rq_job.get_status() == "failed" and rq_job.retries_left == 0
    assert _rows("SELECT count(*) FROM erp_productos")[0][0] == 0


def test_redis_down_fails_the_request_in_spanish(engine, clean_db, users, monkeypatch):
    from core.config import get_settings

    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:6390/0")  # nothing listens there
    get_settings.cache_clear()
    try:
        with pytest.raises(jobs.JobFailed, match="No se pudo encolar el trabajo: Redis no responde"):
            jobs.sync_now(["ventas"], user=users["manager"])
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()
    rows = _rows("SELECT job_type, status, error_message FROM sync_jobs")
    assert [(r[0], r[1]) for r in rows] == [("ventas", "failed")]
    assert rows[0][2].startswith("No se pudo encolar el trabajo")
    assert _rows("SELECT status FROM jobs")[0][0] == "failed"
    # Nothing is left pending, so the next request is not refused as busy.
    jobs.ensure_not_busy(["ventas"])
