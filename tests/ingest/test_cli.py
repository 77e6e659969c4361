"""`python -m core ingest` as an operator runs it: exit codes and the JSON last line."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.ingest.conftest import xlsx
from tests.ingest.test_load import SALES_TEXT_DATES

ROOT = Path(__file__).resolve().parents[2]


def run(*args: str) -> tuple[int, dict, str]:
    proc = subprocess.run([sys.executable, "-m", "core", "ingest", *args, "--json"], cwd=ROOT, env=dict(os.environ),
                          capture_output=True, text=True, timeout=120)
    lines = proc.stdout.strip().splitlines()
    return proc.returncode, json.loads(lines[-1]), proc.stdout


def test_dry_run_then_load_then_again(clean_db, counts, tmp_path):
    path = tmp_path / "VENTAS SUC CENTRO ENE 2025.xlsx"
    path.write_bytes(xlsx(SALES_TEXT_DATES))
    before = counts()
    code, out, text = run(str(path), "--dry-run")
    assert code == 0 and counts() == before
    assert out == {
        "status": "preview", "kind": "sales", "store": "Centro", "date_from": "2025-01-01", "date_to": "2025-01-31",
        "rows_ok": 4, "rows_rejected": 2, "totals": {"cantidad": 12.0, "importe": 1367.95, "existencia": None},
        "rejected": [{"row": 8, "reason": "Fecha no válida: «31/02/2025»"},
                     {"row": 9, "reason": "Fecha fuera del periodo del reporte (01/01/2025 al 31/01/2025)"}],
        "message": "Vista previa: 4 filas listas para cargar, 2 rechazadas; no se cargó nada (--dry-run).",
    }
    assert "Sucursal: Centro (de nombre del archivo)" in text and "fila 8: Fecha no válida" in text

    code, out, _ = run(str(path), "--unknown", "create")
    assert (code, out["status"], out["rows_ok"], out["created"]) == (0, "loaded", 4, 7)
    assert counts()["erp_ventas_detalle"] == before["erp_ventas_detalle"] + 4

    after = counts()
    code, out, _ = run(str(path))
    assert (code, out["status"]) == (0, "already_loaded")
    assert out["message"].startswith("Este archivo ya se cargó")
    assert counts() == after
    code, out, _ = run(str(path), "--dry-run")  # QA P3-15: the preview says so in its status too
    assert (code, out["status"], out["rows_ok"]) == (0, "already_loaded", 4)
    assert out["message"].startswith("Este archivo ya se cargó (carga #")


def test_refused_file_exits_1_with_the_reason(clean_db, counts, tmp_path):
    path = tmp_path / "foto.xlsx"
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 50)
    before = counts()
    code, out, _ = run(str(path))
    assert (code, out["status"], out["kind"]) == (1, "refused", None)
    assert out["message"] == "El archivo no es una hoja de cálculo: es una imagen PNG con extensión .xlsx."
    assert counts() == before
    code, out, _ = run(str(tmp_path / "no-existe.xlsx"))
    assert (code, out["status"]) == (1, "refused") and out["message"].startswith("No existe el archivo")


def test_kind_and_store_options(clean_db, tmp_path):
    path = tmp_path / "existencias.xlsx"
    path.write_bytes(xlsx([["Clave", "Descripción", "Cant"], ["A1", "Uno", 3], ["A2", "Dos", "x"]]))
    code, out, _ = run(str(path), "--dry-run")
    assert (code, out["status"]) == (1, "refused") and out["message"].startswith("No se encontró la sucursal")
    assert out["message"].endswith("escríbala en «Sucursal» antes de cargar. En la línea de comandos: indique la "
                                   "sucursal con --store NOMBRE.")
    code, out, _ = run(str(path), "--store", "Matriz", "--kind", "inventory", "--unknown", "skip")
    # Nothing is in the catalog and unknown codes are skipped: nothing left to load.
    assert (code, out["status"]) == (1, "refused")
    assert out["message"].startswith("No queda ninguna fila para cargar")
    assert out["message"].endswith("elija crearlas como productos nuevos. En la línea de comandos: créelas como "
                                   "productos nuevos con --unknown create.")
    code, out, _ = run(str(path), "--store", "Matriz", "--kind", "inventory", "--unknown", "create")
    assert (code, out["status"], out["store"], out["rows_ok"], out["totals"]["existencia"]) == (0, "loaded", "Matriz", 1, 3.0)
    assert out["rejected"] == [{"row": 3, "reason": "Existencia no numérica: «x»"}]
