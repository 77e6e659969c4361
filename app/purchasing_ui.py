"""Widgets of the purchasing page: the suggestion editor, formulas, settings form."""

from __future__ import annotations

import io
from datetime import date
from typing import Any

import pandas as pd
import streamlit as st

from core import purchasing
from core.export import neutralise_frame

FORMULAS = """
**Cómo se calcula** (L = tiempo de entrega, R = periodo de revisión, en días; σ = error diario
del pronóstico medido en su historia; z = factor del nivel de servicio, 1.64 para 95 %):
- Stock de seguridad = z × σ × √(L + R)
- Punto de reorden = demanda de los próximos L días + z × σ × √L
- Nivel objetivo = demanda de los próximos L + R días + stock de seguridad
- Sugerido = nivel objetivo − existencia, redondeado hacia arriba al empaque y al menos el pedido mínimo
- Cobertura = existencia ÷ demanda diaria promedio; se agota el día en que la demanda acumulada
  supera la existencia; **pedir antes del** = ese día − L
"""

SHOWN = {"codigo": "Código", "nombre": "Producto", "linea": "Línea", "abc": "ABC", "xyz": "XYZ",
         "stock": "Existencia", "demanda_lr": "Demanda L+R", "safety_stock": "Stock de seguridad",
         "reorder_point": "Punto de reorden", "order_up_to": "Nivel objetivo",
         "sugerido": "Sugerido", "pedir": "Pedir", "cobertura_dias": "Cobertura (días)",
         "agotamiento": "Se agota", "pedir_antes": "Pedir antes del"}


def filtered(frame: pd.DataFrame, *, linea: str, abc: str, only: bool, today: date) -> pd.DataFrame:
    out = purchasing.to_order(frame, today=today) if only else frame
    if linea != "Todas":
        out = out[out["linea"] == linea]
    if abc != "Todas":
        out = out[out["abc"] == abc]
    return out


def editor(rows: pd.DataFrame) -> pd.DataFrame:
    """The suggestion table; the buyer edits only «Pedir». Returns the rows with their edits."""
    view = rows.assign(pedir=rows["sugerido"])[list(SHOWN)].rename(columns=SHOWN)
    view = neutralise_frame(view.round(2))
    edited = st.data_editor(view, hide_index=True, width="stretch", key="pc_editor",
                            disabled=[c for c in view.columns if c != "Pedir"],
                            column_config={"Pedir": st.column_config.NumberColumn(min_value=0,
                                                                                  max_value=1e7)})
    back = rows.copy()
    back["pedir"] = edited["Pedir"].to_numpy(dtype=float)
    return back


def excel(frame: pd.DataFrame, sheet: str) -> bytes:
    buf = io.BytesIO()
    neutralise_frame(frame).to_excel(buf, index=False, sheet_name=sheet)
    return buf.getvalue()


def settings_form(user: Any, lineas: list[str], products: dict[int, str]) -> None:
    scope = st.radio("Aplicar a", ["Todos (predeterminado)", "Una línea", "Un producto"],
                     horizontal=True, key="pc_scope")
    key = ""
    if scope == "Una línea":
        key = st.selectbox("Línea", lineas, key="pc_scope_linea") or ""
    elif scope == "Un producto":
        key = str(st.selectbox("Producto", list(products), format_func=products.__getitem__,
                               key="pc_scope_producto"))
    code = {"Todos (predeterminado)": "global", "Una línea": "linea", "Un producto": "producto"}
    with st.form("pc_settings"):
        c1, c2, c3, c4, c5 = st.columns(5)
        values = {
            "lead_time_days": c1.number_input("Entrega (días)", 0, 365, 7, key="pc_lead"),
            "review_period_days": c2.number_input("Revisión (días)", 1, 365, 7, key="pc_review"),
            "service_level": c3.number_input("Nivel de servicio", 0.5, 0.999, 0.95, step=0.01,
                                             key="pc_service"),
            "pack_size": c4.number_input("Empaque", 0.001, 1e6, 1.0, key="pc_pack"),
            "moq": c5.number_input("Pedido mínimo", 0.0, 1e6, 0.0, key="pc_moq"),
        }
        if st.form_submit_button("Guardar parámetros"):
            purchasing.save_settings(user, scope=code[scope], key=key, values=values)
            st.success("Parámetros guardados.")
