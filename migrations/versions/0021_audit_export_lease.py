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
    # plain CREATE/DROP INDEX: no batch (a batch would copy audit_event, which its triggers refuse)
    op.create_index('ix_audit_event_occurred_seq', 'audit_event', ['occurred_at', 'seq'], unique=False)
    op.drop_index('ix_audit_event_occurred_at', table_name='audit_event')


def downgrade():
    op.create_index('ix_audit_event_occurred_at', 'audit_event', ['occurred_at'], unique=False)
    op.drop_index('ix_audit_event_occurred_seq', table_name='audit_event')
    with op.batch_alter_table('audit_export', schema=None) as batch_op:
        batch_op.drop_column('attempts')
        batch_op.drop_column('lease_until')
        batch_op.drop_column('runner')
