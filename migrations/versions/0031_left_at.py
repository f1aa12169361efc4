"""left_at: when an account was disabled (the person left the office). The competence trend counted only
today's people in every past month: someone who reached 20 JP in June and left in August vanished from
June's figures. Accounts disabled before this revision keep no date and count in no month, as before.

Revision ID: 0031_left_at
Revises: 0030_correctors
"""
import sqlalchemy as sa
from alembic import op


revision = '0031_left_at'
down_revision = '0030_correctors'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('user') as batch_op:
        batch_op.add_column(sa.Column('left_at', sa.DateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table('user') as batch_op:
        batch_op.drop_column('left_at')
