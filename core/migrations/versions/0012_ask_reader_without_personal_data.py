"""AI query: the reader role cannot read customers' personal data

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07 21:00:00

PostgreSQL only. The guard refuses ``erp_clientes.rfc``, ``email``, ``telefono`` and
``direccion`` (core.ask.schema.PRIVATE_COLUMNS); this makes the database refuse them too, as the
SQLite authorizer does: the ``<database>_ask_reader`` role of 0009 loses SELECT on the whole table
and gets it on every other column. A column added to ``erp_clientes`` later is closed to the reader
until a migration opens it (deny by default).
"""
from alembic import op


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None

PRIVATE = ('rfc', 'email', 'telefono', 'direccion')


def _for_reader_on_clientes(grants: str, *, columns_except: tuple[str, ...]) -> None:
    """Run ``grants`` (with ``cols``: the table's columns but ``columns_except``; ``reader``: the
    role) when this database's reader role exists."""
    if op.get_bind().dialect.name != 'postgresql':
        return
    excluded = ', '.join(f"'{c}'" for c in columns_except) or "''"
    op.execute(f"""
DO $$
DECLARE
    reader text := current_database() || '_ask_reader';
    cols text;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = reader) THEN
        RETURN;
    END IF;
    SELECT string_agg(quote_ident(column_name), ', ' ORDER BY ordinal_position) INTO cols
      FROM information_schema.columns
     WHERE table_schema = current_schema() AND table_name = 'erp_clientes'
       AND column_name NOT IN ({excluded});
    {grants}
END $$;
""")


def upgrade() -> None:
    _for_reader_on_clientes("EXECUTE format('REVOKE SELECT ON erp_clientes FROM %I', reader);\n"
                     "    EXECUTE format('GRANT SELECT (%s) ON erp_clientes TO %I', cols, reader);",
                     columns_except=PRIVATE)


def downgrade() -> None:
    _for_reader_on_clientes("EXECUTE format('REVOKE SELECT (%s) ON erp_clientes FROM %I', cols, reader);\n"
                     "    EXECUTE format('GRANT SELECT ON erp_clientes TO %I', reader);",
                     columns_except=())
