"""Signed session cookies: whose, until when, and which session version of the account they carry.

The token keeps streamlit-authenticator's fields (``username``, ``exp_date``) and adds ``sv``, the
account's session version: logout, deactivation, a role or password change bump it, so a cookie
copied before then is refused. A date further out than COOKIE_DAYS is refused too, even when
signed: no cookie outlives the configured lifetime.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import jwt

from core import users as core_users
from core.config import get_settings

COOKIE_DAYS = 7
# Servers behind one proxy may disagree on the time by a little.
CLOCK_SKEW = timedelta(minutes=5)
_ALGORITHM = "HS256"


def issue(user: core_users.User, *, now: datetime | None = None) -> tuple[str, datetime]:
    """A signed token for ``user``'s current session version, and when it expires."""
    expires = (now or datetime.now(UTC)) + timedelta(days=COOKIE_DAYS)
    token = jwt.encode({"username": user.email, "exp_date": expires.timestamp(),
                        "sv": user.session_version}, get_settings().cookie_key, algorithm=_ALGORITHM)
    return token, expires


def user_for(token: str, *, now: datetime | None = None) -> core_users.User | None:
    """The account a cookie's token names, if its signature, date and session version all hold."""
    try:
        claims = jwt.decode(token, get_settings().cookie_key, algorithms=[_ALGORITHM])
    except jwt.InvalidTokenError:
        return None
    expires, version, email = claims.get("exp_date"), claims.get("sv"), claims.get("username")
    if not (isinstance(expires, int | float) and isinstance(version, int) and isinstance(email, str)):
        return None
    if isinstance(expires, bool) or isinstance(version, bool):  # JSON true is not a number here
        return None
    now = now or datetime.now(UTC)
    latest = now + timedelta(days=COOKIE_DAYS) + CLOCK_SKEW
    if not now.timestamp() < expires <= latest.timestamp():
        return None
    return core_users.session_user(email, version)
