"""/audit/ for people: sentences, search by tracking code, NIK, person, action, outcome and dates, login
events hidden, keyset pages with a constant number of statements, refusals audited."""
import re
from datetime import date, datetime

import pytest
from sqlalchemy import event, func, select, text

from plaju.audit import days
from plaju.audit import record as audit
from plaju.audit.models import AuditEvent
from plaju.database import clock_at
from plaju.documents.nik import make_nik
from plaju.documents.services import take_action
from plaju.timeutil import to_wib
from tests.audit.conftest import seqs
from tests.conftest import PG_URL
from tests.support import spelled


def test_a_tracking_code_finds_every_change_to_one_request_as_sentences(db, client, users, login_as, take_in):
    mine = take_in("Siti Aminah")
    other = take_in("Budi Santoso")
    take_action(mine, "verify", users["clerk"], version=mine.version)
    take_action(other, "verify", users["clerk"], version=other.version)
    take_action(mine, "return_to_citizen", users["clerk"], version=mine.version, comment="KK belum dibawa",
                missing=[mine.checklist_items[0]["id"]])
    login_as("hr")
    page = client.get(f"/audit/?code={mine.tracking_code.lower()}")
    body = page.get_data(as_text=True)
    assert page.status_code == 200, body[:400]
    expected = db.session.scalars(select(AuditEvent.seq).where(
        AuditEvent.subject_type.in_(("document", "document_file")), AuditEvent.subject_id == str(mine.id))
        .order_by(AuditEvent.seq.desc())).all()
    assert seqs(body) == expected and len(expected) == 3
    # typed as read off the receipt, in groups and without dashes, it finds the same
    spaced = " ".join(mine.tracking_code.lower().split("-"))
    assert seqs(client.get("/audit/", query_string={"code": spaced}).get_data(as_text=True)) == expected
    # Bahasa sentences with the actor's name and position, the object by code and type, state labels
    assert "Clerk Uji (clerk) mengembalikan berkas kepada pemohon" in body
    assert f"{mine.tracking_code} (KTP-el" in body
    table = body[body.index('data-testid="audit-events"'):body.index("</table>")]
    assert "document.return_to_citizen" not in table and "verifying" not in table
    assert "KK belum dibawa" in body
    # the object's complete history is one click away
    link = re.search(r'href="(/audit/timeline/document/\d+)"', body).group(1)
    timeline = client.get(link, follow_redirects=True).get_data(as_text=True)
    assert seqs(timeline) == expected


def test_a_nik_search_is_exact_and_never_shows_or_keeps_the_nik(db, client, users, login_as, take_in):
    nik = make_nik(date(1985, 5, 5), True, 77)
    mine = take_in("Rina Marlina", nik=nik)
    take_in("Orang Lain", nik=make_nik(date(1985, 5, 5), True, 78))
    login_as("hr")
    first = client.get(f"/audit/?nik={nik}&outcome=ok")
    assert first.status_code == 303
    location = first.headers["Location"]
    assert nik not in location and "nik_ref" in location and "outcome=ok" in location
    page = client.get(location)
    body = page.get_data(as_text=True)
    assert page.status_code == 200 and nik not in body
    assert nik[:4] in body and nik[-4:] in body  # shown masked
    assert seqs(body) == db.session.scalars(select(AuditEvent.seq).where(
        AuditEvent.subject_type == "document", AuditEvent.subject_id == str(mine.id))).all()
    short = client.get("/audit/?nik=12345")
    assert short.status_code == 422 and "16 angka" in short.get_data(as_text=True)
    unknown = client.get(client.get(f"/audit/?nik={make_nik(date(1970, 1, 1), False, 5)}").headers["Location"])
    text = unknown.get_data(as_text=True)
    assert unknown.status_code == 422 and "Tidak ada permohonan" in text and "data-seq" not in text
    forged = client.get("/audit/?nik_ref=not-a-sealed-nik")
    assert forged.status_code == 422


@pytest.mark.parametrize("term", ["kasi2", "Kasi2 Uji", "199001012015011001"])
def test_a_person_is_found_by_username_name_or_nip_as_actor_or_subject(db, client, users, login_as, term):
    users["kasi2"].nip = "199001012015011001"
    db.session.commit()
    audit.record("user.update", actor=users["admin"], subject=users["kasi2"], changes={"position": ["a", "b"]})
    audit.record("test.by_kasi2", actor=users["kasi2"])
    audit.record("test.by_other", actor=users["kasi"])
    db.session.commit()
    login_as("hr")
    body = client.get("/audit/", query_string={"person": term}).get_data(as_text=True)
    found = db.session.scalars(select(AuditEvent).where(AuditEvent.seq.in_(seqs(body)))).all()
    assert sorted(e.action for e in found) == ["test.by_kasi2", "user.update"]


def test_a_person_search_finds_their_training_events_as_subject(db, client, users, login_as):
    """An ASN is the subject of their enrolments and of the plans that name them, though others act."""
    from datetime import timedelta

    from plaju.timeutil import today_wib
    from plaju.training.models import Course
    from plaju.training.services import enrolment as enrolments
    from plaju.training.services import plans
    course = Course(title="Pelatihan Pelayanan Prima", kind="teknis", method="pelatihan", jp=12,
                    provider="BPSDM Sumsel", quota=5, enrol_deadline=today_wib() + timedelta(days=10))
    db.session.add(course)
    db.session.commit()
    mine = enrolments.request_enrolment(course, users["asn"], users["kasi"])  # nominated by the supervisor
    other = enrolments.request_enrolment(course, users["clerk"], users["kasi"])
    plan = plans.create_plan(users["asn"].unit_id, today_wib().year, users["hr"], suggest=False)
    plans.add_item(plan.id, {"user_id": users["asn"].id, "title": "Kursus menulis surat", "planned_jp": 8},
                   users["hr"])
    audit.record("user.update", actor=users["admin"], subject=users["kasi2"], changes={"position": ["a", "b"]})
    db.session.commit()
    login_as("hr")
    body = client.get("/audit/", query_string={"person": "asn"}).get_data(as_text=True)
    expected = db.session.scalars(select(AuditEvent.seq).where(
        ((AuditEvent.subject_type == "enrolment") & (AuditEvent.subject_id == str(mine.id)))
        | ((AuditEvent.subject_type == "training_plan") & (AuditEvent.subject_id == str(plan.id)))
        | (AuditEvent.subject_type == "user") & (AuditEvent.subject_id == str(users["asn"].id)))
        .order_by(AuditEvent.seq.desc())).all()
    found = db.session.scalars(select(AuditEvent).where(AuditEvent.seq.in_(seqs(body)))).all()
    assert seqs(body) == expected
    assert {e.action for e in found} >= {"enrolment.nominate", "training_plan.create", "training_plan.item_add"}
    assert all(e.actor_id != users["asn"].id for e in found)  # found as the subject, not as the actor
    assert str(other.id) not in {e.subject_id for e in found if e.subject_type == "enrolment"}


def test_bad_filters_get_a_clear_message_and_no_rows(db, client, users, login_as):
    audit.record("test.event", actor=users["hr"])
    db.session.commit()
    login_as("hr")
    for query, words in [({"date_from": "2026-02-30"}, "bukan tanggal"),
                         ({"date_from": "0001-01-01"}, "di luar tahun yang dapat dimuat catatan (2000 sampai 2099)"),
                         ({"date_to": "9999-12-31"}, "di luar tahun"),
                         ({"date_from": "2026-11-30", "date_to": "2026-11-01"},
                          "(30 November 2026) setelah tanggal akhir (1 November 2026)"),
                         ({"person": "Tidak Ada Orangnya"}, "Tidak ada orang"),
                         ({"code": "ZZZZ9999"}, "Tidak ada catatan di log dengan kode atau nomor ZZZZ9999"),
                         ({"outcome": "maybe"}, "tidak dikenal"),
                         ({"action": "DROP TABLE"}, "tidak dikenal")]:
        page = client.get("/audit/", query_string=query)
        body = page.get_data(as_text=True)
        assert page.status_code == 422, query
        assert words in body, (query, re.findall(r'data-testid="search-errors">(.*?)</div>', body, re.S))
        assert "data-seq" not in body


def test_dates_are_days_in_wib_and_sign_ins_are_hidden_unless_asked(db, client, users, login_as):
    with clock_at(datetime(2026, 3, 9, 17, 30)):  # 10 March 00.30 WIB
        audit.record("test.tenth", actor=users["hr"])
    with clock_at(datetime(2026, 3, 10, 16, 59)):  # 10 March 23.59 WIB
        audit.record("test.tenth_late", actor=users["hr"])
    with clock_at(datetime(2026, 3, 10, 17, 0)):  # 11 March 00.00 WIB
        audit.record("test.eleventh", actor=users["hr"])
    db.session.commit()
    login_as("hr")  # records auth.login
    body = client.get("/audit/?date_from=2026-03-10&date_to=2026-03-10").get_data(as_text=True)
    actions = db.session.scalars(select(AuditEvent.action).where(AuditEvent.seq.in_(seqs(body)))).all()
    assert sorted(actions) == ["test.tenth", "test.tenth_late"]
    login = db.session.scalar(select(AuditEvent.seq).where(AuditEvent.action == "auth.login"))
    assert login not in seqs(client.get("/audit/").get_data(as_text=True))
    assert login in seqs(client.get("/audit/?logins=1").get_data(as_text=True))
    assert seqs(client.get("/audit/?action=auth.login").get_data(as_text=True)) == [login]


def test_a_date_range_is_exact_when_times_do_not_rise_with_seq(db, client, users, login_as):
    """Demo data and clock changes write older times after newer ones: the range of seq the search reads
    still holds every event of the period, and only those, newest seq first."""
    dates = [(2026, 5, 3), (2026, 3, 10), (2026, 5, 20), (2026, 3, 11), (2026, 1, 2), (2026, 3, 10), (2026, 6, 1)]
    for n, day in enumerate(dates):
        with clock_at(datetime(*day, 3, 0)):
            audit.record("test.dated", actor=users["hr"], comment=f"{n}")
        if n == 3:  # the first four counted by day, the rest beyond the watermark
            db.session.commit()
            days.refresh()
    db.session.commit()
    login_as("hr")
    for start, end in (("2026-03-10", "2026-03-11"), ("2026-03-01", "2026-05-31"), ("2026-05-20", "2026-12-31"),
                       ("2026-02-01", "2026-02-28")):
        body = client.get("/audit/", query_string={"action": "test.dated", "date_from": start,
                                                   "date_to": end}).get_data(as_text=True)
        expected = [e.seq for e in sorted(db.session.scalars(select(AuditEvent).where(
            AuditEvent.action == "test.dated")), key=lambda e: -e.seq)
            if start <= to_wib(datetime.fromisoformat(e.occurred_at)).date().isoformat() <= end]
        assert seqs(body) == expected, (start, end)


def test_kind_of_action_and_outcome(db, client, users, login_as):
    audit.record("delegation.create", actor=users["hr"])
    audit.record("delegation.revoke", actor=users["hr"], outcome="refused", comment="[rule] tidak boleh")
    audit.record("user.create", actor=users["hr"])
    db.session.commit()
    login_as("hr")

    def actions(query):
        body = client.get("/audit/", query_string=query).get_data(as_text=True)
        return sorted(db.session.scalars(select(AuditEvent.action).where(AuditEvent.seq.in_(seqs(body)))))
    assert actions({"action": "delegation.*"}) == ["delegation.create", "delegation.revoke"]
    assert actions({"action": "delegation.*", "outcome": "refused"}) == ["delegation.revoke"]
    assert actions({"action": "user.create"}) == ["user.create"]
    # the form offers "all of a kind" at the head of each kind, and keeps it chosen
    body = client.get("/audit/", query_string={"action": "delegation.*"}).get_data(as_text=True)
    assert re.search(r'<option value="delegation\.\*" selected>Semua: [^<]+</option>', body)


def test_pages_are_keyset_and_need_the_same_statements_whatever_the_log_holds(app, db, client, users, login_as,
                                                                              take_in):
    login_as("hr")

    def statements(url):
        seen = []

        def count(*_args):
            seen.append(1)
        event.listen(db.engine, "before_cursor_execute", count)
        try:
            body = client.get(url).get_data(as_text=True)
        finally:
            event.remove(db.engine, "before_cursor_execute", count)
        return len(seen), body

    def grow(n):
        req = take_in(f"Warga {spelled(n)}")
        for i in range(n):
            audit.record("user.update", actor=users[("clerk", "kasi", "hr")[i % 3]], subject=users["asn"],
                         changes={"supervisor_id": [users["kasi"].id, users["camat"].id]})
            audit.record("document.attach", actor=users["clerk"], subject=req, subject_type="document_file")
        db.session.commit()
        return req

    today = date.today().isoformat()
    searches = ["/audit/?person=clerk", "/audit/?person=asn", "/audit/?action=document.*",
                f"/audit/?action=user.*&date_from=2020-01-01&date_to={today}",
                f"/audit/?person=kasi&date_from=2020-01-01&date_to={today}", "/audit/?action=data-access&logins=1",
                f"/audit/?date_from=2020-01-01&date_to={today}", f"/audit/?date_from={today}"]
    grow(3)
    small, _ = statements("/audit/")
    small_searches = [statements(url)[0] for url in searches]
    days.refresh()  # the days counted (as the scheduled job does), then more events beyond the watermark
    grow(80)
    days.refresh(batch=60)
    grow(2)
    large, body = statements("/audit/")
    large_searches = [statements(url)[0] for url in searches]
    # a search in many parts reads its newest seqs first and its parts only when they hold less than a
    # page (search.WINDOW): one statement more while the log is small, never more as it grows
    assert small == large
    assert all(grown <= was <= grown + 1 for was, grown in zip(small_searches, large_searches, strict=True)), \
        (small_searches, large_searches)
    first = seqs(body)
    assert len(first) == 50 and first == sorted(first, reverse=True)
    older = re.search(r'href="([^"]+)" data-testid="older"', body).group(1).replace("&amp;", "&")
    second = seqs(client.get(older).get_data(as_text=True))
    assert second and max(second) < min(first) and len(second) == 50


def test_only_hr_admin_and_the_camat_read_the_log_and_refusals_are_audited(db, client, users, login_as):
    for username in ("hr", "admin", "camat"):
        login_as(username)
        assert client.get("/audit/").status_code == 200
    for username in ("clerk", "kasi", "sekcam", "asn"):
        login_as(username)
        for method, url in (("get", "/audit/"), ("post", "/audit/export"), ("get", "/audit/exports/abc")):
            # a page opened, or a form sent (not "opened a page": an approval is not a page)
            action = "access.forbidden_post" if method == "post" else "access.forbidden"
            before = db.session.scalar(select(func.count()).select_from(AuditEvent).where(
                AuditEvent.action == action))
            assert getattr(client, method)(url, data={"fmt": "csv"} if method == "post" else None).status_code == 403
            db.session.rollback()
            refused = db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)
                                         .order_by(AuditEvent.seq.desc())).first()
            assert refused.actor_id == users[username].id and refused.outcome == "refused"
            assert refused.comment == url.split("?")[0]
            assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(
                AuditEvent.action == action)) == before + 1
    login_as("hr")
    body = client.get("/audit/?action=data-access").get_data(as_text=True)
    # the page refused is said with the action, in words, not as a message the person was told
    assert "membuka halaman “Audit” tanpa hak untuk melihatnya" in body and "pesan kepadanya: /audit/" not in body


def test_a_personal_data_page_refused_is_audited(db, client, users, login_as, take_in):
    req = take_in()
    login_as("asn")
    assert client.get(f"/documents/{req.id}").status_code == 403
    db.session.rollback()
    refused = db.session.scalars(select(AuditEvent).order_by(AuditEvent.seq.desc())).first()
    assert (refused.action, refused.actor_id, refused.comment) == (
        "access.forbidden", users["asn"].id, f"/documents/{req.id}")
    # the request it was about is the event's object: HR reads its code, not only a path
    assert (refused.subject_type, refused.subject_id) == ("document", str(req.id))
    login_as("hr")
    assert req.tracking_code in client.get("/audit/", query_string={"action": "data-access"}).text


def test_the_full_nik_is_shown_on_request_and_each_viewing_is_audited(db, client, users, login_as, take_in):
    nik = make_nik(date(1992, 8, 17), True, 4321)
    req = take_in(nik=nik)
    login_as("clerk")
    page = client.get(f"/documents/{req.id}").get_data(as_text=True)
    assert nik not in page and 'data-testid="reveal-nik"' in page and "Tampilkan NIK dan kontak lengkap" in page
    assert "1234567890" not in page  # the phone too, until then
    shown = client.post(f"/documents/{req.id}/nik", headers={"HX-Request": "true"})
    assert shown.status_code == 200 and nik in shown.get_data(as_text=True)
    assert 'href="tel:+6281234567890"' in shown.text  # one tap calls the citizen
    db.session.rollback()
    viewed = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "document.view_nik")).all()
    assert [(e.actor_id, e.subject_type, e.subject_id) for e in viewed] == [
        (users["clerk"].id, "document", str(req.id))]
    login_as("camat")  # may open the request, not the full NIK
    assert 'data-testid="reveal-nik"' not in client.get(f"/documents/{req.id}").get_data(as_text=True)
    refused = client.post(f"/documents/{req.id}/nik")
    assert refused.status_code == 403 and nik not in refused.get_data(as_text=True)
    login_as("hr")
    body = client.get(f"/audit/?code={req.tracking_code}&action=data-access").get_data(as_text=True)
    assert "melihat NIK lengkap pemohon" in body and nik not in body


def test_an_event_about_a_kind_without_an_id_reads_and_does_not_break_the_page(db, client, users, login_as):
    # a refused creation names the kind of object but has no id yet: no timeline link, no 500
    from plaju.audit import record as audit
    audit.record("delegation.create", actor=users["hr"], outcome="refused", subject_type="delegation",
                 comment="delegators only")
    db.session.commit()
    login_as("admin")
    response = client.get("/audit/?outcome=refused")
    assert response.status_code == 200
    assert "/audit/timeline/delegation/" not in response.get_data(as_text=True)


def test_a_changed_date_reads_as_a_date_in_words(db, users, app):
    # e.g. the date printed on a certificate: "30 November 2026", not 2026-11-30
    from plaju.audit import sentences
    with app.test_request_context():
        event = audit.record("training.complete", actor=users["hr"], subject_type="enrolment",
                                    subject_id="1", changes={"certificate_date": [None, "2026-11-30"],
                                                             "certificate_number": [None, "2026-11-30-A"]})
        db.session.commit()
        [line] = sentences.render([event])
    values = {change.after for change in line.changes}
    assert "30 November 2026" in values and "2026-11-30-A" in values and "2026-11-30" not in values


@pytest.mark.skipif(not PG_URL, reason="plans of prepared statements are PostgreSQL's")
def test_a_search_asked_again_and_again_is_planned_for_its_values_every_time(db, users):
    """psycopg would prepare a statement after five runs on one connection, and PostgreSQL may then keep one
    plan for any values: for a month of document steps that plan read the whole log (1.4 s instead of
    8 ms). Only the statements marked plan_once (by key, on every step) are prepared and may keep a plan;
    a search never is, so it is planned for its values each time."""
    from werkzeug.datastructures import MultiDict

    from plaju.audit.record import _HEAD
    from plaju.audit.search import parse
    from plaju.extensions import db as _db
    search = parse(MultiDict({"action": "document.*", "date_from": "2026-01-01", "date_to": "2026-01-31"}))
    stmt = search.statement(limit=51)
    with _db.engine.connect() as conn:
        for _ in range(12):
            conn.execute(stmt).all()
            conn.execute(_HEAD).all()
        prepared = conn.execute(text(
            "SELECT statement, generic_plans + custom_plans FROM pg_prepared_statements")).all()
    assert not [s for s, _runs in prepared if "audit_day" in s], prepared  # the search: never prepared
    assert [runs for s, runs in prepared if "ORDER BY audit_event.seq DESC" in s] == [12], prepared


@pytest.mark.parametrize("window", [2000, 9, 1])
def test_a_kind_of_action_read_through_the_window_gives_the_pages_its_parts_give(db, users, take_in,
                                                                                monkeypatch, window):
    """A kind of action reads the newest seqs that may match first, along the primary key, and its parts
    (one per action) only when those hold less than a page: dense stretches of the log and sparse ones,
    page after page, give what a filter over every row gives."""
    import random

    from werkzeug.datastructures import MultiDict

    from plaju.audit import search as searching
    monkeypatch.setattr(searching, "WINDOW", window)
    rng = random.Random(window)
    req = take_in("Warga Jendela")
    for stretch in range(6):  # dense in document steps, then sparse, then dense ...
        share = (0.9, 0.05)[stretch % 2]
        for _ in range(25):
            if rng.random() < share:
                audit.record(rng.choice(["document.attach", "document.accept"]), actor=users["clerk"], subject=req)
            else:
                audit.record("user.update", actor=users["hr"], subject=users["asn"])
    db.session.commit()
    expected = [e.seq for e in db.session.scalars(
        select(AuditEvent).where(AuditEvent.action.like("document.%")).order_by(AuditEvent.seq.desc()))]
    search = searching.parse(MultiDict({"action": "document.*"}))
    assert search.ok and len(search.alternatives()) >= searching.WINDOW_FROM_PARTS
    windows = []
    listen = lambda *args: windows.append(1) if "max(audit_event.seq)" in args[2] else None  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listen)
    try:
        found, before = [], None
        while True:
            page = [e.seq for e in search.rows(before=before, limit=7)]
            found += page
            if len(page) < 7:
                break
            before = page[-1]
    finally:
        event.remove(db.engine, "before_cursor_execute", listen)
    assert found == expected
    assert windows  # the window was read


def test_a_search_answered_to_htmx_does_not_read_the_chain_head_the_page_shows(db, client, users, login_as):
    """The head of the chain is in the page's header: a new search sent by the form (HTMX, the results
    only) does not read it."""
    login_as("hr")
    audit.record("user.update", actor=users["hr"], subject=users["asn"])
    db.session.commit()
    newest = db.session.scalar(select(func.max(AuditEvent.seq)))
    seen = []

    def spy(*args):
        seen.append(" ".join(args[2].split()))
    event.listen(db.engine, "before_cursor_execute", spy)
    try:
        page = client.get("/audit/?action=user.*").get_data(as_text=True)
        on_page = len([s for s in seen if s.startswith("SELECT audit_event.seq, audit_event.hash FROM")])
        seen.clear()
        fragment = client.get("/audit/?action=user.*", headers={"HX-Request": "true", "HX-Target": "results"})
        in_fragment = len([s for s in seen if s.startswith("SELECT audit_event.seq, audit_event.hash FROM")])
    finally:
        event.remove(db.engine, "before_cursor_execute", spy)
    assert f"#{newest} " in page and on_page == 1
    body = fragment.get_data(as_text=True)
    assert fragment.status_code == 200 and "data-testid=\"audit-events\"" in body and "<html" not in body
    assert in_fragment == 0


def test_every_kind_of_object_reads_by_its_name_or_its_kind_in_words(db, users, app):
    """HR read "delegation 3" and "document" in the object column."""
    from datetime import timedelta

    from plaju.accounts.models import Delegation
    from plaju.audit import sentences
    from plaju.documents.models import DocumentType
    from plaju.timeutil import today_wib
    today = today_wib()
    delegation = Delegation(principal_id=users["camat"].id, delegate_id=users["sekcam"].id, kind="plh",
                            starts_on=today, ends_on=today + timedelta(days=2), order_number="800/1/SP")
    doc_type = DocumentType(code="sk-uji", name="Surat Keterangan Uji", service_amount=1, service_unit="days")
    db.session.add_all([delegation, doc_type])
    db.session.flush()
    with app.test_request_context():
        events = [audit.record("delegation.create", actor=users["camat"], subject=delegation),
                  audit.record("document_type.save", actor=users["admin"], subject=doc_type),
                  audit.record("document.receive", actor=users["clerk"], outcome="refused", subject_type="document"),
                  audit.record("audit.export", actor=users["hr"], subject_type="audit_export", subject_id="7")]
        db.session.commit()
        lines = sentences.render(events, subjects=True)
    shown = [line.subject for line in lines]
    assert shown[0].startswith("Plh. ") and users["sekcam"].full_name in shown[0]
    assert shown[1] == "Surat Keterangan Uji"
    assert shown[2] == "Permohonan dokumen" and shown[3] == "Ekspor log audit #7", shown


def test_a_nik_typed_into_a_reason_is_hidden_in_the_log_and_from_readers_of_no_nik(db, client, users, login_as,
                                                                                    take_in):
    """The log's readers (HR, the admin, the Camat) may not see a NIK; one typed into a step's reason showed
    in full in /audit/, its export and the request's history for the Camat."""
    from plaju.documents.services import take_action
    req = take_in()
    take_action(req, "verify", users["clerk"], version=req.version)
    req = db.session.get(type(req), req.id)
    take_action(req, "return_to_citizen", users["clerk"], version=req.version,
                comment=f"KK tidak sesuai dengan NIK {req.nik}", missing=[req.checklist_items[0]["id"]])
    login_as("hr")
    log = client.get("/audit/").get_data(as_text=True)
    assert "KK tidak sesuai dengan NIK [nomor disamarkan]" in log and req.nik not in log
    login_as("camat")
    assert req.nik not in client.get(f"/documents/{req.id}/timeline", headers={"HX-Request": "true"}).text
    login_as("clerk")  # who may see it reads it as written
    assert req.nik in client.get(f"/documents/{req.id}/timeline", headers={"HX-Request": "true"}).text


def test_a_person_search_finds_the_plh_plt_appointments_naming_them_in_one_statement(db, client, users, login_as):
    """An appointment and its revocation name the stand-in and the official, though another records them:
    only the recorder found them."""
    from datetime import timedelta

    from plaju.accounts import delegations
    from plaju.audit import search as searching
    from plaju.timeutil import today_wib

    def statements_to_find(term):
        seen = []

        def count(*_args):
            seen.append(1)
        event.listen(db.engine, "before_cursor_execute", count)
        try:
            assert searching.parse({"person": term}).ok
        finally:
            event.remove(db.engine, "before_cursor_execute", count)
        return len(seen)

    statements_to_find("sekcam")  # the connection's own first statements out of the way
    before = statements_to_find("sekcam")
    today = today_wib()
    # the administrator records them: the official and the stand-in are found as named, not as recorders
    delegation = delegations.add_delegation(users["admin"], users["camat"], users["sekcam"], "plh", today,
                                            today + timedelta(days=2), order_number="800/12/SP/2026",
                                            order_date=today)
    delegations.revoke_delegation(users["admin"], db.session.get(type(delegation), delegation.id))
    delegations.add_delegation(users["admin"], users["kasi"], users["kasi2"], "plh", today,
                               today + timedelta(days=1), order_number="800/13/SP/2026", order_date=today)
    login_as("hr")
    for term in ("sekcam", "camat"):  # the stand-in, the official
        body = client.get("/audit/", query_string={"person": term}).get_data(as_text=True)
        found = db.session.scalars(select(AuditEvent).where(AuditEvent.seq.in_(seqs(body)))).all()
        actions = sorted(e.action for e in found if e.action.startswith("delegation."))
        assert actions == ["delegation.create", "delegation.revoke"], (term, actions)
    assert statements_to_find("sekcam") == before == 1
