"""Screens that guide: the catalogue lists open courses first and closed ones last and greyed, a closed
course never shows free seats in green, "rutin" is explained where it is shown."""
from datetime import timedelta

from plaju.timeutil import today_wib

TODAY = today_wib()


def test_the_catalogue_lists_open_courses_first_and_closed_ones_greyed(client, login_as, users, make_course, enrol):
    closed = make_course(title="A Ditutup", enrol_deadline=TODAY - timedelta(days=1), quota=30)
    full = make_course(title="B Penuh", quota=1, enrol_deadline=TODAY + timedelta(days=1))
    enrol(full, users["clerk"], "approved")
    later = make_course(title="C Buka Lama", enrol_deadline=TODAY + timedelta(days=20))
    soon = make_course(title="D Buka Segera", enrol_deadline=TODAY + timedelta(days=2), routine=True)
    login_as("asn")
    page = client.get("/training/courses/").text
    order = [page.index(c.title) for c in (soon, later, closed, full)]
    assert order == sorted(order)  # open by deadline, then the closed ones by deadline
    card = page[page.index(closed.title):page.index(closed.title) + 1500]
    assert "Sisa kursi" not in card and "Ditutup" in card
    assert page.count('data-closed="yes"') == 2 and page.count('data-closed="no"') == 2
    assert "Plh/Plt Camat boleh menyetujui" in page
    assert "Plh/Plt Camat boleh menyetujui" in client.get(f"/training/courses/{soon.id}").text
