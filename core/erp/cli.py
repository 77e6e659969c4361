"""`python -m core sync`: run a sync in this process and print its counts."""

from __future__ import annotations

import argparse
import sys

from core.cli import CliError, emit_json
from core.erp.source import ENTITIES


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("sync", help="sincronizar desde el ERP (Microsip o demostración)")
    p.add_argument("--source", choices=("demo", "firebird"), default=None,
                   help="origen de datos (predeterminado: ERP_SOURCE)")
    p.add_argument("--entity", choices=ENTITIES, action="append", default=None,
                   help="solo esta entidad (se puede repetir); predeterminado: todas")
    p.add_argument("--full", action="store_true",
                   help="releer todos los documentos en vez de solo los modificados")
    p.add_argument("--json", action="store_true", help="última línea: un objeto JSON")
    p.set_defaults(handler=_sync)


def _sync(args: argparse.Namespace) -> int:
    from core.erp.sync import run_sync
    from core.setup import init_db

    init_db()
    try:
        report = run_sync(source_name=args.source, entities=args.entity or ENTITIES,
                          full=args.full, trigger="manual")
    except ValueError as exc:
        raise CliError(str(exc)) from exc
    for name, entity in report.entities.items():
        c = entity.counts
        print(f"{name}: {entity.status} · {c.processed} procesados, {c.created} nuevos, "
              f"{c.updated} actualizados, {c.unchanged} sin cambios, {c.failed} con error")
    payload = report.as_json()
    if report.status != "completed":
        # Not CliError: the JSON line must keep the per-entity counts.
        print(report.message.splitlines()[0], file=sys.stderr)
        if args.json:
            emit_json(payload)
        return 1
    if args.json:
        emit_json(payload)
    else:
        print(report.message)
    return 0
