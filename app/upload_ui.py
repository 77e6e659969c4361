"""Widgets of the upload page: mapping editor, preview, result and history (no SQL, no rules)."""

from __future__ import annotations

import hashlib
import logging
from typing import Any

import pandas as pd
import streamlit as st
from streamlit import config as st_config

from app.ui import JOB_FAILED, fecha, fecha_hora, money, number, shows_errors
from core import jobs
from core.export import neutralise_frame, neutralise_rows
from core.ingest.header import FIELD_LABELS
from core.ingest.load import undo_upload
from core.ingest.preview import KIND_LABELS, Preview
from core.text import plural
from core.users import User

log = logging.getLogger(__name__)

NONE = "(ninguna)"
FIELDS_BY_KIND = {
    "inventory": ("codigo", "descripcion", "existencia", "stock_minimo", "stock_maximo", "almacen", "precio"),
    "sales": ("codigo", "descripcion", "fecha", "cantidad", "importe", "precio", "folio", "almacen", "cliente"),
}
STATUS_LABELS = {"loaded": "Vigente", "replaced": "Reemplazada", "undone": "Deshecha", "pending": "Pendiente"}


def spanish_uploader(max_mb: float, kinds: str) -> None:
    """Spanish texts inside the file uploader's drop zone, which Streamlit only has in English
    (and whose size hint shows the server's cap, not our UPLOAD_MAX_MB)."""
    zone = '[data-testid="stFileUploaderDropzone"]'
    st.html(f"""<style>
{zone} button [data-testid="stMarkdownContainer"] p {{ font-size: 0; }}
{zone} button [data-testid="stMarkdownContainer"] p::after {{ content: "Buscar archivo"; font-size: 1rem; }}
{zone} [data-testid="stFileUploaderDropzoneInstructions"] span {{ font-size: 0; }}
{zone} [data-testid="stFileUploaderDropzoneInstructions"] span::after {{
  content: "Arrastre aquí el archivo · hasta {max_mb:g} MB · {kinds}"; font-size: 0.875rem; }}
</style>""")


def _mapping_changed(key: str, field: str, options: list[str]) -> None:
    """on_change: record the user's column for a field; the next run previews with it."""
    choice = st.session_state[key]
    mapping = dict(st.session_state.get("upload_mapping") or {})
    mapping[field] = None if choice == NONE else options.index(choice) - 1
    st.session_state["upload_mapping"] = mapping


def mapping_editor(pv: Preview) -> None:
    """Selectboxes to correct which column feeds each field.

    Keyed by the file's hash, kind and current mapping, so a new file (or a mapping the preview
    changed) gets fresh widgets showing what the preview uses: no state of an earlier file carries
    over, and a change is recorded in its callback, without an extra rerun that would swallow the
    next click on "Confirmar y cargar".
    """
    options = [NONE, *pv.columns]
    fields = FIELDS_BY_KIND.get(pv.kind or "", tuple(FIELD_LABELS))
    state = hashlib.sha1(repr(sorted(pv.mapping.items())).encode()).hexdigest()[:8]
    scope = f"{pv.sha256[:12]}_{pv.kind or 'x'}_{state}"
    cols = st.columns(3)
    for i, field in enumerate(fields):
        current = pv.mapping.get(field)
        key = f"map_{scope}_{field}"
        cols[i % 3].selectbox(FIELD_LABELS[field], options, index=0 if current is None else current + 1, key=key,
                              on_change=_mapping_changed, args=(key, field, options))


def show_preview(pv: Preview) -> None:
    """What was understood, totals, the first rows as stored, and every rejected row."""
    kind = KIND_LABELS.get(pv.kind or "", "sin reconocer")
    store = pv.store_label or "sin sucursal"
    lines = [f"**Tipo:** {kind}", f"**Sucursal:** {store}" + (" (nueva)" if pv.new_store else "")
             + (f" · de {pv.store_source}" if pv.store_source else "")]
    if pv.date_from and pv.date_to:
        lines.append(f"**Periodo:** {fecha(pv.date_from)} al {fecha(pv.date_to)} · de {pv.date_source}")
    lines.append(f"**Hoja:** {pv.sheet} · encabezado en la fila {pv.header_last}")
    st.markdown("  \n".join(lines))
    for text in pv.warnings:
        st.warning(text)
    for text in pv.problems:
        st.error(text)
    totals = pv.totals()
    kpis = st.columns(4)
    kpis[0].metric("Filas listas", number(len(pv.rows)))
    kpis[1].metric("Filas rechazadas", number(len(pv.rejected)))
    kpis[2].metric("Omitidas (totales, notas)", number(pv.skipped))
    if pv.kind == "sales":
        kpis[3].metric("Importe total", money(totals["importe"] or 0))
    elif pv.kind == "inventory":
        kpis[3].metric("Existencia total", number(totals["existencia"] or 0))
    if not pv.rows.empty:
        st.dataframe(neutralise_frame(pv.sample(20)), hide_index=True, width="stretch", key="preview_rows")
    if pv.rejected:
        with st.expander(f"Filas rechazadas ({len(pv.rejected):,})", expanded=len(pv.rejected) <= 20):
            st.dataframe(neutralise_frame(pd.DataFrame(pv.rejected).rename(columns={"row": "Fila", "reason": "Motivo"})),
                         hide_index=True, width="stretch", key="preview_rejected")


def show_result(result: dict[str, Any]) -> None:
    """The load's outcome, as in the seed's response: processed / created / updated / rejected."""
    if result["status"] == "already_loaded":
        st.info(result["message"])
        return
    st.success(result["message"])
    kpis = st.columns(4)
    kpis[0].metric("Procesados", number(result["processed"]))
    kpis[1].metric("Nuevos", number(result["created"]))
    kpis[2].metric("Actualizados", number(result["updated"]))
    kpis[3].metric("Rechazados", number(len(result["rejected"])))


def job_ended(status: dict[str, Any] | None) -> None:
    """A background load ended: keep its outcome for the page (what loaded, or why not)."""
    result = (status or {}).get("result") or {}
    if status is not None and status["status"] == jobs.COMPLETED and "result" in result:
        st.session_state["upload_result"] = result["result"]
    else:  # the job failed, or ran and refused the file (its message says why)
        st.session_state["upload_error"] = ((status or {}).get("error_message") or result.get("message")
                                            or JOB_FAILED)


# Fixed widths (pixels) so "28/11/2026 10:15" and "Reemplazada" are never cut off; all fit in ~930 px.
HISTORY_WIDTHS = {"Carga": 50, "Fecha": 125, "Estado": 95, "Archivo": 180, "Tipo": 80, "Sucursal": 125,
                  "Periodo": 135, "Filas": 50, "Rechazadas": 85}


def _period(r: dict[str, Any]) -> str:
    """01/11 – 15/11/2026 (the year once when both ends share it)."""
    a, b = r["date_from"], r["date_to"]
    if not a or not b:
        return "—"
    return f"{a:%d/%m} – {fecha(b)}" if a.year == b.year else f"{fecha(a)} – {fecha(b)}"


def history_table(rows: list[dict[str, Any]]) -> None:
    """The upload history."""
    if not rows:
        st.caption("Todavía no hay cargas.")
        return
    st.dataframe(
        neutralise_rows({"Carga": r["id"], "Fecha": fecha_hora(r["created_at"]) if r["created_at"] else "—",
          "Estado": STATUS_LABELS.get(r["status"], r["status"]), "Archivo": r["filename"],
          "Tipo": KIND_LABELS.get(r["kind"] or "", "—"), "Sucursal": r["store"] or "—", "Periodo": _period(r),
          "Filas": r["rows_ok"], "Rechazadas": r["rows_rejected"]} for r in rows),
        hide_index=True, width="stretch", key="upload_history",
        column_config={name: st.column_config.Column(width=w) for name, w in HISTORY_WIDTHS.items()},
    )


def upload_label(r: dict[str, Any]) -> str:
    """#id · archivo · sucursal · fecha, as the pickers show an upload."""
    when = fecha_hora(r["created_at"]) if r["created_at"] else "—"
    return f"#{r['id']} · {r['filename']} · {r['store'] or 'sin sucursal'} · {when}"


def unknown_codes_choice(pv: Preview) -> str:
    """Skip (the default) or create the codes the catalog does not have; says how many products would be created."""
    if not pv.unknown_codes:
        return "skip"
    n = len(pv.unknown_codes)
    shown = ", ".join(pv.unknown_codes[:15]) + ("…" if n > 15 else "")
    st.markdown(f"**{plural(n, 'clave no está', 'claves no están')} en el catálogo:** {shown}")
    choice = st.radio("¿Qué hacer con ellas?", ["Omitir esas filas", "Crearlas como productos nuevos (origen Excel)"],
                      key=f"upload_unknown_{pv.sha256[:12]}")
    if choice.startswith("Crear"):
        st.warning(f"Al cargar se crearán {plural(n, 'producto nuevo', 'productos nuevos')} en el catálogo "
                   "(origen Excel, sin línea ni costo).")
        return "create"
    skipped = int(pv.rows["codigo"].isin(pv.unknown_codes).sum())
    st.caption(f"Se omitirán {plural(skipped, 'fila', 'filas')} con esas claves; no se crea ningún producto.")
    return "skip"


UPLOADER_HELP = ("Excel (.xlsx, .xlsm, .xls) o CSV/TXT exportado por el sistema de la sucursal, hasta {mb} MB "
                 "(1 MB = 1,000,000 bytes, como muestra el recuadro). El recuadro es un componente en inglés: "
                 "«Drag and drop file here» = arrastre el archivo aquí; «Upload» o «Browse files» = buscarlo; "
                 "«File must be … or smaller» = el archivo pasa del límite.")


def apply_upload_limit(max_mb: int) -> None:
    """Make the server refuse upload bodies above UPLOAD_MAX_MB before holding them in memory.

    Streamlit reads ``server.maxUploadSize`` (binary megabytes) on every upload request and when it
    draws a file uploader, so setting it here takes effect for the uploads this page asks for; the
    value in .streamlit/config.toml (UPLOAD_MAX_MB's default) covers requests sent before any
    session opened this page. A binary megabyte is larger than a decimal one: a file between the
    two reaches our own check and its Spanish message.
    """
    if st_config.get_option("server.maxUploadSize") != max_mb:
        st_config.set_option("server.maxUploadSize", max_mb)


def upload_detail_view(detail: dict[str, Any]) -> None:
    """Rejected rows of one upload and a download of the file as it was received."""
    if detail["original"] is not None:
        st.download_button("Descargar el archivo original", detail["original"], file_name=detail["filename"],
                           key=f"download_{detail['id']}", icon=":material/download:")
    if detail["rejected"]:
        st.dataframe(neutralise_frame(pd.DataFrame(detail["rejected"]).rename(columns={"row": "Fila", "reason": "Motivo"})),
                     hide_index=True, width="stretch", key=f"rejected_{detail['id']}")
    else:
        st.caption("Esta carga no tuvo filas rechazadas.")


def undo_panel(user: User | None, live: list[dict[str, Any]]) -> None:
    """Pick a live upload (the newest first) and confirm before undoing it."""
    if not live:
        return
    st.markdown("**Deshacer una carga**")
    labels = {r["id"]: upload_label(r) for r in live}
    kinds = {r["id"]: r["kind"] for r in live}
    # Keyed by the newest live upload: after another load the picker starts again on the newest.
    target = st.selectbox("Carga a deshacer", list(labels), format_func=labels.__getitem__,
                          key=f"undo_id_{live[0]['id']}")
    if st.session_state.get("undo_pending") != target:
        if st.button("Deshacer…", key="undo_button", icon=":material/undo:"):
            st.session_state["undo_pending"] = target
            st.rerun()
        return
    effect = ("sus existencias vuelven a los valores que tenían antes de la carga" if kinds[target] == "inventory"
              else "se eliminan sus documentos de venta con sus líneas")
    st.warning(f"¿Deshacer la carga {labels[target]}? {effect[0].upper()}{effect[1:]}. "
               "Para volver a tenerla, cargue el archivo de nuevo.")
    c1, c2 = st.columns(2)
    if c2.button("Cancelar", key="undo_cancel"):
        st.session_state.pop("undo_pending", None)
        st.rerun()
    if c1.button("Sí, deshacer la carga", type="primary", key="undo_confirm"):
        st.session_state.pop("undo_pending", None)
        message = None
        with shows_errors():  # a failed undo rolled back: nothing changed
            message = undo_upload(user, int(target))
        if message is not None:
            st.session_state["undo_message"] = message
            st.session_state.pop("upload_result", None)
            st.rerun()
