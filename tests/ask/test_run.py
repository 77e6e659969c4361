"""The runner's own layers, with the guard bypassed: the database refuses writes and other tables
by itself, and the statement timeout stops a read that would run forever."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from core.ask.errors import DangerousSql, ExecutionError
from core.ask.guard import Checked, check
from core.ask.run import execute
from tests.ask.attacks import fingerprint


def _unchecked(sql: str) -> Checked:
    return Checked(sql=sql, tables=(), limit=0)


def test_a_read_returns_the_rows_of_the_same_sql(engine, demo_data):
    sql = "SELECT codigo, nombre, precio FROM erp_productos ORDER BY codigo"
    result = execute(check(sql, dialect=engine.dialect.name, limit=20))
    with engine.connect() as conn:
        expected = [(c, n, float(p) if p is not None else None)
                    for c, n, p in conn.execute(text(sql + " LIMIT 20")).all()]
    assert [(r["codigo"], r["nombre"], r["precio"]) for r in result.rows] == expected
    assert result.columns == ["codigo", "nombre", "precio"]
    if engine.dialect.name == "postgresql":
        assert result.estimated_rows is not None and result.estimated_rows > 0


@pytest.mark.parametrize("sql", [
    "DELETE FROM erp_productos",
    "UPDATE erp_inventario SET stock_actual = 0",
    "INSERT INTO erp_almacenes (nombre) VALUES ('Intruso')",
    "SELECT email, password_hash FROM users",
    "SELECT * FROM query_history",
    "DROP TABLE erp_ventas",
])
def test_the_database_refuses_what_the_guard_would(engine, demo_data, sql):
    before = fingerprint(engine)
    with pytest.raises((DangerousSql, ExecutionError)) as caught:
        execute(_unchecked(sql), explain=False)
    assert caught.value.rule in {"permiso_bd", "solo_lectura"}, (caught.value.rule, caught.value.message)
    assert fingerprint(engine) == before


def test_catalogs_are_closed_to_the_reader(engine, demo_data):
    sql = "SELECT usename FROM pg_shadow" if engine.dialect.name == "postgresql" else "SELECT sql FROM sqlite_master"
    with pytest.raises((DangerousSql, ExecutionError)) as caught:
        execute(_unchecked(sql), explain=False)
    assert caught.value.rule in {"permiso_bd", "ejecucion"}


def test_a_read_that_runs_forever_is_cancelled(engine, demo_data, settings_env):
    settings_env(ask_statement_timeout_s="0.5")
    sql = ("SELECT count(*) FROM erp_ventas_detalle a, erp_ventas_detalle b, erp_ventas_detalle c, "
           "erp_ventas_detalle d")
    with pytest.raises(ExecutionError) as caught:
        execute(check(sql, dialect=engine.dialect.name, limit=10))
    assert caught.value.rule == "tiempo_agotado"
    assert "0.5 s" in caught.value.message


def test_the_read_runs_read_only_as_the_reader_with_a_timeout(engine, demo_data):
    if engine.dialect.name != "postgresql":
        pytest.skip("roles and transaction settings are PostgreSQL's")
    result = execute(_unchecked("SELECT current_setting('transaction_read_only') AS ro, current_user AS who, "
                                "current_setting('statement_timeout') AS timeout"), explain=False)
    assert result.rows == [{"ro": "on", "who": engine.url.database + "_ask_reader", "timeout": "5s"}]


@pytest.mark.parametrize("sql", [
    "SELECT nombre, rfc FROM erp_clientes",
    "SELECT * FROM erp_clientes",
    "SELECT nombre FROM erp_clientes WHERE email IS NOT NULL",
])
def test_the_database_refuses_customer_personal_data_by_itself(engine, demo_data, sql):
    # SQLite: the authorizer; PostgreSQL: the reader role's column grants (migration 0012).
    with pytest.raises(DangerousSql) as caught:
        execute(_unchecked(sql), explain=False)
    assert caught.value.rule == "permiso_bd"
    assert execute(_unchecked("SELECT clave, nombre FROM erp_clientes ORDER BY clave LIMIT 3"), explain=False).rows
