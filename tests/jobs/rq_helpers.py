"""Jobs fixtures and helpers: a real Redis database of our own and a real RQ worker process."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
WORKER_LOG = Path(os.environ.get("DEVCOMPRAS_TEST_WORKER_LOG", "/tmp/devcompras-test-worker.log"))
REDIS_BASE = os.environ.get("DEVCOMPRAS_TEST_REDIS", "redis://127.0.0.1:6379")
CLAIM_KEY = "devcompras:test-session"


@pytest.fixture(scope="session")
def redis_db() -> Iterator[str]:
    """An empty Redis database claimed for this test session, so parallel runs never share queues."""
    import random
    import uuid

    from redis import Redis

    me = uuid.uuid4().hex
    for n in random.sample(range(1, 16), 15):
        url = f"{REDIS_BASE}/{n}"
        conn = Redis.from_url(url)
        if conn.dbsize() == 0 and conn.set(CLAIM_KEY, me, nx=True):
            break
    else:
        raise RuntimeError("no hay una base de Redis libre para las pruebas")
    yield url
    conn.flushdb()  # empty again: free for the next session


@pytest.fixture
def redis_env(monkeypatch: pytest.MonkeyPatch, engine, redis_db: str) -> Iterator[str]:
    """REDIS_URL set to this session's emptied Redis database; fast retries."""
    from redis import Redis

    from core.config import get_settings

    conn = Redis.from_url(redis_db)
    owner = conn.get(CLAIM_KEY)
    conn.flushdb()
    conn.set(CLAIM_KEY, owner)
    monkeypatch.setenv("REDIS_URL", redis_db)
    monkeypatch.setenv("JOB_RETRY_MAX", "2")
    monkeypatch.setenv("JOB_RETRY_BACKOFF_S", "1")
    get_settings.cache_clear()
    yield redis_db
    monkeypatch.undo()
    get_settings.cache_clear()


@pytest.fixture
def fast_retries(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Inline jobs with two retries one second apart."""
    from core.config import get_settings

    monkeypatch.setenv("JOB_RETRY_MAX", "2")
    monkeypatch.setenv("JOB_RETRY_BACKOFF_S", "1")
    get_settings.cache_clear()
    yield
    monkeypatch.undo()
    get_settings.cache_clear()


def start_worker(extra_env: dict[str, str] | None = None) -> subprocess.Popen:
    """`python worker.py` in its own process group, on the test database and Redis."""
    env = {**os.environ, **(extra_env or {})}
    log = open(WORKER_LOG, "ab")  # noqa: SIM115 - the child keeps writing to it
    return subprocess.Popen(
        [sys.executable, str(ROOT / "worker.py"), "--no-cron", "--no-startup-sync"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )


def stop_worker(proc: subprocess.Popen, sig: int = signal.SIGTERM) -> None:
    """Signal the worker's whole process group (worker, scheduler, work horse)."""
    if proc.poll() is None:
        os.killpg(proc.pid, sig)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)


def kill_tree(proc: subprocess.Popen, sig: int = signal.SIGKILL) -> None:
    """Signal a worker and every process it started (the work horse has its own session)."""
    import psutil

    try:
        family = psutil.Process(proc.pid).children(recursive=True)
    except psutil.NoSuchProcess:
        family = []
    for p in [*family]:
        with contextlib.suppress(psutil.NoSuchProcess):
            p.send_signal(sig)
    if proc.poll() is None:
        os.killpg(proc.pid, sig)
    proc.wait(timeout=10)
    psutil.wait_procs(family, timeout=10)


@pytest.fixture
def rq_worker(redis_env: str) -> Iterator[subprocess.Popen]:
    """A live RQ worker process (waits until it registered with Redis)."""
    from core.jobs import worker_count

    proc = start_worker()
    deadline = time.monotonic() + 30
    while worker_count() == 0:
        assert proc.poll() is None, "el worker terminó al arrancar"
        assert time.monotonic() < deadline, "el worker no se registró en Redis"
        time.sleep(0.2)
    yield proc
    stop_worker(proc)
