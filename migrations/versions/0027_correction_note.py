"""correction note: what the Camat (or his Plh) asked to correct when he sent a letter back, kept on the
request and shown beside its steps until the letter is signed (it was only in the history)

Revision ID: 0027_correction_note
Revises: 0026_counter_address
"""
import sqlalchemy as sa
from alembic import op


revision = '0027_correction_note'
down_revision = '0026_counter_address'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('document_request') as batch_op:
        batch_op.add_column(sa.Column('correction_note', sa.Text(), server_default='', nullable=False))


def downgrade():
    with op.batch_alter_table('document_request') as batch_op:
        batch_op.drop_column('correction_note')
