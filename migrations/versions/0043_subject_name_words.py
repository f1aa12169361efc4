"""subject name words: the queue's name search also finds a request by the names it is about (the baby of a
birth certificate, the deceased and the heirs, a family member, a business), not only the applicant's. The
words of the requests taken in before are added from their subject data.

Revision ID: 0043_subject_name_words
Revises: 0042_password_set_by
"""
import json
import re

import sqlalchemy as sa
from alembic import op

revision = '0043_subject_name_words'
down_revision = '0042_password_set_by'
branch_labels = None
depends_on = None

WORD_MAX = 60  # documents.models.NAME_WORD_MAX as it stands here


def _words(names) -> set:
    return {w[:WORD_MAX] for name in names for w in re.split(r"[\W_]+", (name or "").lower()) if w}


def upgrade():
    connection = op.get_bind()
    about = "FROM document_request WHERE subject_data LIKE '%\"name\"%'"
    have: dict = {}
    for request_id, word in connection.execute(sa.text(
            f"SELECT request_id, word FROM document_name_word WHERE request_id IN (SELECT id {about})")):
        have.setdefault(request_id, set()).add(word)
    added = []
    for request_id, raw in connection.execute(sa.text(f"SELECT id, subject_data {about}")).all():
        try:
            data = json.loads(raw or "{}")
        except ValueError:
            continue
        names = [data.get("name"), *((h or {}).get("name") for h in data.get("heirs") or ())]
        added += [{"id": request_id, "word": w} for w in sorted(_words(names) - have.get(request_id, set()))]
    if added:  # one statement, executed for many rows
        connection.execute(sa.text("INSERT INTO document_name_word (request_id, word) VALUES (:id, :word)"), added)


def downgrade():
    pass  # extra words only widen a search; an older version reads them as before
