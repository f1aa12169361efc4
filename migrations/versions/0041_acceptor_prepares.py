"""acceptor prepares: whoever found a request's requirements complete (`accept`) is one of those who prepared
its letter, so he does not also sign it as Plh Camat (a Kasi accepted, the other Kasi submitted, and the first
signed as Plh Camat). Open requests not yet signed take their acceptors from their audit history.

Revision ID: 0041_acceptor_prepares
Revises: 0040_notice_moved_on
"""
import sqlalchemy as sa
from alembic import op

revision = '0041_acceptor_prepares'
down_revision = '0040_notice_moved_on'
branch_labels = None
depends_on = None


def upgrade():
    connection = op.get_bind()
    rows = connection.execute(sa.text(
        "SELECT d.id, d.preparer_ids, e.actor_id FROM document_request d JOIN audit_event e "
        "ON e.subject_type = 'document' AND e.subject_id = CAST(d.id AS VARCHAR(40)) "
        "AND e.action = 'document.accept' AND e.outcome = 'ok' AND e.actor_id IS NOT NULL "
        "WHERE d.state IN ('processing', 'at_disdukcapil', 'back_from_disdukcapil', 'awaiting_signature') "
        "ORDER BY d.id, e.seq")).all()  # the audit log is only read
    found: dict[int, list[str]] = {}
    for request_id, preparers, actor_id in rows:
        ids = found.setdefault(request_id, [i for i in (preparers or "").split(",") if i])
        if str(actor_id) not in ids:
            ids.append(str(actor_id))
    for request_id, ids in found.items():
        while len(",".join(ids)) > 200:  # the column's length: whole ids only, the first ones kept
            ids.pop()
        connection.execute(sa.text("UPDATE document_request SET preparer_ids = :ids WHERE id = :id"),
                           {"ids": ",".join(ids), "id": request_id})


def downgrade():
    pass  # an acceptor among the preparers is harmless to an older version
