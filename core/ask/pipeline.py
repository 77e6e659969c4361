"""``ask()``: the seed's ``POST /api/ai/query`` as a function. Schema → SQL (LLM, or the offline
interpreter) → guard → run → answer, with history, a per-user rate limit and an answer cache
keyed by the data version."""

from __future__ import annotations

import copy
import json
import logging
import time
from collections import OrderedDict
from datetime import date
from typing import Any

from sqlalchemy import select

from core import db
from core.ask import answer, guard, history, llm, offline, schema
from core.ask.errors import AskError, InvalidQuestion, TooManyQuestions, Unavailable
from core.ask.parts import Parts
from core.ask.run import Result, execute
from core.config import get_settings
from core.models import erp_almacenes, erp_productos
from core.users import User, require

log = logging.getLogger(__name__)
MIN_CHARS, MAX_CHARS = 3, 500
MAX_LIMIT = 1000
MAX_RETRIES = 2
# The CLI without --user: acts as an admin, no history row (query_history needs a real account), no rate limit.
SYSTEM = User(id=0, email="sistema@devcompras", name="Sistema", role="admin")
_CACHE: OrderedDict[str, dict[str, Any]] = OrderedDict()
_CACHE_SIZE = 256


def examples() -> dict[str, list[str]]:
    """The seed's ``GET /api/ai/query/examples``."""
    return {"examples": list(offline.EXAMPLES)}


def validate(question: Any, limit: Any) -> tuple[str, int]:
    """Length first (before any pattern looks at the text), then the limit."""
    if not isinstance(question, str):
        raise InvalidQuestion("La pregunta debe ser texto.", rule="longitud")
    if len(question) > MAX_CHARS:
        raise InvalidQuestion(f"La pregunta pasa de {MAX_CHARS} caracteres ({len(question):,}); acórtela.",
                              rule="longitud")
    question = question.strip()
    if len(question) < MIN_CHARS:
        raise InvalidQuestion(f"La pregunta debe tener al menos {MIN_CHARS} caracteres.", rule="longitud")
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_LIMIT:
        raise InvalidQuestion(f"El límite de filas debe ser un entero de 1 a {MAX_LIMIT}.", rule="limite")
    return question, limit


def _rate_limit(user: User) -> None:
    per_minute = get_settings().ask_rate_limit_per_minute
    if user.id == SYSTEM.id or per_minute <= 0:
        return
    if history.asked_last_minute(user) >= per_minute:
        raise TooManyQuestions(f"Hizo {per_minute} preguntas en el último minuto, el máximo; espere un momento "
                               "y vuelva a intentar.", rule="limite_por_minuto")


def _record(user: User, **values: Any) -> None:
    if user.id != SYSTEM.id:
        history.record(user, **values)


def ask(user: User, question: str, limit: int = 100, cache: bool = True, *,
        previous: dict[str, Any] | None = None, today: date | None = None) -> dict[str, Any]:
    """Answer a Spanish question with one safe SELECT; raises AskError (code, rule, Spanish message).

    ``previous`` is the ``context`` of the previous answer in the same conversation (follow-ups).
    """
    require(user, "ai:query")
    question, limit = validate(question, limit)
    _rate_limit(user)
    started = time.perf_counter()
    try:
        result = _cached_answer(question, limit, cache, previous, today or date.today())
    except AskError as exc:
        _record(user, question=question, sql=exc.sql, explanation=None, rows=None,
                ms=(time.perf_counter() - started) * 1000, status="refused" if exc.code in (400, 403) else "failed",
                error=f"{exc.code} {exc.rule}: {exc.message}"[:1000])
        raise
    _record(user, question=question, sql=result["query"]["sql"], explanation=result["query"]["explanation"],
            rows=result["metadata"]["rowCount"], ms=(time.perf_counter() - started) * 1000, status="answered")
    return result


def run_sql(user: User, sql: str, limit: int = 100) -> dict[str, Any]:
    """A statement typed or edited by a person ("Editar y ejecutar"): the same guard and runner."""
    require(user, "ai:query")
    if not isinstance(sql, str) or len(sql) > guard.MAX_SQL_CHARS:
        raise InvalidQuestion(f"La consulta SQL pasa de {guard.MAX_SQL_CHARS:,} caracteres.", rule="longitud")
    _, limit = validate("SQL", limit)
    _rate_limit(user)
    started = time.perf_counter()
    label = "[SQL] " + " ".join(sql.split())[:480]
    try:
        checked = guard.check(sql, dialect=db.dialect_name(), limit=limit)
        result = execute(checked)
    except AskError as exc:
        _record(user, question=label, sql=sql[:5000], explanation=None, rows=None,
                ms=(time.perf_counter() - started) * 1000, status="refused" if exc.code in (400, 403) else "failed",
                error=f"{exc.code} {exc.rule}: {exc.message}"[:1000])
        raise
    out = _contract(question=sql, sql=checked.sql, explanation="Consulta escrita por el usuario.", result=result,
                    tables=list(checked.tables), source="sql", parts=None, title="Consulta", messages=None)
    _record(user, question=label, sql=checked.sql, explanation=None, rows=len(result.rows),
            ms=(time.perf_counter() - started) * 1000, status="answered")
    return out


def _cached_answer(question: str, limit: int, cache: bool, previous: dict[str, Any] | None,
                   today: date) -> dict[str, Any]:
    if not cache:
        return _answer(question, limit, previous, today)
    key = json.dumps([schema.fold(question).strip(), limit, previous, today.isoformat(), db.dialect_name(),
                      get_settings().database_url, llm.configured(), db.data_versions_now()],
                     sort_keys=True, default=str)
    if key in _CACHE:
        _CACHE.move_to_end(key)
        hit = copy.deepcopy(_CACHE[key])
        hit["metadata"]["cached"] = True
        return hit
    result = _answer(question, limit, previous, today)
    _CACHE[key] = copy.deepcopy(result)
    while len(_CACHE) > _CACHE_SIZE:
        _CACHE.popitem(last=False)
    return result


def _answer(question: str, limit: int, previous: dict[str, Any] | None, today: date) -> dict[str, Any]:
    dialect = db.dialect_name()
    tables = schema.tables_for(question)
    if llm.configured():
        try:
            return _with_llm(question, limit, previous, today, dialect, tables)
        except llm.LlmUnavailable as exc:
            log.info("LLM unavailable, offline interpreter instead: %s", exc)
            try:
                return _offline(question, limit, previous, today, dialect)
            except InvalidQuestion as offline_exc:
                raise Unavailable("El servicio de IA no responde y el intérprete sin conexión no entendió la "
                                  "pregunta. " + offline_exc.message, rule="ia_no_disponible",
                                  suggestions=offline_exc.suggestions) from offline_exc
    return _offline(question, limit, previous, today, dialect)


def _offline(question: str, limit: int, previous: dict[str, Any] | None, today: date,
             dialect: str) -> dict[str, Any]:
    prev_parts = Parts.from_json(previous["parts"]) if previous and previous.get("parts") else None
    with db.get_engine().connect() as conn:
        vocab = offline.load_vocabulary(conn)
        plan = offline.interpret(question, conn=conn, dialect=dialect, today=today, previous=prev_parts, vocab=vocab)
    checked = guard.check(plan.sql, dialect=dialect, limit=limit)
    result = execute(checked)
    return _contract(question=question, sql=checked.sql, explanation=plan.explanation, result=result,
                     tables=list(checked.tables), source="offline", parts=plan.parts, title=plan.title,
                     messages=_turns(previous, question, checked.sql, plan.explanation),
                     almacenes=[n for _, n, _ in vocab.almacenes], categorias=sorted(c for c, _ in vocab.categorias))


def _with_llm(question: str, limit: int, previous: dict[str, Any] | None, today: date, dialect: str,
              tables: list[str]) -> dict[str, Any]:
    messages = [{"role": "system", "content": llm.system_prompt(dialect=dialect, tables=tables, today=today)},
                *llm.conversation(previous.get("messages") if previous else None, question)]
    last_error: AskError | None = None
    for _attempt in range(1 + MAX_RETRIES):
        content = llm.complete(messages)
        messages.append({"role": "assistant", "content": content})
        parsed = llm.parse(content)
        if parsed is None:
            last_error = InvalidQuestion("El servicio de IA no devolvió una consulta SQL.", rule="respuesta_ia")
            messages.append(llm.feedback("la respuesta no era el JSON pedido con una consulta SELECT."))
            continue
        sql, explanation = parsed
        try:
            checked = guard.check(sql, dialect=dialect, limit=limit)
            result = execute(checked)
        except AskError as exc:
            last_error = exc
            messages.append(llm.feedback(f"[{exc.rule}] {exc.message}"))
            continue
        return _contract(question=question, sql=checked.sql, explanation=explanation or "Consulta generada por IA.",
                         result=result, tables=list(checked.tables) or tables, source="llm", parts=None,
                         title="Resultado", messages=_turns(previous, question, checked.sql, explanation))
    assert last_error is not None
    raise last_error


def _turns(previous: dict[str, Any] | None, question: str, sql: str, explanation: str) -> list[dict[str, str]]:
    earlier = list(previous.get("messages") or []) if previous else []
    return [*earlier, {"role": "user", "content": question},
            {"role": "assistant", "content": json.dumps({"sql": sql, "explanation": explanation},
                                                        ensure_ascii=False)}][-8:]


def _names() -> tuple[list[str], list[str]]:
    with db.get_engine().connect() as conn:
        almacenes = list(conn.scalars(select(erp_almacenes.c.nombre).order_by(erp_almacenes.c.nombre)))
        categorias = [c for c in conn.scalars(select(erp_productos.c.categoria).distinct()
                                              .order_by(erp_productos.c.categoria)) if c]
    return almacenes, categorias


def _contract(*, question: str, sql: str, explanation: str, result: Result, tables: list[str], source: str,
              parts: Parts | None, title: str, messages: list[dict[str, str]] | None,
              almacenes: list[str] | None = None, categorias: list[str] | None = None) -> dict[str, Any]:
    if almacenes is None or categorias is None:
        almacenes, categorias = _names() if parts is not None else ([], [])
    return {
        "success": True,
        "query": {"natural": question, "sql": sql, "explanation": explanation},
        "data": result.rows,
        "metadata": {
            "rowCount": len(result.rows),
            "executionTime": round(result.ms, 2),
            "estimatedRows": result.estimated_rows,
            "schemaContext": schema.context(tables),
            "columns": result.columns,
            "source": source,
            "cached": False,
        },
        "agents": {"schema": "completed", "sql": "completed", "execution": "completed"},
        "summary": answer.summary(title, result.columns, result.rows, parts),
        "chart": answer.chart(result.columns, result.rows),
        "followUps": answer.follow_ups(parts, almacenes, categorias, offline.EXAMPLES, question),
        "context": {"parts": parts.as_json() if parts else None, "messages": messages or []},
    }
