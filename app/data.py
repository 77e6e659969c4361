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
