"""audit days: the lowest and highest seq of each WIB day, so a date search of the log reads a range of seq

Filled by `flask --app plaju audit index-days` and the scheduled job `audit-days`; audit_event itself is
untouched.

Revision ID: 0022_audit_days
Revises: 0019_internal_certificates
"""
from alembic import op
import sqlalchemy as sa


revision = '0022_audit_days'
down_revision = '0019_internal_certificates'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('audit_day',
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('low_seq', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('high_seq', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.PrimaryKeyConstraint('day', name=op.f('pk_audit_day'))
    )
    cover = op.create_table('audit_day_cover',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('covered_seq', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_day_cover'))
    )
    # nothing counted yet: until the first refresh a date search reads every event (exact, not fast)
    op.bulk_insert(cover, [{'id': 1, 'covered_seq': 0}])


def downgrade():
    op.drop_table('audit_day_cover')
    op.drop_table('audit_day')
