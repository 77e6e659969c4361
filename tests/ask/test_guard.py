"""The guard alone: every attack of the corpus is refused by the rule expected, in both dialects;
honest reads pass with their LIMIT forced."""

from __future__ import annotations

import pytest

from core.ask.errors import DangerousSql
from core.ask.guard import check
from tests.ask.attacks import ATTACKS

DIALECTS = ("postgresql", "sqlite")


def test_the_corpus_is_large_enough():
    assert len(ATTACKS) >= 40
    assert len({name for name, _, _ in ATTACKS}) == len(ATTACKS)


@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize(("name", "sql", "rules"), ATTACKS, ids=[a[0] for a in ATTACKS])
def test_attack_refused_by_its_rule(dialect, name, sql, rules):
    if rules is None:  # left to the database's timeout: the guard only forces the LIMIT
        checked = check(sql, dialect=dialect, limit=10)
        assert checked.sql.endswith("LIMIT 10")
        return
    with pytest.raises(DangerousSql) as caught:
        check(sql, dialect=dialect, limit=10)
    assert caught.value.code == 403
    assert caught.value.rule in rules, (caught.value.rule, caught.value.message)
    assert caught.value.message  # Spanish text for the person


@pytest.mark.parametrize("dialect", DIALECTS)
def test_limit_is_forced(dialect):
    assert check("SELECT codigo FROM erp_productos", dialect=dialect, limit=7).sql.endswith("LIMIT 7")
    assert check("SELECT codigo FROM erp_productos LIMIT 5000", dialect=dialect, limit=7).sql.endswith("LIMIT 7")
    assert check("SELECT codigo FROM erp_productos LIMIT 3", dialect=dialect, limit=7).sql.endswith("LIMIT 3")
    union = check("SELECT nombre FROM erp_almacenes UNION SELECT nombre FROM erp_clientes",
                  dialect=dialect, limit=4)
    assert union.sql.endswith("LIMIT 4") and union.tables == ("erp_almacenes", "erp_clientes")


@pytest.mark.parametrize("dialect", DIALECTS)
def test_honest_reads_pass(dialect):
    sql = ("WITH v AS (SELECT d.producto_id, SUM(d.importe) AS importe FROM erp_ventas_detalle d "
           "JOIN erp_ventas e ON e.id = d.venta_id WHERE COALESCE(e.estatus, 'N') <> 'C' "
           "GROUP BY d.producto_id) SELECT p.codigo, ROUND(v.importe, 2) AS importe FROM v "
           "JOIN erp_productos p ON p.id = v.producto_id ORDER BY v.importe DESC")
    checked = check(sql, dialect=dialect, limit=100)
    assert checked.tables == ("erp_productos", "erp_ventas", "erp_ventas_detalle")
    assert "/*" not in check("SELECT 1 /* nota */", dialect=dialect, limit=1).sql


@pytest.mark.parametrize("dialect", DIALECTS)
def test_customer_reads_without_personal_data_pass(dialect):
    """The personal-data rule stops only personal data: counts, names and sales per customer still pass."""
    assert check("SELECT COUNT(*) FROM erp_clientes", dialect=dialect, limit=5).tables == ("erp_clientes",)
    top = ("SELECT c.clave, c.nombre, SUM(v.total) AS total FROM erp_ventas v JOIN erp_clientes c "
           "ON c.id = v.cliente_id GROUP BY c.clave, c.nombre ORDER BY total DESC")
    assert check(top, dialect=dialect, limit=5).sql.endswith("LIMIT 5")
    assert check("SELECT * FROM erp_ventas", dialect=dialect, limit=5).tables == ("erp_ventas",)
    assert check("SELECT s.* FROM (SELECT clave, nombre FROM erp_clientes) s", dialect=dialect, limit=5)


@pytest.mark.parametrize("dialect", DIALECTS)
def test_unicode_escaped_identifier_is_not_run_as_written(dialect):
    """PostgreSQL's U&"…" could spell a private column without its letters; sqlglot reads it as
    ``U & "…"``, and what runs is that rewrite, so the escape never reaches the database."""
    checked = check('SELECT U&"rf\\0063" FROM erp_clientes', dialect=dialect, limit=5)
    assert 'U&"' not in checked.sql and "rfc" not in checked.sql.lower()


@pytest.mark.parametrize("dialect", DIALECTS)
def test_cache_keeps_accepted_statements_only(dialect):
    from core.ask import guard

    guard.clear_cache()
    first = check("SELECT codigo FROM erp_productos", dialect=dialect, limit=5)
    assert check("SELECT codigo FROM erp_productos", dialect=dialect, limit=5) is first
    assert check("SELECT codigo FROM erp_productos", dialect=dialect, limit=6).sql.endswith("LIMIT 6")
    for _ in range(2):  # a refusal is decided again every time, never remembered
        with pytest.raises(DangerousSql):
            check("SELECT email FROM users", dialect=dialect, limit=5)
    assert guard._check_cached.cache_info().currsize == 2
