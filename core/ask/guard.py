"""Layer 3, the guard: a statement is parsed with sqlglot in the target dialect and must be one
SELECT (or WITH of SELECTs) over the allow-listed tables, with known functions only.

What runs is the statement as sqlglot regenerates it (without comments, LIMIT forced), so the
database executes exactly what was checked. Each refusal names its rule.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from functools import cache, lru_cache

from sqlglot import exp
from sqlglot.dialects.dialect import Dialect
from sqlglot.errors import ParseError, TokenError

from core.ask.errors import DangerousSql
from core.ask.schema import ALLOWED_TABLES, PRIVATE_COLUMNS

MAX_SQL_CHARS = 5000
SQLGLOT_DIALECT = {"postgresql": "postgres", "sqlite": "sqlite"}

# Refused by name (or prefix) with their own rule: they read files, sleep, talk to other servers,
# change settings or load code.
DANGEROUS_PREFIXES = ("pg_", "lo_", "dblink", "sqlite_", "pragma_", "xp_", "sys_")
DANGEROUS_NAMES = frozenset({
    "set_config", "current_setting", "copy", "load_extension", "readfile", "writefile", "edit",
    "fts3_tokenizer", "query_to_xml", "table_to_xml", "cursor_to_xml", "database_to_xml",
    "schema_to_xml", "query_to_xml_and_xmlschema", "txid_current", "nextval", "setval",
    "currval", "lastval", "version", "current_version", "current_user", "session_user", "user",
    "current_database", "current_schema", "current_schemas", "inet_server_addr",
    "inet_server_port", "inet_client_addr", "has_table_privilege", "format", "generate_series",
    "random", "randomblob", "zeroblob", "repeat", "replicate", "lpad", "rpad", "exec", "execute",
    "sleep", "benchmark", "load_file", "shell", "system", "unistr", "char",
})
# Everything a reporting query needs; any other function is refused (rule "funcion_no_permitida").
ALLOWED_FUNCTIONS = frozenset({
    "EXISTS", "COUNT", "SUM", "AVG", "MIN", "MAX", "COALESCE", "IFNULL", "NULLIF", "ROUND", "ABS", "CEIL",
    "CEILING", "FLOOR", "CAST", "TRY_CAST", "EXTRACT", "LOWER", "UPPER", "LENGTH", "SUBSTRING",
    "SUBSTR", "TRIM", "LTRIM", "RTRIM", "CONCAT", "GREATEST", "LEAST", "CASE", "IF", "IIF",
    "DATE", "DATE_TRUNC", "TIMESTAMP_TRUNC", "DATETIME_TRUNC", "TIME_TO_STR", "TO_CHAR",
    "STRFTIME", "CURRENT_DATE", "CURRENT_TIMESTAMP", "NOW", "DATE_ADD", "DATE_SUB", "DATEDIFF",
    "DATE_DIFF", "TS_OR_DS_TO_TIMESTAMP", "TS_OR_DS_TO_DATE", "STR_TO_TIME", "TIME_STR_TO_TIME",
    "TO_TIMESTAMP", "DATETIME", "JULIANDAY", "ROW_NUMBER", "RANK", "DENSE_RANK", "LAG", "LEAD",
    "FIRST_VALUE", "LAST_VALUE", "NTILE", "PERCENT_RANK", "CUME_DIST", "STRING_AGG",
    "GROUP_CONCAT", "COUNT_IF", "COUNTIF", "STDDEV", "STDDEV_SAMP", "STDDEV_POP", "VARIANCE",
    "MEDIAN", "PERCENTILE_CONT", "PERCENTILE_DISC", "UNACCENT", "REPLACE", "POSITION",
    "STR_POSITION", "INSTR", "SIGN", "POWER", "POW", "SQRT", "MOD", "DIV", "SAFE_DIVIDE",
    "DATE_PART", "DATEPART", "AGE", "INTERVAL", "AVG_IF", "SUM_IF", "ANY_VALUE", "BOOL_OR",
    "BOOL_AND", "LOGICAL_OR", "LOGICAL_AND", "ARRAY_AGG", "TO_DATE", "MAKE_DATE", "DATE_FROM_PARTS",
    "TIME_STR_TO_DATE", "DATE_STR_TO_DATE", "UNIX_TO_TIME", "TIME_TO_UNIX", "STR_TO_DATE",
    "CONCAT_WS", "LEFT", "RIGHT", "INITCAP", "TRUNC", "TRUNCATE", "LN", "LOG", "EXP", "TIMESTAMP",
    "CURRENT_TIME", "LOCALTIMESTAMP", "DAY", "MONTH", "YEAR", "WEEK", "QUARTER", "DAYOFWEEK",
    "DAY_OF_WEEK", "DAYOFMONTH", "DAY_OF_MONTH", "DAYOFYEAR", "DAY_OF_YEAR", "WEEKOFYEAR",
    "WEEK_OF_YEAR", "LIKE", "ILIKE", "TS_OR_DS_ADD", "TIME_TO_TIME_STR",
    "TIME_STR_TO_UNIX", "ANONYMOUS_AGG_FUNC", "FILTER", "ORDERED", "WINDOW",
    "SPLIT_PART", "DIV0", "FLOAT_DIV", "NULLIFZERO", "NVL", "NVL2", "TOTAL",
})
# Statement kinds that never belong in a read, wherever they appear in the tree.
FORBIDDEN_NODES: tuple[type[exp.Expr], ...] = tuple(
    getattr(exp, name) for name in (
        "Insert", "Update", "Delete", "Merge", "Create", "Drop", "Alter", "TruncateTable", "Copy",
        "Command", "Set", "Transaction", "Commit", "Rollback", "Use", "Pragma", "Attach", "Detach",
        "Grant", "Revoke", "Into", "Lock", "LoadData", "Analyze", "Describe", "Show", "Cache",
        "Uncache", "Refresh", "Summarize", "Kill", "Comprehension", "Install", "Execute",
    ) if hasattr(exp, name)
)
SQL_SCHEMAS = {"postgresql": {"public"}, "sqlite": {"main"}}
# A CTE may not take the name of a table, allowed or not: it would hide what is really read.
RESERVED_CTE_NAMES = frozenset({"users", "query_history", "sync_jobs", "uploads", "information_schema"})
ALLOWED_LIST = ", ".join(sorted(ALLOWED_TABLES))  # for the messages, built once


@dataclass(frozen=True)
class Checked:
    """A statement the guard accepted: the text to run (LIMIT forced) and the tables it reads."""

    sql: str
    tables: tuple[str, ...]
    limit: int


# What the walk must do with a node, decided once per node class instead of a chain of
# isinstance checks on every node of every statement (the guard's hot loop).
_FORBIDDEN, _SELECT, _FUNC, _PARAM, _IDENT, _TABLE, _CTE, _WITH = (1 << i for i in range(8))
_KINDS: dict[type, int] = {}


def _kind(cls: type) -> int:
    kind = _KINDS.get(cls)
    if kind is None:
        kind = 0
        if issubclass(cls, FORBIDDEN_NODES):
            kind |= _FORBIDDEN
        if issubclass(cls, exp.Select):
            kind |= _SELECT
        if issubclass(cls, exp.Func) and not issubclass(cls, exp.Connector | exp.Binary | exp.Unary):
            kind |= _FUNC
        if issubclass(cls, exp.Parameter | exp.Placeholder | exp.SessionParameter):
            kind |= _PARAM
        if issubclass(cls, exp.Identifier):
            kind |= _IDENT
        if issubclass(cls, exp.Table):
            kind |= _TABLE
        if issubclass(cls, exp.CTE):
            kind |= _CTE
        _KINDS[cls] = kind
    return kind


@cache
def _dialect(dialect: str) -> Dialect:
    """sqlglot's dialect object, looked up once (not on every parse and every generate)."""
    return Dialect.get_or_raise(SQLGLOT_DIALECT[dialect])


def _refuse(rule: str, message: str, sql: str) -> DangerousSql:
    return DangerousSql(message, rule=rule, sql=sql)


def check(sql: str, *, dialect: str, limit: int) -> Checked:
    """Accept ``sql`` as one safe read for ``dialect`` ('postgresql' or 'sqlite') or raise DangerousSql."""
    if dialect not in SQLGLOT_DIALECT:
        raise ValueError(f"unsupported dialect {dialect!r}")
    return _check_cached(sql, dialect, limit)


def clear_cache() -> None:
    """Forget the accepted statements (the bench measures the guard cold with it)."""
    _check_cached.cache_clear()


# The same statement is checked again when a question is asked again after the data changed (the
# answer cache is keyed by data version), or a statement is run again from the page's editor: an
# accepted statement's verdict depends only on its text, dialect and limit. Refusals (exceptions)
# are never cached. Checked is immutable, so sharing one between callers is safe.
@lru_cache(maxsize=512)
def _check_cached(sql: str, dialect: str, limit: int) -> Checked:
    text = (sql or "").strip()
    if not text:
        raise _refuse("vacia", "La consulta SQL está vacía.", sql)
    if len(text) > MAX_SQL_CHARS:
        raise _refuse("longitud", f"La consulta SQL pasa de {MAX_SQL_CHARS:,} caracteres.", sql)
    if "\x00" in text:
        raise _refuse("sintaxis", "La consulta SQL contiene caracteres no válidos.", sql)
    sqlglot_dialect = _dialect(dialect)
    try:
        statements = [s for s in sqlglot_dialect.parse(text) if s is not None]
    except (ParseError, TokenError) as exc:
        raise _refuse("sintaxis", f"La consulta SQL no es válida: {_first_line(exc)}", sql) from exc
    if len(statements) != 1:
        raise _refuse("una_sentencia",
                      f"Sólo se permite una sentencia; se encontraron {len(statements)}.", sql)
    tree = statements[0]
    while isinstance(tree, exp.Subquery):
        tree = tree.this
    if not isinstance(tree, exp.Query) or not isinstance(tree, exp.Select | exp.SetOperation):
        raise _refuse("solo_select", "Sólo se permiten consultas SELECT (o WITH … SELECT).", sql)
    ctes, tables = _walk(tree, sql)
    used = _check_tables(ctes, tables, dialect, sql)
    if not used.isdisjoint(PRIVATE_COLUMNS):  # a second walk, only for statements that read clientes
        _check_private(tree, tables, used, sql)
    _force_limit(tree, limit)
    # The tree is ours (parsed for this check): no defensive copy before generating.
    out = sqlglot_dialect.generate(tree, copy=False, comments=False)
    return Checked(sql=out, tables=tuple(sorted(used)), limit=limit)


def _walk(tree: exp.Expr, sql: str) -> tuple[list[exp.CTE], list[exp.Table]]:
    """One breadth-first pass over the tree: refuse writes, locks, functions and parameters; collect
    the CTEs and tables for the allow-list check (done after, so the refusal order is unchanged)."""
    ctes: list[exp.CTE] = []
    tables: list[exp.Table] = []
    queue: deque[exp.Expr] = deque((tree,))
    pop, push, kinds = queue.popleft, queue.append, _KINDS
    while queue:
        node = pop()
        cls = type(node)
        kind = kinds.get(cls)
        if kind is None:
            kind = _kind(cls)
        if kind:
            if kind & _FORBIDDEN:
                raise _refuse("solo_select",
                              f"Sólo se permiten lecturas: la consulta contiene {cls.__name__.upper()}.", sql)
            if kind & _SELECT and node.args.get("locks"):
                raise _refuse("solo_select", "Sólo se permiten lecturas: la consulta bloquea filas (FOR UPDATE).", sql)
            if kind & _FUNC:
                _check_function(node, sql)  # type: ignore[arg-type]
            if kind & _PARAM or (kind & _IDENT and str(node.this)[:1] in {"$", ":", "@", "?"}):
                raise _refuse("sintaxis", "La consulta no puede llevar parámetros ni variables.", sql)
            if kind & _TABLE:
                tables.append(node)  # type: ignore[arg-type]
            elif kind & _CTE:
                ctes.append(node)  # type: ignore[arg-type]
        # Expr.iter_expressions, inlined: this loop runs for every node of every statement.
        for value in node.args.values():
            if isinstance(value, list):
                for item in value:
                    if isinstance(item, exp.Expr):
                        push(item)
            elif isinstance(value, exp.Expr):
                push(value)
    return ctes, tables


def _first_line(exc: Exception) -> str:
    return str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__


def _function_name(node: exp.Func) -> str:
    if isinstance(node, exp.Anonymous):
        return str(node.name)
    return node.sql_name()


def _check_function(node: exp.Func, sql: str) -> None:
    name = _function_name(node)
    low = name.lower()
    if low in DANGEROUS_NAMES or low.startswith(DANGEROUS_PREFIXES):
        raise _refuse("funcion_peligrosa", f"La función {low}() no está permitida.", sql)
    if name.upper() not in ALLOWED_FUNCTIONS and not isinstance(
            node, exp.AggFunc | exp.Cast | exp.Case | exp.If | exp.Extract | exp.Coalesce):
        raise _refuse("funcion_no_permitida",
                      f"La función {low}() no está entre las permitidas para consultas.", sql)


def _cte_names_in_scope(node: exp.Expr) -> set[str]:
    """Names of the CTEs visible from ``node``: those of every enclosing WITH."""
    names: set[str] = set()
    parent = node.parent
    while parent is not None:
        with_ = parent.args.get("with_") or parent.args.get("with")
        if isinstance(with_, exp.With):
            names |= {cte.alias_or_name.lower() for cte in with_.expressions}
        parent = parent.parent
    return names


def _check_tables(ctes: list[exp.CTE], tables: list[exp.Table], dialect: str, sql: str) -> set[str]:
    used: set[str] = set()
    for cte in ctes:
        alias = cte.alias_or_name.lower()
        if alias in ALLOWED_TABLES or alias.startswith(("pg_", "sqlite_")) or alias in RESERVED_CTE_NAMES:
            raise _refuse("tablas_permitidas",
                          f"Una subconsulta WITH no puede llamarse como una tabla ({alias}).", sql)
    schemas = SQL_SCHEMAS[dialect]
    for table in tables:
        if not isinstance(table.this, exp.Identifier):
            raise _refuse("tablas_permitidas",
                          "Sólo se puede leer de tablas permitidas, no de funciones.", sql)
        name = table.name.lower()
        schema = table.db.lower() if table.db else ""
        if table.catalog or (schema and schema not in schemas):
            raise _refuse("tablas_permitidas",
                          f"La tabla {table.sql()} no está permitida; use sólo: {ALLOWED_LIST}.", sql)
        if not schema and ctes and name in _cte_names_in_scope(table):
            continue
        if name not in ALLOWED_TABLES:
            raise _refuse("tablas_permitidas",
                          f"La tabla {name} no está permitida; use sólo: {ALLOWED_LIST}.", sql)
        used.add(name)
    return used  # no tables at all (a SELECT of constants) is harmless


def _check_private(tree: exp.Expr, tables: list[exp.Table], used: set[str], sql: str) -> None:
    """Refuse any read of a private column (schema.PRIVATE_COLUMNS): by name, through ``*``, through a
    whole-row reference (PostgreSQL's ``SELECT c FROM erp_clientes c``) or through a column list in
    the table's alias (``erp_clientes AS c(a, b, …)`` renames the columns by position)."""
    private_tables = used & PRIVATE_COLUMNS.keys()
    private_names = frozenset().union(*(PRIVATE_COLUMNS[t] for t in private_tables))
    rows = set(private_tables)  # names that stand for a whole row of a private table
    for table in tables:
        if table.name.lower() in private_tables:
            rows.add(table.alias_or_name.lower())
            alias = table.args.get("alias")
            if isinstance(alias, exp.TableAlias) and alias.columns:
                raise _private(table.name.lower(), "no se pueden renombrar sus columnas", sql)
    for node in tree.walk():
        if isinstance(node, exp.Identifier):
            if str(node.this).lower() in private_names:
                raise _private(", ".join(sorted(private_tables)), f"la columna {str(node.this).lower()} "
                               "es un dato personal", sql)
        elif isinstance(node, exp.Star):
            if not isinstance(node.parent, exp.Count) and _reads_directly(node.find_ancestor(exp.Select),
                                                                           private_tables):
                raise _private(", ".join(sorted(private_tables)), "nombre las columnas en lugar de usar *", sql)
        elif isinstance(node, exp.Column) and not node.table and node.name.lower() in rows:
            raise _private(", ".join(sorted(private_tables)), f"{node.name} es la fila completa", sql)


def _reads_directly(select: exp.Select | None, names: set[str]) -> bool:
    """Whether ``select``'s own FROM and JOINs (not its subqueries') include one of the tables ``names``."""
    if select is None:
        return True  # no SELECT of its own: assume the worst
    from_ = select.args.get("from_") or select.args.get("from")
    sources = [from_.this] if isinstance(from_, exp.From) else []
    sources += [join.this for join in select.args.get("joins") or []]
    return any(isinstance(s, exp.Table) and s.name.lower() in names for s in sources)


def _private(table: str, why: str, sql: str) -> DangerousSql:
    return _refuse("datos_personales",
                   f"La consulta IA no lee datos personales de clientes (RFC, correo, teléfono, dirección) "
                   f"de {table}: {why}.", sql)


def _force_limit(tree: exp.Expr, limit: int) -> None:
    """Give the statement LIMIT min(its own, ``limit``), in place; an OFFSET is kept."""
    current = tree.args.get("limit")
    if isinstance(current, exp.Limit):
        value = current.expression
        if isinstance(value, exp.Literal) and value.is_int and int(value.this) <= limit:
            return
    elif isinstance(current, exp.Fetch):
        tree.set("limit", None)
    # Built directly rather than with Query.limit(), which parses the text "LIMIT n".
    tree.set("limit", exp.Limit(expression=exp.Literal.number(limit)))
