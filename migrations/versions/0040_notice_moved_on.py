"""notice moved on: a to-do notice closed because the step is no longer the person's to take (a Plh whose
appointment ended, a supervisor who moved, a role given up) says so. It read "Selesai" like a step taken,
while the letter still waited for the Camat's signature. Notices closed before keep reading "Selesai".

Revision ID: 0040_notice_moved_on
Revises: 0039_certificate_number_key
"""
import sqlalchemy as sa
from alembic import op

revision = '0040_notice_moved_on'
down_revision = '0039_certificate_number_key'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("notification") as batch:
        batch.add_column(sa.Column('moved_on', sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade():
    with op.batch_alter_table("notification") as batch:
        batch.drop_column('moved_on')
