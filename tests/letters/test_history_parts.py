"""HR's "complete history" of a request holds its parts: the scans added and opened, its letter opened,
the complaints about it. It held only the events whose object was the request itself, and a scan's row
linked another, partial history of the same request."""
import io
import re

from sqlalchemy import select

from plaju.audit.models import AuditEvent
from plaju.letters.models import Letter
from plaju.training.demo import tiny_pdf

PDF = tiny_pdf()  # a real one-page PDF: the upload is opened


def test_a_request_s_complete_history_holds_its_scans_letter_and_complaints(client, login_as, db, users, sign):
    req, _pdf = sign("sktm")
    letter = db.session.scalars(select(Letter)).one()
    login_as("clerk")
    assert client.post(f"/documents/{req.id}/attachments", data={"attachments": [(io.BytesIO(PDF), "kk.pdf")]},
                       content_type="multipart/form-data").status_code == 303
    login_as("kasi")
    assert client.get(f"/letters/{letter.id}.pdf").status_code == 200
    client.post("/logout")
    assert client.post(f"/track/{req.tracking_code}/complaint", data={
        "kind": "complaint", "body": "Surat saya belum bisa diambil padahal sudah ditandatangani."}).status_code \
        in (302, 303)
    parts = {e.action: e.seq for e in db.session.scalars(select(AuditEvent).where(
        AuditEvent.action.in_(("document.attach", "letter.view", "complaint.submit")),
        AuditEvent.outcome == "ok"))}
    assert set(parts) == {"document.attach", "letter.view", "complaint.submit"}, parts
    other, _ = sign("sktm", name="Warga Lain")  # another request's events stay out
    login_as("hr")
    page = client.get(f"/audit/timeline/document/{req.id}", follow_redirects=True).text
    shown = {int(s) for s in re.findall(r'data-seq="(\d+)"', page)}
    assert set(parts.values()) <= shown
    others = {e.seq for e in db.session.scalars(select(AuditEvent).where(
        AuditEvent.subject_type == "document", AuditEvent.subject_id == str(other.id)))}
    assert others and not others & shown
    # the search says whose history it is, not the newest part's ("Pengaduan ..." in bold)
    notes = page.split('data-testid="search-notes"')[1].split("</p>")[0]
    assert req.tracking_code in notes and "<strong>" not in notes
    # a scan's row links the request's history, not one of its own
    assert f'/audit/timeline/document_file/{req.id}"' not in page
    # the tracking code finds the same parts
    by_code = client.get("/audit/", query_string={"code": req.tracking_code}).text
    assert set(parts.values()) <= {int(s) for s in re.findall(r'data-seq="(\d+)"', by_code)}

