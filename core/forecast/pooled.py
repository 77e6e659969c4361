"""What a training run learns over all its products before fitting each one, from their
training history only: the pooled weekday profile, each model's bias correction and each
class's default model.

The bias correction of a model is Σ actual / Σ forecast over the rolling-origin backtest
windows of a sample of products (the same windows the per-product choice uses), so a rise or a
decline that most products share is measured on many series instead of guessed from one.

Whether to apply those corrections at all, and how much better a product's own winner must be
before it leaves its class default (the switch margin), are learnt too, by cross-validation
over the same windows: for each window, the factors, the defaults and every product's choice
are made on the other windows, and the choice is scored on the window left out; the pair with
the lowest mean RMSSE wins.
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
    members,
    pick,
)
from core.forecast.metrics import naive_scales
from core.forecast.models import SEASON, Model, Pooled, weekday_shares

SAMPLE = 300  # products backtested to learn the pooled factors (evenly spread over the run)
MIN_CLASS = 10  # products of a class needed before it gets a default model
# Switch margins tried by the cross-validation (1.0: a product never leaves its class default).
MARGINS = (0.0, 0.1, 0.2, 0.3, 0.5, 1.0)


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
          sample: int = SAMPLE, correct: bool | None = None,
          margins: tuple[float, ...] = MARGINS) -> Pooled:
    """The run's pooled profile, bias corrections, class defaults and switch margin (Prophet
    is left out: too slow to backtest on hundreds of products; it keeps a factor of 1).
    Whether to correct the bias at all and the margin are cross-validated over the backtest
    windows; ``correct`` forces the first and ``margins`` narrows the second (variants the
    bench reports)."""
    series = [np.asarray(y, dtype=float) for y in series]
    profile = weekday_profile(series, end) if daily else None
    first = Pooled(weekday=profile)
    runs: list[Backtests] = [backtests(y, end=end, prophet=False, h=h, windows=windows,
                                       models=models, pooled=first)
                             for y in _sample(series, sample)]
    options = (True, False) if correct is None else (correct,)
    chosen = _cross_validate(runs, corrects=options, margins=margins)
    use, margin = chosen if chosen is not None else (options[0], None)
    factors = _factors(runs) if use else {}
    defaults = _defaults(runs, Pooled(weekday=profile, factors=factors))
    return Pooled(weekday=profile, factors=factors, defaults=defaults,
                  margin=margin if defaults else None)


def _factors(runs: list[Backtests]) -> dict[str, float]:
    """Per model, Σ actual / Σ forecast over every backtest window of the sample."""
    actual: dict[str, float] = {}
    forecast: dict[str, float] = {}
    for bt in runs:
        for alias, (pred, act) in bt.runs.items():
            actual[alias] = actual.get(alias, 0.0) + float(act.sum())
            forecast[alias] = forecast.get(alias, 0.0) + float(pred.sum())
    return {a: actual[a] / forecast[a] for a in forecast if forecast[a] > 0 and actual[a] > 0}


def _split(bt: Backtests, k: int) -> tuple[Backtests, Backtests] | None:
    """(the other windows, the k-th window from the end) of a product's backtest; None when it
    has fewer than two windows or no k-th one."""
    if not bt.runs or bt.windows < 2 or k >= bt.windows:
        return None
    w = bt.windows - 1 - k
    inside = np.zeros(bt.windows * bt.h, dtype=bool)
    inside[w * bt.h:(w + 1) * bt.h] = True
    fit = {a: (p[~inside], y[~inside]) for a, (p, y) in bt.runs.items()}
    test = {a: (p[inside], y[inside]) for a, (p, y) in bt.runs.items()}
    return (Backtests(bt.clase, bt.h, bt.windows - 1, bt.history, fit),
            Backtests(bt.clase, bt.h, 1, bt.history, test))


def _mean_of(runs: dict[str, tuple[np.ndarray, np.ndarray]], alias: str,
             pooled: Pooled) -> tuple[np.ndarray, np.ndarray]:
    """(corrected forecast, actuals) of a model or a combination from backtest runs."""
    parts = members(alias)
    return (np.mean([runs[m][0] * pooled.factor(m) for m in parts], axis=0), runs[parts[0]][1])


def _rmsse(pred: np.ndarray, act: np.ndarray, scale: float) -> float:
    return math.sqrt(float(np.mean((pred - act) ** 2))) / scale


def _cross_validate(runs: list[Backtests], *, corrects: tuple[bool, ...] = (True, False),
                    margins: tuple[float, ...] = MARGINS) -> tuple[bool, float] | None:
    """(correct the bias or not, switch margin): the pair with the lowest mean RMSSE on windows
    left out of everything else. For the k-th window from the end, the factors, the class
    defaults and each product's choice (as ``backtest.choose`` makes it) come from the
    product's other windows; ties go to the first of ``corrects`` and the smallest margin.
    None when no product has two windows."""
    options = [(c, m) for c in corrects for m in margins]
    totals = dict.fromkeys(options, 0.0)
    count = 0
    for k in range(max((bt.windows for bt in runs), default=0)):
        folds = [s for s in (_split(bt, k) for bt in runs) if s is not None]
        if not folds:
            continue
        fit_runs = [f for f, _ in folds]
        learnt = {}
        for correct in corrects:
            factors = _factors(fit_runs) if correct else {}
            learnt[correct] = Pooled(factors=factors,
                                     defaults=_defaults(fit_runs, Pooled(factors=factors)))
        for fit, test in folds:
            _, scale = naive_scales(fit.history)
            if scale <= 0:
                continue
            count += 1
            for correct, pooled in learnt.items():
                keys = {a: _rmsse(*_mean_of(fit.runs, a, pooled), scale) for a in fit.runs}
                if len(keys) >= COMBO_SIZE:
                    top = sorted(keys, key=lambda a: keys[a])[:COMBO_SIZE]
                    keys[combo(top)] = _rmsse(*_mean_of(fit.runs, combo(top), pooled), scale)
                default = pooled.defaults.get(fit.clase)
                if default and default not in keys and all(m in fit.runs
                                                           for m in members(default)):
                    keys[default] = _rmsse(*_mean_of(fit.runs, default, pooled), scale)
                for margin in margins:
                    alias = pick(keys, default=default, margin=margin)
                    totals[(correct, margin)] += _rmsse(*_mean_of(test.runs, alias, pooled),
                                                        scale)
    if not count:
        return None
    return min(options, key=lambda o: totals[o])


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
        values.append(_rmsse(pred, act, scale))
    return float(np.mean(values))
