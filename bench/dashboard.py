"""Demo seeding time and dashboard render time (cold and warm cache), on SQLite and PostgreSQL.

Baselines measured in the same run: generating the demo ERP records alone (for seeding), and the
dashboard's SQL through core without Streamlit (for rendering).
`python -m bench.dashboard [--scale 1] [--repeat 5] [--backends sqlite,postgres]`
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import statistics
import time
from pathlib import Path

from bench.scratch_db import scratch_database, using_database

MAIN = str(Path(__file__).resolve().parents[1] / "app" / "main.py")


def _timed(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def _forget_generated() -> None:
    """Both the baseline and the seeding generate the records from scratch."""
    from core.erp import demo

    demo.clear_cache()


def _drain_source(scale: float) -> None:
    from core.erp.demo import DemoSource

    _forget_generated()
    source = DemoSource(scale=scale)
    try:
        for name in ("almacenes", "productos", "inventario", "clientes"):
            for _ in getattr(source, name)():
                pass
        for _ in source.ventas(modified_since=None):
            pass
    finally:
        source.close()


def _logged_in_app():
    from streamlit.testing.v1 import AppTest

    from core.users import DEMO_ACCOUNTS, DEMO_PASSWORD

    at = AppTest.from_file(MAIN, default_timeout=120).run()
    at.text_input(key="login_email").input(DEMO_ACCOUNTS["viewer"][0])
    at.text_input(key="login_password").input(DEMO_PASSWORD)
    at.button[0].click().run()
    assert at.metric, "the dashboard did not render"
    return at


def measure(backend: str, scale: float, repeat: int) -> dict:
    import streamlit as st

    from core import analytics
    from core.setup import init_db, seed_demo
    from core.users import DEMO_ACCOUNTS, get_user

    with scratch_database(backend) as url, using_database(url):
        source_s = _timed(lambda: _drain_source(scale))
        init_db()
        _forget_generated()
        seed_s = _timed(lambda: seed_demo(scale))
        viewer = get_user(DEMO_ACCOUNTS["viewer"][0])
        assert viewer is not None, "la demo crea la cuenta de visitante"
        at = _logged_in_app()
        f = analytics.DashboardFilter(*at.date_input(key="dash_rango").value)
        sql_s = statistics.median(_timed(lambda: analytics.dashboard(viewer, f)) for _ in range(repeat))
        cold, warm = [], []
        for _ in range(repeat):
            st.cache_data.clear()
            cold.append(_timed(at.run))
            warm.append(_timed(at.run))
        st.cache_resource.clear()
    return {"source_s": source_s, "seed_s": seed_s, "sql_s": sql_s,
            "cold_render_s": statistics.median(cold), "warm_render_s": statistics.median(warm)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--backends", default="sqlite,postgres")
    args = parser.parse_args()
    logging.disable(logging.WARNING)
    os.environ.update({"ERP_SOURCE": "demo", "APP_ENV": "development", "DEMO_SCALE": str(args.scale)})
    figures, ratios = {}, {}
    for backend in args.backends.split(","):
        m = measure(backend, args.scale, args.repeat)
        for key, value in m.items():
            figures[f"{backend}_{key}"] = round(value, 4)
        ratios[f"{backend}_seed_vs_source"] = round(m["seed_s"] / m["source_s"], 2)
        ratios[f"{backend}_cold_render_vs_sql"] = round(m["cold_render_s"] / m["sql_s"], 2)
        ratios[f"{backend}_warm_vs_cold"] = round(m["warm_render_s"] / m["cold_render_s"], 3)
        print(f"{backend}: seed scale {args.scale:g} {m['seed_s']:.2f} s "
              f"({ratios[f'{backend}_seed_vs_source']:.2f}x generating the records, {m['source_s']:.2f} s; "
              "target <= 30 s)")
        print(f"{backend}: dashboard cold render {m['cold_render_s']:.3f} s "
              f"({ratios[f'{backend}_cold_render_vs_sql']:.2f}x its SQL alone, {m['sql_s']:.3f} s; target <= 2 s)")
        print(f"{backend}: dashboard warm render {m['warm_render_s']:.3f} s "
              f"({ratios[f'{backend}_warm_vs_cold']:.3f}x cold; target <= 0.2 s)")
    print(json.dumps({"bench": "dashboard", "params": vars(args), "figures": figures, "ratios": ratios}))


if __name__ == "__main__":
    main()
