"""correctors: everyone who corrected a letter's data, not only the last. A Kasi acting as Plh Camat who
rewrote the applicant's name could sign once a colleague made a later, smaller correction, because only the
last corrector was kept out of the signature (four eyes across steps). Rows keep their one corrector.

Revision ID: 0030_correctors
Revises: 0029_business_subject
"""
import sqlalchemy as sa
from alembic import op


revision = '0030_correctors'
down_revision = '0029_business_subject'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('document_request') as batch_op:
        batch_op.add_column(sa.Column('corrector_ids', sa.String(length=200), server_default='', nullable=False))
    op.execute("UPDATE document_request SET corrector_ids = CAST(corrected_by_id AS VARCHAR(20)) "
               "WHERE corrected_by_id IS NOT NULL")
    with op.batch_alter_table('document_request') as batch_op:
        batch_op.drop_constraint(op.f('fk_document_request_corrected_by_id_user'), type_='foreignkey')
        batch_op.drop_column('corrected_by_id')


def downgrade():
    with op.batch_alter_table('document_request') as batch_op:
        batch_op.add_column(sa.Column('corrected_by_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(op.f('fk_document_request_corrected_by_id_user'), 'user', ['corrected_by_id'],
                                    ['id'])
    # a row's one corrector comes back; where several corrected, the older schema cannot say so (none kept)
    op.execute("UPDATE document_request SET corrected_by_id = CAST(corrector_ids AS INTEGER) "
               "WHERE corrector_ids != '' AND corrector_ids NOT LIKE '%,%'")
    with op.batch_alter_table('document_request') as batch_op:
        batch_op.drop_column('corrector_ids')
