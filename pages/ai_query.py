"""Consulta IA: preguntas en español respondidas con una tabla, una gráfica y una frase."""

from __future__ import annotations

import streamlit as st

from app import ask_ui, ui
from core.ask import AskError, ask, examples, run_sql

user = ui.require_page("ai:query")
st.title("Consulta IA")
st.caption("Pregunte en español por ventas, existencias, clientes o productos. Cada respuesta muestra la "
           "consulta SQL que la calculó; sólo se leen las tablas de análisis.")
chat: list[dict] = st.session_state.setdefault("ask_chat", [])


def queue_question(question: str) -> None:
    st.session_state["ask_pending"] = ("question", question)


def queue_sql(i: int) -> None:
    st.session_state["ask_pending"] = ("sql", st.session_state.get(f"ask_sql_{i}", ""))


if not chat:
    st.markdown("**Ejemplos**")
    cols = st.columns(3)
    for i, example in enumerate(examples()["examples"][:9]):
        cols[i % 3].button(example, key=f"ask_ej_{i}", on_click=queue_question, args=(example,))

typed = st.chat_input("Escriba su pregunta…", max_chars=500, key="ask_input")
pending = ("question", typed) if typed else st.session_state.pop("ask_pending", None)
if pending:
    kind, text = pending
    previous = next((t["result"]["context"] for t in reversed(chat) if "result" in t), None)
    turn: dict = {"question": text, "sql": kind == "sql"}
    with ui.shows_errors():
        try:
            turn["result"] = run_sql(user, text) if kind == "sql" else ask(user, text, previous=previous)
        except AskError as exc:
            turn["error"] = exc.as_json()["error"]
        chat.append(turn)

for i, turn in enumerate(chat):
    with st.chat_message("user"):
        if turn.get("sql"):
            st.markdown("Consulta SQL editada")
        else:
            st.markdown(turn["question"])
    with st.chat_message("assistant"):
        ask_ui.answer(i, turn, on_question=queue_question, on_sql=queue_sql, last=i == len(chat) - 1)

with st.sidebar:  # after the answer, so the question just asked is listed
    if chat:
        st.button("Nueva conversación", key="ask_nueva", on_click=chat.clear)
    ask_ui.history_sidebar(user)
