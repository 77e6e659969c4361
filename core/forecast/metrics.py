"""Accuracy measures of a forecast against what happened.

MASE and RMSSE are scaled by the in-sample one-step naive error of the training history (so 1.0
means "as good as repeating yesterday, in sample"); bias is (Σ forecast − Σ actual) / Σ actual.
"""

from __future__ import annotations

import math

import numpy as np


def naive_scales(history: np.ndarray, m: int = 1) -> tuple[float, float]:
    """(MAE, RMSE) of the in-sample m-step seasonal naive forecast."""
    history = np.asarray(history, dtype=float)
    if history.size <= m:
        return 0.0, 0.0
    diff = history[m:] - history[:-m]
    return float(np.mean(np.abs(diff))), float(math.sqrt(np.mean(diff ** 2)))


def _nan(x: float) -> float | None:
    return None if x is None or not math.isfinite(x) else float(x)


def scores(actual: np.ndarray, forecast: np.ndarray, *, history: np.ndarray, m: int = 1,
           lo80: np.ndarray | None = None, hi80: np.ndarray | None = None,
           lo95: np.ndarray | None = None, hi95: np.ndarray | None = None) -> dict[str, float | None]:
    """MAE, RMSE, R², MASE, RMSSE, bias and interval coverage (None where undefined)."""
    a = np.asarray(actual, dtype=float)
    f = np.asarray(forecast, dtype=float)
    err = f - a
    mae = float(np.mean(np.abs(err)))
    rmse = float(math.sqrt(np.mean(err ** 2)))
    ss_tot = float(np.sum((a - a.mean()) ** 2))
    r2 = 1.0 - float(np.sum(err ** 2)) / ss_tot if ss_tot > 0 else float("nan")
    s_mae, s_rmse = naive_scales(history, m)
    total = float(a.sum())
    out: dict[str, float | None] = {
        "mae": mae, "rmse": rmse, "r2": _nan(r2),
        "mase": _nan(mae / s_mae) if s_mae > 0 else None,
        "rmsse": _nan(rmse / s_rmse) if s_rmse > 0 else None,
        "bias": _nan((float(f.sum()) - total) / total) if total > 0 else None,
    }
    if lo80 is not None and hi80 is not None:
        out["cobertura_80"] = float(np.mean((a >= lo80) & (a <= hi80)))
    if lo95 is not None and hi95 is not None:
        out["cobertura_95"] = float(np.mean((a >= lo95) & (a <= hi95)))
    return out
