"""birth place: where the applicant was born, as the KTP says, for the "Tempat/Tgl. Lahir" row of a letter
the Camat signs (the date comes from the NIK). Requests taken in before have none: their letters state the
date of birth alone.

Revision ID: 0038_birth_place
Revises: 0037_training_attesters
"""
import sqlalchemy as sa
from alembic import op

revision = '0038_birth_place'
down_revision = '0037_training_attesters'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("document_request") as batch:
        batch.add_column(sa.Column('birth_place', sa.String(60), nullable=False, server_default=''))


def downgrade():
    with op.batch_alter_table("document_request") as batch:
        batch.drop_column('birth_place')
