"""ask() and run_sql(): the contract, validation, permissions, LIMIT, history and its privacy,
the rate limit and the answer cache."""

from __future__ import annotations

import uuid
from datetime import date

import pytest
from sqlalchemy import text

from core import db
from core.ask import ask, examples, run_sql
from core.ask import history as ask_history
from core.ask.errors import DangerousSql, InvalidQuestion, TooManyQuestions
from core.users import PermissionDenied, create_user

TODAY = date.today()


def test_contract_of_an_answer(demo_data, users):
    result = ask(users["user"], "¿Qué productos tienen stock bajo?", limit=5, cache=False)
    assert result["success"] is True
    assert result["query"]["natural"] == "¿Qué productos tienen stock bajo?"
    assert result["query"]["sql"].startswith("SELECT") and result["query"]["sql"].endswith("LIMIT 5")
    assert result["query"]["explanation"].startswith("Productos con stock bajo")
    assert len(result["data"]) == result["metadata"]["rowCount"] == 5
    assert set(result["metadata"]) >= {"rowCount", "executionTime", "estimatedRows", "schemaContext"}
    assert {t["name"] for t in result["metadata"]["schemaContext"]["tables"]} == {
        "erp_inventario", "erp_productos", "erp_almacenes"}
    assert result["agents"] == {"schema": "completed", "sql": "completed", "execution": "completed"}
    assert result["summary"].startswith("Productos con stock bajo: 5 filas.")
    assert result["chart"] == {"type": "bar", "x": "nombre", "y": "faltante"} or result["chart"]["type"] == "bar"
    assert 2 <= len(result["followUps"]) <= 3
    if db.dialect_name() == "postgresql":
        assert isinstance(result["metadata"]["estimatedRows"], int)


def test_time_series_gets_a_line_chart(demo_data, users):
    result = ask(users["user"], "ventas por mes este año", cache=False)
    assert result["chart"] == {"type": "line", "x": "mes", "y": "importe"}


@pytest.mark.parametrize(("question", "limit", "rule"), [
    ("ab", 100, "longitud"), ("  a ", 100, "longitud"), ("x" * 501, 100, "longitud"),
    ("ventas de hoy", 0, "limite"), ("ventas de hoy", 1001, "limite"),
])
def test_invalid_question_or_limit(users, question, limit, rule):
    with pytest.raises(InvalidQuestion) as caught:
        ask(users["user"], question, limit=limit)
    assert caught.value.code == 400 and caught.value.rule == rule


def test_viewer_may_not_ask(users):
    with pytest.raises(PermissionDenied):
        ask(users["viewer"], "ventas de hoy")
    with pytest.raises(PermissionDenied):
        run_sql(users["viewer"], "SELECT 1")


def test_examples_are_all_answered(demo_data, users):
    listed = examples()["examples"]
    assert len(listed) >= 8
    for question in listed:
        assert ask(users["manager"], question, cache=False)["success"]


def test_edited_sql_goes_through_the_same_guard(demo_data, users):
    result = run_sql(users["user"], "SELECT nombre FROM erp_almacenes ORDER BY nombre", limit=2)
    with db.get_engine().connect() as conn:
        expected = [r[0] for r in conn.execute(text("SELECT nombre FROM erp_almacenes ORDER BY nombre LIMIT 2"))]
    assert [r["nombre"] for r in result["data"]] == expected
    assert result["metadata"]["source"] == "sql"
    with pytest.raises(DangerousSql) as caught:
        run_sql(users["user"], "SELECT email FROM users")
    assert caught.value.rule == "tablas_permitidas"
    with pytest.raises(InvalidQuestion):
        run_sql(users["user"], "SELECT 1 " + " " * 6000)


def _new_user(role: str):
    return create_user(None, email=f"ask-{uuid.uuid4().hex[:8]}@pruebas.devcompras.mx", name="Pregunta",
                       role=role, password="Demo1234!")


def test_history_records_and_privacy(demo_data, users):
    mine, other, admin = _new_user("user"), _new_user("manager"), users["admin"]
    ask(mine, "valor del inventario", cache=False)
    with pytest.raises(InvalidQuestion):
        ask(mine, "¿va a llover mañana?", cache=False)
    ask(other, "ventas de ayer", cache=False)
    rows = ask_history.recent(mine)
    assert [(r["question"], r["status"]) for r in rows] == [
        ("¿va a llover mañana?", "refused"), ("valor del inventario", "answered")]
    assert rows[1]["rows"] == 1 and rows[1]["sql"].startswith("SELECT")
    assert rows[0]["error"].startswith("400 no_entendida")
    assert all(r["user_id"] == mine.id for r in ask_history.recent(mine, everyone=True))
    assert [r["question"] for r in ask_history.recent(other)] == ["ventas de ayer"]
    everyone = {(r["user_id"], r["question"]) for r in ask_history.recent(admin, everyone=True, limit=500)}
    assert {(mine.id, "valor del inventario"), (other.id, "ventas de ayer")} <= everyone


@pytest.mark.postgres_only
def test_row_level_security_holds_without_the_where_clause(demo_data, users):
    if db.dialect_name() != "postgresql":
        pytest.skip("row-level security is PostgreSQL's")
    mine, other = _new_user("user"), _new_user("user")
    ask(mine, "valor del inventario", cache=False)
    ask(other, "ventas de ayer", cache=False)
    with ask_history._as_user(mine) as conn:
        seen = conn.execute(text("SELECT DISTINCT user_id FROM query_history")).scalars().all()
        assert seen == [mine.id]
        with pytest.raises(Exception, match="row-level security"):
            conn.execute(text("INSERT INTO query_history (user_id, question, status, created_at) "
                              "VALUES (:u, 'x', 'answered', now())"), {"u": other.id})
    with ask_history._as_user(users["admin"]) as conn:
        assert {mine.id, other.id} <= set(conn.execute(text("SELECT user_id FROM query_history")).scalars())


def test_rate_limit(demo_data, settings_env):
    settings_env(ask_rate_limit_per_minute="3")
    someone = _new_user("user")
    for _ in range(3):
        ask(someone, "valor del inventario")
    with pytest.raises(TooManyQuestions) as caught:
        ask(someone, "valor del inventario")
    assert caught.value.code == 429 and "3 preguntas en el último minuto" in caught.value.message
    assert len(ask_history.recent(someone)) == 3  # the refused fourth is not counted against them again
    ask(_new_user("user"), "valor del inventario")  # another user is not limited


def test_cache_by_question_and_data_version(demo_data, users):
    first = ask(users["user"], "Valor del inventario por almacén")
    again = ask(users["user"], "valor del inventario por almacén ")
    assert again["metadata"]["cached"] is True and again["data"] == first["data"]
    with db.begin() as conn:
        db.bump_version(conn, "stock")
    assert ask(users["user"], "valor del inventario por almacén")["metadata"]["cached"] is False
    assert ask(users["user"], "valor del inventario por almacén", cache=False)["metadata"]["cached"] is False
