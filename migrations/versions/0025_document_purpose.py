"""document purpose: what a letter is for has its own field; the office's note is no longer printed.
Document types may serve citizens whose KTP-el is from outside Palembang (domisili letters); a letter
keeps whom it is for, masked, for the public check

Revision ID: 0025_document_purpose
Revises: 0024_audit_locked_head
"""
import sqlalchemy as sa
from alembic import op


revision = '0025_document_purpose'
down_revision = '0024_audit_locked_head'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('document_request') as batch_op:
        batch_op.add_column(sa.Column('purpose', sa.String(length=200), server_default='', nullable=False))
    # the letters signed so far printed the note as their purpose: a corrected letter must say the same
    op.execute("UPDATE document_request SET purpose = SUBSTR(TRIM(note), 1, 200) WHERE type_id IN "
               "(SELECT id FROM document_type WHERE camat_signs)")
    with op.batch_alter_table('document_type') as batch_op:
        batch_op.add_column(sa.Column('other_regions', sa.Boolean(), server_default=sa.false(), nullable=False))
    # a domisili letter is what a newcomer with a KTP-el from elsewhere asks for
    op.execute(sa.text("UPDATE document_type SET other_regions = :yes WHERE code IN ('domisili', 'domisili-usaha')")
               .bindparams(yes=True))
    # a letter's holder, masked, for /cek (letters issued before show none)
    with op.batch_alter_table('letter') as batch_op:
        batch_op.add_column(sa.Column('holder_masked', sa.String(length=160), server_default='', nullable=False))


def downgrade():
    with op.batch_alter_table('letter') as batch_op:
        batch_op.drop_column('holder_masked')
    with op.batch_alter_table('document_type') as batch_op:
        batch_op.drop_column('other_regions')
    with op.batch_alter_table('document_request') as batch_op:
        batch_op.drop_column('purpose')
