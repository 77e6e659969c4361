"""Prophet behind our interface: weekly and yearly seasonality, Mexican holidays, never negative."""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd


def fit_predict(ds: pd.DatetimeIndex, y: np.ndarray, h: int) -> np.ndarray:
    """Fit Prophet on (ds, y) and return the next h daily means (clipped at 0)."""
    from prophet import Prophet

    for name in ("cmdstanpy", "prophet"):
        logging.getLogger(name).setLevel(logging.WARNING)
    yearly = len(y) >= 365
    model = Prophet(weekly_seasonality=True, yearly_seasonality=yearly,
                    daily_seasonality=False, uncertainty_samples=0)
    model.add_country_holidays(country_name="MX")
    model.fit(pd.DataFrame({"ds": ds, "y": y}))
    future = model.make_future_dataframe(periods=h, freq="D", include_history=False)
    out = model.predict(future)["yhat"].to_numpy(dtype=float)
    return np.clip(out, 0.0, None)
