"""Models, classes, metrics and the backtest on series built here with known answers."""

from __future__ import annotations

import math
from datetime import date

import numpy as np
import pytest

from core.forecast import backtest, classify, metrics, models

END = date(2026, 11, 30)
WEEK = np.array([0.0, 10, 10, 10, 10, 10, 20])  # closed one day, busy another


def weekly(weeks: int = 20) -> np.ndarray:
    return np.tile(WEEK, weeks)


def test_metrics_on_a_worked_example():
    # actual 1,2,3 against 2,2,2; history 1,3,2,4: naive errors 2,1,2
    out = metrics.scores(np.array([1.0, 2, 3]), np.array([2.0, 2, 2]),
                         history=np.array([1.0, 3, 2, 4]))
    assert out["mae"] == pytest.approx(2 / 3)
    assert out["rmse"] == pytest.approx(math.sqrt(2 / 3))
    assert out["r2"] == pytest.approx(0.0)  # as good as the mean of the actuals
    assert out["mase"] == pytest.approx((2 / 3) / (5 / 3))
    assert out["rmsse"] == pytest.approx(math.sqrt(2 / 3) / math.sqrt(3))
    assert out["bias"] == pytest.approx(0.0)
    assert metrics.scores(np.array([2.0]), np.array([3.0]), history=np.ones(5))["bias"] == 0.5
    assert metrics.scores(np.array([2.0]), np.array([3.0]), history=np.ones(5))["rmsse"] is None


def test_syntetos_boylan_classes_by_hand():
    # 4 sales in 4 days, sizes 5,5,5,5: ADI 1, CV² 0
    assert classify.adi_cv2(np.array([5.0, 5, 5, 5])) == (1.0, 0.0)
    assert classify.classify(np.array([5.0, 5, 5, 5])) == "smooth"
    # sizes 1 and 9 every day: mean 5, var 16, CV² 0.64
    assert classify.classify(np.array([1.0, 9] * 10)) == "erratic"
    # a sale of 3 every 4th day: ADI 4, CV² 0
    assert classify.classify(np.array([0.0, 0, 0, 3] * 10)) == "intermittent"
    assert classify.classify(np.array([0.0, 0, 0, 1, 0, 0, 0, 9] * 5)) == "lumpy"
    assert classify.classify(np.zeros(30)) == "none"


@pytest.mark.parametrize("alias", ["naive", "seasonal_naive", "window_average", "ses",
                                   "seasonal_es", "theta", "tsb"])
def test_every_model_gets_a_constant_right(alias):
    out = models.MODELS[alias].forecast(np.full(120, 5.0), 14, start=END)
    assert out.shape == (14,)
    assert np.allclose(out, 5.0, atol=0.05)


def test_sba_is_croston_debiased_by_one_minus_alpha_over_two():
    # Croston on a constant 5 sold every day gives 5; SBA multiplies by 1 - 0.1/2
    out = models.CROSTON_SBA.forecast(np.full(120, 5.0), 14)
    assert np.allclose(out, 5.0 * 0.95)


def test_a_pure_weekly_pattern_is_learnt_and_chosen():
    y = weekly()
    assert np.allclose(models.SEASONAL_NAIVE.forecast(y, 7), WEEK)
    choice = backtest.choose(y, end=END, h=14, windows=3)
    assert choice.metricas["rmsse"] == pytest.approx(0.0, abs=0.05)
    assert choice.candidatos["seasonal_naive"]["rmsse"] == pytest.approx(0.0)
    # a model that ignores the week loses to those that see it
    assert choice.candidatos["window_average"]["rmsse"] > 0.3
    fc = backtest.predict(choice.modelo, y, 14, start=END,
                          offsets=choice.offsets)
    assert np.allclose(fc.yhat, np.tile(WEEK, 2), atol=0.5)


def test_intermittent_series_get_intermittent_methods_and_never_go_negative():
    rng = np.random.default_rng(1)
    y = np.where(rng.random(300) < 0.2, rng.integers(1, 4, 300), 0).astype(float)
    choice = backtest.choose(y, end=END, h=28, windows=3)
    assert choice.clase in ("intermittent", "lumpy")
    assert {"croston_sba", "tsb"} <= set(choice.candidatos)
    assert "theta" not in choice.candidatos  # not made for mostly-zero series
    fc = backtest.predict(choice.modelo, y, 28, start=END, offsets=choice.offsets)
    for values in (fc.yhat, fc.lo80, fc.lo95, fc.hi80, fc.hi95):
        assert (values >= 0).all()
    assert 0.1 < fc.yhat.mean() < 0.8  # around the true rate 0.2 × 2


def test_a_dying_product_tsb_lets_it_go_croston_does_not():
    # sold about half the days for 200 days, then nothing for 120 days
    rng = np.random.default_rng(2)
    y = np.concatenate([(rng.random(200) < 0.5).astype(float) * 2, np.zeros(120)])
    tsb = models.TSB.forecast(y, 28)
    sba = models.CROSTON_SBA.forecast(y, 28)
    assert tsb.mean() < 0.01  # obsolescence: the probability of a sale decayed
    assert sba.mean() > 0.5  # Croston keeps forecasting the old size/interval
    choice = backtest.choose(y, end=END, h=28, windows=3)
    assert choice.candidatos["tsb"]["rmsse"] < choice.candidatos["croston_sba"]["rmsse"]


def test_a_falling_series_never_forecasts_negative_units():
    y = np.clip(np.linspace(30, -10, 200), 0, None) + np.tile([0.0, 1], 100)
    for model in models.candidates("smooth", prophet=False):
        assert (model.forecast(y, 60) >= 0).all(), model.alias


def test_intervals_cover_the_truth_near_their_nominal_rate():
    """Stationary Poisson demand: the conformal intervals' out-of-window coverage is near 80/95 %."""
    rng = np.random.default_rng(3)
    cov80, cov95 = [], []
    for _ in range(20):
        y = rng.poisson(20, 240).astype(float)
        choice = backtest.choose(y, end=END, h=28, windows=3,
                                 models=[models.WINDOW_AVERAGE, models.SES])
        cov80.append(choice.metricas["cobertura_80"])
        cov95.append(choice.metricas["cobertura_95"])
    assert 0.72 <= float(np.mean(cov80)) <= 0.88
    assert 0.89 <= float(np.mean(cov95)) <= 0.99


def test_the_lowest_rmsse_wins():
    y = weekly() + np.random.default_rng(4).normal(0, 0.5, 140)
    choice = backtest.choose(y, end=END, h=14, windows=2,
                             models=[models.WINDOW_AVERAGE, models.SEASONAL_NAIVE, models.SES])
    scores = {k: v["rmsse"] for k, v in choice.candidatos.items()}
    assert choice.modelo == min(scores, key=lambda k: scores[k]) == "seasonal_naive"


def test_prophet_learns_the_week_and_stays_non_negative():
    y = weekly(30)
    out = models.PROPHET.forecast(y, 14, start=END)
    assert (out >= 0).all()
    assert np.abs(out - np.tile(WEEK, 2)).mean() < 2.0
    assert out[0] < out[6]  # the closed day is low, the busy day high


def test_a_combination_of_the_best_three_is_a_candidate_and_is_their_mean():
    rng = np.random.default_rng(6)
    y = rng.poisson(8, 200).astype(float)
    pool = [models.WINDOW_AVERAGE, models.SES, models.SEASONAL_NAIVE, models.NAIVE]
    choice = backtest.choose(y, end=END, h=28, windows=3, models=pool)
    combos = [a for a in choice.candidatos if a.startswith(backtest.COMBO)]
    assert len(combos) == 1
    members = backtest.members(combos[0])
    singles = sorted((a for a in choice.candidatos if a not in combos),
                     key=lambda a: choice.candidatos[a]["rmsse"])
    assert members == singles[:3]  # the three lowest RMSSE
    expected = np.mean([models.MODELS[m].forecast(y, 7) for m in members], axis=0)
    assert np.allclose(backtest.point_forecast(combos[0], y, 7), expected)
