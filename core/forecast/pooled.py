"""What a training run learns over all its products before fitting each one, from their
training history only: the pooled weekday profile, each model's bias correction and each
class's default model.

The bias correction of a model is Σ actual / Σ forecast over the rolling-origin backtest
windows of a sample of products (the same windows the per-product choice uses), so a rise or a
decline that most products share is measured on many series instead of guessed from one.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import date

import numpy as np

from core.forecast.backtest import (
    COMBO_SIZE,
    DEFAULT_H,
    DEFAULT_WINDOWS,
    Backtests,
    backtests,
    combo,
)
from core.forecast.metrics import naive_scales
from core.forecast.models import SEASON, Model, Pooled, weekday_shares

SAMPLE = 300  # products backtested to learn the pooled factors (evenly spread over the run)
MIN_CLASS = 10  # products of a class needed before it gets a default model


def weekday_profile(series: Iterable[np.ndarray], end: date) -> tuple[float, ...] | None:
    """Share × 7 of the units sold on each weekday (Monday first) over all series; None when
    nothing sold."""
    total = np.zeros(SEASON)
    for y in series:
        total += weekday_shares(y, end)
    if total.sum() <= 0:
        return None
    return tuple(float(v) for v in total / total.sum() * SEASON)


def _sample(series: list[np.ndarray], size: int) -> list[np.ndarray]:
    sold = [y for y in series if np.any(np.asarray(y) > 0)]
    if len(sold) <= size:
        return sold
    step = len(sold) / size
    return [sold[int(i * step)] for i in range(size)]


def learn(series: Iterable[np.ndarray], *, end: date, daily: bool = True, h: int = DEFAULT_H,
          windows: int = DEFAULT_WINDOWS, models: list[Model] | None = None,
          sample: int = SAMPLE, correct: bool = True) -> Pooled:
    """The run's pooled profile, bias corrections and class defaults (Prophet is left out:
    too slow to backtest on hundreds of products; it keeps a factor of 1). ``correct=False``
    learns no bias corrections (a variant the bench reports)."""
    series = [np.asarray(y, dtype=float) for y in series]
    profile = weekday_profile(series, end) if daily else None
    first = Pooled(weekday=profile)
    runs: list[Backtests] = [backtests(y, end=end, prophet=False, h=h, windows=windows,
                                       models=models, pooled=first)
                             for y in _sample(series, sample)]
    actual: dict[str, float] = {}
    forecast: dict[str, float] = {}
    for bt in runs:
        for alias, (pred, act) in bt.runs.items():
            actual[alias] = actual.get(alias, 0.0) + float(act.sum())
            forecast[alias] = forecast.get(alias, 0.0) + float(pred.sum())
    factors = {a: actual[a] / forecast[a] for a in forecast
               if correct and forecast[a] > 0 and actual[a] > 0}
    corrected = Pooled(weekday=profile, factors=factors)
    return Pooled(weekday=profile, factors=factors, defaults=_defaults(runs, corrected))


def _defaults(runs: list[Backtests], pooled: Pooled) -> dict[str, str]:
    """Per class, the alias with the lowest mean corrected RMSSE over its products: a single
    model, the mean of the class's best COMBO_SIZE, or the mean of all its candidates."""
    per_class: dict[str, list[tuple[float, dict[str, tuple[np.ndarray, np.ndarray]]]]] = {}
    for bt in runs:
        _, scale = naive_scales(bt.history)
        if scale > 0 and bt.runs:
            per_class.setdefault(bt.clase, []).append((scale, {
                alias: (pred * pooled.factor(alias), act) for alias, (pred, act) in bt.runs.items()}))
    out = {}
    for clase, rows in per_class.items():
        common = sorted(set.intersection(*(set(r) for _, r in rows)))
        if len(rows) < MIN_CLASS or not common:
            continue
        mean_rmsse = {a: _mean_rmsse(rows, [a]) for a in common}
        options = dict(mean_rmsse)
        if len(common) > COMBO_SIZE:
            best = sorted(common, key=lambda a: mean_rmsse[a])[:COMBO_SIZE]
            options[combo(best)] = _mean_rmsse(rows, best)
        if len(common) > 1:
            options[combo(common)] = _mean_rmsse(rows, common)
        out[clase] = min(options, key=lambda a: options[a])
    return out


def _mean_rmsse(rows: list[tuple[float, dict[str, tuple[np.ndarray, np.ndarray]]]],
                members: list[str]) -> float:
    """Mean over products of the RMSSE of the mean of ``members``' forecasts."""
    values = []
    for scale, runs in rows:
        pred = np.mean([runs[m][0] for m in members], axis=0)
        act = runs[members[0]][1]
        values.append(math.sqrt(float(np.mean((pred - act) ** 2))) / scale)
    return float(np.mean(values))
