"""Shared widgets and formats: money, dates, KPI rows, charts theme."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime

import plotly.express as px
import plotly.graph_objects as go
import streamlit as st

from core import users as core_users
from core.errors import ReadableError
from core.users import PermissionDenied

log = logging.getLogger(__name__)
UNEXPECTED_ERROR = ("Ocurrió un error inesperado y no se guardó nada de esta acción. "
                    "Intente de nuevo; si se repite, avise a un administrador (el detalle quedó en el registro).")

COLORS = ["#1f6f8b", "#99a8b2", "#e6a157", "#5c946e", "#a35d6a", "#6c757d"]


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


def job_progress(state_key: str, *, waiting: str = "En espera…",
                 result_key: str | None = None, error_key: str | None = None) -> None:
    """The one job-progress widget: while ``st.session_state[state_key]`` holds a job id,
    a bar refreshed every second from ``core.jobs.job_status``; when the job ends the id is
    dropped, its result (or Spanish error) stored under ``result_key``/``error_key``, and the
    whole page reruns."""
    from core import jobs

    @st.fragment(run_every=1.0)
    def _poll() -> None:
        job_id = st.session_state.get(state_key)
        if not job_id:
            return
        status = jobs.job_status(job_id)
        if status is None or status["status"] in jobs.FINISHED:
            st.session_state.pop(state_key, None)
            if status is not None and status["status"] == jobs.COMPLETED and result_key:
                st.session_state[result_key] = status.get("result")
            elif error_key:
                st.session_state[error_key] = ((status or {}).get("error_message")
                                               or "El trabajo falló.")
            st.rerun(scope="app")
        st.progress(float(status["progress"] or 0.0), text=status.get("message") or waiting)

    _poll()
