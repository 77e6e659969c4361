"""`python -m core sync`: run a sync in this process and print its counts."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from core.cli import CliError, emit_json
from core.erp.source import ENTITIES

if TYPE_CHECKING:
    from core.erp.sync import SyncReport


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
    from core.jobs import reconcile
    from core.setup import init_db

    init_db()
    reconcile()
    try:
        report = run_sync(source_name=args.source, entities=args.entity or ENTITIES,
                          full=args.full, trigger="manual")
    except ValueError as exc:
        raise CliError(str(exc)) from exc
    for line in summary_lines(report):
        print(line)
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


def summary_lines(report: SyncReport) -> list[str]:
    """One Spanish line per entity: status, duration and counts with thousands separators."""
    from core.erp import monitor

    lines = []
    for name, entity in report.entities.items():
        c = entity.counts
        took = f" en {monitor.duration(entity.duration_s)}" if entity.status == "completed" else ""
        lines.append(
            f"{monitor.entity_label(name)}: {monitor.status_label(entity.status).lower()}{took} · "
            f"{monitor.count(c.processed)} procesados, {monitor.count(c.created)} nuevos, "
            f"{monitor.count(c.updated)} actualizados, {monitor.count(c.unchanged)} sin cambios, "
            f"{monitor.count(c.failed)} con error")
    return lines
