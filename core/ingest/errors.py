"""The one exception the ingest path raises for input a user must fix."""

from __future__ import annotations

from core.errors import ReadableError


class IngestError(ReadableError):
    """A file refused with a Spanish message meant for the user.

    The message says what to do on the upload page; `cli_hint`, when set, says it for the command
    line (e.g. "cree las claves nuevas con --unknown create"), which `python -m core ingest` adds.
    """

    def __init__(self, message: str, *, cli_hint: str | None = None) -> None:
        super().__init__(message)
        self.cli_hint = cli_hint
