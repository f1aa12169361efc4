"""survey: anonymous SKM answers, spent survey links, complaints about requests

skm_response keeps no link to the request or the staff (only the hand-over month and document type);
skm_token_use keeps only the digests of the survey links that were used.

Revision ID: 0014_survey
Revises: 0010_citizen
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0014_survey'
down_revision = '0010_citizen'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('skm_token_use',
    sa.Column('digest', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('digest', name=op.f('pk_skm_token_use'))
    )
    op.create_table('skm_response',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('month', sa.String(length=7), nullable=False),
    sa.Column('type_id', sa.Integer(), nullable=False),
    sa.Column('u1', sa.SmallInteger(), nullable=False),
    sa.Column('u2', sa.SmallInteger(), nullable=False),
    sa.Column('u3', sa.SmallInteger(), nullable=False),
    sa.Column('u4', sa.SmallInteger(), nullable=False),
    sa.Column('u5', sa.SmallInteger(), nullable=False),
    sa.Column('u6', sa.SmallInteger(), nullable=False),
    sa.Column('u7', sa.SmallInteger(), nullable=False),
    sa.Column('u8', sa.SmallInteger(), nullable=False),
    sa.Column('u9', sa.SmallInteger(), nullable=False),
    sa.Column('comment', sa.Text(), nullable=False),
    sa.Column('age', sa.SmallInteger(), nullable=True),
    sa.Column('sex', sa.String(length=1), nullable=True),
    sa.Column('education', sa.String(length=10), nullable=True),
    sa.Column('occupation', sa.String(length=10), nullable=True),
    sa.CheckConstraint("sex IS NULL OR sex IN ('L', 'P')", name=op.f('ck_skm_response_sex_value')),
    sa.CheckConstraint('age IS NULL OR age BETWEEN 15 AND 99', name=op.f('ck_skm_response_age_range')),
    sa.CheckConstraint('u1 BETWEEN 1 AND 4', name=op.f('ck_skm_response_u1_range')),
    sa.CheckConstraint('u2 BETWEEN 1 AND 4', name=op.f('ck_skm_response_u2_range')),
    sa.CheckConstraint('u3 BETWEEN 1 AND 4', name=op.f('ck_skm_response_u3_range')),
    sa.CheckConstraint('u4 BETWEEN 1 AND 4', name=op.f('ck_skm_response_u4_range')),
    sa.CheckConstraint('u5 BETWEEN 1 AND 4', name=op.f('ck_skm_response_u5_range')),
    sa.CheckConstraint('u6 BETWEEN 1 AND 4', name=op.f('ck_skm_response_u6_range')),
    sa.CheckConstraint('u7 BETWEEN 1 AND 4', name=op.f('ck_skm_response_u7_range')),
    sa.CheckConstraint('u8 BETWEEN 1 AND 4', name=op.f('ck_skm_response_u8_range')),
    sa.CheckConstraint('u9 BETWEEN 1 AND 4', name=op.f('ck_skm_response_u9_range')),
    sa.ForeignKeyConstraint(['type_id'], ['document_type.id'], name=op.f('fk_skm_response_type_id_document_type')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_skm_response'))
    )
    with op.batch_alter_table('skm_response', schema=None) as batch_op:
        batch_op.create_index('ix_skm_response_month_type', ['month', 'type_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_skm_response_type_id'), ['type_id'], unique=False)

    op.create_table('complaint',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=12), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('received_at', sa.DateTime(), nullable=False),
    sa.Column('due_at', sa.DateTime(), nullable=False),
    sa.Column('answer', sa.Text(), nullable=False),
    sa.Column('answered_at', sa.DateTime(), nullable=True),
    sa.Column('answered_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("kind IN ('complaint', 'suggestion')", name=op.f('ck_complaint_kind_value')),
    sa.CheckConstraint('version >= 0', name=op.f('ck_complaint_version')),
    sa.ForeignKeyConstraint(['answered_by_id'], ['user.id'], name=op.f('fk_complaint_answered_by_id_user')),
    sa.ForeignKeyConstraint(['request_id'], ['document_request.id'],
                            name=op.f('fk_complaint_request_id_document_request'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_complaint'))
    )
    with op.batch_alter_table('complaint', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_complaint_request_id'), ['request_id'], unique=False)
        batch_op.create_index('ix_complaint_state_due', ['state', 'due_at', 'id'], unique=False)



def downgrade():
    with op.batch_alter_table('complaint', schema=None) as batch_op:
        batch_op.drop_index('ix_complaint_state_due')
        batch_op.drop_index(batch_op.f('ix_complaint_request_id'))

    op.drop_table('complaint')
    with op.batch_alter_table('skm_response', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_skm_response_type_id'))
        batch_op.drop_index('ix_skm_response_month_type')

    op.drop_table('skm_response')
    op.drop_table('skm_token_use')
