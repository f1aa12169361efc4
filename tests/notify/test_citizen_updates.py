"""Citizens hear of their requests through the configured gateway, each adapter against a local HTTP
server on 127.0.0.1: returned, ready, overdue with a new date and handed over, tracking code and status
only, never while the gateway's outage or error could lose a message, and never without consent."""
import json
import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from plaju.audit.models import AuditEvent
from plaju.database import clock_at, utcnow
from plaju.documents import sla
from plaju.documents.models import DocumentRequest
from plaju.documents.services import sweep, take_action
from plaju.notify import outbox
from plaju.notify.models import OutboxMessage
from tests.conftest import PG_URL
from tests.documents.conftest import fresh, valid_nik
from tests.notify.conftest import CLOUD_TOKEN, GATEWAY_TOKEN, PHONE_NUMBER_ID

ADAPTERS = ["form_gateway", "whatsapp_cloud"]
NAME = "Siti Nurhaliza Pratiwi"


def _later(minutes=10):
    return clock_at(utcnow() + timedelta(minutes=minutes))


def _citizen(make_request, state="verifying", type_code="akta-lahir", consent=True, **fields):
    """A request whose citizen gave a phone (and agreed to updates unless consent=False)."""
    return make_request(state, type_code, name=NAME, nik=valid_nik(female=True),
                        contact_consent_at=utcnow() if consent else None, **fields)


def _return_and_finish(db, users, req):
    """Returned for a missing document, brought back, processed via Disdukcapil and ready."""
    first = req.checklist_items[0]["id"]
    req = take_action(req, "return_to_citizen", users["clerk"], version=req.version,
                      comment="Surat keterangan lahir tidak terbaca", missing={first})
    req = take_action(fresh(db, req), "resubmit", users["clerk"], version=req.version, ticked={first})
    for trigger, who in (("accept", "kasi"), ("forward", "clerk"), ("back_from_disdukcapil", "clerk"),
                         ("complete", "kasi")):
        req = take_action(fresh(db, req), trigger, users[who], version=req.version)
    return fresh(db, req)


def _rows(db):
    db.session.rollback()
    return list(db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def _texts(server, adapter) -> list[str]:
    """What the phone received: the message field, or the template's parameters."""
    if adapter == "form_gateway":
        return [form["message"] for form in server.forms()]
    return [" | ".join(p["text"] for p in payload["template"]["components"][0]["parameters"])
            for payload in server.payloads()]


@pytest.mark.parametrize("adapter", ADAPTERS)
def test_the_phone_receives_returned_and_ready_with_the_right_body(request, adapter, db, users, make_request):
    server = request.getfixturevalue(adapter)
    req = _citizen(make_request)
    assert server.requests == []
    req = _return_and_finish(db, users, req)
    assert req.state == "ready"
    rows = _rows(db)
    assert [r.channel for r in rows] == [adapter, adapter]
    assert all(r.sent_at is not None and r.attempts == 1 and r.address == "6281234567890" for r in rows)
    assert len(server.requests) == 2
    returned, ready = server.requests
    code = req.tracking_code
    if adapter == "form_gateway":
        for sent, row in zip(server.requests, rows, strict=True):
            assert sent["path"] == "/send"
            assert sent["headers"]["Authorization"] == GATEWAY_TOKEN
            assert sent["headers"]["Idempotency-Key"] == row.message_id
        first, second = server.forms()
        assert first == {"countryCode": "62", "target": "6281234567890", "message": first["message"]}
        assert first["message"].startswith(f"Kecamatan Plaju: permohonan {code} dikembalikan karena berkas belum "
                                           "lengkap")
        assert second["target"] == "6281234567890"
        assert second["message"] == (f"Kecamatan Plaju: dokumen permohonan {code} sudah selesai dan dapat diambil "
                                     "di kantor kecamatan. Bawa tanda terima dan kartu identitas Anda.")
    else:
        today = json.loads(rows[0].body)["parameters"][2]
        for sent in server.requests:
            assert sent["path"] == f"/v21.0/{PHONE_NUMBER_ID}/messages"
            assert sent["headers"]["Authorization"] == f"Bearer {CLOUD_TOKEN}"
            assert sent["headers"]["Content-Type"] == "application/json"
        first, second = server.payloads()
        assert first == {
            "messaging_product": "whatsapp", "recipient_type": "individual", "to": "6281234567890",
            "type": "template", "biz_opaque_callback_data": rows[0].message_id,
            "template": {"name": "plaju_status_permohonan", "language": {"code": "id"},
                         "components": [{"type": "body", "parameters": [
                             {"type": "text", "text": code},
                             {"type": "text", "text": "Dikembalikan: berkas belum lengkap"},
                             {"type": "text", "text": today}]}]}}
        assert [p["text"] for p in second["template"]["components"][0]["parameters"]][:2] == [code, "Siap diambil"]
        assert second["biz_opaque_callback_data"] == rows[1].message_id
        assert today.endswith(str(sla.wib_date(utcnow()).year))


@pytest.mark.parametrize("adapter", ADAPTERS)
def test_gateway_down_loses_no_message_and_blocks_no_step(request, adapter, app, db, users, make_request):
    server = request.getfixturevalue(adapter)
    server.stop()  # nothing listens on the gateway's port
    req = _citizen(make_request, "signed", "sktm")
    req = take_action(req, "mark_ready", users["clerk"], version=req.version)
    assert fresh(db, req).state == "ready"  # the step committed although the gateway is down
    [row] = _rows(db)
    assert row.sent_at is None and row.attempts == 1 and row.last_error
    assert "Connection refused" in row.last_error or "URLError" in row.last_error
    assert GATEWAY_TOKEN not in row.last_error and CLOUD_TOKEN not in row.last_error
    assert row.next_attempt_at > utcnow()
    assert outbox.deliver_due() == 0  # not due yet: backed off
    server.start()  # the same port again
    with _later():
        result = app.test_cli_runner().invoke(args=["outbox", "deliver"])
    assert result.exit_code == 0, result.output
    assert "sent: 1, pending: 0" in result.output
    assert len(server.requests) == 1 and "diambil" in _texts(server, adapter)[0].lower()
    [row] = _rows(db)
    assert row.sent_at is not None and row.attempts == 2 and row.last_error is None
    with _later(120):
        assert outbox.deliver_due() == 0
    assert len(server.requests) == 1  # exactly once


ERROR_REPLIES = {
    "form_gateway": (200, b'{"status": false, "reason": "device disconnected"}', "device disconnected"),
    "whatsapp_cloud": (200, b'{"error": {"message": "(#131056) pair rate limit hit", "code": 131056}}',
                       "pair rate limit hit"),
}


@pytest.mark.parametrize("adapter", ADAPTERS)
def test_an_http_500_and_an_error_reply_are_retried_with_the_same_message_id(request, adapter, db, users,
                                                                             make_request):
    server = request.getfixturevalue(adapter)
    status, body, said = ERROR_REPLIES[adapter]
    server.replies = [(500, b"Internal Server Error"), (status, body)]
    req = _citizen(make_request, "ready", "sktm")
    take_action(req, "hand_over", users["clerk"], version=req.version, fields={"id_checked": "1"})
    assert fresh(db, req).state == "handed_over"
    [row] = _rows(db)
    assert (row.sent_at, row.attempts, row.last_error) == (None, 1, "SendError: HTTP 500")
    with _later(3):
        assert outbox.deliver_due() == 0
    [row] = _rows(db)
    assert row.sent_at is None and row.attempts == 2 and said in row.last_error
    with _later(10):
        assert outbox.deliver_due() == 1
    [row] = _rows(db)
    assert row.sent_at is not None and row.attempts == 3 and row.last_error is None
    assert len(server.requests) == 3
    if adapter == "form_gateway":
        assert {r["headers"]["Idempotency-Key"] for r in server.requests} == {row.message_id}
        assert len({f["message"] for f in server.forms()}) == 1
    else:
        assert {p["biz_opaque_callback_data"] for p in server.payloads()} == {row.message_id}
    assert "diserahkan" in _texts(server, adapter)[0].lower()


def test_a_cloud_api_reply_without_an_accepted_message_is_not_taken_for_delivery(whatsapp_cloud, db, users,
                                                                                 make_request):
    whatsapp_cloud.replies = [(200, b'{"messaging_product": "whatsapp", "messages": []}')]
    req = _citizen(make_request, "signed", "sktm")
    take_action(req, "mark_ready", users["clerk"], version=req.version)
    [row] = _rows(db)
    assert row.sent_at is None and "accepted no message" in row.last_error
    with _later():
        assert outbox.deliver_due() == 1


def test_the_form_gateway_can_take_the_token_and_message_id_as_form_fields(app, form_gateway, db, users,
                                                                           make_request):
    app.config.update(GATEWAY_TOKEN_FIELD="userkey", GATEWAY_NUMBER_FIELD="to", GATEWAY_MESSAGE_FIELD="pesan",
                      GATEWAY_ID_FIELD="ref", GATEWAY_EXTRA_FIELDS="")
    req = _citizen(make_request, "signed", "sktm")
    take_action(req, "mark_ready", users["clerk"], version=req.version)
    [row] = _rows(db)
    [form] = form_gateway.forms()
    assert form == {"to": "6281234567890", "pesan": form["pesan"], "ref": row.message_id, "userkey": GATEWAY_TOKEN}
    assert req.tracking_code in form["pesan"]
    assert "Authorization" not in form_gateway.requests[0]["headers"]


def test_the_sweep_gives_an_overdue_request_a_new_date_and_tells_the_citizen_once(app, form_gateway, db, users,
                                                                                  make_request):
    req = _citizen(make_request, "processing", "ktp-baru", due_at=utcnow() - timedelta(hours=2))
    on_time = _citizen(make_request, "processing", "ktp-baru", due_at=utcnow() + timedelta(days=30))
    result = sweep()
    assert result["revised"] == 1
    row = fresh(db, req)
    assert row.revised_due_at is not None and row.revised_due_at > utcnow()
    assert fresh(db, on_time).revised_due_at is None
    # missed by less than one service standard (3 working days): the due time plus one standard
    expected = sla.add_working_minutes(row.due_at, 3 * sla.DAY_MINUTES)
    assert row.revised_due_at == expected
    [message] = _texts(form_gateway, "form_gateway")
    day = sla.wib_date(row.revised_due_at)
    assert message.startswith(f"Kecamatan Plaju: mohon maaf, permohonan {req.tracking_code} belum selesai pada "
                              "tanggal yang dijanjikan. Tanggal janji baru: ")
    assert message.endswith(f"{day.day} {MONTHS[day.month]} {day.year}.")
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "document.revise_promise")).one()
    assert event.subject_id == str(req.id)
    # the next sweeps (cron every hour) keep the date and send nothing more
    assert sweep()["revised"] == 0 and sweep(now=utcnow() + timedelta(days=1))["revised"] == 0
    assert len(form_gateway.requests) == 1 and fresh(db, req).revised_due_at == row.revised_due_at
    # the new date passes too: one more date, one more message
    first_date = row.revised_due_at
    later = first_date + timedelta(minutes=1)
    with clock_at(later):
        assert sweep(now=later)["revised"] == 1
    assert fresh(db, req).revised_due_at == sla.add_working_minutes(row.due_at, 6 * sla.DAY_MINUTES)
    assert len(form_gateway.requests) == 2


MONTHS = {1: "Januari", 2: "Februari", 3: "Maret", 4: "April", 5: "Mei", 6: "Juni", 7: "Juli", 8: "Agustus",
          9: "September", 10: "Oktober", 11: "November", 12: "Desember"}


def test_two_sweeps_give_one_new_date_and_one_message(app, form_gateway, db, users, make_request):
    req = _citizen(make_request, "processing", "ktp-baru", due_at=utcnow() - timedelta(hours=2))
    first = sweep()
    second = sweep()
    assert (first["revised"], second["revised"]) == (1, 0)
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)
                             .where(OutboxMessage.channel == "form_gateway")) == 1
    assert fresh(db, req).revised_due_at is not None


def test_an_e_mail_goes_to_the_citizen_who_gave_an_address(db, users, make_request, smtp):
    req = _citizen(make_request, email="warga@contoh.id")
    req = take_action(req, "return_to_citizen", users["clerk"], version=req.version, comment="KK kurang",
                      missing={req.checklist_items[0]["id"]})
    [mail] = smtp.to("warga@contoh.id")
    assert mail["Subject"] == f"Permohonan {req.tracking_code}: Dikembalikan: berkas belum lengkap"
    assert "dikembalikan karena berkas belum lengkap" in mail.get_content()
    [row] = _rows(db)
    assert row.channel == "email" and row.user_id is None and mail["Message-ID"] == f"<{row.message_id}@plaju.local>"


def test_the_tracking_link_is_added_when_the_public_address_is_known(app, form_gateway, db, users, make_request):
    app.config["PUBLIC_URL"] = "https://layanan.plaju.example/"
    try:
        req = _citizen(make_request, "signed", "sktm")
        take_action(req, "mark_ready", users["clerk"], version=req.version)
    finally:
        app.config["PUBLIC_URL"] = ""
    [message] = _texts(form_gateway, "form_gateway")
    assert message.endswith(f"Status: https://layanan.plaju.example/track/{req.tracking_code}")


def test_no_nik_and_no_name_in_any_message(app, form_gateway, db, users, make_request, smtp):
    """Every update of a whole journey (returned, ready, handed over, overdue), on the gateway and by
    e-mail: the tracking code is there, the NIK, the name and the kelurahan are not."""
    req = _citizen(make_request, email="warga@contoh.id", kelurahan="Bagus Kuning")
    req = _return_and_finish(db, users, req)
    take_action(req, "hand_over", users["clerk"], version=req.version, fields={"id_checked": "1"})
    late = _citizen(make_request, "processing", "ktp-baru", email="warga@contoh.id",
                    due_at=utcnow() - timedelta(hours=1))
    sweep()
    rows = _rows(db)
    assert sorted(r.channel for r in rows) == ["email"] * 4 + ["form_gateway"] * 4
    assert all(r.sent_at is not None for r in rows)
    received = [r["body"].decode() for r in form_gateway.requests] + [text for _rcpts, text in smtp.messages]
    stored = [r.subject + "\n" + r.body for r in rows]
    assert len(received) == 8
    for citizen in (req, late):
        forbidden = [citizen.nik, "Bagus Kuning", *NAME.split()]
        for text in received + stored:
            for secret in forbidden:
                assert secret not in text and secret.lower() not in text.lower()
    for text in stored:
        assert req.tracking_code in text or late.tracking_code in text


def test_without_consent_nothing_is_queued(app, form_gateway, db, users, make_request, smtp):
    req = _citizen(make_request, consent=False, email="warga@contoh.id")
    req = _return_and_finish(db, users, req)
    take_action(req, "hand_over", users["clerk"], version=req.version, fields={"id_checked": "1"})
    _citizen(make_request, "processing", "ktp-baru", consent=False, email="warga@contoh.id",
             due_at=utcnow() - timedelta(hours=1))
    assert sweep()["revised"] == 1  # the new date is still set, for the tracking page
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 0
    assert form_gateway.requests == [] and smtp.messages == []


def test_without_a_configured_gateway_nothing_goes_to_the_phone(app, gateway_server, db, users, make_request):
    assert app.config["CITIZEN_GATEWAY"] == ""
    req = _citizen(make_request, "signed", "sktm")
    take_action(req, "mark_ready", users["clerk"], version=req.version)
    assert _rows(db) == [] and gateway_server.requests == []


def test_a_rolled_back_step_sends_nothing(form_gateway, db, users, make_request):
    req = _citizen(make_request, "signed", "sktm")
    from plaju.documents.citizen import tell
    tell(req, "ready", sla.wib_date(utcnow()))
    db.session.rollback()
    assert outbox.deliver_due() == 0
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 0
    assert form_gateway.requests == []
    assert db.session.get(DocumentRequest, req.id).state == "signed"


@pytest.mark.postgres
@pytest.mark.skipif(not PG_URL, reason="a race needs PostgreSQL row locks; SQLite serialises every writer")
def test_two_sweeps_at_the_same_moment_give_one_date_and_one_message(app, form_gateway, db, users, make_request):
    req = _citizen(make_request, "processing", "ktp-baru", due_at=utcnow() - timedelta(hours=2))
    barrier = threading.Barrier(2)
    results = []

    def run():
        with app.app_context():
            try:
                barrier.wait()
                results.append(sweep()["revised"])
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(results) == [0, 1]
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)
                             .where(OutboxMessage.channel == "form_gateway")) == 1
    assert len(form_gateway.requests) == 1 and fresh(db, req).revised_due_at is not None


def test_the_counter_is_told_when_no_message_can_reach_the_citizen(request, client, login_as, db, make_request):
    """Staff told citizens "you'll get a WhatsApp" while no gateway was set up and nothing was sent."""
    login_as("clerk")
    req = make_request("processing", "sktm")
    req.contact_consent_at = req.received_at
    db.session.commit()
    assert "SMS/WhatsApp ke pemohon belum diaktifkan" in client.get("/documents/new").text
    assert "pesan belum diaktifkan di kantor ini" in client.get(f"/documents/{req.id}").text
    request.getfixturevalue("form_gateway")  # with a gateway, the form promises what will happen
    page = client.get("/documents/new").text
    assert "SMS/WhatsApp ke pemohon belum diaktifkan" not in page
    assert "pesan belum diaktifkan di kantor ini" not in client.get(f"/documents/{req.id}").text


def test_a_letter_recalled_after_ready_is_told_and_no_longer_counts_as_finished(form_gateway, db, users,
                                                                                make_request):
    """Told "ready for pick-up", the citizen came for a letter the Camat had revoked; the dashboard and the
    home card still counted it finished within the standard."""
    from datetime import datetime

    from tests.support import PASSWORD
    with clock_at(datetime(2026, 11, 25, 2, 0)):  # a Wednesday, 09.00 WIB: the service clock runs
        req = _citizen(make_request, "signed", "sktm")
        req = take_action(req, "mark_ready", users["clerk"], version=req.version)
    assert req.ready_at is not None and req.service_fact.ready_month is not None
    promised = req.due_at
    with clock_at(datetime(2026, 11, 25, 4, 0)):  # two hours at the counter's shelf, then recalled
        req = take_action(fresh(db, req), "recall", users["camat"], version=req.version, password=PASSWORD,
                          comment="Alamat salah")
    req = fresh(db, req)
    assert req.ready_at is None and req.service_minutes is None
    assert req.due_at == promised  # the office's own correction moves no promise to the citizen
    assert req.clock_used_minutes == 120  # the two hours on the shelf were service time after all
    assert req.service_fact.ready_month is None and req.service_fact.service_minutes is None
    texts = [form["message"] for form in form_gateway.forms()]
    assert len(texts) == 2 and "dapat diambil" in texts[0] and "perlu diperbaiki" in texts[1]
    # the printed letter lies on the counter's shelf: the clerk who took the request in is told to take it off
    from plaju.notify.models import Notification
    assert db.session.scalar(select(Notification.subject).where(Notification.user_id == users["clerk"].id,
                                                                Notification.subject.contains("ditarik")))


def test_a_recall_does_not_rewrite_the_month_the_letter_was_ready_in_once_it_is_closed(db, users, make_request):
    """Ready on 23 November, recalled on 1 December: November's filed report lost the request's times."""
    from datetime import datetime

    from tests.support import PASSWORD
    with clock_at(datetime(2026, 10, 21, 2, 0)):  # a Wednesday in a month long closed
        req = _citizen(make_request, "signed", "sktm", consent=False)
        req = take_action(req, "mark_ready", users["clerk"], version=req.version)
    kept = (req.service_fact.ready_month, req.service_fact.service_minutes)
    req = take_action(fresh(db, req), "recall", users["camat"], version=req.version, password=PASSWORD,
                      comment="Alamat salah")
    req = fresh(db, req)
    assert req.ready_at is None  # the request itself is not ready
    assert (req.service_fact.ready_month, req.service_fact.service_minutes) == kept == ("2026-10", kept[1])


def test_a_rejected_or_cancelled_request_is_told_without_its_reason(form_gateway, db, users, make_request, smtp):
    """The citizen learnt of a rejection, or of a cancellation a clerk made alone, only by checking the
    tracking page. The message says where to read why: the reason itself may name people."""
    rejected = _citizen(make_request, email="warga@contoh.id")
    take_action(rejected, "reject", users["kasi"], version=rejected.version, comment="Akta ayah Budi tidak sah",
                confirmed=True)
    cancelled = _citizen(make_request, email="warga2@contoh.id")
    take_action(cancelled, "cancel", users["clerk"], version=cancelled.version, comment="Terdaftar ganda")
    [to_rejected] = smtp.to("warga@contoh.id")
    [to_cancelled] = smtp.to("warga2@contoh.id")
    assert to_rejected["Subject"] == f"Permohonan {rejected.tracking_code}: Ditolak"
    assert to_cancelled["Subject"] == f"Permohonan {cancelled.tracking_code}: Dibatalkan"
    assert "pengaduan" in to_cancelled.get_content()
    texts = _texts(form_gateway, "form_gateway")
    assert len(texts) == 2 and not any("Budi" in t or "ganda" in t for t in texts)


def test_a_landline_kept_to_call_on_is_sent_no_message(app, form_gateway, db):
    from plaju.notify.citizen import Update, enqueue_update
    with app.test_request_context():
        update = Update(code="PLJ-AAAAA-BBBBB", status="Siap diambil", date="2 Desember 2026",
                        text="Kecamatan Plaju: dokumen Anda siap diambil.", subject="Siap diambil")
        assert enqueue_update(update, phone="62711512345") == []
        assert [m.channel for m in enqueue_update(update, phone="6281234567890")] == ["form_gateway"]
