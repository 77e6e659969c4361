"""`python -m core forecast CODIGO --days N [--json]` and `python -m core forecast --all`."""

from __future__ import annotations

import argparse

from core.cli import CliError, emit_json


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("forecast", help="pronóstico de demanda de un producto, o de todos")
    p.add_argument("codigo", nargs="?", default=None, help="código del producto")
    p.add_argument("--days", type=int, default=30, help="días a pronosticar (1 a 90)")
    p.add_argument("--all", action="store_true", help="entrenar todos los productos (lote)")
    p.add_argument("--json", action="store_true", help="última línea: un objeto JSON")
    p.set_defaults(handler=_forecast)


def _system_user() -> object:
    """The operator at the console acts as an administrator (as `sync` does)."""
    from core.users import User

    return User(id=0, email="cli@devcompras", name="Línea de comandos", role="admin")


def _forecast(args: argparse.Namespace) -> int:
    from core.forecast import service
    from core.setup import init_db

    init_db()
    if args.all:
        return _all(args)
    if not args.codigo:
        raise CliError("Indique el código de un producto o --all.")
    try:
        out = service.predict_demand(_system_user(), args.codigo, args.days)
    except service.ForecastError as exc:
        raise CliError(exc.message) from exc
    print(f"{out['producto']}: modelo {out['modelo']}, {len(out['predicciones'])} días")
    for p in out["predicciones"]:
        print(f"{p['fecha']}  {p['demanda_estimada']:.2f}  "
              f"[{p['confidence_low']:.2f}, {p['confidence_high']:.2f}]")
    if args.json:
        emit_json(out)
    return 0


def _all(args: argparse.Namespace) -> int:
    from core import jobs
    from core.config import get_settings
    from core.forecast import store
    from core.forecast.train import HORIZON_DAYS, train_all

    run_id = store.create_run(kind=store.KIND_BATCH, trigger="cli", horizon_days=HORIZON_DAYS,
                              history_days=get_settings().forecast_history_days)
    result = train_all(run_id=run_id, inline=True)
    run = store.get_run(run_id) or {}
    jobs.reconcile()
    print(result["message"])
    if args.json:
        emit_json({"status": run.get("status"), "run_id": run_id,
                   "products": run.get("products"), "trained": run.get("products_done"),
                   "failed": run.get("products_failed"), "message": result["message"]})
    return 0 if run.get("status") == store.RUN_COMPLETED else 1
