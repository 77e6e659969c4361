"""Auditoría: quién cambió qué y cuándo (productos hoy; compras y usuarios cuando existan)."""

from __future__ import annotations

import json

import pandas as pd
import streamlit as st

from app import data, ui
from core import audit

user = ui.require_page("audit:read")
st.title("Auditoría")
st.caption("Cada cambio que hace una persona: quién, cuándo, qué, y los datos antes y después.")
c = st.columns([1, 2])
entidades = {"Todo": None, **{label: key for key, label in audit.ENTITY_LABELS.items()}}
entidad = c[0].selectbox("Qué", list(entidades), key="aud_entidad")
texto = c[1].text_input("Buscar por usuario o clave", max_chars=audit.MAX_FILTER_CHARS, key="aud_texto")

with ui.shows_errors():
    f = audit.AuditFilter(entity=entidades[entidad], text=texto or None)
    rows = data.audit_entries(user, user.role, f, data.versions("catalog", "users"))
    if not rows:
        st.info("No hay cambios registrados con ese filtro.")
    else:
        st.dataframe(pd.DataFrame([{
            "Fecha": pd.Timestamp(r["created_at"]), "Usuario": r["user_email"],
            "Acción": audit.ACTION_LABELS.get(r["action"], r["action"]),
            "Qué": f"{audit.ENTITY_LABELS.get(r['entity'], r['entity'])} {r['entity_label'] or r['entity_id']}",
            "Antes": json.dumps(r["before"], ensure_ascii=False) if r["before"] else "",
            "Después": json.dumps(r["after"], ensure_ascii=False) if r["after"] else "",
        } for r in rows]), hide_index=True, width="stretch", key="aud_tabla",
            column_config={"Fecha": st.column_config.DatetimeColumn(format="DD/MM/YYYY HH:mm")})
        st.caption(f"Los {len(rows):,} cambios más recientes con ese filtro (hasta {f.limit:,}).")
