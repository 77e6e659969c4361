"""Inventory search (pg_trgm) and the general audit_log table

Revision ID: 0008
Revises: 0006
Create Date: 2026-12-07 17:00:00

The inventory page searches código and nombre ignoring case and accents and tolerating typos.
On PostgreSQL that is pg_trgm (created by 0001, made sure of here) over two expressions, each with a GIN index: the accent-folded,
lower-cased "codigo nombre" (word similarity, `<%`) and the código without dashes or spaces
(prefix LIKE); 0001's trigram indexes on the raw columns, which no query can use, go.
core/inventory/search.py builds the very same expressions; the planner only uses
an index whose expression matches the query's. SQLite has no pg_trgm: the search runs a Python
function there (no index needed at a demo catalog's size).

audit_log records every change a person makes (who, when, what, before/after as JSON); later
capabilities (purchase settings, users) write to it too. erp_productos.notas is the products'
one field the ERP sync never writes, so it stays editable on products that come from Microsip.
"""
from alembic import op
import sqlalchemy as sa


revision = '0008'
down_revision = '0006'
branch_labels = None
depends_on = None

# Keep in step with core/inventory/search.py (DOC_SQL, CODE_SQL).
FOLD_FROM = 'ÁÀÂÄÃÉÈÊËÍÌÎÏÓÒÔÖÕÚÙÛÜÑÇáàâäãéèêëíìîïóòôöõúùûüñç'
FOLD_TO = 'AAAAAEEEEIIIIOOOOOUUUUNCaaaaaeeeeiiiiooooouuuunc'
DOC_SQL = f"lower(translate(codigo || ' ' || nombre, '{FOLD_FROM}', '{FOLD_TO}'))"
CODE_SQL = "regexp_replace(lower(codigo), '[^a-z0-9]', '', 'g')"


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
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('CREATE EXTENSION IF NOT EXISTS pg_trgm')
        # 0001's trigram indexes on the raw columns serve no query (the search folds case and
        # accents): they only cost every sync's writes.
        op.execute('DROP INDEX IF EXISTS idx_erp_productos_nombre_trgm')
        op.execute('DROP INDEX IF EXISTS idx_erp_productos_codigo_trgm')
        op.execute(f'CREATE INDEX idx_erp_productos_busqueda_trgm ON erp_productos '
                   f'USING gin (({DOC_SQL}) gin_trgm_ops)')
        op.execute(f'CREATE INDEX idx_erp_productos_codigo_simple_trgm ON erp_productos '
                   f'USING gin (({CODE_SQL}) gin_trgm_ops)')


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('DROP INDEX IF EXISTS idx_erp_productos_codigo_simple_trgm')
        op.execute('DROP INDEX IF EXISTS idx_erp_productos_busqueda_trgm')
        op.execute('CREATE INDEX idx_erp_productos_nombre_trgm ON erp_productos USING gin (nombre gin_trgm_ops)')
        op.execute('CREATE INDEX idx_erp_productos_codigo_trgm ON erp_productos USING gin (codigo gin_trgm_ops)')
    op.drop_index('idx_audit_log_entity', table_name='audit_log')
    op.drop_index('idx_audit_log_created', table_name='audit_log')
    op.drop_table('audit_log')
    with op.batch_alter_table('erp_productos', schema=None) as batch_op:
        batch_op.drop_column('notas')
