"""citizen updates: e-mail and consent to be contacted on a document request, revised promise date

Revision ID: 0010_citizen
Revises: 0012_audit_search
"""
from alembic import op
import sqlalchemy as sa


revision = '0010_citizen'
down_revision = '0012_audit_search'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('document_request', schema=None) as batch_op:
        batch_op.add_column(sa.Column('email', sa.String(length=200), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('contact_consent_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('contact_consent_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('revised_due_at', sa.DateTime(), nullable=True))
        batch_op.create_foreign_key(op.f('fk_document_request_contact_consent_by_id_user'), 'user',
                                    ['contact_consent_by_id'], ['id'])


def downgrade():
    with op.batch_alter_table('document_request', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('fk_document_request_contact_consent_by_id_user'), type_='foreignkey')
        batch_op.drop_column('revised_due_at')
        batch_op.drop_column('contact_consent_by_id')
        batch_op.drop_column('contact_consent_at')
        batch_op.drop_column('email')
