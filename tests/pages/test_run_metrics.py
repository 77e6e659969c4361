"""The app measures each of its script runs: page, role and milliseconds, kept for the health view."""

from core import metrics
from tests.pages.conftest import MAIN, goto, login


def test_every_page_run_is_measured_with_its_page_and_role(demo_data, users):
    from streamlit.testing.v1 import AppTest

    metrics.clear()
    AppTest.from_file(MAIN, default_timeout=60).run()
    at = login(users["admin"].email)
    goto(at, "admin.py")
    goto(at, "dashboard.py")
    seen = [(r.page, r.role) for r in metrics.recent()]
    assert ("entrada", "anonimo") in seen
    assert ("Tablero", "admin") in seen and ("Usuarios", "admin") in seen
    assert seen[-2:] == [("Usuarios", "admin"), ("Tablero", "admin")]
    assert all(r.ms > 0 and r.cpu_ms >= 0 for r in metrics.recent())
    summary = metrics.summarize(metrics.recent())
    assert summary["runs"] == len(seen)
    assert set(summary["pages"]) >= {"entrada", "Tablero", "Usuarios"}
