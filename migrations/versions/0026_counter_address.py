"""counter address: the street, house number and RT/RW of a request for a letter the Camat signs (a domisili
letter states where the citizen lives; until now it printed only the kelurahan); a document type's minimum
age (a first KTP-el from 17, UU 24/2013 Pasal 63, unless married)

Revision ID: 0026_counter_address
Revises: 0025_document_purpose
"""
import sqlalchemy as sa
from alembic import op


revision = '0026_counter_address'
down_revision = '0025_document_purpose'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('document_request') as batch_op:
        batch_op.add_column(sa.Column('address', sa.String(length=200), server_default='', nullable=False))
    with op.batch_alter_table('document_type') as batch_op:
        batch_op.add_column(sa.Column('min_age', sa.Integer(), nullable=True))
    op.execute("UPDATE document_type SET min_age = 17 WHERE code = 'ktp-baru'")


def downgrade():
    with op.batch_alter_table('document_type') as batch_op:
        batch_op.drop_column('min_age')
    with op.batch_alter_table('document_request') as batch_op:
        batch_op.drop_column('address')
