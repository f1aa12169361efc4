"""The demo office's last twelve months, so every chart shows something on the first run.

The story: until the service training round (Pelatihan Pelayanan Prima, about five months ago) the
counter needed longer than the service standard for many KTP-el, KK and akta requests, and citizens
were often sent back for missing papers; after it, waits fall and most requests finish within the
standard. Over the year more ASN reach 20 JP as courses are verified month by month.

Everything goes through the real services and workflow engine at its own moment (`clock_at`), in one
time-ordered stream, so timelines, the audit trail (chronological) and the report table are genuine.
Runs after the people and before the documents' and training's current demo data (which the last
weeks hold); idempotent: nothing is added when the training-round course exists.
"""
import io
import logging
import random
from datetime import date, datetime, time, timedelta

from sqlalchemy import select
from werkzeug.datastructures import FileStorage

from ..accounts.models import User
from ..core.registry import seeder
from ..database import clock_at, utcnow
from ..documents import sla
from ..documents.models import KELURAHAN
from ..extensions import db
from ..timeutil import WIB
from ..training.opened import record_reading
from ..workflow import Refused, fire

log = logging.getLogger(__name__)

ROUND_TITLE = "Pelatihan Pelayanan Prima di Loket PATEN (Angkatan I)"
# title, kind, method, JP, months after the start of the story it ends, participants. The Seksi
# Pemerintahan stays below 20 JP, so its draft plan for this year has items to submit.
PAST_COURSES = [
    ("Seminar Kepemimpinan Pelayanan Publik", "manajerial", "seminar", 20, 3, ["sekcam"]),
    (ROUND_TITLE, "teknis", "pelatihan", 24, 6, ["petugas", "petugas2", "kasi"]),
    ("Bimtek Administrasi Kependudukan (Angkatan I)", "teknis", "bimtek", 16, 8, ["asn2", "asn4", "asn5"]),
    ("Workshop Pelayanan Publik Digital (Angkatan I)", "teknis", "workshop", 8, 10, ["asn4", "asn5"]),
]
# forwarded to Disdukcapil: the waits citizens feel most; weights per type
TYPE_WEIGHTS = {"ktp-baru": 5, "akta-lahir": 4, "kk-baru": 2, "kk-ubah": 2, "ktp-ganti": 2, "akta-mati": 1,
                "pindah": 1}
PER_MONTH = 7
STEPS = ["verify", "accept", "forward", "back_from_disdukcapil", "complete", "hand_over"]
ACTORS = {"verify": "petugas", "return_to_citizen": "petugas", "resubmit": "petugas2", "accept": "kasi",
          "forward": "kasi", "back_from_disdukcapil": "petugas2", "complete": "kasi", "hand_over": "petugas"}
SHARE = {"verify": 0.05, "accept": 0.1, "forward": 0.05, "back_from_disdukcapil": 0.7, "complete": 0.1}


def _pdf(text: str) -> FileStorage:
    """A certificate of its own: one file for two people is a twin HR credits only with a reason."""
    from ..training.demo import tiny_pdf
    return FileStorage(stream=io.BytesIO(tiny_pdf(text)), filename="sttpp.pdf")


def _office_moment(day: date, rng: random.Random) -> datetime:
    """A moment in office hours of `day` (WIB), as naive UTC."""
    local = datetime.combine(day, time(8, 0), tzinfo=WIB) + timedelta(minutes=rng.randint(15, 420))
    return sla._utc(local)


def _document_events(types, holidays, rng, start: date, last_intake: date, round_ends: datetime, stop: datetime):
    """(moment, key, position, what) for intakes and steps of the historical requests."""
    codes = [code for code in TYPE_WEIGHTS if code in types]
    weights = [TYPE_WEIGHTS[code] for code in codes]
    days = [start + timedelta(days=n) for n in range((last_intake - start).days + 1)]
    days = [d for d in days if sla.is_working_day(d, holidays)]
    count = max(1, len(days) * PER_MONTH // 21)
    events = []
    for serial in range(count):
        day = days[serial * len(days) // count]
        doc_type = types[rng.choices(codes, weights)[0]]
        received = _office_moment(day, rng)
        after = received >= round_ends
        budget = sla.budget_minutes(doc_type.service_amount, doc_type.service_unit)
        service = int(budget * (rng.uniform(0.35, 1.0) if after else rng.uniform(0.7, 1.9)))
        if after and rng.random() < 0.1:
            service = int(budget * rng.uniform(1.0, 1.3))
        path = list(STEPS)
        returned = rng.random() < (0.08 if after else 0.25)
        if returned:
            path[1:1] = ["return_to_citizen", "resubmit"]
        key = ("doc", serial)
        events.append((received, key, 0, {"doc_type": doc_type, "kelurahan": rng.choice(KELURAHAN)}))
        moment = received
        for position, trigger in enumerate(path, start=1):
            if trigger == "return_to_citizen":
                moment = sla.add_working_minutes(moment, rng.randint(20, 120), holidays)
            elif trigger == "resubmit":  # the citizen comes back with the papers
                moment = sla.add_working_minutes(moment, rng.randint(1, 6) * sla.DAY_MINUTES // 2, holidays)
            elif trigger == "hand_over":
                days_later = rng.uniform(0.2, 2.0) if after else rng.uniform(0.5, 6.0)
                moment = sla.add_working_minutes(moment, int(days_later * sla.DAY_MINUTES), holidays)
            else:
                moment = sla.add_working_minutes(moment, max(5, int(service * SHARE[trigger])), holidays)
            if moment >= stop:
                break
            events.append((moment, key, position, trigger))
    return events


def _training_events(people, rng, start: date, stop: datetime, holidays):
    """(moment, key, position, what) for the past courses: creation, then each participant's steps."""
    from ..training.models import Course
    events = []
    for n, (title, kind, method, jp, months, names) in enumerate(PAST_COURSES):
        ends_on = start + timedelta(days=int(months * 30.4))
        starts_on = ends_on - timedelta(days=2)
        created = _office_moment(starts_on - timedelta(days=30), rng)
        if created >= stop:
            continue
        course = dict(title=title, kind=kind, method=method, jp=jp, starts_on=starts_on, ends_on=ends_on,
                      provider=("BPSDM Provinsi Sumatera Selatan" if method == "pelatihan"
                                else "Pemerintah Kota Palembang"),
                      place="Palembang", quota=None, routine=False, description="Angkatan yang sudah selesai.")
        events.append((created, ("course", n), 0, Course(**course)))
        for m, username in enumerate(names):
            if username not in people or people[username].supervisor_id is None:
                continue
            boss = people[username].supervisor.username
            moments = [created + timedelta(hours=2 + m), created + timedelta(days=2, hours=m),
                       created + timedelta(days=5, hours=m)]
            done = _office_moment(ends_on + timedelta(days=1), rng)
            verified = _office_moment(ends_on + timedelta(days=rng.randint(5, 20)), rng)
            # the Camat approving as supervisor signs off in the same step (the engine chains `then`)
            steps = [("request", username), ("approve", boss), ("sign_off", "camat"),
                     ("complete", username), ("verify", "kepegawaian")]
            times = [*moments, done, verified]
            if boss == "camat":
                del steps[2], times[2]
            for position, ((trigger, actor), moment) in enumerate(zip(steps, times, strict=True), start=1):
                if moment < stop:
                    events.append((moment, ("enrolment", n, username), position, (trigger, actor)))
    return events


@seeder(order=18)
def seed_story() -> None:
    from flask import current_app

    from ..documents.calendar import holiday_set
    from ..documents.seed import fake_address, fake_birth_place, fake_nik, fake_purpose, fake_subject, seed_types
    from ..documents.services import create_request
    from ..training import services as training
    from ..training.models import Course
    from ..uploads import store
    if db.session.scalar(select(Course.id).where(Course.title == ROUND_TITLE).limit(1)):
        return
    people = {u.username: u for u in db.session.scalars(select(User))}
    if not set(ACTORS.values()) | {"camat", "kepegawaian"} <= set(people):
        return
    from faker import Faker
    fake = Faker("id_ID")
    fake.seed_instance(1447)
    rng = random.Random(1447)
    types = seed_types()
    holidays = holiday_set()
    now = utcnow()
    today = sla.wib_date(now)
    start = date(today.year - 1, today.month, 1) + timedelta(days=31)
    start = start.replace(day=1)  # the first day of the month eleven months ago
    stop = now - timedelta(days=35)  # the last weeks belong to the current demo requests
    round_course = next(c for c in PAST_COURSES if c[0] == ROUND_TITLE)
    round_ends = sla._utc(datetime.combine(start + timedelta(days=int(round_course[4] * 30.4)), time(16, 0),
                                           tzinfo=WIB))
    events = _document_events(types, holidays, rng, start, sla.wib_date(stop - timedelta(days=15)), round_ends, stop)
    events += _training_events(people, rng, start, stop, holidays)
    password = current_app.config.get("DEMO_PASSWORD")
    objects, stopped = {}, set()
    for moment, key, position, what in sorted(events, key=lambda e: (e[0], str(e[1]), e[2])):
        if key in stopped:
            continue
        with clock_at(moment):
            try:
                if key[0] == "course":
                    db.session.add(what)
                    db.session.commit()
                    objects[key] = what
                elif key[0] == "doc" and position == 0:
                    doc_type = what["doc_type"]
                    nik, female = fake_nik(rng, 5000 + key[1])
                    objects[key] = create_request(
                        actor=people["petugas"], nik=nik, name=fake.name_female() if female else fake.name_male(),
                        phone=fake.numerify("08%#########"), kelurahan=what["kelurahan"], doc_type=doc_type,
                        ticked={r.id for r in doc_type.requirements}, holidays=holidays, received_at=moment,
                        purpose=fake_purpose(doc_type, rng), address=fake_address(doc_type, 5000 + key[1]),
                        birth_place=fake_birth_place(doc_type, 5000 + key[1]),
                        subject=fake_subject(doc_type.subject_kind, fake, rng, 5000 + key[1], moment, female, nik))
                elif key[0] == "doc":
                    req = objects[key]
                    data = {"holidays": holidays, "fields": {"id_checked": "1"} if what == "hand_over" else {}}
                    required = [item["id"] for item in req.checklist_items if item.get("required")]
                    if what == "return_to_citizen":
                        data["missing"] = required[:1]
                    elif what == "resubmit":
                        data["ticked"] = required
                    comment = "Fotokopi KK belum dibawa." if what == "return_to_citizen" else None
                    objects[key] = fire(req, what, people[ACTORS[what]], expected_version=req.version,
                                        comment=comment, data=data)
                else:
                    trigger, actor = what
                    course = objects[("course", key[1])]
                    if trigger == "request":
                        objects[key] = training.request_enrolment(course, people[actor], people[actor])
                        continue
                    enrolment = objects[key]
                    db.session.refresh(enrolment)
                    extra = {}
                    if trigger == "complete":  # the certificate as printed, dated within the course
                        issued = course.ends_on or course.starts_on
                        extra = {"data": {"evidence": store(_pdf(f"STTPP {enrolment.id}")), "certificate": {
                            "number": f"{800 + enrolment.id}/STTPP/{issued.year}", "date": issued,
                            "issuer": course.provider or "Kecamatan Plaju", "jp": course.jp}}}
                    if trigger == "verify":  # HR reads the certificate it credits
                        record_reading(enrolment, people[actor])
                    objects[key] = fire(enrolment, trigger, people[actor], expected_version=enrolment.version,
                                        password=password, **extra)
            except Refused as refused:
                log.warning("demo history %s stopped before %s: %s", key, what, refused.message)
                stopped.add(key)
                db.session.rollback()
