"""The one base class for errors a person may read: Spanish text, safe to show on a page or the CLI."""

from __future__ import annotations


class ReadableError(Exception):
    """An error whose message is Spanish, names what to fix, and carries no secrets or internals.

    Pages catch this class in one place (``app.ui.shows_errors``); anything else is logged and
    shown as a generic Spanish message, never as a traceback.
    """

    @property
    def message(self) -> str:
        return str(self.args[0]) if self.args else ""
