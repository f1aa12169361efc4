"""preparers: everyone who prepared a letter for the signature, not only its correctors. A Kasi submitted a
letter, the Camat sent it back, a colleague submitted it again unchanged, and the first Kasi, Plh Camat that
day, signed it: only the last submitter was kept out. The column of correctors becomes that of preparers
(correctors and earlier submitters); rows keep the correctors they have.

Revision ID: 0032_preparers
Revises: 0031_left_at
"""
from alembic import op


revision = '0032_preparers'
down_revision = '0031_left_at'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('document_request') as batch_op:
        batch_op.alter_column('corrector_ids', new_column_name='preparer_ids')


def downgrade():
    with op.batch_alter_table('document_request') as batch_op:
        batch_op.alter_column('preparer_ids', new_column_name='corrector_ids')
