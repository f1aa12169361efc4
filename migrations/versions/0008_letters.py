"""letters: the outgoing-letter register, signed PDFs, archive code per document type

Also corrects the seeded document types: KTP-el is issued by Disdukcapil (verified and forwarded by
the kecamatan), not signed by the Camat.

Revision ID: 0008_letters
Revises: 0003_training
"""
from alembic import op
import sqlalchemy as sa


revision = '0008_letters'
down_revision = '0007_outbox'
branch_labels = None
depends_on = None

ARCHIVE_CODES = {
    "ktp-baru": "400.12", "ktp-ganti": "400.12", "kk-baru": "400.12", "kk-ubah": "400.12",
    "akta-lahir": "400.12", "akta-mati": "400.12", "pindah": "400.12", "sktm": "400",
    "domisili": "400.12", "domisili-usaha": "500", "ahli-waris": "400.12", "dispensasi-nikah": "400.12",
}


def upgrade():
    op.create_table('letter_counter',
    sa.Column('year', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('last_serial', sa.Integer(), nullable=False),
    sa.CheckConstraint('last_serial >= 0', name=op.f('ck_letter_counter_last_serial')),
    sa.PrimaryKeyConstraint('year', name=op.f('pk_letter_counter'))
    )
    op.create_table('letter',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=80), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('serial', sa.Integer(), nullable=True),
    sa.Column('external', sa.Boolean(), nullable=False),
    sa.Column('classification', sa.String(length=20), nullable=False),
    sa.Column('check_code', sa.String(length=20), nullable=False),
    sa.Column('subject_type', sa.String(length=40), nullable=False),
    sa.Column('subject_id', sa.Integer(), nullable=False),
    sa.Column('subject_label', sa.String(length=40), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('kind_name', sa.String(length=160), nullable=False),
    sa.Column('signer_id', sa.Integer(), nullable=False),
    sa.Column('signer_name', sa.String(length=120), nullable=False),
    sa.Column('signer_nip', sa.String(length=18), nullable=False),
    sa.Column('signed_as', sa.String(length=160), nullable=False),
    sa.Column('issued_at', sa.DateTime(), nullable=False),
    sa.Column('pdf', sa.LargeBinary(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('revoked_at', sa.DateTime(), nullable=True),
    sa.Column('revoked_by_id', sa.Integer(), nullable=True),
    sa.Column('revoke_reason', sa.Text(), nullable=False),
    sa.CheckConstraint("status IN ('valid', 'revoked')", name=op.f('ck_letter_status')),
    sa.ForeignKeyConstraint(['revoked_by_id'], ['user.id'], name=op.f('fk_letter_revoked_by_id_user')),
    sa.ForeignKeyConstraint(['signer_id'], ['user.id'], name=op.f('fk_letter_signer_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_letter')),
    sa.UniqueConstraint('check_code', name=op.f('uq_letter_check_code')),
    sa.UniqueConstraint('number', name=op.f('uq_letter_number')),
    sa.UniqueConstraint('year', 'serial', name='uq_letter_year_serial')
    )
    with op.batch_alter_table('letter', schema=None) as batch_op:
        batch_op.create_index('ix_letter_register', ['year', 'id'], unique=False)
        batch_op.create_index('ix_letter_subject', ['subject_type', 'subject_id'], unique=False)

    op.create_table('letter_external_number',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('subject_type', sa.String(length=40), nullable=False),
    sa.Column('subject_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=80), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=False),
    sa.Column('recorded_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['user.id'],
                            name=op.f('fk_letter_external_number_recorded_by_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_letter_external_number')),
    sa.UniqueConstraint('subject_type', 'subject_id', name='uq_letter_external_number_subject')
    )
    with op.batch_alter_table('document_type', schema=None) as batch_op:
        batch_op.add_column(sa.Column('archive_code', sa.String(length=20), nullable=False, server_default=''))

    document_type = sa.table('document_type', sa.column('code', sa.String), sa.column('archive_code', sa.String),
                             sa.column('camat_signs', sa.Boolean), sa.column('forwards_to_disdukcapil', sa.Boolean))
    # KTP-el is Disdukcapil's document: the kecamatan verifies and forwards, the Camat does not sign it
    op.execute(document_type.update().where(document_type.c.code.in_(["ktp-baru", "ktp-ganti"]))
               .values(camat_signs=False, forwards_to_disdukcapil=True))
    for code, archive in ARCHIVE_CODES.items():
        op.execute(document_type.update().where(document_type.c.code == code).values(archive_code=archive))


def downgrade():
    with op.batch_alter_table('document_type', schema=None) as batch_op:
        batch_op.drop_column('archive_code')
    op.drop_table('letter_external_number')
    with op.batch_alter_table('letter', schema=None) as batch_op:
        batch_op.drop_index('ix_letter_subject')
        batch_op.drop_index('ix_letter_register')
    op.drop_table('letter')
    op.drop_table('letter_counter')
