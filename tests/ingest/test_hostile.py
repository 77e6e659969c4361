"""Issue 11 §1: one small hostile file never crashes or freezes the app.

Each file of the issue (plus a zip bomb of small compressed size and an .xlsx whose cells reach
from A1 to XFD1048576) is built here and run through `python -m core ingest --dry-run --json`:
a refusal JSON, exit code 1 (never a signal), a Spanish message naming what is wrong, nothing
written. The subprocess timeout only keeps a hanging run from blocking the suite: on the old
code the first file aborted the process (SIGABRT), the dash CSV ran for hours.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from bench.hostile_files import HOSTILE, dashes_csv
from core.ingest import sandbox
from core.ingest.errors import IngestError
from core.ingest.header import _is_data_text
from tests.ingest.conftest import xlsx

ROOT = Path(__file__).resolve().parents[2]

# What each refusal must say (a part of the Spanish message).
EXPECTED = {
    "celda XFD1048576 (.xlsx)": "tiene datos hasta la columna XFD (16,384 columnas); el máximo es 1,000",
    "celdas A1 y XFD1048576 (.xlsx)": "tiene datos hasta la columna XFD (16,384 columnas); el máximo es 1,000",
    "ss:Index=3000000 (XML 2003)": "tiene datos hasta la fila 3,000,000; el máximo es 1,048,576",
    "colspan=3000000 (HTML .xls)": "el máximo es 1,000",
    # Read in linear time, it is an ordinary stock file: a preview (exit code 0).
    "20,000 guiones (CSV)": "Vista previa: 1 fila lista para cargar",
    "bomba zip (.xlsx)": "posible bomba zip",
}


def run_cli(path: Path) -> tuple[int, dict]:
    proc = subprocess.run([sys.executable, "-m", "core", "ingest", str(path), "--dry-run", "--json"], cwd=ROOT,
                          env=dict(os.environ), capture_output=True, text=True, timeout=120)
    return proc.returncode, json.loads(proc.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("label", list(HOSTILE))
def test_hostile_file_through_the_cli_is_refused(label, clean_db, counts, tmp_path):
    name, build = HOSTILE[label]
    path = tmp_path / name
    path.write_bytes(build())
    before = counts()
    code, out = run_cli(path)
    preview = label.startswith("20,000 guiones")
    assert (code, out["status"]) == ((0, "preview") if preview else (1, "refused")), out
    assert EXPECTED[label] in out["message"], out
    assert counts() == before


def test_the_sandbox_stops_what_the_caps_miss(clean_db, manager):
    """Past the caps, the child's limits answer: a wall-clock stop and a memory stop, each a Spanish
    refusal, and the next analysis works (the server process was never at risk)."""
    data = xlsx([["Sucursal: Centro"], ["Clave", "Existencia"], *[[f"A{i}", i] for i in range(2000)]])
    with pytest.raises(IngestError, match="tardó más de 0 segundos"):
        sandbox.analyze_isolated(data, "x.xlsx", max_mb=10, limits=sandbox.Limits(1024**3, 30, 0.0))
    big = ("Sucursal: Centro\nClave,Existencia\n" + "".join(f"A{i},{i}\n" for i in range(400_000))).encode()
    # No room above what the child starts with (the heap's free space aside): 400,000 rows need more.
    with pytest.raises(IngestError, match="necesitaba más de 0 MB de memoria"):
        sandbox.analyze_isolated(big, "x.csv", max_mb=10, limits=sandbox.Limits(0, 30, 60.0))
    assert len(sandbox.analyze_isolated(data, "x.xlsx", max_mb=10).rows) == 2000


def test_a_child_killed_by_a_signal_is_a_spanish_refusal():
    """calamine aborts (SIGABRT) when an allocation fails; a CPU limit ends in SIGXCPU."""
    import signal

    limits = sandbox.Limits.for_size(10)
    assert "de memoria" in sandbox._died(-signal.SIGABRT, limits)
    assert "tardó más de 30 segundos" in sandbox._died(-signal.SIGXCPU, limits)
    assert "dañado" in sandbox._died(1, limits)


def test_data_text_rule_is_the_same_language_in_linear_time():
    """The old expression, on short strings over its alphabet, decides exactly as the new steps."""
    import itertools
    import re

    old = re.compile(r"^[\s$(+-]*[\d.,/:-]+[\s)%-]*$")
    for size in range(1, 6):
        for chars in itertools.product(" -$(+1.,/:)%a\n", repeat=size) if size < 5 else []:
            text = "".join(chars)
            assert _is_data_text(text) == bool(old.match(text)), repr(text)
    for text in ("-5", "(1,234.50)", "$ 12", "31/01/2025", "12:30", "15%", "--", "-", "abc", "5 x"):
        assert _is_data_text(text) == bool(old.match(text)), text
    start = time.process_time()
    assert not _is_data_text("-" * 200_000 + "x")  # the old one: hours
    assert time.process_time() - start < 60  # a hang guard only


def test_dash_csv_preview_keeps_its_rows(clean_db, manager, tmp_path):
    from core.ingest.service import preview_upload

    pv = preview_upload(manager, dashes_csv(), "existencias.csv")
    assert not pv.problems and pv.rows["codigo"].tolist() == ["A1"]
    assert (pv.header_first, pv.header_last, pv.store) == (1, 2, "Centro")  # the two-row header


def test_the_child_gets_the_file_and_returns_the_preview_outside_the_pipe(clean_db, manager):
    """The file and the preview travel in memfds (closed afterwards, none left open in this process);
    the preview is the one the same analysis gives in this process, column by column and by dtype;
    the phases of the run are reported."""

    from core.ingest.analyze import analyze

    rows = [["Sucursal: Centro"], ["Folio", "Fecha", "Clave", "Cantidad", "Importe"]]
    rows += [[f"F{i // 3}", f"0{1 + i % 9}/01/2025", f"A{i % 7}", i % 4 - 1, 10.5 * i] for i in range(3000)]
    rows += [["Total", None, None, None, 1.0]]
    data = xlsx(rows)
    sandbox.analyze_isolated(data, "ventas.xlsx", max_mb=10)  # the server is running from here on
    before = set(os.listdir("/proc/self/fd"))
    got = sandbox.analyze_isolated(data, "ventas.xlsx", max_mb=10)
    assert set(os.listdir("/proc/self/fd")) <= before
    want = analyze(data, "ventas.xlsx", max_mb=10)
    assert len(got.rows) == 3000 - len(want.rejected)
    pd.testing.assert_frame_equal(got.rows, want.rows)
    assert (got.rejected, got.store, got.date_from, got.date_to) == (want.rejected, want.store, want.date_from,
                                                                      want.date_to)
    assert got.rows["codigo"].dtype == object and str(got.rows["fecha"].dtype).startswith("datetime64")
    phases = sandbox.last_phases()
    assert {"start", "sniff", "parse", "cells", "analyze", "send", "exit"} <= phases.keys()
    assert phases["analyze"] >= phases["parse"] + phases["cells"]
