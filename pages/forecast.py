"""Pronósticos: demanda por producto con intervalos y su precisión medida."""

from __future__ import annotations

import streamlit as st

from app import data, forecast_ui
from app.ui import job_progress, require_page, shows_errors
from core.forecast import service, train
from core.forecast.periods import LABELS as PERIOD_LABELS
from core.forecast.service import MAX_DAYS, MAX_QUERY, model_label

user = require_page("forecast:read")
st.title("Pronósticos de demanda")
version = data.versions("catalog", "sales", "forecasts")

col_search, col_almacen, col_days = st.columns([3, 2, 1])
text = col_search.text_input("Buscar producto (código o nombre)", key="fc_buscar",
                             max_chars=MAX_QUERY)
stores = {None: "Todos los almacenes", **{a["id"]: a["nombre"] for a in data.almacenes(version)}}
almacen_id = col_almacen.selectbox("Almacén", list(stores), format_func=stores.__getitem__,
                                   key="fc_almacen")
days = int(col_days.number_input("Días a pronosticar", min_value=1, max_value=MAX_DAYS,
                                 value=30, step=1, key="fc_dias"))
found = data.search_products(user, user.role, text, version)
if not found:
    st.info("Ningún producto coincide con la búsqueda.")
    st.stop()
labels = {p["codigo"]: f"{p['codigo']} — {p['nombre']}" for p in found}
codigo = st.selectbox("Producto", list(labels), format_func=labels.__getitem__, key="fc_producto")
period = st.radio("Ver por", list(PERIOD_LABELS), format_func=PERIOD_LABELS.__getitem__,
                  horizontal=True, key="fc_periodo")

with shows_errors():
    out = data.product_forecast(user, user.role, codigo, almacen_id, version)
    fc, product = out["forecast"], out["producto"]
    table = forecast_ui.forecast_frame(fc, days, period)
    forecast_ui.chart(data.product_history(user, user.role, product["id"], almacen_id, version),
                      table, period)
    if period != "dia":
        st.caption(forecast_ui.period_note(period))
    st.markdown(f"**{forecast_ui.accuracy_sentence(fc)}**")
    st.caption(f"Modelo elegido: **{model_label(fc['modelo'])}** · demanda "
               f"{forecast_ui.class_label(fc['clase'])} · medido en las últimas semanas de su "
               "propia historia (pronosticando sin verlas).")
    forecast_ui.metrics_row(fc["metricas"])
    with st.expander("Modelos comparados (menor RMSSE gana)"):
        forecast_ui.candidates_table(fc)
    st.subheader(f"Pronóstico por {PERIOD_LABELS[period].lower()}")
    st.dataframe(table, hide_index=True, width="stretch", key="fc_tabla")
    st.download_button("Descargar Excel", forecast_ui.excel_bytes(table, "Pronóstico"),
                       file_name=f"pronostico_{product['codigo']}.xlsx", key="fc_descargar",
                       mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")

st.divider()
st.caption(forecast_ui.run_caption(service.last_batch(user)))
if user.can("forecast:write"):
    if st.button("Reentrenar todos los productos", key="fc_reentrenar", icon=":material/refresh:"):
        with shows_errors():
            st.session_state["fc_job"] = train.retrain(user)
    job_progress("fc_job", waiting="Entrenando en segundo plano…", error_key="fc_error")
    if error := st.session_state.pop("fc_error", None):
        st.error(f"El entrenamiento falló: {error}")
