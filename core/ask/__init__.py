"""AI query: Spanish questions to one safe SELECT over the analytic tables (see ARCHITECTURE.md)."""

from core.ask.errors import AskError
from core.ask.pipeline import SYSTEM, ask, examples, run_sql

__all__ = ["SYSTEM", "AskError", "ask", "examples", "run_sql"]
