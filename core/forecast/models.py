"""One interface for every model: ``forecast(y, h, start=…)`` → h non-negative daily means.

statsforecast's compiled models (Theta, ETS, SES, seasonal ES, Croston/SBA, TSB, seasonal naive,
window average), a recent level times a day-of-week profile, and Prophet sit behind the same
small class, each with an alias (the stored name) and a Spanish label. ``Pooled`` carries what is
learnt over all products of a run (the pooled weekday profile and each model's bias correction);
every model takes it. Intervals are not the model's own: ``core.forecast.backtest`` builds them
from the model's rolling-origin errors (split-conformal), so every model has them and their
coverage is measured on the product's own history.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import numpy as np

log = logging.getLogger(__name__)
SEASON = 7  # days: the weekly pattern of daily sales
LEVEL_DAYS = 28  # the recent level of the weekday-profile models
PROFILE_WEEKS = 12  # weeks whose sales give a weekday profile
PROFILE_PRIOR = 200.0  # units: a product's own profile weighs sold / (sold + this) against the pool
FACTOR_RANGE = (0.5, 2.0)  # a pooled bias correction outside this is not trusted


@dataclass(frozen=True)
class Pooled:
    """What one run learns over all its products, from their training history only.

    ``weekday``: share × 7 of the units sold on each weekday (Monday first), summed over the
    products; ``factors``: per model alias, Σ actual / Σ forecast over the rolling-origin
    backtest windows (a multiplicative bias correction; none when cross-validation over those
    windows found that correcting makes the forecasts worse); ``defaults``: per Syntetos–Boylan
    class, the alias with the lowest mean backtest RMSSE over the products of that class;
    ``margin``: how much lower (a fraction) a product's own backtest RMSSE must be for it to
    leave its class default, learnt by cross-validating over the backtest windows (None: the
    fixed ``core.forecast.backtest.SWITCH_MARGIN``).
    """

    weekday: tuple[float, ...] | None = None
    factors: dict[str, float] = field(default_factory=dict)
    defaults: dict[str, str] = field(default_factory=dict)
    margin: float | None = None

    def factor(self, alias: str) -> float:
        lo, hi = FACTOR_RANGE
        return min(max(float(self.factors.get(alias, 1.0)), lo), hi)

    def as_json(self) -> dict[str, Any]:
        return {"weekday": list(self.weekday) if self.weekday else None,
                "factors": dict(self.factors), "defaults": dict(self.defaults),
                "margin": self.margin}

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> Pooled:
        data = data or {}
        weekday = data.get("weekday")
        margin = data.get("margin")
        return cls(tuple(float(v) for v in weekday) if weekday else None,
                   {str(k): float(v) for k, v in (data.get("factors") or {}).items()},
                   {str(k): str(v) for k, v in (data.get("defaults") or {}).items()},
                   float(margin) if margin is not None else None)


NEUTRAL = Pooled()


@dataclass(frozen=True)
class Model:
    """A forecasting model: ``alias`` is stored, ``label`` is what a person reads."""

    alias: str
    label: str
    make: Callable[[], Any] | None  # a statsforecast model factory; None for Prophet / own
    min_history: int = 14
    fit_window: int | None = None  # fit on the last N days only (speed; older data adds little)
    own: Callable[[np.ndarray, int, date | None, Pooled], np.ndarray] | None = None

    def forecast(self, y: np.ndarray, h: int, *, start: date | None = None,
                 pooled: Pooled | None = None) -> np.ndarray:
        """h daily means from ``y`` (oldest first), times the run's pooled bias correction of
        this model; never negative."""
        pooled = pooled or NEUTRAL
        y = np.asarray(y, dtype=float)
        if self.fit_window is not None and len(y) > self.fit_window:
            y = y[-self.fit_window:]
        if len(y) < self.min_history or not np.any(y):
            return np.zeros(h) if not np.any(y) else np.full(h, max(float(np.mean(y)), 0.0))
        if self.own is not None:
            mean = self.own(y, h, start, pooled)
        elif self.make is None:
            mean = _prophet(y, h, start=start)
        else:
            mean = np.asarray(self.make().forecast(y=y, h=h)["mean"], dtype=float)
        mean = np.nan_to_num(mean, nan=0.0, posinf=0.0, neginf=0.0) * pooled.factor(self.alias)
        return np.clip(mean, 0.0, None)


def weekday_shares(y: np.ndarray, last_day: date, weeks: int = PROFILE_WEEKS) -> np.ndarray:
    """Units sold on each weekday (Monday first) over the last ``weeks`` weeks ending on
    ``last_day``."""
    n = min(len(y), weeks * SEASON)
    tail = np.asarray(y[len(y) - n:], dtype=float)
    first = (last_day - timedelta(days=n - 1)).weekday()
    days = (first + np.arange(n)) % SEASON
    return np.bincount(days, weights=np.clip(tail, 0, None), minlength=SEASON)


def _weekday_profile(y: np.ndarray, h: int, start: date | None, pooled: Pooled,
                     prior: float) -> np.ndarray:
    """The mean of the last LEVEL_DAYS days spread over the week by a weekday profile: the
    product's own (weight sold / (sold + prior)) shrunk towards the run's pooled profile.
    Without a date or a pooled profile it is the flat level."""
    level = float(np.mean(y[-LEVEL_DAYS:]))
    if start is None:
        return np.full(h, level)
    own = weekday_shares(y, start - timedelta(days=1))
    sold = float(own.sum())
    pool = np.asarray(pooled.weekday, dtype=float) / SEASON if pooled.weekday else None
    if pool is None:
        pool = np.full(SEASON, 1.0 / SEASON)
    weight = sold / (sold + prior) if np.isfinite(prior) and sold > 0 else 0.0
    shares = weight * (own / sold if sold > 0 else pool) + (1 - weight) * pool
    days = (start.weekday() + np.arange(h)) % SEASON
    return level * SEASON * shares[days]


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
WEEKDAY_POOLED = Model("weekday_pooled", "Promedio de 28 días repartido por día de la semana (perfil de todos)",
                        None, min_history=28,
                        own=lambda y, h, s, p: _weekday_profile(y, h, s, p, float("inf")))
WEEKDAY_OWN = Model("weekday_own", "Promedio de 28 días repartido por día de la semana (perfil propio)",
                    None, min_history=28,
                    own=lambda y, h, s, p: _weekday_profile(y, h, s, p, PROFILE_PRIOR))
PROPHET = Model("prophet", "Prophet (semana, año y días festivos de México)", None,
                min_history=8 * SEASON)

MODELS: dict[str, Model] = {m.alias: m for m in (
    NAIVE, SEASONAL_NAIVE, WINDOW_AVERAGE, SES, SEASONAL_ES, THETA, ETS, CROSTON_SBA, TSB,
    WEEKDAY_POOLED, WEEKDAY_OWN, PROPHET)}


def candidates(clase: str, *, prophet: bool) -> list[Model]:
    """The models tried on a product of Syntetos–Boylan class ``clase``.

    Intermittent and lumpy series get the methods made for them (SBA, TSB) instead of models
    that assume demand every day; smooth and erratic series get the seasonal family, and
    Prophet when enabled (it is the slowest by far, so only where the series is dense). Every
    class with sales gets the weekday-profile level models (a shop closed on Saturdays sells
    nothing on Saturdays, however intermittent its products).
    """
    base = [SEASONAL_NAIVE, WINDOW_AVERAGE, SES, WEEKDAY_POOLED, WEEKDAY_OWN]
    if clase in ("intermittent", "lumpy"):
        return [*base, CROSTON_SBA, TSB]
    if clase == "none":
        return [WINDOW_AVERAGE]
    extra = [SEASONAL_ES, THETA, TSB]
    if prophet and clase == "smooth":
        extra.append(PROPHET)
    return [*base, *extra]
