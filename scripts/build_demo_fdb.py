"""Build a demo Microsip database (.fdb) on a Firebird server from the demo ERP generator.

    python scripts/build_demo_fdb.py --path /var/lib/firebird/data/demo.fdb --scale 1 [--seed 7]

The server (default 127.0.0.1:3050, SYSDBA/masterkey, or the FIREBIRD_* environment) creates
the file, so its folder must be writable by the user ``firebird`` (chowned when run as root).
An existing database at that path is replaced. Prints one JSON line with row counts and times.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from core.erp.demo_fdb import BuildReport, build_demo_fdb  # noqa: E402
from core.erp.source import ErpError  # noqa: E402

__all__ = ["build_demo_fdb", "BuildReport", "main"]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        description="Crea una base de datos Microsip de demostración en Firebird."
    )
    p.add_argument(
        "--path", default="/var/lib/firebird/data/demo.fdb", help="ruta del .fdb en el servidor"
    )
    p.add_argument(
        "--scale", type=float, default=1.0, help="1 ≈ 100,000 líneas de venta; 10 ≈ 1,000,000"
    )
    p.add_argument("--seed", type=int, default=7)
    p.add_argument(
        "--end-date",
        type=date.fromisoformat,
        default=None,
        help="último día (AAAA-MM-DD); hoy por omisión",
    )
    p.add_argument("--host", default=os.environ.get("FIREBIRD_HOST", "127.0.0.1"))
    p.add_argument("--port", type=int, default=int(os.environ.get("FIREBIRD_PORT", "3050")))
    p.add_argument("--user", default=os.environ.get("FIREBIRD_USER", "SYSDBA"))
    p.add_argument("--password", default=os.environ.get("FIREBIRD_PASSWORD", "masterkey"))
    p.add_argument("--charset", default=os.environ.get("FIREBIRD_CHARSET", "WIN1252"))
    args = p.parse_args(argv)
    try:
        report = build_demo_fdb(
            args.path,
            args.scale,
            args.seed,
            args.end_date,
            host=args.host,
            port=args.port,
            user=args.user,
            password=args.password,
            charset=args.charset,
        )
    except (ErpError, ValueError) as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return 1
    print(
        f"Base de demostración lista: {report.path} ({report.total_rows:,} filas, {report.total_s:.1f} s)"
    )
    print(json.dumps(report.as_dict(), ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
