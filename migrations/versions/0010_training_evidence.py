"""training evidence: the certificate's facts on an enrolment, and courses outside the catalogue

Revision ID: 0010_training_evidence
Revises: 0014_survey
"""
from alembic import op
import sqlalchemy as sa


revision = '0010_training_evidence'
down_revision = '0014_survey'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('training_course', schema=None) as batch_op:
        batch_op.add_column(sa.Column('external', sa.Boolean(), server_default='0', nullable=False))
    with op.batch_alter_table('training_enrolment', schema=None) as batch_op:
        batch_op.add_column(sa.Column('certificate_number', sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column('certificate_date', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('certificate_issuer', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('certificate_jp', sa.Integer(), nullable=True))
        batch_op.create_check_constraint(op.f('ck_training_enrolment_certificate_jp'),
                                         'certificate_jp IS NULL OR certificate_jp > 0')


def downgrade():
    with op.batch_alter_table('training_enrolment', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_training_enrolment_certificate_jp'), type_='check')
        batch_op.drop_column('certificate_jp')
        batch_op.drop_column('certificate_issuer')
        batch_op.drop_column('certificate_date')
        batch_op.drop_column('certificate_number')
    with op.batch_alter_table('training_course', schema=None) as batch_op:
        batch_op.drop_column('external')
