"""Page tests drive the real app with streamlit's AppTest, logged in through the real form."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

from tests.conftest import TEST_PASSWORD

MAIN = str(Path(__file__).resolve().parents[2] / "app" / "main.py")


def login(email: str, password: str = TEST_PASSWORD) -> AppTest:
    """A fresh app session after submitting the login form."""
    at = AppTest.from_file(MAIN, default_timeout=60).run()
    at.text_input(key="login_email").input(email)
    at.text_input(key="login_password").input(password)
    at.button[0].click().run()
    return at


def goto(at: AppTest, page: str) -> AppTest:
    """Switch to ``pages/<page>`` (paths resolve against app/, so pass them absolute)."""
    return at.switch_page(str(Path(MAIN).parents[1] / "pages" / page)).run()


def page_titles(at: AppTest) -> list[str]:
    """Titles of the pages the sidebar navigation offers."""
    return sorted(info["page_name"] for info in at._registered_pages.values())
