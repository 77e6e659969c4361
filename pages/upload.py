"""Carga de archivos: inventario o ventas desde Excel/CSV, con vista previa, confirmación e historial."""

from __future__ import annotations

import streamlit as st

from app import ui
from app.upload_ui import (
    UPLOADER_HELP,
    apply_upload_limit,
    history_table,
    job_ended,
    mapping_editor,
    show_preview,
    show_result,
    spanish_uploader,
    undo_panel,
    unknown_codes_choice,
    upload_detail_view,
    upload_label,
)
from core.config import get_settings
from core.ingest.load import list_uploads, upload_detail
from core.ingest.service import preview_upload, start_upload

user = ui.require_page("upload:write")
st.title("Cargar inventario o ventas")
max_mb = get_settings().upload_max_mb
apply_upload_limit(max_mb)
st.caption(f"Excel (.xlsx, .xlsm, .xls) o CSV exportado por el sistema de la sucursal; hasta {max_mb:g} MB. "
           "Primero verá una vista previa; nada se guarda hasta confirmar.")

# A new key after each load empties the uploader (the loaded file must not come back as new).
# The server refuses bodies above UPLOAD_MAX_MB (apply_upload_limit); between the decimal and
# the binary megabyte our own Spanish message says so.
spanish_uploader(max_mb, "XLSX, XLSM, XLS, CSV")
file = st.file_uploader(f"Archivo de inventario o ventas (hasta {max_mb:g} MB): arrástrelo al recuadro o use "
                        "su botón para buscarlo", help=UPLOADER_HELP.format(mb=f"{max_mb:g}"),
                        key=f"upload_file_{st.session_state.get('upload_nonce', 0)}",
                        type=["xlsx", "xlsm", "xls", "csv", "txt", "htm", "html"])
if file is not None and st.session_state.get("upload_data", ("",))[0] != f"{file.file_id}":
    # Keep the bytes in the session (AppTest sets this key directly: it cannot drive the widget).
    st.session_state["upload_data"] = (file.file_id, file.name, file.getvalue())

upload = st.session_state.get("upload_data")
if upload and st.session_state.get("upload_owner") != upload[0]:
    # Another file: nothing chosen for the previous one (kind, store, columns) carries over.
    for key in ("upload_result", "upload_mapping", "upload_kind", "upload_store", "upload_unknown"):
        st.session_state.pop(key, None)
    st.session_state["upload_owner"] = upload[0]
if upload:
    _fid, name, data = upload
    c1, c2 = st.columns(2)
    kind_label = c1.selectbox("Tipo de archivo", ["Detectar", "Inventario", "Ventas"], key="upload_kind")
    kind = {"Inventario": "inventory", "Ventas": "sales"}.get(kind_label)
    store = c2.text_input("Sucursal (vacío = detectarla)", key="upload_store").strip() or None
    mapping = st.session_state.get("upload_mapping") or {}
    wanted = (_fid, kind, store, tuple(sorted(mapping.items())))
    cached = st.session_state.get("upload_preview")
    pv = cached[1] if cached and cached[0] == wanted else None
    if pv is None:
        with ui.shows_errors(), st.spinner("Leyendo y revisando el archivo…"):
            pv = preview_upload(user, data, name, kind=kind, store=store, mapping=mapping)
            st.session_state["upload_preview"] = (wanted, pv)
    if pv is not None:
        st.subheader("Vista previa")
        with st.expander("Columnas reconocidas (puede corregirlas)", expanded=bool(pv.problems)):
            mapping_editor(pv)
        show_preview(pv)
        unknown = unknown_codes_choice(pv)
        blocked = bool(pv.problems) or pv.already_loaded_id is not None
        if st.button("Confirmar y cargar", type="primary", disabled=blocked, key="upload_confirm"):
            outcome = None
            with ui.shows_errors():  # a failed load rolled back: nothing was loaded
                outcome = start_upload(user, pv, data, unknown=unknown)
            if outcome is not None:
                if isinstance(outcome, str):
                    st.session_state["upload_job"] = outcome
                else:
                    st.session_state["upload_result"] = outcome.as_json()
                for key in ("upload_data", "upload_mapping", "upload_preview"):
                    st.session_state.pop(key, None)
                st.session_state["upload_nonce"] = st.session_state.get("upload_nonce", 0) + 1
                st.rerun()


# A large file loads in the background; the page stays usable while the shared widget polls it.
ui.job_progress("upload_job", waiting="Cargando en segundo plano…", on_end=job_ended)
if result := st.session_state.get("upload_result"):
    show_result(result)
if error := st.session_state.pop("upload_error", None):
    st.error(f"La carga falló: {error}")

st.subheader("Historial de cargas")
history = list_uploads(user)
history_table(history)
if history:
    with st.expander("Detalle de una carga: filas rechazadas y archivo original"):
        labels = {r["id"]: upload_label(r) for r in history}
        chosen = st.selectbox("Carga", list(labels), key="detail_id", format_func=labels.__getitem__)
        upload_detail_view(upload_detail(user, int(chosen)))
undo_panel(user, [r for r in history if r["status"] == "loaded"])
if message := st.session_state.pop("undo_message", None):
    st.success(message)
