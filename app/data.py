"""Cached reads for the pages. The only place with st.cache_data; every key includes the data version."""

from __future__ import annotations

from datetime import date

import plotly.graph_objects as go
import streamlit as st

from app import ui
from core import analytics, audit, db, inventory, setup
from core.inventory import export
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


@st.cache_resource(show_spinner=False, max_entries=64)
def dashboard_figures(_user: User, role: str, f: analytics.DashboardFilter, grano: str,
                      version: tuple[int, ...]) -> dict[str, go.Figure | None]:
    """The dashboard's charts, built once per role, filter, grain and data version.

    Building a plotly express figure costs ~30 ms of CPU, drawing a built one ~3 ms: every view
    rebuilt four. Shared between sessions (not copied): pages only pass them to st.plotly_chart.
    """
    d = dashboard(_user, role, f, version)
    serie = d.por_semana if grano == "Semana" else d.por_dia
    if not any(p["importe"] for p in serie):
        ventas = None
    elif grano == "Semana":
        serie = [{**p, "semana": "Incompleta en el periodo" if p["parcial"] else "Completa"} for p in serie]
        ventas = ui.bar_figure(serie, x="periodo", y="importe", color="semana", height=300,
                               labels={"periodo": "Semana del", "importe": "Ventas ($)", "semana": ""})
    else:
        ventas = ui.bar_figure(serie, x="periodo", y="importe", height=300,
                               labels={"periodo": "", "importe": "Ventas ($)"})
    if ventas is not None:
        ventas.update_xaxes(tickformat="%d/%m")

    def bars(rows: list[dict], **kwargs) -> go.Figure | None:
        return ui.bar_figure(rows, **kwargs) if rows else None

    return {
        "ventas": ventas,
        "top_productos": bars(d.top_productos, x="nombre", y="importe", title="Top 10 productos",
                              horizontal=True, labels={"nombre": "", "importe": "Ventas ($)"}),
        "por_almacen": bars(d.por_almacen, x="almacen", y="importe", title="Ventas por almacén",
                            labels={"almacen": "", "importe": "Ventas ($)"}),
        "por_categoria": bars(d.por_categoria, x="categoria", y="importe", title="Ventas por categoría",
                              labels={"categoria": "", "importe": "Ventas ($)"}),
    }


# ---------------------------------------------------------------- inventory


@st.cache_data(show_spinner="Buscando productos…", max_entries=128)
def inventory_list(_user: User, role: str, f: inventory.InventoryFilter, version: tuple[int, ...]) -> dict:
    return inventory.list_productos(_user, f)


@st.cache_data(show_spinner=False, max_entries=16)
def inventory_options(_user: User, role: str, version: tuple[int, ...]) -> dict:
    return inventory.filter_options(_user)


@st.cache_data(show_spinner="Cargando el producto…", max_entries=64)
def inventory_detail(_user: User, role: str, ref: int | str, today: date, version: tuple[int, ...]) -> dict:
    # today is part of the key: the weekly chart covers the 52 weeks up to it
    return inventory.producto_detail(_user, ref, today=today)


@st.cache_data(show_spinner="Preparando el archivo…", max_entries=8)
def inventory_export(_user: User, role: str, f: inventory.InventoryFilter, kind: str,
                     version: tuple[int, ...]) -> bytes:
    headers, rows = export.table(_user, f)
    return export.to_xlsx(headers, rows) if kind == "xlsx" else export.to_csv(headers, rows)


@st.cache_data(show_spinner=False, max_entries=16)
def audit_entries(_user: User, role: str, f: audit.AuditFilter, version: tuple[int, ...]) -> list[dict]:
    return audit.entries(_user, f)


# ---------------------------------------------------------------- forecasts and purchasing


@st.cache_data(show_spinner=False, max_entries=64)
def search_products(_user: User, role: str, text: str, version: tuple[int, ...]) -> list[dict]:
    from core.forecast import service

    return service.search_products(_user, text)


@st.cache_data(show_spinner="Calculando pronóstico…", max_entries=64)
def product_forecast(_user: User, role: str, codigo: str, almacen_id: int | None,
                     version: tuple[int, ...]) -> dict:
    # Trains the product on the spot when no stored forecast exists (a "single" run).
    from core.forecast import service

    return service.product_forecast(_user, codigo, almacen_id=almacen_id)


@st.cache_data(show_spinner=False, max_entries=64)
def product_history(_user: User, role: str, producto_id: int, almacen_id: int | None,
                    version: tuple[int, ...]) -> list[dict]:
    from core.forecast import service

    return service.history(_user, producto_id, days=365, almacen_id=almacen_id)


@st.cache_data(show_spinner="Calculando sugerencias de compra…", max_entries=16)
def purchasing_analysis(_user: User, role: str, almacen_id: int | None, version: tuple[int, ...]):
    from core import purchasing

    return purchasing.analysis(_user, almacen_id=almacen_id)


@st.cache_data(show_spinner=False, max_entries=8)
def almacenes(version: tuple[int, ...]) -> list[dict]:
    from core import purchasing

    return purchasing.almacenes()
