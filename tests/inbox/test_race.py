"""Two leaders sign the same item from their inboxes at the same moment: one wins, the other is told who."""
import threading

from sqlalchemy import select

from plaju.accounts.models import User
from plaju.audit.verify import verify_chain
from plaju.documents.models import DocumentRequest
from plaju.inbox import batch
from tests.support import PASSWORD, make_user


def test_two_leaders_bulk_sign_the_same_item_at_once(app, db, users, make_request):
    make_user("camat2", "camat", position="Camat Kedua")
    req = make_request("awaiting_signature", name="Rebutan Tanda Tangan")
    req_id, seen = req.id, req.version
    item = f"document:{req_id}:sign:{seen}"
    db.session.commit()  # end the test's read: on SQLite it would hold the write lock
    start = threading.Barrier(2)
    outcome = {}

    def sign(username):
        with app.app_context():
            try:
                actor = db.session.scalar(select(User).where(User.username == username))
                db.session.commit()
                start.wait(timeout=10)
                [outcome[username]] = batch.act_in_bulk(actor, [item], PASSWORD)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=sign, args=(name,)) for name in ("camat", "camat2")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(o.ok for o in outcome.values()) == [False, True], outcome
    [winner] = [name for name, o in outcome.items() if o.ok]
    [loser] = [o for o in outcome.values() if not o.ok]
    winner_name = db.session.scalar(select(User.full_name).where(User.username == winner))
    assert winner_name in loser.message
    db.session.expire_all()
    row = db.session.get(DocumentRequest, req_id)
    assert row.state == "signed" and row.version == seen + 1
    assert verify_chain().ok
