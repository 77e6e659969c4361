"""Usuarios: crear cuentas, cambiar roles y desactivar (solo administradores)."""

from __future__ import annotations

import streamlit as st

from app import ui
from core import users as core_users
from core.export import neutralise_rows

admin = ui.require_page("users:admin")
st.title("Usuarios")

with st.expander("Crear usuario", icon=":material/person_add:"), st.form("nuevo_usuario", clear_on_submit=True):
    c1, c2 = st.columns(2)
    nombre = c1.text_input("Nombre", key="nu_nombre", max_chars=core_users.MAX_NAME_CHARS)
    correo = c2.text_input("Correo electrónico", key="nu_correo", max_chars=core_users.MAX_EMAIL_CHARS)
    rol = c1.selectbox("Rol", core_users.ROLES, index=core_users.ROLES.index("viewer"),
                       format_func=core_users.ROLE_LABELS.get, key="nu_rol")
    clave = c2.text_input("Contraseña inicial", type="password", key="nu_clave",
                          max_chars=core_users.MAX_PASSWORD_BYTES)
    if st.form_submit_button("Crear", type="primary"):
        with ui.shows_errors():
            nuevo = core_users.create_user(admin, email=correo, name=nombre, role=rol, password=clave)
            st.success(f"Cuenta creada para {nuevo.email}.")

cuentas = core_users.list_users(admin)
# Names and e-mails are typed by strangers (sign-up): the table's CSV download must not carry formulas.
st.dataframe(
    neutralise_rows({"Correo": c["email"], "Nombre": c["name"], "Rol": core_users.ROLE_LABELS[c["role"]],
                     "Activa": c["active"],
                     "Último acceso": ui.fecha_hora(c["last_login_at"]) if c["last_login_at"] else "Nunca"}
                    for c in cuentas),
    hide_index=True, width="stretch",
)
if aviso := st.session_state.pop("usuarios_aviso", None):
    st.success(aviso)

st.subheader("Cambiar rol o desactivar")
por_correo = {c["email"]: c for c in cuentas}
correo = st.selectbox("Cuenta", list(por_correo), key="edit_cuenta")
if correo:
    cuenta = por_correo[correo]
    c1, c2 = st.columns(2)
    # Keys carry the account id: a widget keyed only by name would keep the previous
    # account's values and save them onto the newly selected one.
    nuevo_rol = c1.selectbox("Rol", core_users.ROLES, index=core_users.ROLES.index(cuenta["role"]),
                             format_func=core_users.ROLE_LABELS.get, key=f"edit_rol_{cuenta['id']}")
    activa = c2.toggle("Cuenta activa", value=cuenta["active"], key=f"edit_activa_{cuenta['id']}")
    if st.button("Guardar cambios", key="edit_guardar"):
        with ui.shows_errors():
            core_users.update_user(admin, cuenta["id"], role=nuevo_rol, active=activa)
            st.session_state["usuarios_aviso"] = f"Cambios guardados para {correo}."
            st.rerun()
