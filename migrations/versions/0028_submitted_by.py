"""submitted by: who submitted a request for the Camat's signature, and who last corrected its letter after
he sent it back (and which fields), so neither can also sign it (a Kasi who is Plh Camat for the day could
otherwise accept, submit or rewrite, and sign the same letter alone). Open requests already awaiting a
signature take the submitter from their audit history.

Revision ID: 0028_submitted_by
Revises: 0027_correction_note
"""
import sqlalchemy as sa
from alembic import op


revision = '0028_submitted_by'
down_revision = '0027_correction_note'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('document_request') as batch_op:
        batch_op.add_column(sa.Column('submitted_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('corrected_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('corrected_fields', sa.String(length=100), server_default='',
                                      nullable=False))
        batch_op.create_foreign_key(op.f('fk_document_request_submitted_by_id_user'), 'user', ['submitted_by_id'],
                                    ['id'])
        batch_op.create_foreign_key(op.f('fk_document_request_corrected_by_id_user'), 'user', ['corrected_by_id'],
                                    ['id'])
    # the newest submission in each waiting request's history (the audit log is only read)
    op.execute("""
        UPDATE document_request SET submitted_by_id = (
            SELECT e.actor_id FROM audit_event e
            WHERE e.subject_type = 'document' AND e.subject_id = CAST(document_request.id AS VARCHAR(40))
              AND e.action = 'document.to_signature' AND e.outcome = 'ok'
            ORDER BY e.seq DESC LIMIT 1)
        WHERE state = 'awaiting_signature'
    """)


def downgrade():
    with op.batch_alter_table('document_request') as batch_op:
        batch_op.drop_constraint(op.f('fk_document_request_corrected_by_id_user'), type_='foreignkey')
        batch_op.drop_constraint(op.f('fk_document_request_submitted_by_id_user'), type_='foreignkey')
        batch_op.drop_column('corrected_fields')
        batch_op.drop_column('corrected_by_id')
        batch_op.drop_column('submitted_by_id')
