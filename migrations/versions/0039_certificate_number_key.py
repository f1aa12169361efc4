"""certificate number key: a certificate number an ASN reported, in the one spelling it is compared in
(training.evidence.number_key), indexed, so /audit/'s number box finds the enrolment whatever way HR types it.
"800/BPSDM/2026/001" searched for "No. 800-BPSDM-2026-1" answered that nothing in the log had it.

Revision ID: 0039_certificate_number_key
Revises: 0038_birth_place
"""
import sqlalchemy as sa
from alembic import op

revision = '0039_certificate_number_key'
down_revision = '0038_birth_place'
branch_labels = None
depends_on = None


def upgrade():
    from plaju.training.evidence import number_key
    with op.batch_alter_table("training_enrolment") as batch:
        batch.add_column(sa.Column('certificate_number_key', sa.String(200), nullable=False, server_default=''))
    connection = op.get_bind()
    rows = connection.execute(sa.text("SELECT id, certificate_number FROM training_enrolment "
                                      "WHERE certificate_number IS NOT NULL")).all()
    for row_id, number in rows:
        connection.execute(sa.text("UPDATE training_enrolment SET certificate_number_key = :key WHERE id = :id"),
                           {"key": number_key(number)[:200], "id": row_id})
    # not unique: two people may report one number (HR sees such twins before crediting)
    op.create_index("ix_training_enrolment_certificate_number_key", "training_enrolment", ["certificate_number_key"])


def downgrade():
    op.drop_index("ix_training_enrolment_certificate_number_key", table_name="training_enrolment")
    with op.batch_alter_table("training_enrolment") as batch:
        batch.drop_column('certificate_number_key')
