"""The sync against a real Firebird server holding a demo Microsip database.

Every expected figure is computed here, directly in Firebird, with SQL written for the test.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from core import db
from core.erp import sync_status
from core.erp.sync import run_sync
from tests.erp.sync_truth import NOT_INVOICED_FROM_REMISIONES, microsip_truth, our_figures
from tests.jobs.rq_helpers import (  # noqa: F401 - redis_db and redis_env are fixtures
    kill_tree,
    redis_db,
    redis_env,
    start_worker,
)

pytestmark = pytest.mark.firebird

ROOT = Path(__file__).resolve().parents[2]
FDB_DIR = Path(os.environ.get("DEVCOMPRAS_TEST_FDB_DIR", "/var/tmp/devcompras-tests"))
FB = {"host": "127.0.0.1", "port": 3050, "user": "SYSDBA",
      "password": os.environ.get("FIREBIRD_PASSWORD", "masterkey")}


def _firebird_up() -> bool:
    try:
        with socket.create_connection((FB["host"], FB["port"]), timeout=2):
            return True
    except OSError:
        return False


if not _firebird_up():
    pytest.skip("Firebird no está en 127.0.0.1:3050 (scripts/install_firebird.sh)",
                allow_module_level=True)


def _build(scale: float) -> Path:
    from core.erp.demo_fdb import build_demo_fdb

    FDB_DIR.mkdir(parents=True, exist_ok=True)
    path = FDB_DIR / f"sync_{uuid.uuid4().hex[:8]}.fdb"
    build_demo_fdb(path, scale=scale, seed=11, password=FB["password"])
    return path


def _drop(path: Path) -> None:
    from core.erp.demo_fdb import drop_fdb

    drop_fdb(path, password=FB["password"])


@pytest.fixture
def fdb_factory(monkeypatch: pytest.MonkeyPatch, engine, clean_db) -> Iterator:
    """Build a fresh demo .fdb at a scale and point the settings at it (dropped afterwards)."""
    from core.config import get_settings

    made: list[Path] = []

    def make(scale: float = 0.1) -> Path:
        path = _build(scale)
        made.append(path)
        monkeypatch.setenv("ERP_SOURCE", "firebird")
        monkeypatch.setenv("FIREBIRD_DATABASE", str(path))
        monkeypatch.setenv("FIREBIRD_PASSWORD", FB["password"])
        get_settings.cache_clear()
        return path

    yield make
    monkeypatch.undo()
    get_settings.cache_clear()
    for path in made:
        _drop(path)


def fb_connect(path: Path):
    import fdb

    return fdb.connect(host=FB["host"], port=FB["port"], database=str(path), user=FB["user"],
                       password=FB["password"], charset="WIN1252")


# ---------------------------------------------------------------- truths computed in Firebird

def fb_truth(path: Path) -> dict:
    """Row counts, stock per almacén and net units per product, straight from Firebird."""
    conn = fb_connect(path)
    try:
        return microsip_truth(conn.cursor())
    finally:
        conn.close()


def assert_equal_to_source(path: Path) -> None:
    truth, ours = fb_truth(path), our_figures()
    for key in ("productos", "almacenes", "clientes", "documentos", "lineas"):
        assert ours[key] == truth[key], key
    assert ours["stock"] == truth["stock"]
    assert ours["unidades"] == truth["unidades"]


# ---------------------------------------------------------------- editing the Microsip database


def clone_document(cur, origen: str, source_id: int, *, tipo: str | None = None) -> int:
    """Copy a document and its lines under new ids from ID_DOCTOS, stamped as modified now."""
    def columns(table: str) -> list[str]:
        cur.execute("SELECT TRIM(RDB$FIELD_NAME) FROM RDB$RELATION_FIELDS WHERE RDB$RELATION_NAME = ? "
                    "ORDER BY RDB$FIELD_POSITION", (table,))
        return [r[0] for r in cur.fetchall()]

    cur.execute("SELECT GEN_ID(ID_DOCTOS, 1) FROM RDB$DATABASE")
    new_id = int(cur.fetchone()[0])
    head, key = f"DOCTOS_{origen}", f"DOCTO_{origen}_ID"
    cols = columns(head)
    values = {c: c for c in cols}
    values.update({key: str(new_id), "FOLIO": f"'T{new_id % 10**8:08d}'", "ESTATUS": "'N'",
                   "FECHA_HORA_ULT_MODIF": "CURRENT_TIMESTAMP"})
    if tipo:
        values["TIPO_DOCTO"] = f"'{tipo}'"
    cur.execute(f"INSERT INTO {head} ({', '.join(cols)}) SELECT {', '.join(values[c] for c in cols)} "
                f"FROM {head} WHERE {key} = ?", (source_id,))
    det = f"{head}_DET"
    det_key = f"DOCTO_{origen}_DET_ID"
    cols = columns(det)
    values = {c: c for c in cols}
    values.update({key: str(new_id), det_key: "GEN_ID(ID_DOCTOS, 1)"})
    cur.execute(f"INSERT INTO {det} ({', '.join(cols)}) SELECT {', '.join(values[c] for c in cols)} "
                f"FROM {det} WHERE {key} = ?", (source_id,))
    return new_id


def pick_document(cur, origen: str, tipo: str, *, oldest: bool = True) -> int:
    """A counted document of that type (for VE, never a factura generated from remisiones)."""
    order = "ASC" if oldest else "DESC"
    counted = f"AND {NOT_INVOICED_FROM_REMISIONES} " if origen == "VE" else ""
    cur.execute(f"SELECT FIRST 1 d.DOCTO_{origen}_ID FROM DOCTOS_{origen} d WHERE d.TIPO_DOCTO = ? "
                f"AND d.ESTATUS <> 'C' {counted}AND EXISTS (SELECT 1 FROM DOCTOS_{origen}_DET l "
                f"WHERE l.DOCTO_{origen}_ID = d.DOCTO_{origen}_ID) ORDER BY d.FECHA {order}", (tipo,))
    return int(cur.fetchone()[0])


# ---------------------------------------------------------------- tests


@pytest.mark.parametrize("readers", ["1", "3"])
def test_full_sync_equals_firebird_and_rerun_changes_nothing(fdb_factory, monkeypatch, readers):
    from core.config import get_settings

    path = fdb_factory(0.1)
    monkeypatch.setenv("FIREBIRD_READERS", readers)  # the default, 2, in every other test
    get_settings.cache_clear()
    report = run_sync(full=True)
    assert report.status == "completed", report.message
    assert_equal_to_source(path)

    again = run_sync()
    assert again.status == "completed", again.message
    for entity, rep in again.entities.items():
        assert (rep.counts.created, rep.counts.updated, rep.counts.failed) == (0, 0, 0), entity
    assert_equal_to_source(path)


def test_incremental_reflects_exactly_the_changes(fdb_factory):
    path = fdb_factory(0.1)
    assert run_sync(full=True).status == "completed"
    before = our_figures()

    conn = fb_connect(path)
    cur = conn.cursor()
    cur.execute("SELECT MIN(PRECIO_EMPRESA_ID) FROM PRECIOS_ARTICULOS")
    lista = cur.fetchone()[0]
    cur.execute("SELECT FIRST 3 ARTICULO_ID FROM PRECIOS_ARTICULOS WHERE PRECIO_EMPRESA_ID = ? "
                "ORDER BY ARTICULO_ID", (lista,))
    repriced = [r[0] for r in cur.fetchall()]
    for art in repriced:
        cur.execute("UPDATE PRECIOS_ARTICULOS SET PRECIO = PRECIO + 7 WHERE ARTICULO_ID = ? "
                    "AND PRECIO_EMPRESA_ID = ?", (art, lista))
    sale = clone_document(cur, "PV", pick_document(cur, "PV", "V", oldest=False))
    factura = clone_document(cur, "VE", pick_document(cur, "VE", "F", oldest=False))
    devolucion = clone_document(cur, "PV", pick_document(cur, "PV", "V"), tipo="D")
    cancelled = pick_document(cur, "VE", "F")  # old: outside the look-back window
    cur.execute("UPDATE DOCTOS_VE SET ESTATUS = 'C', FECHA_HORA_ULT_MODIF = CURRENT_TIMESTAMP "
                "WHERE DOCTO_VE_ID = ?", (cancelled,))
    new_lines = {}
    for origen, doc in (("PV", sale), ("VE", factura), ("PV", devolucion)):
        cur.execute(f"SELECT COUNT(*) FROM DOCTOS_{origen}_DET WHERE DOCTO_{origen}_ID = ?", (doc,))
        new_lines[doc] = cur.fetchone()[0]
    cur.execute("SELECT COUNT(*) FROM DOCTOS_VE_DET WHERE DOCTO_VE_ID = ?", (cancelled,))
    cancelled_lines = cur.fetchone()[0]
    conn.commit()
    conn.close()

    report = run_sync()
    assert report.status == "completed", report.message
    assert report.entities["productos"].counts.updated == len(repriced)
    assert report.entities["productos"].counts.created == 0
    assert report.entities["inventario"].counts.updated == 0
    ventas = report.entities["ventas"]
    assert ventas.counts.created == 3 + sum(new_lines.values())
    assert ventas.counts.updated == 0
    assert "1 documento cancelado o ya inexistente eliminado" in ventas.message

    after = our_figures()
    assert after["documentos"] == before["documentos"] + 3 - 1
    assert after["lineas"] == before["lineas"] + sum(new_lines.values()) - cancelled_lines
    assert_equal_to_source(path)
    with db.get_engine().connect() as conn:
        signs = dict(conn.execute(text(
            "SELECT v.erp_id, MIN(SIGN(d.cantidad)) FROM erp_ventas v JOIN erp_ventas_detalle d "
            "ON d.venta_id = v.id WHERE v.erp_id IN (:a, :b) GROUP BY v.erp_id"),
            {"a": str(devolucion), "b": str(sale)}).all())
        assert int(signs[str(devolucion)]) == -1 and int(signs[str(sale)]) == 1


def test_wrong_password_is_a_clear_message(fdb_factory, monkeypatch):
    from core.config import get_settings

    fdb_factory(0.1)
    monkeypatch.setenv("FIREBIRD_PASSWORD", "equivocada")
    get_settings.cache_clear()
    report = run_sync(entities="productos")
    assert report.status == "failed"
    assert report.message == ("Falló la sincronización de productos y almacenes: Usuario o contraseña "
                              "de Firebird incorrectos (usuario SYSDBA). Revise FIREBIRD_USER y "
                              "FIREBIRD_PASSWORD.")
    job = sync_status.recent_jobs(1)[0]
    assert (job["status"], job["error_message"]) == ("failed", report.message.split(": ", 1)[1])


@pytest.mark.usefixtures("redis_env")
def test_worker_killed_mid_sync_then_rerun_equals_source(fdb_factory, users):
    from core import jobs

    path = fdb_factory(0.3)
    # Small batches, so that the kill lands between two of them.
    worker = start_worker({"ERP_SOURCE": "firebird", "FIREBIRD_DATABASE": str(path),
                           "FIREBIRD_BATCH_SIZE": "2000"})
    try:
        deadline = time.monotonic() + 30
        while jobs.worker_count() == 0 and time.monotonic() < deadline:
            time.sleep(0.1)
        job_id = jobs.sync_now(None, user=users["manager"], full=True)
        killed_row = None
        deadline = time.monotonic() + 120
        while killed_row is None and time.monotonic() < deadline:
            for row in sync_status.jobs_of(job_id):
                if row["job_type"] == "ventas" and row["status"] == "running" \
                        and row["records_processed"] > 0:
                    killed_row = row["id"]
            time.sleep(0.02)
        assert killed_row is not None, "la sincronización de ventas no llegó a correr"
        kill_tree(worker)  # the worker and its work horse (RQ puts the horse in its own session)
    finally:
        kill_tree(worker)
    interrupted = sync_status.get_job(killed_row)
    assert interrupted["status"] == "running"  # nobody could say otherwise: the process is gone
    assert our_figures()["lineas"] < fb_truth(path)["lineas"]

    report = run_sync(entities="ventas", full=True)
    assert report.status == "completed", report.message
    assert sync_status.get_job(killed_row)["status"] == "failed"
    assert "Interrumpida" in sync_status.get_job(killed_row)["error_message"]
    assert_equal_to_source(path)
    with db.get_engine().connect() as conn:
        dupes = conn.execute(text("SELECT COUNT(*) FROM (SELECT origen, erp_id FROM erp_ventas "
                                  "GROUP BY origen, erp_id HAVING COUNT(*) > 1) x")).scalar_one()
    assert dupes == 0


def test_cli_sync_firebird_json(fdb_factory):
    import json

    fdb_factory(0.1)
    out = subprocess.run([sys.executable, "-m", "core", "sync", "--source", "firebird",
                          "--entity", "productos", "--entity", "clientes", "--json"],
                         cwd=ROOT, env=dict(os.environ), capture_output=True, text=True, check=False)
    assert out.returncode == 0, out.stderr
    payload = json.loads(out.stdout.strip().splitlines()[-1])
    assert payload["status"] == "completed"
    assert set(payload["entities"]) == {"productos", "clientes"}
    assert payload["entities"]["clientes"]["created"] == fb_truth(
        Path(os.environ["FIREBIRD_DATABASE"]))["clientes"]
    assert set(payload["entities"]["productos"]) == {"processed", "created", "updated",
                                                     "unchanged", "failed"}


def _firebird_service(action: str) -> None:
    subprocess.run(["/etc/init.d/firebird3.0", action], check=True, capture_output=True, timeout=60)
    deadline = time.monotonic() + 30
    while _firebird_up() != (action == "start") and time.monotonic() < deadline:
        time.sleep(0.2)


@pytest.mark.usefixtures("redis_env")
def test_firebird_stopped_fails_in_spanish_then_a_retry_completes_once_it_is_back(
        fdb_factory, users, monkeypatch):
    """The real server is stopped: the first attempt fails with a Spanish message, RQ retries it
    after the back-off, and the retry that finds the server back completes the sync."""
    from core import jobs
    from core.config import get_settings

    path = fdb_factory(0.05)
    monkeypatch.setenv("JOB_RETRY_MAX", "3")
    monkeypatch.setenv("JOB_RETRY_BACKOFF_S", "4")
    get_settings.cache_clear()
    worker = start_worker({"ERP_SOURCE": "firebird", "FIREBIRD_DATABASE": str(path)})
    _firebird_service("stop")
    try:
        deadline = time.monotonic() + 30
        while jobs.worker_count() == 0 and time.monotonic() < deadline:
            time.sleep(0.1)
        job_id = jobs.sync_now(["productos"], user=users["manager"])
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not any(
                e["status"] == "failed" for e in sync_status.jobs_of(job_id)):
            time.sleep(0.2)
        _firebird_service("start")
        status = jobs.wait(job_id, timeout=120)
    finally:
        _firebird_service("start")
        kill_tree(worker)
    attempts = [(e["status"], e["error_message"] or "") for e in status["entities"]]
    assert attempts[0][0] == "failed"
    assert "el servidor no responde o está apagado" in attempts[0][1]
    assert attempts[-1] == ("completed", "")
    assert status["status"] == "completed" and status["attempts"] >= 2
    assert our_figures()["productos"] == fb_truth(path)["productos"] > 0
