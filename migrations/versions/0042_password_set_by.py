"""password set by: who last set an account's password for its holder (a new account's first password, a
reset) and when, and on a training report who had set its reporter's password in the 30 days before it was made.
HR reset an ASN's password, signed in as him, reported a made-up certificate and verified it with one click:
that person does not verify the report. Accounts and reports keep no such record before this revision.

Revision ID: 0042_password_set_by
Revises: 0041_acceptor_prepares
"""
import sqlalchemy as sa
from alembic import op

revision = '0042_password_set_by'
down_revision = '0041_acceptor_prepares'
branch_labels = None
depends_on = None


def upgrade():
    # plain added columns (no foreign key): SQLite adds them in place; a rebuilt user table would be refused
    # by the rows that point at it
    with op.batch_alter_table('user') as batch_op:
        batch_op.add_column(sa.Column('password_set_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('password_set_at', sa.DateTime(), nullable=True))
    with op.batch_alter_table('training_enrolment') as batch_op:
        batch_op.add_column(sa.Column('password_setter_id', sa.Integer(), nullable=True))


def downgrade():
    with op.batch_alter_table('training_enrolment') as batch_op:
        batch_op.drop_column('password_setter_id')
    with op.batch_alter_table('user') as batch_op:
        batch_op.drop_column('password_set_at')
        batch_op.drop_column('password_set_by_id')
