"""Consent to be contacted, asked at the counter: recorded with who and when, the phone number kept as
62..., and a number or address that cannot receive updates refused in Bahasa with nothing stored."""
import pytest
from sqlalchemy import select

from plaju.audit.models import AuditEvent
from plaju.documents.models import DocumentRequest
from tests.documents.conftest import count_rows


def test_consent_is_recorded_with_who_and_when_and_the_number_as_62(client, login_as, intake, db, users):
    login_as("clerk")
    page = client.get("/documents/new").get_data(as_text=True)
    assert 'name="contact_consent"' in page and "Pemohon setuju menerima kabar perkembangan" in page
    response = client.post("/documents/new", data=intake(phone="+62 812-3456-7890", email="Warga@Contoh.ID",
                                                         contact_consent="y"))
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    req = db.session.scalars(select(DocumentRequest)).one()
    assert (req.phone, req.email) == ("6281234567890", "Warga@contoh.id")
    assert req.contact_consent_by_id == users["clerk"].id
    assert req.contact_consent_at is not None and abs((req.contact_consent_at - req.received_at).total_seconds()) < 1
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "document.receive")).one()
    assert '"contact_consent":[null,true]' in event.changes
    detail = client.get(f"/documents/{req.id}").get_data(as_text=True)
    assert "Setuju dikirimi kabar perkembangan, dicatat" in detail


def test_without_the_tick_there_is_no_consent(client, login_as, intake, db):
    login_as("clerk")
    assert client.post("/documents/new", data=intake()).status_code == 303
    req = db.session.scalars(select(DocumentRequest)).one()
    assert req.contact_consent_at is None and req.contact_consent_by_id is None
    assert req.phone == "6281234567890"
    assert "Tidak setuju: tidak dikirimi kabar" in client.get(f"/documents/{req.id}").get_data(as_text=True)


@pytest.mark.parametrize(("fields", "says"), [
    ({"phone": "0711-512345", "email": "", "contact_consent": "y"}, "disimpan untuk menelepon warga"),
    ({"phone": "0711-51"}, "9 sampai 11 angka"),
    ({"phone": "+65 8123 4567"}, "Hanya nomor ponsel Indonesia"),
    ({"phone": "0812-34"}, "10 sampai 13 angka"),
    ({"email": "warga@", "contact_consent": "y"}, "Masukkan alamat e-mail seperti nama@contoh.id"),
    ({"phone": "", "email": "", "contact_consent": "y"},
     "Kabar perkembangan memerlukan nomor ponsel atau alamat e-mail"),
])
def test_what_cannot_receive_updates_is_refused_and_nothing_is_stored(client, login_as, intake, db, fields, says):
    login_as("clerk")
    response = client.post("/documents/new", data=intake(**fields))
    assert response.status_code == 422
    assert says in response.get_data(as_text=True)
    assert count_rows(db, DocumentRequest) == 0
    refused = db.session.scalars(select(AuditEvent).where(AuditEvent.outcome == "refused")).all()
    assert refused and all("0711" not in (e.comment or "") for e in refused)


@pytest.mark.parametrize("typed", ["0711-512345", "(0711) 512345", "+62 711 512345", "+62 0711 512345"])
def test_a_landline_is_kept_to_call_the_citizen_on_and_gets_no_message(client, login_as, intake, db, typed):
    """The citizen's only number was the house's: refused, the clerk dropped it, and nobody could call her."""
    login_as("clerk")
    assert client.post("/documents/new", data=intake(phone=typed)).status_code == 303
    req = db.session.scalars(select(DocumentRequest)).one()
    assert req.phone == "62711512345"
