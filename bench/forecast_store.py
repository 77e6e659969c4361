"""Cost of storing a batch's forecasts: `python -m bench.forecast_store [--backend sqlite|postgres]`.

``store.save`` of ``--products`` products × 90 days in chunks of 200 (as the batch does: the
forecast_models rows, the daily rows, the run's counters; the last chunk completes the run),
against a baseline in the same run: the same daily rows inserted the same way into a scratch
table without keys, indexes or foreign keys (what the rows alone cost). Forecasts are synthetic:
this measures storage, not models. The last line is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import logging
import statistics
import time
from datetime import date
from typing import Any

import numpy as np

CHUNK = 200
CANDIDATES = ("ses", "theta", "tsb", "naive", "seasonal_naive", "window_average")


def _items(ids: list[int], rng: np.random.Generator) -> list[tuple[int, Any, Any]]:
    from core.forecast.backtest import Choice, Forecast

    out = []
    for pid in ids:
        y = rng.random(90) * 5
        choice = Choice(modelo="ses", clase="smooth",
                        metricas={"mae": 1.0, "rmse": 1.2, "r2": 0.1, "mase": 0.9, "rmsse": 0.8,
                                  "bias": 0.05, "cobertura_80": 0.8, "cobertura_95": 0.95},
                        candidatos={m: {"rmsse": 1.0, "mase": 1.0, "mae": 1.0, "bias": 0.0}
                                    for m in CANDIDATES})
        out.append((pid, choice, Forecast(start=date(2026, 12, 1), yhat=y, lo80=y - 1,
                                          hi80=y + 1, lo95=y - 2, hi95=y + 2)))
    return out


def run(backend: str, products: int, reps: int) -> dict[str, Any]:
    from bench.scratch_db import scratch_database, using_database

    with scratch_database(backend) as url, using_database(url):
        from sqlalchemy import insert

        from core import db
        from core.forecast import store
        from core.models import erp_productos

        db.migrate(url)
        with db.begin() as conn:
            conn.execute(insert(erp_productos), [{"codigo": f"P{i}", "nombre": f"Producto {i}"}
                                                 for i in range(products)])
            ids = sorted(conn.exec_driver_sql("SELECT id FROM erp_productos").scalars())
            conn.exec_driver_sql("CREATE TABLE bench_daily AS SELECT run_id, producto_id, fecha, "
                                 "yhat, yhat_lower, yhat_upper, yhat_lower_80, yhat_upper_80 "
                                 "FROM forecasts WHERE 1 = 0")
        rng = np.random.default_rng(1)
        ours, base = [], []
        for _ in range(reps):
            chunks = [_items(ids[i:i + CHUNK], rng) for i in range(0, len(ids), CHUNK)]
            run_id = store.create_run(kind="batch", trigger="bench", horizon_days=90,
                                      history_days=730)
            store.update_run(run_id, status="running", products=len(ids))
            t0 = time.perf_counter()
            for chunk in chunks:
                store.save(run_id, chunk, done=len(chunk))
            ours.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            for chunk in chunks:  # the rows alone, same building and same insert path
                rows = store._daily_rows(run_id, chunk)
                with db.begin() as conn:
                    _insert_into(conn, "bench_daily", rows)
            base.append(time.perf_counter() - t0)
        return {"ours_s": round(statistics.median(ours), 2), "rows_only_s":
                round(statistics.median(base), 2), "ours_all_s": [round(t, 2) for t in ours],
                "rows_only_all_s": [round(t, 2) for t in base]}


def _insert_into(conn: Any, table: str, rows: list[tuple]) -> None:
    from core.db import copy_text
    from core.forecast.store import DAILY_COLUMNS

    if conn.dialect.name == "postgresql":
        text = "".join("\t".join(map(str, r)) + "\n" for r in rows)
        copy_text(conn, table, DAILY_COLUMNS, text.encode())
        return
    marks = ", ".join("?" for _ in DAILY_COLUMNS)
    conn.exec_driver_sql(f"INSERT INTO {table} ({', '.join(DAILY_COLUMNS)}) VALUES ({marks})", rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--products", type=int, default=2000)
    parser.add_argument("--reps", type=int, default=3)
    args = parser.parse_args(argv)
    logging.disable(logging.WARNING)
    figures: dict[str, Any] = {}
    ratios: dict[str, float] = {}
    for backend in (("sqlite", "postgres") if args.backend == "both" else (args.backend,)):
        got = run(backend, args.products, args.reps)
        figures[backend] = got
        ratios[backend] = round(got["ours_s"] / max(got["rows_only_s"], 1e-9), 2)
        print(f"{backend}: guardar {args.products} productos × 90 días: {got['ours_s']:.2f} s "
              f"(corridas {got['ours_all_s']}); sólo las filas diarias sin llaves: "
              f"{got['rows_only_s']:.2f} s; razón {ratios[backend]:.2f}")
    print(json.dumps({"bench": "forecast_store", "params": vars(args), "figures": figures,
                      "ratios": ratios}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
