"""Inventory errors: Spanish messages carrying the seed's HTTP-like codes (404, 409, 422)."""

from __future__ import annotations

from core.errors import ReadableError


class InventoryError(ReadableError):
    """A refused inventory request; ``code`` is the seed endpoint's status for the same case."""

    def __init__(self, message: str, *, fields: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.fields = fields or {}  # field -> Spanish message, shown next to the form field

    def details(self) -> dict:
        return {"fields": self.fields} if self.fields else {}


class NotFound(InventoryError):
    code = 404


class Conflict(InventoryError):
    code = 409


class Invalid(InventoryError):
    code = 422


def invalid(fields: dict[str, str]) -> Invalid:
    """One Invalid carrying every field's message (the first also as the error's own)."""
    return Invalid(" ".join(fields.values()), fields=fields)
