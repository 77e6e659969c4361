"""Widgets of the forecast page: the chart, the accuracy in plain Spanish, the tables."""

from __future__ import annotations

import io
from datetime import date, timedelta
from typing import Any

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from app.ui import COLORS, fecha
from core.export import neutralise_frame
from core.forecast.classify import LABELS as CLASS_LABELS
from core.forecast.periods import forecast_by_period, history_by_period
from core.forecast.service import model_label

METRIC_LABELS = {"mae": "MAE", "rmse": "RMSE", "r2": "R²", "mase": "MASE", "rmsse": "RMSSE",
                 "bias": "Sesgo", "cobertura_80": "Cobertura 80 %", "cobertura_95": "Cobertura 95 %"}


UNITS = {"dia": "Piezas por día", "semana": "Piezas por semana", "mes": "Piezas por mes"}
HEADERS = {"dia": "Fecha", "semana": "Semana del", "mes": "Mes"}
HISTORY_DAYS = {"dia": 180, "semana": 365, "mes": 365}  # of the history shown in the chart


def forecast_frame(fc: dict[str, Any], days: int, period: str = "dia") -> pd.DataFrame:
    """The table of the first ``days`` forecast days, by día, semana (from the first forecast
    day) or mes; bounds combined as core.forecast.periods explains."""
    out = forecast_by_period(fc, days=days, period=period)
    table = pd.DataFrame({
        HEADERS[period]: out["fecha"],
        "Pronóstico": out["yhat"].round(2),
        "Mínimo 80 %": out["lo80"].round(2), "Máximo 80 %": out["hi80"].round(2),
        "Mínimo 95 %": out["lo95"].round(2), "Máximo 95 %": out["hi95"].round(2),
    })
    if period != "dia":
        table["Días"] = out["dias"]
    return table


def period_note(period: str) -> str:
    first = ("Semanas de 7 días desde el primer día pronosticado. " if period == "semana" else
             "Meses de calendario; la columna Días dice cuántos días tiene cada uno. ")
    return first + ("Los límites de un periodo no son la suma de los diarios (eso supondría que "
                    "todos los días fallan hacia el mismo lado a la vez): se combinan como errores "
                    "independientes, con la raíz de la suma de cuadrados.")


def chart(history: list[dict[str, Any]], table: pd.DataFrame, period: str = "dia") -> None:
    start: date = table.iloc[0, 0]
    shown = [h for h in history if h["fecha"] >= start - timedelta(days=HISTORY_DAYS[period])]
    past = history_by_period(shown, period=period, week_start=start)
    x = table.iloc[:, 0]
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=x, y=table["Máximo 95 %"], line={"width": 0},
                             showlegend=False, hoverinfo="skip"))
    fig.add_trace(go.Scatter(x=x, y=table["Mínimo 95 %"], fill="tonexty",
                             fillcolor="rgba(31,111,139,0.15)", line={"width": 0},
                             name="Intervalo 95 %"))
    fig.add_trace(go.Scatter(x=x, y=table["Máximo 80 %"], line={"width": 0},
                             showlegend=False, hoverinfo="skip"))
    fig.add_trace(go.Scatter(x=x, y=table["Mínimo 80 %"], fill="tonexty",
                             fillcolor="rgba(31,111,139,0.3)", line={"width": 0},
                             name="Intervalo 80 %"))
    fig.add_trace(go.Scatter(x=past["fecha"], y=past["unidades"], name="Ventas",
                             line={"color": COLORS[1]}))
    fig.add_trace(go.Scatter(x=x, y=table["Pronóstico"], name="Pronóstico",
                             line={"color": COLORS[0], "width": 3}))
    fig.update_layout(margin={"l": 10, "r": 10, "t": 30, "b": 10}, height=380,
                      yaxis_title=UNITS[period], legend={"orientation": "h"})
    st.plotly_chart(fig, width="stretch")


def accuracy_sentence(fc: dict[str, Any]) -> str:
    """«En promedio se equivoca por ±3 piezas al día; 24 % mejor que repetir la semana pasada»."""
    mae = fc["metricas"].get("mae")
    if mae is None:
        return "Todavía hay poca historia para medir qué tan acertado es este pronóstico."
    text = f"En promedio se equivoca por ±{mae:,.1f} piezas al día"
    sn = (fc["candidatos"].get("seasonal_naive") or {}).get("mae")
    if sn and fc["modelo"] != "seasonal_naive":
        gain = 1 - mae / sn
        text += (f"; {gain:.0%} mejor que repetir la semana pasada" if gain >= 0 else
                 f"; {-gain:.0%} peor que repetir la semana pasada")
    return text.replace("%", " %") + "."


def metrics_row(metricas: dict[str, Any]) -> None:
    with st.container(horizontal=True, key="fc_metricas"):
        for key, label in METRIC_LABELS.items():
            value = metricas.get(key)
            if value is None:
                shown = "—"
            elif key in ("bias", "cobertura_80", "cobertura_95"):
                shown = f"{value:+.0%}" if key == "bias" else f"{value:.0%}"
            else:
                shown = f"{value:,.2f}"
            st.metric(label, shown, width="content")


def candidates_table(fc: dict[str, Any]) -> None:
    rows = [{"Modelo": model_label(alias) + (" ✓" if alias == fc["modelo"] else ""),
             "RMSSE": s.get("rmsse"), "MASE": s.get("mase"), "MAE": s.get("mae"),
             "Sesgo": s.get("bias")}
            for alias, s in sorted(fc["candidatos"].items(),
                                   key=lambda kv: kv[1].get("rmsse") or 9e9)]
    st.dataframe(neutralise_frame(pd.DataFrame(rows)), hide_index=True, width="stretch",
                 key="fc_candidatos",
                 column_config={"Sesgo": st.column_config.NumberColumn(format="percent")})


def class_label(clase: str) -> str:
    return CLASS_LABELS.get(clase, clase)


def excel_bytes(frame: pd.DataFrame, sheet: str) -> bytes:
    buf = io.BytesIO()
    neutralise_frame(frame).to_excel(buf, index=False, sheet_name=sheet)
    return buf.getvalue()


def run_caption(run: dict[str, Any] | None) -> str:
    if run is None:
        return "Todavía no hay un entrenamiento por lotes."
    when = fecha(run["completed_at"] or run["created_at"])
    states = {"completed": "completado", "running": "en curso", "pending": "en espera",
              "failed": "falló"}
    return (f"Último entrenamiento por lotes: {when}, {states.get(run['status'], run['status'])}, "
            f"{run['products_done']} de {run['products']} productos.")
