"""Sincronización con el ERP: estado por entidad, sincronizar ahora, progreso e historial."""

from __future__ import annotations

import streamlit as st

from app import sync_ui
from app.ui import job_progress, require_page, shows_errors
from core import jobs
from core.config import get_settings
from core.erp import monitor

user = require_page("sync:read")
settings = get_settings()
embedded = monitor.embedded()

st.title("Sincronización con el ERP")
origin = "Microsip (Firebird)" if settings.erp_source == "firebird" else "ERP de demostración"
st.caption(f"Origen: **{origin}**" + (" · los trabajos se ejecutan dentro de la aplicación"
                                      if embedded else " · trabajos en workers con Redis"))

rows = monitor.overview(user)
if user.can("sync:trigger"):
    full = st.checkbox("Sincronización completa (releer todos los documentos)", key="sync_full")
    wanted = sync_ui.sync_buttons(rows)
    if wanted is not False:
        with shows_errors():  # busy, not allowed, Redis down…: the Spanish message
            st.session_state["sync_job"] = jobs.sync_now(wanted, user=user, full=full)
            rows = monitor.overview(user)


def _ended(job: dict | None) -> None:
    """The session's sync ended: a toast after the full rerun."""
    if job is not None:
        st.session_state["sync_toast"] = sync_ui.toast_for(job)


def _live(job: dict | None) -> None:
    """Progress, state and history together, so they never disagree; refreshed fast only while
    a sync waits or runs (a change of pace reruns the page, which redefines the fragment)."""
    state = monitor.overview(user)
    active = [r for r in state if r["active"]]
    if (job is not None or bool(active)) != fast:
        st.rerun(scope="app")
    if job is not None:
        sync_ui.progress(job.get("entities") or [], job, embedded)
    elif active:
        sync_ui.progress([{**r, "job_type": r["entity"]} for r in active], None, embedded)
    sync_ui.overview_table(state)
    st.subheader("Últimas sincronizaciones")
    sync_ui.history_table(monitor.history(user, 20))


fast = "sync_job" in st.session_state or any(r["active"] for r in rows)
# The shared job widget polls this session's sync (and checks the session on each refresh);
# the page draws per-entity progress and the tables in the same refresh.
job_progress("sync_job", on_end=_ended, show=_live, run_every=sync_ui.refresh_every(fast))
if toast := st.session_state.pop("sync_toast", None):
    st.toast(toast[0], icon=toast[1])

st.subheader("Servicios")
sync_ui.services(monitor.sync_health(max_age_s=10))
