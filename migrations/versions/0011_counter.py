"""counter: whom a document is about (subject kind per type, subject data per request), the reason of
the last return, and who collected the document (hand-over record)

Revision ID: 0011_counter
Revises: 0016_name_search
"""
from alembic import op
import sqlalchemy as sa


revision = '0011_counter'
down_revision = '0016_name_search'
branch_labels = None
depends_on = None

SUBJECT_KINDS = {"akta-lahir": "birth", "akta-mati": "death", "ahli-waris": "inheritance", "sktm": "person",
                 "domisili": "person"}


def upgrade():
    with op.batch_alter_table('document_type', schema=None) as batch_op:
        batch_op.add_column(sa.Column('subject_kind', sa.String(length=20), nullable=False,
                                      server_default='applicant'))
        batch_op.create_check_constraint(
            op.f('ck_document_type_subject_kind'), "subject_kind IN ('applicant', 'person', 'birth', 'death', 'inheritance')")
    document_type = sa.table('document_type', sa.column('code', sa.String), sa.column('subject_kind', sa.String))
    for code, kind in SUBJECT_KINDS.items():
        op.execute(document_type.update().where(document_type.c.code == code).values(subject_kind=kind))
    with op.batch_alter_table('document_request', schema=None) as batch_op:
        batch_op.add_column(sa.Column('subject_data', sa.Text(), nullable=False, server_default='{}'))
        batch_op.add_column(sa.Column('return_reason', sa.Text(), nullable=False, server_default=''))
    op.create_table('document_handover',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('by_applicant', sa.Boolean(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('relation', sa.String(length=60), nullable=False),
    sa.Column('id_kind', sa.String(length=20), nullable=False),
    sa.Column('id_number', sa.String(length=30), nullable=False),
    sa.Column('power_of_attorney', sa.Boolean(), nullable=False),
    sa.Column('attachment_id', sa.Integer(), nullable=True),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.Column('recorded_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['attachment_id'], ['document_attachment.id'],
                            name=op.f('fk_document_handover_attachment_id_document_attachment'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['user.id'], name=op.f('fk_document_handover_recorded_by_id_user')),
    sa.ForeignKeyConstraint(['request_id'], ['document_request.id'],
                            name=op.f('fk_document_handover_request_id_document_request'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_document_handover')),
    sa.UniqueConstraint('request_id', name=op.f('uq_document_handover_request_id'))
    )


def downgrade():
    op.drop_table('document_handover')
    with op.batch_alter_table('document_request', schema=None) as batch_op:
        batch_op.drop_column('return_reason')
        batch_op.drop_column('subject_data')
    with op.batch_alter_table('document_type', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_document_type_subject_kind'), type_='check')
        batch_op.drop_column('subject_kind')
