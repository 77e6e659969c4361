"""Forecast accuracy and speed on real data: `python -m bench.forecast`.

Online Retail (UCI): the 500 StockCodes with most units, daily units from 2010-12-01, the last
28 days (2011-11-12 … 2011-12-09) held out. carparts (expsmooth): 2,674 monthly series, the last
12 months held out. Per series RMSSE (scaled by the in-sample one-step naive RMSE, averaged over
series with a non-zero scale), MASE (carparts: scaled by the in-sample 12-month seasonal naive
MAE) and pooled bias = (Σ forecast − Σ actual) / Σ actual, for: our per-product choice
("auto": the production path, ``core.forecast.pooled.learn`` on the training part, then
``fit_one`` / ``choose`` per series), the baselines, Prophet applied to all, and the best single
model applied to all (with the pooled weekday profile, without bias corrections). The bias is
also given over the products that sold in the training part (``bias_with_history``: a product
that never sold before the held-out days is out of every history-based forecast's reach; its
RMSSE is undefined and already left out). ``--correct`` and ``--margin`` run the variants the
README reports. Then oracles: forecasts that are handed part of the held-out truth, under
``oracle_uses_holdout`` (the best any forecast could hope for with that knowledge).
Then the speed of training every product of the demo data on 2 processes, and of one product.
The last line is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import math
import multiprocessing
import os
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

REAL = Path(__file__).resolve().parents[2] / "shared" / "data" / "real"
HOLD_START = pd.Timestamp("2011-11-12")
HOLD_END = pd.Timestamp("2011-12-09")


# ---------------------------------------------------------------- data


def online_retail(top: int) -> pd.DataFrame:
    """Wide table: one column per StockCode, one row per calendar day, zero-filled."""
    raw = pd.read_csv(REAL / "online_retail.csv.gz", dtype={"InvoiceNo": str, "StockCode": str},
                      usecols=["InvoiceNo", "StockCode", "Quantity", "InvoiceDate"])
    raw = raw[~raw["InvoiceNo"].str.startswith("C") & (raw["Quantity"] > 0)
              & raw["StockCode"].str.match(r"^\d{5}")]
    best = raw.groupby("StockCode")["Quantity"].sum().nlargest(top).index
    raw = raw[raw["StockCode"].isin(best)]
    raw["day"] = pd.to_datetime(raw["InvoiceDate"]).dt.normalize()
    wide = raw.pivot_table(index="day", columns="StockCode", values="Quantity", aggfunc="sum")
    days = pd.date_range("2010-12-01", HOLD_END, freq="D")
    return wide.reindex(days).fillna(0.0)


def carparts() -> pd.DataFrame:
    return pd.read_csv(REAL / "carparts_monthly.csv", index_col=0).fillna(0.0)


# ---------------------------------------------------------------- models


def _monthly_models() -> list[Any]:
    from core.forecast.models import Model, _sf

    return [
        Model("naive", "", _sf("Naive"), min_history=1),
        Model("seasonal_naive", "", _sf("SeasonalNaive", season_length=12), min_history=12),
        Model("window_average", "", _sf("WindowAverage", window_size=12), min_history=12),
        Model("ses", "", _sf("SimpleExponentialSmoothingOptimized")),
        Model("theta", "", _sf("OptimizedTheta", season_length=1), min_history=12),
        Model("croston_sba", "", _sf("CrostonSBA"), min_history=1),
        Model("tsb", "", _sf("TSB", alpha_d=0.1, alpha_p=0.1), min_history=1),
        Model("adida", "", _sf("ADIDA"), min_history=1),
        Model("imapa", "", _sf("IMAPA"), min_history=1),
    ]


def _daily_singles() -> list[Any]:
    from core.forecast import models as m

    return [m.NAIVE, m.SEASONAL_NAIVE, m.WINDOW_AVERAGE, m.SES, m.SEASONAL_ES, m.THETA,
            m.CROSTON_SBA, m.TSB, m.WEEKDAY_POOLED, m.WEEKDAY_OWN, m.PROPHET]


DAILY_END = (HOLD_START - pd.Timedelta(days=1)).date()
MONTHLY_END = date(2001, 3, 1)


def _one_daily(args: tuple[np.ndarray, int, bool, dict[str, Any], bool]) -> dict[str, np.ndarray]:
    """Every single model's forecast of one series (with the pooled weekday profile, without
    the bias corrections), and the production path: the per-product choice with the pooled factors, and its forecast."""
    from core.forecast.models import Pooled
    from core.forecast.train import fit_one

    y, h, prophet, pooled, prophet_baseline = args
    start = HOLD_START.date()
    profile = Pooled(weekday=Pooled.from_json(pooled).weekday)  # the profile, no correction
    out = {model.alias: model.forecast(y, h, start=start, pooled=profile)
           for model in _daily_singles() if prophet_baseline or model.alias != "prophet"}
    choice, fc = fit_one(y, end=DAILY_END, horizon=h, prophet=prophet,
                         pooled=Pooled.from_json(pooled))
    out["auto"] = fc.yhat
    out["_model:" + choice.modelo.split("+")[0]] = np.array([1.0])
    return out


def _one_monthly(args: tuple[np.ndarray, int, dict[str, Any]]) -> dict[str, np.ndarray]:
    """Every monthly model as is, and the choice with the pooled factors (same code as daily)."""
    from core.forecast.backtest import choose, predict
    from core.forecast.models import Pooled

    y, h, pooled_json = args
    pooled = Pooled.from_json(pooled_json)
    models = _monthly_models()
    out = {model.alias: model.forecast(y, h) for model in models}
    choice = choose(y, end=MONTHLY_END, models=models, h=12, windows=3, pooled=pooled)
    out["auto"] = predict(choice.modelo, y, h, start=MONTHLY_END, offsets=choice.offsets,
                          pooled=pooled, models=models).yhat
    out["zero"] = np.zeros(h)
    out["_model:" + choice.modelo.split("+")[0]] = np.array([1.0])
    return out


VARIANT: dict[str, Any] = {}  # learn()'s keyword arguments of a variant (--correct, --margin)


def learn_daily(wide: pd.DataFrame, h: int) -> dict[str, Any]:
    """The production pooled factors on the training part of the daily series."""
    from core.forecast.pooled import learn

    pooled = learn([wide[c].to_numpy(dtype=float)[:-h] for c in wide.columns], end=DAILY_END,
                   **VARIANT)
    print(f"  factores: {_fmt(pooled.as_json())}")
    return pooled.as_json()


def learn_monthly(wide: pd.DataFrame, h: int) -> dict[str, Any]:
    from core.forecast.pooled import learn

    pooled = learn([wide[c].to_numpy(dtype=float)[:-h] for c in wide.columns], end=MONTHLY_END,
                   daily=False, h=12, windows=3, models=_monthly_models(), **VARIANT)
    print(f"  factores: {_fmt(pooled.as_json())}")
    return pooled.as_json()


def _fmt(data: dict[str, Any]) -> str:
    factors = {k: round(v, 3) for k, v in data["factors"].items()}
    weekday = [round(v, 2) for v in data["weekday"]] if data["weekday"] else None
    return (f"corrección {factors}; por clase {data['defaults']}; margen {data.get('margin')}; "
            f"semana {weekday}")


# ---------------------------------------------------------------- scores


def _score(train: list[np.ndarray], test: list[np.ndarray], fcs: list[np.ndarray],
           mase_m: int) -> dict[str, float]:
    rmsse, mase, tot_f, tot_a, hist_f, hist_a = [], [], 0.0, 0.0, 0.0, 0.0
    for y, a, f in zip(train, test, fcs, strict=True):
        d1 = np.diff(y)
        scale = math.sqrt(float(np.mean(d1 ** 2))) if d1.size else 0.0
        if scale > 0:
            rmsse.append(math.sqrt(float(np.mean((f - a) ** 2))) / scale)
        dm = y[mase_m:] - y[:-mase_m]
        mscale = float(np.mean(np.abs(dm))) if dm.size else 0.0
        if mscale > 0:
            mase.append(float(np.mean(np.abs(f - a))) / mscale)
        tot_f += float(f.sum())
        tot_a += float(a.sum())
        if np.any(y > 0):
            hist_f += float(f.sum())
            hist_a += float(a.sum())
    return {"rmsse": float(np.mean(rmsse)), "mase": float(np.mean(mase)),
            "bias": (tot_f - tot_a) / tot_a if tot_a else float("nan"),
            "bias_with_history": (hist_f - hist_a) / hist_a if hist_a else float("nan")}


def _run(series: list[np.ndarray], h: int, worker: Callable[..., dict[str, np.ndarray]],
         extra: tuple[Any, ...], procs: int) -> list[dict[str, np.ndarray]]:
    with ProcessPoolExecutor(procs) as pool:
        return list(pool.map(worker, [(y[:-h], h, *extra) for y in series], chunksize=8))


def evaluate(name: str, wide: pd.DataFrame, h: int, worker: Callable[..., dict[str, np.ndarray]],
             extra: tuple[Any, ...], *, mase_m: int, baselines: dict[str, str | None],
             procs: int, learner: Callable[[pd.DataFrame, int], dict[str, Any]]) -> dict[str, Any]:
    series = [wide[c].to_numpy(dtype=float) for c in wide.columns]
    t0 = time.perf_counter()
    pooled = learner(wide, h)
    extra = (*extra[:1], pooled, *extra[1:]) if extra else (pooled,)
    results = _run(series, h, worker, extra, procs)
    elapsed = time.perf_counter() - t0
    train = [y[:-h] for y in series]
    test = [y[-h:] for y in series]
    aliases = [k for k in results[0] if not k.startswith("_")]
    scores = {a: _score(train, test, [r[a] for r in results], mase_m) for a in aliases}
    chosen: dict[str, int] = {}
    for r in results:
        for k in r:
            if k.startswith("_model:"):
                chosen[k[7:]] = chosen.get(k[7:], 0) + 1
    singles = [a for a in aliases if a not in ("auto", "zero")]
    best = min(singles, key=lambda a: scores[a]["rmsse"])
    print(f"{name}: {len(series)} series, {elapsed:.1f} s; elegidos: {chosen}")
    for a in sorted(aliases, key=lambda a: scores[a]["rmsse"]):
        s = scores[a]
        print(f"  {a:15s} RMSSE {s['rmsse']:.3f}  MASE {s['mase']:.3f}  sesgo {s['bias']:+.1%}"
              f"  (con historia {s['bias_with_history']:+.1%})")
    out: dict[str, Any] = {"rmsse": {}, "mase": {}, "bias": {}, "bias_with_history": {}}
    keys = {"auto": "auto", **baselines, "best_single": best}
    for key, alias in keys.items():
        for metric in out:
            out[metric][key] = (None if alias is None or alias not in scores
                                else round(scores[alias][metric], 4))
    out["best_single_model"] = best
    print(f"  mejor modelo único: {best}; auto / mejor línea base "
          f"{scores['auto']['rmsse'] / min(scores[b]['rmsse'] for b in baselines.values() if b in scores):.3f}")
    return out


# ---------------------------------------------------------------- oracles (they see the holdout)


def _spread(totals: np.ndarray, shares: np.ndarray, weekdays: np.ndarray) -> np.ndarray:
    """Per 7-day block, its total spread over its days by weekday shares (Monday first;
    ``weekdays``: those of a block's 7 days, the same in every block; shares that sum to 0
    spread it evenly)."""
    shares = shares / shares.sum() if shares.sum() > 0 else np.full(7, 1 / 7)
    return np.repeat(totals, 7) * np.tile(shares[weekdays], totals.size)


def oracle_daily(wide: pd.DataFrame, h: int) -> dict[str, dict[str, float]]:
    """What forecasts that know part of the held-out truth would score: no forecast made from
    the history alone can expect to beat the level they are given.

    ``total_flat``: each product's exact 28-day total, flat; ``total_pooled``: that total spread
    by the pooled weekday profile of the training part; ``total_own_train``: spread by the
    product's own weekday profile of its last 12 training weeks, shrunk towards the pooled one
    as the ``weekday_own`` model does (the profile is a forecast, only the total is known);
    ``total_agg_weeks``: the total spread over the four 7-day blocks as the sum of all products
    was, then by the pooled profile (the timing of the whole shop known, not the product's);
    ``weeks_pooled``: each of the four 7-day blocks' exact totals, spread by the pooled
    profile; ``total_own`` and ``weeks_own``: the 28-day and the weekly totals spread by the
    product's own weekday profile in the held-out days."""
    from core.forecast.models import PROFILE_PRIOR, weekday_shares
    from core.forecast.pooled import weekday_profile

    series = [wide[c].to_numpy(dtype=float) for c in wide.columns]
    train = [y[:-h] for y in series]
    test = [y[-h:] for y in series]
    pool = np.asarray(weekday_profile(train, DAILY_END), dtype=float)
    start = HOLD_START.date()
    weekdays = (start.weekday() + np.arange(h)) % 7
    fcs: dict[str, list[np.ndarray]] = {k: [] for k in (
        "total_flat", "total_pooled", "total_own_train", "total_agg_weeks", "weeks_pooled",
        "total_own", "weeks_own")}
    shop = np.sum(test, axis=0).reshape(-1, 7).sum(axis=1)
    shop = shop / shop.sum()
    for y, a in zip(train, test, strict=True):
        weeks = a.reshape(-1, 7).sum(axis=1)
        total = np.full(weeks.size, a.sum() / weeks.size)
        own = np.bincount(weekdays, weights=a, minlength=7)
        mine = weekday_shares(y, DAILY_END)
        weight = mine.sum() / (mine.sum() + PROFILE_PRIOR)
        shrunk = weight * (mine / max(mine.sum(), 1e-9)) + (1 - weight) * pool / pool.sum()
        fcs["total_flat"].append(np.full(h, a.mean()))
        fcs["total_pooled"].append(_spread(total, pool, weekdays[:7]))
        fcs["total_own_train"].append(_spread(total, shrunk, weekdays[:7]))
        fcs["total_agg_weeks"].append(_spread(a.sum() * shop, pool, weekdays[:7]))
        fcs["weeks_pooled"].append(_spread(weeks, pool, weekdays[:7]))
        fcs["total_own"].append(_spread(total, own, weekdays[:7]))
        fcs["weeks_own"].append(_spread(weeks, own, weekdays[:7]))
    out = {}
    print("online_retail, oráculos (conocen el periodo reservado; no son pronósticos):")
    for key, values in fcs.items():
        s = _score(train, test, values, 7)
        out[key] = {k: round(v, 4) for k, v in s.items()}
        print(f"  {key:15s} RMSSE {s['rmsse']:.3f}  MASE {s['mase']:.3f}  sesgo {s['bias']:+.1%}")
    return out


def oracle_monthly(wide: pd.DataFrame, h: int) -> dict[str, dict[str, float]]:
    """carparts: each series' exact 12-month total spread evenly (``total_flat``)."""
    series = [wide[c].to_numpy(dtype=float) for c in wide.columns]
    train = [y[:-h] for y in series]
    test = [y[-h:] for y in series]
    s = _score(train, test, [np.full(h, a.mean()) for a in test], 12)
    print(f"carparts, oráculo (conoce el periodo reservado): total_flat RMSSE {s['rmsse']:.3f}  "
          f"MASE {s['mase']:.3f}  sesgo {s['bias']:+.1%}")
    return {"total_flat": {k: round(v, 4) for k, v in s.items()}}


# ---------------------------------------------------------------- speed on the demo data


def _train_part(args: tuple[str, int, list[int], dict[str, Any] | None]) -> int:
    url, run_id, ids, pooled = args
    os.environ["DATABASE_URL"] = url
    from core.config import get_settings
    from core.forecast.train import train_products

    get_settings.cache_clear()
    return int(train_products(run_id, ids, pooled=pooled)["trained"])


def _single(url: str, producto_id: int) -> float:
    """Seconds to train one product on demand, counting the forecast modules' imports."""
    t0 = time.perf_counter()
    os.environ["DATABASE_URL"] = url
    from core.config import get_settings
    from core.forecast import service

    get_settings.cache_clear()
    service.train_single(producto_id)
    return time.perf_counter() - t0


def speed(procs: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/bench.db"
        os.environ["DATABASE_URL"] = url
        from core.config import get_settings

        get_settings.cache_clear()
        from core.forecast import store
        from core.forecast.train import prepare
        from core.setup import init_db, seed_demo

        init_db()
        seed_demo(1)
        run_id = store.create_run(kind="batch", trigger="bench", horizon_days=90, history_days=730)
        t0 = time.perf_counter()
        # as train_all: read every series and learn the pooled factors once, then the chunks
        ids, pooled = prepare(run_id, get_settings().forecast_history_days)
        prepare_s = time.perf_counter() - t0
        store.update_run(run_id, status="running", products=len(ids))
        parts = [ids[i::procs] for i in range(procs)]
        with ProcessPoolExecutor(procs) as pool:
            trained = sum(pool.map(_train_part, [(url, run_id, p, pooled) for p in parts]))
        train_all_s = time.perf_counter() - t0
        print(f"  factores de la corrida en {prepare_s:.1f} s")
        # in a fresh process, as the page's first request would: imports included
        ctx = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(1, mp_context=ctx) as pool:
            single_s = pool.submit(_single, url, ids[len(ids) // 2]).result()
        print(f"entrenar {trained} productos de la demo en {procs} procesos: {train_all_s:.1f} s; "
              f"un producto: {single_s:.2f} s")
        return {"train_all_s": round(train_all_s, 1), "single_s": round(single_s, 2),
                "products": trained}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--top", type=int, default=500)
    parser.add_argument("--procs", type=int, default=2)
    parser.add_argument("--no-prophet", action="store_true", help="sin Prophet en la elección")
    parser.add_argument("--skip-speed", action="store_true")
    parser.add_argument("--only", choices=("online_retail", "carparts", "speed"),
                        help="un solo conjunto (para iterar) o solo la velocidad")
    parser.add_argument("--no-prophet-baseline", action="store_true",
                        help="sin «Prophet a todas» (rápido; prophet queda null)")
    parser.add_argument("--correct", choices=("auto", "on", "off"), default="auto",
                        help="variante: corrección de sesgo decidida por validación cruzada "
                             "(auto, lo de producción), siempre o nunca")
    parser.add_argument("--margin", type=float, default=None,
                        help="variante: margen fijo para dejar el modelo de la clase "
                             "(sin él, el aprendido)")
    args = parser.parse_args(argv)
    VARIANT.clear()
    if args.correct != "auto":
        VARIANT["correct"] = args.correct == "on"
    if args.margin is not None:
        VARIANT["margins"] = (args.margin,)
    import logging

    logging.disable(logging.WARNING)
    figures: dict[str, Any] = {}
    if args.only in (None, "online_retail"):
        retail = online_retail(args.top)
        figures["online_retail"] = evaluate(
            "online_retail", retail, 28, _one_daily,
            (not args.no_prophet, not args.no_prophet_baseline), mase_m=7, procs=args.procs,
            learner=learn_daily,
            baselines={"naive": "naive", "seasonal_naive": "seasonal_naive",
                       "mean28": "window_average", "prophet": "prophet"})
        figures["online_retail"]["oracle_uses_holdout"] = oracle_daily(retail, 28)
    if args.only in (None, "carparts"):
        parts = carparts()
        figures["carparts"] = evaluate(
            "carparts", parts, 12, _one_monthly, (), mase_m=12, procs=args.procs,
            learner=learn_monthly,
            baselines={"naive": "naive", "seasonal_naive": "seasonal_naive",
                       "mean28": "window_average", "prophet": None, "zero": "zero",
                       "ses": "ses", "croston": "croston_sba"})
        figures["carparts"]["oracle_uses_holdout"] = oracle_monthly(parts, 12)
    if not args.skip_speed and args.only in (None, "speed"):
        figures.update(speed(args.procs))
    print(json.dumps({"bench": "forecast", "params": vars(args), "figures": figures}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
