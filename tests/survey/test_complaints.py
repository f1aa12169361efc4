"""Complaints from the tracking page: validated and throttled, a to-do for the section heads with a
response deadline (in their inbox through the engine's assignments), the answer on the tracking page."""
import re

from sqlalchemy import func, select

from plaju.audit.models import AuditEvent
from plaju.complaints.models import Complaint
from plaju.workflow.models import WorkItem

BODY = "Sudah lewat tanggal janji tetapi status belum berubah."


def _count(db, model, *where):
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def test_a_complaint_reaches_the_section_heads_inbox_and_the_answer_the_tracking_page(
        client, db, users, make_request, login_as):
    req = make_request("processing")
    track = client.get(f"/track/{req.tracking_code}")
    assert 'data-testid="complaint-link"' in track.text
    form = client.get(f"/track/{req.tracking_code}/complaint")
    assert form.status_code == 200
    sent = client.post(f"/track/{req.tracking_code}/complaint", data={"kind": "complaint", "body": BODY})
    assert sent.status_code == 303
    [complaint] = db.session.scalars(select(Complaint)).all()
    assert (complaint.request_id, complaint.state, complaint.kind) == (req.id, "open", "complaint")
    assert (complaint.due_at - complaint.received_at).days == 14
    # one item for each section head by name: exactly who may answer (nobody handled the request yet)
    items = db.session.scalars(select(WorkItem).where(WorkItem.spec == "complaint")).all()
    assert {(i.trigger, i.user_id, i.role, i.due_at) for i in items} == {
        ("answer", users[k].id, None, complaint.due_at) for k in ("kasi", "kasi2")}
    # waiting on the tracking page
    assert "Menunggu jawaban kantor" in client.get(f"/track/{req.tracking_code}").text
    # the section head sees it in the inbox and answers it on its page
    login_as("kasi")
    inbox = client.get("/inbox/")
    assert "Pengaduan dan saran" in inbox.text and req.tracking_code in inbox.text
    page = client.get(f"/complaints/{complaint.id}")
    assert page.status_code == 200 and BODY in page.text
    assert "(halaman pelacakan) mengirim pengaduan atau saran" in page.text  # the citizen sent it, said once
    empty = client.post(f"/complaints/{complaint.id}/actions/answer", data={"version": "0", "comment": " "})
    assert empty.status_code == 422
    answer = "Mohon maaf, berkas sudah kami proses hari ini dan siap diambil besok."
    done = client.post(f"/complaints/{complaint.id}/actions/answer", data={"version": "0", "comment": answer},
                       headers={"HX-Request": "true"})
    assert done.status_code == 200 and 'id="panel"' in done.text and answer in done.text
    assert "<html" not in done.text
    assert _count(db, WorkItem, WorkItem.spec == "complaint") == 0
    client.post("/logout")
    track = client.get(f"/track/{req.tracking_code}")
    assert answer in track.text and 'data-testid="complaint-answer"' in track.text
    # who acted is in the audit trail, not on the public page
    assert users["kasi"].full_name not in track.text
    db.session.rollback()
    actions = [(e.action, e.outcome) for e in db.session.scalars(select(AuditEvent).where(
        AuditEvent.subject_type == "complaint").order_by(AuditEvent.seq))]
    assert actions == [("complaint.submit", "ok"), ("complaint.answer", "refused"), ("complaint.answer", "ok")]


def test_bad_complaints_change_nothing_and_are_audited(client, db, make_request):
    req = make_request("processing")
    url = f"/track/{req.tracking_code}/complaint"
    for data, words in (({"kind": "complaint", "body": "pendek"}, "antara 10 dan 2000"),
                        ({"kind": "curhat", "body": BODY}, "Pilih pengaduan atau saran"),
                        ({"kind": "complaint", "body": "x" * 2001}, "antara 10 dan 2000"),
                        ({"kind": "complaint", "body": "Baris\x00nol " * 3}, "")):
        response = client.post(url, data=data)
        assert response.status_code in (400, 422), data
        assert words in response.text
    assert _count(db, Complaint) == 0
    assert client.post("/track/PLJ-AAAAA-BBBBB/complaint", data={"kind": "complaint", "body": BODY}).status_code == 404
    assert _count(db, AuditEvent, AuditEvent.action.in_(("complaint.submit", "input.refused")),
                  AuditEvent.outcome == "refused") >= 3
    # the request's history says it in the form's words, greyed as an attempt, not as an incident
    comments = list(db.session.scalars(select(AuditEvent.comment).where(AuditEvent.action == "complaint.submit")))
    assert comments and all(c.startswith("[input:") for c in comments) and not any("body:" in c for c in comments)


def test_the_same_message_twice_and_too_many_open_ones_are_refused(client, db, make_request):
    req = make_request("processing")
    url = f"/track/{req.tracking_code}/complaint"
    assert client.post(url, data={"kind": "complaint", "body": BODY}).status_code == 303
    again = client.post(url, data={"kind": "complaint", "body": BODY})
    assert again.status_code == 422 and "sudah terkirim" in again.text
    assert client.post(url, data={"kind": "suggestion", "body": BODY + " 2"}).status_code == 303
    assert client.post(url, data={"kind": "suggestion", "body": BODY + " 3"}).status_code == 303
    full = client.post(url, data={"kind": "suggestion", "body": BODY + " 4"})
    assert full.status_code == 422 and "menunggu jawaban" in full.text
    assert _count(db, Complaint) == 3


def test_sending_is_throttled(client, db, make_request):
    reqs = [make_request("processing") for _ in range(3)]
    statuses = []
    for i in range(6):
        req = reqs[i % 3]
        statuses.append(client.post(f"/track/{req.tracking_code}/complaint",
                                    data={"kind": "complaint", "body": f"{BODY} ({i})"}).status_code)
    assert statuses[:5] == [303] * 5 and statuses[5] == 429
    assert _count(db, Complaint) == 5


def test_a_message_sent_back_to_be_corrected_does_not_use_up_the_hour(client, db, make_request):
    """Two complaints and three forms sent back (empty, too short) locked the citizen out for an hour with
    what she meant to say: only what is sent, or refused as not to be sent, counts."""
    reqs = [make_request("processing") for _ in range(3)]
    for body in ("", "x", "   "):
        assert client.post(f"/track/{reqs[0].tracking_code}/complaint",
                           data={"kind": "complaint", "body": body}).status_code == 422
    statuses = [client.post(f"/track/{reqs[i % 3].tracking_code}/complaint",
                            data={"kind": "complaint", "body": f"{BODY} ({i})"}).status_code for i in range(6)]
    assert statuses == [303] * 5 + [429]


def test_only_section_heads_and_leaders_read_and_answer(client, db, users, make_request, login_as):
    req = make_request("processing")
    client.post(f"/track/{req.tracking_code}/complaint", data={"kind": "suggestion", "body": BODY})
    complaint = db.session.scalars(select(Complaint)).one()
    for who, status in (("asn", 403), ("clerk", 403), ("hr", 403), ("camat", 200), ("kasi", 200)):
        login_as(who)
        assert client.get("/complaints/").status_code == status, who
    login_as("clerk")
    assert client.post(f"/complaints/{complaint.id}/actions/answer",
                       data={"version": "0", "comment": "Jawaban"}).status_code == 403
    login_as("camat")  # reads, but the answer is the section heads' step
    refused = client.post(f"/complaints/{complaint.id}/actions/answer", data={"version": "0", "comment": "Jawaban"})
    assert refused.status_code == 403
    assert _count(db, Complaint, Complaint.state == "open") == 1
    assert _count(db, AuditEvent, AuditEvent.outcome == "refused",
                  AuditEvent.action.in_(("complaint.view", "complaint.answer"))) >= 4
    login_as("kasi")
    fragment = client.get("/complaints/", headers={"HX-Request": "true"})
    assert fragment.status_code == 200 and 'id="list"' in fragment.text and "<html" not in fragment.text
    listing = client.get("/complaints/")
    assert re.search(rf">{req.tracking_code}<", listing.text)


def test_the_audit_log_reads_the_kind_of_a_complaint_in_words(client, db, make_request, login_as):
    req = make_request("processing")
    client.post(f"/track/{req.tracking_code}/complaint",
                data={"kind": "suggestion", "body": "Mohon ditambah kursi di ruang tunggu kantor."})
    login_as("admin")
    page = client.get("/audit/").text
    assert "Jenis: Saran" in page and "Jenis: suggestion" not in page


def test_numbers_that_identify_a_person_are_hidden_on_the_public_page(client, db, make_request, login_as):
    """Whoever holds the tracking code reads the page: a NIK or a phone typed into a complaint is not shown
    there, while the section head reads the text as written; a date stays."""
    req = make_request("processing")
    body = ("Belum selesai sejak 30-11-2026. NIK saya 1671 0610 1090 0004, hubungi 0812-7777-1234 atau "
            "+62 813 1234 5678.")
    assert client.post(f"/track/{req.tracking_code}/complaint",
                       data={"kind": "complaint", "body": body}).status_code == 303
    track = client.get(f"/track/{req.tracking_code}").text
    assert "1671 0610 1090 0004" not in track and "0812-7777-1234" not in track and "0004" not in track
    assert track.count("[nomor disamarkan]") == 3 and "sejak 30-11-2026" in track and "+[" not in track
    # however the numbers are separated: commas, spaced dashes, a phone's area code in brackets
    other = make_request("processing")
    odd = ("NIK 1671,0101,9000,0011 atau 1671 - 0102 - 9100 - 0022, telepon (0711) 5123456, tanggal 01/12/2026. "
           "WA 0812 ,  3456 ,  7891 lalu\n1671\n0812\n0385\n0512\n dan 1671O812O3850513 atau "
           "1671 -- 0812 -- 0385 -- 0514")
    assert client.post(f"/track/{other.tracking_code}/complaint",
                       data={"kind": "complaint", "body": odd}).status_code == 303
    track = client.get(f"/track/{other.tracking_code}").text
    for number in ("0011", "0022", "5123456", "7891", "0512", "0513", "0514"):
        assert number not in track, number
    assert track.count("[nomor disamarkan]") == 7 and "tanggal 01/12/2026" in track
    # an e-mail address, and a local number of seven digits, hidden as in a step's reason on the same page
    third = make_request("processing")
    assert client.post(f"/track/{third.tracking_code}/complaint", data={
        "kind": "complaint", "body": "Balas ke siti.rahma@gmail.com atau telepon rumah 512 3456, terima kasih."
    }).status_code == 303
    track = client.get(f"/track/{third.tracking_code}").text
    assert "siti.rahma@gmail.com" not in track and "512 3456" not in track and "terima kasih" in track
    login_as("kasi")  # hidden on the office's pages too, until asked for (recorded) to call the citizen back
    complaint = db.session.scalars(select(Complaint).order_by(Complaint.id)).first()
    page = client.get(f"/complaints/{complaint.id}").text
    assert body not in page and 'data-testid="show-full-text"' in page
    assert "0812-7777-1234" not in client.get("/inbox/").text + client.get("/complaints/").text
    assert body in client.post(f"/complaints/{complaint.id}/full", headers={"HX-Request": "true"}).text
    [shown] = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "complaint.view_full")).all()
    assert shown.outcome == "ok" and shown.subject_id == str(complaint.id)


def test_a_nik_typed_into_a_complaint_is_shown_only_to_who_may_see_a_nik(client, db, users, make_request,
                                                                           login_as):
    """The Sekcam reads complaints but not citizens' NIKs (documents.services.can_view): the number a
    citizen typed is hidden for him, as on the public page; the Kasi sees the text as written."""
    req = make_request("processing")
    body = f"Status belum berubah, NIK saya {req.nik}, mohon dicek."
    assert client.post(f"/track/{req.tracking_code}/complaint",
                       data={"kind": "complaint", "body": body}).status_code == 303
    complaint = db.session.scalars(select(Complaint)).one()
    login_as("sekcam")
    for path in ("/complaints/", f"/complaints/{complaint.id}"):
        page = client.get(path).text
        assert req.nik not in page and "Status belum berubah" in page, path
    assert client.post(f"/complaints/{complaint.id}/full").status_code == 403  # and he cannot ask for it
    login_as("kasi")
    assert req.nik not in client.get(f"/complaints/{complaint.id}").text
    assert req.nik in client.post(f"/complaints/{complaint.id}/full").text
    # whoever reads it sees who answers it (the answer asks a reason: it was left out of "waiting for")
    assert 'data-testid="waiting-for"' in client.get(f"/complaints/{complaint.id}").text
    # the answer, and numbers written with slashes or doubled spaces, are hidden the same way
    slashed = "/".join(req.nik[i:i + 4] for i in range(0, 16, 4))
    answer = f"Sudah kami cek data NIK {slashed} dan  {'  '.join(req.nik[i:i + 4] for i in range(0, 16, 4))}."
    assert client.post(f"/complaints/{complaint.id}/actions/answer",
                       data={"version": "0", "comment": answer}).status_code in (200, 303)
    login_as("sekcam")
    page = client.get(f"/complaints/{complaint.id}").text
    assert "Sudah kami cek data NIK" in page and slashed not in page and req.nik[:4] + "  " not in page
    client.post("/logout")
    public = client.get(f"/track/{req.tracking_code}").text
    assert "Sudah kami cek data NIK" in public and slashed not in public


def test_a_complaint_is_named_by_what_it_is_and_when_it_came_not_by_its_number(client, db, make_request,
                                                                                 login_as):
    req = make_request("processing")
    client.post(f"/track/{req.tracking_code}/complaint",
                data={"kind": "complaint", "body": "Belum ada kabar sama sekali."})
    login_as("hr")
    log = client.get("/audit/").text
    assert f"Pengaduan {req.tracking_code}, " in log and f"{req.tracking_code} #" not in log


def test_the_complaint_page_says_where_the_request_stands_and_folds_the_closing(client, db, make_request, login_as):
    req = make_request("returned")
    body = "Berkas saya dikembalikan padahal lengkap."
    assert client.post(f"/track/{req.tracking_code}/complaint", data={"kind": "complaint", "body": body}
                       ).status_code == 303
    complaint = db.session.scalars(select(Complaint)).one()
    login_as("kasi")
    page = client.get(f"/complaints/{complaint.id}").text
    assert "permohonan sekarang" in page and "Dikembalikan ke pemohon" in page
    assert page.index("<details") < page.index('data-testid="action-close"')  # the answer is the open box


def test_the_kasi_who_handled_a_request_neither_answers_nor_closes_a_complaint_about_it(
        client, db, users, make_request, login_as):
    """A complaint that the Kasi who processed the request asked for extra money was closed "without an
    answer" by that Kasi. Another section head answers it; the first is refused, and it is in the log."""
    from plaju.documents.services import take_action
    req = make_request("verifying")
    take_action(req, "accept", users["kasi"], version=req.version)
    client.post(f"/track/{req.tracking_code}/complaint",
                data={"kind": "complaint", "body": "Kasi yang memproses meminta uang tambahan."})
    complaint = db.session.scalars(select(Complaint)).one()
    login_as("kasi")
    assert 'data-kind="complaint"' not in client.get("/inbox/").text
    page = client.get(f"/complaints/{complaint.id}").text  # says why, and who answers instead
    assert 'data-testid="no-actions"' in page and users["kasi2"].full_name in page
    for step in ("close", "answer"):
        refused = client.post(f"/complaints/{complaint.id}/actions/{step}",
                              data={"version": "0", "comment": "Aduan tidak berdasar."})
        assert refused.status_code == 403 and 'data-testid="no-actions"' in refused.text, step
    assert _count(db, Complaint, Complaint.state == "open") == 1
    refusals = db.session.scalars(select(AuditEvent).where(
        AuditEvent.action.in_(("complaint.close", "complaint.answer")), AuditEvent.outcome == "refused")).all()
    # the log says why, as the page did: four eyes, not "not allowed"
    assert len(refusals) == 2 and all(e.comment.startswith("[four_eyes]") and "Anda menangani permohonan" in
                                      e.comment for e in refusals), [e.comment for e in refusals]
    login_as("kasi2")
    short = client.post(f"/complaints/{complaint.id}/actions/answer", data={"version": "0", "comment": "ok"})
    assert short.status_code == 422 and "pemohon dan rekan Anda membacanya" in short.text  # the citizen reads it
    assert client.post(f"/documents/{req.id}/nik").status_code == 200  # a look at the NIK is no step taken
    assert _count(db, AuditEvent, AuditEvent.action == "document.view_nik") == 1
    assert 'data-kind="complaint"' in client.get("/inbox/").text
    done = client.post(f"/complaints/{complaint.id}/actions/answer",
                       data={"version": "0", "comment": "Kami periksa dan menindaklanjuti aduan Anda."})
    assert done.status_code in (200, 303) and _count(db, Complaint, Complaint.state == "answered") == 1


def _handled_by_both_kasi(users, req):
    """The reviewer's request: one Kasi returned it to the citizen, the clerk recorded the papers brought
    back, the other Kasi accepted it."""
    from plaju.documents.services import take_action
    first = req.checklist_items[0]["id"]
    req = take_action(req, "return_to_citizen", users["kasi"], version=req.version,
                      comment="surat keterangan lahir tidak terbaca", missing={first})
    req = take_action(req, "resubmit", users["clerk"], version=req.version, ticked={first})
    return take_action(req, "accept", users["kasi2"], version=req.version)


def _inbox_lists_it(client, login_as, who) -> bool:
    login_as(who)
    return 'data-kind="complaint"' in client.get("/inbox/").text


def test_a_complaint_about_a_request_both_kasi_handled_waits_for_the_sekcam(client, db, users, make_request,
                                                                             login_as):
    """Every section head took a step on the request: the Sekcam answers, it is in his inbox alone, and the
    complaint's page names him; neither Kasi holds a to-do they could never clear."""
    req = _handled_by_both_kasi(users, make_request("verifying"))
    assert client.post(f"/track/{req.tracking_code}/complaint",
                       data={"kind": "complaint", "body": BODY}).status_code == 303
    complaint = db.session.scalars(select(Complaint)).one()
    items = db.session.scalars(select(WorkItem).where(WorkItem.spec == "complaint")).all()
    assert {(i.trigger, i.user_id, i.role) for i in items} == {("answer", users["sekcam"].id, None)}
    assert items[0].due_at == complaint.due_at  # the 14 days of UU 25/2009 run in his inbox
    for kasi in ("kasi", "kasi2"):
        assert not _inbox_lists_it(client, login_as, kasi), kasi
        page = client.get(f"/complaints/{complaint.id}").text
        assert 'data-testid="no-actions"' in page and 'data-testid="action-answer"' not in page, kasi
        waits = re.search(r'data-testid="waiting-for">.*?</p>', page, re.S).group(0)
        assert users["sekcam"].full_name in waits, kasi  # who it waits for, by name
    assert _inbox_lists_it(client, login_as, "sekcam")
    page = client.get(f"/complaints/{complaint.id}").text
    assert 'data-testid="action-answer"' in page and 'data-testid="action-close"' in page
    done = client.post(f"/complaints/{complaint.id}/actions/answer",
                       data={"version": "0", "comment": "Kami periksa dan menindaklanjuti aduan Anda."})
    assert done.status_code in (200, 303)
    assert _count(db, Complaint, Complaint.state == "answered") == 1
    assert _count(db, WorkItem, WorkItem.spec == "complaint") == 0


def test_a_kasi_appointed_while_a_complaint_waits_for_the_sekcam_takes_it_over(client, db, users, make_request,
                                                                                login_as):
    """The complaint stayed with the Sekcam after a new Kasi was appointed, until someone ran a command."""
    from tests.accounts.test_people import _edit_form
    from tests.support import make_user
    req = _handled_by_both_kasi(users, make_request("verifying"))
    client.post(f"/track/{req.tracking_code}/complaint", data={"kind": "complaint", "body": BODY})
    login_as("admin")
    newcomer = make_user("kasi3")
    assert client.post(f"/people/{newcomer.id}/edit",
                       data=_edit_form(newcomer, roles=["section_head"])).status_code == 302
    items = db.session.scalars(select(WorkItem).where(WorkItem.spec == "complaint")).all()
    assert {i.user_id for i in items} == {newcomer.id}
    assert _inbox_lists_it(client, login_as, "kasi3") and not _inbox_lists_it(client, login_as, "sekcam")


def test_without_an_active_sekcam_the_camat_answers(client, db, users, make_request, login_as):
    users["sekcam"].active = False
    db.session.commit()
    req = _handled_by_both_kasi(users, make_request("verifying"))
    client.post(f"/track/{req.tracking_code}/complaint", data={"kind": "complaint", "body": BODY})
    complaint = db.session.scalars(select(Complaint)).one()
    assert {i.user_id for i in db.session.scalars(select(WorkItem).where(WorkItem.spec == "complaint"))} == {
        users["camat"].id}
    assert _inbox_lists_it(client, login_as, "camat")
    done = client.post(f"/complaints/{complaint.id}/actions/close",
                       data={"version": "0", "comment": "Pesan yang sama sudah kami jawab."})
    assert done.status_code in (200, 303) and _count(db, Complaint, Complaint.state == "closed") == 1


def test_a_kasi_who_takes_a_step_on_the_request_after_the_complaint_no_longer_holds_it(
        client, db, users, make_request, login_as):
    """Who answers follows the request: the Kasi who would have answered takes a step on it after the
    complaint came, and the complaint moves on to whoever may still answer, in that step's transaction."""
    from plaju.documents.services import take_action
    req = make_request("verifying")
    req = take_action(req, "accept", users["kasi"], version=req.version)
    client.post(f"/track/{req.tracking_code}/complaint", data={"kind": "complaint", "body": BODY})
    complaint = db.session.scalars(select(Complaint)).one()
    assert _inbox_lists_it(client, login_as, "kasi2") and not _inbox_lists_it(client, login_as, "kasi")
    db.session.rollback()
    take_action(db.session.get(type(req), req.id), "return_to_citizen", users["kasi2"], version=req.version,
                comment="surat keterangan lahir tidak terbaca", missing={req.checklist_items[0]["id"]})
    assert not _inbox_lists_it(client, login_as, "kasi2")
    assert _inbox_lists_it(client, login_as, "sekcam")
    # told so: the notice of who no longer answers closes, the Sekcam's opens
    assert _open_notes(db, users["kasi2"]) == [] and len(_open_notes(db, users["sekcam"])) == 1
    [item] = db.session.scalars(select(WorkItem).where(WorkItem.spec == "complaint")).all()
    assert item.since == complaint.received_at  # still waiting since it came, not since the request's step


def _open_notes(db, user) -> list:
    from plaju.notify.models import Notification
    return list(db.session.scalars(select(Notification).where(
        Notification.user_id == user.id, Notification.subject_type == "complaint",
        Notification.done_at.is_(None))))


def test_whoever_a_complaint_waits_for_is_told_in_person_and_the_notice_closes_with_it(
        client, db, users, make_request, login_as):
    """A complaint of extortion with a 14-day deadline sat unseen: nobody was told it reached them. Each
    answerer is told; the Sekcam when both Kasi handled the request; the notices close once it is answered."""
    req = make_request("processing")
    assert client.post(f"/track/{req.tracking_code}/complaint",
                       data={"kind": "complaint", "body": BODY}).status_code == 303
    complaint = db.session.scalars(select(Complaint)).one()
    for kasi in ("kasi", "kasi2"):
        [note] = _open_notes(db, users[kasi])
        assert note.todo_step == "answer" and note.url == f"/complaints/{complaint.id}"
        assert "Menunggu tindakan Anda" in note.subject
    assert _open_notes(db, users["sekcam"]) == []
    login_as("kasi")
    client.post(f"/complaints/{complaint.id}/actions/answer",
                data={"version": "0", "comment": "Sudah kami tindak lanjuti."})
    db.session.expire_all()
    assert _open_notes(db, users["kasi"]) == [] and _open_notes(db, users["kasi2"]) == []

    handled = _handled_by_both_kasi(users, make_request("verifying"))
    assert client.post(f"/track/{handled.tracking_code}/complaint",
                       data={"kind": "complaint", "body": BODY + " Kedua."}).status_code == 303
    assert len(_open_notes(db, users["sekcam"])) == 1
    assert _open_notes(db, users["kasi"]) == [] and _open_notes(db, users["kasi2"]) == []


def test_refused_posts_from_one_address_are_bounded_too(app, client, db, make_request):
    """A refused complaint is a row of the audit log: the sending limit does not count it, the public post limit
    does, so one receipt cannot fill the log from outside."""
    req = make_request("processing")
    old = app.config.get("PUBLIC_POST_LIMIT")
    app.config["PUBLIC_POST_LIMIT"] = "4 per hour"
    try:
        statuses = [client.post(f"/track/{req.tracking_code}/complaint", data={"kind": "complaint", "body": ""}
                                ).status_code for _ in range(5)]
    finally:
        app.config["PUBLIC_POST_LIMIT"] = old
    assert statuses == [422] * 4 + [429]


def test_an_amount_of_money_and_the_office_s_landline_stay_on_the_public_page(client, db, make_request, login_as):
    """A complaint of an illegal fee is about its amount ("Rp 50.000" showed as "Rp [nomor disamarkan]"), and the
    office's answer gives its own line to call; a mobile number or a NIK in the same texts stays hidden."""
    req = make_request("processing")
    body = "Petugas minta uang Rp 50.000 agar cepat selesai. HP saya 0812-7777-1234."
    assert client.post(f"/track/{req.tracking_code}/complaint",
                       data={"kind": "complaint", "body": body}).status_code == 303
    complaint = db.session.scalars(select(Complaint)).one()
    login_as("kasi")
    answer = f"Uang Rp50.000,- sudah dikembalikan. Hubungi kami di 0711-512345 (bukan 0812 9999 1234, NIK {req.nik})."
    assert client.post(f"/complaints/{complaint.id}/actions/answer",
                       data={"version": "0", "comment": answer}).status_code in (200, 303)
    client.post("/logout")
    public = client.get(f"/track/{req.tracking_code}").text
    assert "minta uang Rp 50.000 agar" in public and "Uang Rp50.000,- sudah dikembalikan" in public
    assert "Hubungi kami di 0711-512345" in public
    for hidden in ("0812-7777-1234", "0812 9999 1234", req.nik):
        assert hidden not in public, hidden
    assert "Rp 081234567890" not in __import__("plaju.inputs", fromlist=["x"]).hide_contact_details(
        "Rp 081234567890")  # a phone number written as an amount is no amount


def test_no_mobile_number_or_nik_survives_beside_a_kept_landline(app):
    """Keeping the office's landline kept the landline-looking part of a longer number ("0812 0711 51234", a
    NIK "16.71.01.070485.0113") and left the rest in pieces too short to hide: a landline is kept only whole."""
    import random

    from plaju.inputs import hide_contact_details
    rng = random.Random(7)
    groupings = ((4, 4, 4), (4, 3, 5), (3, 4, 5), (4, 4, 5), (2, 2, 2, 6, 4), (6, 6, 4), (4, 4, 4, 4))
    with app.test_request_context():
        for _n in range(600):
            mobile = "08" + "".join(rng.choice("0123456789") for _ in range(rng.choice((9, 10, 11))))
            nik = rng.choice(("1671", "3171", "1604")) + "".join(rng.choice("0123456789") for _ in range(12))
            for number in (mobile, nik):
                parts, at = [], 0
                for size in rng.choice(groupings):
                    parts.append(number[at:at + size])
                    at += size
                written = rng.choice((" ", ".", "-", " - ")).join(p for p in parts if p) + number[at:]
                said = hide_contact_details(f"Kantor 0711 512345, nomor {written} dicek.", keep_landlines=True)
                assert "0711 512345" in said, said
                digits = "".join(c for c in said.split("nomor", 1)[1] if c.isdigit())
                assert len(digits) < 5, (written, said)
        for amount in ("Rp 1.671.010.307.900.001", "0812.345.678 ribu"):  # no amounts, numbers
            assert "[nomor disamarkan]" in hide_contact_details(amount)
