"""Demo data for document services: the document types, holidays and invented requests in every state.

Idempotent: types and holidays are added when missing; requests only into an empty table. Requests are
walked through the real workflow engine so their timelines and audit trail are genuine.
"""
import io
import logging
import random
from datetime import date, timedelta

from flask import current_app
from sqlalchemy import func, select

from ..accounts.models import User
from ..core.registry import seeder
from ..database import clock_at, utcnow
from ..extensions import db
from ..workflow import Refused, fire
from . import sla
from .models import KELURAHAN, DocumentRequest, DocumentRequirement, DocumentType, Holiday
from .nik import make_nik, validate_nik

log = logging.getLogger(__name__)

PENGANTAR = "Surat pengantar RT/RW dan kelurahan"
KK = "Fotokopi Kartu Keluarga"
KTP = "Fotokopi KTP-el"

# code, name, amount, unit, Camat signs, forwarded to Disdukcapil, required, optional
# KTP-el, KK, akta and SKPWNI are issued by Disdukcapil: the kecamatan checks the file and forwards it,
# the Camat signs none of them. The letters the kecamatan issues itself are signed by the Camat (or Plh).
# Perpres 96/2018 (Persyaratan dan Tata Cara Pendaftaran Penduduk dan Pencatatan Sipil) dropped the RT/RW
# pengantar for KTP-el, KK and moving.
TYPES = [
    ("ktp-baru", "KTP-el Baru", 3, "days", False, True, [KK], ["Fotokopi akta kelahiran"]),
    ("ktp-ganti", "KTP-el Hilang / Rusak", 3, "days", False, True,
     [KK, "Surat keterangan hilang dari kepolisian atau KTP-el yang rusak"], []),
    ("kk-baru", "Kartu Keluarga Baru", 5, "days", False, True,
     ["Fotokopi buku nikah / akta perkawinan", "Fotokopi KTP-el suami dan istri"],
     ["Surat keterangan pindah (bagi pendatang)"]),
    ("kk-ubah", "Kartu Keluarga Perubahan", 5, "days", False, True,
     ["Kartu Keluarga lama (asli)", "Dokumen pendukung perubahan (akta, surat pindah)"], []),
    ("akta-lahir", "Akta Kelahiran", 5, "days", False, True,
     ["Surat keterangan lahir dari rumah sakit / bidan", KK, "Fotokopi KTP-el kedua orang tua",
      "Fotokopi buku nikah orang tua"], ["Fotokopi KTP-el dua orang saksi"]),
    ("akta-mati", "Akta Kematian", 5, "days", False, True,
     ["Surat keterangan kematian dari rumah sakit / kelurahan", KK, "Fotokopi KTP-el almarhum/almarhumah",
      "Fotokopi KTP-el pelapor"], []),
    ("pindah", "Surat Pindah (SKPWNI)", 3, "days", False, True, ["Kartu Keluarga (asli)", KTP], []),
    ("sktm", "Surat Keterangan Tidak Mampu", 4, "hours", True, False, [PENGANTAR, KK, KTP], []),
    ("domisili", "Surat Keterangan Domisili", 4, "hours", True, False, [PENGANTAR, KTP], []),
    ("domisili-usaha", "Surat Keterangan Domisili Usaha", 1, "days", True, False,
     [PENGANTAR, KTP, "Bukti penguasaan tempat usaha (sewa / milik)"], ["Foto tempat usaha"]),
    ("ahli-waris", "Surat Keterangan Ahli Waris", 7, "days", True, False,
     ["Surat pernyataan ahli waris bermeterai", "Fotokopi akta kematian pewaris",
      "Fotokopi KTP-el dan KK para ahli waris", PENGANTAR], ["Silsilah keluarga"]),
    ("dispensasi-nikah", "Dispensasi Nikah", 1, "days", True, False,
     ["Surat penolakan / pemberitahuan kekurangan waktu dari KUA", "Fotokopi KTP-el kedua calon mempelai",
      PENGANTAR], []),
]

# Archive classification codes (Pedoman Klasifikasi Arsip, Permendagri 83/2022): 400 Kesejahteraan Rakyat,
# 400.12 Kependudukan dan Pencatatan Sipil, 500 Perekonomian. The office's records officer may refine
# the sub-codes; the admin edits them per type and they become part of the letter number.
ARCHIVE_CODES = {
    "ktp-baru": "400.12", "ktp-ganti": "400.12", "kk-baru": "400.12", "kk-ubah": "400.12",
    "akta-lahir": "400.12", "akta-mati": "400.12", "pindah": "400.12", "sktm": "400",
    "domisili": "400.12", "domisili-usaha": "500", "ahli-waris": "400.12", "dispensasi-nikah": "400.12",
}

# whom each document is about (plaju.documents.subjects.KINDS); the rest are about the applicant
SUBJECT_KINDS = {"akta-lahir": "birth", "akta-mati": "death", "ahli-waris": "inheritance", "sktm": "person",
                 "domisili": "person", "domisili-usaha": "business", "dispensasi-nikah": "marriage"}

DESCRIPTIONS = {
    "ktp-baru": "Diverifikasi di kecamatan dan diteruskan ke Disdukcapil (Perpres 96/2018 Pasal 13).",
    "ktp-ganti": "Diverifikasi di kecamatan dan diteruskan ke Disdukcapil (Perpres 96/2018 Pasal 13).",
    "kk-baru": "Diteruskan ke Disdukcapil (Perpres 96/2018 Pasal 11).",
    "kk-ubah": "Diteruskan ke Disdukcapil (Perpres 96/2018 Pasal 11).",
    "akta-lahir": "Diteruskan ke Disdukcapil (Perpres 96/2018 Pasal 33).",
    "akta-mati": "Diteruskan ke Disdukcapil (Perpres 96/2018 Pasal 44).",
    "pindah": "Diteruskan ke Disdukcapil (Perpres 96/2018 Pasal 15).",
    "sktm": "Surat yang ditandatangani Camat (PATEN, Permendagri 4/2010).",
    "domisili": "Surat yang ditandatangani Camat (PATEN, Permendagri 4/2010).",
    "domisili-usaha": "Surat yang ditandatangani Camat (PATEN, Permendagri 4/2010).",
    "ahli-waris": "Didaftar dan dikuatkan Camat (PATEN, Permendagri 4/2010).",
    "dispensasi-nikah": "Dispensasi kurang dari 10 hari kerja (PP 9/1975 Pasal 3 ayat 3), ditandatangani Camat.",
}

# National holidays and cuti bersama (SKB Menteri Agama, Menteri Ketenagakerjaan and Menteri PANRB for
# 2025 and 2026, as amended); the service clock skips them like weekends. The admin adds later years.
HOLIDAYS = [
    (date(2025, 1, 1), "Tahun Baru Masehi"), (date(2025, 1, 27), "Isra Mikraj Nabi Muhammad SAW"),
    (date(2025, 1, 28), "Cuti bersama Tahun Baru Imlek"), (date(2025, 1, 29), "Tahun Baru Imlek 2576"),
    (date(2025, 3, 28), "Cuti bersama Hari Suci Nyepi"), (date(2025, 3, 29), "Hari Suci Nyepi"),
    (date(2025, 3, 31), "Idul Fitri 1446 H"), (date(2025, 4, 1), "Idul Fitri 1446 H"),
    (date(2025, 4, 2), "Cuti bersama Idul Fitri"), (date(2025, 4, 3), "Cuti bersama Idul Fitri"),
    (date(2025, 4, 4), "Cuti bersama Idul Fitri"), (date(2025, 4, 7), "Cuti bersama Idul Fitri"),
    (date(2025, 4, 18), "Wafat Yesus Kristus"), (date(2025, 4, 20), "Kebangkitan Yesus Kristus (Paskah)"),
    (date(2025, 5, 1), "Hari Buruh Internasional"), (date(2025, 5, 12), "Hari Raya Waisak 2569 BE"),
    (date(2025, 5, 13), "Cuti bersama Hari Raya Waisak"), (date(2025, 5, 29), "Kenaikan Yesus Kristus"),
    (date(2025, 5, 30), "Cuti bersama Kenaikan Yesus Kristus"), (date(2025, 6, 1), "Hari Lahir Pancasila"),
    (date(2025, 6, 6), "Idul Adha 1446 H"), (date(2025, 6, 9), "Cuti bersama Idul Adha"),
    (date(2025, 6, 27), "Tahun Baru Islam 1447 H"), (date(2025, 8, 17), "Hari Kemerdekaan RI"),
    (date(2025, 8, 18), "Cuti bersama Hari Kemerdekaan RI"), (date(2025, 9, 5), "Maulid Nabi Muhammad SAW"),
    (date(2025, 12, 25), "Hari Raya Natal"), (date(2025, 12, 26), "Cuti bersama Hari Raya Natal"),
    (date(2026, 1, 1), "Tahun Baru Masehi"), (date(2026, 1, 16), "Isra Mikraj Nabi Muhammad SAW"),
    (date(2026, 2, 16), "Cuti bersama Tahun Baru Imlek"), (date(2026, 2, 17), "Tahun Baru Imlek 2577"),
    (date(2026, 3, 18), "Cuti bersama Hari Suci Nyepi"), (date(2026, 3, 19), "Hari Suci Nyepi"),
    (date(2026, 3, 20), "Cuti bersama Idul Fitri"), (date(2026, 3, 21), "Idul Fitri 1447 H"),
    (date(2026, 3, 22), "Idul Fitri 1447 H"), (date(2026, 3, 23), "Cuti bersama Idul Fitri"),
    (date(2026, 3, 24), "Cuti bersama Idul Fitri"), (date(2026, 4, 3), "Wafat Yesus Kristus"),
    (date(2026, 4, 5), "Kebangkitan Yesus Kristus (Paskah)"), (date(2026, 5, 1), "Hari Buruh Internasional"),
    (date(2026, 5, 14), "Kenaikan Yesus Kristus"), (date(2026, 5, 15), "Cuti bersama Kenaikan Yesus Kristus"),
    (date(2026, 5, 27), "Idul Adha 1447 H"), (date(2026, 5, 28), "Cuti bersama Idul Adha"),
    (date(2026, 5, 31), "Hari Raya Waisak 2570 BE"), (date(2026, 6, 1), "Hari Lahir Pancasila"),
    (date(2026, 6, 16), "Tahun Baru Islam 1448 H"), (date(2026, 8, 17), "Hari Kemerdekaan RI"),
    (date(2026, 8, 25), "Maulid Nabi Muhammad SAW"), (date(2026, 12, 24), "Cuti bersama Hari Raya Natal"),
    (date(2026, 12, 25), "Hari Raya Natal"), (date(2027, 1, 1), "Tahun Baru Masehi"),
]

RECENT_DAYS = 30  # the demo requests in every state were received within these last days

PATHS = {
    "received": [], "verifying": ["verify"], "returned": ["verify", "return_to_citizen"],
    "processing": ["verify", "accept"], "at_disdukcapil": ["verify", "accept", "forward"],
    "back_from_disdukcapil": ["verify", "accept", "forward", "back_from_disdukcapil"],
    "awaiting_signature": ["verify", "accept", "to_signature"],
    "signed": ["verify", "accept", "to_signature", "sign"],
    "ready": ["verify", "accept", "to_signature", "sign", "mark_ready"],
    "handed_over": ["verify", "accept", "to_signature", "sign", "mark_ready", "hand_over"],
    "rejected": ["verify", "reject"], "cancelled": ["cancel"],
}
FORWARD_STATES = {"at_disdukcapil", "back_from_disdukcapil"}
SIGN_STATES = {"awaiting_signature", "signed", "ready", "handed_over"}
COMMENTS = {"return_to_citizen": "Surat pengantar kelurahan belum dicap; mohon dilengkapi.",
            "reject": "Pemohon bukan penduduk Kecamatan Plaju.",
            "cancel": "Pemohon membatalkan permohonan.", "send_back": "Nama ayah salah tulis."}
ACTORS = {"verify": "petugas", "return_to_citizen": "petugas", "accept": "kasi", "forward": "kasi",
          "back_from_disdukcapil": "petugas2", "to_signature": "kasi", "sign": "camat",
          "mark_ready": "petugas2", "hand_over": "petugas", "reject": "kasi", "cancel": "petugas",
          "complete": "kasi"}


# letters a newcomer asks for: the applicant's KTP-el may be from outside Palembang
OTHER_REGIONS = {"domisili", "domisili-usaha"}


def seed_types() -> dict[str, DocumentType]:
    existing = {t.code: t for t in db.session.scalars(select(DocumentType))}
    for position, (code, name, amount, unit, signs, forwards, required, optional) in enumerate(TYPES):
        if code in existing:
            if not existing[code].archive_code:
                existing[code].archive_code = ARCHIVE_CODES.get(code, "")
            continue  # the subject kind of an existing type is set by migration 0011 or the admin
        doc_type = DocumentType(code=code, name=name, service_amount=amount, service_unit=unit,
                                camat_signs=signs, forwards_to_disdukcapil=forwards, position=position,
                                archive_code=ARCHIVE_CODES.get(code, ""), description=DESCRIPTIONS.get(code, ""),
                                subject_kind=SUBJECT_KINDS.get(code, "applicant"),
                                other_regions=code in OTHER_REGIONS, min_age=MIN_AGES.get(code))
        doc_type.requirements = [DocumentRequirement(label=label, required=True, position=i)
                                 for i, label in enumerate(required)] + [
            DocumentRequirement(label=label, required=False, position=len(required) + i)
            for i, label in enumerate(optional)]
        db.session.add(doc_type)
        existing[code] = doc_type
    known = set(db.session.scalars(select(Holiday.day)))
    for day, name in HOLIDAYS:
        if day not in known:
            db.session.add(Holiday(day=day, name=name))
    db.session.commit()
    return existing


def fake_nik(rng: random.Random, serial: int) -> tuple[str, bool]:
    female = rng.random() < 0.5
    born = date(rng.randint(1950, 2008), rng.randint(1, 12), rng.randint(1, 28))
    return make_nik(born, female, serial, district=rng.choice(["01", "08", "11"])), female


# what the demo's letters are for, as citizens say it at the counter
PURPOSES = {
    "sktm": ["pendaftaran sekolah anak", "keringanan biaya rumah sakit", "pengajuan beasiswa"],
    "domisili": ["pembukaan rekening bank", "melamar pekerjaan", "pendaftaran sekolah anak"],
    "domisili-usaha": ["pengajuan kredit usaha rakyat", "pengurusan izin usaha"],
    "ahli-waris": ["pencairan tabungan pewaris", "balik nama sertifikat tanah"],
    "dispensasi-nikah": ["calon suami bertugas ke luar daerah dalam waktu dekat"],
}


def fake_purpose(doc_type: DocumentType, rng: random.Random) -> str:
    """A purpose for a letter the Camat signs; nothing for other documents."""
    if not doc_type.camat_signs:
        return ""
    return rng.choice(PURPOSES.get(doc_type.code, ["persyaratan administrasi"]))


# a first KTP-el from 17, or younger when married (UU 24/2013 Pasal 63 ayat 1)
MIN_AGES = {"ktp-baru": 17}
STREETS = ["Jl. Kapten Robani Kadir", "Jl. DI Panjaitan", "Jl. Kapten Abdullah", "Jl. Sentosa", "Jl. Pertahanan",
           "Jl. Talang Putri", "Jl. Bagus Kuning", "Jl. Sungai Gerong", "Lorong Mawar", "Lorong Kenanga"]


def fake_address(doc_type: DocumentType, serial: int) -> str:
    """A street, number and RT/RW for a letter the Camat signs, nothing for other documents; drawn from
    the request's serial, so the demo's other random choices stay as they were."""
    if not doc_type.camat_signs:
        return ""
    pick = random.Random(serial)
    return (f"{pick.choice(STREETS)} No. {pick.randint(1, 120)} RT {pick.randint(1, 40):03d} "
            f"RW {pick.randint(1, 12):03d}")


BIRTH_PLACES = ["Palembang"] * 6 + ["Prabumulih", "Lahat", "Baturaja", "Lubuklinggau", "Muara Enim", "Kayu Agung",
                                    "Sekayu", "Pagar Alam"]


def fake_birth_place(doc_type: DocumentType, serial: int) -> str:
    """A place of birth for a letter the Camat signs (most of Plaju's citizens were born in Palembang), drawn
    from the serial like the address, so the demo's other random choices stay as they were."""
    return random.Random(f"born:{serial}").choice(BIRTH_PLACES) if doc_type.camat_signs else ""


def fake_subject(kind: str, fake, rng: random.Random, serial: int, received, applicant_female: bool = False,
                 applicant_nik: str = "") -> dict:
    """Invented subject fields for a demo request of this kind (as the intake form posts them); a parent
    reporting a birth is the father or the mother as the applicant's NIK says, a child is younger than the
    deceased parent by the NIKs (an applicant too old to be the child is the sibling)."""
    day = received.date() if hasattr(received, "date") else received
    if kind == "birth":
        born = day - timedelta(days=rng.randint(3, 40))
        data = {"s_name": fake.first_name() + " " + fake.last_name(), "s_sex": rng.choice("LP"),
                "s_place": "Palembang", "s_date": born.isoformat()}
        rng.choice(["ayah", "ibu"])  # drawn as before, so the demo's later random choices stay as they were
        return {**data, "s_relation": "ibu" if applicant_female else "ayah"}
    if kind in ("death", "inheritance"):
        born = date(rng.randint(1935, 1960), rng.randint(1, 12), rng.randint(1, 28))
        died = day - timedelta(days=rng.randint(10, 300))
        applicant_born = validate_nik(applicant_nik).birth_date if applicant_nik else None
        child = applicant_born is None or applicant_born.year >= born.year + 15
        data = {"s_nik": make_nik(born, False, 5000 + serial), "s_name": fake.name_male(),
                "s_date": died.isoformat(), "s_relation": "anak" if child else "saudara"}
        if kind == "inheritance":
            heirs = [(fake.name_female(), make_nik(date(rng.randint(1940, 1962), 5, 9), True, 6000 + serial), "istri")]
            heirs += [(fake.name(), make_nik(date(min(born.year + rng.randint(18, 35), 2005), 3, 3), False,
                                             7000 + serial * 3 + i), "anak") for i in range(rng.randint(1, 3))]
            data.update({"h_name": [h[0] for h in heirs], "h_nik": [h[1] for h in heirs],
                         "h_relation": [h[2] for h in heirs]})
        return data
    if kind == "marriage":  # the other sex by the NIK, 19 or older, the wedding in a week
        spouse_female = not applicant_female
        spouse = make_nik(date(rng.randint(1985, 2004), rng.randint(1, 12), rng.randint(1, 28)), spouse_female,
                          8000 + serial)
        return {"s_nik": spouse, "s_name": fake.name_female() if spouse_female else fake.name_male(),
                "s_date": (day + timedelta(days=rng.randint(3, 9))).isoformat(), "s_place": "KUA Kecamatan Plaju"}
    if kind == "business":
        return {"s_name": rng.choice(("Warung", "Toko", "Usaha", "Bengkel")) + " " + fake.last_name(),
                "s_type": rng.choice(("perdagangan eceran", "jasa jahit", "bengkel sepeda motor", "kuliner"))}
    return {}


def _scans(serial: int) -> list:
    """The papers' scan (a blank page) of most demo requests; every fourth has none, as when the scanner is down,
    so the Kasi's and the Camat's cautions show on some."""
    if serial % 4 == 0:
        return []
    from PIL import Image
    from werkzeug.datastructures import FileStorage
    page = io.BytesIO()
    Image.new("L", (85, 120), 245).save(page, "PNG")
    page.seek(0)
    return [FileStorage(page, filename=f"berkas-{serial}.png", content_type="image/png")]


def _working_days_ago(days: int, holidays, moment) -> object:
    while days > 0:
        moment -= timedelta(days=1)
        if sla.is_working_day(sla.wib_date(moment), holidays):
            days -= 1
    return moment


@seeder(order=20)
def seed_documents() -> None:
    from faker import Faker

    from .calendar import holiday_set
    from .services import create_request
    types = seed_types()
    # the months before belong to the demo history (plaju/reports/demo.py); these are the last weeks
    if db.session.scalar(select(func.count()).select_from(DocumentRequest)
                         .where(DocumentRequest.received_at >= utcnow() - timedelta(days=RECENT_DAYS))):
        return
    people = {u.username: u for u in db.session.scalars(select(User).where(User.username.in_(set(ACTORS.values()))))}
    if set(ACTORS.values()) - set(people):
        return
    fake = Faker("id_ID")
    fake.seed_instance(2026)
    rng = random.Random(2026)
    holidays = holiday_set()
    staff = set(db.session.scalars(select(User.full_name)))
    password = current_app.config["DEMO_PASSWORD"]
    plan = [(state, overdue) for state in PATHS for overdue in (False, True)]
    plan += [("received", False)] * 3 + [("verifying", False)] * 2 + [("ready", False)] * 2
    # the office's last open moment: a demo started at night still has requests served in working hours
    # today (its service times are not all 0,0 hours)
    now = sla.last_working_moment(utcnow(), holidays)
    # every intake and step gets a moment in the past; they run in time order so that the audit log,
    # like a real one, is chronological
    events = []
    for serial, (target, overdue) in enumerate(plan, start=1):
        if target in FORWARD_STATES:
            pool = [t for t in types.values() if t.forwards_to_disdukcapil]
        elif target in SIGN_STATES:
            pool = [t for t in types.values() if t.camat_signs]
        else:
            pool = list(types.values())
        doc_type = rng.choice(pool)
        nik, female = fake_nik(rng, serial)
        name = fake.name_female() if female else fake.name_male()
        while name in staff:  # a citizen who bears a clerk's name reads as the clerk applying for herself
            name = fake.name_female() if female else fake.name_male()
        budget_days = max(1, sla.budget_minutes(doc_type.service_amount, doc_type.service_unit) // sla.DAY_MINUTES)
        ago = budget_days + rng.randint(1, 4) if overdue else rng.randint(0, max(budget_days - 1, 0))
        received_at = _working_days_ago(ago, holidays, now) - timedelta(minutes=rng.randint(30, 300))
        intake = dict(actor=people["petugas"], nik=nik, name=name, phone=fake.numerify("08%#########"),
                      contact_consent=serial % 3 != 0,  # most citizens agree to hear of their request
                      kelurahan=rng.choice(KELURAHAN), doc_type=doc_type,
                      ticked={r.id for r in doc_type.requirements}, holidays=holidays, received_at=received_at,
                      files=_scans(serial),
                      purpose=fake_purpose(doc_type, rng), address=fake_address(doc_type, serial),
                      birth_place=fake_birth_place(doc_type, serial),
                      subject=fake_subject(doc_type.subject_kind, fake, rng, serial, sla.wib_date(received_at),
                                           female, nik))
        events.append((received_at, serial, 0, intake))
        steps = PATHS[target]
        # steps spread over office hours between intake and now, at most five working hours apart
        gap = min(sla.working_minutes_between(received_at, now, holidays) // (len(steps) + 1), 300)
        for position, trigger in enumerate(steps, start=1):
            moment = sla.add_working_minutes(received_at, gap * position - rng.randint(0, min(gap, 10)), holidays)
            events.append((min(moment, now - timedelta(seconds=len(steps) - position + 1)), serial, position, trigger))
    requests = {}
    stopped = set()
    for moment, serial, position, what in sorted(events, key=lambda e: (e[0], e[1], e[2])):
        if serial in stopped:
            continue
        with clock_at(moment):
            if position == 0:
                requests[serial] = create_request(**what)
                continue
            req = requests[serial]
            data = {"holidays": holidays, "confirmed": what == "reject",
                    "fields": {"id_checked": "1"} if what == "hand_over" else {}}  # the applicant's KTP-el
            if what == "return_to_citizen":  # the paper the comment is about: the village's cover letter
                items = req.checklist_items
                data["missing"] = [next((i["id"] for i in items if "pengantar" in i["label"].lower()),
                                        items[0]["id"])] if items else []
            try:
                requests[serial] = fire(req, what, people[ACTORS[what]], expected_version=req.version,
                                        comment=COMMENTS.get(what), password=password if what == "sign" else None,
                                        data=data)
            except Refused as refused:
                log.warning("demo request %s stopped before %s: %s", req.tracking_code, what, refused.message)
                stopped.add(serial)
