"""Small helpers shared by the ingest modules."""

from __future__ import annotations

import gc
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

_phases: ContextVar[dict[str, float] | None] = ContextVar("ingest_phases", default=None)


@contextmanager
def paused_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector while millions of cells become Python objects.

    Each full collection walks every live container (a 541,909-row sheet is 541,909 lists), so
    collections triggered by the allocation count alone cost seconds and free nothing; one
    collection runs at the end instead.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


@contextmanager
def recording_phases() -> Iterator[dict[str, float]]:
    """Collect the seconds spent in each `phase` block run inside this one (benchmarks read them)."""
    record: dict[str, float] = {}
    token = _phases.set(record)
    try:
        yield record
    finally:
        _phases.reset(token)


@contextmanager
def phase(name: str) -> Iterator[None]:
    """Add the wall time of the block to the open phase record, if any (a no-op otherwise)."""
    start = time.perf_counter()
    try:
        yield
    finally:
        if (record := _phases.get()) is not None:
            record[name] = record.get(name, 0.0) + time.perf_counter() - start
