"""Credentials out of every message we store or show (sync and job errors, health lines).

Drivers quote what they were given: a connection string, a URL with its password. Whatever
text reaches ``sync_jobs``, ``jobs`` or a page goes through ``scrub`` first.
"""

from __future__ import annotations

import re
from typing import overload
from urllib.parse import quote, quote_plus

MASK = "***"
# Shorter values would mask ordinary words; such a secret is refused in production anyway.
_MIN_SECRET = 4
# scheme://user:password@ — the password part, whatever the scheme.
_URL_PASSWORD = re.compile(r"(?P<head>\b[a-z][a-z0-9+.-]*://[^:/@\s]*:)[^@\s]*@", re.IGNORECASE)
# libpq conninfo and similar: password=… / pwd: …
_KEY_VALUE = re.compile(r"(?P<head>\b(?:password|passwd|pwd)\s*[=:]\s*)(?:'[^']*'|\"[^\"]*\"|\S+)",
                        re.IGNORECASE)


def known_secrets() -> set[str]:
    """The configured secrets, as written and as they appear inside URLs."""
    from core.config import database_password, get_settings

    try:
        s = get_settings()
    except Exception:  # invalid settings: the patterns below still apply
        return set()
    raw = {s.cookie_key, s.admin_password, s.firebird_password, s.openai_api_key,
           database_password(s.database_url), database_password(s.redis_url or "")}
    out: set[str] = set()
    for value in raw:
        if value and len(value) >= _MIN_SECRET:
            # As SQLAlchemy renders it in a URL (spaces kept), fully encoded, and form-encoded.
            out |= {value, quote(value, safe=" +"), quote(value, safe=""), quote_plus(value)}
    return out


@overload
def scrub(text: str) -> str: ...
@overload
def scrub(text: None) -> None: ...
def scrub(text: str | None) -> str | None:
    """``text`` with every configured secret and any URL or key=value password masked."""
    if not text:
        return text
    # Longest first: one secret may contain another.
    for secret in sorted(known_secrets(), key=len, reverse=True):
        text = text.replace(secret, MASK)
    text = _URL_PASSWORD.sub(lambda m: f"{m['head']}{MASK}@", text)
    return _KEY_VALUE.sub(lambda m: f"{m['head']}{MASK}", text)
