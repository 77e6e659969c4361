"""users.session_version: a session cookie is valid only while its account's version is unchanged

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07 16:45:00

Logging out used to delete the cookie in the browser only: a copy of it stayed valid until its
date. The cookie now carries the account's session version, and logout, deactivation, a role
change or a password change bump it, so every earlier cookie is refused. Additive: existing
accounts start at 0.
"""
from alembic import op
import sqlalchemy as sa


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('session_version', sa.Integer(), server_default='0', nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('session_version')
