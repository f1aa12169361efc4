"""staff record: where a person worked from when (created, moved to another unit, disabled). The monthly
report of a closed month read today's units and headcount: a new account, a move or a departure in December
rewrote November's competence figures. Each existing account gets one row as it is now, from the start
(a disabled one with its left_at, or counted in no month when it has none, as before).

Revision ID: 0035_staff_record
Revises: 0034_actor_as
"""
from datetime import datetime

import sqlalchemy as sa
from alembic import op


revision = '0035_staff_record'
down_revision = '0034_actor_as'
branch_labels = None
depends_on = None

FROM_THE_START = datetime(2000, 1, 1)


def upgrade():
    staff = op.create_table(
        'staff_record',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('user_id', sa.Integer(), sa.ForeignKey('user.id', ondelete='CASCADE'), nullable=False),
        sa.Column('unit_id', sa.Integer(), sa.ForeignKey('unit.id'), nullable=True),
        sa.Column('active', sa.Boolean(), nullable=False),
        sa.Column('valid_from', sa.DateTime(), nullable=False),
    )
    op.create_index('ix_staff_record_user_from', 'staff_record', ['user_id', 'valid_from'])
    users = sa.table('user', sa.column('id', sa.Integer()), sa.column('unit_id', sa.Integer()),
                     sa.column('active', sa.Boolean()), sa.column('left_at', sa.DateTime()))
    rows = []
    for user_id, unit_id, active, left_at in op.get_bind().execute(
            sa.select(users.c.id, users.c.unit_id, users.c.active, users.c.left_at)):
        rows.append({"user_id": user_id, "unit_id": unit_id, "valid_from": FROM_THE_START,
                     "active": bool(active or left_at is not None)})
        if not active and left_at is not None:
            rows.append({"user_id": user_id, "unit_id": unit_id, "valid_from": left_at, "active": False})
    if rows:
        op.bulk_insert(staff, rows)


def downgrade():
    op.drop_index('ix_staff_record_user_from', table_name='staff_record')
    op.drop_table('staff_record')
