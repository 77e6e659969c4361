"""Jobs fixtures: a real Redis database of our own and a real RQ worker process."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
REDIS_TEST_URL = os.environ.get("DEVCOMPRAS_TEST_REDIS", "redis://127.0.0.1:6379/13")


@pytest.fixture
def redis_env(monkeypatch: pytest.MonkeyPatch, engine) -> Iterator[str]:
    """REDIS_URL set to an emptied test Redis database; fast retries."""
    from redis import Redis

    from core.config import get_settings

    Redis.from_url(REDIS_TEST_URL).flushdb()
    monkeypatch.setenv("REDIS_URL", REDIS_TEST_URL)
    monkeypatch.setenv("JOB_RETRY_MAX", "2")
    monkeypatch.setenv("JOB_RETRY_BACKOFF_S", "1")
    get_settings.cache_clear()
    yield REDIS_TEST_URL
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
    return subprocess.Popen(
        [sys.executable, str(ROOT / "worker.py"), "--no-cron", "--no-startup-sync"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        start_new_session=True,
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
