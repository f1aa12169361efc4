"""inbox: work items carry their list order (due_key) and two covering order indexes

The inbox reads one index range per way an item reaches the reader (their id, each role, each principal
of a Plh/Plt delegation in force) in list order and stops after a page, instead of grouping every
waiting item of the reader.

Revision ID: 0009_inbox
Revises: 0008_letters
"""
from datetime import datetime

import sqlalchemy as sa
from alembic import op

revision = '0009_inbox'
down_revision = '0008_letters'
branch_labels = None
depends_on = None

NO_DUE = datetime(9999, 12, 31)  # plaju.workflow.models.NO_DUE when this migration was written


def upgrade():
    with op.batch_alter_table('work_item', schema=None) as batch_op:
        batch_op.add_column(sa.Column('due_key', sa.DateTime(), nullable=True))
    work_item = sa.table('work_item', sa.column('due_at', sa.DateTime()), sa.column('due_key', sa.DateTime()))
    op.execute(work_item.update().values(
        due_key=sa.func.coalesce(work_item.c.due_at, sa.literal(NO_DUE, sa.DateTime()))))
    with op.batch_alter_table('work_item', schema=None) as batch_op:
        batch_op.alter_column('due_key', existing_type=sa.DateTime(), nullable=False)
        batch_op.drop_index('ix_work_item_user')
        batch_op.drop_index('ix_work_item_role')
        batch_op.create_index('ix_work_item_user_order', ['user_id', 'spec', 'due_key', 'since', 'entity_id',
                                                          'excluded_user_id', 'delegable'], unique=False)
        batch_op.create_index('ix_work_item_role_order', ['role', 'spec', 'due_key', 'since', 'entity_id',
                                                          'unit_id', 'excluded_user_id', 'delegable'],
                              unique=False)


def downgrade():
    with op.batch_alter_table('work_item', schema=None) as batch_op:
        batch_op.drop_index('ix_work_item_role_order')
        batch_op.drop_index('ix_work_item_user_order')
        batch_op.create_index('ix_work_item_role', ['role', 'spec', 'due_at'], unique=False)
        batch_op.create_index('ix_work_item_user', ['user_id', 'spec', 'due_at'], unique=False)
        batch_op.drop_column('due_key')

