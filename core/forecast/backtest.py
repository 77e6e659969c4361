"""Rolling-origin backtest: each candidate forecasts the last ``windows`` blocks of ``h`` days
from the history before each block; the lowest RMSSE wins, except that with a run's pooled
defaults a product keeps its class's default model unless its own winner is clearly better
(by the run's learnt margin, or ``SWITCH_MARGIN``): picking among many candidates on a few
short windows is mostly noise.

Intervals are split-conformal: the quantiles of the chosen model's signed backtest errors. The
coverage reported for a window uses only the other windows' errors, so it is an honest
out-of-sample figure, not the calibration set scoring itself.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np

from core.forecast import classify as sbc
from core.forecast.metrics import scores
from core.forecast.models import NEUTRAL, WINDOW_AVERAGE, Model, Pooled, candidates

LEVELS = (80, 95)
COMBO = "comb:"  # alias prefix of the mean of some candidates: "comb:ses+th+tsb"
# Short names inside a combination: forecasts.modelo holds 40 characters. Older rows spell the
# members in full; members() reads both.
SHORT = {"seasonal_naive": "sn", "window_average": "wa", "seasonal_es": "ses7", "theta": "th",
         "croston_sba": "sba", "weekday_pooled": "wdp", "weekday_own": "wdo", "prophet": "pr"}
_LONG = {v: k for k, v in SHORT.items()}
COMBO_SIZE = 3
DEFAULT_H = 28
DEFAULT_WINDOWS = 3
# Leave the class default only for a backtest RMSSE this much lower, when the run learnt no
# margin of its own (older runs; no product with two backtest windows).
SWITCH_MARGIN = 0.10


@dataclass
class Choice:
    """The chosen model of one series and what the backtest measured."""

    modelo: str
    clase: str
    metricas: dict[str, float | None]
    candidatos: dict[str, dict[str, float | None]]
    offsets: dict[int, tuple[float, float]] = field(default_factory=dict)  # level -> (lo, hi)


@dataclass
class Forecast:
    """h daily values from ``start`` with 80/95 % intervals."""

    start: date
    yhat: np.ndarray
    lo80: np.ndarray
    hi80: np.ndarray
    lo95: np.ndarray
    hi95: np.ndarray

    def as_json(self) -> dict[str, list[float]]:
        return {k: [round(float(v), 4) for v in getattr(self, k)]
                for k in ("yhat", "lo80", "hi80", "lo95", "hi95")}


def _offsets(errors: np.ndarray) -> dict[int, tuple[float, float]]:
    """(lower, upper) additive offsets per level from signed errors (actual − forecast)."""
    if errors.size == 0:
        return {lv: (0.0, 0.0) for lv in LEVELS}
    out = {}
    for lv in LEVELS:
        tail = (1 - lv / 100) / 2
        out[lv] = (float(np.quantile(errors, tail)), float(np.quantile(errors, 1 - tail)))
    return out


def _plan(n: int, h: int, windows: int) -> tuple[int, int]:
    """(h, windows) that fit a history of n days, leaving at least 2h days to fit on."""
    h = min(h, max(n // 4, 0))
    while windows > 1 and n - windows * h < 2 * h:
        windows -= 1
    return h, windows


def evaluate(model: Model, y: np.ndarray, *, h: int, windows: int, end: date,
             pooled: Pooled | None = None) -> tuple[np.ndarray, np.ndarray, list[int]]:
    """Backtest forecasts and actuals (concatenated) and each window's start index."""
    n = y.size
    preds, acts, starts = [], [], []
    for w in range(windows):
        cut = n - (windows - w) * h
        start = end - timedelta(days=n - 1 - cut)
        preds.append(model.forecast(y[:cut], h, start=start, pooled=pooled))
        acts.append(y[cut:cut + h])
        starts.append(cut)
    return np.concatenate(preds), np.concatenate(acts), starts


def _coverage_bounds(pred: np.ndarray, act: np.ndarray, h: int,
                     windows: int) -> dict[str, np.ndarray]:
    """Leave-one-window-out interval bounds for the backtest forecasts."""
    err = act - pred
    bounds = {f"{s}{lv}": np.empty_like(pred) for lv in LEVELS for s in ("lo", "hi")}
    for w in range(windows):
        part = slice(w * h, (w + 1) * h)
        others = np.concatenate([err[:w * h], err[(w + 1) * h:]]) if windows > 1 else err
        for lv, (lo, hi) in _offsets(others).items():
            bounds[f"lo{lv}"][part] = np.clip(pred[part] + lo, 0, None)
            bounds[f"hi{lv}"][part] = pred[part] + hi
    return bounds


@dataclass
class Backtests:
    """Every candidate's backtest forecasts and actuals on one series."""

    clase: str
    h: int
    windows: int
    history: np.ndarray  # the days before the first window (the scale of RMSSE)
    runs: dict[str, tuple[np.ndarray, np.ndarray]]  # alias -> (forecasts, actuals)


def backtests(y: np.ndarray, *, end: date, prophet: bool = False, h: int = DEFAULT_H,
              windows: int = DEFAULT_WINDOWS, models: list[Model] | None = None,
              pooled: Pooled | None = None) -> Backtests:
    """Classify the series and backtest its candidates (no runs when it is too short)."""
    y = np.asarray(y, dtype=float)
    clase = sbc.classify(y)
    pool = models if models is not None else candidates(clase, prophet=prophet)
    h, windows = _plan(y.size, h, windows)
    if h < 7:
        return Backtests(clase, h, windows, y, {})
    runs = {}
    for model in pool:
        pred, act, _ = evaluate(model, y, h=h, windows=windows, end=end, pooled=pooled)
        runs[model.alias] = (pred, act)
    return Backtests(clase, h, windows, y[:y.size - windows * h], runs)


def rank_key(score: dict[str, float | None]) -> float:
    """RMSSE, or RMSE on a flat history (no naive error to scale by); inf when undefined."""
    value = score["rmsse"] if score["rmsse"] is not None else score["rmse"]
    return math.inf if value is None else float(value)


def choose(y: np.ndarray, *, end: date, prophet: bool = False, h: int = DEFAULT_H,
           windows: int = DEFAULT_WINDOWS, models: list[Model] | None = None,
           pooled: Pooled | None = None) -> Choice:
    """Classify the series, backtest its candidates and keep the lowest RMSSE (or the class's
    pooled default when the product's own winner is not clearly better)."""
    pooled = pooled or NEUTRAL
    bt = backtests(y, end=end, prophet=prophet, h=h, windows=windows, models=models,
                   pooled=pooled)
    clase, h, windows, history = bt.clase, bt.h, bt.windows, bt.history
    if not bt.runs:
        return Choice(WINDOW_AVERAGE.alias if np.asarray(y).size >= 28 else "ses", clase,
                      {"mae": None, "rmse": None, "r2": None, "mase": None, "rmsse": None,
                       "bias": None}, {})
    results: dict[str, tuple[dict[str, float | None], np.ndarray, np.ndarray]] = {}

    def add(alias: str, pred: np.ndarray, act: np.ndarray) -> None:
        bounds = _coverage_bounds(pred, act, h, windows)
        results[alias] = (scores(act, pred, history=history, lo80=bounds["lo80"],
                                 hi80=bounds["hi80"], lo95=bounds["lo95"],
                                 hi95=bounds["hi95"]), pred, act)

    for alias, (pred, act) in bt.runs.items():
        add(alias, pred, act)

    def key(alias: str) -> float:
        return rank_key(results[alias][0])

    ranked = sorted(results, key=key)
    if len(ranked) >= COMBO_SIZE and math.isfinite(key(ranked[COMBO_SIZE - 1])):
        # Combining forecasts is steadier than picking one on a few weeks of backtest.
        top = ranked[:COMBO_SIZE]
        add(combo(top), np.mean([results[m][1] for m in top], axis=0),
            results[top[0]][2])
    default = pooled.defaults.get(clase)
    if default and default not in results and all(m in bt.runs for m in members(default)):
        add(default, np.mean([bt.runs[m][0] for m in members(default)], axis=0),
            bt.runs[members(default)[0]][1])
    best = pick({alias: key(alias) for alias in results}, default=default,
                margin=SWITCH_MARGIN if pooled.margin is None else pooled.margin)
    metricas, pred, act = results[best]
    return Choice(best, clase, metricas,
                  {alias: {k: r[0][k] for k in ("rmsse", "mase", "mae", "rmse", "bias")}
                   for alias, r in results.items()},
                  _offsets(act - pred))


def pick(keys: dict[str, float], *, default: str | None, margin: float) -> str:
    """The alias with the lowest key (backtest RMSSE), unless the class ``default`` is among
    them and the winner is not at least ``margin`` (a fraction) lower than it."""
    best = min(keys, key=lambda a: keys[a])
    if default in keys and keys[best] > (1 - margin) * keys[default]:
        return default
    return best


def combo(aliases: list[str]) -> str:
    """The alias of the mean of these models' forecasts."""
    return COMBO + "+".join(SHORT.get(a, a) for a in aliases)


def members(alias: str) -> list[str]:
    """The models behind an alias: itself, or a combination's members."""
    if not alias.startswith(COMBO):
        return [alias]
    return [_LONG.get(m, m) for m in alias[len(COMBO):].split("+")]


def point_forecast(alias: str, y: np.ndarray, h: int, *, start: date | None = None,
                   pooled: Pooled | None = None, models: list[Model] | None = None) -> np.ndarray:
    """The h daily means of a model or of a combination (the mean of its members);
    ``models``: the pool the alias was chosen from, when not the standard one."""
    from core.forecast.models import MODELS

    known = {**MODELS, **{m.alias: m for m in models or []}}
    return np.mean([known[m].forecast(y, h, start=start, pooled=pooled)
                    for m in members(alias)], axis=0)


def predict(alias: str, y: np.ndarray, h: int, *, start: date,
            offsets: dict[int, tuple[float, float]], pooled: Pooled | None = None,
            models: list[Model] | None = None) -> Forecast:
    """The final forecast from the whole history with the backtest's intervals."""
    mean = point_forecast(alias, y, h, start=start, pooled=pooled, models=models)
    lo80, hi80 = offsets.get(80, (0.0, 0.0))
    lo95, hi95 = offsets.get(95, (0.0, 0.0))
    return Forecast(start=start, yhat=mean,
                    lo80=np.clip(mean + lo80, 0, None), hi80=np.clip(mean + hi80, 0, None),
                    lo95=np.clip(mean + lo95, 0, None), hi95=np.clip(mean + hi95, 0, None))
