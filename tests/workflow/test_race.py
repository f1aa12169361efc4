"""Two people act on the same row at the same moment, each in a thread with its own session."""
import threading

from sqlalchemy import select

from plaju.accounts.models import User
from plaju.audit.verify import verify_chain
from plaju.workflow import Conflict, fire
from tests.support import DemoTicket


def test_two_sessions_fire_at_once_exactly_one_wins_and_the_loser_is_told_who(app, db, users):
    ticket = DemoTicket(title="Rebutan", owner_id=users["asn"].id, state="submitted")
    db.session.add(ticket)
    db.session.commit()
    ticket_id, seen = ticket.id, ticket.version
    db.session.commit()  # end the test's read: on SQLite it would hold the write lock
    start = threading.Barrier(2)
    outcome = {}

    def act(username, trigger):
        with app.app_context():
            try:
                actor = db.session.scalar(select(User).where(User.username == username))
                row = db.session.get(DemoTicket, ticket_id)
                db.session.commit()
                start.wait(timeout=10)
                fire(row, trigger, actor, expected_version=seen, comment="serentak")
                outcome[username] = "won"
            except Conflict as conflict:
                outcome[username] = conflict
            finally:
                db.session.remove()

    threads = [threading.Thread(target=act, args=("kasi", "approve")),
               threading.Thread(target=act, args=("kasi2", "reject"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert sorted(type(v).__name__ for v in outcome.values()) == ["Conflict", "str"], outcome
    [winner] = [name for name, v in outcome.items() if v == "won"]
    [loser] = [v for v in outcome.values() if v != "won"]
    assert users[winner].full_name in str(loser.message)
    db.session.expire_all()
    row = db.session.get(DemoTicket, ticket_id)
    assert row.state == {"kasi": "approved", "kasi2": "rejected"}[winner]
    assert row.version == seen + 1
    assert verify_chain().ok
