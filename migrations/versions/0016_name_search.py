"""name search by word index: every word of a request's name in document_name_word

Revision ID: 0016_name_search
Revises: 0009_inbox
"""
import re

from alembic import op
import sqlalchemy as sa


revision = '0016_name_search'
down_revision = '0009_inbox'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('document_name_word',
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('word', sa.String(length=60), nullable=False),
    sa.ForeignKeyConstraint(['request_id'], ['document_request.id'],
                            name=op.f('fk_document_name_word_request_id_document_request'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('request_id', 'word', name=op.f('pk_document_name_word'))
    )
    op.create_index('ix_document_name_word_word', 'document_name_word', ['word', 'request_id'], unique=False,
                    postgresql_ops={'word': 'varchar_pattern_ops'})
    # the words of the requests already there (the same rule as models.name_words)
    conn = op.get_bind()
    words = sa.table('document_name_word', sa.column('request_id', sa.Integer), sa.column('word', sa.String))
    rows = []
    for request_id, name in conn.execute(sa.text("SELECT id, name FROM document_request")):
        rows += [{"request_id": request_id, "word": w[:60]}
                 for w in sorted({w[:60] for w in re.split(r"[\W_]+", (name or "").lower()) if w})]
        if len(rows) >= 5000:
            conn.execute(words.insert(), rows)
            rows = []
    if rows:
        conn.execute(words.insert(), rows)


def downgrade():
    op.drop_index('ix_document_name_word_word', table_name='document_name_word')
    op.drop_table('document_name_word')
