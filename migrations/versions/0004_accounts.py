"""accounts: one-time passwords and the surat perintah of a delegation

Revision ID: 0004_accounts
Revises: 0003_training
"""
from alembic import op
import sqlalchemy as sa


revision = '0004_accounts'
down_revision = '0003_training'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('must_change_password', sa.Boolean(), server_default=sa.false(),
                                      nullable=False))
    with op.batch_alter_table('delegation', schema=None) as batch_op:
        batch_op.add_column(sa.Column('order_number', sa.String(length=100), server_default='', nullable=False))
        batch_op.add_column(sa.Column('order_date', sa.Date(), nullable=True))


def downgrade():
    with op.batch_alter_table('delegation', schema=None) as batch_op:
        batch_op.drop_column('order_date')
        batch_op.drop_column('order_number')
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.drop_column('must_change_password')
