"""Page tests drive the real app with streamlit's AppTest, logged in through the real form."""

from __future__ import annotations

import functools
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from sqlalchemy import insert
from streamlit.runtime.scriptrunner_utils.script_requests import RerunData
from streamlit.testing.v1 import AppTest, local_script_runner

from core import db, jobs
from core.leases import Lease
from core.models import jobs as jobs_table
from tests.conftest import TEST_PASSWORD

MAIN = str(Path(__file__).resolve().parents[2] / "app" / "main.py")


def login(email: str, password: str = TEST_PASSWORD) -> AppTest:
    """A fresh app session after submitting the login form."""
    at = AppTest.from_file(MAIN, default_timeout=60).run()
    at.text_input(key="login_email").input(email)
    at.text_input(key="login_password").input(password)
    at.button[0].click().run()
    return at


def goto(at: AppTest, page: str) -> AppTest:
    """Switch to ``pages/<page>`` (paths resolve against app/, so pass them absolute)."""
    return at.switch_page(str(Path(MAIN).parents[1] / "pages" / page)).run()


def page_titles(at: AppTest) -> list[str]:
    """Titles of the pages the sidebar navigation offers."""
    return sorted(info["page_name"] for info in at._registered_pages.values())


def run_fragments(at: AppTest) -> AppTest:
    """Rerun only the page's fragments, as their ``run_every`` timer does in a browser.

    AppTest has no call for it: its runner gets the fragments' ids, as the browser sends them.
    Such a rerun runs outside app/main.py (no login gate, no ``shows_errors``).
    """
    ids = list(at._fragment_storage._fragments)
    assert ids, "the page has no fragment"
    rerun = functools.partial(RerunData, fragment_id_queue=ids, is_auto_rerun=True)
    with mock.patch.object(local_script_runner, "RerunData", rerun):
        return at.run()


def refresh_until_done(at: AppTest, state_key: str, *, timeout: float = 60) -> str:
    """Let the page's own refresh poll the session's job under ``state_key`` until it ends (the
    widget then reruns the whole page); the job's id."""
    job_id = str(at.session_state[state_key])
    deadline = time.monotonic() + timeout
    while state_key in at.session_state and time.monotonic() < deadline:
        time.sleep(0.3)
        run_fragments(at)
    assert state_key not in at.session_state, "el trabajo no terminó"
    return job_id


@pytest.fixture
def live_job() -> Iterator[Callable[..., str]]:
    """Makes jobs of this session as core.jobs.enqueue leaves them (without running anything):
    without Redis, the lease of an in-app job is held by this (live) process, until the test ends."""
    leases: list[Lease] = []

    def make(status: str = "running", *, kind: str = "sync", queue: str = jobs.QUEUE_SYNC) -> str:
        job_id = uuid.uuid4().hex
        lease = Lease(jobs.lease_key(job_id))
        assert lease.acquire()
        leases.append(lease)
        with db.begin() as conn:
            conn.execute(insert(jobs_table).values(id=job_id, kind=kind, queue=queue, status=status,
                                                   created_at=datetime.now()))
        return job_id

    yield make
    for lease in leases:  # a lease left held renews itself against the database after the tests
        lease.release()


@pytest.fixture
def job_widget(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str]]:
    """(session key, job id) of every refresh that went through the shared ``ui.job_progress``."""
    import streamlit as st

    from app import ui

    real = ui.job_progress
    seen: list[tuple[str, str]] = []

    def spy(state_key: str, **kwargs: Any) -> None:
        if job_id := st.session_state.get(state_key):
            seen.append((state_key, job_id))
        real(state_key, **kwargs)

    monkeypatch.setattr(ui, "job_progress", spy)
    return seen
