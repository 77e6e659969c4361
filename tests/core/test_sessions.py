"""Session cookies: a token is refused once its account's sessions ended, or when its date is
missing, past, or further out than COOKIE_DAYS (even with a valid signature)."""

from datetime import UTC, datetime, timedelta

import jwt
import pytest

from core import sessions
from core import users as core_users
from core.config import get_settings


@pytest.fixture
def account(engine, request) -> core_users.User:
    email = f"cookie-{request.node.name[5:30].lower()}@pruebas.devcompras.mx".replace("_", "-")
    return core_users.create_user(None, email=email, name="Galleta", role="user", password="Correcta123")


def _signed(claims: dict) -> str:
    return jwt.encode(claims, get_settings().cookie_key, algorithm="HS256")


def test_a_fresh_token_names_its_user(account):
    token, expires = sessions.issue(account)
    assert sessions.user_for(token) == account
    assert timedelta(days=sessions.COOKIE_DAYS - 1) < expires - datetime.now(UTC) <= timedelta(
        days=sessions.COOKIE_DAYS)


def test_a_token_from_before_logout_is_refused(account):
    token, _ = sessions.issue(account)
    core_users.end_sessions(account)
    assert sessions.user_for(token) is None
    fresh, _ = sessions.issue(core_users.get_user(account.email))
    assert sessions.user_for(fresh) == account


def test_a_token_of_a_deactivated_or_changed_account_is_refused(account, users):
    token, _ = sessions.issue(account)
    core_users.update_user(users["admin"], account.id, role="viewer")
    assert sessions.user_for(token) is None
    token, _ = sessions.issue(core_users.get_user(account.email))
    core_users.update_user(users["admin"], account.id, active=False)
    assert sessions.user_for(token) is None


def test_dates_beyond_the_cookie_lifetime_or_missing_are_refused(account):
    now = datetime.now(UTC)
    base = {"username": account.email, "sv": account.session_version}
    assert sessions.user_for(_signed({**base, "exp_date": (now + timedelta(days=1)).timestamp()})) == account
    refused = {
        "far future": {**base, "exp_date": 4102444800},  # 2100-01-01, validly signed
        "one day too far": {**base, "exp_date": (now + timedelta(days=sessions.COOKIE_DAYS + 1)).timestamp()},
        "past": {**base, "exp_date": (now - timedelta(seconds=1)).timestamp()},
        "no date": base,
        "date as text": {**base, "exp_date": str((now + timedelta(days=1)).timestamp())},
        "no version": {"username": account.email, "exp_date": (now + timedelta(days=1)).timestamp()},
        "version as bool": {**base, "sv": False, "exp_date": (now + timedelta(days=1)).timestamp()},
    }
    assert {case: sessions.user_for(_signed(claims)) for case, claims in refused.items()} == dict.fromkeys(refused)


def test_a_token_signed_with_another_key_is_refused(account):
    claims = {"username": account.email, "sv": 0,
              "exp_date": (datetime.now(UTC) + timedelta(days=1)).timestamp()}
    assert sessions.user_for(jwt.encode(claims, "otra-llave-de-32-caracteres-o-mas!!", algorithm="HS256")) is None
    assert sessions.user_for("no-es-un-token") is None
