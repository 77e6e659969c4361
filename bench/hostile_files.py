"""`python -m bench.hostile_files`: the hostile uploads of issue 11 through `python -m core ingest`.

Builds each file in memory (the five the issue lists, a zip bomb of small compressed size and
an .xlsx whose cells reach from A1 to XFD1048576), runs `python -m core ingest FILE --dry-run
--json` on it in a fresh process, and prints per file: seconds, peak RSS of the process tree
(the CLI and its analysis child), exit code and outcome, against a normal small file in the
same run. The last line is one JSON object.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
_SHEET_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


def raw_xlsx(sheet_data: str, *, extra: dict[str, bytes] | None = None) -> bytes:
    """A minimal .xlsx whose only sheet (Hoja1) has `sheet_data` as its <sheetData> content."""
    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    pkg = "http://schemas.openxmlformats.org/package/2006/relationships"
    parts = {
        "[Content_Types].xml": (
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument'
            '.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType='
            '"application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>'),
        "_rels/.rels": (f'<Relationships xmlns="{pkg}"><Relationship Id="rId1" Type="{rel}/officeDocument" '
                        'Target="xl/workbook.xml"/></Relationships>'),
        "xl/workbook.xml": (f'<workbook xmlns="{_SHEET_NS}" xmlns:r="{rel}"><sheets>'
                            '<sheet name="Hoja1" sheetId="1" r:id="rId1"/></sheets></workbook>'),
        "xl/_rels/workbook.xml.rels": (f'<Relationships xmlns="{pkg}"><Relationship Id="rId1" '
                                       f'Type="{rel}/worksheet" Target="worksheets/sheet1.xml"/></Relationships>'),
        "xl/worksheets/sheet1.xml": f'<worksheet xmlns="{_SHEET_NS}"><sheetData>{sheet_data}</sheetData></worksheet>',
    }
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, text in parts.items():
            zf.writestr(name, text)
        for name, blob in (extra or {}).items():
            zf.writestr(name, blob)
    return buf.getvalue()


def far_cell_xlsx() -> bytes:
    """~1.5 KB: a stock list with one stray value in XFD1048576 (the issue's 4.9 KB file aborted
    the process: calamine asks for the whole grid)."""
    return raw_xlsx('<row r="1"><c r="A1" t="inlineStr"><is><t>Clave</t></is></c><c r="B1" t="inlineStr"><is><t>'
                    'Existencia</t></is></c></row><row r="2"><c r="A2" t="inlineStr"><is><t>A1</t></is></c>'
                    '<c r="B2"><v>3</v></c></row><row r="1048576"><c r="XFD1048576"><v>1</v></c></row>')


def corners_xlsx() -> bytes:
    """Values in A1 and XFD1048576: calamine alone would ask for a 550 GB grid and abort."""
    return raw_xlsx('<row r="1"><c r="A1"><v>1</v></c></row><row r="1048576"><c r="XFD1048576"><v>1</v></c></row>')


def row_index_xml() -> bytes:
    """~500 bytes of Excel 2003 XML with <Row ss:Index="3000000">."""
    return (b'<?xml version="1.0"?><Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet" '
            b'xmlns:ss="urn:schemas-microsoft-com:office:spreadsheet"><Worksheet ss:Name="Hoja1"><Table>'
            b'<Row><Cell><Data ss:Type="String">Clave</Data></Cell><Cell><Data ss:Type="String">Existencia</Data>'
            b'</Cell></Row><Row ss:Index="3000000"><Cell><Data ss:Type="String">A1</Data></Cell>'
            b'<Cell><Data ss:Type="Number">1</Data></Cell></Row></Table></Worksheet></Workbook>')


def colspan_html() -> bytes:
    """HTML saved as .xls with colspan="3000000"."""
    return (b'<html><body><table><tr><th>Clave</th><th>Existencia</th><th colspan="3000000">x</th></tr>'
            b'<tr><td>A1</td><td>1</td></tr></table></body></html>')


def dashes_csv(dashes: int = 20_000) -> bytes:
    """A stock CSV with a two-row header whose second row holds a run of dashes ending in a letter:
    the data-text regex backtracked cubically on it (4,000 dashes took 55 s; 20,000, hours)."""
    return f"Clave,Existencia,,\n,,Sucursal,{'-' * dashes}x\nA1,3,Centro,\n".encode()


def zip_bomb(unpacked_mb: int = 40) -> bytes:
    """An .xlsx whose sheet is `unpacked_mb` MB of identical rows packed to ~1/1000: under the old
    guard's 50 MB threshold, so no ratio was checked and calamine read it all."""
    row = '<row><c t="inlineStr"><is><t>A</t></is></c></row>'
    return raw_xlsx(row * (unpacked_mb * 1024**2 // len(row)))


def normal_csv() -> bytes:
    """The baseline: a small, ordinary stock file."""
    return ("Sucursal: Centro\nClave,Descripción,Existencia\n"
            + "".join(f"A{i},Artículo {i},{i % 7}\n" for i in range(200))).encode()


HOSTILE = {
    "celda XFD1048576 (.xlsx)": ("celda_lejana.xlsx", far_cell_xlsx),
    "celdas A1 y XFD1048576 (.xlsx)": ("esquinas.xlsx", corners_xlsx),
    "ss:Index=3000000 (XML 2003)": ("indice.xls", row_index_xml),
    "colspan=3000000 (HTML .xls)": ("colspan.xls", colspan_html),
    "20,000 guiones (CSV)": ("guiones.csv", dashes_csv),
    "bomba zip (.xlsx)": ("bomba.xlsx", zip_bomb),
}


# Runs the CLI's entry point in a fresh process and reports, after its JSON line, the peak RSS of
# the analysis child (the sandbox) and of the CLI process itself. A crash shows as a signal code.
_WRAPPER = """
import contextlib, io, json, resource, sys, time
from core.cli import main
from core.ingest import sandbox
if __name__ == "__main__":
    out = io.StringIO()
    t = time.perf_counter()
    with contextlib.redirect_stdout(out):
        code = main(["ingest", sys.argv[1], "--dry-run", "--json"])
    print(json.dumps({"code": code, "seconds": time.perf_counter() - t, "stdout": out.getvalue(),
                      "child_mb": sandbox.last_peak_mb(),
                      "cli_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def run_cli(path: Path, *, timeout: float = 120.0) -> dict:
    """`python -m core ingest PATH --dry-run --json`'s path in a new process: seconds (preview only,
    without the interpreter's start), peak RSS of the analysis child and of the CLI, outcome."""
    proc = subprocess.run([sys.executable, "-c", _WRAPPER, str(path)], cwd=ROOT, env=dict(os.environ),
                          capture_output=True, text=True, timeout=timeout)
    try:
        out = json.loads(proc.stdout.strip().splitlines()[-1])
        payload = json.loads(out["stdout"].strip().splitlines()[-1])
    except (IndexError, json.JSONDecodeError):
        return {"seconds": None, "child_mb": None, "cli_mb": None, "code": proc.returncode, "status": "crash",
                "message": (proc.stdout + proc.stderr)[-300:]}
    return {"seconds": out["seconds"], "child_mb": out["child_mb"], "cli_mb": out["cli_mb"], "code": out["code"],
            "status": payload.get("status"), "message": payload.get("message", "")}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--bomb-mb", type=int, default=40, help="unpacked size of the zip bomb (MB)")
    parser.add_argument("--dashes", type=int, default=20_000, help="dashes in the CSV cell")
    args = parser.parse_args(argv)
    builders = dict(HOSTILE)
    builders["bomba zip (.xlsx)"] = ("bomba.xlsx", lambda: zip_bomb(args.bomb_mb))
    builders["20,000 guiones (CSV)"] = ("guiones.csv", lambda: dashes_csv(args.dashes))
    figures: dict[str, dict] = {}
    with tempfile.TemporaryDirectory() as tmp:
        base_path = Path(tmp) / "existencias_normal.csv"
        base_path.write_bytes(normal_csv())
        base = run_cli(base_path)
        print(f"base (CSV normal de 200 filas): {base['seconds']:.2f} s · hijo {base['child_mb']:,.0f} MB · "
              f"CLI {base['cli_mb']:,.0f} MB · código {base['code']} · {base['status']}")
        figures["baseline"] = {"bytes": base_path.stat().st_size, **{k: v for k, v in base.items() if k != "message"}}
        for label, (name, build) in builders.items():
            path = Path(tmp) / name
            path.write_bytes(build())
            res = run_cli(path)
            figures[label] = {"bytes": path.stat().st_size, **res}
            if res["seconds"] is None:
                print(f"{label}: FALLÓ (código {res['code']}): {res['message']}")
                continue
            print(f"{label} ({path.stat().st_size:,} bytes): {res['seconds']:.2f} s "
                  f"({res['seconds'] / base['seconds']:.2f}× la base) · hijo {res['child_mb'] or 0:,.0f} MB · "
                  f"CLI {res['cli_mb']:,.0f} MB · código {res['code']} · {res['status']}: {res['message'][:120]}")
    ratios = {label: {"seconds_vs_baseline": round(f["seconds"] / base["seconds"], 2),
                      "child_rss_vs_baseline": round((f["child_mb"] or 0) / base["child_mb"], 2)}
              for label, f in figures.items() if label != "baseline" and f["seconds"] is not None}
    for f in figures.values():
        for key in ("seconds", "child_mb", "cli_mb"):
            if f.get(key) is not None:
                f[key] = round(f[key], 3 if key == "seconds" else 1)
    print(json.dumps({"bench": "hostile_files", "params": {"bomb_mb": args.bomb_mb, "dashes": args.dashes},
                      "figures": figures, "ratios": ratios}, ensure_ascii=False))


if __name__ == "__main__":
    main()
