"""Inventario: buscar productos, filtrarlos, ver su detalle, exportar; gerente y administrador los editan."""

from __future__ import annotations

from datetime import date

import streamlit as st

from app import data, inventory_ui, ui

user = ui.require_page("inventory:read")
st.title("Inventario")
if aviso := st.session_state.pop("inv_aviso", None):
    st.success(aviso)
version = data.versions("catalog", "stock", "sales")
opts = data.inventory_options(user, user.role, version)
almacenes = [a["nombre"] for a in opts["almacenes"]]
f = inventory_ui.filters(opts)

result: dict = {"data": [], "pagination": {"total": 0}}
with ui.shows_errors():
    result = data.inventory_list(user, user.role, f, version)
    inventory_ui.table(result, almacenes)
    if result["pagination"]["total"]:
        xlsx, csv = st.columns([1, 1])
        if xlsx.button("Preparar Excel", key="inv_prep_xlsx", icon=":material/table_view:"):
            st.session_state["inv_exportar"] = "xlsx"
        if csv.button("Preparar CSV", key="inv_prep_csv", icon=":material/description:"):
            st.session_state["inv_exportar"] = "csv"
        kind = st.session_state.get("inv_exportar")
        if kind:
            payload = data.inventory_export(user, user.role, f, kind, version)
            mime = ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" if kind == "xlsx"
                    else "text/csv")
            st.download_button(f"Descargar {result['pagination']['total']:,} productos ({kind.upper()})",
                               payload, file_name=f"inventario.{kind}", mime=mime, key="inv_descargar",
                               on_click="ignore", icon=":material/download:")

if user.can("inventory:write"):
    with st.expander("Nuevo producto", icon=":material/add:"):
        inventory_ui.product_form(user, key="inv_nuevo", producto=None)

st.divider()
# Labels of every product offered so far: the one opened stays selectable off the current page.
labels: dict = st.session_state.setdefault("inv_etiquetas", {})
labels |= {p["id"]: f"{p['codigo']} · {p['nombre']}" for p in result["data"]}
if st.session_state.pop("inv_cerrar", False):  # the product shown was deleted
    st.session_state.pop("inv_detalle", None)
wanted = st.session_state.pop("inv_abrir", None)
link = st.query_params.get("producto")  # ?producto=CÓDIGO opens it, once: then the list rules
if wanted is None and link is not None and st.session_state.get("inv_enlace") != link:
    st.session_state["inv_enlace"] = wanted = link
if wanted is not None:
    st.session_state["inv_detalle"] = wanted
options = [p["id"] for p in result["data"]]
current = st.session_state.get("inv_detalle")
if current is not None and current not in options:
    options.insert(0, current)
picked = st.selectbox("Ver detalle de", options, format_func=lambda k: labels.get(k, str(k)),
                      index=None, placeholder="Elija un producto de la lista", key="inv_detalle")
if picked is not None:
    with ui.shows_errors():
        d = data.inventory_detail(user, user.role, picked, date.today(), version)
        inventory_ui.detail(d)
        if user.can("inventory:write"):
            p = d["producto"]
            with st.expander("Editar producto", icon=":material/edit:"):
                inventory_ui.product_form(user, key=f"inv_editar_{p['id']}", producto=p)
            inventory_ui.remove_buttons(user, p)
