"""Requests walked through the real workflow at chosen moments: returns to the citizen, holidays,
requests still open, rejected and cancelled, spread over the last 13 months."""
import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from plaju.database import clock_at
from plaju.documents.models import KELURAHAN, DocumentRequest, DocumentType, Holiday
from plaju.documents.nik import make_nik
from plaju.documents.seed import seed_types
from plaju.documents.services import create_request
from plaju.workflow import fire
from tests.documents.conftest import subject_for
from tests.support import spelled

FORWARDED = ["verify", "accept", "forward", "back_from_disdukcapil", "complete", "hand_over"]
LOCAL = ["verify", "accept", "complete", "hand_over"]  # a type neither forwarded nor signed
ACTOR = {"accept": "kasi", "complete": "kasi", "reject": "kasi"}
COMMENT = {"return_to_citizen": "Berkas kurang", "reject": "Bukan penduduk", "cancel": "Batal"}


@dataclass
class Office:
    holidays: set
    requests: list
    now: datetime


def _gap(rng: random.Random) -> timedelta:
    """Minutes to days between two steps, whole minutes, nights and weekends included."""
    kind = rng.random()
    if kind < 0.4:
        return timedelta(minutes=rng.randint(5, 240))
    if kind < 0.8:
        return timedelta(minutes=rng.randint(240, 3 * 1440))
    return timedelta(minutes=rng.randint(3 * 1440, 12 * 1440))


def generate(db, users, rng: random.Random, count: int, now: datetime | None = None) -> Office:
    """`count` requests; `now` (naive UTC, whole minutes) is the latest moment any step may take."""
    types = seed_types()
    local = db.session.scalars(select(DocumentType).where(DocumentType.code == "uji-lokal")).first()
    if local is None:
        local = DocumentType(code="uji-lokal", name="Surat Uji Lokal", service_amount=rng.choice([2, 6]),
                             service_unit="hours", camat_signs=False, forwards_to_disdukcapil=False, position=99)
        db.session.add(local)
    first_serial = db.session.scalar(select(func.count()).select_from(DocumentRequest))
    now = now or datetime.now(UTC).replace(tzinfo=None, second=0, microsecond=0)
    start = now - timedelta(days=400)
    seeded = set(db.session.scalars(select(Holiday.day)))
    holidays = set()
    while len(holidays) < 25:  # weekdays, so they matter
        day = (start + timedelta(days=rng.randint(0, 400))).date()
        if day.weekday() < 5 and day not in seeded:
            holidays.add(day)
    db.session.add_all(Holiday(day=day, name=f"Libur uji {i}") for i, day in enumerate(sorted(holidays)))
    db.session.commit()
    pool = [types["ktp-baru"], types["akta-lahir"], types["kk-baru"], local]
    plans = []
    for serial in range(count):
        doc_type = rng.choice(pool)
        path = list(LOCAL if doc_type is local else FORWARDED)
        if rng.random() < 0.35:  # returned once or twice, from verification or from processing
            for _ in range(rng.choice([1, 1, 2])):
                if rng.random() < 0.6:  # from verification: back to verification, then accepted
                    path[1:1] = ["return_to_citizen", "resubmit"]
                else:  # from processing: back to verification, accepted again
                    at = len(path) - path[::-1].index("accept")
                    path[at:at] = ["return_to_citizen", "resubmit", "accept"]
        ending = rng.random()
        if ending < 0.08:
            path = path[:rng.randint(1, 2)] + ["reject"]  # from verification, the citizen or processing
        elif ending < 0.14:
            path = ["cancel"] if rng.random() < 0.5 else ["verify", "cancel"]
        elif ending < 0.3:
            path = path[:rng.randint(0, len(path) - 1)]  # still open
        received = start + timedelta(minutes=rng.randint(0, 400 * 1440))
        received = received.replace(second=0, microsecond=0)
        moments, moment = [], received
        for _step in path:
            moment = moment + _gap(rng)
            moments.append(moment)
        while moments and moments[-1] > now:  # the future has not happened yet
            moments.pop()
            path.pop()
        plans.append((doc_type, received, list(zip(path, moments, strict=True)), serial))
    made = []
    for doc_type, received, steps, serial in sorted(plans, key=lambda p: p[1]):
        with clock_at(received):
            nik = make_nik(date(1990, 1, 1), serial % 2 == 0, first_serial + serial + 1)
            req = create_request(actor=users["clerk"], nik=nik,
                                 name=f"Warga {spelled(serial)}", phone="081234567890",
                                 kelurahan=rng.choice(KELURAHAN), doc_type=doc_type,
                                 ticked={r.id for r in doc_type.requirements}, purpose="pendaftaran sekolah",
                                 address="Jl. Sentosa No. 7 RT 003 RW 001", birth_place="Palembang",
                                 subject=subject_for(doc_type.subject_kind, received.date(), female=serial % 2 == 0))
        for trigger, moment in steps:
            data = {"confirmed": trigger == "reject",  # the Kasi ticks that a rejection is final
                    "fields": {"id_checked": "1"} if trigger == "hand_over" else {}}
            if trigger == "return_to_citizen":
                data["missing"] = [item["id"] for item in req.checklist_items if item["required"]][:1]
            if trigger == "resubmit":
                data["ticked"] = [item["id"] for item in req.checklist_items]
            with clock_at(moment):
                req = fire(req, trigger, users[ACTOR.get(trigger, "clerk")], expected_version=req.version,
                           comment=COMMENT.get(trigger), data=data)
        made.append(req.id)
    return Office(holidays=holidays | seeded, requests=made, now=now)


@pytest.fixture()
def office(db, users):
    return lambda seed, count, now=None: generate(db, users, random.Random(seed), count, now)


def type_ids(db) -> dict:
    return {t.code: t.id for t in db.session.scalars(select(DocumentType))}
