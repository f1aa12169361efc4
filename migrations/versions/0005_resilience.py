"""resilience: one-time form tokens, the double-registration index, quiz attempt limits

Revision ID: 0005_resilience
Revises: 0003_training
"""
from alembic import op
import sqlalchemy as sa


revision = '0005_resilience'
down_revision = '0004_accounts'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('form_token',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('token', sa.String(length=64), nullable=False),
    sa.Column('result_url', sa.String(length=300), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_form_token_user_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', 'token', name=op.f('pk_form_token'))
    )
    with op.batch_alter_table('form_token', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_form_token_created_at'), ['created_at'], unique=False)

    with op.batch_alter_table('document_request', schema=None) as batch_op:
        batch_op.create_index('ix_document_request_nik_type', ['nik', 'type_id'], unique=False)

    with op.batch_alter_table('training_course', schema=None) as batch_op:
        batch_op.add_column(sa.Column('quiz_max_attempts', sa.Integer(), server_default='3', nullable=False))
        batch_op.add_column(sa.Column('quiz_retry_wait_minutes', sa.Integer(), server_default='60', nullable=False))

    with op.batch_alter_table('training_enrolment', schema=None) as batch_op:
        batch_op.add_column(sa.Column('quiz_attempts', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('quiz_last_attempt_at', sa.DateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table('training_enrolment', schema=None) as batch_op:
        batch_op.drop_column('quiz_last_attempt_at')
        batch_op.drop_column('quiz_attempts')

    with op.batch_alter_table('training_course', schema=None) as batch_op:
        batch_op.drop_column('quiz_retry_wait_minutes')
        batch_op.drop_column('quiz_max_attempts')

    with op.batch_alter_table('document_request', schema=None) as batch_op:
        batch_op.drop_index('ix_document_request_nik_type')

    with op.batch_alter_table('form_token', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_form_token_created_at'))

    op.drop_table('form_token')
