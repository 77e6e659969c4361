"""`python -m core ingest FILE`: the same preview and load as the upload page, from a shell."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from core.cli import emit_json
from core.ingest.errors import IngestError
from core.ingest.header import FIELD_LABELS
from core.ingest.preview import KIND_LABELS, Preview, refused
from core.text import plural
from core.users import PermissionDenied

MAX_LISTED = 20


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the `ingest` command."""
    p = subparsers.add_parser("ingest", help="cargar un archivo de inventario o ventas (Excel/CSV)")
    p.add_argument("file", metavar="ARCHIVO", help="archivo .xlsx, .xlsm, .xls o .csv")
    p.add_argument("--kind", choices=("inventory", "sales"), default=None,
                   help="forzar el tipo: inventario o ventas (predeterminado: detectarlo)")
    p.add_argument("--store", default=None, metavar="NOMBRE", help="sucursal / almacén (predeterminado: detectarla)")
    p.add_argument("--unknown", choices=("create", "skip"), default="skip",
                   help="claves que no están en el catálogo: omitir esas filas (predeterminado) o crearlas "
                        "como productos (origen excel)")
    p.add_argument("--dry-run", action="store_true", help="solo la vista previa; no carga nada")
    p.add_argument("--json", action="store_true", help="última línea: un objeto JSON")
    p.set_defaults(handler=_ingest)


def _ingest(args: argparse.Namespace) -> int:
    from core.ingest.load import OPERATOR, load_preview
    from core.ingest.service import preview_upload
    from core.setup import init_db

    path = Path(args.file)
    try:
        if not path.is_file():
            raise IngestError(f"No existe el archivo {path}.")
        init_db()
        data = path.read_bytes()
        pv = preview_upload(OPERATOR, data, path.name, kind=args.kind, store=args.store)
        _print_preview(pv)
        if pv.problems:
            raise IngestError(" ".join(pv.problems), cli_hint="; ".join(pv.cli_hints) or None)
        if args.dry_run:
            if pv.already_loaded_id is not None:
                message = (f"Este archivo ya se cargó (carga #{pv.already_loaded_id}); cargarlo de nuevo no "
                           "cambia nada (--dry-run).")
                return _finish(args, pv.summary("already_loaded", message), 0)
            message = (f"Vista previa: {plural(len(pv.rows), 'fila lista', 'filas listas')} para cargar, "
                       f"{plural(len(pv.rejected), 'rechazada', 'rechazadas')}; no se cargó nada (--dry-run).")
            return _finish(args, pv.summary("preview", message), 0)
        result = load_preview(OPERATOR, pv, data, unknown=args.unknown)
    except IngestError as exc:
        return _finish(args, refused(_with_hint(exc.message, exc.cli_hint)), 1)
    except PermissionDenied as exc:
        return _finish(args, refused(str(exc)), 1)
    payload = pv.summary(result.status, result.message)
    if result.status == "loaded":
        payload["rows_ok"] = result.rows_ok
        payload["rows_rejected"] = len(result.rejected)
        payload["rejected"] = result.rejected
    payload |= {"upload_id": result.upload_id, "processed": result.processed, "created": result.created,
                "updated": result.updated, "unchanged": result.unchanged}
    return _finish(args, payload, 0)


def _with_hint(message: str, hint: str | None) -> str:
    """The page's message plus what to do from the command line, when that differs."""
    return f"{message} En la línea de comandos: {hint}." if hint else message


def _finish(args: argparse.Namespace, payload: dict[str, Any], code: int) -> int:
    """Print the message (and the JSON line with --json) and return the exit code."""
    print(payload["message"])
    if args.json:
        emit_json(payload)
    return code


def _print_preview(pv: Preview) -> None:
    """The preview as plain text: what was understood, first rows, rejects."""
    kind = KIND_LABELS.get(pv.kind or "", "sin reconocer")
    print(f"Archivo: {pv.filename} · hoja «{pv.sheet}» · encabezado en la fila {pv.header_last}")
    print(f"Tipo: {kind}" + (" (indicado)" if pv.kind != pv.detected_kind else ""))
    store = pv.store_label or "sin sucursal"
    print(f"Sucursal: {store}" + (f" (de {pv.store_source})" if pv.store_source else "")
          + (" · nueva" if pv.new_store else ""))
    if pv.date_from:
        print(f"Periodo: {pv.date_from:%d/%m/%Y} al {pv.date_to:%d/%m/%Y} (de {pv.date_source})")
    print("Columnas: " + "; ".join(f"{FIELD_LABELS[f]} ← {pv.columns[c]}" for f, c in pv.mapping.items()))
    for text in pv.warnings + pv.problems:
        print(f"Aviso: {text}")
    if pv.cli_hints:
        print(f"En la línea de comandos: {'; '.join(pv.cli_hints)}.")
    if not pv.rows.empty:
        print(pv.sample(10).to_string(index=False))
    totals = {k: v for k, v in pv.totals().items() if v is not None}
    print(f"Filas listas: {len(pv.rows):,} · rechazadas: {len(pv.rejected):,} · omitidas (totales, notas, "
          f"vacías): {pv.skipped:,} · totales: " + ", ".join(f"{k} {v:,.2f}" for k, v in totals.items()))
    if pv.unknown_codes:
        n = len(pv.unknown_codes)
        print(f"Claves que no están en el catálogo: {n:,} "
              f"({', '.join(pv.unknown_codes[:10])}{'…' if n > 10 else ''}); se omiten esas filas, o con "
              f"--unknown create se crearán {plural(n, 'producto nuevo', 'productos nuevos')}")
    for r in pv.rejected[:MAX_LISTED]:
        print(f"  fila {r['row']}: {r['reason']}")
    if len(pv.rejected) > MAX_LISTED:
        print(f"  … y {plural(len(pv.rejected) - MAX_LISTED, 'fila rechazada', 'filas rechazadas')} más")
