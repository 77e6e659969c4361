"""Issue 11 §5: a staged upload never outlives its job, whatever happens to it."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

import core.ingest.service as service
from core.config import get_settings
from core.ingest.service import preview_upload, process_upload, start_upload
from tests.ingest.conftest import xlsx
from tests.ingest.test_load import SALES_TEXT_DATES


def _staging() -> Path:
    return Path(get_settings().storage_dir) / "uploads" / "staging"


def _staged() -> list[Path]:
    return sorted(_staging().glob("*.bin")) if _staging().exists() else []


def test_staged_file_removed_when_queuing_fails(clean_db, manager, counts, monkeypatch):
    import core.jobs as jobs

    def no_queue(*args, **kwargs):
        raise jobs.JobFailed("No se pudo encolar el trabajo: Redis no responde (revise REDIS_URL).")

    monkeypatch.setattr(service, "JOB_ROWS", 1)
    monkeypatch.setattr(jobs, "enqueue", no_queue)
    data = xlsx(SALES_TEXT_DATES)
    pv = preview_upload(manager, data, "VENTAS SUC CENTRO ENE 2025.xlsx")
    before, staged = counts(), _staged()
    with pytest.raises(jobs.JobFailed):
        start_upload(manager, pv, data)
    assert _staged() == staged and counts() == before


def test_staged_file_removed_when_the_job_fails_unexpectedly(clean_db, manager, counts, monkeypatch, caplog):
    def broken_load(*args, **kwargs):
        raise RuntimeError("conexión perdida: secreto")

    monkeypatch.setattr(service, "load_preview", broken_load)
    path = _staging()
    path.mkdir(parents=True, exist_ok=True)
    staged = path / "job.bin"
    staged.write_bytes(xlsx(SALES_TEXT_DATES))
    before = counts()
    out = process_upload(path=str(staged), filename="VENTAS SUC CENTRO ENE 2025.xlsx", user_email=manager.email)
    assert out == {"status": "failed", "message": service.LOAD_FAILED}  # Spanish, no exception text
    assert not staged.exists() and counts() == before
    assert "conexión perdida" in caplog.text  # the trace stays in the log


def test_staged_file_removed_when_the_file_is_refused(clean_db, manager):
    staged = _staging() / "refused.bin"
    staged.parent.mkdir(parents=True, exist_ok=True)
    staged.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(50))
    out = process_upload(path=str(staged), filename="foto.xlsx", user_email=manager.email)
    assert out["status"] == "failed" and out["message"].startswith("El archivo no es una hoja de cálculo")
    assert not staged.exists()


def test_files_left_by_a_killed_job_are_swept(clean_db, manager, monkeypatch):
    """A worker killed mid-job runs no cleanup: the next large upload sweeps day-old staged files."""
    import core.jobs as jobs

    monkeypatch.setattr(service, "JOB_ROWS", 1)
    monkeypatch.setattr(jobs, "enqueue", lambda *a, **k: "job")
    _staging().mkdir(parents=True, exist_ok=True)
    orphan, recent = _staging() / "orphan.bin", _staging() / "recent.bin"
    orphan.write_bytes(b"x")
    recent.write_bytes(b"x")
    old = time.time() - service.STAGED_MAX_AGE_S - 60
    os.utime(orphan, (old, old))
    data = xlsx(SALES_TEXT_DATES)
    pv = preview_upload(manager, data, "VENTAS SUC CENTRO ENE 2025.xlsx")
    assert start_upload(manager, pv, data) == "job"
    assert not orphan.exists() and recent.exists()
    for path in _staged():
        path.unlink()
