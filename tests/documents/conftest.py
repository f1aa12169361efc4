"""Factories for document requests: seeded types, requests put straight into a state."""
import itertools
from datetime import date

import pytest
from sqlalchemy import func, select

from plaju.documents.models import DocumentRequest, DocumentType
from plaju.documents.nik import make_nik
from plaju.documents.seed import seed_types
from plaju.documents.services import create_request
from plaju.documents.sla import wib_date
from plaju.workflow import started

_serial = itertools.count(1)

# subject fields as the intake form posts them, per subject kind (invented people)
def subject_for(kind: str, today: date | None = None, female: bool = True) -> dict:
    """`female`: the applicant's sex by her NIK (a birth is reported by its father or its mother)."""
    from datetime import timedelta

    from plaju.timeutil import today_wib
    today = today or today_wib()
    if kind == "birth":
        return {"s_name": "Bayi Permata", "s_sex": "P", "s_place": "Palembang",
                "s_date": (today - timedelta(days=5)).isoformat(), "s_relation": "ibu" if female else "ayah"}
    if kind in ("death", "inheritance"):
        data = {"s_nik": make_nik(date(1948, 6, 2), False, 4321), "s_name": "Almarhum Hasan",
                "s_date": (today - timedelta(days=30)).isoformat(), "s_relation": "anak"}
        if kind == "inheritance":
            data.update({"h_name": ["Aminah Hasan", "Rudi Hasan"],
                         "h_nik": [make_nik(date(1952, 1, 9), True, 4322), make_nik(date(1975, 8, 17), False, 4323)],
                         "h_relation": ["istri", "anak"]})
        return data
    if kind == "business":
        return {"s_name": "Warung Sembako Berkah", "s_type": "perdagangan eceran"}
    if kind == "marriage":  # the future spouse of the other sex, the wedding in five days
        return {"s_nik": make_nik(date(1996, 7, 7), not female, 4324), "s_name": "Ahmad Fauzi",
                "s_date": (today + timedelta(days=5)).isoformat(), "s_place": "KUA Kecamatan Plaju"}
    return {}



def valid_nik(female: bool = False) -> str:
    return make_nik(date(1990, 3, 12), female, next(_serial) % 9999 + 1)


@pytest.fixture()
def doc_types(db):
    return seed_types()


@pytest.fixture()
def make_request(db, users, doc_types):
    def make(state: str = "received", type_code: str = "ktp-baru", name: str = "Siti Aminah", clerk=None,
             received_at=None, **fields) -> DocumentRequest:
        doc_type = doc_types[type_code]
        # the default applicant, Siti Aminah, is a woman: her NIK says so (a birth is reported by "ibu")
        req = create_request(actor=clerk or users["clerk"], nik=fields.pop("nik", valid_nik(female=True)), name=name,
                             phone="081234567890", kelurahan=fields.pop("kelurahan", "Plaju Darat"),
                             doc_type=doc_type, ticked={r.id for r in doc_type.requirements},
                             purpose="pendaftaran sekolah", address="Jl. Sentosa No. 7 RT 003 RW 001",
                             birth_place="Palembang",
                             received_at=received_at,
                             subject=fields.pop("subject", None) or subject_for(
                                 doc_type.subject_kind, wib_date(received_at) if received_at else None))
        for key, value in fields.items():
            setattr(req, key, value)
        req.state = state
        started(req)  # put into its state by hand: the engine stores who must act now
        db.session.commit()
        return req
    return make


def fresh(db, req) -> DocumentRequest:
    db.session.expire_all()
    return db.session.scalars(select(DocumentRequest).where(DocumentRequest.id == req.id)).one()


def type_by_code(db, code) -> DocumentType:
    return db.session.scalars(select(DocumentType).where(DocumentType.code == code)).one()


def count_rows(db, model, *where) -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


@pytest.fixture()
def intake(doc_types):
    """The intake form's fields for a KTP-el, complete and with its one-time token; override any."""
    from plaju.once import new_token
    ktp = doc_types["ktp-baru"]

    def build(**overrides):
        data = {"nik": valid_nik(), "name": "Rina Marlina", "phone": "0812 3456 7890",
                "kelurahan": "Talang Putri", "type_id": str(ktp.id),
                "requirements": [str(r.id) for r in ktp.requirements if r.required], "note": "",
                "purpose": "pendaftaran sekolah", "address": "Jl. Sentosa No. 7 RT 003 RW 001",
                "birth_place": "Palembang",
                "form_token": new_token()}
        data.update(overrides)
        return data
    return build
