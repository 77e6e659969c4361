"""Inventory search (pg_trgm over a word list) and the general audit_log table

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07 17:00:00

The inventory page searches código and nombre ignoring case and accents and tolerating typos.
Measured on 100,000 products, word_similarity() costs ~8 µs a row, so scoring every product that
a common word matches ("cable": 7% of the catalog) takes far longer than the 50 ms a search may.
So on PostgreSQL the fuzzy part runs on the catalog's distinct words instead:
- erp_productos gets two generated columns: ``palabras`` (the accent-folded, lower-case words of
  "codigo nombre", GIN-indexed) and ``codigo_simple`` (the código without dashes or spaces,
  C collation, b-tree for prefix ranges);
- erp_productos_palabras holds every distinct word (a statement trigger adds new ones on every
  insert or update, whichever loader writes), with a pg_trgm GIN index: each typed word finds its
  similar words there, and products are found by ``palabras && those words`` (exact, no recheck).
SQLite has no pg_trgm: core/inventory/search.py runs the same per-word rule in Python there.
0001's trigram indexes on the raw columns serve no query (the search folds case and accents) and
only cost every sync's writes: they go.

audit_log records every change a person makes (who, when, what, before/after as JSON); later
capabilities (purchase settings, users) write to it too. erp_productos.notas is the products'
one field the ERP sync never writes, so it stays editable on products that come from Microsip.
"""
from alembic import op
import sqlalchemy as sa


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

# Keep in step with core/inventory/search.py (fold()).
FOLD_FROM = 'ÁÀÂÄÃÉÈÊËÍÌÎÏÓÒÔÖÕÚÙÛÜÑÇáàâäãéèêëíìîïóòôöõúùûüñç'
FOLD_TO = 'AAAAAEEEEIIIIOOOOOUUUUNCaaaaaeeeeiiiiooooouuuunc'
PALABRAS_SQL = (f"regexp_split_to_array(lower(translate(codigo || ' ' || nombre, '{FOLD_FROM}', '{FOLD_TO}')), "
                "'[^a-z0-9]+')")
CODIGO_SQL = f"regexp_replace(lower(translate(codigo, '{FOLD_FROM}', '{FOLD_TO}')), '[^a-z0-9]', '', 'g')"
ADD_WORDS = """
CREATE FUNCTION erp_productos_palabras_add() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO erp_productos_palabras (palabra)
    SELECT DISTINCT w FROM nuevos, unnest(nuevos.palabras) AS w WHERE w <> ''
    ON CONFLICT DO NOTHING;
    RETURN NULL;
END $$
"""


def upgrade() -> None:
    op.add_column('erp_productos', sa.Column('notas', sa.Text(), nullable=True))
    op.create_table('audit_log',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('user_email', sa.String(length=255), nullable=False),
    sa.Column('user_name', sa.String(length=255), nullable=True),
    sa.Column('entity', sa.String(length=40), nullable=False),
    sa.Column('entity_id', sa.String(length=80), nullable=False),
    sa.Column('entity_label', sa.String(length=255), nullable=True),
    sa.Column('action', sa.String(length=20), nullable=False),
    sa.Column('before', sa.Text(), nullable=True),
    sa.Column('after', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_audit_log_user_id_users'),
                            ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_log'))
    )
    op.create_index('idx_audit_log_created', 'audit_log', [sa.text('created_at DESC')], unique=False)
    op.create_index('idx_audit_log_entity', 'audit_log', ['entity', 'entity_id'], unique=False)
    op.create_table('erp_productos_palabras',
    sa.Column('palabra', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('palabra', name=op.f('pk_erp_productos_palabras'))
    )
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('CREATE EXTENSION IF NOT EXISTS pg_trgm')
        op.execute('DROP INDEX IF EXISTS idx_erp_productos_nombre_trgm')
        op.execute('DROP INDEX IF EXISTS idx_erp_productos_codigo_trgm')
        op.execute(f'ALTER TABLE erp_productos ADD COLUMN palabras text[] GENERATED ALWAYS AS ({PALABRAS_SQL}) STORED, '
                   f'ADD COLUMN codigo_simple text COLLATE "C" GENERATED ALWAYS AS ({CODIGO_SQL}) STORED')
        # fastupdate off: with GIN's pending list, words a sync had just written were scanned
        # linearly by every search until autovacuum merged them (measured: 0.1 ms -> 8-12 ms a word).
        op.execute('CREATE INDEX idx_erp_productos_palabras ON erp_productos USING gin (palabras) '
                   'WITH (fastupdate = off)')
        op.execute('CREATE INDEX idx_erp_productos_codigo_simple ON erp_productos (codigo_simple)')
        op.execute("INSERT INTO erp_productos_palabras SELECT DISTINCT w FROM erp_productos, unnest(palabras) w "
                   "WHERE w <> ''")
        op.execute('CREATE INDEX idx_erp_productos_palabras_trgm ON erp_productos_palabras '
                   'USING gin (palabra gin_trgm_ops) WITH (fastupdate = off)')
        op.execute(ADD_WORDS)
        for event in ('INSERT', 'UPDATE'):  # a trigger with transition tables takes one event
            op.execute(f'CREATE TRIGGER trg_erp_productos_palabras_{event.lower()} AFTER {event} ON erp_productos '
                       'REFERENCING NEW TABLE AS nuevos FOR EACH STATEMENT EXECUTE FUNCTION erp_productos_palabras_add()')


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        for event in ('insert', 'update'):
            op.execute(f'DROP TRIGGER IF EXISTS trg_erp_productos_palabras_{event} ON erp_productos')
        op.execute('DROP FUNCTION IF EXISTS erp_productos_palabras_add()')
        op.execute('ALTER TABLE erp_productos DROP COLUMN IF EXISTS palabras, DROP COLUMN IF EXISTS codigo_simple')
        op.execute('CREATE INDEX idx_erp_productos_nombre_trgm ON erp_productos USING gin (nombre gin_trgm_ops)')
        op.execute('CREATE INDEX idx_erp_productos_codigo_trgm ON erp_productos USING gin (codigo gin_trgm_ops)')
    op.drop_table('erp_productos_palabras')
    op.drop_index('idx_audit_log_entity', table_name='audit_log')
    op.drop_index('idx_audit_log_created', table_name='audit_log')
    op.drop_table('audit_log')
    with op.batch_alter_table('erp_productos', schema=None) as batch_op:
        batch_op.drop_column('notas')
