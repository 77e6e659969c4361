"""Widgets of the sync page: trigger buttons, live progress, state and history tables, services."""

from __future__ import annotations

from typing import Any

import streamlit as st

from core.erp import monitor
from core.export import neutralise_rows

FAST_REFRESH_S = 1.0  # while a sync is waiting or running
IDLE_REFRESH_S = 20.0  # otherwise: enough to notice a scheduled run or another user's
FINISHED = ("completed", "failed", "interrupted", "busy")
COUNT_COLUMNS = ("Procesados", "Nuevos", "Actualizados", "Sin cambios", "Con error")


def refresh_every(active: bool) -> float:
    """Seconds between reruns of the live section."""
    return FAST_REFRESH_S if active else IDLE_REFRESH_S


def sync_buttons(rows: list[dict[str, Any]]) -> list[str] | None | bool:
    """One button per entity and one for everything, flowing onto a second row when the page is
    narrow (never cut). Returns the entities asked for, None for all, False when none clicked."""
    clicked: list[str] | None | bool = False
    with st.container(horizontal=True, key="sync_buttons"):
        for r in rows:
            if st.button(r["label"], key=f"sync_{r['entity']}", icon=":material/sync:",
                         help=f"Sincronizar {r['label'].lower()} ahora"):
                clicked = [r["entity"]]
        if st.button("Todo", key="sync_all", type="primary", icon=":material/sync:",
                     help="Sincronizar todas las entidades, en orden"):
            clicked = None
    return clicked


def toast_for(job: dict[str, Any]) -> tuple[str, str]:
    if job["status"] == "completed":
        return "Sincronización completada.", ":material/check_circle:"
    return f"La sincronización falló: {job.get('error_message') or ''}", ":material/error:"


def progress(entities: list[dict[str, Any]], job: dict[str, Any] | None, embedded: bool) -> None:
    """The progress bar of a running sync: the session's own job, or any other one running."""
    total = max(len(entities), 1)
    done = sum(1 for e in entities if e["status"] in FINISHED)
    running = next((e for e in entities if e["status"] == "running"), None)
    fraction = (done + (float(running["progress"] or 0) if running else 0.0)) / total
    if running is not None:
        step = f" ({entities.index(running) + 1} de {total})" if total > 1 else ""
        n = running["records_processed"] or 0
        what = f"{monitor.count(n)} registros procesados" if n else "leyendo del ERP…"
        text = f"Sincronizando {monitor.entity_label(running['job_type']).lower()}{step}: {what}"
    elif job is not None and job["status"] == "pending" and job.get("error_message"):
        text = job["error_message"]  # a failed attempt that will be retried
    elif job is not None and job["status"] == "pending" and not embedded:
        text = "En cola: esperando a que un worker (python worker.py) la inicie…"
    elif done:
        text = "Terminando…"
    else:
        text = "Conectando con el ERP…"
    st.progress(min(fraction, 1.0), text=text)


def overview_table(rows: list[dict[str, Any]]) -> None:
    # A static table: four rows whose cells wrap, so nothing is cut on a narrow screen.
    st.table(
        [{"Entidad": r["label"], "Estado": r["status_label"],
          "Última sincronización exitosa": monitor.when(r["last_success"]),
          "Próxima programada": r["next_run_label"]} for r in rows],
        hide_index=True,
    )
    for r in rows:
        if r["error_message"]:
            st.error(f"**{r['label']}**: {r['error_message']}", icon=":material/error:")


def history_table(rows: list[dict[str, Any]]) -> None:
    if not rows:
        st.caption("Todavía no hay sincronizaciones.")
        return
    right = st.column_config.TextColumn(alignment="right")
    st.dataframe(
        neutralise_rows({"#": h["id"], "Entidad": h["entity_label"], "Origen": h["trigger_label"],
          "Estado": h["status_label"], "Inicio": monitor.when(h["started_at"]),
          "Duración": monitor.duration(h["duration_s"]),
          "Procesados": monitor.count(h["records_processed"]),
          "Nuevos": monitor.count(h["records_created"]),
          "Actualizados": monitor.count(h["records_updated"]),
          "Sin cambios": monitor.count(h["records_unchanged"]),
          "Con error": monitor.count(h["records_failed"]),
          "Error": h["error_message"] or ""} for h in rows),
        hide_index=True, width="stretch", key="sync_history",
        column_config={"#": st.column_config.NumberColumn(width="small"), "Duración": right,
                       **{c: right for c in COUNT_COLUMNS}},
    )


def services(health: dict[str, Any]) -> None:
    if health["embedded"]:
        shown = {"ERP": "En línea" if health["erp"] == "ok" else "Sin conexión",
                 "Ejecución": "Dentro de la app", "Programadas": "Desactivadas"}
    else:
        shown = {"ERP": "En línea" if health["erp"] == "ok" else "Sin conexión",
                 "Redis": "En línea" if health["redis"] == "ok" else "Sin conexión",
                 "Workers activos": monitor.count(health["workers"])}
    # Each metric as wide as its value, flowing onto another row rather than cut.
    with st.container(horizontal=True, gap="large", key="sync_services"):
        for label, value in shown.items():
            st.metric(label, value, width="content")
    if health["embedded"]:
        st.caption("Sin Redis, las sincronizaciones que usted solicita se ejecutan dentro de la "
                   "aplicación. Las programadas requieren Redis (REDIS_URL) y un worker en "
                   "ejecución: `python worker.py`.")
    elif health["redis"] != "ok":
        st.error(f"Redis no responde: {health['redis'].removeprefix('error: ')}")
    elif not health["workers"]:
        st.warning("No hay workers activos: las sincronizaciones quedarán en espera hasta que "
                   "usted inicie `python worker.py`.")
    if health["erp"] != "ok":
        st.error(health["erp"].removeprefix("error: "))
