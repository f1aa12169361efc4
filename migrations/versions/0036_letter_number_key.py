"""letter number key: one spelling of a letter number to compare, its serial without leading zeros. A
number from an outside register written "400.12/11/PLJ/2026" was taken as another number than the office's
own "400.12/0011/PLJ/2026", and the register gave serial 11 twice.

Revision ID: 0036_letter_number_key
Revises: 0035_staff_record
"""
import sqlalchemy as sa
from alembic import op

revision = '0036_letter_number_key'
down_revision = '0035_staff_record'
branch_labels = None
depends_on = None

TABLES = ("letter", "letter_external_number")


def upgrade():
    from plaju.letters.models import number_key
    connection = op.get_bind()
    for table in TABLES:
        op.add_column(table, sa.Column('number_key', sa.String(80), nullable=False, server_default=''))
        rows = connection.execute(sa.text(f"SELECT id, number FROM {table}")).all()
        for row_id, number in rows:
            connection.execute(sa.text(f"UPDATE {table} SET number_key = :key WHERE id = :id"),
                               {"key": number_key(number), "id": row_id})
        # not unique: two spellings of one number may already be there, issued before this revision
        op.create_index(f"ix_{table}_number_key", table, ["number_key"])


def downgrade():
    for table in TABLES:
        op.drop_index(f"ix_{table}_number_key", table_name=table)
        op.drop_column(table, 'number_key')
