"""History and forecast of one product by día, semana or mes (the forecast page's views).

Units and the forecast are summed over the period. The interval bounds are not: adding up each
day's 95 % bound assumes every day misses on the same side at once, which makes a week's
interval about 7/√7 ≈ 2.6 times wider than it is when the days' errors are independent. Each
side is combined as the square root of the sum of the squared daily distances to the forecast
(lower = Σŷ − √Σ(ŷ − lo)², upper = Σŷ + √Σ(hi − ŷ)², never below 0), which is exact for
independent errors and keeps each side's asymmetry. When errors run together (a trend the
model missed) this understates the width; the buyer sees it in the daily view.

Weeks start on the forecast's first day, so no week is split between history and forecast;
months are calendar months, and ``dias`` says how many days each period holds.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import numpy as np
import pandas as pd

from core.forecast.series import aggregate, period_start

PERIODS = {"dia": "D", "semana": "W", "mes": "MS"}
LABELS = {"dia": "Día", "semana": "Semana", "mes": "Mes"}
BOUNDS = {"lo80": "hi80", "lo95": "hi95"}  # lower → upper of each level


def _freq(period: str) -> str:
    if period not in PERIODS:
        raise ValueError(f"unknown period {period!r}")
    return PERIODS[period]


def history_by_period(history: list[dict[str, Any]], *, period: str,
                      week_start: date) -> pd.DataFrame:
    """(fecha, unidades, dias) per period from the daily history [{fecha, unidades}]."""
    if not history:
        return pd.DataFrame(columns=["fecha", "unidades", "dias"])
    long = pd.DataFrame({"producto": 0, "fecha": pd.to_datetime([h["fecha"] for h in history]),
                         "unidades": [float(h["unidades"]) for h in history]})
    out = aggregate(long, _freq(period), week_start=week_start)
    return out.assign(fecha=out["fecha"].dt.date)[["fecha", "unidades", "dias"]]


def forecast_by_period(fc: dict[str, Any], *, days: int, period: str) -> pd.DataFrame:
    """(fecha, yhat, lo80, hi80, lo95, hi95, dias) per period of the first ``days`` forecast
    days of a stored forecast (``fecha_inicio`` and ``valores``)."""
    start: date = fc["fecha_inicio"]
    v = fc["valores"]
    daily = pd.DataFrame({k: np.asarray(v[k][:days], dtype=float)
                          for k in ("yhat", "lo80", "hi80", "lo95", "hi95")})
    daily["fecha"] = [start + timedelta(days=i) for i in range(len(daily))]
    daily["periodo"] = period_start(pd.Series(pd.to_datetime(daily["fecha"])), _freq(period),
                                    week_start=start).dt.date
    for lo, hi in BOUNDS.items():  # squared distances to the forecast, each side
        daily[lo] = (daily["yhat"] - daily[lo]).clip(lower=0) ** 2
        daily[hi] = (daily[hi] - daily["yhat"]).clip(lower=0) ** 2
    grouped = daily.groupby("periodo", sort=True)
    out = grouped[["yhat", "lo80", "hi80", "lo95", "hi95"]].sum()
    out["dias"] = grouped.size()
    for lo, hi in BOUNDS.items():
        out[lo] = (out["yhat"] - np.sqrt(out[lo])).clip(lower=0)
        out[hi] = out["yhat"] + np.sqrt(out[hi])
    return out.reset_index().rename(columns={"periodo": "fecha"})[
        ["fecha", "yhat", "lo80", "hi80", "lo95", "hi95", "dias"]]
