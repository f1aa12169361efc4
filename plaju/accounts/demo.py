"""Invented demo people of the office. Names come from Faker's id_ID locale with a fixed seed."""
import random
from datetime import date, timedelta

from faker import Faker
from sqlalchemy import select

from ..audit import record as audit
from ..database import clock_at, utcnow
from ..extensions import db
from . import staff
from .models import StaffRecord, Unit, User

KELURAHAN = ["Plaju Darat", "Talang Putri", "Komperta", "Plaju Ilir", "Talang Bubuk", "Plaju Ulu",
             "Bagus Kuning"]
UNITS = [("sekretariat", "Sekretariat Kecamatan", "sekretariat"),
         ("pimpinan", "Pimpinan Kecamatan", "sekretariat"),
         ("umpeg", "Subbagian Umum dan Kepegawaian", "sekretariat"),
         ("pelayanan", "Seksi Pelayanan", "seksi"),
         ("pemerintahan", "Seksi Pemerintahan", "seksi")] + [
    ("kel-" + name.lower().replace(" ", "-"), f"Kelurahan {name}", "kelurahan") for name in KELURAHAN]

# username, position, unit, roles, supervisor
PEOPLE = [
    ("camat", "Camat Plaju", "pimpinan", ["camat"], None),
    ("sekcam", "Sekretaris Camat", "sekretariat", ["sekcam"], "camat"),
    ("kepegawaian", "Kasubbag Umum dan Kepegawaian", "umpeg", ["hr"], "sekcam"),
    ("kasi", "Kasi Pelayanan", "pelayanan", ["section_head"], "camat"),
    ("kasipem", "Kasi Pemerintahan", "pemerintahan", ["section_head"], "camat"),
    ("petugas", "Petugas Loket PATEN", "pelayanan", ["clerk"], "kasi"),
    ("petugas2", "Petugas Loket PATEN", "pelayanan", ["clerk"], "kasi"),
    ("admin", "Pranata Komputer", "umpeg", ["admin"], "kepegawaian"),
    ("asn1", "Pengadministrasi Umum", "pelayanan", [], "kasi"),
    ("asn2", "Pengolah Data", "pemerintahan", [], "kasipem"),
    ("asn3", "Analis Kepegawaian", "umpeg", [], "kepegawaian"),
    ("asn4", "Pengadministrasi Perkantoran", "sekretariat", [], "sekcam"),
    ("asn5", "Lurah Plaju Darat", "kel-plaju-darat", [], "camat"),
]


def fake_nip(rng: random.Random, serial: int) -> str:
    birth = date(rng.randint(1970, 1995), rng.randint(1, 12), rng.randint(1, 28))
    appointed = (birth.year + rng.randint(23, 28), rng.randint(1, 12))
    sex = rng.choice("12")
    return f"{birth:%Y%m%d}{appointed[0]:04d}{appointed[1]:02d}{sex}{serial:03d}"


def seed_people(password: str) -> list[tuple[str, str, str]]:
    """Create units and demo users when missing; return (username, name, roles) for the printout.
    The accounts are dated a month back, before the demo's document requests and training."""
    with clock_at(utcnow() - timedelta(days=400)):  # before the demo history (plaju/reports/demo.py)
        return _seed_people(password)


def _seed_people(password: str) -> list[tuple[str, str, str]]:
    fake = Faker("id_ID")
    fake.seed_instance(2026)
    rng = random.Random(2026)
    units = {u.code: u for u in db.session.scalars(select(Unit))}
    for code, name, kind in UNITS:
        if code not in units:
            units[code] = Unit(code=code, name=name, kind=kind)
            db.session.add(units[code])
    db.session.flush()
    by_name = {u.username: u for u in db.session.scalars(select(User))}
    created = []
    for serial, (username, position, unit, roles, boss) in enumerate(PEOPLE, start=1):
        full_name = fake.name()
        nip = fake_nip(rng, serial)
        if username in by_name:
            continue
        user = User(username=username, full_name=full_name, nip=nip, position=position,
                    unit=units[unit], email=f"{username}@plaju.local",
                    supervisor=by_name.get(boss) if boss else None)
        user.set_roles(roles)
        # seeding sets the shared demo password directly: it bypasses the password rules on purpose
        user.set_password(password)
        db.session.add(user)
        db.session.flush()
        # the demo's people have worked here all along: the year of history it seeds counts them
        db.session.add(StaffRecord(user_id=user.id, unit_id=user.unit_id, active=True,
                                   valid_from=staff.FROM_THE_START))
        by_name[username] = user
        created.append(user)
        audit.record("user.create", actor_name="seed-demo", subject=user,
                     changes={"username": [None, username], "roles": [None, ",".join(sorted(roles))]})
    db.session.commit()
    order = [person[0] for person in PEOPLE]
    users = sorted(by_name.values(),
                   key=lambda u: order.index(u.username) if u.username in order else len(order))
    return [(u.username, u.full_name, ", ".join(sorted(u.roles)) or "ASN") for u in users]
