"""What the sync page and CLI read and print: durations, progress while running, labels, health."""

from __future__ import annotations

import json
import threading
import time
from decimal import Decimal

import pytest

from core.erp import monitor, sync_status
from core.erp.sync import run_sync
from core.erp.sync_lock import EntityLock
from tests.erp.sync_memory_source import MemorySource


def test_durations_keep_fractions_of_a_second(engine, clean_db):
    row = sync_status.create_job("clientes", trigger="manual", source="memoria", full=False)
    sync_status.mark_running(row)
    time.sleep(0.35)
    sync_status.finish(row, status="completed", counts=sync_status.Counts(processed=3))
    took = sync_status.recent_jobs(1)[0]["duration_s"]
    # Stamps rounded to the second gave 0 (shown as "0") or 1 for this run.
    assert 0.3 <= took < 0.95, took


@pytest.mark.parametrize(("seconds", "shown"), [
    (None, "—"), (0.04, "0.0 s"), (0.8, "0.8 s"), (12.34, "12.3 s"), (59.99, "1 min 0 s"),
    (72.4, "1 min 12 s"), (3600, "1 h 0 min"), (7530, "2 h 5 min"),
])
def test_duration_labels(seconds, shown):
    assert monitor.duration(seconds) == shown


def test_counts_and_dates_as_the_rest_of_the_app():
    from datetime import datetime

    assert monitor.count(102877) == "102,877"
    assert monitor.count(None) == "0"
    assert monitor.when(datetime(2026, 11, 28, 9, 5, 59)) == "28/11/2026 09:05"
    assert monitor.when(None) == "—"
    assert monitor.entity_label("productos") == "Productos y almacenes"


class _SlowSource(MemorySource):
    """Stops after the first batch of productos until the test lets it go on."""

    def __init__(self) -> None:
        super().__init__(batch=3)
        self.first_batch_done = threading.Event()
        self.go_on = threading.Event()

    def productos(self):
        for i, batch in enumerate(super().productos()):
            if i == 1:
                self.first_batch_done.set()
                assert self.go_on.wait(30)
            yield batch


def test_the_running_row_carries_counts_and_progress_before_the_end(engine, clean_db):
    src = _SlowSource()
    done: list = []
    worker = threading.Thread(target=lambda: done.append(run_sync(source=src, entities="productos")))
    worker.start()
    try:
        assert src.first_batch_done.wait(30)
        deadline = time.monotonic() + 10
        row = sync_status.recent_jobs(1)[0]
        while row["records_processed"] == 0 and time.monotonic() < deadline:
            time.sleep(0.05)
            row = sync_status.recent_jobs(1)[0]
        assert row["status"] == "running"
        assert row["records_processed"] >= 3 and 0 < row["progress"] < 1
        state = {r["entity"]: r for r in monitor.overview(_manager())}
        assert state["productos"]["active"] and state["productos"]["status_label"] == "En curso"
    finally:
        src.go_on.set()
        worker.join(30)
    assert done[0].status == "completed"


def _manager():
    from core.users import User

    return User(id=0, email="m@x.mx", name="M", role="manager")


def test_a_running_row_without_its_lock_is_failed_with_the_reason(engine, clean_db):
    row = sync_status.create_job("ventas", trigger="manual", source="memoria", full=False)
    sync_status.mark_running(row)  # the process that ran it is gone: nobody holds the lock
    state = {r["entity"]: r for r in monitor.overview(_manager())}
    assert state["ventas"]["status_label"] == "Falló"
    assert state["ventas"]["error_message"] == sync_status.INTERRUPTED
    assert not state["ventas"]["active"]
    assert sync_status.get_job(row)["status"] == "failed"  # stored, not only shown


def test_a_running_row_whose_lock_is_held_stays_running(engine, clean_db):
    lock = EntityLock("ventas")
    assert lock.acquire()
    try:
        row = sync_status.create_job("ventas", trigger="manual", source="memoria", full=False)
        sync_status.mark_running(row)
        state = {r["entity"]: r for r in monitor.overview(_manager())}
        assert state["ventas"]["status_label"] == "En curso" and state["ventas"]["active"]
        assert sync_status.get_job(row)["status"] == "running"
    finally:
        lock.release()


def test_embedded_overview_says_why_nothing_is_scheduled(engine, clean_db):
    assert {r["next_run_label"] for r in monitor.overview(_manager())} == {
        "Requiere worker con Redis"}


def test_demo_health_does_not_build_the_demo_erp(engine, monkeypatch):
    import core.erp.sync as engine_module

    def boom(*args, **kwargs):
        raise AssertionError("sync_health built the ERP source just to ping it")

    monkeypatch.setattr(engine_module, "get_source", boom)
    started = time.perf_counter()
    health = monitor.sync_health()
    assert health["erp"] == "ok" and health["embedded"] and health["workers"] == 0
    assert time.perf_counter() - started < 0.5


def test_cli_prints_spanish_status_and_thousands_json_shape_unchanged(
        engine, clean_db, monkeypatch, capsys):
    import core.erp.sync as engine_module
    from core.cli import main

    src = MemorySource(batch=500)
    src.productos_rows = [
        (str(1000 + i), f"SKU-{i:04d}", f"Producto {i}", None, Decimal("10.50"),
         Decimal("7.25"), "Herramientas", "Ferretería", "PIEZA", True) for i in range(1200)]
    monkeypatch.setattr(engine_module, "get_source", lambda name=None: src)
    assert main(["sync", "--entity", "productos", "--entity", "clientes", "--json"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[0].startswith("Productos y almacenes: completada en ")
    assert lines[0].endswith(" s · 1,202 procesados, 1,202 nuevos, 0 actualizados, "
                             "0 sin cambios, 0 con error")
    assert lines[1].startswith("Clientes: completada en ")
    assert "completed" not in "\n".join(lines[:-1])
    payload = json.loads(lines[-1])
    assert list(payload) == ["status", "entities", "message"]
    assert payload["status"] == "completed"
    assert payload["entities"] == {
        "productos": {"processed": 1202, "created": 1202, "updated": 0, "unchanged": 0,
                      "failed": 0},
        "clientes": {"processed": 4, "created": 4, "updated": 0, "unchanged": 0, "failed": 0},
    }


def test_cli_failure_line_says_fallo(engine, clean_db, monkeypatch, capsys):
    import core.erp.sync as engine_module
    from core.cli import main

    src = MemorySource()
    src.reachable = False
    monkeypatch.setattr(engine_module, "get_source", lambda name=None: src)
    assert main(["sync", "--entity", "clientes"]) == 1
    out = capsys.readouterr()
    assert out.out.splitlines()[0] == ("Clientes: falló · 0 procesados, 0 nuevos, 0 actualizados, "
                                      "0 sin cambios, 0 con error")
    assert "Firebird" in out.err
