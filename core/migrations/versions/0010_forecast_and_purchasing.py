"""forecast_runs, forecasts and purchase_settings reshaped for forecasting and purchasing

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07 18:00:00

The three tables existed since 0001 but nothing wrote them, so they are dropped and created in
the shape the work needs: a run per training (batch or one product), one forecasts row per
product and run (chosen model, class, metrics, candidates, daily values with 80/95 % intervals
as JSON), and purchase settings keyed by (scope, scope_key) with a non-NULL key, so the global
defaults row and each línea's row are unique on every database (the old unique constraint on
(producto_id, categoria) never fired when either was NULL).
"""
from alembic import op
import sqlalchemy as sa


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

NOW = sa.text('(CURRENT_TIMESTAMP)')


def upgrade() -> None:
    op.drop_table('forecasts')
    op.drop_table('forecast_runs')
    op.drop_table('purchase_settings')
    op.create_table('forecast_runs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=12), server_default='batch', nullable=False),
    sa.Column('status', sa.String(length=12), server_default='pending', nullable=False),
    sa.Column('trigger', sa.String(length=20), server_default='manual', nullable=False),
    sa.Column('job_id', sa.String(length=64), nullable=True),
    sa.Column('almacen_id', sa.Integer(), nullable=True),
    sa.Column('horizon_days', sa.Integer(), server_default='90', nullable=False),
    sa.Column('history_days', sa.Integer(), server_default='730', nullable=False),
    sa.Column('products', sa.Integer(), server_default='0', nullable=False),
    sa.Column('products_done', sa.Integer(), server_default='0', nullable=False),
    sa.Column('products_failed', sa.Integer(), server_default='0', nullable=False),
    sa.Column('parameters', sa.Text(), nullable=True),
    sa.Column('message', sa.Text(), nullable=True),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('started_at', sa.DateTime(), nullable=True),
    sa.Column('completed_at', sa.DateTime(), nullable=True),
    sa.Column('created_at', sa.DateTime(), server_default=NOW, nullable=False),
    sa.ForeignKeyConstraint(['almacen_id'], ['erp_almacenes.id'], name=op.f('fk_forecast_runs_almacen_id_erp_almacenes'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_forecast_runs_user_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_forecast_runs'))
    )
    op.create_index('idx_forecast_runs_created', 'forecast_runs', [sa.text('created_at DESC')])
    op.create_table('forecasts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('run_id', sa.Integer(), nullable=False),
    sa.Column('producto_id', sa.Integer(), nullable=False),
    sa.Column('modelo', sa.String(length=40), nullable=False),
    sa.Column('clase', sa.String(length=20), nullable=False),
    sa.Column('fecha_inicio', sa.Date(), nullable=False),
    sa.Column('valores', sa.Text(), nullable=False),
    sa.Column('metricas', sa.Text(), nullable=False),
    sa.Column('candidatos', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(), server_default=NOW, nullable=False),
    sa.ForeignKeyConstraint(['producto_id'], ['erp_productos.id'], name=op.f('fk_forecasts_producto_id_erp_productos'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['run_id'], ['forecast_runs.id'], name=op.f('fk_forecasts_run_id_forecast_runs'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_forecasts')),
    sa.UniqueConstraint('run_id', 'producto_id', name='uq_forecasts_run_producto')
    )
    op.create_index('idx_forecasts_producto_run', 'forecasts', ['producto_id', sa.text('run_id DESC')])
    op.create_table('purchase_settings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('scope', sa.String(length=10), nullable=False),
    sa.Column('scope_key', sa.String(length=100), server_default='', nullable=False),
    sa.Column('producto_id', sa.Integer(), nullable=True),
    sa.Column('lead_time_days', sa.Integer(), nullable=True),
    sa.Column('review_period_days', sa.Integer(), nullable=True),
    sa.Column('service_level', sa.Float(), nullable=True),
    sa.Column('pack_size', sa.Numeric(precision=18, scale=5), nullable=True),
    sa.Column('moq', sa.Numeric(precision=18, scale=5), nullable=True),
    sa.Column('snoozed_until', sa.Date(), nullable=True),
    sa.Column('updated_by', sa.Integer(), nullable=True),
    sa.Column('updated_at', sa.DateTime(), server_default=NOW, nullable=False),
    sa.ForeignKeyConstraint(['producto_id'], ['erp_productos.id'], name=op.f('fk_purchase_settings_producto_id_erp_productos'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['updated_by'], ['users.id'], name=op.f('fk_purchase_settings_updated_by_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_purchase_settings')),
    sa.UniqueConstraint('scope', 'scope_key', name='uq_purchase_settings_scope_key')
    )


def downgrade() -> None:
    op.drop_table('purchase_settings')
    op.drop_table('forecasts')
    op.drop_table('forecast_runs')
    op.create_table('forecast_runs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=12), server_default='pending', nullable=False),
    sa.Column('model', sa.String(length=40), nullable=True),
    sa.Column('parameters', sa.Text(), nullable=True),
    sa.Column('metrics', sa.Text(), nullable=True),
    sa.Column('horizon_days', sa.Integer(), nullable=True),
    sa.Column('products', sa.Integer(), nullable=True),
    sa.Column('started_at', sa.DateTime(), nullable=True),
    sa.Column('completed_at', sa.DateTime(), nullable=True),
    sa.Column('created_at', sa.DateTime(), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_forecast_runs'))
    )
    op.create_table('forecasts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('run_id', sa.Integer(), nullable=False),
    sa.Column('producto_id', sa.Integer(), nullable=False),
    sa.Column('fecha', sa.Date(), nullable=False),
    sa.Column('yhat', sa.Float(), nullable=False),
    sa.Column('yhat_lower', sa.Float(), nullable=True),
    sa.Column('yhat_upper', sa.Float(), nullable=True),
    sa.ForeignKeyConstraint(['producto_id'], ['erp_productos.id'], name=op.f('fk_forecasts_producto_id_erp_productos'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['run_id'], ['forecast_runs.id'], name=op.f('fk_forecasts_run_id_forecast_runs'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_forecasts')),
    sa.UniqueConstraint('run_id', 'producto_id', 'fecha', name='uq_forecasts_run_producto_fecha')
    )
    op.create_table('purchase_settings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('producto_id', sa.Integer(), nullable=True),
    sa.Column('categoria', sa.String(length=100), nullable=True),
    sa.Column('lead_time_days', sa.Integer(), server_default='7', nullable=False),
    sa.Column('review_period_days', sa.Integer(), server_default='7', nullable=False),
    sa.Column('service_level', sa.Float(), server_default='0.95', nullable=False),
    sa.Column('pack_size', sa.Numeric(precision=18, scale=5), server_default='1', nullable=False),
    sa.Column('moq', sa.Numeric(precision=18, scale=5), server_default='0', nullable=False),
    sa.Column('updated_at', sa.DateTime(), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.ForeignKeyConstraint(['producto_id'], ['erp_productos.id'], name=op.f('fk_purchase_settings_producto_id_erp_productos'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_purchase_settings')),
    sa.UniqueConstraint('producto_id', 'categoria', name='uq_purchase_settings_scope')
    )
