"""Widgets of the AI query page: one answer (summary, table, chart, download, SQL to edit), the
history in the sidebar. No SQL and no rules here: core.ask decides."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd
import plotly.express as px
import streamlit as st

from app.ui import COLORS, fecha_hora
from core.ask import history as ask_history
from core.ask.answer import MONEY_COLUMNS
from core.ask.export import to_csv
from core.users import User


def answer(i: int, turn: dict[str, Any], *, on_question: Callable[[str], None],
           on_sql: Callable[[int], None], last: bool) -> None:
    """One assistant message of the chat."""
    if "error" in turn:
        st.error(turn["error"]["message"])
        for j, suggestion in enumerate(turn["error"].get("suggestions", [])):
            st.button(suggestion, key=f"ask_sug_{i}_{j}", on_click=on_question, args=(suggestion,))
        return
    result = turn["result"]
    st.markdown(result["summary"])
    columns = result["metadata"]["columns"]
    frame = pd.DataFrame(result["data"], columns=columns)
    if result["data"]:
        formats = {c: st.column_config.NumberColumn(format="dollar" if c in MONEY_COLUMNS else "localized")
                   for c in columns if pd.api.types.is_numeric_dtype(frame[c]) and not c.endswith("id")}
        st.dataframe(frame, hide_index=True, width="stretch", key=f"ask_tabla_{i}", column_config=formats)
        st.download_button("Descargar CSV", to_csv(columns, result["data"]), file_name="consulta.csv",
                           mime="text/csv", key=f"ask_csv_{i}", icon=":material/download:")
    chart = result.get("chart")
    if chart and result["data"]:
        draw = px.line if chart["type"] == "line" else px.bar
        fig = draw(frame, x=chart["x"], y=chart["y"], color_discrete_sequence=COLORS)
        fig.update_layout(margin={"l": 10, "r": 10, "t": 10, "b": 10}, height=300)
        st.plotly_chart(fig, width="stretch", key=f"ask_grafica_{i}")
    with st.expander("SQL"):
        st.caption(result["query"]["explanation"])
        st.code(result["query"]["sql"], language="sql")
        st.text_area("Editar la consulta", result["query"]["sql"], key=f"ask_sql_{i}", max_chars=5000, height=120)
        st.button("Editar y ejecutar", key=f"ask_run_{i}", on_click=on_sql, args=(i,))
    if last:
        cols = st.columns(max(1, len(result["followUps"])))
        for j, follow in enumerate(result["followUps"]):
            cols[j].button(follow, key=f"ask_seg_{i}_{j}", on_click=on_question, args=(follow,))


def history_sidebar(user: User) -> None:
    st.subheader("Historial")
    everyone = user.role == "admin" and st.toggle("De todos los usuarios", key="ask_hist_todos")
    rows = ask_history.recent(user, limit=15, everyone=bool(everyone))
    if not rows:
        st.caption("Aún no hay preguntas.")
    for row in rows:
        who = f" · {row.get('email', '')}" if everyone else ""
        mark = "" if row["status"] == "answered" else " (sin respuesta)"
        st.caption(f"{fecha_hora(row['created_at'])}{who}: {row['question']}{mark}")
