"""In a real Chromium: log in through the form, see the dashboard's KPIs, stay logged in after a reload."""

import re
from datetime import timedelta

import pytest

from app.ui import money, number
from core import analytics
from tests.browser.conftest import dashboard_kpis, login_in_browser, wait_until_idle
from tests.conftest import TEST_PASSWORD

pytestmark = pytest.mark.browser


def test_login_shows_dashboard_kpis_and_cookie_keeps_session(demo_data, live_app, page, users):
    login_in_browser(page, live_app, users["viewer"].email, TEST_PASSWORD)
    shown = dashboard_kpis(page)
    options = analytics.filter_options(users["viewer"])
    end = options["ultima_venta"]
    f = analytics.DashboardFilter(end - timedelta(days=29), end)
    d = analytics.dashboard(users["viewer"], f)
    assert shown["Ventas"] == money(d.ventas.importe)
    assert shown["Unidades"] == number(d.ventas.unidades)
    assert shown["Productos bajo mínimo"] == number(d.bajo_minimo)
    assert shown["Valor del inventario"] == money(d.valor_inventario)
    charts = page.locator(".js-plotly-plot")
    charts.first.wait_for()
    page.mouse.wheel(0, 3000)  # the lower charts draw once scrolled into view
    charts.nth(3).wait_for()
    assert page.locator(".js-plotly-plot .bars path, .js-plotly-plot .fills path").count() > 0

    page.reload()
    page.get_by_role("button", name="Cerrar sesión").wait_for()
    assert dashboard_kpis(page)["Ventas"] == money(d.ventas.importe)


def test_wrong_password_in_browser(demo_data, live_app, page):
    from core import users as core_users

    email = "navegador-clave@pruebas.devcompras.mx"
    if core_users.get_user(email) is None:
        core_users.create_user(None, email=email, name="Navegador", role="user", password="Correcta123")
    page.goto(live_app)
    page.get_by_label("Correo electrónico").first.fill(email)
    page.get_by_label("Contraseña").first.fill("equivocada")
    page.get_by_role("button", name="Entrar").click()
    page.get_by_text("Correo o contraseña incorrectos.").wait_for()
    assert page.get_by_test_id("stMetricValue").count() == 0


def test_first_click_on_navigation_after_login_is_not_lost(demo_data, live_app, page, users):
    # The run after login used to write the cookie with the authenticator's component, whose
    # answer reruns the page: a click made meanwhile was lost (now a script writes it).
    for _ in range(3):
        login_in_browser(page, live_app, users["manager"].email, TEST_PASSWORD)
        page.get_by_role("link", name="Sincronización").click()
        page.get_by_role("heading", name="Sincronización con el ERP").wait_for(timeout=20_000)
        page.get_by_role("button", name="Cerrar sesión").click()
        page.get_by_role("button", name="Entrar").wait_for()
        # Logging out deletes the session cookie, so the next visit asks for the password.
        page.wait_for_function("() => !document.cookie.includes('devcompras_sesion')")


def test_forged_session_cookie_is_ignored(demo_data, live_app, page, users):
    import jwt

    forged = jwt.encode({"username": users["admin"].email, "exp_date": 4102444800}, "otra-llave-de-32-caracteres-o-mas!!",
                        algorithm="HS256")
    page.context.add_cookies([{"name": "devcompras_sesion", "value": forged, "url": live_app}])
    page.goto(live_app)
    page.get_by_role("button", name="Entrar").wait_for()
    assert page.get_by_role("button", name="Cerrar sesión").count() == 0


def test_a_cookie_copied_before_logout_is_refused_after_it(demo_data, live_app, page, browser):
    """Logout deleted the cookie in this browser only: a copy of it stayed valid for a week."""
    from core import users as core_users

    email = "navegador-copia@pruebas.devcompras.mx"
    if core_users.get_user(email) is None:
        core_users.create_user(None, email=email, name="Copia", role="viewer", password="Correcta123")
    login_in_browser(page, live_app, email, "Correcta123")
    page.wait_for_function("() => document.cookie.includes('devcompras_sesion=')")
    copied = next(c for c in page.context.cookies() if c["name"] == "devcompras_sesion")["value"]

    def visit_with(cookie: str):
        other = browser.new_context(locale="es-MX")
        other.add_cookies([{"name": "devcompras_sesion", "value": cookie, "url": live_app}])
        tab = other.new_page()
        tab.set_default_timeout(30_000)
        tab.goto(live_app)
        tab.get_by_role("button", name=re.compile("^(Entrar|Cerrar sesión)$")).first.wait_for()
        wait_until_idle(tab)
        return other, tab

    other, tab = visit_with(copied)  # the copy is a working session before logout
    assert tab.get_by_role("button", name="Cerrar sesión").count() == 1
    other.close()

    page.get_by_role("button", name="Cerrar sesión").click()
    page.get_by_role("button", name="Entrar").wait_for()
    page.wait_for_function("() => !document.cookie.includes('devcompras_sesion')")

    other, tab = visit_with(copied)
    assert tab.get_by_role("button", name="Entrar").count() == 1
    assert tab.get_by_role("button", name="Cerrar sesión").count() == 0
    assert tab.get_by_test_id("stMetricValue").count() == 0
    other.close()
