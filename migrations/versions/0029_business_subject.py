"""business subject: a domisili usaha letter states the business (its name and line), asked at the counter
as the subject of the request; until now the letter named only the place. Open requests keep their place-
only letter (documents.letters falls back when the business is not known).

Revision ID: 0029_business_subject
Revises: 0028_submitted_by
"""
import sqlalchemy as sa
from alembic import op


revision = '0029_business_subject'
down_revision = '0028_submitted_by'
branch_labels = None
depends_on = None

BEFORE = "subject_kind IN ('applicant', 'person', 'birth', 'death', 'inheritance')"
AFTER = "subject_kind IN ('applicant', 'person', 'birth', 'death', 'inheritance', 'business')"


def _constraint(condition: str) -> None:
    with op.batch_alter_table('document_type', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_document_type_subject_kind'), type_='check')
        batch_op.create_check_constraint(op.f('ck_document_type_subject_kind'), condition)


def upgrade():
    _constraint(AFTER)
    document_type = sa.table('document_type', sa.column('code', sa.String), sa.column('subject_kind', sa.String))
    # only where the admin left it as it came: a kind he chose stays his
    op.execute(document_type.update().where(document_type.c.code == 'domisili-usaha',
                                            document_type.c.subject_kind == 'applicant')
               .values(subject_kind='business'))


def downgrade():
    document_type = sa.table('document_type', sa.column('code', sa.String), sa.column('subject_kind', sa.String))
    op.execute(document_type.update().where(document_type.c.subject_kind == 'business')
               .values(subject_kind='applicant'))
    _constraint(BEFORE)
