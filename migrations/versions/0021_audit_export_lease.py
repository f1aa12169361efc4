"""audit exports survive a restart (a lease on the job); date-range searches of the log read an index

Revision ID: 0021_audit_export_lease
Revises: 0018_quiz_after_modules
"""
from alembic import op
import sqlalchemy as sa


revision = '0021_audit_export_lease'
down_revision = '0018_quiz_after_modules'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('audit_export', schema=None) as batch_op:
        batch_op.add_column(sa.Column('runner', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('lease_until', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('attempts', sa.Integer(), server_default='0', nullable=False))


def downgrade():
    with op.batch_alter_table('audit_export', schema=None) as batch_op:
        batch_op.drop_column('attempts')
        batch_op.drop_column('lease_until')
        batch_op.drop_column('runner')
