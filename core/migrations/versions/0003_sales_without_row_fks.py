"""Sales tables without per-row foreign keys: bulk loads of documents and lines at COPY speed

Revision ID: 0003
Revises: 0002_jobs
Create Date: 2026-11-28 09:55:00

Each line's two foreign-key checks (FOR KEY SHARE on the header and on the product) cost more
than the COPY of the line itself (measured ~2.5x slower loads); a document's checks lock the same
few almacén rows over and over. Lines and documents are only written by the loaders, which
resolve every id inside the same transaction and delete a document's lines before the document;
products, customers and almacenes are never deleted, only inactivated. The upload_id key stays
(it is NULL, so unchecked, on ERP documents).
"""
from alembic import op

revision = '0003'
down_revision = '0002_jobs'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('erp_ventas', schema=None) as batch_op:
        batch_op.drop_constraint('fk_erp_ventas_cliente_id_erp_clientes', type_='foreignkey')
        batch_op.drop_constraint('fk_erp_ventas_almacen_id_erp_almacenes', type_='foreignkey')
    with op.batch_alter_table('erp_ventas_detalle', schema=None) as batch_op:
        batch_op.drop_constraint('fk_erp_ventas_detalle_producto_id_erp_productos', type_='foreignkey')
        batch_op.drop_constraint('fk_erp_ventas_detalle_venta_id_erp_ventas', type_='foreignkey')


def downgrade() -> None:
    with op.batch_alter_table('erp_ventas_detalle', schema=None) as batch_op:
        batch_op.create_foreign_key('fk_erp_ventas_detalle_venta_id_erp_ventas', 'erp_ventas',
                                    ['venta_id'], ['id'], ondelete='CASCADE')
        batch_op.create_foreign_key('fk_erp_ventas_detalle_producto_id_erp_productos', 'erp_productos',
                                    ['producto_id'], ['id'], ondelete='CASCADE')
    with op.batch_alter_table('erp_ventas', schema=None) as batch_op:
        batch_op.create_foreign_key('fk_erp_ventas_cliente_id_erp_clientes', 'erp_clientes',
                                    ['cliente_id'], ['id'], ondelete='SET NULL')
        batch_op.create_foreign_key('fk_erp_ventas_almacen_id_erp_almacenes', 'erp_almacenes',
                                    ['almacen_id'], ['id'], ondelete='SET NULL')
