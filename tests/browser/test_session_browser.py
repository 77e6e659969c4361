"""In a real Chromium: the sync page's self-refreshing section checks the session like a full run."""

from __future__ import annotations

import pytest

from tests.browser.conftest import login_in_browser, open_page, wait_until_idle

pytestmark = pytest.mark.browser


def test_sync_page_refresh_shows_the_login_once_the_account_is_deactivated(demo_data, live_app, page, users):
    """The fragment reran every few seconds without asking who was there: a deactivated manager
    (or one whose sessions ended) kept watching syncs and errors until they clicked something."""
    from core import users as core_users

    email = "navegador-fragmento@pruebas.devcompras.mx"
    account = core_users.get_user(email)
    if account is None:
        account = core_users.create_user(None, email=email, name="Fragmento", role="manager",
                                         password="Correcta123")
    login_in_browser(page, live_app, email, "Correcta123")
    open_page(page, "Sincronización", "Sincronización con el ERP")
    wait_until_idle(page)
    try:
        core_users.update_user(users["admin"], account.id, active=False)
        # No click: the fragment's own refresh (every 20 s when idle) must bring the login page.
        page.get_by_role("button", name="Entrar").wait_for(timeout=90_000)
        assert page.get_by_role("heading", name="Sincronización con el ERP").count() == 0
    finally:
        core_users.update_user(users["admin"], account.id, active=True)
