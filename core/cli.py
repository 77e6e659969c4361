"""`python -m core <command>`: the operators' and cron's entry point.

Each module in COMMAND_MODULES exposes ``register(subparsers)``; a command's handler returns
an exit code and raises CliError (a one-line Spanish message) on failure.
"""

from __future__ import annotations

import argparse
import importlib
import json
import logging
import re
import sys
from collections.abc import Sequence
from typing import Any, NoReturn

from core.errors import ReadableError

COMMAND_MODULES = (
    "core.admin_cli",
    "core.ask.cli",
    "core.erp.cli",
    "core.forecast.cli",
    "core.ingest.cli",
    "core.inventory.cli",
)


class CliError(ReadableError):
    """A failure reported as one Spanish line and exit code 1."""


def emit_json(payload: dict[str, Any]) -> None:
    """Print the one JSON object that must be the last line of a --json run."""
    print(json.dumps(payload, ensure_ascii=False, default=str))


_ARGPARSE_SPANISH = (
    (re.compile(r"argument (\S+): invalid choice: (.+) \(choose from (.+)\)"), r"\1: opción no válida \2 (use una de: \3)"),
    (re.compile(r"the following arguments are required: (.+)"), r"faltan argumentos: \1"),
    (re.compile(r"unrecognized arguments: (.+)"), r"argumentos no reconocidos: \1"),
    (re.compile(r"argument (\S+): invalid (\w+) value: (.+)"), r"\1: valor no válido \3"),
    (re.compile(r"argument (\S+): expected one argument"), r"\1: falta su valor"),
)


class SpanishArgumentParser(argparse.ArgumentParser):
    """Usage errors as one Spanish line (and the JSON line with --json), exit code 2."""

    def error(self, message: str) -> NoReturn:
        for pattern, spanish in _ARGPARSE_SPANISH:
            message = pattern.sub(spanish, message)
        line = f"Uso incorrecto: {message}. Vea «{self.prog} --help»."
        print(line, file=sys.stderr)
        if "--json" in sys.argv:
            emit_json({"status": "failed", "message": line})
        sys.exit(2)


def build_parser() -> argparse.ArgumentParser:
    parser = SpanishArgumentParser(prog="python -m core", description="DevCompras: tareas de operación")
    parser.add_argument("-v", "--verbose", action="store_true", help="mostrar el registro detallado")
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMANDO",
                                       parser_class=SpanishArgumentParser)
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    try:
        return int(args.handler(args) or 0)
    except CliError as exc:
        _fail(args, str(exc))
    except Exception as exc:  # noqa: BLE001 - the operator gets one line, the log the rest
        logging.getLogger("core.cli").debug("command failed", exc_info=True)
        _fail(args, _spanish(exc))
    return 1


def _spanish(exc: Exception) -> str:
    from pydantic import ValidationError

    from core.config import describe_settings_error
    from core.db import describe_error

    if isinstance(exc, ValidationError):
        return describe_settings_error(exc)
    if spanish := describe_error(exc):
        return spanish
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__


def _fail(args: argparse.Namespace, message: str) -> None:
    print(message, file=sys.stderr)
    if getattr(args, "json", False):
        emit_json({"status": "failed", "message": message})
