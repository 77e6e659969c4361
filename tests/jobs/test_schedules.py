"""Sync schedules: RQ's own cron scheduler loads them from the SYNC_*_CRON settings."""

from __future__ import annotations

import time
from datetime import datetime

import pytest
from sqlalchemy import text

from core import db
from core.erp import schedules


@pytest.fixture
def cron_env(monkeypatch):
    from core.config import get_settings

    monkeypatch.setenv("SYNC_PRODUCTOS_CRON", "0 */6 * * *")
    monkeypatch.setenv("SYNC_INVENTARIO_CRON", "30 */2 * * *")
    monkeypatch.setenv("SYNC_VENTAS_CRON", "*/15 * * * *")
    get_settings.cache_clear()
    yield monkeypatch
    monkeypatch.undo()
    get_settings.cache_clear()


def test_next_runs_follow_the_settings(cron_env):
    runs = schedules.next_runs(datetime(2026, 11, 28, 9, 20))
    assert runs == {
        "productos": datetime(2026, 11, 28, 12, 0),
        "clientes": datetime(2026, 11, 28, 12, 0),
        "inventario": datetime(2026, 11, 28, 10, 30),
        "ventas": datetime(2026, 11, 28, 9, 30),
    }


def test_invalid_cron_is_skipped_not_fatal(cron_env, caplog):
    from core.config import get_settings

    cron_env.setenv("SYNC_VENTAS_CRON", "cada hora")
    get_settings.cache_clear()
    assert [name for name, _, _ in schedules.schedules()] == ["productos", "inventario"]
    assert schedules.next_runs(datetime(2026, 11, 28, 9, 20))["ventas"] is None
    assert "SYNC_VENTAS_CRON='cada hora' no es una expresión cron válida" in caplog.text


def test_rq_cron_scheduler_loads_the_schedules(cron_env, redis_env):
    from rq.cron import CronScheduler

    from core.jobs import redis_connection

    scheduler = CronScheduler(connection=redis_connection())
    scheduler.load_config_from_file("core.erp.cron_config")
    jobs = {j.name: j for j in scheduler.get_jobs()}
    assert set(jobs) == {"devcompras-sync-productos", "devcompras-sync-inventario",
                         "devcompras-sync-ventas"}
    assert jobs["devcompras-sync-ventas"].cron == "*/15 * * * *"
    assert jobs["devcompras-sync-productos"].kwargs == {"entities": ["productos", "clientes"]}
    assert all(j.queue_name == "sync" and j.func_name == "core.jobs.scheduled_sync"
               for j in jobs.values())


def test_a_cron_run_on_the_worker_records_trigger_cron(cron_env, clean_db, rq_worker):
    from rq.cron import CronScheduler

    from core.jobs import redis_connection

    conn = redis_connection()
    scheduler = CronScheduler(connection=conn)
    scheduler.load_config_from_file("core.erp.cron_config")
    job = next(j for j in scheduler.get_jobs() if j.name == "devcompras-sync-productos")
    first = job.enqueue(conn)
    second = job.enqueue(conn)  # a second scheduler firing the same minute: skipped
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not all(
            j.get_status(refresh=True) in ("finished", "failed") for j in (first, second)):
        time.sleep(0.3)
    assert first.get_status() == second.get_status() == "finished"
    assert second.return_value()["message"] == "Programación duplicada omitida."
    with db.get_engine().connect() as c:
        rows = c.execute(text("SELECT job_type, trigger, status FROM sync_jobs ORDER BY id")).all()
    assert [tuple(r) for r in rows] == [("productos", "cron", "completed"),
                                        ("clientes", "cron", "completed")]
