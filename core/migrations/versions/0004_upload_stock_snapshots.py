"""upload_stock_snapshots: the stock rows an inventory upload overwrote, so undo restores them

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28 10:15:00

Undoing or replacing an inventory upload used to delete every erp_inventario row carrying its
upload_id, including rows that existed before (the ERP's stock). The load now keeps the previous
values and owner of each row it writes; undo puts them back and deletes only the rows it created.
"""
from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('upload_stock_snapshots',
    sa.Column('upload_id', sa.Integer(), nullable=False),
    sa.Column('producto_id', sa.Integer(), nullable=False),
    sa.Column('almacen_id', sa.Integer(), nullable=False),
    sa.Column('existed', sa.Boolean(), nullable=False),
    sa.Column('stock_actual', sa.Numeric(precision=18, scale=5), nullable=True),
    sa.Column('stock_minimo', sa.Numeric(precision=18, scale=5), nullable=True),
    sa.Column('punto_reorden', sa.Numeric(precision=18, scale=5), nullable=True),
    sa.Column('stock_maximo', sa.Numeric(precision=18, scale=5), nullable=True),
    sa.Column('prev_upload_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['upload_id'], ['uploads.id'], name=op.f('fk_upload_stock_snapshots_upload_id_uploads'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('upload_id', 'producto_id', 'almacen_id', name=op.f('pk_upload_stock_snapshots'))
    )


def downgrade() -> None:
    op.drop_table('upload_stock_snapshots')
