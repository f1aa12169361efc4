"""The citizen's survey: one use per link, only after hand-over, forged links refused, nothing counted
twice, and the stored answers say nothing about the request or the staff."""
import re
import threading

from sqlalchemy import func, inspect, select

from plaju.audit.models import AuditEvent
from plaju.survey import services as skm
from plaju.survey.models import SkmResponse, SkmTokenUse
from tests.survey.conftest import ANSWERS


def _count(db, model):
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(model))


def _refusals(db):
    db.session.rollback()
    return db.session.scalars(select(AuditEvent).where(AuditEvent.action == "skm.submit",
                                                       AuditEvent.outcome == "refused")).all()


def test_a_handed_over_request_invites_and_the_answer_is_stored_once_without_a_link_to_it(
        client, db, make_request, link):
    req = make_request("handed_over", type_code="sktm")
    page = client.get(f"/track/{req.tracking_code}")
    assert 'data-testid="skm-invite"' in page.text
    url = link(req)
    # the page asks for the survey code printed on the receipt: holding the tracking code is not enough
    key = url.rsplit("/", 1)[1]
    assert key not in page.text and 'data-testid="skm-code-form"' in page.text
    typed = client.get(f"/skm/{req.tracking_code}", query_string={"key": f" {key.lower()} "})
    assert typed.status_code == 302 and typed.headers["Location"].endswith(url)
    form = client.get(url)
    assert form.status_code == 200
    assert "Sangat sesuai" in form.text and "Dikelola dengan baik" in form.text and "Gratis" in form.text
    assert form.text.count('type="radio"') == 36
    response = client.post(url, data=ANSWERS | {"comment": "Petugas ramah", "age": "41", "sex": "P",
                                                "education": "sma", "occupation": "wirausaha"})
    assert response.status_code == 303
    [answer] = db.session.scalars(select(SkmResponse)).all()
    assert answer.answers() == [int(ANSWERS[f"u{i}"]) for i in range(1, 10)]
    assert answer.type_id == req.type_id and answer.month == skm.month_of(req.closed_at)
    assert (answer.comment, answer.age, answer.sex) == ("Petugas ramah", 41, "P")
    # the answer row has no column that could point at the request, the citizen or the staff
    db.session.rollback()
    columns = {c["name"] for c in inspect(db.engine).get_columns("skm_response")}
    assert columns == {"id", "month", "type_id", *(f"u{i}" for i in range(1, 10)), "comment", "age", "sex",
                       "education", "occupation"}
    assert {c["name"] for c in inspect(db.engine).get_columns("skm_token_use")} == {"digest"}
    [used] = db.session.scalars(select(SkmTokenUse)).all()
    assert req.tracking_code not in used.digest and str(req.id) != used.digest
    # the audit event of the answer names no request, no person and no address
    [event] = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "skm.submit")).all()
    assert (event.outcome, event.subject_type, event.subject_id, event.actor_id, event.ip) == (
        "ok", None, None, None, None)
    from flask import current_app

    from plaju.audit import sentences
    from plaju.i18n import month_text
    with current_app.test_request_context("/"):
        [line] = sentences.render([event])
        said = [(c.label, c.after) for c in line.changes]
        assert said == [("Bulan", month_text(answer.month))] and month_text("2026-11") == "November 2026"
    # whoever holds the code (a clerk too) reads the tracking page: it invites the same way once answered
    after = client.get(f"/track/{req.tracking_code}").text
    assert _survey_part(after) == _survey_part(page.text) and "Terima kasih telah menilai" not in after


def _survey_part(page: str) -> str:
    return re.search(r'<section[^>]*data-testid="skm-invite".*?</section>', page, re.S).group(0)


def test_a_link_used_twice_is_refused_and_counted_once(client, db, make_request, link):
    req = make_request()
    url = link(req)
    assert client.post(url, data=ANSWERS).status_code == 303
    again = client.post(url, data=ANSWERS | {"u1": "1"})
    assert again.status_code == 409
    assert "sudah diisi" in again.text
    # opened again (the QR scanned once more): an information page, not an error the browser reports
    reopened = client.get(url)
    assert reopened.status_code == 200 and "sudah diisi" in reopened.text
    assert 'data-testid="survey-form"' not in reopened.text
    assert _count(db, SkmResponse) == 1 and _count(db, SkmTokenUse) == 1
    assert len(_refusals(db)) == 1  # opening it is no refusal: only the answer sent again


def test_a_forged_link_is_refused_and_nothing_is_stored(client, db, make_request, link):
    req = make_request()
    real = link(req)
    forged_key = real.rsplit("/", 1)[0] + "/AAAAAAAAAA"
    other_code = f"/skm/PLJ-AAAAA-BBBBB/{real.rsplit('/', 1)[1]}"
    for url in (forged_key, other_code, "/skm/garbage/x"):
        assert client.get(url).status_code == 404, url  # not a link of the office: no page to inform on
        response = client.post(url, data=ANSWERS)
        assert response.status_code == 404, url
        assert "tidak sah" in response.text
    assert _count(db, SkmResponse) == 0 and _count(db, SkmTokenUse) == 0
    assert len(_refusals(db)) == 3


def test_a_key_typed_with_zero_for_o_and_one_for_i_is_the_same_link(client, db, make_request, link):
    """The receipt prints the key; base32 has the letters O and I and no 0 or 1: typed "J566430PM0" for
    "J56643OPMO", the citizen was told the link was not valid."""
    made = [make_request() for _ in range(12)]  # one whose key has an O or an I (about half of them)
    real = next(url for url in map(link, made) if {"O", "I"} & set(url.rsplit("/", 1)[1]))
    base, key = real.rsplit("/", 1)
    typed = key.replace("O", "0").replace("I", "1").lower()
    assert typed.upper() != key
    assert client.get(f"{base}/{typed}").status_code == 200
    assert client.post(f"{base}/{typed}", data=ANSWERS).status_code == 303
    assert _count(db, SkmResponse) == 1 and _count(db, SkmTokenUse) == 1
    assert client.post(real, data=ANSWERS | {"u1": "1"}).status_code == 409  # the same link: used


def test_a_request_not_yet_handed_over_cannot_be_rated(client, db, make_request, link):
    for state in ("received", "ready"):
        req = make_request(state)
        url = link(req)
        assert 'data-testid="skm-invite"' not in client.get(f"/track/{req.tracking_code}").text
        # the receipt's QR scanned before pick-up: the page says when it opens, with 200 (no console error)
        opened = client.get(url)
        assert opened.status_code == 200 and "setelah permohonan Anda selesai" in opened.text
        assert 'data-testid="survey-form"' not in opened.text and 'role="status"' in opened.text
        response = client.post(url, data=ANSWERS)
        assert response.status_code == 409 and "setelah permohonan Anda selesai" in response.text
    assert _count(db, SkmResponse) == 0 and _count(db, SkmTokenUse) == 0


def test_a_citizen_turned_away_rates_the_service_too(client, db, make_request, link):
    """A refused or cancelled request was served too: leaving those citizens out raised the index."""
    for state in ("rejected", "cancelled"):
        req = make_request(state)
        assert 'data-testid="skm-invite"' in client.get(f"/track/{req.tracking_code}").text
        assert client.post(link(req), data=ANSWERS).status_code in (200, 303)
    assert _count(db, SkmResponse) == 2 and _count(db, SkmTokenUse) == 2


def test_a_request_cancelled_as_taken_in_twice_is_rated_through_the_one_that_went_on(client, db, make_request,
                                                                                     link):
    """A double registration cancelled by the clerk gave its citizen a second vote (and a clerk a way to make
    links at will): the one that went on is rated."""
    kept = make_request("handed_over")
    twin = make_request("cancelled", nik=kept.nik)
    from plaju.database import utcnow
    kept.closed_at = utcnow()  # handed over after the twin was taken in by mistake and cancelled
    db.session.commit()
    for answer in (client.get(link(twin)), client.post(link(twin), data=ANSWERS)):
        assert answer.status_code in (200, 409) and "terdaftar dua kali" in answer.text
    assert _count(db, SkmResponse) == 0
    assert client.post(link(kept), data=ANSWERS).status_code == 303 and _count(db, SkmResponse) == 1


def test_an_earlier_visit_is_not_a_double_registration(client, db, make_request, link):
    """An SKTM handed over 20 days ago, and a new one the citizen withdrew: two visits, two votes."""
    from datetime import timedelta

    from plaju.database import utcnow
    earlier = make_request("handed_over", closed_at=utcnow() - timedelta(days=20))
    earlier.received_at = utcnow() - timedelta(days=22)
    db.session.commit()
    withdrawn = make_request("cancelled", nik=earlier.nik)
    assert client.post(link(withdrawn), data=ANSWERS).status_code == 303


def test_the_whole_link_pasted_as_the_survey_code_opens_the_survey(client, make_request, link):
    req = make_request("handed_over")
    url = link(req)
    typed = client.get(f"/skm/{req.tracking_code}", query_string={"key": f"https://plaju.example{url}"})
    assert typed.status_code == 302 and typed.headers["Location"].endswith(url)


def test_a_refused_answer_to_a_real_link_keeps_no_address(client, db, make_request, link):
    """A citizen who skipped a question and sent again: the refusal's address beside the answer's time
    would point at her. A guessed link keeps its sender's address."""
    req = make_request("handed_over")
    assert client.post(link(req), data={k: v for k, v in ANSWERS.items() if k != "u3"}).status_code == 422
    assert client.post(f"/skm/{req.tracking_code}/AAAAAAAAAA", data=ANSWERS).status_code == 404
    refused = {e.comment.split("]")[0]: e.ip for e in _refusals(db)}
    assert refused["[input:form"] is None and refused["[forged"]


def test_an_incomplete_or_invalid_answer_changes_nothing_and_keeps_the_link(client, db, make_request, link):
    req = make_request()
    url = link(req)
    for bad, message in (({k: v for k, v in ANSWERS.items() if k != "u5"}, "Pilih satu jawaban."),
                         (ANSWERS | {"u2": "5"}, "Pilih satu jawaban."), (ANSWERS | {"u2": "x"}, "Pilihan tidak sah."),
                         (ANSWERS | {"age": "7"}, "15"), (ANSWERS | {"sex": "X"}, "Pilihan tidak sah.")):
        response = client.post(url, data=bad)
        assert response.status_code == 422
        assert "Ada jawaban yang belum diisi atau tidak sah" in response.text
        feedback = re.findall(r'invalid-feedback d-block">([^<]*)<', response.text)
        assert feedback and message == feedback[0] or message in feedback[0], (bad, feedback)
    # which question, and a way to it: the page is 4,000 pixels long on a phone
    partial = client.post(url, data={k: v for k, v in ANSWERS.items() if k not in ("u5", "u7")}).text
    assert "Belum dijawab, pertanyaan nomor: 5, 7." in partial
    assert re.search(r'href="#q-5" data-testid="first-fault"', partial) and 'id="q-5"' in partial
    assert _count(db, SkmResponse) == 0 and _count(db, SkmTokenUse) == 0
    # in HR's log a question left out is a slip of input, named as the page numbers it
    last = _refusals(db)[-1]
    assert last.comment.startswith("[input:form] pertanyaan 5: Pilih satu jawaban.") and "u5" not in last.comment
    assert client.post(url, data=ANSWERS).status_code == 303


def test_an_expired_link_is_refused(client, db, make_request, link, app):
    from datetime import timedelta

    from plaju.database import utcnow
    req = make_request(closed_at=utcnow() - timedelta(days=skm.DEFAULT_VALID_DAYS + 1))
    opened = client.get(link(req))
    assert opened.status_code == 200 and 'data-testid="survey-refused"' in opened.text
    assert 'data-testid="survey-form"' not in opened.text
    assert client.post(link(req), data=ANSWERS).status_code == 410
    assert _count(db, SkmResponse) == 0


def test_two_posts_of_one_link_at_the_same_moment_count_once(app, db, make_request, link):
    req = make_request()
    url = link(req)
    db.session.commit()  # end the test's read: on SQLite it would hold the write lock
    barrier = threading.Barrier(2)
    statuses = []

    def post():
        client = app.test_client()
        assert client.get(url).status_code == 200
        barrier.wait(timeout=10)
        statuses.append(client.post(url, data=ANSWERS).status_code)

    threads = [threading.Thread(target=post) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(statuses) == [303, 409]
    assert _count(db, SkmResponse) == 1 and _count(db, SkmTokenUse) == 1


def test_the_receipt_carries_the_survey_link(client, db, users, make_request, login_as, link):
    req = make_request("received")
    login_as("clerk")
    page = client.get(f"/documents/{req.id}/receipt")
    assert page.status_code == 200
    assert 'data-testid="receipt-skm"' in page.text and link(req) in page.text
    # who printed the link is on record: the answers themselves stay anonymous
    printed = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "document.print_receipt")).one()
    assert printed.actor_id == users["clerk"].id and printed.subject_id == str(req.id)


def test_an_officer_signed_in_cannot_answer_for_the_citizen(client, db, users, make_request, login_as, link):
    """A clerk collected the links from reprinted receipts and answered 4 everywhere: anonymous, untraceable,
    and the index rates the clerk's own service."""
    req = make_request()
    url = link(req)
    login_as("clerk")
    page = client.get(url)
    assert page.status_code == 403 and "tidak dapat diisi selagi masuk sebagai pegawai" in page.text
    assert client.post(url, data=ANSWERS).status_code == 403
    assert _count(db, SkmResponse) == 0 and _count(db, SkmTokenUse) == 0
    refused = _refusals(db)
    assert len(refused) == 2 and {e.actor_id for e in refused} == {users["clerk"].id}
    assert all(e.comment.startswith("[staff]") for e in refused)
    client.post("/logout")  # the citizen's own phone: the link still works
    assert client.post(url, data=ANSWERS).status_code == 303 and _count(db, SkmResponse) == 1


def test_a_survey_tablet_at_the_counter_takes_every_answer_and_guessing_keys_stays_slow(app, client, db,
                                                                                       make_request, link):
    """Ten answers an hour from one address stopped the counter's SKM tablet: real links answer once anyway,
    so only links that do not exist count against the address."""
    old = app.config.get("SURVEY_LIMIT")
    app.config["SURVEY_LIMIT"] = "3 per hour"
    try:
        answered = [client.post(link(make_request()), data=ANSWERS).status_code for _ in range(5)]
        # one request's tries are its own; over every request, an address has five times as many
        guessed = [client.post(f"/skm/{make_request().tracking_code}/AAAAAAAAAA", data=ANSWERS).status_code
                   for _ in range(16)]
    finally:
        app.config["SURVEY_LIMIT"] = old
    assert all(status in (200, 303) for status in answered), answered
    assert guessed == [404] * 15 + [429]
    assert _count(db, SkmResponse) == 5


def test_two_requests_about_two_people_are_not_a_double_registration(client, db, make_request, link):
    """Two SKTMs of one applicant at once, for his father and for his mother: he withdrew the father's, and its
    survey said it was "taken in twice"."""
    import json
    father = {"same": False, "nik": "1671080101600001", "name": "Hasan Basri", "place": "Palembang",
              "relation": "anak"}
    mother = {**father, "nik": "1671084202620002", "name": "Siti Aminah"}
    kept = make_request("handed_over", "sktm")
    kept.subject_data = json.dumps(mother)
    withdrawn = make_request("cancelled", "sktm", nik=kept.nik)
    withdrawn.subject_data = json.dumps(father)
    from plaju.database import utcnow
    kept.closed_at = utcnow()
    db.session.commit()
    assert client.post(link(withdrawn), data=ANSWERS).status_code == 303
    twin = make_request("cancelled", "sktm", nik=kept.nik)  # the mother's again: that one is a double
    twin.subject_data = json.dumps(mother)
    from plaju.database import utcnow
    kept.closed_at = utcnow()  # handed over after both were taken in and cancelled: open at the same time
    db.session.commit()
    assert "terdaftar dua kali" in client.get(link(twin)).text
    assert 'data-testid="skm-invite"' not in client.get(f"/track/{twin.tracking_code}").text  # not invited to it
    assert 'data-testid="skm-invite"' in client.get(f"/track/{withdrawn.tracking_code}").text
