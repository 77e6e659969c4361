"""The sync page through AppTest: a manager syncs and sees the job complete; a viewer cannot."""

from __future__ import annotations

import functools
import re
import time
from datetime import datetime, timedelta

import pytest
from sqlalchemy import insert, text

from app import sync_ui
from core import db, jobs
from core.erp.sync_lock import EntityLock, SyncBusy
from core.erp.sync_status import Counts, finish
from core.models import sync_jobs
from core.users import PermissionDenied
from tests.jobs.rq_helpers import redis_db, redis_env  # noqa: F401
from tests.pages.conftest import goto, login, page_titles, refresh_until_done


def _int(text: str) -> int:
    return int(text.replace(",", ""))


def _history(at) -> list[dict]:
    frames = [df for df in at.dataframe if "Procesados" in df.value.columns]
    return frames[0].value.to_dict("records") if frames else []


def test_manager_triggers_a_sync_and_sees_it_complete(engine, clean_db, users):
    at = login(users["manager"].email)
    assert "Sincronización" in page_titles(at)
    goto(at, "sync.py")
    assert not at.exception, at.exception
    assert at.title[0].value == "Sincronización con el ERP"
    assert at.get("caption")  # origin line

    at.button(key="sync_productos").click().run()
    assert not at.warning, [w.value for w in at.warning]
    deadline = time.monotonic() + 60
    while "sync_job" in at.session_state and time.monotonic() < deadline:
        time.sleep(0.3)
        at.run()
    assert "sync_job" not in at.session_state, "el trabajo no terminó"
    assert any("Sincronización completada" in t.value for t in at.toast)

    with db.get_engine().connect() as conn:
        productos = conn.execute(text("SELECT count(*) FROM erp_productos")).scalar_one()
        almacenes = conn.execute(text("SELECT count(*) FROM erp_almacenes")).scalar_one()
    assert productos > 0
    rows = _history(at)
    # The app seeded the empty demo database on start (trigger "Al iniciar"); ours is on top.
    assert (rows[0]["Entidad"], rows[0]["Origen"], rows[0]["Estado"]) == (
        "Productos y almacenes", "Manual", "Completada")
    assert rows[0]["Procesados"] == f"{productos + almacenes:,}"
    assert _int(rows[0]["Nuevos"]) + _int(rows[0]["Sin cambios"]) == productos + almacenes
    assert rows[0]["Con error"] == "0"
    assert re.fullmatch(r"\d+\.\d s", rows[0]["Duración"]), rows[0]["Duración"]
    overview = at.table[0].value.to_dict("records")
    assert overview[0]["Entidad"] == "Productos y almacenes"
    assert overview[0]["Estado"] == "Completada"
    assert overview[0]["Última sincronización exitosa"] != "—"


def test_second_request_while_running_is_refused_on_the_page(engine, clean_db, users):
    holder = EntityLock("ventas")
    assert holder.acquire()
    try:
        at = login(users["manager"].email)
        goto(at, "sync.py")
        at.button(key="sync_ventas").click().run()
        # Shown by ui.shows_errors, as every readable error on a page.
        assert [e.value for e in at.error] == [
            "Ya hay una sincronización de ventas en curso o en espera; espere a que termine."]
        assert "sync_job" not in at.session_state
    finally:
        holder.release()


def test_viewer_has_no_sync_page_and_core_refuses(engine, clean_db, users):
    at = login(users["viewer"].email)
    assert "Sincronización" not in page_titles(at)
    with pytest.raises(PermissionDenied):
        jobs.sync_now(["productos"], user=users["viewer"])
    with pytest.raises(PermissionDenied):
        jobs.sync_now(None, user=users["user"])
    with db.get_engine().connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM sync_jobs")).scalar_one() == 0
        assert conn.execute(text("SELECT count(*) FROM jobs")).scalar_one() == 0


def test_sync_now_refuses_while_running(engine, clean_db, users):
    holder = EntityLock("inventario")
    assert holder.acquire()
    try:
        with pytest.raises(SyncBusy, match="Ya hay una sincronización de inventario en curso"):
            jobs.sync_now(["productos", "inventario"], user=users["manager"])
    finally:
        holder.release()


# ---------------------------------------------------------------- what the page shows


def _sync_row(job_id: str | None, entity: str, status: str, *, processed: int = 0,
              started: datetime | None = None, took: timedelta | None = None) -> int:
    values = {"job_type": entity, "trigger": "manual", "source": "demo", "full": False,
              "status": status, "rq_job_id": job_id, "created_at": started or datetime.now(),
              "records_processed": processed, "records_created": processed,
              "started_at": started if status != "pending" else None,
              "completed_at": started + took if started and took else None,
              "progress": 0.4 if status == "running" else (1.0 if status == "completed" else 0.0)}
    with db.begin() as conn:
        return int(conn.execute(insert(sync_jobs).values(**values).returning(sync_jobs.c.id))
                   .scalar_one())


def _overview(at) -> dict[str, dict]:
    return {r["Entidad"]: r for r in at.table[0].value.to_dict("records")}


def _metrics(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


@pytest.fixture
def fragment_spy(monkeypatch):
    """Records the run_every the page gives its fragment and which reads happen inside it."""
    import streamlit

    from core.erp import monitor

    real = streamlit.fragment
    spy: dict = {"run_every": [], "inside": False, "history_in_fragment": []}

    def fragment(func=None, *, run_every=None, **kwargs):
        spy["run_every"].append(run_every)

        def deco(f):
            @functools.wraps(f)
            def body(*args, **kw):
                spy["inside"] = True
                try:
                    return f(*args, **kw)
                finally:
                    spy["inside"] = False
            return real(body, run_every=run_every, **kwargs)
        return deco(func) if func is not None else deco

    real_history = monitor.history

    def history(*args, **kwargs):
        spy["history_in_fragment"].append(spy["inside"])
        return real_history(*args, **kwargs)

    monkeypatch.setattr(streamlit, "fragment", fragment)
    monkeypatch.setattr(monitor, "history", history)
    return spy


def test_running_job_shows_the_same_state_everywhere_and_then_completes(
        engine, clean_db, users, fragment_spy, live_job):
    at = login(users["manager"].email)
    job_id = live_job("running")
    row = _sync_row(job_id, "productos", "running", processed=1234,
                    started=datetime.now() - timedelta(seconds=3))
    lock = EntityLock("productos")
    assert lock.acquire()
    try:
        at.session_state["sync_job"] = job_id
        goto(at, "sync.py")
        assert not at.exception, at.exception
        assert at.get("progress")[0].text == (
            "Sincronizando productos y almacenes: 1,234 registros procesados")
        assert _overview(at)["Productos y almacenes"]["Estado"] == "En curso"
        newest = _history(at)[0]
        assert (newest["Entidad"], newest["Estado"], newest["Procesados"]) == (
            "Productos y almacenes", "En curso", "1,234")
        assert re.fullmatch(r"[3-9]\.\d s", newest["Duración"]), newest["Duración"]
        # The tables live in the fragment that refreshes every second while the job runs.
        assert fragment_spy["run_every"][-1] == 1.0
        assert fragment_spy["history_in_fragment"] and all(fragment_spy["history_in_fragment"])

        finish(row, status="completed", counts=Counts(processed=2004, created=2004))
        jobs._finish(job_id, "completed", result={"status": "completed"})
    finally:
        lock.release()
    at.run()
    assert "sync_job" not in at.session_state
    assert [t.value for t in at.toast] == ["Sincronización completada."]
    assert not at.get("progress")
    assert _overview(at)["Productos y almacenes"]["Estado"] == "Completada"
    newest = _history(at)[0]
    assert (newest["Estado"], newest["Procesados"]) == ("Completada", "2,004")
    assert fragment_spy["run_every"][-1] == sync_ui.IDLE_REFRESH_S


def test_idle_page_refreshes_slowly_and_fast_while_another_sync_runs(
        engine, clean_db, users, fragment_spy):
    at = login(users["manager"].email)
    goto(at, "sync.py")
    assert fragment_spy["run_every"][-1] == sync_ui.IDLE_REFRESH_S >= 10
    assert not at.get("progress")
    # A sync someone else started (another user, a schedule) also shows and speeds it up.
    _sync_row(None, "ventas", "pending")
    at.run()
    assert fragment_spy["run_every"][-1] == 1.0
    assert at.get("progress")[0].text == "Conectando con el ERP…"
    assert _overview(at)["Ventas"]["Estado"] == "En espera"


def test_embedded_mode_says_jobs_run_in_the_app_without_worker_jargon(engine, clean_db, users, live_job):
    at = login(users["manager"].email)
    job_id = live_job("pending")
    _sync_row(job_id, "inventario", "pending")
    at.session_state["sync_job"] = job_id
    goto(at, "sync.py")
    assert not at.exception, at.exception
    assert at.get("progress")[0].text == "Conectando con el ERP…"
    assert {r["Próxima programada"] for r in _overview(at).values()} == {"Requiere worker con Redis"}
    metrics = _metrics(at)
    assert metrics["Ejecución"] == "Dentro de la app"
    assert metrics["ERP"] == "En línea"
    assert "Workers activos" not in metrics
    assert any("python worker.py" in c.value and "Redis" in c.value for c in at.caption)
    assert not any("worker" in str(e.value).lower() for e in at.get("progress"))


def test_history_in_spanish_with_readable_numbers_durations_and_dates(engine, clean_db, users, live_job):
    at = login(users["manager"].email)
    start = datetime(2026, 11, 28, 9, 42, 5)
    _sync_row("a", "ventas", "completed", processed=102877, started=start,
              took=timedelta(seconds=72.4))
    _sync_row("b", "clientes", "completed", processed=1500, started=start,
              took=timedelta(milliseconds=800))
    _sync_row(live_job("pending"), "productos", "pending")  # waiting for its live job
    goto(at, "sync.py")
    pending, clientes, ventas = _history(at)[:3]
    assert (pending["Entidad"], pending["Estado"], pending["Inicio"], pending["Duración"]) == (
        "Productos y almacenes", "En espera", "—", "—")
    assert (clientes["Entidad"], clientes["Duración"], clientes["Procesados"]) == (
        "Clientes", "0.8 s", "1,500")
    assert (ventas["Entidad"], ventas["Duración"], ventas["Procesados"], ventas["Nuevos"]) == (
        "Ventas", "1 min 12 s", "102,877", "102,877")
    assert ventas["Inicio"] == "28/11/2026 09:42"
    assert all(v is not None and v != "None" for v in pending.values())


def test_buttons_flow_in_one_wrapping_row_and_overview_fits(engine, clean_db, users):
    from streamlit.proto.Block_pb2 import Block as BlockProto

    at = login(users["manager"].email)
    goto(at, "sync.py")
    box = next(b for b in at.main.children.values()
               if type(b).__name__ == "Block" and "sync_buttons" in str(b.proto))
    # A horizontal row that wraps, each button as wide as its label: st.columns gave every
    # button a fifth of the width and cut "Productos y almacenes" at 1400 px.
    assert box.proto.flex_container.direction == BlockProto.FlexContainer.Direction.HORIZONTAL
    assert box.proto.flex_container.wrap
    assert [b.label for b in box.button] == [
        "Productos y almacenes", "Inventario", "Clientes", "Ventas", "Todo"]
    assert not any((b.key or "").startswith("sync_") for c in at.columns for b in c.button)
    # The overview is a static table of four columns whose cells wrap; a failure's message goes
    # below it, whole.
    assert list(at.table[0].value.columns) == [
        "Entidad", "Estado", "Última sincronización exitosa", "Próxima programada"]
    _sync_row("z", "clientes", "failed", started=datetime.now(), took=timedelta(seconds=1))
    with db.begin() as conn:
        conn.execute(text("UPDATE sync_jobs SET error_message = :m WHERE rq_job_id = 'z'"),
                     {"m": "No se pudo conectar con el servidor Firebird: conexión rechazada."})
    at.run()
    assert _overview(at)["Clientes"]["Estado"] == "Falló"
    assert [e.value for e in at.error] == [
        "**Clientes**: No se pudo conectar con el servidor Firebird: conexión rechazada."]


@pytest.mark.usefixtures("redis_env")
def test_with_redis_and_no_worker_the_page_says_what_is_missing(engine, clean_db, users):
    at = login(users["manager"].email)
    goto(at, "sync.py")
    assert not at.exception, at.exception
    assert {r["Próxima programada"] for r in _overview(at).values()} == {"Sin worker activo"}
    metrics = _metrics(at)
    assert (metrics["Redis"], metrics["Workers activos"]) == ("En línea", "0")
    assert [w.value for w in at.warning] == [
        "No hay workers activos: las sincronizaciones quedarán en espera hasta que usted inicie "
        "`python worker.py`."]
    at.button(key="sync_ventas").click().run()
    assert at.get("progress")[0].text == (
        "En cola: esperando a que un worker (python worker.py) la inicie…")
    assert _overview(at)["Ventas"]["Estado"] == "En espera"


def test_a_sync_runs_through_the_shared_job_widget(engine, clean_db, users, job_widget):
    """Issue 9: one job-progress widget; the sync page keeps its per-entity progress and toast."""
    at = goto(login(users["manager"].email), "sync.py")
    at.button(key="sync_clientes").click().run()
    job_id = refresh_until_done(at, "sync_job")
    assert ("sync_job", job_id) in job_widget
    assert [t.value for t in at.toast] == ["Sincronización completada."]
    newest = _history(at)[0]
    assert (newest["Entidad"], newest["Estado"]) == ("Clientes", "Completada")
    assert _int(newest["Procesados"]) > 0
