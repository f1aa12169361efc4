"""actor as: who acted as they were when they acted (name and position, and for a Plh/Plt the name and
position of whom they stood in for), kept in the event and hashed with it. The log built "Name (Position)"
from the account as it is today, so a promotion or a rename rewrote in what capacity every earlier step was
taken. Events written before this revision keep an empty value (their hash never covered it) and read as
before, from the accounts.

Revision ID: 0034_actor_as
Revises: 0033_taken_in
"""
import sqlalchemy as sa
from alembic import op


revision = '0034_actor_as'
down_revision = '0033_taken_in'
branch_labels = None
depends_on = None


# plain ADD/DROP COLUMN, no batch: a batch would copy audit_event, which its triggers refuse
def upgrade():
    op.add_column('audit_event', sa.Column('actor_as', sa.Text(), nullable=False, server_default=''))


def downgrade():
    op.drop_column('audit_event', 'actor_as')
