"""Small helpers shared by the ingest modules."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


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
