"""Small helpers shared by the ingest modules."""

from __future__ import annotations

import gc
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

_phases: ContextVar[dict[str, float] | None] = ContextVar("ingest_phases", default=None)
_kept: ContextVar[list[Any] | None] = ContextVar("ingest_kept", default=None)


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


@contextmanager
def keeping() -> Iterator[list[Any]]:
    """Collect what `keep_alive` is given inside the block, in the list yielded."""
    kept: list[Any] = []
    token = _kept.set(kept)
    try:
        yield kept
    finally:
        _kept.reset(token)


def keep_alive(obj: Any) -> None:
    """Hold `obj` in the open `keeping` list instead of letting it be freed when its last user is
    done; a no-op outside one. The analysis child ends with os._exit, where the kernel drops its
    memory at once: freeing a sheet's millions of cells one by one would cost ~0.1 s before the
    preview is sent."""
    if (kept := _kept.get()) is not None:
        kept.append(obj)
