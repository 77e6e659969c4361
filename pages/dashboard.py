"""Tablero: ventas, inventario y tendencias para un periodo, almacén y categoría."""

from __future__ import annotations

from datetime import date, timedelta

import streamlit as st

from app import data, ui
from core.analytics import DashboardFilter

user = ui.require_page("dashboard:read")
st.title("Tablero")

version = data.versions("catalog", "stock", "sales")
options = data.dashboard_options(user, user.role, version)
end_default = options["ultima_venta"] or date.today()
col_fecha, col_alm, col_cat = st.columns([2, 1, 1])
rango = col_fecha.date_input("Periodo", value=(end_default - timedelta(days=29), end_default),
                             min_value=options["primera_venta"] or date(2000, 1, 1),
                             max_value=max(end_default, date.today()), format="DD/MM/YYYY", key="dash_rango")
almacenes = {a["nombre"]: a["id"] for a in options["almacenes"]}
almacen = col_alm.selectbox("Almacén", ["Todos", *almacenes], key="dash_almacen")
categoria = col_cat.selectbox("Categoría", ["Todas", *options["categorias"]], key="dash_categoria")
if not isinstance(rango, tuple) or len(rango) != 2:
    st.info("Elige la fecha final del periodo.")
    st.stop()

f = DashboardFilter(start=rango[0], end=rango[1], almacen_id=almacenes.get(almacen),
                    categoria=None if categoria == "Todas" else categoria)
d = data.dashboard(user, user.role, f, version)
v, prev = d.ventas, d.ventas_anterior

k = st.columns(3) + st.columns(3)
k[0].metric("Ventas", ui.money(v.importe), ui.pct_change(v.importe, prev.importe),
            help="Importe neto antes de IVA; las devoluciones restan.")
k[1].metric("Unidades", ui.number(v.unidades), ui.pct_change(v.unidades, prev.unidades),
            help="Suma de cantidades en la unidad de venta de cada producto (piezas, kilos, litros…).")
k[2].metric("Ticket promedio", ui.money(v.ticket_promedio),
            ui.pct_change(v.ticket_promedio, prev.ticket_promedio),
            help="Importe promedio por documento de venta (sin devoluciones).")
k[3].metric("Documentos", ui.number(v.documentos), ui.pct_change(v.documentos, prev.documentos))
k[4].metric("Productos bajo mínimo", ui.number(d.bajo_minimo),
            help="Hoy: productos activos con existencia menor a su mínimo en algún almacén.")
k[5].metric("Valor del inventario", ui.money(d.valor_inventario), help="Hoy: existencia positiva × costo.")
st.caption(f"Ventas comparadas con {ui.fecha(f.previous().start)} – {ui.fecha(f.previous().end)}; "
           "bajo mínimo y valor del inventario son de hoy.")

grano = st.segmented_control("Ventas por", ["Día", "Semana"], default="Día", key="dash_grano")
figs = data.dashboard_figures(user, user.role, f, grano or "Día", version)
ui.chart(figs["ventas"], empty="No hay ventas en el periodo elegido.")
izq, der = st.columns(2)
with izq:
    ui.chart(figs["top_productos"], empty="Top 10 productos: sin datos en el periodo.")
with der:
    ui.chart(figs["por_almacen"], empty="Ventas por almacén: sin datos en el periodo.")
ui.chart(figs["por_categoria"], empty="Ventas por categoría: sin datos en el periodo.")
