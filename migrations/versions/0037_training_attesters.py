"""training attesters and openings: who attested a participant's attendance at the office's own classroom
course (who closed it, each who recorded a day), so none of them also signs the certificate that credits its
JP (a Kasi ticked and closed a course, then signed its certificates as Plh Camat); and when a learner opened
each e-learning module, so a module is marked done only a plausible time after (four modules were clicked
through in ten seconds and credited). Certificates already awaiting a signature take their attesters from
the attendance rows and the audit history; modules done before have no opening.

Revision ID: 0037_training_attesters
Revises: 0036_letter_number_key
"""
import sqlalchemy as sa
from alembic import op

revision = '0037_training_attesters'
down_revision = '0036_letter_number_key'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('training_enrolment') as batch_op:
        batch_op.add_column(sa.Column('attester_ids', sa.String(length=200), server_default='', nullable=False))
    op.create_table(
        'training_module_opening',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('enrolment_id', sa.Integer(), nullable=False),
        sa.Column('module_id', sa.Integer(), nullable=False),
        sa.Column('opened_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['enrolment_id'], ['training_enrolment.id'],
                                name='fk_training_module_opening_enrolment_id_training_enrolment', ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['module_id'], ['training_module.id'],
                                name='fk_training_module_opening_module_id_training_module', ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name='pk_training_module_opening'),
        sa.UniqueConstraint('enrolment_id', 'module_id', name='uq_training_module_opening_once'),
    )
    op.create_index('ix_training_module_opening_module_id', 'training_module_opening', ['module_id'])
    # the closer first (the audit log is only read), then each recorder of a day
    from plaju.training.workflow.internal_course import attester_text
    connection = op.get_bind()
    waiting = connection.execute(sa.text("SELECT id FROM training_enrolment WHERE state = 'awaiting_certificate'"))
    for (enrolment_id,) in waiting.all():
        closers = connection.execute(sa.text(
            "SELECT actor_id FROM audit_event WHERE subject_type = 'enrolment' AND subject_id = :id "
            "AND action = 'enrolment.attendance_met' AND outcome = 'ok' ORDER BY seq"), {"id": str(enrolment_id)})
        recorders = connection.execute(sa.text(
            "SELECT recorded_by_id FROM training_attendance WHERE enrolment_id = :id ORDER BY id"),
            {"id": enrolment_id})
        ids = attester_text(i for (i,) in [*closers.all(), *recorders.all()])
        if ids:
            connection.execute(sa.text("UPDATE training_enrolment SET attester_ids = :ids WHERE id = :id"),
                               {"ids": ids, "id": enrolment_id})


def downgrade():
    op.drop_index('ix_training_module_opening_module_id', table_name='training_module_opening')
    op.drop_table('training_module_opening')
    with op.batch_alter_table('training_enrolment') as batch_op:
        batch_op.drop_column('attester_ids')
