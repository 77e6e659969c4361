"""A real `streamlit run app/main.py` server and Debian's Chromium driven by Playwright."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from bench.app_server import running_app

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="session")
def live_app(engine, users, tmp_path_factory) -> Iterator[str]:
    """Base URL of the app served on a free port against the test database."""
    log = tmp_path_factory.mktemp("streamlit") / "server.log"
    with running_app({**os.environ, "PYTHONUNBUFFERED": "1"}, log) as (url, _proc):
        yield url


@pytest.fixture(scope="session")
def browser() -> Iterator:
    if not Path(CHROMIUM).exists():
        pytest.fail("Chromium de Debian no está instalado (scripts/test.sh lo instala).")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(locale="es-MX", viewport={"width": 1400, "height": 1000})
    pg = context.new_page()
    pg.set_default_timeout(30_000)
    yield pg
    context.close()


def login_in_browser(page, base_url: str, email: str, password: str) -> None:
    """Fill the real login form and wait for the app behind it."""
    page.goto(base_url)
    page.get_by_label("Correo electrónico").first.wait_for()
    wait_until_idle(page)  # the first run (which reads any session cookie) has ended
    page.get_by_label("Correo electrónico").first.fill(email)
    page.get_by_label("Contraseña").first.fill(password)
    page.get_by_role("button", name="Entrar").click()
    page.get_by_role("button", name="Cerrar sesión").wait_for()
    wait_until_idle(page)


def wait_until_idle(page, timeout: float = 60_000) -> None:
    """Wait until the page's script run has finished: a click on the navigation while the
    previous page still runs can be lost on a loaded machine."""
    page.locator('[data-testid="stApp"][data-test-script-state="notRunning"]').wait_for(
        timeout=timeout)


def open_page(page, link: str, heading: str) -> None:
    """Click a navigation link until its page's heading shows: Streamlit can drop a click that
    crosses a rerun the browser starts itself (a user would click again, and so do we)."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    for _ in range(2):
        page.get_by_role("link", name=link).click()
        try:
            page.get_by_role("heading", name=heading).wait_for(timeout=20_000)
            return
        except PlaywrightTimeout:
            continue
    page.get_by_role("link", name=link).click()
    page.get_by_role("heading", name=heading).wait_for(timeout=60_000)


METRICS = """() => [...document.querySelectorAll('[data-testid="stMetric"]')].map(m => [
    m.querySelector('[data-testid="stMetricLabel"]').innerText.trim(),
    m.querySelector('[data-testid="stMetricValue"]').innerText.trim()])"""


def dashboard_kpis(page) -> dict[str, str]:
    """The page's metric values by label, read in one go once the page has settled (a rerun the
    browser starts itself, after a reload, redraws them)."""
    page.get_by_test_id("stMetricValue").first.wait_for()
    wait_until_idle(page)
    pairs = page.evaluate(METRICS)
    return dict(pairs)
