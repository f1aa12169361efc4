"""audit locked head: on PostgreSQL one function takes the append lock and then reads the newest event, so an
append asks for both in one round trip

Revision ID: 0024_audit_locked_head
Revises: 0023_cache_stamp
"""
from alembic import op


revision = '0024_audit_locked_head'
down_revision = '0023_cache_stamp'
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name != 'postgresql':
        return  # SQLite has a single writer: its transactions that append hold it from BEGIN IMMEDIATE
    # PL/pgSQL and VOLATILE (the default): in READ COMMITTED each query of the function takes a fresh
    # snapshot, so the head is read after the lock is granted and sees what the lock's previous holder
    # committed. The lock and the read in one plain SELECT would share the snapshot taken before the wait, and
    # chain from an old head; so would a STABLE function, or an SQL function inlined into the caller's query.
    op.execute("""
        CREATE FUNCTION audit_locked_head(lock_key bigint) RETURNS SETOF audit_event LANGUAGE plpgsql VOLATILE AS $$
        BEGIN
            PERFORM pg_advisory_xact_lock(lock_key);
            RETURN QUERY SELECT * FROM audit_event ORDER BY seq DESC LIMIT 1;
        END $$;
    """)


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("DROP FUNCTION IF EXISTS audit_locked_head(bigint)")
