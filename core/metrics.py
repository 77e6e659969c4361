"""Script runs measured by the app itself: page, role, wall and CPU milliseconds.

Every Streamlit run of `app/main.py` calls ``record``: one log line (logger ``core.metrics``, INFO,
to stderr even when nothing else configured logging) and an entry in a per-process ring of recent
runs. Each process also writes a short summary of its ring to ``STORAGE_DIR/metrics/`` (at most
every FLUSH_EVERY_S seconds), so ``python -m core health`` can show every app process on the
machine or the shared volume without a database table.
"""

from __future__ import annotations

import json
import logging
import math
import os
import socket
import sys
import threading
import time
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from core.config import get_settings

log = logging.getLogger(__name__)
KEEP_RUNS = 2000
FLUSH_EVERY_S = 15.0
FRESH_S = 600.0  # summaries older than this are of processes gone (or idle): not shown


@dataclass(frozen=True)
class Run:
    page: str
    role: str
    ms: float
    cpu_ms: float
    at: float


_runs: deque[Run] = deque(maxlen=KEEP_RUNS)
_lock = threading.Lock()
_last_flush = 0.0


def _ensure_log_handler() -> None:
    """The run lines reach stderr even when the host (Streamlit) configured no root handler."""
    if not log.handlers and not logging.getLogger().handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        log.addHandler(handler)
        log.propagate = False
    if log.level == logging.NOTSET:
        log.setLevel(logging.INFO)


def record(*, page: str, role: str, ms: float, cpu_ms: float) -> None:
    """Keep one script run and log it as ``script run page=… role=… ms=… cpu_ms=…``."""
    global _last_flush
    _ensure_log_handler()
    now = time.time()
    with _lock:
        _runs.append(Run(page=page, role=role, ms=ms, cpu_ms=cpu_ms, at=now))
        flush = now - _last_flush >= FLUSH_EVERY_S
        if flush:
            _last_flush = now
    log.info("script run page=%s role=%s ms=%.1f cpu_ms=%.1f", page, role, ms, cpu_ms)
    if flush:
        try:
            _write_summary()
        except OSError:
            log.warning("could not write the run summary", exc_info=True)


def recent() -> list[Run]:
    with _lock:
        return list(_runs)


def clear() -> None:
    """Forget this process's runs (tests)."""
    with _lock:
        _runs.clear()


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


def summarize(runs: list[Run]) -> dict[str, Any]:
    """Count, p50 and p95 of wall ms and mean CPU ms, overall and per page."""
    def stats(group: list[Run]) -> dict[str, Any]:
        ms = [r.ms for r in group]
        return {"runs": len(group), "p50_ms": round(_percentile(ms, 0.5), 1),
                "p95_ms": round(_percentile(ms, 0.95), 1),
                "cpu_ms_mean": round(sum(r.cpu_ms for r in group) / len(group), 1)}

    if not runs:
        return {"runs": 0, "pages": {}}
    pages: dict[str, list[Run]] = {}
    for run in runs:
        pages.setdefault(run.page, []).append(run)
    return {**stats(runs), "pages": {page: stats(group) for page, group in sorted(pages.items())}}


def _summary_dir() -> Path:
    return get_settings().storage_dir / "metrics"


def _write_summary() -> None:
    folder = _summary_dir()
    folder.mkdir(parents=True, exist_ok=True)
    name = f"{socket.gethostname()}-{os.getpid()}"
    body = {"process": name, "written_at": time.time(), **summarize(recent())}
    tmp = folder / f".{name}.tmp"
    tmp.write_text(json.dumps(body), encoding="utf-8")
    tmp.replace(folder / f"{name}.json")


def process_summaries(*, now: float | None = None) -> list[dict[str, Any]]:
    """The recent-run summaries that app processes wrote in the last FRESH_S seconds."""
    folder = _summary_dir()
    if not folder.is_dir():
        return []
    now = now or time.time()
    found = []
    for path in sorted(folder.glob("*.json")):
        try:
            body = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if now - float(body.get("written_at", 0)) <= FRESH_S:
            found.append(body)
    return found
