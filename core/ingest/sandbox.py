"""Analyse an upload in a child process with memory, CPU and wall-clock limits.

Reading a file runs third-party parsers (calamine, expat, csv) on bytes anyone with an upload
permission chooses. The caps in core.ingest.limits stop every shape we know of before it
allocates; this is the second line for whatever they miss: the child may abort, run out of
memory or spin, and the server (every other session) carries on; the user gets a Spanish reason.

Start method: forkserver. Streamlit serves sessions from threads (and jobs may run in threads):
fork() would copy this multi-threaded process with whatever locks other threads hold at that
instant (logging, the allocator, connection pools) into the child, which can then deadlock.
spawn is safe but starts a fresh interpreter and re-imports pandas per upload (about a second).
The fork server is one clean, single-threaded process started once, with the ingest modules
already imported; each analysis is a fork of it (milliseconds).

The file goes to the child, and the preview comes back, in an anonymous in-memory file (memfd)
rather than through a pipe: a pipe moves 64 KiB per switch between the two processes, and on a
busy machine each switch waits for a time slice (the benchmark's 24 MB workbook took 1-2 s to
reach the child with the load average at 20; written to a memfd it is one copy each way).

multiprocessing re-runs the parent's ``__main__`` in every child (as ``__mp_main__``) so that
functions defined there unpickle. Under Streamlit ``__main__`` is the app script being run
(Streamlit installs it there): a child would run the app. Our child needs nothing from
``__main__`` (its target lives in this module), so the preparation data of our children carries
no main module (see _without_main).
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import pickle
import resource
import signal
import sys
import tempfile
import threading
import time
import traceback
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from multiprocessing import forkserver, reduction, spawn
from multiprocessing.connection import Connection
from typing import Any

from core.ingest.errors import IngestError
from core.ingest.preview import Preview
from core.ingest.util import keeping, phase, recording_phases

log = logging.getLogger(__name__)

# Address space the child may add to what it starts with: 1 GiB, or 96 MiB per MB the size cap
# allows if that is more. A real 9.9 MB workbook (210,000 rows) reads within 768 MiB (250 MB
# resident); the benchmark's 24 MB one takes ~1.5 GB of address space (~600 MB resident).
MEMORY_BYTES_MIN = 1024**3
MEMORY_BYTES_PER_MB = 96 * 1024**2
# Time: 30 s, plus 2 s for each MB the size cap allows above 15 MB (reading runs ~5 MB/s here).
BASE_SECONDS = 30.0
SECONDS_PER_MB = 2.0
_PRELOAD = ["core.ingest.analyze", "core.ingest.warmup"]  # warmup: one small analysis in the server
_ARROW_POOL = "ARROW_DEFAULT_MEMORY_POOL"
_lock = threading.Lock()
_starting = threading.local()
_last = threading.local()


def last_peak_mb() -> float | None:
    """Peak resident memory (MB) of this thread's last analysis child, if it answered."""
    return getattr(_last, "peak_mb", None)


def last_phases() -> dict[str, float]:
    """Seconds of each phase of this thread's last analysis (child start, its reading and analysis
    phases, sending the result back, the child's exit), for benchmarks; empty if it never answered.
    perf_counter is CLOCK_MONOTONIC on Linux, the same clock in both processes."""
    return dict(getattr(_last, "phases", {}))


_context: Any = None


@dataclass(frozen=True)
class Limits:
    """What one analysis may use."""

    memory_bytes: int
    cpu_seconds: int
    wall_seconds: float

    @classmethod
    def for_size(cls, max_mb: float) -> Limits:
        seconds = max(BASE_SECONDS, SECONDS_PER_MB * max_mb)
        return cls(max(MEMORY_BYTES_MIN, int(MEMORY_BYTES_PER_MB * max_mb)), int(seconds), seconds)


def _get_context() -> Any:
    """The forkserver context, with the ingest modules preloaded (once per process)."""
    global _context
    with _lock:
        if _context is None:
            ctx = multiprocessing.get_context("forkserver")
            ctx.set_forkserver_preload(_PRELOAD)
            spawn.get_preparation_data = _without_main(spawn.get_preparation_data)  # type: ignore[assignment]
            _start_server()
            _context = ctx
        return _context


def prestart() -> None:
    """Start the fork server in the background (its imports and warm-up take 0.5-2 s), so that the
    first analysis of this process does not wait for it; errors surface at that analysis instead."""

    def start() -> None:
        try:
            _get_context()
        except Exception:  # noqa: BLE001 - analyze_isolated starts it again and reports
            log.warning("could not start the ingest fork server in advance", exc_info=True)

    threading.Thread(target=start, name="devcompras-ingest-prestart", daemon=True).start()


def _start_server() -> None:
    """Start the fork server with Arrow's allocator set to malloc (pandas' string columns use Arrow).

    Arrow's default allocator (mimalloc) reserves 1 GiB of address space on its first use: RLIMIT_AS
    counts reservations, so every child would lose that much of its budget to a tiny file. The
    variable is read once, when the server's interpreter loads Arrow; this process keeps its own.
    """
    saved = os.environ.get(_ARROW_POOL)
    os.environ[_ARROW_POOL] = "system"
    try:
        forkserver.ensure_running()
    finally:
        if saved is None:
            os.environ.pop(_ARROW_POOL, None)
        else:
            os.environ[_ARROW_POOL] = saved


def _without_main(original: Callable[[str], dict[str, Any]]) -> Callable[[str], dict[str, Any]]:
    """multiprocessing's preparation data, minus the main module for our children only (a thread
    flag, set while one of them starts: other users of multiprocessing are unaffected)."""

    def preparation_data(name: str) -> dict[str, Any]:
        data = original(name)
        if getattr(_starting, "ours", False):
            data.pop("init_main_from_name", None)
            data.pop("init_main_from_path", None)
        return data

    return preparation_data


class SharedBytes:
    """Bytes in an anonymous in-memory file whose descriptor the child inherits (see the module's
    docstring); pickled into the child's arguments as that descriptor, never as the bytes."""

    def __init__(self, fd: int) -> None:
        self.fd = fd

    @classmethod
    def create(cls, data: bytes = b"") -> SharedBytes:
        """A new in-memory file holding `data` (a hidden temporary file where memfd is missing)."""
        if hasattr(os, "memfd_create"):
            fd = os.memfd_create("devcompras-ingest", os.MFD_CLOEXEC)
        else:
            fd, path = tempfile.mkstemp(prefix="devcompras-ingest-")
            os.unlink(path)
        shared = cls(fd)
        shared.write(data)
        return shared

    def write(self, data: bytes) -> None:
        """Replace the contents with `data`."""
        os.ftruncate(self.fd, 0)
        view, done = memoryview(data), 0
        while done < len(view):
            done += os.pwrite(self.fd, view[done:], done)

    def read(self) -> bytes:
        """The whole contents."""
        size = os.fstat(self.fd).st_size
        parts, done = [], 0
        while done < size:
            part = os.pread(self.fd, size - done, done)
            if not part:
                break
            parts.append(part)
            done += len(part)
        return parts[0] if len(parts) == 1 else b"".join(parts)

    def close(self) -> None:
        os.close(self.fd)

    def __reduce__(self) -> tuple[Any, ...]:
        # Only while a child starts: the descriptor travels to it (SCM_RIGHTS through the fork server).
        return _rebuild_shared, (reduction.DupFd(self.fd),)


def _rebuild_shared(dup: Any) -> SharedBytes:
    return SharedBytes(dup.detach())


def analyze_isolated(data: bytes, filename: str, *, max_mb: float, limits: Limits | None = None,
                     **options: Any) -> Preview:
    """core.ingest.analyze.analyze in a limited child; its IngestError, or ours, on failure."""
    limits = limits or Limits.for_size(max_mb)
    ctx = _get_context()
    reader, writer = ctx.Pipe(duplex=False)
    _last.phases, _last.peak_mb = {}, None
    started = received = time.perf_counter()
    source, result = SharedBytes.create(data), SharedBytes.create()
    proc = ctx.Process(target=_child, args=(writer, source, result, filename, max_mb, dict(options), limits,
                                            started), name="devcompras-ingest")
    _starting.ours = True
    try:
        proc.start()
    except BaseException:
        reader.close()
        writer.close()
        result.close()
        raise
    finally:
        _starting.ours = False
        source.close()  # the child holds its own descriptor: the file lives until it closes it
    try:
        writer.close()
        if not reader.poll(limits.wall_seconds):
            log.warning("analysis of %s stopped after %.0f s", filename, limits.wall_seconds)
            raise IngestError(_too_slow(limits))
        try:
            peak_kb, phases, sent_at = reader.recv()
            outcome, payload = pickle.loads(result.read())
            received = time.perf_counter()
            _last.peak_mb = peak_kb / 1024
            _last.phases = {**phases, "send": received - sent_at}
            log.info("analysis of %s: %s, peak RSS %.0f MB", filename, outcome, _last.peak_mb)
        except EOFError:
            proc.join(10)
            log.warning("analysis of %s ended with exit code %s", filename, proc.exitcode)
            raise IngestError(_died(proc.exitcode, limits)) from None
    finally:
        reader.close()
        result.close()
        if proc.is_alive():
            proc.kill()
        proc.join()
        if "send" in _last.phases:
            _last.phases["exit"] = time.perf_counter() - received
    if outcome == "ok":
        return payload
    if outcome == "refused":
        raise IngestError(payload)
    if outcome == "memory":
        raise IngestError(_too_big(limits))
    log.error("could not analyse %s:\n%s", filename, payload)
    raise IngestError(
        "No se pudo interpretar el archivo. Revise que sea un reporte de inventario o ventas con una fila "
        "de encabezados; si lo es, envíelo a soporte."
    )


def _child(writer: Connection, source: SharedBytes, out: SharedBytes, filename: str, max_mb: float,
           options: Mapping[str, Any], limits: Limits, started: float) -> None:
    """The child's body: limit itself, analyse, put (outcome, payload) in `out`, then say so on the
    pipe with its peak RSS, phases and when it started writing."""
    from core.ingest.analyze import analyze

    # Read before the limits, as when the file came pickled in the arguments: the budget is for the analysis.
    data = source.read()
    source.close()
    _limit(limits)
    result: tuple[str, Any]
    with recording_phases() as phases, keeping() as kept:
        phases["start"] = time.perf_counter() - started
        try:
            with phase("analyze"):
                result = ("ok", analyze(data, filename, max_mb=max_mb, **options))
        except IngestError as exc:
            result = ("refused", exc.message)
        except MemoryError:
            result = ("memory", None)
        except Exception:
            result = ("error", traceback.format_exc())
    del data
    sent_at = time.perf_counter()
    try:
        payload = pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL)
    except MemoryError:
        kept.clear()  # the sheet, if it was kept, makes room as it used to
        try:
            payload = pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL)
        except MemoryError:
            payload = pickle.dumps(("memory", None))
    out.write(payload)
    writer.send((resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, phases, sent_at))
    writer.close()
    # Nothing left to do: leave without freeing the sheet (in `kept`) and the preview object by
    # object (the parent waits for this exit).
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


def _limit(limits: Limits) -> None:
    """Cap this process: no core dump, its address space, its CPU time (soft, then a kill)."""
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    ceiling = _address_space() + limits.memory_bytes
    resource.setrlimit(resource.RLIMIT_AS, (ceiling, ceiling))
    resource.setrlimit(resource.RLIMIT_CPU, (limits.cpu_seconds, limits.cpu_seconds + 5))


def _address_space() -> int:
    """This process's virtual size in bytes (Linux), what RLIMIT_AS counts."""
    with open("/proc/self/statm") as fh:
        pages = int(fh.read().split()[0])
    return pages * resource.getpagesize()


def _too_slow(limits: Limits) -> str:
    return (f"Revisar el archivo tardó más de {limits.wall_seconds:,.0f} segundos y se detuvo; no se guardó "
            "nada. El archivo es demasiado grande o tiene una estructura inusual: copie solo la tabla de datos "
            "a un libro nuevo (o divídalo) y vuelva a subirlo.")


def _too_big(limits: Limits) -> str:
    return (f"Leer el archivo necesitaba más de {limits.memory_bytes / 1024**2:,.0f} MB de memoria y se detuvo; "
            "no se guardó nada. Suele deberse a celdas con datos muy lejos de la tabla (por ejemplo, en la "
            "última fila o columna de la hoja) o a un archivo dañado: copie solo la tabla a un libro nuevo y "
            "vuelva a subirlo.")


def _died(exitcode: int | None, limits: Limits) -> str:
    """The Spanish reason for a child that ended without answering."""
    if exitcode is not None and exitcode < 0 and -exitcode == signal.SIGXCPU:
        return _too_slow(limits)
    if exitcode is not None and exitcode < 0 and -exitcode in (signal.SIGABRT, signal.SIGKILL, signal.SIGSEGV,
                                                                 signal.SIGBUS):
        return _too_big(limits)
    return ("El lector de hojas de cálculo se detuvo sin poder leer el archivo; no se guardó nada. El archivo "
            "está dañado o tiene una estructura inusual: ábralo en Excel, guárdelo de nuevo y vuelva a subirlo.")
