"""core.metrics: recent script runs per process, summarized, and written where health reads them."""

import pytest

from core import metrics


@pytest.fixture
def fresh(monkeypatch, tmp_path):
    from core.config import get_settings

    monkeypatch.setenv("STORAGE_DIR", str(tmp_path))
    get_settings.cache_clear()
    metrics.clear()
    monkeypatch.setattr(metrics, "_last_flush", 0.0)
    yield tmp_path
    metrics.clear()
    get_settings.cache_clear()


def test_summary_percentiles_per_page(fresh):
    for ms in range(1, 101):
        metrics.record(page="Tablero", role="viewer", ms=float(ms), cpu_ms=1.0)
    metrics.record(page="entrada", role="anonimo", ms=500.0, cpu_ms=2.0)
    summary = metrics.summarize(metrics.recent())
    assert summary["runs"] == 101
    assert summary["pages"]["Tablero"] == {"runs": 100, "p50_ms": 50.0, "p95_ms": 95.0, "cpu_ms_mean": 1.0}
    assert summary["pages"]["entrada"]["p95_ms"] == 500.0


def test_runs_are_logged_and_reach_the_health_report(fresh, caplog):
    from core.health import check_health, describe_app_runs

    with caplog.at_level("INFO", logger="core.metrics"):
        metrics.record(page="Tablero", role="manager", ms=12.5, cpu_ms=10.0)
    assert "script run page=Tablero role=manager ms=12.5 cpu_ms=10.0" in caplog.text
    runs = check_health()["app_runs"]
    assert len(runs) == 1 and runs[0]["runs"] == 1 and runs[0]["pages"]["Tablero"]["p95_ms"] == 12.5
    assert "1 corridas" in describe_app_runs(runs)
    assert metrics.process_summaries(now=runs[0]["written_at"] + metrics.FRESH_S + 1) == []
