"""upload_sales_snapshots: sales documents a sales upload took over from another live upload

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28 10:40:00

A sales file whose period overlaps an earlier live upload of the same store updates that upload's
documents (same folio, or same day without folio). Undoing the later file deleted them, losing the
earlier upload's sales. The load now keeps those documents and their lines; undo puts them back.
"""
from alembic import op
import sqlalchemy as sa


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('upload_sales_snapshots',
    sa.Column('upload_id', sa.Integer(), nullable=False),
    sa.Column('venta_id', sa.Integer(), nullable=False),
    sa.Column('prev_upload_id', sa.Integer(), nullable=True),
    sa.Column('erp_id', sa.String(length=80), nullable=False),
    sa.Column('tipo', sa.String(length=2), nullable=True),
    sa.Column('folio', sa.String(length=40), nullable=True),
    sa.Column('fecha', sa.DateTime(), nullable=False),
    sa.Column('cliente_id', sa.Integer(), nullable=True),
    sa.Column('cliente_nombre', sa.String(length=255), nullable=True),
    sa.Column('almacen_id', sa.Integer(), nullable=True),
    sa.Column('subtotal', sa.Numeric(precision=15, scale=2), nullable=False),
    sa.Column('iva', sa.Numeric(precision=15, scale=2), nullable=False),
    sa.Column('total', sa.Numeric(precision=15, scale=2), nullable=False),
    sa.Column('estatus', sa.String(length=2), nullable=True),
    sa.ForeignKeyConstraint(['upload_id'], ['uploads.id'], name=op.f('fk_upload_sales_snapshots_upload_id_uploads'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('upload_id', 'venta_id', name=op.f('pk_upload_sales_snapshots'))
    )
    op.create_table('upload_sales_line_snapshots',
    sa.Column('upload_id', sa.Integer(), nullable=False),
    sa.Column('venta_id', sa.Integer(), nullable=False),
    sa.Column('linea', sa.Integer(), nullable=False),
    sa.Column('producto_id', sa.Integer(), nullable=False),
    sa.Column('cantidad', sa.Numeric(precision=18, scale=5), nullable=False),
    sa.Column('precio_unitario', sa.Numeric(precision=18, scale=6), nullable=True),
    sa.Column('importe', sa.Numeric(precision=15, scale=2), nullable=False),
    sa.ForeignKeyConstraint(['upload_id'], ['uploads.id'],
                            name=op.f('fk_upload_sales_line_snapshots_upload_id_uploads'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('upload_id', 'venta_id', 'linea', name=op.f('pk_upload_sales_line_snapshots'))
    )


def downgrade() -> None:
    op.drop_table('upload_sales_line_snapshots')
    op.drop_table('upload_sales_snapshots')
