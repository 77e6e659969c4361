"""The one exception the ingest path raises for input a user must fix."""

from __future__ import annotations

from core.errors import ReadableError


class IngestError(ReadableError):
    """A file refused with a Spanish message meant for the user."""
