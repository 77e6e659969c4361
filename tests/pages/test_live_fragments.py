"""The self-refreshing sections (ui.live_fragment): the sync page's live section and the shared
job widget on the upload and forecast pages. Their timed reruns run outside app/main.py, so each
one checks the session and turns a failure into the page's Spanish message by itself."""

from __future__ import annotations

import pytest

from app.ui import UNEXPECTED_ERROR
from core import jobs
from tests.forecast.factories import make_sales
from tests.pages.conftest import goto, login, refresh_until_done, run_fragments

SECRET = "postgresql://devcompras:contraseña-secreta@db/devcompras"
# page file -> the session key its live section polls, and the kind and queue of that job
PAGES = {"sync.py": ("sync_job", "sync", jobs.QUEUE_SYNC), "upload.py": ("upload_job", "upload", jobs.QUEUE_DEFAULT),
         "forecast.py": ("fc_job", "train", jobs.QUEUE_ML)}


@pytest.fixture
def shop(clean_db, users):
    """One product with sales, so the forecast page gets as far as its job widget."""
    return make_sales({"CONST": [4.0] * 112})


def _broken_job_status(*_args, **_kwargs):
    raise RuntimeError(f"could not connect to {SECRET}")


def _open_with_a_job(email: str, page: str, live_job):
    """The page open on a session whose job is running."""
    key, kind, queue = PAGES[page]
    at = login(email)
    at.session_state[key] = live_job("running", kind=kind, queue=queue)
    return goto(at, page)


def _shown(at) -> list[str]:
    return [str(e.value) for e in at.error]


@pytest.mark.parametrize("page", list(PAGES))
def test_a_failing_refresh_shows_the_spanish_message_not_streamlits(shop, users, live_job, monkeypatch, page):
    monkeypatch.setattr(jobs, "job_status", _broken_job_status)
    at = _open_with_a_job(users["manager"].email, page, live_job)
    assert not at.exception, [e.value for e in at.exception]
    assert _shown(at) == [UNEXPECTED_ERROR]
    # The timer's rerun: only the fragment runs, outside app/main.py's shows_errors.
    run_fragments(at)
    assert not at.exception, [e.value for e in at.exception]
    assert _shown(at) == [UNEXPECTED_ERROR]
    assert all(SECRET not in str(el.value) for el in [*at.markdown, *at.error])


@pytest.mark.parametrize("page", list(PAGES))
def test_a_refresh_after_the_session_ended_shows_the_login(shop, users, live_job, page):
    at = _open_with_a_job(users["manager"].email, page, live_job)
    assert not at.exception
    at.session_state["session_version"] = -1  # as a logout elsewhere or a deactivation leaves it
    run_fragments(at)
    assert not at.exception, [e.value for e in at.exception]
    assert at.text_input(key="login_email") is not None
    assert [t.value for t in at.title] == ["DevCompras"]


def test_a_completed_retrain_is_not_reported_as_failed(shop, users):
    """The shared widget stored "El trabajo falló." for a job that completed without a result key."""
    at = goto(login(users["manager"].email), "forecast.py")
    at.button(key="fc_reentrenar").click().run()
    refresh_until_done(at, "fc_job", timeout=120)
    assert not at.exception
    assert not [e for e in _shown(at) if "falló" in e], _shown(at)
    assert "Último entrenamiento por lotes" in " ".join(c.value for c in at.caption)
