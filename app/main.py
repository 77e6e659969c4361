"""Entry point: `streamlit run app/main.py`. Page config, settings check, login, navigation by role."""

from __future__ import annotations

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # `streamlit run app/main.py` puts app/ on the path, not the project
    sys.path.insert(0, str(ROOT))

import streamlit as st  # noqa: E402
from pydantic import ValidationError  # noqa: E402

from app import auth, data, runtime, ui  # noqa: E402
from app.navigation import PAGES  # noqa: E402
from core import metrics  # noqa: E402
from core.config import describe_settings_error, get_settings  # noqa: E402
from core.users import ROLE_LABELS  # noqa: E402

STARTED, CPU_STARTED = time.perf_counter(), time.thread_time()
run = {"page": "entrada", "role": "anonimo"}  # what this run showed, for its measure


def _main() -> None:
    st.set_page_config(page_title="DevCompras", page_icon=":material/inventory_2:", layout="wide")
    try:
        get_settings()
    except ValidationError as exc:
        st.error(describe_settings_error(exc))
        st.stop()

    try:
        data.prepare_once()
    except Exception as exc:  # noqa: BLE001 - the page shows the reason, never a traceback
        st.error(f"No se pudo preparar la base de datos ({type(exc).__name__}). "
                 "Revise DATABASE_URL y que el servidor esté en línea.")
        st.stop()

    user = auth.login_gate()
    if user is None:
        st.stop()
    run["role"] = user.role

    with st.sidebar:
        st.markdown(f"**{user.name}**  \n{ROLE_LABELS[user.role]} · {user.email}")
        st.button("Cerrar sesión", key="cerrar_sesion", icon=":material/logout:", on_click=auth.logout)

    pages = [st.Page(ROOT / spec.path, title=spec.title, icon=spec.icon)
             for spec in PAGES if user.can(spec.permission)]
    with ui.shows_errors():  # the one place a page's unexpected error becomes a Spanish message
        page = st.navigation(pages)
        run["page"] = page.title
        page.run()


try:
    _main()
finally:  # st.stop and st.rerun end a run too: every run is measured
    metrics.record(page=run["page"], role=run["role"], ms=(time.perf_counter() - STARTED) * 1000,
                   cpu_ms=(time.thread_time() - CPU_STARTED) * 1000)
    runtime.freeze_loaded_modules()
