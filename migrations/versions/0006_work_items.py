"""work items: who must act next on each waiting row

Revision ID: 0006_work_items
Revises: 0003_training
Create Date: 2026-11-29 12:20:00

Rows that exist before this migration get their work items from `flask --app plaju workflow reassign`
(the rules are Python, the spec's who-rules, not SQL).
"""
from alembic import op
import sqlalchemy as sa


revision = '0006_work_items'
down_revision = '0005_resilience'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('work_item',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('spec', sa.String(length=40), nullable=False),
    sa.Column('entity_id', sa.Integer(), nullable=False),
    sa.Column('trigger', sa.String(length=40), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('role', sa.String(length=20), nullable=True),
    sa.Column('unit_id', sa.Integer(), nullable=True),
    sa.Column('delegable', sa.Boolean(), nullable=False),
    sa.Column('notify', sa.Boolean(), nullable=False),
    sa.Column('excluded_user_id', sa.Integer(), nullable=True),
    sa.Column('due_at', sa.DateTime(), nullable=True),
    sa.Column('since', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_work_item'))
    )
    with op.batch_alter_table('work_item', schema=None) as batch_op:
        batch_op.create_index('ix_work_item_entity', ['spec', 'entity_id'], unique=False)
        batch_op.create_index('ix_work_item_role', ['role', 'spec', 'due_at'], unique=False)
        batch_op.create_index('ix_work_item_user', ['user_id', 'spec', 'due_at'], unique=False)


def downgrade():
    with op.batch_alter_table('work_item', schema=None) as batch_op:
        batch_op.drop_index('ix_work_item_user')
        batch_op.drop_index('ix_work_item_role')
        batch_op.drop_index('ix_work_item_entity')
    op.drop_table('work_item')
