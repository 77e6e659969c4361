"""Overlap reading the ERP with writing our database: a reader thread and a bounded queue."""

from __future__ import annotations

import contextlib
import importlib
import multiprocessing
import os
import queue
import threading
from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeVar

T = TypeVar("T")

_END = object()


def _unpack(get: Callable[[], tuple[str, Any]]) -> Iterator[Any]:
    """The items of a reader's ("item" | "end" | "error", value) messages; an error is raised here."""
    while True:
        kind, value = get()
        if kind == "item":
            yield value
        elif kind == "end":
            return
        else:
            raise value


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
        it = None
        try:
            # Inside the try: a source that fails before its first batch must not leave the
            # consumer waiting forever.
            it = make_iter()
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
        yield from _unpack(q.get)
    finally:
        stop.set()
        while thread.is_alive():
            try:
                q.get_nowait()
            except queue.Empty:
                thread.join(timeout=0.2)


def prefetch_from_process(factory: str, method: str, kwargs: dict[str, Any] | Sequence[dict[str, Any]],
                          *, encode: str | None = None, encode_args: dict[str, Any] | None = None,
                          depth: int = 3) -> Iterator[Any]:
    """Yield what ``factory().method(**kwargs)`` yields, read by a separate process.

    Decoding a driver's rows is Python work: in a thread it takes the GIL from the writer, in
    its own process it runs beside it. ``factory`` ("module:function") builds the source in the
    child from the same settings; ``encode`` ("module:function"), if given, turns each item into
    something cheaper to send before it crosses (with ``encode_args``, ``encode`` is a factory
    called once with them, in the child, that returns the function). A list of ``kwargs`` starts
    one process per entry, each reading its own part; their items arrive interleaved, as each is
    ready. An error in a child is raised here; a child left without its parent (killed) stops
    by itself.
    """
    calls = [kwargs] if isinstance(kwargs, dict) else list(kwargs)
    ctx = multiprocessing.get_context("spawn")
    q = ctx.Queue(maxsize=depth * len(calls))
    children = [ctx.Process(target=_read_in_child,
                            args=(i, factory, method, kw, encode, encode_args, q, os.getpid()),
                            name=f"erp-reader-{i}", daemon=True)
                for i, kw in enumerate(calls)]
    for child in children:
        child.start()
    running = set(range(len(children)))

    def receive() -> tuple[str, Any]:
        while True:
            try:
                index, kind, value = q.get(timeout=1.0)
            except queue.Empty:
                if any(not children[i].is_alive() for i in running):
                    raise RuntimeError("el proceso lector del ERP terminó sin avisar") from None
                continue
            if kind != "end":
                return kind, value
            running.discard(index)
            if not running:
                return kind, value

    try:
        yield from _unpack(receive)
    finally:
        for child in children:
            if child.is_alive():
                child.terminate()
        for child in children:
            child.join(timeout=10)
        q.close()


def _function(path: str) -> Callable[..., Any]:
    module, name = path.split(":")
    return getattr(importlib.import_module(module), name)


def _read_in_child(index: int, factory: str, method: str, kwargs: dict[str, Any], encode: str | None,
                   encode_args: dict[str, Any] | None, q: Any, parent: int) -> None:
    from core.erp.source import ErpError

    source = None
    try:
        source = _function(factory)()
        wire = _function(encode) if encode else None
        if wire is not None and encode_args is not None:
            wire = wire(**encode_args)
        for item in getattr(source, method)(**kwargs):
            _put(q, (index, "item", wire(item) if wire else item), parent)
        _put(q, (index, "end", None), parent)
    except BaseException as exc:  # handed to the parent, who decides
        if not isinstance(exc, ErpError):  # keep it picklable: the message is what matters
            exc = RuntimeError(str(exc).splitlines()[0] if str(exc) else type(exc).__name__)
        _put(q, (index, "error", exc), parent)
    finally:
        if source is not None:
            with contextlib.suppress(Exception):
                source.close()


def _put(q: Any, item: Any, parent: int) -> None:
    while True:
        try:
            q.put(item, timeout=1.0)
            return
        except queue.Full:
            if os.getppid() != parent:  # the parent died: nobody will read this
                os._exit(0)
