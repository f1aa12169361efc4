"""The number of SQL statements a page needs does not grow with the data behind it."""
import pytest
from sqlalchemy import event, select

from plaju.accounts.models import User
from plaju.audit import record as audit
from plaju.notify.service import notify
from plaju.training.models import Course, Enrolment
from plaju.workflow import started
from tests.browser.conftest import DEMO_PASSWORD

PAGES = {
    "camat": ["/", "/inbox/", "/training/me", "/training/approvals", "/training/courses/", "/training/plans/",
              "/documents/", "/notifications/", "/audit/"],
    "kepegawaian": ["/", "/inbox/", "/training/me", "/training/approvals", "/training/courses/", "/training/plans/",
                    "/people/", "/audit/"],
    "kasi": ["/", "/inbox/", "/training/me", "/training/approvals", "/documents/"],
    "asn1": ["/", "/training/me", "/training/courses/", "/people/delegations"],
}


def _grow(db, extra: int):
    """More of everything the pages list: courses, enrolments, notifications, audit events."""
    users = {u.username: u for u in db.session.scalars(select(User))}
    template = db.session.scalars(select(Course).where(Course.method == "workshop")).first()
    asns = [users[f"asn{n}"] for n in range(1, 6)]
    for i in range(extra):
        course = Course(title=f"Tambahan {i}", description="", kind=template.kind, method=template.method,
                        jp=4, provider="Internal", quota=50)
        db.session.add(course)
        db.session.flush()
        for n, asn in enumerate(asns):
            state = ("requested", "approved", "in_progress", "completed", "declined")[(i + n) % 5]
            enrolment = Enrolment(course_id=course.id, user_id=asn.id, state=state)
            db.session.add(enrolment)
            started(enrolment)  # put into its state by hand: the inbox lists it too
        notify(users["camat"], f"Pemberitahuan {i}")
        audit.record("test.filler", actor=users["kepegawaian"], comment=str(i))
    db.session.commit()


def _count(app, client, path) -> int:
    from plaju.extensions import db
    statements = []

    def _seen(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", _seen)
    try:
        response = client.get(path)
    finally:
        event.remove(db.engine, "before_cursor_execute", _seen)
    assert response.status_code == 200, (path, response.status_code)
    return len(statements)


@pytest.fixture()
def demo(app, db):
    app.config["DEMO_PASSWORD"] = DEMO_PASSWORD
    result = app.test_cli_runner().invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    return db


def test_pages_need_the_same_number_of_queries_with_more_data(app, demo):
    def counts():
        found = {}
        for username, paths in PAGES.items():
            client = app.test_client()
            assert client.post("/login", data={"username": username, "password": DEMO_PASSWORD}).status_code == 302
            for path in paths:
                _count(app, client, path)  # warm: first render compiles templates
                found[(username, path)] = _count(app, client, path)
        return found

    before = counts()
    _grow(demo, 40)
    after = counts()
    grown = {page: (before[page], after[page]) for page in before if after[page] != before[page]}
    assert grown == {}, f"pages whose query count grew with the data (before, after): {grown}"


def test_an_htmx_block_does_not_work_out_the_navigation_it_does_not_show(app, client, users, login_as,
                                                                          monkeypatch):
    from plaju.core import views as core_views
    asked = []
    real = core_views.visible_nav
    monkeypatch.setattr(core_views, "visible_nav", lambda user: asked.append(user) or real(user))
    login_as("hr")
    page = client.get("/audit/")
    assert page.status_code == 200 and 'href="/audit/"' in page.get_data(as_text=True) and len(asked) == 1
    block = client.get("/audit/?action=user.*", headers={"HX-Request": "true", "HX-Target": "results"})
    assert block.status_code == 200 and "<nav" not in block.get_data(as_text=True)
    assert len(asked) == 1
