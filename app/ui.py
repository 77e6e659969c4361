"""Shared widgets and formats: money, dates, KPI rows, charts theme, self-refreshing sections."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime
from typing import Any, ParamSpec

import plotly.express as px
import plotly.graph_objects as go
import streamlit as st

from core import jobs
from core import users as core_users
from core.errors import ReadableError
from core.users import PermissionDenied

log = logging.getLogger(__name__)
UNEXPECTED_ERROR = ("Ocurrió un error inesperado y no se guardó nada de esta acción. "
                    "Intente de nuevo; si se repite, avise a un administrador (el detalle quedó en el registro).")

COLORS = ["#1f6f8b", "#99a8b2", "#e6a157", "#5c946e", "#a35d6a", "#6c757d"]
JOB_REFRESH_S = 1.0  # how often a running job's progress is read again
JOB_FAILED = "El trabajo falló."  # a failed job that left no message of its own

P = ParamSpec("P")
JobStatus = dict[str, Any]


def money(value: float) -> str:
    """`$1,234.50` as Mexican users read it."""
    sign = "-" if value < 0 else ""
    return f"{sign}${abs(value):,.2f}"


def number(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"


def fecha(value: date) -> str:
    """dd/mm/aaaa."""
    return value.strftime("%d/%m/%Y")


def fecha_hora(value: datetime) -> str:
    """dd/mm/aaaa HH:MM."""
    return value.strftime("%d/%m/%Y %H:%M")


def pct_change(current: float, previous: float) -> str | None:
    if not previous:
        return None
    return f"{(current - previous) / abs(previous):+.1%}"


@contextmanager
def shows_errors() -> Iterator[None]:
    """Show a ReadableError's Spanish message, and any other failure as a generic one (logged).

    Streamlit's own stop and rerun signals are BaseExceptions and pass through untouched.
    """
    try:
        yield
    except ReadableError as exc:
        st.error(exc.message)
    except Exception:
        log.exception("unexpected error on a page")
        st.error(UNEXPECTED_ERROR)


def require_page(permission: str) -> core_users.User:
    """The current user, or stop the page with a Spanish message when they lack ``permission``."""
    from app.auth import current_user

    user = current_user()
    try:
        core_users.require(user, permission)
    except PermissionDenied as exc:
        st.error(str(exc))
        st.stop()
    assert user is not None
    return user


def bar_figure(data: list[dict], *, x: str, y: str, title: str | None = None, horizontal: bool = False,
               labels: dict | None = None, color: str | None = None, height: int = 360) -> go.Figure:
    """A themed plotly bar chart (build it once: app/data.py caches the dashboard's)."""
    kwargs = {"x": y, "y": x, "orientation": "h"} if horizontal else {"x": x, "y": y}
    fig = px.bar(data, title=title, labels=labels, color=color, color_discrete_sequence=COLORS, **kwargs)
    if horizontal:
        fig.update_yaxes(autorange="reversed")
    fig.update_layout(margin={"l": 10, "r": 10, "t": 40 if title else 10, "b": 10}, height=height)
    return fig


def chart(fig: go.Figure | None, *, empty: str) -> None:
    """Draw a figure, or a short note when there is nothing to draw."""
    if fig is None:
        st.caption(empty)
    else:
        st.plotly_chart(fig, width="stretch")


def bar(data: list[dict], *, x: str, y: str, title: str, horizontal: bool = False, labels: dict | None = None):
    """A themed plotly bar chart, or a short note when there is nothing to draw."""
    chart(bar_figure(data, x=x, y=y, title=title, horizontal=horizontal, labels=labels) if data else None,
          empty=f"{title}: sin datos en el periodo.")


def live_fragment(*, run_every: float) -> Callable[[Callable[P, None]], Callable[P, None]]:
    """``st.fragment(run_every=…)`` for a section that refreshes itself, guarded like a page run.

    A timed rerun runs only the fragment: app/main.py's login gate and ``shows_errors`` are not
    around it. So each rerun checks the session first (once it ended —logout elsewhere, account
    deactivated, role changed— the whole app reruns and shows the login page) and shows a failure
    as the same Spanish message a page shows, never Streamlit's own error block.
    """
    def decorate(body: Callable[P, None]) -> Callable[P, None]:
        @functools.wraps(body)  # the fragment's id comes from the body's name, one per section
        def guarded(*args: P.args, **kwargs: P.kwargs) -> None:
            from app.auth import current_user

            with shows_errors():
                if current_user() is None:
                    st.rerun(scope="app")
                body(*args, **kwargs)

        return st.fragment(run_every=run_every)(guarded)
    return decorate


def _store_outcome(status: JobStatus | None, *, result_key: str | None, error_key: str | None) -> None:
    """Default end of a job: its result under ``result_key``, or its Spanish error under ``error_key``."""
    if status is not None and status["status"] == jobs.COMPLETED:
        if result_key:
            st.session_state[result_key] = status.get("result")
    elif error_key:
        st.session_state[error_key] = (status or {}).get("error_message") or JOB_FAILED


def _bar(status: JobStatus | None, *, waiting: str) -> None:
    if status is not None:
        st.progress(float(status["progress"] or 0.0), text=status.get("message") or waiting)


def job_progress(state_key: str, *, waiting: str = "En espera…",
                 result_key: str | None = None, error_key: str | None = None,
                 on_end: Callable[[JobStatus | None], None] | None = None,
                 show: Callable[[JobStatus | None], None] | None = None,
                 run_every: float = JOB_REFRESH_S) -> None:
    """The one job-progress widget the pages share.

    While ``st.session_state[state_key]`` holds a job id, its ``core.jobs.job_status`` is read
    every ``run_every`` seconds. When the job ends the id is dropped, ``on_end(status)`` runs
    (by default: the result under ``result_key``, the Spanish error under ``error_key``) and the
    whole page reruns. Each refresh draws ``show(status)`` —status None when this session has no
    job running— or, by default, a bar with the job's message (``waiting`` until it has one).
    """
    if show is None and not st.session_state.get(state_key):
        return  # nothing to draw or poll, so no timer: a job starts with a full run, which comes back here
    ended = on_end or functools.partial(_store_outcome, result_key=result_key, error_key=error_key)
    draw = show or functools.partial(_bar, waiting=waiting)

    @live_fragment(run_every=run_every)
    def _poll() -> None:
        draw(_own_job(state_key, ended))

    _poll()


def _own_job(state_key: str, ended: Callable[[JobStatus | None], None]) -> JobStatus | None:
    """The status of the job this session started, while it runs; its end reruns the page."""
    job_id = st.session_state.get(state_key)
    if not job_id:
        return None
    status = jobs.job_status(job_id)
    if status is None or status["status"] in jobs.FINISHED:
        st.session_state.pop(state_key, None)
        ended(status)
        st.rerun(scope="app")
    return status
