"""AI query, offline path: time per question end to end, and the guard per statement.

Baselines measured in the same run: the bare execution of the same final SQL on a plain
connection (for the questions), and sqlglot's parse alone (for the guard). The guard is timed cold
(its cache of accepted statements emptied before every call: the goal figure), in wall time and in
this thread's CPU time (less sensitive to other processes on a shared machine), and then warm
(the same statement again, answered from that cache) as a separate figure.
`python -m bench.ask [--scale 1] [--repeat 10] [--backends sqlite,postgres]`
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import statistics
import time
from typing import Any

from bench.scratch_db import scratch_database, using_database

QUESTIONS = (
    "¿Qué productos tienen stock bajo?", "productos sin existencia en Sucursal Zapopan", "existencias por almacén",
    "¿Cuáles son los 10 productos más vendidos del mes pasado?", "los productos menos vendidos del año pasado",
    "los 5 más vendidos por unidades este año", "Ventas por almacén este mes", "ventas por categoría en enero",
    "ventas por grupo el año pasado", "ventas diarias de la semana pasada", "ventas por semana de los últimos 90 días",
    "Ventas por mes este año", "ventas por día de la semana del año pasado", "¿Cuánto vendimos el mes pasado?",
    "Compara las ventas de este mes con el mes pasado", "¿Quiénes son los clientes principales de los últimos 30 días?",
    "¿cuántos clientes compraron este mes?", "Productos sin movimiento en 90 días", "¿Cuánto vale el inventario?",
    "¿Cuánto vale el inventario por almacén?", "inventario valorizado por categoría", "¿Cuál es el ticket promedio de este mes?",
    "¿cuántas ventas hubo ayer?", "devoluciones del año pasado", "¿Qué productos debo reordenar?", "productos sobre el máximo",
    "¿cuántos productos hay por categoría?", "existencia de candado de latón", "cuánto vendimos de cemento este año",
    "ventas de ferretería este año",
)


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(0.95 * len(ordered)) - 1))]


def measure(backend: str, scale: float, repeat: int) -> dict[str, Any]:
    import sqlglot

    from core import db
    from core.ask import SYSTEM, ask, guard
    from core.setup import init_db, seed_demo

    with scratch_database(backend) as url, using_database(url):
        init_db()
        seed_demo(scale)
        dialect = db.dialect_name()
        sqls = [ask(SYSTEM, q, cache=False)["query"]["sql"] for q in QUESTIONS]  # also warms the connections
        ours: dict[str, list[float]] = {q: [] for q in QUESTIONS}
        bare: dict[str, list[float]] = {q: [] for q in QUESTIONS}
        for _ in range(repeat):
            for q, sql in zip(QUESTIONS, sqls, strict=True):
                t0 = time.perf_counter()
                ask(SYSTEM, q, cache=False)
                ours[q].append((time.perf_counter() - t0) * 1000)
                with db.get_engine().connect() as conn:
                    t0 = time.perf_counter()
                    conn.exec_driver_sql(sql.replace("%", "%%") if dialect == "postgresql" else sql).fetchall()
                    bare[q].append((time.perf_counter() - t0) * 1000)
        guard_ms, guard_cpu_ms, parse_ms, parse_cpu_ms, cached_ms = [], [], [], [], []
        for _ in range(repeat):
            for sql in sqls:
                guard.clear_cache()  # cold: every call parses, checks and rewrites
                c0, t0 = time.thread_time(), time.perf_counter()
                guard.check(sql, dialect=dialect, limit=100)
                guard_ms.append((time.perf_counter() - t0) * 1000)
                guard_cpu_ms.append((time.thread_time() - c0) * 1000)
                t0 = time.perf_counter()
                guard.check(sql, dialect=dialect, limit=100)  # warm: the same statement again
                cached_ms.append((time.perf_counter() - t0) * 1000)
                c0, t0 = time.thread_time(), time.perf_counter()
                sqlglot.parse(sql, read=guard.SQLGLOT_DIALECT[dialect])
                parse_ms.append((time.perf_counter() - t0) * 1000)
                parse_cpu_ms.append((time.thread_time() - c0) * 1000)
    per_question = {q: _p95(v) for q, v in ours.items()}
    worst = max(per_question, key=lambda q: per_question[q])
    all_ours = [x for v in ours.values() for x in v]
    all_bare = [x for v in bare.values() for x in v]
    return {
        "ask_p95_ms": _p95(all_ours), "ask_median_ms": statistics.median(all_ours),
        "ask_worst_question_p95_ms": per_question[worst], "worst_question": worst,
        "bare_sql_p95_ms": _p95(all_bare), "bare_sql_median_ms": statistics.median(all_bare),
        "bare_sql_worst_question_p95_ms": _p95(bare[worst]),
        "guard_mean_ms": statistics.mean(guard_ms), "guard_p95_ms": _p95(guard_ms), "guard_max_ms": max(guard_ms),
        "guard_cpu_mean_ms": statistics.mean(guard_cpu_ms), "guard_cpu_p95_ms": _p95(guard_cpu_ms),
        "guard_cached_mean_ms": statistics.mean(cached_ms),
        "parse_mean_ms": statistics.mean(parse_ms), "parse_cpu_mean_ms": statistics.mean(parse_cpu_ms),
        "sqlglot_compiled": _sqlglot_compiled(),
    }


def _sqlglot_compiled() -> bool:
    """Whether sqlglot runs mypyc-compiled (the sqlglotc package) rather than as pure Python."""
    import sqlglot.parser

    return not str(sqlglot.parser.__file__).endswith(".py")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument("--backends", default="sqlite,postgres")
    args = parser.parse_args()
    logging.disable(logging.WARNING)
    os.environ.update({"ERP_SOURCE": "demo", "APP_ENV": "development", "DEMO_SCALE": str(args.scale),
                       "ASK_RATE_LIMIT_PER_MINUTE": "0"})
    for name in ("OPENAI_API_KEY", "OPENAI_BASE_URL"):  # the offline path, whatever the environment
        os.environ.pop(name, None)
    figures: dict[str, Any] = {}
    ratios: dict[str, float] = {}
    for backend in args.backends.split(","):
        m = measure(backend, args.scale, args.repeat)
        for key, value in m.items():
            figures[f"{backend}_{key}"] = round(value, 4) if isinstance(value, float) else value
        ratios[f"{backend}_ask_p95_vs_bare_sql_p95"] = round(m["ask_p95_ms"] / m["bare_sql_p95_ms"], 2)
        ratios[f"{backend}_worst_question_vs_its_bare_sql"] = round(
            m["ask_worst_question_p95_ms"] / m["bare_sql_worst_question_p95_ms"], 2)
        ratios[f"{backend}_guard_vs_parse"] = round(m["guard_mean_ms"] / m["parse_mean_ms"], 2)
        ratios[f"{backend}_guard_cpu_vs_parse_cpu"] = round(m["guard_cpu_mean_ms"] / m["parse_cpu_mean_ms"], 2)
        print(f"{backend}: offline question end to end p95 {m['ask_p95_ms']:.1f} ms over {len(QUESTIONS)} questions "
              f"x {args.repeat} ({ratios[f'{backend}_ask_p95_vs_bare_sql_p95']:.2f}x the bare SQL's p95, "
              f"{m['bare_sql_p95_ms']:.1f} ms; target <= 300 ms)")
        print(f"{backend}: slowest question «{m['worst_question']}» p95 {m['ask_worst_question_p95_ms']:.1f} ms "
              f"(its bare SQL {m['bare_sql_worst_question_p95_ms']:.1f} ms)")
        print(f"{backend}: guard (cold) {m['guard_mean_ms']:.2f} ms per statement, p95 {m['guard_p95_ms']:.2f} ms, "
              f"max {m['guard_max_ms']:.2f} ms ({ratios[f'{backend}_guard_vs_parse']:.2f}x sqlglot's parse alone; "
              "target <= 5 ms)")
        print(f"{backend}: guard (cold) CPU {m['guard_cpu_mean_ms']:.2f} ms per statement, p95 "
              f"{m['guard_cpu_p95_ms']:.2f} ms ({ratios[f'{backend}_guard_cpu_vs_parse_cpu']:.2f}x the parse's CPU, "
              f"{m['parse_cpu_mean_ms']:.2f} ms; sqlglot {'compiled' if m['sqlglot_compiled'] else 'pure Python'})")
        print(f"{backend}: guard (cached, same statement again) {m['guard_cached_mean_ms']:.3f} ms per statement")
    print(json.dumps({"bench": "ask", "params": vars(args), "figures": figures, "ratios": ratios},
                     ensure_ascii=False))


if __name__ == "__main__":
    main()
