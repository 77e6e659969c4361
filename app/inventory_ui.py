"""Pieces of the inventory page: filters, the list, the detail and the product forms."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

import pandas as pd
import plotly.express as px
import streamlit as st

from app import ui
from core import inventory
from core.inventory.listing import ORIGENES, SORTS
from core.inventory.search import MAX_SEARCH_CHARS
from core.users import User

ALL = "Todos"
ESTADOS = {"Activos": True, "Inactivos": False, ALL: None}
LOW_STOCK_STYLE = "background-color: #fbe3d6"
# Shown for an empty cell instead of Streamlit's gray "None": a product with no stock row in an
# almacén has no stock known there (not 0), a product never sold has no last sale.
UNKNOWN = "—"
ORIGEN_NOTES = {
    "erp": "Viene de Microsip",
    "excel": "Creado por una carga de Excel",
    "local": "Creado en DevCompras (la sincronización no lo toca)",
}
READ_ONLY_NOTE = ("Los datos que vienen de Microsip (código, nombre, precio, costo, categoría, grupo, unidad, "
                  "activo) son de solo lectura aquí: la próxima sincronización los sobrescribiría. "
                  "Las notas son de DevCompras y se pueden editar.")
FIELD_LABELS = {"codigo": "Código", "nombre": "Nombre", "descripcion": "Descripción", "categoria": "Categoría",
                "grupo": "Grupo", "unidad_medida": "Unidad de medida", "precio": "Precio", "costo": "Costo",
                "notas": "Notas"}
FIELD_CHARS = {"codigo": 50, "nombre": 255, "descripcion": 2000, "categoria": 100, "grupo": 100,
               "unidad_medida": 20, "precio": 30, "costo": 30, "notas": 2000}


def filters(opts: dict) -> inventory.InventoryFilter:
    """Search box and filters; the page number resets when any of them changes."""
    search = st.text_input("Buscar por código o nombre", max_chars=MAX_SEARCH_CHARS, key="inv_buscar",
                           placeholder="p. ej. tornillo galvanizado o TOR0101",
                           help="No importan acentos, mayúsculas ni errores pequeños; el código puede ir sin guiones.")
    c = st.columns(5)
    categoria = c[0].selectbox("Categoría", [ALL, *opts["categorias"]], key="inv_categoria")
    grupo = c[1].selectbox("Grupo", [ALL, *opts["grupos"]], key="inv_grupo")
    almacenes = {a["nombre"]: a["id"] for a in opts["almacenes"]}
    almacen = c[2].selectbox("Almacén", [ALL, *almacenes], key="inv_almacen")
    estado = c[3].selectbox("Estado", list(ESTADOS), key="inv_estado")
    origenes = {label: key for key, label in ORIGENES.items()}
    origen = c[4].selectbox("Origen", [ALL, *origenes], key="inv_origen")
    c = st.columns([1, 1, 2, 1, 1])
    stock_bajo = c[0].checkbox("Stock bajo", key="inv_stock_bajo", help="Existencia menor al mínimo en algún almacén")
    sin_existencia = c[1].checkbox("Sin existencia", key="inv_sin_existencia")
    sorts = {label: key for key, label in SORTS.items()}
    orden = c[2].selectbox("Ordenar por", list(sorts), key="inv_orden")
    descending = c[3].toggle("Descendente", key="inv_desc")
    limit = c[4].selectbox("Por página", [20, 50, 100], key="inv_limite")
    f = inventory.InventoryFilter(
        search=search or None, categoria=None if categoria == ALL else categoria,
        grupo=None if grupo == ALL else grupo, almacen_id=almacenes.get(almacen), stock_bajo=stock_bajo,
        sin_existencia=sin_existencia, activo=ESTADOS[estado], origen=origenes.get(origen),
        sort=None if sorts[orden] == "relevancia" else sorts[orden], descending=descending, limit=limit)
    signature = repr(f)
    if st.session_state.get("inv_firma") != signature:
        st.session_state["inv_firma"] = signature
        st.session_state["inv_pagina"] = 1
        st.session_state.pop("inv_exportar", None)  # a file is prepared for one view, on request
    return inventory.InventoryFilter(**{**asdict(f), "page": int(st.session_state.get("inv_pagina", 1))})


def _when(value: Any) -> Any:
    return pd.Timestamp(value) if value is not None else None


def frame(rows: list[dict], almacenes: list[str]) -> pd.DataFrame:
    """The list as a table with Spanish headers."""
    records = []
    for p in rows:
        rec = {"Código": p["codigo"], "Nombre": p["nombre"], "Categoría": p["categoria"],
               "Stock total": p["stock_total"]}
        rec |= {a: p["existencias"].get(a) for a in almacenes}
        rec |= {"Mínimo": p["stock_minimo"], "Punto de reorden": p["punto_reorden"], "Máximo": p["stock_maximo"],
                "Precio": p["precio"], "Costo": p["costo"], "Última venta": _when(p["ultima_venta"]),
                "Última sincronización": _when(p["last_synced_at"]), "Activo": p["activo"],
                "Bajo mínimo": p["bajo_minimo"]}
        records.append(rec)
    return pd.DataFrame.from_records(records, columns=["Código", "Nombre", "Categoría", "Stock total", *almacenes,
                                                       "Mínimo", "Punto de reorden", "Máximo", "Precio", "Costo",
                                                       "Última venta", "Última sincronización", "Activo",
                                                       "Bajo mínimo"])


def table(result: dict, almacenes: list[str]) -> None:
    """The page of products, rows below their minimum highlighted, and the page selector."""
    pg = result["pagination"]
    df = frame(result["data"], almacenes)
    st.caption(f"{pg['total']:,} productos · página {pg['page']} de {max(pg['totalPages'], 1)}"
               + (" · en color, los que están bajo su mínimo" if df["Bajo mínimo"].any() else ""))
    if df.empty:
        st.info("Ningún producto coincide con la búsqueda y los filtros.")
        return
    styled = df.style.apply(lambda row: [LOW_STOCK_STYLE if row["Bajo mínimo"] else ""] * len(row), axis=1)
    number = st.column_config.NumberColumn(format="localized")
    st.dataframe(styled, hide_index=True, width="stretch", key="inv_tabla", placeholder=UNKNOWN, column_config={
        "Precio": st.column_config.NumberColumn(format="dollar"),
        "Costo": st.column_config.NumberColumn(format="dollar"),
        "Stock total": number, "Mínimo": number, "Punto de reorden": number, "Máximo": number,
        **{a: number for a in almacenes},
        "Última venta": st.column_config.DateColumn(format="DD/MM/YYYY"),
        "Última sincronización": st.column_config.DatetimeColumn(format="DD/MM/YYYY HH:mm"),
        "Bajo mínimo": None,
    })
    if pg["totalPages"] > 1:
        st.number_input("Página", min_value=1, max_value=pg["totalPages"], step=1, key="inv_pagina")


def detail(d: dict) -> None:
    """A product: data, stock per almacén, weekly units over a year, last 20 documents."""
    p = d["producto"]
    st.subheader(f"{p['codigo']} · {p['nombre']}")
    origin = ORIGEN_NOTES.get(p["origen"], p["origen"])
    synced = f"; última sincronización {ui.fecha_hora(p['last_synced_at'])}" if p["last_synced_at"] else ""
    st.caption(f"{origin}{synced}." + ("" if p["activo"] else " Producto inactivo."))
    k = st.columns(4)
    k[0].metric("Precio", ui.money(p["precio"]) if p["precio"] is not None else "—")
    k[1].metric("Costo", ui.money(p["costo"]) if p["costo"] is not None else "—")
    k[2].metric("Stock total", ui.number(p["stock_total"]))
    k[3].metric("Categoría", p["categoria"] or "—")
    if p["notas"]:
        st.markdown(f"**Notas:** {p['notas']}")
    if d["inventario"]:
        st.dataframe(pd.DataFrame([{
            "Almacén": i["almacen"], "Existencia": i["stock_actual"], "Mínimo": i["stock_minimo"],
            "Punto de reorden": i["punto_reorden"], "Máximo": i["stock_maximo"], "Ubicación": i["ubicacion"],
            "Última sincronización": _when(i["last_synced_at"])} for i in d["inventario"]]),
            hide_index=True, width="stretch", key="inv_existencias", placeholder=UNKNOWN,
            column_config={"Última sincronización": st.column_config.DatetimeColumn(format="DD/MM/YYYY HH:mm")})
    else:
        st.info("Este producto no tiene existencias registradas en ningún almacén.")
    weeks = d["ventas_semanales"]
    fig = px.bar(weeks, x="semana", y="unidades", color_discrete_sequence=ui.COLORS,
                 labels={"semana": "Semana del", "unidades": "Unidades"},
                 title="Unidades vendidas por semana (últimos 12 meses)")
    fig.update_layout(margin={"l": 10, "r": 10, "t": 40, "b": 10}, height=300)
    fig.update_xaxes(tickformat="%d/%m/%y")
    st.plotly_chart(fig, width="stretch", key="inv_grafica")
    if d["documentos"]:
        st.markdown("**Últimos 20 documentos**")
        st.dataframe(pd.DataFrame([{
            "Folio": x["folio"], "Fecha": _when(x["fecha"]), "Almacén": x["almacen"], "Unidades": x["unidades"],
            "Tipo": {"D": "Devolución"}.get(x["tipo"] or "", "Venta")} for x in d["documentos"]]),
            hide_index=True, width="stretch", key="inv_documentos", placeholder=UNKNOWN,
            column_config={"Fecha": st.column_config.DateColumn(format="DD/MM/YYYY")})
    else:
        st.caption("Sin ventas registradas.")


def _field_error(errors: dict, field: str) -> None:
    if field in errors:
        st.error(errors[field], icon=":material/error:")


def product_form(user: User, *, key: str, producto: dict | None) -> None:
    """Create (producto None) or edit form; core's field errors show under each field after a rerun."""
    if st.session_state.pop(f"{key}_limpiar", False):  # a product was just created: empty the form
        for field in FIELD_LABELS:
            st.session_state.pop(f"{key}_{field}", None)
    errors: dict = st.session_state.get(f"{key}_errores", {})
    editable = inventory.editable_fields(producto["origen"]) if producto else inventory.editable_fields("local")
    if producto and producto["origen"] == "erp":
        st.info(READ_ONLY_NOTE)
    with st.form(key):
        values: dict[str, Any] = {}
        for field, label in FIELD_LABELS.items():
            if producto is None and field == "notas":
                continue
            current = producto.get(field) if producto else None
            shown = "" if current is None else (f"{current:.2f}" if field == "precio" else str(current))
            disabled = field not in editable
            value = st.text_input(label + (" *" if field in ("codigo", "nombre") else ""), value=shown,
                                  max_chars=FIELD_CHARS[field], disabled=disabled, key=f"{key}_{field}")
            _field_error(errors, field)
            if not disabled and (producto is None or value != shown):
                values[field] = value
        if producto is not None and "activo" in editable:
            activo = st.checkbox("Activo", value=bool(producto["activo"]), key=f"{key}_activo")
            if activo != bool(producto["activo"]):
                values["activo"] = activo
        submitted = st.form_submit_button("Crear producto" if producto is None else "Guardar cambios")
    if errors.get("_"):
        st.error(errors["_"])
    if not submitted:
        return
    try:
        if producto is None:
            saved = inventory.create_producto(user, values)
            st.session_state["inv_aviso"] = f"Producto {saved['codigo']} creado."
            st.session_state[f"{key}_limpiar"] = True
        else:
            saved = inventory.update_producto(user, producto["id"], values)
            st.session_state["inv_aviso"] = f"Producto {saved['codigo']} actualizado."
        st.session_state[f"{key}_errores"] = {}
        st.session_state["inv_abrir"] = saved["id"]
        st.session_state.setdefault("inv_etiquetas", {})[saved["id"]] = f"{saved['codigo']} · {saved['nombre']}"
    except inventory.InventoryError as exc:
        st.session_state[f"{key}_errores"] = exc.fields or {"_": exc.message}
        if exc.fields and set(exc.fields) - set(FIELD_LABELS):
            st.session_state[f"{key}_errores"]["_"] = exc.message
    st.rerun()


def remove_buttons(user: User, p: dict) -> None:
    """Deactivate and delete (local and Excel products); a refused delete offers to deactivate."""
    if p["origen"] == "erp":
        st.caption("Para desactivar o eliminar un producto de Microsip, hágalo en Microsip.")
        return
    c = st.columns([1, 1, 3])
    if p["activo"] and c[0].button("Desactivar", key=f"inv_desactivar_{p['id']}", icon=":material/block:"):
        _deactivate(user, p)
    if c[1].button("Eliminar", key=f"inv_eliminar_{p['id']}", icon=":material/delete:"):
        try:
            codigo = inventory.delete_producto(user, p["id"])
        except inventory.Conflict as exc:
            st.session_state["inv_conflicto"] = (p["id"], exc.message)
        else:
            st.session_state["inv_aviso"] = f"Producto {codigo} eliminado."
            st.session_state["inv_cerrar"] = True
        st.rerun()
    conflict = st.session_state.get("inv_conflicto")
    if conflict and conflict[0] == p["id"]:
        st.warning(conflict[1])
        if p["activo"] and st.button("Desactivar en su lugar", key=f"inv_desactivar_mejor_{p['id']}"):
            _deactivate(user, p)


def _deactivate(user: User, p: dict) -> None:
    inventory.deactivate_producto(user, p["id"])
    st.session_state.pop("inv_conflicto", None)
    st.session_state["inv_aviso"] = f"Producto {p['codigo']} desactivado."
    st.rerun()
