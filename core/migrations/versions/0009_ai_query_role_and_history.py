"""AI query: a read-only role for its SQL, and row-level security on query_history

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07 17:00:00

PostgreSQL only (SQLite has no roles; core/ask applies the same rules there):
- ``<database>_ask_reader``: NOLOGIN, SELECT on the six analytic tables and nothing else. The app's
  user is made a member, so a question's SQL runs after ``SET LOCAL ROLE`` inside a READ ONLY
  transaction. Roles are cluster-wide and test sessions create a database each, hence the
  database's name in the role's, and creation only when missing (re-runnable).
- ``<database>_ask_history``: NOLOGIN, SELECT and INSERT on query_history; the app reads and
  writes the history as this role, so row-level security applies even when the app connects
  as a superuser (which bypasses it): a user reads their own rows, an admin all. The acting user
  comes from ``devcompras.user_id`` / ``devcompras.user_role``, set per transaction.
- RLS is also FORCEd, so the table's owner is subject to it when not a superuser.
"""
from alembic import op


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

ANALYTIC_TABLES = ('erp_productos', 'erp_almacenes', 'erp_inventario', 'erp_clientes', 'erp_ventas',
                   'erp_ventas_detalle')
ME = "NULLIF(current_setting('devcompras.user_id', true), '')::integer"
ADMIN = "current_setting('devcompras.user_role', true) = 'admin'"


def upgrade() -> None:
    if op.get_bind().dialect.name != 'postgresql':
        return
    tables = ', '.join(ANALYTIC_TABLES)
    op.execute(f"""
DO $$
DECLARE
    reader text := current_database() || '_ask_reader';
    hist text := current_database() || '_ask_history';
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = reader) THEN
        EXECUTE format('CREATE ROLE %I NOLOGIN NOINHERIT', reader);
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = hist) THEN
        EXECUTE format('CREATE ROLE %I NOLOGIN NOINHERIT', hist);
    END IF;
    -- A DBA may have created both roles and granted them to the app's user beforehand (a user
    -- without CREATEROLE): granting again would need rights it does not have.
    IF NOT pg_has_role(current_user, reader, 'MEMBER') THEN
        EXECUTE format('GRANT %I TO %I', reader, current_user);
    END IF;
    IF NOT pg_has_role(current_user, hist, 'MEMBER') THEN
        EXECUTE format('GRANT %I TO %I', hist, current_user);
    END IF;
    EXECUTE format('GRANT USAGE ON SCHEMA public TO %I', reader);
    EXECUTE format('GRANT SELECT ON {tables} TO %I', reader);
    EXECUTE format('GRANT USAGE ON SCHEMA public TO %I', hist);
    EXECUTE format('GRANT SELECT, INSERT ON query_history TO %I', hist);
    EXECUTE format('GRANT USAGE, SELECT ON SEQUENCE query_history_id_seq TO %I', hist);
END $$;
""")
    op.execute("ALTER TABLE query_history ENABLE ROW LEVEL SECURITY")
    op.execute("ALTER TABLE query_history FORCE ROW LEVEL SECURITY")
    op.execute(f"CREATE POLICY query_history_read ON query_history FOR SELECT USING (user_id = {ME} OR {ADMIN})")
    op.execute(f"CREATE POLICY query_history_insert ON query_history FOR INSERT WITH CHECK (user_id = {ME})")
    op.execute(f"CREATE POLICY query_history_admin ON query_history FOR DELETE USING ({ADMIN})")


def downgrade() -> None:
    if op.get_bind().dialect.name != 'postgresql':
        return
    for policy in ('query_history_read', 'query_history_insert', 'query_history_admin'):
        op.execute(f"DROP POLICY IF EXISTS {policy} ON query_history")
    op.execute("ALTER TABLE query_history NO FORCE ROW LEVEL SECURITY")
    op.execute("ALTER TABLE query_history DISABLE ROW LEVEL SECURITY")
    op.execute("""
DO $$
DECLARE
    r text;
BEGIN
    FOREACH r IN ARRAY ARRAY[current_database() || '_ask_reader', current_database() || '_ask_history'] LOOP
        IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = r) THEN
            EXECUTE format('DROP OWNED BY %I', r);
            EXECUTE format('DROP ROLE %I', r);
        END IF;
    END LOOP;
END $$;
""")
