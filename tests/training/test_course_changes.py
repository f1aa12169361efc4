"""A course changed or taken out of the catalogue after people enrolled: those still to attend it are told
(in the save's transaction), their enrolment's page shows when, where and the link, and the course's page
stays readable for them."""
from sqlalchemy import func, select

from plaju.i18n import gettext as _
from plaju.notify.models import Notification
from tests.support import seen_on

PLACE, NEW_PLACE = "Aula Kantor Camat Plaju", "Ruang Rapat Lt. 2"
LINK = "https://zoom.example/j/123"


def _body(course, **changes) -> dict:
    """The course form as it stands, with `changes`: what is fixed once people enrolled stays as it is."""
    body = {"title": course.title, "description": "", "kind": course.kind, "method": course.method,
            "jp": str(course.jp), "provider": course.provider, "place": course.place, "link": course.link,
            "quota": str(course.quota), "enrol_deadline": course.enrol_deadline.isoformat(),
            "quiz_max_attempts": "3", "quiz_retry_wait_minutes": "60", "active": "y", "organiser_id": "0",
            "certificate_signer_id": "0"}
    body.update(changes)
    return {k: v for k, v in body.items() if v is not None}


def _told(db, user, since: int = 0) -> list[Notification]:
    return list(db.session.scalars(select(Notification).where(Notification.user_id == user.id,
                                                              Notification.id > since)))


def _last_note(db) -> int:
    return db.session.scalar(select(func.max(Notification.id))) or 0


def _said(app, text: str, **values) -> str:
    with app.test_request_context("/"):
        return _(text, **values)


def test_those_still_to_attend_are_told_what_changed_and_nobody_else(app, client, login_as, db, users, make_course,
                                                                      enrol):
    course = make_course(place=PLACE)
    attending = enrol(course, users["asn"], "in_progress")
    asking = enrol(course, users["clerk"])
    enrol(course, users["kasi2"], "withdrawn")
    enrol(course, users["sekcam"], "verified")
    enrol(course, users["hr"], "in_progress")  # whoever saves it knows
    since = _last_note(db)
    login_as("hr")
    url = f"/training/courses/{course.id}/edit"
    saved = client.post(url, data=_body(course, place=NEW_PLACE, link=LINK, seen=seen_on(client, url)))
    assert saved.status_code == 302
    for enrolment in (attending, asking):
        [note] = _told(db, enrolment.user, since)
        assert note.subject == _said(app, "Course changed: %(title)s", title=course.title)
        assert f"Tempat: {PLACE} → {NEW_PLACE}" in note.body
        assert f"Tautan: {_said(app, 'none')} → {LINK}" in note.body
        assert note.url == f"/training/enrolments/{enrolment.id}"
    for name in ("kasi2", "sekcam", "hr"):
        assert _told(db, users[name], since) == [], name


def test_a_save_that_is_refused_tells_nobody(client, login_as, db, users, make_course, enrol):
    """The notice is written with the save: a stale form, refused, leaves neither the change nor a notice."""
    course = make_course(place=PLACE)
    enrol(course, users["asn"], "in_progress")
    since = _last_note(db)
    login_as("hr")
    refused = client.post(f"/training/courses/{course.id}/edit", data=_body(course, place=NEW_PLACE, seen="stale"))
    assert refused.status_code == 409
    db.session.expire_all()
    assert course.place == PLACE and _told(db, users["asn"], since) == []


def test_a_course_taken_out_of_the_catalogue_is_told_and_stays_readable_for_those_enrolled(
        app, client, login_as, db, users, make_course, enrol):
    course = make_course(place=PLACE, link=LINK)
    enrolment = enrol(course, users["asn"], "in_progress")
    since = _last_note(db)
    login_as("hr")
    url = f"/training/courses/{course.id}/edit"
    body = _body(course, place=NEW_PLACE, seen=seen_on(client, url))
    del body["active"]  # unticked
    assert client.post(url, data=body).status_code == 302
    [note] = _told(db, users["asn"], since)
    assert note.subject == _said(app, "Course no longer offered: %(title)s", title=course.title)
    assert f"Tempat: {PLACE} → {NEW_PLACE}" in note.body
    db.session.expire_all()
    assert enrolment.state == "in_progress"  # still theirs to attend or withdraw: nothing closed half-way

    login_as("asn")
    page = client.get(f"/training/enrolments/{enrolment.id}").text
    assert 'data-testid="course-withdrawn"' in page and f'href="/training/courses/{course.id}"' in page
    assert NEW_PLACE in page.split('data-testid="place"')[1].split("</dd>")[0]
    assert f'href="{LINK}"' in page.split('data-testid="link"')[1].split("</dd>")[0]
    course_page = client.get(f"/training/courses/{course.id}")
    assert course_page.status_code == 200 and NEW_PLACE in course_page.text
    assert 'data-testid="enrol-button"' not in course_page.text  # readable, not offered
    login_as("clerk")  # never enrolled in it: no longer in the catalogue for them
    assert client.get(f"/training/courses/{course.id}").status_code == 404


def test_the_enrolment_page_says_where_and_how_to_attend(client, login_as, users, make_course, enrol):
    enrolment = enrol(make_course(place=PLACE, link=LINK), users["asn"], "in_progress")
    login_as("asn")
    page = client.get(f"/training/enrolments/{enrolment.id}").text
    assert PLACE in page.split('data-testid="place"')[1].split("</dd>")[0]
    assert f'href="{LINK}"' in page.split('data-testid="link"')[1].split("</dd>")[0]
    assert 'data-testid="course-withdrawn"' not in page


def test_nobody_new_joins_a_course_taken_out_of_the_catalogue_and_its_sign_off_says_so(
        client, login_as, db, users, make_course, enrol):
    """A request still waiting for the supervisor is not approved into a course HR withdrew (the refusal says
    what to do instead); the Camat signing off one already approved reads that it was withdrawn."""
    course = make_course(place=PLACE)
    asking = enrol(course, users["asn"])
    approved = enrol(course, users["clerk"], "approved")
    course.active = False
    version = asking.version
    db.session.commit()
    login_as("kasi")
    refused = client.post(f"/training/enrolments/{asking.id}/act/approve", data={"version": asking.version},
                          headers={"HX-Request": "true"})
    assert refused.status_code in (409, 422) and "mengeluarkan pelatihan ini dari katalog" in refused.text
    db.session.expire_all()
    assert asking.state == "requested" and asking.version == version
    login_as("camat")
    page = client.get(f"/training/enrolments/{approved.id}").text
    assert 'data-testid="caution"' in page and "masih dilaksanakan" in page
