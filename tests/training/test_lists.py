"""Lists and counters of competence development: the same rows as asking available() row by row, and
pages that page through long lists."""
from datetime import timedelta

import pytest
from sqlalchemy import select

from plaju import extensions
from plaju.accounts.models import Delegation, User
from plaju.timeutil import today_wib
from plaju.training.models import Enrolment
from plaju.training.services import enrolment as enrolment_service
from plaju.training.views.catalogue import CATALOGUE_PAGE
from plaju.training.views.me import APPROVALS_PAGE, TEAM_PAGE
from plaju.workflow import started, todo_actions
from tests.support import make_user

STATES = ("requested", "approved", "in_progress", "completed")


def _reference_awaiting(user) -> list[int]:
    """Every other person's enrolment, kept when available() offers the user a to-do step on it (guards
    aside): the approvals; their own next steps are on their own list."""
    rows = extensions.db.session.scalars(select(Enrolment).order_by(Enrolment.created_at, Enrolment.id))
    return [e.id for e in rows if e.user_id != user.id and todo_actions(e, user)]


@pytest.fixture()
def office(db, users, make_course, enrol):
    """Everyone enrolled in routine and non-routine courses in every open state; the Sekcam is Plh of
    two Camats."""
    camat2 = make_user("camat2", "camat")
    people = {**users, "camat2": camat2}
    today = today_wib()
    for principal in (users["camat"], camat2):
        db.session.add(Delegation(principal_id=principal.id, delegate_id=users["sekcam"].id, kind="plh",
                                  starts_on=today - timedelta(days=1), ends_on=today + timedelta(days=1)))
    db.session.commit()
    for state in STATES:
        for routine in (True, False):
            course = make_course(title=f"{state} {routine}", routine=routine, quota=None)
            for person in people.values():
                enrol(course, person, state)
    return people


def test_awaiting_is_what_available_offers_for_every_person(db, office):
    for name, person in office.items():
        person = db.session.get(User, person.id)
        expected = _reference_awaiting(person)
        assert [e.id for e in enrolment_service.awaiting(person)] == expected, name
        counts = enrolment_service.awaiting_counts(person)
        assert enrolment_service.count_awaiting(person) == len(expected), name
        for state in STATES:
            expected_here = sum(1 for i in expected if db.session.get(Enrolment, i).state == state)
            assert counts.get(state, 0) == expected_here, (name, state)


def test_a_plh_of_one_camat_never_signs_off_for_that_camat(db, users, make_course, enrol, camat_away):
    course = make_course(title="Rutin", routine=True, quota=None)
    special = make_course(title="Khusus", routine=False, quota=None)
    for person in ("camat", "sekcam", "asn"):
        enrol(course, users[person], "approved")
        enrol(special, users[person], "approved")
    sekcam = db.session.get(User, users["sekcam"].id)
    assert [e.id for e in enrolment_service.awaiting(sekcam)] == _reference_awaiting(sekcam)
    titles = {(e.course.title, e.user.username) for e in enrolment_service.awaiting(sekcam)}
    # their own enrolments only wait for someone else (four eyes); withdrawing is not a to-do
    assert titles == {("Rutin", "asn")}


def test_approvals_page_through_the_waiting_list(client, login_as, users, db, make_course):
    kasi = users["kasi"]
    team = [make_user(f"staf{n:02d}", supervisor=kasi) for n in range(3)]
    courses = [make_course(title=f"Kursus {n:03d}", quota=None) for n in range(APPROVALS_PAGE // 3 + 1)]
    for course in courses:
        for person in team:
            enrolment = Enrolment(course_id=course.id, user_id=person.id, state="requested")
            db.session.add(enrolment)
            started(enrolment)
    db.session.commit()
    total = len(courses) * len(team)
    login_as("kasi")
    seen, url = [], "/training/approvals"
    while url:
        page = client.get(url)
        assert page.status_code == 200
        seen += page.text.split('data-testid="approval-row"')[1:]
        more = page.text.split('data-testid="more"')[0].rsplit('href="', 1)[-1].split('"')[0] \
            if 'data-testid="more"' in page.text else None
        url = more.replace("&amp;", "&") if more else None
    assert len(seen) == total > APPROVALS_PAGE
    assert client.get("/").text.count(f">{total}<") >= 1  # the home card counts all of them


def test_catalogue_pages_keep_the_filters(client, login_as, make_course):
    for n in range(CATALOGUE_PAGE + 2):
        make_course(title=f"Teknis {n:03d}", kind="teknis", quota=3)
    make_course(title="Kepemimpinan Strategis", kind="manajerial")
    login_as("asn")
    first = client.get("/training/courses/?kind=teknis")
    assert first.text.count('data-testid="course-card"') == CATALOGUE_PAGE
    assert f"{CATALOGUE_PAGE + 2}" in first.text.split('data-testid="course-results"')[1][:200]
    more = first.text.split('data-testid="more"')[0].rsplit('href="', 1)[-1]
    assert "page=2" in more and "kind=teknis" in more
    second = client.get("/training/courses/?page=2&kind=teknis")
    assert second.text.count('data-testid="course-card"') == 2
    assert "Kepemimpinan Strategis" not in second.text and 'data-testid="more"' not in second.text
    assert "Sisa kursi: 3" in second.text


def test_my_team_pages_through_a_large_team(client, login_as, users, db):
    for n in range(TEAM_PAGE + 1):
        make_user(f"anggota{n:02d}", supervisor=users["kasi"])
    team = len(enrolment_service.team_of(users["kasi"]))
    login_as("kasi")
    first = client.get("/training/me")
    assert 'data-testid="more-team"' in first.text
    second = client.get("/training/me?team_page=2")
    assert second.status_code == 200 and 'data-testid="more-team"' not in second.text
    assert second.text.count('data-testid="team-jp-bar"') == team - TEAM_PAGE
