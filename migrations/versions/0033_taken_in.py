"""taken in: the names a letter states as the counter took them in (the applicant's, and the subject's:
the person, the deceased, the heirs), kept at the first correction. A correction was compared with the last
saved name, so a name moved to another person's one typo-sized step at a time ("Marsudi Natsir" ->
"Marsudi Natsir Agus Salim" -> "Agus Salim"). Rows corrected before this revision keep an empty value and
compare with what they hold now.

Revision ID: 0033_taken_in
Revises: 0032_preparers
"""
import sqlalchemy as sa
from alembic import op


revision = '0033_taken_in'
down_revision = '0032_preparers'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('document_request') as batch_op:
        batch_op.add_column(sa.Column('taken_in', sa.Text(), nullable=False, server_default=''))


def downgrade():
    with op.batch_alter_table('document_request') as batch_op:
        batch_op.drop_column('taken_in')
