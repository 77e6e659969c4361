"""Cached reads for the pages. The only place with st.cache_data; every key includes the data version."""

from __future__ import annotations

import streamlit as st

from core import analytics, db, setup
from core.users import User


@st.cache_resource(show_spinner="Preparando la base de datos y los datos de demostración…")
def prepare_once() -> bool:
    """Migrations, first accounts and demo data: once per server process."""
    setup.prepare()
    return True


def versions(*domains: str) -> tuple[int, ...]:
    """The data versions a cached read depends on: a write anywhere changes them."""
    current = db.data_versions_now()
    return tuple(current.get(d, 0) for d in domains)


@st.cache_data(show_spinner="Calculando indicadores…", max_entries=64)
def dashboard(_user: User, role: str, f: analytics.DashboardFilter, version: tuple[int, ...]) -> analytics.Dashboard:
    # role is part of the key (the user object is not): what one role may read is cached apart.
    return analytics.dashboard(_user, f)


@st.cache_data(show_spinner=False, max_entries=16)
def dashboard_options(_user: User, role: str, version: tuple[int, ...]) -> dict:
    return analytics.filter_options(_user)


# ---------------------------------------------------------------- forecasts and purchasing


@st.cache_data(show_spinner=False, max_entries=64)
def search_products(_user: User, role: str, text: str, version: tuple[int, ...]) -> list[dict]:
    from core.forecast import service

    return service.search_products(_user, text)


@st.cache_data(show_spinner="Calculando pronóstico…", max_entries=64)
def product_forecast(_user: User, role: str, codigo: str, version: tuple[int, ...]) -> dict:
    # Trains the product on the spot when no stored forecast exists (a "single" run).
    from core.forecast import service

    return service.product_forecast(_user, codigo)


@st.cache_data(show_spinner=False, max_entries=64)
def product_history(_user: User, role: str, producto_id: int, version: tuple[int, ...]) -> list[dict]:
    from core.forecast import service

    return service.history(_user, producto_id, days=180)


@st.cache_data(show_spinner="Calculando sugerencias de compra…", max_entries=16)
def purchasing_analysis(_user: User, role: str, almacen_id: int | None, version: tuple[int, ...]):
    from core import purchasing

    return purchasing.analysis(_user, almacen_id=almacen_id)


@st.cache_data(show_spinner=False, max_entries=8)
def almacenes(version: tuple[int, ...]) -> list[dict]:
    from core import purchasing

    return purchasing.almacenes()
