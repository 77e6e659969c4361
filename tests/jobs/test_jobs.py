"""core.jobs: the same job rows whether jobs run in a thread or on a real RQ worker."""

from __future__ import annotations

import time

import pytest

from core import jobs
from tests.jobs import job_funcs


def test_inline_job_completes_with_result_and_progress(engine, clean_db):
    job_id = jobs.enqueue(job_funcs.double, queue="default", job_kind="prueba", value=21)
    status = jobs.wait(job_id, timeout=30)
    assert status["status"] == "completed"
    assert status["result"]["value"] == 42
    assert status["message"] == "Listo: 42"
    assert status["progress"] == 1.0
    assert status["attempts"] == 1


def test_inline_job_retries_then_succeeds(engine, clean_db, fast_retries, tmp_path):
    job_id = jobs.enqueue(job_funcs.flaky, queue="default", job_kind="prueba",
                          counter=str(tmp_path / "n"), failures=1)
    status = jobs.wait(job_id, timeout=30)
    assert status["status"] == "completed"
    assert status["attempts"] == 2
    assert status["error_message"] is None


def test_inline_job_failure_keeps_spanish_message(engine, clean_db, fast_retries):
    job_id = jobs.enqueue(job_funcs.broken, queue="default", job_kind="prueba")
    status = jobs.wait(job_id, timeout=30)
    assert status["status"] == "failed"
    assert status["attempts"] == 3  # first try + JOB_RETRY_MAX=2 retries
    assert status["error_message"] == (
        "No se pudo conectar con el servidor Firebird: conexión rechazada.")


def test_unknown_queue_is_refused(engine):
    with pytest.raises(ValueError, match="Cola desconocida"):
        jobs.enqueue(job_funcs.double, queue="rapida", job_kind="prueba", value=1)


def test_unknown_job_status_is_none(engine):
    assert jobs.job_status("no-existe") is None


def test_rq_worker_runs_job_and_retries_with_backoff(engine, clean_db, rq_worker, tmp_path):
    ok = jobs.enqueue(job_funcs.double, queue="default", job_kind="prueba", value=5)
    flaky = jobs.enqueue(job_funcs.flaky, queue="sync", job_kind="prueba",
                         counter=str(tmp_path / "n"), failures=2)
    broken = jobs.enqueue(job_funcs.broken, queue="default", job_kind="prueba")

    assert jobs.wait(ok, timeout=60)["result"]["value"] == 10
    status = jobs.wait(flaky, timeout=90)
    assert (status["status"], status["attempts"]) == ("completed", 3)
    status = jobs.wait(broken, timeout=90)
    assert status["status"] == "failed"
    assert status["attempts"] == 3
    assert "Firebird" in status["error_message"]

    from rq.job import Job

    rq_job = Job.fetch(broken, connection=jobs.redis_connection())
    # Our row is final inside the job; RQ marks its own job failed a moment later.
    deadline = time.monotonic() + 30
    while rq_job.get_status(refresh=True) == "started" and time.monotonic() < deadline:
        time.sleep(0.1)
    assert rq_job.get_status() == "failed"
    assert rq_job.retries_left == 0
