"""No traceback ever reaches a page: readable errors show their Spanish text, others a generic one."""

from __future__ import annotations

import pytest

from app.ui import UNEXPECTED_ERROR
from core import analytics
from core.errors import ReadableError
from tests.pages.conftest import login

SECRET = "postgresql://devcompras:contraseña-secreta@db/devcompras"


@pytest.fixture
def broken_dashboard(monkeypatch: pytest.MonkeyPatch):
    """Make the dashboard's core read fail with the exception the test passes."""
    import streamlit as st

    st.cache_data.clear()  # a cached answer from an earlier test would skip the failing read

    def install(exc: Exception) -> None:
        def fail(*_args, **_kwargs):
            raise exc
        monkeypatch.setattr(analytics, "filter_options", fail)
    return install


def test_unexpected_error_shows_a_spanish_message_without_details(users, demo_data, broken_dashboard):
    broken_dashboard(RuntimeError(f"could not connect to {SECRET}"))
    at = login(users["viewer"].email)
    assert not at.exception, [e.value for e in at.exception]
    shown = [e.value for e in at.error]
    assert shown == [UNEXPECTED_ERROR]
    assert all(SECRET not in str(el.value) for el in at.markdown)


def test_readable_error_shows_its_own_message(users, demo_data, broken_dashboard):
    broken_dashboard(ReadableError("No hay conexión con la base de datos; intente en unos minutos."))
    at = login(users["viewer"].email)
    assert not at.exception
    assert [e.value for e in at.error] == ["No hay conexión con la base de datos; intente en unos minutos."]


def test_streamlit_shows_no_error_details():
    from streamlit import config

    config.get_config_options(force_reparse=True)
    assert config.get_option("client.showErrorDetails") == "none"


def test_built_in_table_export_is_off():
    """Downloads go through our formula-safe buttons only, never st.dataframe's own CSV or copy."""
    from streamlit import config

    config.get_config_options(force_reparse=True)
    assert config.get_option("client.disableDataExport") is True
