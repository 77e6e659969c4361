"""Training: one product on demand, and the batch over every product sold in the window as a
job on the ``ml`` queue, split in chunks that the available workers share.

The batch first learns the run's pooled factors (``core.forecast.pooled``) on the training
history, stores them in the run's ``parameters`` and hands them to every chunk; a product
trained on demand uses those of the newest batch run that has them.
"""

from __future__ import annotations

import json
import logging
from datetime import timedelta
from typing import Any

from core import jobs
from core.config import get_settings
from core.forecast import store
from core.forecast.backtest import Choice, Forecast, choose, predict
from core.forecast.models import Pooled
from core.forecast.series import as_arrays, daily_units, last_sales_day

log = logging.getLogger(__name__)
HORIZON_DAYS = 90  # what is stored: the longest horizon a person may ask for
JOB_KIND, CHUNK_KIND = "forecast", "forecast-chunk"


POOLED_KEY = "pooled"  # where a run's pooled factors live in forecast_runs.parameters


def run_pooled(run: dict[str, Any] | None) -> Pooled | None:
    """The pooled factors stored with a run, if any."""
    try:
        params = json.loads((run or {}).get("parameters") or "{}")
    except (TypeError, ValueError):
        return None
    return Pooled.from_json(params[POOLED_KEY]) if params.get(POOLED_KEY) else None


def latest_pooled() -> Pooled | None:
    """The pooled factors of the newest batch run (for a product trained on demand)."""
    return run_pooled(store.last_run(store.KIND_BATCH))


def learn_pooled(run_id: int, arrays: dict[int, Any], *, end: Any) -> Pooled:
    """Learn a run's pooled factors from its products' histories and store them with the run."""
    from core.forecast.pooled import learn

    pooled = learn(arrays.values(), end=end)
    run = store.get_run(run_id) or {}
    try:
        params = json.loads(run.get("parameters") or "{}")
    except (TypeError, ValueError):
        params = {}
    store.update_run(run_id, parameters=json.dumps({**params, POOLED_KEY: pooled.as_json()}))
    return pooled


def fit_one(y: Any, *, end: Any, horizon: int = HORIZON_DAYS, prophet: bool | None = None,
            pooled: Pooled | None = None) -> tuple[Choice, Forecast]:
    """Choose a model for one series ending on day ``end`` and forecast ``horizon`` days, with
    the given pooled factors (default: the newest batch run's)."""
    use_prophet = get_settings().forecast_prophet if prophet is None else prophet
    if pooled is None:
        pooled = latest_pooled()
    choice = choose(y, end=end, prophet=use_prophet, pooled=pooled)
    start = end + timedelta(days=1)
    return choice, predict(choice.modelo, y, horizon, start=start, offsets=choice.offsets,
                           pooled=pooled)


def train_products(run_id: int, producto_ids: list[int], *, almacen_id: int | None = None,
                   history_days: int | None = None,
                   pooled: dict[str, Any] | None = None) -> dict[str, Any]:
    """Train and store a chunk of products of a run; the last chunk completes the run.
    ``pooled``: the run's factors (JSON form); by default those stored with the run."""
    settings = get_settings()
    days = history_days or settings.forecast_history_days
    factors = Pooled.from_json(pooled) if pooled is not None else (
        run_pooled(store.get_run(run_id)) or latest_pooled() or Pooled())
    end = last_sales_day()
    items, failed = [], 0
    if end is not None:
        arrays = as_arrays(daily_units(producto_ids=producto_ids, almacen_id=almacen_id,
                                       history_days=days, end=end))
        for i, pid in enumerate(producto_ids):
            try:
                choice, fc = fit_one(arrays[pid], end=end, pooled=factors)
                items.append((pid, choice, fc))
            except Exception:  # one bad series never sinks the chunk
                log.exception("forecast of product %s failed", pid)
                failed += 1
            if i % 20 == 0:
                jobs.report_progress(i / max(len(producto_ids), 1))
    else:
        failed = len(producto_ids)
    store.save(run_id, items, done=len(items), failed=failed)
    return {"status": "completed", "run_id": run_id, "trained": len(items), "failed": failed,
            "message": f"{len(items)} productos pronosticados."}


def start_retrain(*, trigger: str, user: Any = None) -> str | None:
    """Queue the batch on ``ml`` (a jobs row and a forecast_runs row); returns the job id."""
    settings = get_settings()
    run_id = store.create_run(kind=store.KIND_BATCH, trigger=trigger[:20],
                              horizon_days=HORIZON_DAYS, history_days=settings.forecast_history_days,
                              user_id=getattr(user, "id", None) or None)
    try:
        job_id = jobs.enqueue(train_all, queue=jobs.QUEUE_ML, job_kind=JOB_KIND, user=user,
                              run_id=run_id)
    except jobs.JobFailed as exc:
        store.update_run(run_id, status=store.RUN_FAILED, message=str(exc))
        raise
    store.update_run(run_id, job_id=job_id)
    return job_id


def retrain(user: Any) -> str:
    """A manager's "reentrenar": queue the batch now; returns the job id."""
    from core.users import require

    require(user, "forecast:write")
    job_id = start_retrain(trigger="manual", user=user)
    assert job_id is not None
    return job_id


def _products_to_train(history_days: int) -> list[int]:
    end = last_sales_day()
    if end is None:
        return []
    long = daily_units(history_days=history_days, end=end)
    return sorted(int(p) for p in long["producto"].unique())


def prepare(run_id: int, history_days: int) -> tuple[list[int], dict[str, Any] | None]:
    """The products of a batch run and its pooled factors (learnt and stored now)."""
    end = last_sales_day()
    if end is None:
        return [], None
    arrays = as_arrays(daily_units(history_days=history_days, end=end))
    if not arrays:
        return [], None
    return sorted(arrays), learn_pooled(run_id, arrays, end=end).as_json()


def train_all(*, run_id: int, inline: bool = False) -> dict[str, Any]:
    """The batch: every product sold in the window, in chunks. On RQ the chunks are queued on
    ``ml`` for every worker to take; inline (no Redis, or the CLI) they run here in turn."""
    settings = get_settings()
    ids, pooled = prepare(run_id, settings.forecast_history_days)
    store.update_run(run_id, status=store.RUN_RUNNING, products=len(ids),
                     started_at=store._now())
    if not ids:
        store.save(run_id, [])
        return {"status": "completed", "run_id": run_id, "message": "No hay ventas que pronosticar."}
    size = settings.forecast_chunk_size
    chunks = [ids[i:i + size] for i in range(0, len(ids), size)]
    if not inline and jobs.redis_connection() is not None:
        for chunk in chunks:
            jobs.enqueue(train_products, queue=jobs.QUEUE_ML, job_kind=CHUNK_KIND,
                         run_id=run_id, producto_ids=chunk, pooled=pooled)
        return {"status": "completed", "run_id": run_id, "chunks": len(chunks),
                "message": f"{len(ids)} productos en {len(chunks)} lotes encolados."}
    job_id = jobs.current_job_id()
    for n, chunk in enumerate(chunks):
        train_products(run_id, chunk, pooled=pooled)
        jobs.report_progress((n + 1) / len(chunks), f"{min((n + 1) * size, len(ids))} de "
                             f"{len(ids)} productos", job_id=job_id)
    return {"status": "completed", "run_id": run_id, "products": len(ids),
            "message": f"{len(ids)} productos pronosticados."}


def run_progress(run_id: int) -> float:
    """0..1: products trained (or failed) of the run's total."""
    run = store.get_run(run_id)
    if not run or not run["products"]:
        return 1.0 if run and run["status"] == store.RUN_COMPLETED else 0.0
    return min((run["products_done"] + run["products_failed"]) / run["products"], 1.0)
