"""Process-wide tuning of the Streamlit server's Python runtime (garbage collection)."""

from __future__ import annotations

import gc
import sys
import threading

from streamlit import runtime

_lock = threading.Lock()
_frozen_modules = 0


def freeze_loaded_modules() -> None:
    """Move what the imports built out of the garbage collector's reach, once per new import.

    The server holds ~200,000 long-lived objects (pandas, plotly, SQLAlchemy, statsforecast…);
    every full collection walked them all (0.15–0.4 s holding the GIL, measured with py-spy in
    bench/load.py), stalling every other session's run. Frozen objects are never scanned again.
    A collection first, so that only live objects are frozen; whatever a concurrent run holds at
    that moment stays until the process ends, a bounded cost paid the few times a page imports
    new modules.
    """
    global _frozen_modules
    if len(sys.modules) <= _frozen_modules or not runtime.exists():  # a server, not AppTest/pytest
        return
    with _lock:
        if len(sys.modules) <= _frozen_modules:
            return
        gc.collect()
        gc.freeze()
        _frozen_modules = len(sys.modules)
