"""The errors of the AI query path: a Spanish message, an HTTP-like code (as the seed's endpoint) and the rule."""

from __future__ import annotations

from typing import Any

from core.errors import ReadableError


class AskError(ReadableError):
    """A question or statement that was refused or failed.

    ``code`` follows the seed's ``POST /api/ai/query``: 400 invalid question, 403 dangerous SQL,
    429 too many questions, 500 execution error, 503 no interpreter could answer. ``rule`` names
    the check that stopped it (stable, for logs, tests and the CLI's JSON).
    """

    code = 500

    def __init__(self, message: str, *, rule: str, code: int | None = None,
                 suggestions: list[str] | None = None, sql: str | None = None) -> None:
        super().__init__(message)
        self.rule = rule
        if code is not None:
            self.code = code
        self.suggestions = suggestions or []
        self.sql = sql

    def details(self) -> dict[str, Any]:
        return {"rule": self.rule, **({"suggestions": self.suggestions} if self.suggestions else {})}


class InvalidQuestion(AskError):
    """400: the question's length, or the interpreter did not understand it."""

    code = 400


class DangerousSql(AskError):
    """403: the guard refused the statement."""

    code = 403


class TooManyQuestions(AskError):
    """429: the per-user rate limit (the seed's 10 per minute)."""

    code = 429


class ExecutionError(AskError):
    """500: the database rejected or stopped the statement (timeout included)."""

    code = 500


class Unavailable(AskError):
    """503: the LLM is down or absent and the offline interpreter cannot answer either."""

    code = 503
