"""Overlap reading the ERP with writing our database: a reader thread and a bounded queue."""

from __future__ import annotations

import contextlib
import queue
import threading
from collections.abc import Callable, Iterator
from typing import TypeVar

T = TypeVar("T")

_END = object()


def prefetch(make_iter: Callable[[], Iterator[T]], *, depth: int = 3) -> Iterator[T]:
    """Yield what ``make_iter()`` yields, read ahead by a thread at most ``depth`` items.

    The bound keeps memory flat; an error in the reader is raised in the consumer; if the
    consumer stops early the reader is told to stop and its iterator is closed.
    """
    q: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def put(item: object) -> bool:
        while not stop.is_set():
            try:
                q.put(item, timeout=0.2)
                return True
            except queue.Full:
                continue
        return False

    def reader() -> None:
        it = make_iter()
        try:
            for item in it:
                if not put(("item", item)):
                    return
            put(("end", _END))
        except BaseException as exc:  # handed to the consumer, who decides
            put(("error", exc))
        finally:
            close = getattr(it, "close", None)
            if close is not None:
                # A reader that fails to close is not the sync's outcome.
                with contextlib.suppress(Exception):
                    close()

    thread = threading.Thread(target=reader, name="erp-reader", daemon=True)
    thread.start()
    try:
        while True:
            kind, value = q.get()
            if kind == "item":
                yield value
            elif kind == "end":
                return
            else:
                raise value
    finally:
        stop.set()
        while thread.is_alive():
            try:
                q.get_nowait()
            except queue.Empty:
                thread.join(timeout=0.2)
