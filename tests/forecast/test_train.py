"""Training from the database: the seed's contract, storage, the CLI and the batch on RQ."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import func, select

from core import db, jobs
from core.forecast import service, store
from core.forecast.train import retrain
from core.models import forecast_models, forecast_runs, forecasts
from core.models import jobs as jobs_table
from tests.forecast.factories import make_sales
from tests.forecast.test_models import WEEK

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def three_products(clean_db):
    rng = np.random.default_rng(5)
    return make_sales({
        "SEMANAL": list(np.tile(WEEK, 16)),
        "RARO": list(np.where(rng.random(112) < 0.15, 2.0, 0.0)),
        "CONST": [4.0] * 112,
    })


def test_predict_demand_keeps_the_seed_contract(three_products, users):
    out = service.predict_demand(users["user"], "SEMANAL", 7)
    assert set(out) == {"producto", "modelo", "predicciones", "metricas"}
    assert out["producto"] == "SEMANAL"
    assert set(out["metricas"]) == {"mae", "rmse", "r2", "mase", "rmsse", "bias"}
    first = out["predicciones"][0]
    assert first["fecha"] == "2026-12-01"  # the day after the last sale
    assert len(out["predicciones"]) == 7
    got = [p["demanda_estimada"] for p in out["predicciones"]]
    # 2026-12-01 is a Tuesday; the pattern started 16 weeks before on the same weekday
    expected = list(np.roll(WEEK, -(112 % 7)))
    assert np.allclose(got, expected, atol=1.0)
    assert all(p["confidence_low"] <= p["demanda_estimada"] <= p["confidence_high"]
               for p in out["predicciones"])
    # trained once and stored (one model row, 90 daily rows): a second call reads it
    with db.get_engine().connect() as conn:
        assert conn.scalar(select(func.count()).select_from(forecast_models)) == 1
        assert conn.scalar(select(func.count()).select_from(forecasts)) == 90
    service.predict_demand(users["user"], "SEMANAL", 90)
    with db.get_engine().connect() as conn:
        assert conn.scalar(select(func.count()).select_from(forecast_models)) == 1
        assert conn.scalar(select(func.count()).select_from(forecasts)) == 90


@pytest.mark.parametrize("days", [0, 91, -3])
def test_days_out_of_range_and_unknown_products_are_spanish_errors(three_products, users, days):
    with pytest.raises(service.ForecastError, match="entre 1 y 90"):
        service.predict_demand(users["user"], "SEMANAL", days)
    with pytest.raises(service.ForecastError, match="No existe un producto"):
        service.predict_demand(users["user"], "NOEXISTE", 5)


def test_viewers_cannot_read_forecasts(three_products, users):
    from core.users import PermissionDenied

    with pytest.raises(PermissionDenied):
        service.predict_demand(users["viewer"], "SEMANAL", 5)
    with pytest.raises(PermissionDenied):
        retrain(users["user"])


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "core", "forecast", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)


def test_cli_forecast_one_and_all(three_products):
    done = _cli("CONST", "--days", "3", "--json")
    assert done.returncode == 0, done.stderr
    last = json.loads(done.stdout.strip().splitlines()[-1])
    assert last["producto"] == "CONST" and len(last["predicciones"]) == 3
    assert all(abs(p["demanda_estimada"] - 4) < 0.3 for p in last["predicciones"])
    bad = _cli("CONST", "--days", "91")
    assert bad.returncode == 1 and "entre 1 y 90" in bad.stderr
    unknown = _cli("NADA", "--days", "5")
    assert unknown.returncode == 1 and "No existe un producto" in unknown.stderr
    batch = _cli("--all", "--json")
    assert batch.returncode == 0, batch.stderr
    summary = json.loads(batch.stdout.strip().splitlines()[-1])
    assert summary["status"] == "completed" and summary["trained"] == 3


@pytest.fixture
def small_chunks(monkeypatch):
    """Two products a chunk (set before the worker starts, so it sees it too)."""
    from core.config import get_settings

    monkeypatch.setenv("FORECAST_CHUNK_SIZE", "2")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_the_batch_on_a_real_rq_worker_fills_the_tables_and_bumps_the_version(
        three_products, users, small_chunks, rq_worker):
    before = db.data_versions_now()["forecasts"]
    job_id = retrain(users["manager"])
    final = jobs.wait(job_id, timeout=240)
    assert final is not None and final["status"] == "completed", final
    assert final["queue"] == "ml"
    run = store.last_run()
    assert run is not None
    with db.get_engine().connect() as conn:  # the chunks are jobs of their own, on ml
        chunks = conn.execute(select(jobs_table.c.id, jobs_table.c.queue)
                              .where(jobs_table.c.kind == "forecast-chunk")).all()
    assert len(chunks) == 2 and {q for _, q in chunks} == {"ml"}
    for cid, _ in chunks:
        assert jobs.wait(cid, timeout=240)["status"] == "completed"
    run = store.get_run(run["id"])
    assert run["status"] == "completed" and run["products"] == 3 and run["products_done"] == 3
    with db.get_engine().connect() as conn:
        assert conn.scalar(select(func.count()).select_from(forecast_models)) == 3
        assert conn.scalar(select(func.count()).select_from(forecasts)) == 3 * 90
        assert conn.scalar(select(func.count()).select_from(forecast_runs)) == 1
    assert db.data_versions_now()["forecasts"] == before + 1
    assert run["model"] == "auto"
    pooled = json.loads(run["metrics"])  # written by the last chunk, whichever worker ran it
    assert pooled["productos"] == 3 and sum(pooled["modelos"].values()) == 3
