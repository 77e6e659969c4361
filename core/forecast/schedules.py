"""The forecast schedules, declared into ``core.schedules``: the weekly retrain and the
retrain after a sales sync (off unless FORECAST_RETRAIN_AFTER_SYNC)."""

from __future__ import annotations

from core.schedules import Schedule, declare

STARTER = "core.forecast.train:start_retrain"

declare(Schedule(name="forecast-retrain", label="Reentrenamiento de pronósticos",
                 starter=STARTER, setting="forecast_retrain_cron"))
declare(Schedule(name="forecast-after-ventas",
                 label="Reentrenamiento tras sincronizar ventas", starter=STARTER,
                 event="after:ventas", toggle="forecast_retrain_after_sync"))
