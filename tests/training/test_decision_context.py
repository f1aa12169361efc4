"""The supervisor approving, and the Camat signing off, see what they weigh: the ASN's JP so far this year,
the cost, and who else in the team is away on the same days (issue 11)."""
from datetime import timedelta

from plaju.timeutil import today_wib


def test_the_supervisor_sees_jp_cost_and_the_teams_overlapping_bookings(client, login_as, users, make_course,
                                                                         enrol, db):
    start = today_wib() + timedelta(days=20)
    course = make_course(title="Pelatihan Arsip Dinamis", starts_on=start, ends_on=start + timedelta(days=2),
                         fee=1_250_000)
    overlapping = make_course(title="Bimtek Kearsipan", starts_on=start + timedelta(days=1),
                              ends_on=start + timedelta(days=3))
    elsewhere = make_course(title="Seminar Bulan Depan", starts_on=start + timedelta(days=30))
    enrolment = enrol(course, users["asn"])
    enrol(overlapping, users["clerk"], "approved")  # a teammate away on two of the same days
    enrol(elsewhere, users["clerk"], "approved")
    login_as("kasi")
    page = client.get(f"/training/enrolments/{enrolment.id}").get_data(as_text=True)
    assert 'data-testid="decision"' in page
    assert "0 dari target 20 JP" in page and "Rp 1.250.000" in page
    clashes = page.split('data-testid="decision-clashes"')[1].split("</ul>")[0]
    assert "Clerk Uji: Bimtek Kearsipan" in clashes and "Seminar Bulan Depan" not in clashes


def test_the_asn_and_a_settled_enrolment_show_no_decision_box(client, login_as, users, make_course, enrol):
    course = make_course(starts_on=today_wib() + timedelta(days=5))
    enrolment = enrol(course, users["asn"])
    login_as("asn")
    assert 'data-testid="decision"' not in client.get(f"/training/enrolments/{enrolment.id}").get_data(as_text=True)
    done = enrol(make_course(title="Sudah Selesai"), users["asn"], "verified")
    login_as("kasi")
    assert 'data-testid="decision"' not in client.get(f"/training/enrolments/{done.id}").get_data(as_text=True)
