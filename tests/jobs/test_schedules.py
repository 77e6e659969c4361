"""Sync schedules: RQ's own cron scheduler loads them from the SYNC_*_CRON settings."""

from __future__ import annotations

import time
from datetime import datetime

import pytest
from sqlalchemy import text

from core import db
from core import schedules as core_schedules
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


def test_rq_cron_scheduler_loads_every_declared_schedule(cron_env, redis_env):
    """One registry: the sync schedules and the weekly retrain, declared by their capabilities."""
    from rq.cron import CronScheduler

    from core.jobs import redis_connection

    cron_env.setenv("FORECAST_RETRAIN_CRON", "0 4 * * 1")
    from core.config import get_settings

    get_settings.cache_clear()
    scheduler = CronScheduler(connection=redis_connection())
    scheduler.load_config_from_file("core.cron_config")
    jobs = {j.name: j for j in scheduler.get_jobs()}
    assert set(jobs) == {"devcompras-sync-productos", "devcompras-sync-inventario",
                         "devcompras-sync-ventas", "devcompras-forecast-retrain"}
    assert jobs["devcompras-sync-ventas"].cron == "*/15 * * * *"
    assert jobs["devcompras-forecast-retrain"].cron == "0 4 * * 1"
    assert jobs["devcompras-sync-productos"].kwargs == {"name": "sync-productos"}
    assert all(j.func_name == "core.schedules.run_schedule" for j in jobs.values())
    # the retrain after a sales sync is declared too, as an event schedule
    declared = {s.name: s for s in core_schedules.declared()}
    assert declared["forecast-after-ventas"].event == "after:ventas"


def test_a_schedule_declared_anywhere_runs_through_the_registry(cron_env, clean_db):
    """A capability declaring its own schedule: started by name, with its kwargs and trigger."""
    from core.schedules import Schedule, declare, run_schedule

    declare(Schedule(name="test-echo", label="Prueba", starter="tests.jobs.job_funcs:start_echo",
                     kwargs={"value": 3}, setting="sync_ventas_cron"))
    try:
        out = run_schedule(name="test-echo")
        assert out["job_id"] == "echo-3-cron"
        assert run_schedule(name="no-such")["status"] == "failed"
    finally:
        core_schedules._registry.pop("test-echo")


def test_a_cron_run_on_the_worker_leaves_a_jobs_row(cron_env, clean_db, rq_worker):
    from rq.cron import CronScheduler

    from core import jobs as core_jobs
    from core.jobs import redis_connection

    conn = redis_connection()
    scheduler = CronScheduler(connection=conn)
    scheduler.load_config_from_file("core.cron_config")
    job = next(j for j in scheduler.get_jobs() if j.name == "devcompras-sync-productos")
    first = job.enqueue(conn)
    second = job.enqueue(conn)  # a second scheduler firing the same minute: skipped
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not all(
            j.get_status(refresh=True) in ("finished", "failed") for j in (first, second)):
        time.sleep(0.3)
    assert first.get_status() == second.get_status() == "finished"
    assert second.return_value()["message"] == "Programación duplicada omitida."
    job_id = first.return_value()["job_id"]
    final = core_jobs.wait(job_id, timeout=120)
    assert final is not None and final["status"] == "completed"
    assert final["kind"] == "sync" and final["queue"] == "sync"
    assert [e["job_type"] for e in final["entities"]] == ["productos", "clientes"]
    with db.get_engine().connect() as c:
        rows = c.execute(text("SELECT job_type, trigger, status FROM sync_jobs ORDER BY id")).all()
        kinds = c.execute(text("SELECT kind, status FROM jobs")).all()
    assert [tuple(r) for r in rows] == [("productos", "cron", "completed"),
                                        ("clientes", "cron", "completed")]
    assert [tuple(r) for r in kinds] == [("sync", "completed")]


def test_a_completed_sales_sync_fires_the_retrain_only_when_switched_on(cron_env, clean_db,
                                                                         monkeypatch):
    from core.config import get_settings
    from core.forecast import train

    calls: list[str] = []
    monkeypatch.setattr(train, "start_retrain", lambda *, trigger: calls.append(trigger) or "x")
    assert core_schedules.fire_event("after:ventas") == []
    cron_env.setenv("FORECAST_RETRAIN_AFTER_SYNC", "true")
    get_settings.cache_clear()
    assert core_schedules.fire_event("after:ventas") == ["x"]
    assert calls == ["after:ventas"]
