"""Sincronización con el ERP: estado por entidad, sincronizar ahora, progreso e historial."""

from __future__ import annotations

import streamlit as st

from app.ui import require_page
from core import jobs
from core.config import get_settings
from core.erp import monitor
from core.erp.sync_lock import SyncBusy
from core.users import PermissionDenied

user = require_page("sync:read")
can_trigger = user.can("sync:trigger")


def _when(value) -> str:
    return value.strftime("%d/%m/%Y %H:%M") if value else "—"


def _start(entities: list[str] | None, full: bool) -> None:
    try:
        st.session_state["sync_job"] = jobs.sync_now(entities, user=user, full=full)
    except (SyncBusy, PermissionDenied, ValueError, jobs.JobFailed) as exc:
        st.warning(str(exc))


st.title("Sincronización con el ERP")
settings = get_settings()
st.caption(f"Origen: **{'Microsip (Firebird)' if settings.erp_source == 'firebird' else 'ERP de demostración'}**"
           + ("" if settings.redis_url else " · los trabajos corren dentro de la app (sin Redis)"))

rows = monitor.overview(user)
st.dataframe(
    [{"Entidad": r["label"], "Última sincronización exitosa": _when(r["last_success"]),
      "Próxima programada": _when(r["next_run"]) if settings.redis_url else "Sin programación",
      "Estado": r["status_label"], "Error": r["error_message"] or ""} for r in rows],
    hide_index=True, use_container_width=True, key="sync_overview",
)

if can_trigger:
    full = st.checkbox("Sincronización completa (releer todos los documentos)", key="sync_full")
    cols = st.columns(len(rows) + 1)
    for col, r in zip(cols, rows, strict=False):
        if col.button(r["label"], key=f"sync_{r['entity']}", icon=":material/sync:"):
            _start([r["entity"]], full)
    if cols[-1].button("Todo", key="sync_all", type="primary", icon=":material/sync:"):
        _start(None, full)


@st.fragment(run_every=1.0)
def _progress() -> None:
    job_id = st.session_state.get("sync_job")
    if not job_id:
        return
    status = jobs.job_status(job_id)
    if status is None:
        st.session_state.pop("sync_job", None)
        return
    entities = status.get("entities") or []
    if status["status"] in ("completed", "failed"):
        st.session_state.pop("sync_job", None)
        if status["status"] == "completed":
            st.session_state["sync_toast"] = ("Sincronización completada.", ":material/check_circle:")
        else:
            st.session_state["sync_toast"] = (
                f"La sincronización falló: {status['error_message'] or ''}", ":material/error:")
        st.rerun(scope="app")
    done = sum(1 for e in entities if e["status"] in ("completed", "failed"))
    running = next((e for e in entities if e["status"] == "running"), None)
    fraction = (done + (running["progress"] if running else 0.0)) / max(len(entities), 1)
    label = (f"Sincronizando {running['job_type']}: {running['records_processed']:,} registros"
             if running else "En espera de un worker…")
    st.progress(min(fraction, 1.0), text=label)


_progress()
if toast := st.session_state.pop("sync_toast", None):
    st.toast(toast[0], icon=toast[1])

st.subheader("Últimas sincronizaciones")
history = monitor.history(user, 20)
if history:
    st.dataframe(
        [{"#": h["id"], "Entidad": h["job_type"], "Origen": h["trigger_label"],
          "Estado": h["status_label"], "Inicio": _when(h["started_at"]),
          "Duración (s)": round(h["duration_s"], 1) if h["duration_s"] is not None else None,
          "Procesados": h["records_processed"], "Nuevos": h["records_created"],
          "Actualizados": h["records_updated"], "Sin cambios": h["records_unchanged"],
          "Con error": h["records_failed"], "Error": h["error_message"] or ""} for h in history],
        hide_index=True, use_container_width=True, key="sync_history",
    )
else:
    st.caption("Todavía no hay sincronizaciones.")

st.subheader("Servicios")
health = monitor.sync_health()
c1, c2, c3 = st.columns(3)
c1.metric("ERP", "En línea" if health["erp"] == "ok" else "Sin conexión")
c2.metric("Redis", "Configurado" if settings.redis_url else "Sin Redis")
c3.metric("Workers activos", health["workers"])
if health["erp"] != "ok":
    st.error(health["erp"].removeprefix("error: "))
