"""marriage subject: a dispensasi nikah names the marriage it is for (the future spouse's NIK and name, the
wedding day, the KUA), asked at the counter as the request's subject; until now the letter named only the
applicant and could serve any marriage. The seeded type takes the new kind where the admin left it as it came;
requests taken in before keep their letter as it was (documents.letters falls back when the marriage is not
known).

Revision ID: 0044_marriage_subject
Revises: 0043_subject_name_words
"""
import sqlalchemy as sa
from alembic import op

revision = '0044_marriage_subject'
down_revision = '0043_subject_name_words'
branch_labels = None
depends_on = None

BEFORE = "subject_kind IN ('applicant', 'person', 'birth', 'death', 'inheritance', 'business')"
AFTER = "subject_kind IN ('applicant', 'person', 'birth', 'death', 'inheritance', 'business', 'marriage')"


def _constraint(condition: str) -> None:
    with op.batch_alter_table('document_type', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_document_type_subject_kind'), type_='check')
        batch_op.create_check_constraint(op.f('ck_document_type_subject_kind'), condition)


def upgrade():
    _constraint(AFTER)
    document_type = sa.table('document_type', sa.column('code', sa.String), sa.column('subject_kind', sa.String))
    op.execute(document_type.update().where(document_type.c.code == 'dispensasi-nikah',
                                            document_type.c.subject_kind == 'applicant')
               .values(subject_kind='marriage'))


def downgrade():
    document_type = sa.table('document_type', sa.column('code', sa.String), sa.column('subject_kind', sa.String))
    op.execute(document_type.update().where(document_type.c.subject_kind == 'marriage')
               .values(subject_kind='applicant'))
    _constraint(BEFORE)
