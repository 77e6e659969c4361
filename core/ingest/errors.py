"""The one exception the ingest path raises for input a user must fix."""

from __future__ import annotations


class IngestError(Exception):
    """A file refused with a Spanish message meant for the user."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
