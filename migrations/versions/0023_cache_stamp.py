"""cache stamp: a random stamp rewritten by a trigger whenever the holidays change, read with the signed-in
user, so each process keeps its copy of the holidays between requests and never uses a stale one

Revision ID: 0023_cache_stamp
Revises: 0022_audit_days
"""
from alembic import op
import sqlalchemy as sa


revision = '0023_cache_stamp'
down_revision = '0022_audit_days'
branch_labels = None
depends_on = None

COPIED = ('holiday',)


def upgrade():
    op.create_table('cache_stamp',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('stamp', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cache_stamp'))
    )
    op.execute("INSERT INTO cache_stamp (id, stamp) VALUES (1, 1)")
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("""
            CREATE FUNCTION cache_stamp_renew() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                INSERT INTO cache_stamp (id, stamp) VALUES (1, (random() * 9e18)::bigint)
                ON CONFLICT (id) DO UPDATE SET stamp = EXCLUDED.stamp;
                RETURN NULL;
            END $$;
        """)
        for table in COPIED:
            op.execute(f"CREATE TRIGGER {table}_cache_stamp AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table} "
                       "FOR EACH STATEMENT EXECUTE FUNCTION cache_stamp_renew()")
        return
    for table in COPIED:
        for operation in ('INSERT', 'UPDATE', 'DELETE'):
            op.execute(f"CREATE TRIGGER {table}_cache_stamp_{operation.lower()} AFTER {operation} ON {table} BEGIN "
                       "INSERT INTO cache_stamp (id, stamp) VALUES (1, random()) "
                       "ON CONFLICT (id) DO UPDATE SET stamp = excluded.stamp; END")


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        for table in COPIED:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_cache_stamp ON {table}")
        op.execute("DROP FUNCTION IF EXISTS cache_stamp_renew()")
    else:
        for table in COPIED:
            for operation in ('insert', 'update', 'delete'):
                op.execute(f"DROP TRIGGER IF EXISTS {table}_cache_stamp_{operation}")
    op.drop_table('cache_stamp')
