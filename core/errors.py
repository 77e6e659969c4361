"""The one base class for errors a person may read: Spanish text, safe to show on a page or the CLI."""

from __future__ import annotations

from typing import Any


class ReadableError(Exception):
    """An error whose message is Spanish, names what to fix, and carries no secrets or internals.

    Pages catch this class in one place (``app.ui.shows_errors``); anything else is logged and
    shown as a generic Spanish message, never as a traceback.
    """

    code: int = 400  # the HTTP-like status the seed's endpoint answers for the same case

    @property
    def message(self) -> str:
        return str(self.args[0]) if self.args else ""

    def details(self) -> dict[str, Any]:
        """What a subclass adds to the JSON error (a rule, the fields at fault…)."""
        return {}

    def as_json(self) -> dict[str, Any]:
        """``{"error": {"code", "message", …}}``: the CLI's and the seed's error shape."""
        return {"error": {"code": self.code, "message": self.message, **self.details()}}
