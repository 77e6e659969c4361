"""History and forecast by día, semana and mes: sums, and bounds combined as independent errors."""

from __future__ import annotations

import math
from datetime import date, timedelta

import pandas as pd
import pytest

from core.forecast.periods import forecast_by_period, history_by_period
from core.forecast.series import aggregate


def _fc(start: date, n: int, y: float = 2.0) -> dict:
    return {"fecha_inicio": start,
            "valores": {"yhat": [y] * n, "lo80": [y - 0.5] * n, "hi80": [y + 1] * n,
                        "lo95": [max(y - 1, 0)] * n, "hi95": [y + 2] * n}}


def test_weeks_start_on_the_first_forecast_day_and_bounds_add_in_quadrature():
    start = date(2026, 12, 1)  # a Tuesday
    out = forecast_by_period(_fc(start, 10), days=10, period="semana")
    assert list(out["fecha"]) == [start, start + timedelta(days=7)]
    assert list(out["dias"]) == [7, 3]
    assert list(out["yhat"]) == [14, 6]
    # 95 %: 1 below and 2 above each day → √7·1 below and √7·2 above the week's 14
    assert out["lo95"][0] == pytest.approx(14 - math.sqrt(7))
    assert out["hi95"][0] == pytest.approx(14 + 2 * math.sqrt(7))
    assert out["lo80"][1] == pytest.approx(6 - 0.5 * math.sqrt(3))
    assert out["hi80"][1] == pytest.approx(6 + math.sqrt(3))
    # narrower than adding the daily bounds (which would give 7 and 28)
    assert out["lo95"][0] > 7 and out["hi95"][0] < 28


def test_days_are_the_stored_values_and_months_are_calendar_months():
    start = date(2026, 12, 28)
    daily = forecast_by_period(_fc(start, 10), days=5, period="dia")
    assert len(daily) == 5 and list(daily["lo95"]) == [1] * 5 and list(daily["hi80"]) == [3] * 5
    months = forecast_by_period(_fc(start, 10), days=10, period="mes")
    assert list(months["fecha"]) == [date(2026, 12, 1), date(2027, 1, 1)]
    assert list(months["dias"]) == [4, 6] and list(months["yhat"]) == [8, 12]


def test_a_lower_bound_never_goes_below_zero():
    out = forecast_by_period(_fc(date(2026, 12, 1), 7, y=0.0), days=7, period="semana")
    assert out["lo95"][0] == 0 and out["yhat"][0] == 0 and out["hi95"][0] > 0


def test_history_weeks_line_up_with_the_forecast_and_default_weeks_start_monday():
    start = date(2026, 12, 1)
    hist = [{"fecha": start - timedelta(days=i), "unidades": 1.0} for i in range(1, 15)]
    out = history_by_period(hist, period="semana", week_start=start)
    assert list(out["fecha"]) == [date(2026, 11, 17), date(2026, 11, 24)]
    assert list(out["unidades"]) == [7, 7] and list(out["dias"]) == [7, 7]
    long = pd.DataFrame({"producto": 1, "fecha": pd.date_range("2026-11-30", periods=10),
                         "unidades": 1.0})  # 2026-11-30 is a Monday
    weekly = aggregate(long, "W")
    assert list(weekly["fecha"].dt.date) == [date(2026, 11, 30), date(2026, 12, 7)]
    assert list(weekly["unidades"]) == [7, 3]
    with pytest.raises(ValueError):
        aggregate(long, "Q")
