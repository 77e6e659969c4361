"""The sync page through AppTest: a manager syncs and sees the job complete; a viewer cannot."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import text

from core import db, jobs
from core.erp.sync_lock import EntityLock, SyncBusy
from core.users import PermissionDenied
from tests.pages.conftest import goto, login, page_titles


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
        "productos", "Manual", "Completada")
    assert rows[0]["Procesados"] == productos + almacenes
    assert rows[0]["Nuevos"] + rows[0]["Sin cambios"] == productos + almacenes
    assert rows[0]["Con error"] == 0
    overview = at.dataframe[0].value.to_dict("records")
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
        assert [w.value for w in at.warning] == [
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
