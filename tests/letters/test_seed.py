"""Document types as PATEN practice has them, and demo certificates so the first run signs."""
from pathlib import Path

from sqlalchemy import func, select

from plaju.accounts.demo import seed_people
from plaju.documents.models import DocumentRequest
from plaju.documents.seed import seed_documents
from plaju.letters.demo import seed_certificates
from plaju.letters.models import Letter
from plaju.letters.signing import certificate_status
from tests.support import PASSWORD, type_seen

from .conftest import pyhanko_status

DISDUKCAPIL = {"ktp-baru", "ktp-ganti", "kk-baru", "kk-ubah", "akta-lahir", "akta-mati", "pindah"}
KECAMATAN = {"sktm", "domisili", "domisili-usaha", "ahli-waris", "dispensasi-nikah"}


def test_the_camat_signs_only_the_kecamatan_s_own_letters(db, doc_types):
    assert set(doc_types) == DISDUKCAPIL | KECAMATAN
    for code, doc_type in doc_types.items():
        assert doc_type.camat_signs is (code in KECAMATAN), code
        assert doc_type.forwards_to_disdukcapil is (code in DISDUKCAPIL), code
        assert doc_type.archive_code and doc_type.archive_code[0].isdigit(), code
        assert doc_type.description, code
    # Perpres 96/2018: no RT/RW pengantar for KTP-el and KK
    for code in ("ktp-baru", "ktp-ganti", "kk-baru", "kk-ubah", "pindah"):
        assert not any("RT/RW" in r.label for r in doc_types[code].requirements), code


def test_seed_demo_gives_every_signer_a_certificate_and_the_demo_letters_are_signed(app, db, monkeypatch,
                                                                                  tmp_path):
    import plaju.accounts.models as account_models
    from tests.support import _password_hash
    monkeypatch.setattr(account_models.User, "set_password",
                        lambda self, _password: setattr(self, "password_hash", _password_hash()))
    monkeypatch.setitem(app.config, "DEMO_PASSWORD", PASSWORD)
    monkeypatch.setitem(app.config, "SIGNING_KEYS_DIR", str(tmp_path))
    seed_people(PASSWORD)
    seed_certificates()
    names = sorted(p.stem for p in Path(tmp_path).glob("*.p12"))
    assert names == ["camat", "kasi", "kasipem", "sekcam"]
    assert (Path(tmp_path) / "camat.pass").stat().st_mode & 0o077 == 0
    from plaju.accounts.models import User
    camat = db.session.scalars(select(User).where(User.username == "camat")).one()
    assert certificate_status(camat) == (None, None)
    seed_documents()
    signed = db.session.scalar(select(func.count()).select_from(DocumentRequest)
                               .where(DocumentRequest.signed_by_id.is_not(None)))
    letters = list(db.session.scalars(select(Letter).order_by(Letter.serial)))
    assert signed and len(letters) == signed
    assert [letter.serial for letter in letters] == list(range(1, signed + 1))
    from plaju.letters.services import pdf_of
    assert pyhanko_status(pdf_of(letters[0].id).pdf, tmp_path).bottom_line
    seed_certificates()  # idempotent: the certificates are kept
    assert sorted(p.stem for p in Path(tmp_path).glob("*.p12")) == names


def test_the_admin_sets_a_type_s_classification_code(client, login_as, doc_types, db):
    from plaju.documents.models import DocumentType
    from plaju.once import new_token
    login_as("admin")
    sktm = doc_types["sktm"]
    form = {"code": "sktm", "name": "SKTM", "service_amount": "1", "service_unit": "days", "camat_signs": "y",
            "forwards_to_disdukcapil": "", "active": "y", "required": "Fotokopi KK", "optional": "",
            "other_regions": "", "min_age": "",
            "description": "", "subject_kind": "person", "form_token": new_token(), "seen": type_seen(sktm.id)}
    bad = client.post(f"/documents/admin/types/{sktm.id}", data={**form, "archive_code": "empat ratus"})
    assert bad.status_code == 422 and "Isikan kode klasifikasi" in bad.get_data(as_text=True)
    assert client.post(f"/documents/admin/types/{sktm.id}", data={**form, "archive_code": "400.9.1"}).status_code == 303
    db.session.expire_all()
    assert db.session.get(DocumentType, sktm.id).archive_code == "400.9.1"
