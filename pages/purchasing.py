"""Compras: qué pedir, cuánto y antes de cuándo; exceso y existencias sin movimiento."""

from __future__ import annotations

from datetime import date

import streamlit as st

from app import data, purchasing_ui
from app.ui import money, require_page, shows_errors
from core import purchasing

user = require_page("purchasing:read")
st.title("Sugerencias de compra")
version = data.versions("catalog", "stock", "sales", "forecasts", "purchasing")

stores = {a["id"]: a["nombre"] for a in data.almacenes(version)}
c1, c2, c3, c4 = st.columns([2, 2, 1, 2])
almacen = c1.selectbox("Almacén", [None, *stores], key="pc_almacen",
                       format_func=lambda a: "Todos" if a is None else stores[a])
with shows_errors():
    frame = data.purchasing_analysis(user, user.role, almacen, version)
    if frame.empty:
        st.info("No hay productos activos.")
        st.stop()
    lineas = sorted(x for x in frame["linea"].unique() if x)
    linea = c2.selectbox("Línea", ["Todas", *lineas], key="pc_linea")
    abc = c3.selectbox("ABC", ["Todas", "A", "B", "C"], key="pc_abc")
    only = c4.checkbox("Solo lo que hay que pedir", value=True, key="pc_solo")
    today = date.today()
    if not frame["con_pronostico"].any():
        st.warning("Todavía no hay pronósticos: un gerente puede entrenarlos en Pronósticos.")
    sugg, exc, dead, params = st.tabs(["Sugerencias", "Exceso", "Sin movimiento", "Parámetros"])
    with sugg:
        rows = purchasing_ui.filtered(frame, linea=linea, abc=abc, only=only, today=today)
        st.caption(f"{len(rows)} productos.")
        edited = purchasing_ui.editor(rows)
        st.download_button("Descargar borrador de orden de compra (Excel)",
                           purchasing_ui.excel(purchasing.order_draft(user, edited), "Orden"),
                           file_name="orden_de_compra.xlsx", key="pc_descargar",
                           mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        st.markdown(purchasing_ui.FORMULAS)
        if user.can("purchasing:write") and not rows.empty:
            names = dict(zip(rows["producto_id"], rows["codigo"] + " — " + rows["nombre"],
                             strict=True))
            s1, s2, s3 = st.columns([3, 1, 1])
            pid = s1.selectbox("Posponer producto", list(names), format_func=names.__getitem__,
                               key="pc_snooze_id")
            ndays = int(s2.number_input("Días", 1, purchasing.MAX_SNOOZE_DAYS, 7, key="pc_snooze_n"))
            if s3.button("Posponer", key="pc_snooze"):
                until = purchasing.snooze(user, int(pid), ndays)
                st.success(f"Pospuesto hasta el {until:%d/%m/%Y}.")
    with exc:
        ex = purchasing.excess(frame)
        st.metric("Valor del exceso a costo", money(float(ex["valor_exceso"].sum()) if not ex.empty else 0))
        st.dataframe(purchasing_ui.neutralise_frame(ex[["codigo", "nombre", "linea", "stock",
                                                        "cobertura_dias", "exceso", "valor_exceso"]]
                                                    if not ex.empty else ex),
                     hide_index=True, width="stretch", key="pc_exceso")
    with dead:
        dd = purchasing.dead(frame, today=today)
        st.metric(f"Sin ventas en {purchasing.DEAD_DAYS} días, valor a costo",
                  money(float(dd["valor_stock"].sum()) if not dd.empty else 0))
        st.dataframe(purchasing_ui.neutralise_frame(dd[["codigo", "nombre", "linea", "stock",
                                                        "ultima_venta", "valor_stock"]]
                                                    if not dd.empty else dd),
                     hide_index=True, width="stretch", key="pc_muerto")
    with params:
        if user.can("purchasing:write"):
            products = dict(zip(frame["producto_id"], frame["codigo"], strict=True))
            purchasing_ui.settings_form(user, lineas, products)
        else:
            st.caption("Solo un gerente cambia los parámetros de compra.")
