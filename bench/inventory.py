"""Inventory search speed on PostgreSQL: first page of typo-tolerant searches with and without the
trigram indexes (the baseline, measured in the same run), and the list page's render (AppTest).

The baseline is the same core call without the trigram index of the word list: a copy of
``erp_productos_palabras`` with its rows and primary key but not ``idx_erp_productos_palabras_trgm``
(what a DROP INDEX leaves), in a schema that the baseline's connections put first in their
search_path; each typed word's similar words then come from a sequential scan of the word list, and
everything else (the GIN index on ``palabras``, the word postings, the código b-tree, the page and
count) is the same code on the same tables. The searches run in blocks of 20, each block with the
index and then without it, each side after one untimed search, so a change in the machine's speed
(other sessions, a shared host) hits both sides alike; the whole list runs ``--rounds`` times and
the figures are the median round's. Each search's CPU
(this thread plus the pool's PostgreSQL backends, from /proc schedstat) is reported beside the wall
time: on a shared machine the wall time mostly measures the other sessions' load.

`python -m bench.inventory [--products 100000] [--queries 240] [--seed 8]`
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import json
import logging
import random
import statistics
import time
from datetime import datetime
from pathlib import Path

from bench.scratch_db import scratch_database, using_database

MAIN = str(Path(__file__).resolve().parents[1] / "app" / "main.py")
ALMACENES = ("Almacén General", "Sucursal Zapopan", "Sucursal Tlaquepaque")


def _catalog(n: int, rng: random.Random) -> list[tuple]:
    """``n`` products named as the demo ERP names them (base, variante, marca), unique códigos."""
    from core.erp import demo_catalog as cat

    lineas = [(clave, unidad, bases, variantes, linea, grupo)
              for grupo, lineas in cat.CATALOGO.items()
              for linea, (clave, unidad, bases, variantes) in lineas.items()]
    rows = []
    for i in range(n):
        clave, unidad, bases, variantes, linea, grupo = lineas[i % len(lineas)]
        nombre = f"{rng.choice(bases)} {rng.choice(variantes)} {rng.choice(cat.MARCAS)}"
        precio = round(rng.uniform(5, 5000), 2)
        rows.append((f"{clave}-{i:06d}", nombre, precio, round(precio * 0.7, 4), linea, grupo, unidad, True,
                     "erp", str(100_000 + i)))
    return rows


def _load(n: int, seed: int) -> tuple[list[tuple], int]:
    """Products, three almacenes and a stock row per product and almacén, by COPY."""
    from sqlalchemy import text

    from core import db

    rng = random.Random(seed)
    productos = _catalog(n, rng)
    now = datetime.now()
    with db.begin() as conn:
        db.copy_rows(conn, "erp_productos", ("codigo", "nombre", "precio", "costo", "categoria", "grupo",
                                             "unidad_medida", "activo", "origen", "erp_id", "last_synced_at"),
                     [[(*p, now) for p in productos]])
        for i, nombre in enumerate(ALMACENES):
            conn.execute(text("INSERT INTO erp_almacenes (erp_id, nombre, origen) VALUES (:e, :n, 'erp')"),
                         {"e": str(i + 1), "n": nombre})
        ids = [r[0] for r in conn.execute(text("SELECT id FROM erp_productos ORDER BY id"))]
        almacenes = [r[0] for r in conn.execute(text("SELECT id FROM erp_almacenes ORDER BY id"))]
        stock = [(p, a, rng.randint(0, 200), rng.randint(0, 40), rng.randint(40, 60), rng.randint(60, 300))
                 for p in ids for a in almacenes]
        db.copy_rows(conn, "erp_inventario", ("producto_id", "almacen_id", "stock_actual", "stock_minimo",
                                              "punto_reorden", "stock_maximo"), [stock])
    # VACUUM as autovacuum does within a minute of a load (its insert threshold): the visibility
    # map lets the word postings be read index-only, as they are on a catalog in use.
    with db.get_engine().connect() as conn:
        conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql(
            "VACUUM ANALYZE erp_productos, erp_productos_palabras, erp_productos_palabra_producto, "
            "erp_inventario, erp_almacenes")
    return productos, len(stock)


def _typo(word: str, rng: random.Random) -> str:
    """One slip a person makes past a word's first two letters (the examples of the issue: "tornilo",
    "galvanisado"): a letter dropped, doubled, swapped or changed, or an accent left out.
    Trigrams cannot forgive a slip in the first letters of a short word ("tonrillo")."""
    from core.inventory.search import fold

    if len(word) < 5:
        return fold(word) if rng.random() < 0.5 else word.upper()
    i = rng.randrange(2, len(word) - 2)
    kind = rng.choice(("drop", "double", "swap", "change", "accent"))
    if kind == "drop":
        return word[:i] + word[i + 1:]
    if kind == "double":
        return word[:i] + word[i] + word[i:]
    if kind == "swap":
        return word[:i] + word[i + 1] + word[i] + word[i + 2:]
    if kind == "change":
        return word[:i] + rng.choice("aeioubcdlmnrstz") + word[i + 1:]
    return fold(word)


def queries(productos: list[tuple], count: int, seed: int) -> list[str]:
    """Varied searches: one or two words of a real name with a typo, or a código without its dash."""
    rng = random.Random(seed + 1)
    out: list[str] = []
    while len(out) < count:
        codigo, nombre = rng.choice(productos)[:2]
        words = [w for w in nombre.split() if len(w) >= 4 and w.isalpha()]
        roll = rng.random()
        if roll < 0.15 or not words:
            out.append(codigo.replace("-", "").lower())
        elif roll < 0.55 or len(words) < 2:
            out.append(_typo(rng.choice(words), rng))
        else:
            a, b = rng.sample(words, 2)
            out.append(f"{_typo(a, rng)} {b.lower()}")
    return out


_BACKENDS: set[int] = set()  # PostgreSQL server processes of core's pool (same machine)


def _watch_backends() -> None:
    """Note the server process of every pooled connection checked out (any engine core makes)."""
    from sqlalchemy import event
    from sqlalchemy.pool import Pool

    def _checked_out(dbapi_conn, _record, _proxy) -> None:
        _BACKENDS.add(dbapi_conn.info.backend_pid)

    event.listen(Pool, "checkout", _checked_out)


def _cpu_ns() -> int:
    """CPU time of this thread plus the pool's PostgreSQL backends (Linux schedstat, in ns)."""
    total = time.thread_time_ns()
    for pid in _BACKENDS:
        with contextlib.suppress(FileNotFoundError, IndexError, ValueError):  # a backend that ended
            total += int(Path(f"/proc/{pid}/schedstat").read_text().split()[0])
    return total


def _search_times(user, qs: list[str]) -> tuple[list[float], int, list[float]]:
    """Milliseconds of each search's first page through core (SQL + rows), how many found nothing,
    and each search's CPU milliseconds (client + server: what other sessions' load does not add)."""
    from core import inventory

    times, empty, cpu = [], 0, []
    for q in qs:
        c0, t0 = _cpu_ns(), time.perf_counter()
        page = inventory.list_productos(user, inventory.InventoryFilter(search=q))
        times.append((time.perf_counter() - t0) * 1000)
        cpu.append((_cpu_ns() - c0) / 1e6)
        empty += not page["data"]
    return times, empty, cpu


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20, method="inclusive")[18]


def _page_render(qs: list[str]) -> list[float]:
    """Seconds for the inventory page to render a new search (AppTest, cold cache for that search)."""
    from streamlit.testing.v1 import AppTest

    from core.users import DEMO_ACCOUNTS, DEMO_PASSWORD

    at = AppTest.from_file(MAIN, default_timeout=120).run()
    at.text_input(key="login_email").input(DEMO_ACCOUNTS["viewer"][0])
    at.text_input(key="login_password").input(DEMO_PASSWORD)
    at.button[0].click().run()
    at.switch_page(str(Path(MAIN).parents[1] / "pages" / "inventory.py")).run()
    assert not at.exception and at.dataframe, "the inventory page did not render"
    times = []
    for q in qs:
        t0 = time.perf_counter()
        at.text_input(key="inv_buscar").input(q).run()
        times.append(time.perf_counter() - t0)
        assert not at.exception, at.exception
    return times


BASELINE_SCHEMA = "bench_sin_trigramas"
# Searches run with the index, then the same ones without it, a block at a time: a few seconds
# apart, so a change in the machine's speed hits both sides alike, and few enough switches that
# the baseline's scan of the whole word list seldom leaves the next search cold caches.
BLOCK = 20


def _baseline_word_list() -> None:
    """The word list once more, in a schema of its own: the same rows and primary key, no trigram
    index (what ``DROP INDEX idx_erp_productos_palabras_trgm`` leaves)."""
    from core import db

    with db.begin() as conn:
        conn.exec_driver_sql(f"CREATE SCHEMA {BASELINE_SCHEMA}")
        conn.exec_driver_sql(f"CREATE TABLE {BASELINE_SCHEMA}.erp_productos_palabras (palabra text PRIMARY KEY)")
        conn.exec_driver_sql(f"INSERT INTO {BASELINE_SCHEMA}.erp_productos_palabras "
                             "SELECT palabra FROM public.erp_productos_palabras")
        conn.exec_driver_sql(f"ANALYZE {BASELINE_SCHEMA}.erp_productos_palabras")


def _baseline_url(url: str) -> str:
    """A URL of the same database whose connections find the word list without its index first
    (another URL: core keeps one engine per URL)."""
    from sqlalchemy import event

    from core import db

    base = f"{url}?application_name={BASELINE_SCHEMA}"

    def _search_path(dbapi_conn, _record) -> None:
        dbapi_conn.execute(f"SET search_path = {BASELINE_SCHEMA}, public")
        dbapi_conn.commit()

    event.listen(db.get_engine(base), "connect", _search_path)
    return base


def measure(n: int, count: int, seed: int, renders: int, rounds: int) -> dict:
    from core.ingest.load import OPERATOR
    from core.setup import init_db

    _watch_backends()
    with scratch_database("postgres") as url, using_database(url):
        init_db()
        t0 = time.perf_counter()
        productos, stock_rows = _load(n, seed)
        load_s = time.perf_counter() - t0
        qs = queries(productos, count, seed)
        _baseline_word_list()
        base = _baseline_url(url)
        _search_times(OPERATOR, qs[:20])  # warm the connection pools and PostgreSQL's buffers
        with using_database(base):
            _search_times(OPERATOR, qs[:20])
        render = _page_render(queries(productos, renders + 1, seed + 7)[1:])
        # As the app server does after its imports (app/runtime.py): what is loaded by now stays,
        # and a full collection no longer walks it (measured here: 7 of them, 91 ms each at the
        # median, landing on whichever search was running).
        gc.collect()
        gc.freeze()
        out: dict[str, list] = {"with_index": [], "without_index": [], "cpu": [], "cpu_no_index": []}
        empty = 0
        for _ in range(rounds):
            rows: dict[str, list] = {k: [] for k in out}
            for i in range(0, len(qs), BLOCK):
                block = qs[i:i + BLOCK]
                _search_times(OPERATOR, block[:1])
                with_index, found_none, cpu = _search_times(OPERATOR, block)
                with using_database(base):
                    _search_times(OPERATOR, block[:1])
                    without_index, _, cpu_no_index = _search_times(OPERATOR, block)
                empty += found_none
                for key, value in (("with_index", with_index), ("without_index", without_index), ("cpu", cpu),
                                   ("cpu_no_index", cpu_no_index)):
                    rows[key] += value
            for key, value in rows.items():
                out[key].append(value)
    return {"load_s": load_s, "stock_rows": stock_rows, "queries": qs, "empty": empty // rounds,
            "render": render, **out}


def last_sales(scale: int = 1, repeat: int = 20) -> dict[str, float]:
    """Milliseconds to read the page rows of the demo's 20 best sellers (``producto_rows``, whose
    last sale dates come from the newest documents first), against the max over all of their
    lines (the rows' old subquery), on a new PostgreSQL database with the demo ERP's sales."""
    from sqlalchemy import func, select

    from core import db
    from core.inventory import listing
    from core.models import erp_productos, erp_ventas, erp_ventas_detalle
    from core.setup import init_db, seed_demo

    P, V, D = erp_productos, erp_ventas, erp_ventas_detalle
    with scratch_database("postgres") as url, using_database(url):
        init_db()
        seed_demo(scale)
        with db.get_engine().connect() as conn:
            conn.exec_driver_sql("ANALYZE")
            best = list(conn.scalars(select(D.c.producto_id).group_by(D.c.producto_id)
                                     .order_by(func.count().desc(), D.c.producto_id).limit(20)))
            lines = conn.scalar(select(func.count()).select_from(D).where(D.c.producto_id == best[0]))
            old = (select(P.c.id, select(func.max(V.c.fecha)).select_from(D.join(V, D.c.venta_id == V.c.id))
                          .where(D.c.producto_id == P.c.id, func.coalesce(V.c.estatus, "N") != "C")
                          .scalar_subquery()).where(P.c.id.in_(best)))
            ours, base = [], []
            for _ in range(repeat):
                t0 = time.perf_counter()
                rows = listing.producto_rows(conn, best)
                ours.append((time.perf_counter() - t0) * 1000)
                t0 = time.perf_counter()
                dates = dict(conn.execute(old).tuples().all())
                base.append((time.perf_counter() - t0) * 1000)
            assert {r["id"]: r["ultima_venta"] for r in rows} == dates, "the two ways disagree"
    return {"rows_ms": statistics.median(ours), "all_lines_ms": statistics.median(base), "lines": float(lines or 0)}


def _median_round(m: dict, key: str, stat=p95) -> float:
    return statistics.median(stat(r) for r in m[key])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--products", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=240)
    parser.add_argument("--renders", type=int, default=7)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seed", type=int, default=8)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    m = measure(args.products, args.queries, args.seed, args.renders, args.rounds)
    ours, base = _median_round(m, "with_index"), _median_round(m, "without_index")
    p50, base50 = _median_round(m, "with_index", statistics.median), _median_round(m, "without_index", statistics.median)
    ratios = [p95(b) / p95(a) for a, b in zip(m["with_index"], m["without_index"], strict=True)]
    cpu_ratios = [p95(b) / p95(a) for a, b in zip(m["cpu"], m["cpu_no_index"], strict=True)]
    cpu, cpu_base = _median_round(m, "cpu"), _median_round(m, "cpu_no_index")
    render_s = statistics.median(m["render"])
    sales = last_sales()
    print(f"catálogo: {args.products:,} productos, {len(ALMACENES)} almacenes, {m['stock_rows']:,} existencias "
          f"(carga {m['load_s']:.1f} s)")
    print(f"búsquedas: {len(m['queries'])} con errores de dedo ({m['empty']} sin resultados), p. ej. "
          + ", ".join(repr(q) for q in m["queries"][:6]))
    for i, (a, b) in enumerate(zip(m["with_index"], m["without_index"], strict=True), 1):
        print(f"  ronda {i}: con índices p50 {statistics.median(a):.1f} / p95 {p95(a):.1f} ms; sin ellos "
              f"p50 {statistics.median(b):.1f} / p95 {p95(b):.1f} ms = {p95(b) / p95(a):.1f}×")
    print(f"primera página con índices trigram (mediana de {args.rounds} rondas): p50 {p50:.1f} ms, "
          f"p95 {ours:.1f} ms (meta ≤ 50 ms)")
    print(f"la misma búsqueda sin los índices: p50 {base50:.1f} ms, p95 {base:.1f} ms; razón de p95 por ronda "
          f"{', '.join(f'{r:.1f}' for r in ratios)}×, mediana {statistics.median(ratios):.1f}× (meta ≥ 20×)")
    print(f"CPU por búsqueda (cliente + PostgreSQL, no cuenta la espera por otras cargas): con índices p95 "
          f"{cpu:.1f} ms; sin ellos p95 {cpu_base:.1f} ms = {statistics.median(cpu_ratios):.1f}×")
    print(f"página de inventario (AppTest), búsqueda nueva: mediana {render_s:.3f} s, "
          f"máx. {max(m['render']):.3f} s (meta ≤ 1 s)")
    print(f"última venta de los 20 más vendidos de la demo (el primero con {sales['lines']:,.0f} renglones): "
          f"filas de la página {sales['rows_ms']:.1f} ms; el máximo sobre todos sus renglones (como antes) "
          f"{sales['all_lines_ms']:.1f} ms = {sales['all_lines_ms'] / sales['rows_ms']:.1f}×")
    print(json.dumps({
        "bench": "inventory",
        "params": {"products": args.products, "almacenes": len(ALMACENES), "queries": len(m["queries"]),
                   "renders": args.renders, "rounds": args.rounds, "seed": args.seed},
        "figures": {"search_p95_ms": round(ours, 2), "search_no_index_p95_ms": round(base, 2),
                    "search_p50_ms": round(p50, 2), "search_no_index_p50_ms": round(base50, 2),
                    "page_render_s": round(render_s, 3), "page_render_max_s": round(max(m["render"]), 3),
                    "load_s": round(m["load_s"], 2), "empty_results": m["empty"],
                    "search_cpu_p95_ms": round(cpu, 2), "search_no_index_cpu_p95_ms": round(cpu_base, 2),
                    "best_sellers_rows_ms": round(sales["rows_ms"], 2),
                    "best_sellers_all_lines_ms": round(sales["all_lines_ms"], 2)},
        "ratios": {"no_index_over_index_p95": round(statistics.median(ratios), 1),
                   "no_index_over_index_p95_rounds": [round(r, 1) for r in ratios],
                   "no_index_over_index_cpu_p95": round(statistics.median(cpu_ratios), 1),
                   "best_sellers_all_lines_over_rows": round(sales["all_lines_ms"] / sales["rows_ms"], 1)},
    }, ensure_ascii=False))


if __name__ == "__main__":
    main()
