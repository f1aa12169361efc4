"""internal certificates: courses the office runs itself, their attendance and certificate signer

Revision ID: 0019_internal_certificates
Revises: 0021_audit_export_lease
"""
from alembic import op
import sqlalchemy as sa


revision = '0019_internal_certificates'
down_revision = '0021_audit_export_lease'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('training_course', schema=None) as batch_op:
        batch_op.add_column(sa.Column('internal', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('organiser_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('certificate_signer_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('min_attendance', sa.Integer(), nullable=True))
        batch_op.create_foreign_key('fk_training_course_organiser_id_user', 'user', ['organiser_id'], ['id'])
        batch_op.create_foreign_key('fk_training_course_certificate_signer_id_user', 'user',
                                    ['certificate_signer_id'], ['id'])
    op.create_table(
        'training_attendance',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('enrolment_id', sa.Integer(), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('present', sa.Boolean(), nullable=False),
        sa.Column('recorded_by_id', sa.Integer(), nullable=False),
        sa.Column('recorded_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['enrolment_id'], ['training_enrolment.id'],
                                name='fk_training_attendance_enrolment_id_training_enrolment', ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['recorded_by_id'], ['user.id'], name='fk_training_attendance_recorded_by_id_user'),
        sa.PrimaryKeyConstraint('id', name='pk_training_attendance'),
        sa.UniqueConstraint('enrolment_id', 'day', name='uq_training_attendance_day'),
    )


def downgrade():
    op.drop_table('training_attendance')
    with op.batch_alter_table('training_course', schema=None) as batch_op:
        batch_op.drop_constraint('fk_training_course_certificate_signer_id_user', type_='foreignkey')
        batch_op.drop_constraint('fk_training_course_organiser_id_user', type_='foreignkey')
        batch_op.drop_column('min_attendance')
        batch_op.drop_column('certificate_signer_id')
        batch_op.drop_column('organiser_id')
        batch_op.drop_column('internal')
