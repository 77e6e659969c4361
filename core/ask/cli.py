"""`python -m core ask`: a question (or, with --sql, a statement a person wrote) through the same
guard and runner as the page. Without --user it acts as the system account (no rate limit, no
history row); with --json the last line is the contract's object or {"error": {"code", "rule", "message"}},
code as the seed's endpoint: 400 invalid question, 403 refused SQL or permission, 429 too many
questions a minute (only with --user), 500 execution error, 503 no interpreter could answer."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from core.cli import emit_json


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("ask", help="responder una pregunta en español (consulta IA) o ejecutar un SELECT")
    p.add_argument("question", nargs="?", metavar="PREGUNTA", help="la pregunta, entre comillas")
    p.add_argument("--sql", metavar="SELECT", help="ejecutar esta consulta SELECT (con la misma revisión)")
    p.add_argument("--user", metavar="CORREO", help="preguntar como esta cuenta (historial y límite por minuto)")
    p.add_argument("--limit", type=int, default=100, help="filas como máximo, 1 a 1000 (predeterminado: 100)")
    p.add_argument("--json", action="store_true",
                   help="última línea: un objeto JSON; si falla, {\"error\": {\"code\": 400|403|429|500|503, "
                        "\"rule\", \"message\"}} (429: más preguntas por minuto que ASK_RATE_LIMIT_PER_MINUTE, "
                        "sólo con --user)")
    p.set_defaults(handler=_ask)


def _fail(args: argparse.Namespace, code: int, rule: str, message: str, extra: dict[str, Any] | None = None) -> int:
    print(message, file=sys.stderr)
    if args.json:
        emit_json({"error": {"code": code, "rule": rule, "message": message, **(extra or {})}})
    return 1


def _ask(args: argparse.Namespace) -> int:
    from core.ask import SYSTEM, ask, run_sql
    from core.ask.errors import AskError
    from core.setup import init_db
    from core.users import PermissionDenied, get_user

    if (args.question is None) == (args.sql is None):
        return _fail(args, 400, "argumentos", "Escriba una pregunta o use --sql, no ambas.")
    init_db()
    user = SYSTEM
    if args.user:
        found = get_user(args.user)
        if found is None:
            return _fail(args, 403, "usuario", f"No existe una cuenta activa con el correo {args.user}.")
        user = found
    try:
        result = run_sql(user, args.sql, args.limit) if args.sql is not None else ask(user, args.question, args.limit)
    except AskError as exc:
        extra = {"suggestions": exc.suggestions} if exc.suggestions else None
        return _fail(args, exc.code, exc.rule, exc.message, extra)
    except PermissionDenied as exc:
        return _fail(args, 403, "permiso", exc.message)
    _print(result)
    if args.json:
        emit_json(result)
    return 0


def _print(result: dict[str, Any]) -> None:
    from core.ask.answer import show

    print(result["summary"])
    columns = result["metadata"]["columns"]
    if columns and result["data"]:
        print("\t".join(columns))
        for row in result["data"]:
            print("\t".join(show(c, row[c]) for c in columns))
    print(f"SQL: {result['query']['sql']}")
