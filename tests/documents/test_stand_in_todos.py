"""A Plh appointed while letters already wait for the Camat's signature is told of them at once (he was told
only of what came next), and his notices close when the appointment is revoked (they stayed open, counted as
unread, and led to pages where nothing was his to do)."""
from sqlalchemy import select

from plaju.accounts.delegations import add_delegation, revoke_delegation
from plaju.notify.models import Notification
from plaju.timeutil import today_wib
from tests.support import PASSWORD


def _open_todos(db, user) -> dict:
    db.session.expire_all()
    return {n.subject_id: n for n in db.session.scalars(select(Notification).where(
        Notification.user_id == user.id, Notification.todo_step.is_not(None), Notification.done_at.is_(None)))}


def test_a_plh_hears_of_what_already_waits_and_his_notices_close_when_revoked(db, users, make_request):
    waiting = [make_request("awaiting_signature", name=name) for name in ("Siti Aminah", "Rina Marlina")]
    assert _open_todos(db, users["kasi2"]) == {}
    delegation = add_delegation(users["admin"], users["camat"], users["kasi2"], "plh", today_wib(), today_wib(),
                                order_number="800/7/PLH/2026", order_date=today_wib())
    told = _open_todos(db, users["kasi2"])
    assert set(told) == {r.id for r in waiting}
    assert all("Plh." in n.body and n.todo_step == "sign" for n in told.values())
    camat_before = _open_todos(db, users["camat"])
    assert set(camat_before) == {r.id for r in waiting}  # the Camat's own, untouched and not sent twice

    revoke_delegation(users["admin"], delegation)
    assert _open_todos(db, users["kasi2"]) == {}
    assert {n.id for n in _open_todos(db, users["camat"]).values()} == {n.id for n in camat_before.values()}
    # closed, but not "handled": the letters still wait for the Camat
    assert all(n.moved_on for n in db.session.scalars(select(Notification).where(
        Notification.user_id == users["kasi2"].id, Notification.todo_step == "sign")))


def test_the_notices_page_tells_a_notice_that_moved_on_from_one_handled(client, login_as, db, users,
                                                                      make_request):
    from plaju.documents.services import take_action
    letters = [make_request("awaiting_signature", name=name) for name in ("Siti Aminah", "Rina Marlina")]
    delegation = add_delegation(users["admin"], users["camat"], users["kasi2"], "plh", today_wib(), today_wib(),
                                order_number="800/17/PLH/2026", order_date=today_wib())
    take_action(letters[0], "sign", users["kasi2"], version=letters[0].version, password=PASSWORD)  # as Plh. Camat
    revoke_delegation(users["admin"], delegation)  # and goes home: the other still waits for the Camat
    login_as("kasi2")
    page = client.get("/notifications/").text
    assert page.count('data-testid="todo-done"') == 1 and page.count('data-testid="todo-moved-on"') == 1
    assert "Tidak lagi menunggu Anda" in page
    login_as("camat")
    page = client.get("/notifications/").text
    assert page.count('data-testid="todo-done"') == 1 and page.count('data-testid="todo-waiting"') == 1


def test_an_appointment_starting_later_tells_nothing_yet(db, users, make_request):
    from datetime import timedelta
    make_request("awaiting_signature")
    tomorrow = today_wib() + timedelta(days=1)
    add_delegation(users["admin"], users["camat"], users["kasi2"], "plh", tomorrow, tomorrow,
                   order_number="800/8/PLH/2026", order_date=today_wib())
    assert _open_todos(db, users["kasi2"]) == {}


def test_the_day_s_appointments_are_told_by_the_scheduled_command(app, db, users, make_request):
    """An appointment recorded ahead is told the morning it begins; one that ran out yesterday closes its
    notices (nobody revoked it)."""
    from datetime import timedelta

    from plaju.accounts.models import Delegation
    waiting = make_request("awaiting_signature")
    today = today_wib()
    begins = Delegation(principal_id=users["camat"].id, delegate_id=users["kasi2"].id, kind="plh", starts_on=today,
                        ends_on=today, order_number="800/9/PLH/2026", order_date=today - timedelta(days=3))
    db.session.add(begins)
    db.session.commit()
    assert _open_todos(db, users["kasi2"]) == {}  # written as if recorded days ago
    runner = app.test_cli_runner()
    assert "officials: 1" in runner.invoke(args=["workflow", "stand-ins"]).output
    assert set(_open_todos(db, users["kasi2"])) == {waiting.id}
    begins.starts_on = begins.ends_on = today - timedelta(days=1)  # the same appointment, run out yesterday
    db.session.commit()
    assert "officials: 1" in runner.invoke(args=["workflow", "stand-ins"]).output
    assert _open_todos(db, users["kasi2"]) == {}
