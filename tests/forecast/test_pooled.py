"""The weekday-profile models and the factors a run learns over all its products, on series
built here with known answers."""

from __future__ import annotations

import json
from datetime import date, timedelta

import numpy as np
import pytest

from core.forecast import backtest, models, pooled
from core.forecast.models import Pooled

END = date(2026, 11, 30)  # a Monday
WEEK = np.array([0.0, 10, 10, 10, 10, 10, 20])  # y[-1] (20) falls on END when tiled


def weekly(weeks: int = 20, pattern: np.ndarray = WEEK) -> np.ndarray:
    return np.tile(pattern, weeks)


def _weekday_of(y: np.ndarray, i: int) -> int:
    return (END - timedelta(days=y.size - 1 - i)).weekday()


def test_weekday_shares_put_each_days_units_on_its_weekday():
    y = weekly(12)
    shares = models.weekday_shares(y, END)
    assert shares[END.weekday()] == 12 * 20  # Monday: the busy day
    assert shares[(END.weekday() + 1) % 7] == 0  # Tuesday: closed
    assert shares.sum() == 12 * 70
    profile = pooled.weekday_profile([y, 2 * y], END)
    assert profile is not None and sum(profile) == pytest.approx(7.0)
    assert profile[0] == pytest.approx(20 / 10)  # Monday sells twice the daily mean


def test_the_pooled_profile_model_spreads_the_level_over_the_week():
    y = weekly()
    profile = pooled.weekday_profile([y], END)
    out = models.WEEKDAY_POOLED.forecast(y, 14, start=END + timedelta(days=1),
                                         pooled=Pooled(weekday=profile))
    # level 10 a day, shares WEEK / 70: exactly the pattern, continuing on Tuesday
    assert np.allclose(out, np.tile(WEEK, 2))
    # without a pooled profile (or a date) it is the flat 28-day level
    assert np.allclose(models.WEEKDAY_POOLED.forecast(y, 7, start=END + timedelta(days=1)), 10.0)
    assert np.allclose(models.WEEKDAY_POOLED.forecast(y, 7), 10.0)


def test_the_own_profile_is_shrunk_towards_the_pool_by_units_sold():
    flat = Pooled(weekday=tuple([1.0] * 7))
    start = END + timedelta(days=1)  # a Tuesday: the closed day of WEEK
    for scale, sold in ((1.0, 12 * 70), (0.01, 12 * 0.7)):
        y = weekly(pattern=WEEK * scale)
        out = models.WEEKDAY_OWN.forecast(y, 7, start=start, pooled=flat)
        weight = sold / (sold + models.PROFILE_PRIOR)
        level = 10 * scale
        # Tuesday: own share 0, pool 1/7; Monday (day 7): own 20/70, pool 1/7
        assert out[0] == pytest.approx(level * 7 * (1 - weight) / 7)
        assert out[6] == pytest.approx(level * 7 * (weight * 20 / 70 + (1 - weight) / 7))
    heavy = models.WEEKDAY_OWN.forecast(weekly(), 7, start=start, pooled=flat)
    assert heavy[0] < 2.5 and heavy[6] > 15  # a big seller keeps most of its own week


def test_a_shared_rise_is_measured_as_a_bias_correction_above_one():
    # every product rises by the same 1 % a day: the 28-day mean lags behind
    t = np.arange(200, dtype=float)
    rising = [(1 + k) * (10 + 0.1 * t) for k in range(12)]
    out = pooled.learn(rising, end=END, models=[models.WINDOW_AVERAGE], h=28, windows=3)
    # window w starts at c = 200 - (3 - w) * 28: forecast 10 + 0.1 (c - 14.5), actual mean
    # 10 + 0.1 (c + 13.5); the factor is the ratio of their sums over the three windows
    cuts = [200 - (3 - w) * 28 for w in range(3)]
    expected = sum(10 + 0.1 * (c + 13.5) for c in cuts) / sum(10 + 0.1 * (c - 14.5) for c in cuts)
    assert out.factors["window_average"] == pytest.approx(expected)
    corrected = models.WINDOW_AVERAGE.forecast(rising[0], 28, pooled=out)
    assert corrected[0] == pytest.approx(expected * (10 + 0.1 * (199 - 13.5)))
    assert pooled.learn(rising, end=END, models=[models.WINDOW_AVERAGE], h=28, windows=3,
                        correct=False).factors == {}
    falling = [y[::-1].copy() for y in rising]
    assert pooled.learn(falling, end=END, models=[models.WINDOW_AVERAGE]).factors[
        "window_average"] < 1.0
    steady = [np.full(200, 5.0 + k) for k in range(12)]
    assert pooled.learn(steady, end=END, models=[models.WINDOW_AVERAGE]).factors[
        "window_average"] == pytest.approx(1.0)


def test_a_wild_correction_is_clipped_and_forecasts_stay_non_negative():
    wild = Pooled(factors={"ses": 50.0, "window_average": -3.0})
    y = np.full(60, 4.0)
    assert np.allclose(models.SES.forecast(y, 5, pooled=wild), 4.0 * models.FACTOR_RANGE[1])
    assert np.allclose(models.WINDOW_AVERAGE.forecast(y, 5, pooled=wild),
                       4.0 * models.FACTOR_RANGE[0])


def test_each_class_gets_the_model_with_the_lowest_mean_backtest_rmsse():
    rng = np.random.default_rng(7)
    smooth = [weekly() + rng.normal(0, 1, 140) + 5 for _ in range(12)]
    out = pooled.learn(smooth, end=END, models=[models.WINDOW_AVERAGE, models.SEASONAL_NAIVE,
                                                models.WEEKDAY_POOLED], h=14, windows=3)
    assert out.weekday is not None
    assert out.defaults == {"smooth": "weekday_pooled"}  # sees the week, averages the noise
    few = pooled.learn(smooth[:3], end=END, models=[models.WINDOW_AVERAGE], h=14)
    assert few.defaults == {}  # three products are too few to set a class default


def test_a_product_leaves_its_class_default_only_when_clearly_better():
    rng = np.random.default_rng(8)
    pool = [models.WINDOW_AVERAGE, models.SES, models.SEASONAL_NAIVE]
    noise = rng.poisson(8, 200).astype(float)
    free = backtest.choose(noise, end=END, h=28, windows=3, models=pool)
    scores = {a: s["rmsse"] for a, s in free.candidatos.items()}
    runner_up = max(scores, key=lambda a: scores[a] if a != "seasonal_naive" else -1)
    assert free.modelo != runner_up
    within = scores[runner_up] * (1 - backtest.SWITCH_MARGIN) < scores[free.modelo]
    held = backtest.choose(noise, end=END, h=28, windows=3, models=pool,
                           pooled=Pooled(defaults={free.clase: runner_up}))
    assert held.modelo == (runner_up if within else free.modelo)
    # a pure weekly pattern is far better served by its own winner than by a flat default
    y = weekly()
    own = backtest.choose(y, end=END, h=14, windows=3, models=pool,
                          pooled=Pooled(defaults={"smooth": "window_average",
                                                  "erratic": "window_average"}))
    assert own.modelo != "window_average" and own.metricas["rmsse"] == pytest.approx(0, abs=0.05)


def test_the_pooled_factors_survive_json():
    data = Pooled(weekday=(1.0,) * 7, factors={"ses": 1.1}, defaults={"smooth": "ses"},
                  margin=0.3)
    assert Pooled.from_json(json.loads(json.dumps(data.as_json()))) == data
    assert Pooled.from_json(None) == Pooled()


@pytest.mark.parametrize("clase", ["smooth", "erratic", "intermittent", "lumpy", "none"])
def test_any_combination_of_a_class_fits_the_stored_model_column(clase):
    from core.models import forecast_models

    aliases = [m.alias for m in models.candidates(clase, prophet=True)]
    alias = backtest.combo(aliases)
    assert len(alias) <= forecast_models.c.modelo.type.length  # 40: PostgreSQL would refuse more
    assert backtest.members(alias) == aliases
    assert backtest.members("comb:ses+theta+tsb") == ["ses", "theta", "tsb"]  # older rows


def test_a_class_default_that_is_a_combination_is_scored_and_chosen():
    rng = np.random.default_rng(9)
    y = rng.poisson(6, 200).astype(float)
    pool = [models.WINDOW_AVERAGE, models.SES, models.NAIVE]
    default = backtest.combo(["window_average", "ses"])
    out = backtest.choose(y, end=END, h=28, windows=3, models=pool,
                          pooled=Pooled(defaults={"smooth": default}))
    assert default in out.candidatos
    singles = {a: s["rmsse"] for a, s in out.candidatos.items() if a != default}
    if min(singles.values()) > (1 - backtest.SWITCH_MARGIN) * out.candidatos[default]["rmsse"]:
        assert out.modelo == default
    expected = np.mean([models.WINDOW_AVERAGE.forecast(y, 7), models.SES.forecast(y, 7)], axis=0)
    assert np.allclose(backtest.point_forecast(default, y, 7), expected)


def test_the_batch_learns_its_factors_once_and_on_demand_training_uses_them(clean_db,
                                                                             monkeypatch):
    from core.forecast import service, store, train
    from tests.forecast.factories import make_sales

    ids = make_sales({f"P{k}": list(np.tile(WEEK * (1 + k), 16)) for k in range(4)})
    run_id = store.create_run(kind=store.KIND_BATCH, trigger="prueba", horizon_days=90,
                              history_days=730)
    train.train_all(run_id=run_id, inline=True)
    learnt = train.run_pooled(store.get_run(run_id))
    assert learnt is not None and learnt.weekday is not None
    # the sales end on Monday 2026-11-30 with WEEK's busy day: Monday 2×, Tuesday closed
    assert learnt.weekday[0] == pytest.approx(2.0) and learnt.weekday[1] == 0.0
    assert train.latest_pooled() == learnt
    seen: list[Pooled | None] = []
    real = train.choose

    def spy(*args, **kwargs):
        seen.append(kwargs.get("pooled"))
        return real(*args, **kwargs)

    monkeypatch.setattr(train, "choose", spy)
    row = service.train_single(ids["P1"])
    assert seen == [learnt]
    # the closed Tuesday stays closed in the stored forecast
    assert row["valores"]["yhat"][0] == pytest.approx(0.0, abs=0.5)


def test_pick_keeps_the_default_unless_the_winner_beats_it_by_the_margin():
    keys = {"a": 1.0, "b": 0.85, "comb:a+b": 0.9}
    assert backtest.pick(keys, default="a", margin=0.1) == "b"  # 0.85 ≤ 0.9 × 1.0
    assert backtest.pick(keys, default="a", margin=0.2) == "a"  # 0.85 > 0.8 × 1.0
    assert backtest.pick(keys, default=None, margin=1.0) == "b"  # no default: the lowest
    assert backtest.pick(keys, default="a", margin=0.0) == "b"


def _hand_backtests(errors: list[tuple[float, float, float, float]]) -> list[backtest.Backtests]:
    """Products of one class, two windows of h = 2 days; actuals 0, so a forecast is its error.
    Each row: (a in window 1, a in window 2, b in window 1, b in window 2). The history's
    one-step naive RMSE is 1, so a product's RMSSE is the RMSE of its errors."""
    history = np.tile([0.0, 1.0], 10)
    zeros = np.zeros(4)
    return [backtest.Backtests("smooth", 2, 2, history, {
        "a": (np.array([a1, a1, a2, a2]), zeros), "b": (np.array([b1, b1, b2, b2]), zeros)})
        for a1, a2, b1, b2 in errors]


def test_the_switch_margin_is_learnt_on_windows_left_out():
    # b looks excellent on one window and is awful on the other: whoever leaves the class
    # default (a) on one window's evidence pays on the other, so the margin is "never leave"
    lucky = _hand_backtests([(1, 1, 0.2, 5) if k % 2 else (1, 1, 5, 0.2) for k in range(12)])
    assert pooled._cross_validate(lucky, corrects=(False,)) == (False, 1.0)
    # four products really are better served by b, in both windows: switching on one window's
    # evidence pays on the other, and the smallest margin that does it is kept
    real = _hand_backtests([(0.2, 0.2, 1, 1)] * 12 + [(1, 1, 0.2, 0.2)] * 4)
    assert pooled._cross_validate(real, corrects=(False,)) == (False, 0.0)
    assert pooled._cross_validate([]) is None
    one_window = [backtest.Backtests("smooth", 2, 1, np.tile([0.0, 1.0], 10),
                                     {"a": (np.ones(2), np.zeros(2))})]
    assert pooled._cross_validate(one_window) is None  # nothing to leave out


def test_choose_uses_the_runs_learnt_margin():
    rng = np.random.default_rng(8)
    pool = [models.WINDOW_AVERAGE, models.SES, models.SEASONAL_NAIVE]
    y = weekly() + rng.normal(0, 1, 140)
    free = backtest.choose(y, end=END, h=14, windows=3, models=pool)
    assert free.modelo != "window_average"  # the weekly pattern: seasonal naive is far better
    stay = Pooled(defaults={free.clase: "window_average"}, margin=1.0)
    assert backtest.choose(y, end=END, h=14, windows=3, models=pool,
                           pooled=stay).modelo == "window_average"
    leave = Pooled(defaults={free.clase: "window_average"}, margin=0.0)
    assert backtest.choose(y, end=END, h=14, windows=3, models=pool,
                           pooled=leave).modelo == free.modelo


def _one_model(windows: list[tuple[float, float]]) -> list[backtest.Backtests]:
    """12 products, one model, two windows of h = 2 days: (actual, forecast) per window."""
    history = np.tile([0.0, 1.0], 10)
    act = np.repeat([a for a, _ in windows], 2)
    pred = np.repeat([f for _, f in windows], 2)
    return [backtest.Backtests("smooth", 2, 2, history, {"a": (pred, act)})] * 12


def test_the_bias_correction_is_kept_only_when_it_helps_on_windows_left_out():
    # forecasts 20 % short in both windows: the factor learnt on one (10 / 8) fixes the other
    short = _one_model([(10, 8), (10, 8)])
    assert pooled._cross_validate(short, margins=(0.1,)) == (True, 0.1)
    # short in one window, long in the other: a factor learnt on either makes the other worse
    # (1.25 × 10 = 12.5 against 8; 0.8 × 8 = 6.4 against 10, both errors above 2)
    swinging = _one_model([(10, 8), (8, 10)])
    assert pooled._cross_validate(swinging, margins=(0.1,)) == (False, 0.1)
    # the same through learn(): a level of 10, then 28 days at 12 and 28 at 8; the 28-day mean
    # is 20 % short in the first window and 50 % long in the second
    swing = np.r_[np.tile([9.0, 11], 56), np.tile([11.0, 13], 14), np.tile([7.0, 9], 14)]
    out = pooled.learn([swing * (1 + k) for k in range(12)], end=END,
                       models=[models.WINDOW_AVERAGE], h=28, windows=2)
    assert out.factors == {}
    rising = np.r_[np.tile([9.0, 11], 56), np.tile([11.0, 13], 14), np.tile([13.0, 15], 14)]
    assert pooled.learn([rising * (1 + k) for k in range(12)], end=END,
                        models=[models.WINDOW_AVERAGE], h=28, windows=2).factors
