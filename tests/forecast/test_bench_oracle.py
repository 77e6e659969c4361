"""The bench's oracles (forecasts that see the held-out truth) on a table built here."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from bench import forecast as bench


def test_spread_puts_each_blocks_total_on_its_weekdays():
    weekdays = np.array([5, 6, 0, 1, 2, 3, 4])  # blocks start on a Saturday
    shares = np.array([1.0, 1, 1, 1, 1, 0, 2])  # Monday first: closed Saturday, busy Sunday
    out = bench._spread(np.array([7.0, 14.0]), shares, weekdays)
    assert out.tolist() == [0, 2, 1, 1, 1, 1, 1, 0, 4, 2, 2, 2, 2, 2]
    assert np.allclose(bench._spread(np.array([7.0]), np.zeros(7), weekdays), 1.0)


def test_the_weekly_own_oracle_is_exact_on_a_pattern_repeated_each_week():
    days = pd.date_range(end=bench.HOLD_END, periods=140, freq="D")
    # product A: the same week every week (its own held-out profile and weekly totals are
    # the truth); product B: flat but twice as much in the held-out weeks
    a = np.tile([0.0, 3, 1, 1, 1, 1, 0], 20)
    b = np.r_[np.full(112, 2.0), np.full(28, 4.0)]
    b[::3] += 1  # a non-zero naive scale
    out = bench.oracle_daily(pd.DataFrame({"A": a, "B": b}, index=days), 28)
    assert out["weeks_own"]["bias"] == pytest.approx(0.0)
    assert out["total_flat"]["bias"] == pytest.approx(0.0)
    assert out["weeks_own"]["rmsse"] <= out["total_own"]["rmsse"] <= out["total_flat"]["rmsse"]
