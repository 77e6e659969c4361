"""One interface for every model: ``forecast(y, h, start=…)`` → h non-negative daily means.

statsforecast's compiled models (Theta, ETS, SES, seasonal ES, Croston/SBA, TSB, seasonal naive,
window average) and Prophet sit behind the same small class, each with an alias (the stored
name) and a Spanish label. Intervals are not the model's own: ``core.forecast.backtest`` builds
them from the model's rolling-origin errors (split-conformal), so every model has them and their
coverage is measured on the product's own history.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np

log = logging.getLogger(__name__)
SEASON = 7  # days: the weekly pattern of daily sales


@dataclass(frozen=True)
class Model:
    """A forecasting model: ``alias`` is stored, ``label`` is what a person reads."""

    alias: str
    label: str
    make: Callable[[], Any] | None  # a statsforecast model factory; None for Prophet
    min_history: int = 14
    fit_window: int | None = None  # fit on the last N days only (speed; older data adds little)

    def forecast(self, y: np.ndarray, h: int, *, start: date | None = None) -> np.ndarray:
        """h daily means from ``y`` (oldest first); never negative."""
        y = np.asarray(y, dtype=float)
        if self.fit_window is not None and len(y) > self.fit_window:
            y = y[-self.fit_window:]
        if len(y) < self.min_history or not np.any(y):
            return np.zeros(h) if not np.any(y) else np.full(h, max(float(np.mean(y)), 0.0))
        if self.make is None:
            mean = _prophet(y, h, start=start)
        else:
            mean = np.asarray(self.make().forecast(y=y, h=h)["mean"], dtype=float)
        mean = np.nan_to_num(mean, nan=0.0, posinf=0.0, neginf=0.0)
        return np.clip(mean, 0.0, None)


def _prophet(y: np.ndarray, h: int, *, start: date | None) -> np.ndarray:
    """Prophet with weekly and yearly seasonality and Mexican holidays, on the days ending
    the day before ``start`` (today when None)."""
    import pandas as pd

    from core.forecast.prophet_model import fit_predict

    end = pd.Timestamp(start or date.today()) - pd.Timedelta(days=1)
    ds = pd.date_range(end=end, periods=len(y), freq="D")
    return fit_predict(ds, y, h)


def _sf(name: str, **kwargs: Any) -> Callable[[], Any]:
    def make() -> Any:
        from statsforecast import models

        return getattr(models, name)(**kwargs)
    return make


NAIVE = Model("naive", "Ingenuo (repetir ayer)", _sf("Naive"), min_history=1)
SEASONAL_NAIVE = Model("seasonal_naive", "Repetir la semana pasada",
                       _sf("SeasonalNaive", season_length=SEASON), min_history=SEASON)
WINDOW_AVERAGE = Model("window_average", "Promedio de los últimos 28 días",
                       _sf("WindowAverage", window_size=28), min_history=28)
SES = Model("ses", "Suavizamiento exponencial simple", _sf("SimpleExponentialSmoothingOptimized"))
SEASONAL_ES = Model("seasonal_es", "Suavizamiento exponencial por día de la semana",
                    _sf("SeasonalExponentialSmoothingOptimized", season_length=SEASON),
                    min_history=4 * SEASON)
THETA = Model("theta", "Theta optimizado (estacional semanal)",
              _sf("OptimizedTheta", season_length=SEASON), min_history=4 * SEASON, fit_window=365)
ETS = Model("ets", "Suavizamiento exponencial (ETS automático)",
            _sf("AutoETS", season_length=SEASON, model="ZNA"), min_history=4 * SEASON,
            fit_window=365)
CROSTON_SBA = Model("croston_sba", "Croston corregido (SBA)", _sf("CrostonSBA"), min_history=1)
TSB = Model("tsb", "TSB (demanda intermitente que puede extinguirse)",
            _sf("TSB", alpha_d=0.1, alpha_p=0.1), min_history=1)
PROPHET = Model("prophet", "Prophet (semana, año y días festivos de México)", None,
                min_history=8 * SEASON)

MODELS: dict[str, Model] = {m.alias: m for m in (
    NAIVE, SEASONAL_NAIVE, WINDOW_AVERAGE, SES, SEASONAL_ES, THETA, ETS, CROSTON_SBA, TSB,
    PROPHET)}


def candidates(clase: str, *, prophet: bool) -> list[Model]:
    """The models tried on a product of Syntetos–Boylan class ``clase``.

    Intermittent and lumpy series get the methods made for them (SBA, TSB) instead of models
    that assume demand every day; smooth and erratic series get the seasonal family, and
    Prophet when enabled (it is the slowest by far, so only where the series is dense).
    """
    base = [SEASONAL_NAIVE, WINDOW_AVERAGE, SES]
    if clase in ("intermittent", "lumpy"):
        return [*base, CROSTON_SBA, TSB]
    if clase == "none":
        return [WINDOW_AVERAGE]
    extra = [SEASONAL_ES, THETA, TSB]
    if prophet and clase == "smooth":
        extra.append(PROPHET)
    return [*base, *extra]
