"""Invented demo data for competence development: courses of every method, enrolments in every state
(moved through the real workflow, so the audit trail is complete), one approved, one submitted and one
draft plan, ASN above and below 20 JP. Idempotent: nothing is added when the catalogue has courses."""
import io
import logging
from datetime import timedelta

from flask import current_app
from sqlalchemy import select
from werkzeug.datastructures import FileStorage

from ..accounts.models import Unit, User
from ..core.registry import seeder
from ..extensions import db
from ..timeutil import today_wib
from ..workflow import Refused, fire
from .opened import record_reading

log = logging.getLogger(__name__)


def tiny_pdf(text: str = "Modul Kecamatan Plaju") -> bytes:
    """A one-page PDF, enough for a browser's viewer and for the upload's content check."""
    stream = f"BT /F1 16 Tf 20 70 Td ({text}) Tj ET".encode()
    objects = [b"<</Type/Catalog/Pages 2 0 R>>", b"<</Type/Pages/Kids[3 0 R]/Count 1>>",
               b"<</Type/Page/Parent 2 0 R/MediaBox[0 0 360 144]/Contents 4 0 R"
               b"/Resources<</Font<</F1 5 0 R>>>>>>",
               b"<</Length %d>>stream\n" % len(stream) + stream + b"\nendstream",
               b"<</Type/Font/Subtype/Type1/BaseFont/Helvetica>>"]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    out.write(b"trailer\n<</Size %d/Root 1 0 R>>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref))
    return out.getvalue()


def _file(name: str, data: bytes) -> FileStorage:
    return FileStorage(stream=io.BytesIO(data), filename=name)


COURSES = [
    # title, kind, method, jp, provider, place/link, quota, deadline offset, routine, description
    ("Pelatihan Pelayanan Prima di Loket PATEN", "teknis", "pelatihan", 24, "BPSDM Provinsi Sumatera Selatan",
     "Gedung BPSDM Sumsel, Jl. Demang Lebar Daun", 20, 21, False,
     "Standar pelayanan, keramahan, dan ketepatan di loket PATEN kecamatan."),
    ("Workshop Aplikasi Pelayanan Online Kecamatan", "teknis", "workshop", 12, "Internal Kecamatan Plaju",
     "Aula Kantor Camat Plaju", 15, 14, True,
     "Praktik langsung memproses permohonan warga lewat aplikasi pelayanan online."),
    ("Seminar Budaya Kerja BerAKHLAK", "sosial_kultural", "seminar", 4, "Pemerintah Kota Palembang",
     "Auditorium Pemkot Palembang", None, 30, True, "Nilai dasar ASN dan budaya kerja melayani."),
    ("Bimtek Administrasi Kependudukan: KTP-el dan Akta Kelahiran", "teknis", "bimtek", 16,
     "Disdukcapil Kota Palembang", "Kantor Disdukcapil Palembang", 2, 10, False,
     "Mempercepat penyelesaian KTP-el dan akta kelahiran tanpa kesalahan data."),
    ("Kursus Manajemen Waktu untuk ASN", "manajerial", "kursus", 8, "LAN RI", "Daring (Zoom)", 30, -5, True,
     "Mengatur prioritas kerja dan waktu layanan."),
    ("E-learning Komunikasi Efektif dengan Warga", "sosial_kultural", "elearning", 6, "LAN RI",
     "", None, 60, True, "Belajar kapan saja dari ponsel: mendengar, menjelaskan, dan menangani keluhan."),
    ("E-learning Dasar Pelayanan Publik Digital", "teknis", "elearning", 4, "Internal Kecamatan Plaju", "",
     None, 60, True, "Dasar layanan digital kecamatan dalam dua modul singkat."),
    ("Coaching Kepemimpinan bagi Kepala Seksi", "manajerial", "coaching", 10, "Camat Plaju",
     "Ruang Camat", 6, 20, False, "Sesi coaching berkala untuk para Kasi."),
    ("Mentoring Penyusunan SKP", "manajerial", "mentoring", 6, "Subbagian Umum dan Kepegawaian",
     "Ruang Kepegawaian", 10, 25, True, "Pendampingan menyusun Sasaran Kinerja Pegawai."),
    ("Magang di Mal Pelayanan Publik Palembang", "teknis", "magang", 20, "MPP Kota Palembang",
     "Mal Pelayanan Publik Palembang", 4, 40, False, "Beberapa hari belajar langsung di loket MPP."),
    ("Belajar Mandiri: Etika Pelayanan Publik", "sosial_kultural", "mandiri", 2, "Internal Kecamatan Plaju",
     "", None, 90, True, "Membaca modul etika pelayanan dan menuliskan refleksi singkat."),
    # run by the office itself: the certificate is issued here (see INTERNAL)
    ("E-learning Standar Pelayanan PATEN", "teknis", "elearning", 3, "Kecamatan Plaju", "", None, 60, True,
     "Tiga hal yang wajib diketahui petugas PATEN; sertifikat diterbitkan Kecamatan setelah modul dan kuis selesai."),
    ("Pelatihan Internal Tata Naskah Dinas", "teknis", "pelatihan", 8, "Kecamatan Plaju",
     "Aula Kantor Camat Plaju", 20, 12, True,
     "Dua hari praktik menyusun surat dinas; sertifikat diterbitkan Kecamatan bagi peserta yang hadir minimal 80%."),
]
# courses the office runs itself: the organiser records attendance, the office signs the certificates
INTERNAL = {"E-learning Standar Pelayanan PATEN", "Pelatihan Internal Tata Naskah Dinas"}

MODULES = {
    "E-learning Komunikasi Efektif dengan Warga": [
        ("Mendengar aktif di loket", "text",
         "Warga datang dengan kebutuhan yang berbeda-beda.\n\nDengarkan sampai selesai, ulangi inti "
         "permintaannya, lalu jelaskan langkah berikutnya dengan bahasa sederhana."),
        ("Menjelaskan persyaratan dengan jelas", "link", "https://www.menpan.go.id/"),
        ("Lembar ringkas: menangani keluhan", "pdf", None),
    ],
    "E-learning Standar Pelayanan PATEN": [
        ("Apa itu PATEN", "text",
         "PATEN (Pelayanan Administrasi Terpadu Kecamatan) melayani warga di satu loket: permohonan masuk, "
         "diproses, dan diambil di tempat yang sama."),
        ("Standar waktu dan biaya", "text",
         "Setiap jenis layanan punya standar waktu yang diumumkan. Layanan kecamatan tidak dipungut biaya."),
    ],
    "E-learning Dasar Pelayanan Publik Digital": [
        ("Apa itu layanan digital kecamatan", "text",
         "Layanan digital memangkas antrean: warga mengajukan permohonan dari rumah, petugas memproses "
         "berkas di aplikasi, dan warga cukup datang sekali untuk mengambil dokumen."),
        ("Menjaga data pribadi warga", "text",
         "UU 27/2022 melindungi data pribadi. Tampilkan NIK tersamar bila pekerjaan tidak memerlukannya."),
    ],
}
QUIZ = {
    "E-learning Standar Pelayanan PATEN": (70, [
        ("Berapa biaya layanan PATEN di kecamatan?", ["Gratis", "Rp 10.000", "Tergantung petugas"], 0),
        ("Di mana warga mengambil dokumen yang sudah selesai?",
         ["Di loket PATEN tempat mengajukan", "Di kantor wali kota", "Dikirim ke RT"], 0),
    ]),
    "E-learning Komunikasi Efektif dengan Warga": (70, [
        ("Apa langkah pertama saat warga menyampaikan keluhan?",
         ["Langsung menjelaskan aturan", "Mendengarkan sampai selesai", "Meminta warga datang besok"], 1),
        ("Bahasa seperti apa yang dipakai menjelaskan persyaratan?",
         ["Bahasa sederhana dan jelas", "Istilah hukum lengkap", "Bahasa asing"], 0),
        ("Setelah mendengar permintaan warga, petugas sebaiknya...",
         ["Mengulang inti permintaan", "Mengabaikannya", "Menyuruh warga mengisi ulang"], 0),
    ]),
}


# competence dictionary (code, name, kind), positions by the demo people's titles (kind, {competence: level}),
# and per course: the competence it raises (code, level), the position kinds it fits (empty: all), fee (Rp)
COMPETENCES = [
    ("PELAYANAN", "Pelayanan publik", "teknis"),
    ("ADMINDUK", "Administrasi kependudukan", "teknis"),
    ("DIGITAL", "Layanan digital", "teknis"),
    ("KEPEMIMPINAN", "Kepemimpinan", "manajerial"),
    ("KINERJA", "Perencanaan kinerja (SKP)", "manajerial"),
    ("INTEGRITAS", "Integritas dan etika", "sosial_kultural"),
    ("KOMUNIKASI", "Komunikasi dengan warga", "sosial_kultural"),
]
POSITIONS = {
    "Camat Plaju": ("administrator", {"KEPEMIMPINAN": 4, "KINERJA": 4, "INTEGRITAS": 4}),
    "Sekretaris Camat": ("administrator", {"KEPEMIMPINAN": 4, "KINERJA": 4, "INTEGRITAS": 3}),
    "Kasubbag Umum dan Kepegawaian": ("pengawas", {"KEPEMIMPINAN": 3, "KINERJA": 3, "INTEGRITAS": 3}),
    "Kasi Pelayanan": ("pengawas", {"KEPEMIMPINAN": 3, "PELAYANAN": 3, "KOMUNIKASI": 3}),
    "Kasi Pemerintahan": ("pengawas", {"KEPEMIMPINAN": 3, "ADMINDUK": 3, "INTEGRITAS": 3}),
    "Lurah Plaju Darat": ("pengawas", {"KEPEMIMPINAN": 3, "PELAYANAN": 3, "KOMUNIKASI": 3}),
    "Petugas Loket PATEN": ("pelaksana", {"PELAYANAN": 3, "DIGITAL": 2, "KOMUNIKASI": 3}),
    "Pengadministrasi Umum": ("pelaksana", {"PELAYANAN": 2, "ADMINDUK": 3, "INTEGRITAS": 2}),
    "Pengolah Data": ("pelaksana", {"DIGITAL": 2, "ADMINDUK": 2, "INTEGRITAS": 2}),
    "Pengadministrasi Perkantoran": ("pelaksana", {"KINERJA": 2, "DIGITAL": 2, "INTEGRITAS": 2}),
    "Analis Kepegawaian": ("fungsional", {"KINERJA": 3, "DIGITAL": 2, "INTEGRITAS": 2}),
    "Pranata Komputer": ("fungsional", {"DIGITAL": 3, "INTEGRITAS": 2}),
}
COURSE_COMPETENCES = {
    "Pelatihan Pelayanan Prima di Loket PATEN": (("PELAYANAN", 3), ("pelaksana", "fungsional"), 2_500_000),
    "Workshop Aplikasi Pelayanan Online Kecamatan": (("DIGITAL", 2), ("pelaksana", "fungsional"), 0),
    "Seminar Budaya Kerja BerAKHLAK": (("INTEGRITAS", 2), (), 0),
    "Bimtek Administrasi Kependudukan: KTP-el dan Akta Kelahiran": (("ADMINDUK", 3), ("pelaksana",), 1_500_000),
    "Kursus Manajemen Waktu untuk ASN": (("KINERJA", 2), (), 750_000),
    "E-learning Komunikasi Efektif dengan Warga": (("KOMUNIKASI", 3), (), 0),
    "E-learning Dasar Pelayanan Publik Digital": (("DIGITAL", 2), (), 0),
    "Coaching Kepemimpinan bagi Kepala Seksi": (("KEPEMIMPINAN", 3), ("pengawas",), 0),
    "Mentoring Penyusunan SKP": (("KINERJA", 3), ("pelaksana", "fungsional", "pengawas"), 0),
    "Magang di Mal Pelayanan Publik Palembang": (("PELAYANAN", 4), ("pelaksana", "pengawas"), 3_000_000),
    "Belajar Mandiri: Etika Pelayanan Publik": (("INTEGRITAS", 3), (), 0),
    "E-learning Standar Pelayanan PATEN": (("PELAYANAN", 2), (), 0),
    "Pelatihan Internal Tata Naskah Dinas": (("KINERJA", 2), ("pelaksana", "fungsional"), 0),
}


def seed_competences(people: dict, courses: dict) -> None:
    """Competences, the demo people's positions with their required levels, and what each course raises
    and fits. Idempotent per table."""
    from .models import (
        Competence,
        CourseCompetence,
        CoursePosition,
        PersonCompetence,
        PersonPosition,
        Position,
        PositionCompetence,
    )
    if db.session.scalar(select(Competence.id).limit(1)):
        return
    competences = {code: Competence(code=code, name=name, kind=kind) for code, name, kind in COMPETENCES}
    db.session.add_all(competences.values())
    positions = {}
    for name, (kind, levels) in POSITIONS.items():
        positions[name] = Position(name=name, kind=kind, requirements=[
            PositionCompetence(competence=competences[code], level=level) for code, level in levels.items()])
        db.session.add(positions[name])
    db.session.flush()
    for user in people.values():
        if user.position in positions:
            db.session.add(PersonPosition(user_id=user.id, position_id=positions[user.position].id))
    if "asn3" in people:  # an experienced analyst: assessed above what the position asks in one field
        db.session.add(PersonCompetence(user_id=people["asn3"].id, competence_id=competences["KINERJA"].id, level=3))
    for title, ((code, level), kinds, fee) in COURSE_COMPETENCES.items():
        course = courses.get(title)
        if course is None:
            continue
        course.fee = fee or None
        db.session.add(CourseCompetence(course_id=course.id, competence_id=competences[code].id, level=level))
        for kind in kinds:
            db.session.add(CoursePosition(course_id=course.id, position_kind=kind))
    db.session.commit()


def seed_internal_certificates(people, enrol, past_run) -> None:
    """The office's own classroom course, held last week: HR recorded attendance and closed it; one
    participant's certificate is signed by the Camat, one awaits his signature, one missed too many days."""
    from ..workflow import Refused as Refusal
    from .services import attendance as attendance_service
    title = "Pelatihan Internal Tata Naskah Dinas"
    if not {"asn4", "petugas", "petugas2"} <= set(people):
        return
    steps = lambda username: [("approve", people[username].supervisor.username, {}),  # noqa: E731
                              ("sign_off_routine", "camat", {})]
    taking = {name: enrol(name, title, *steps(name), past=True) for name in ("asn4", "petugas", "petugas2")}
    course = past_run(title)
    hr = people["kepegawaian"]
    days = attendance_service.course_days(course)
    for n, day in enumerate(days):
        present = [taking["asn4"].id, taking["petugas"].id] + ([taking["petugas2"].id] if n == 0 else [])
        attendance_service.record_day(course, day, present, hr)
    closing = attendance_service.close_course(db.session.get(type(course), course.id), hr, mark_below=True)
    signed = next((e for e in closing.certified if e.user_id == people["asn4"].id), None)
    if signed is not None:
        try:
            fire(signed, "sign_certificate", people["camat"], expected_version=signed.version,
                 password=current_app.config["DEMO_PASSWORD"])
        except Refusal as refusal:  # no signing certificate for the Camat: it stays awaiting his signature
            log.warning("demo certificate stays unsigned: %s", refusal.message)


@seeder(order=30)
def seed_training() -> None:
    from ..audit import record as audit
    from .models import Course, Module, Plan, QuizQuestion
    from .services import enrolment as enrolment_service
    from .services import plans as plans_service

    if db.session.scalar(select(Course.id).where(Course.title == COURSES[0][0]).limit(1)):
        return
    people = {u.username: u for u in db.session.scalars(select(User))}
    if not {"camat", "kepegawaian", "kasi", "asn1"} <= set(people):
        return
    hr = people["kepegawaian"]
    today = today_wib()
    courses = {}
    for n, (title, kind, method, jp, provider, where, quota, deadline, routine, text) in enumerate(COURSES):
        starts = today + timedelta(days=max(deadline, 0) + 7)
        course = Course(title=title, kind=kind, method=method, jp=jp, provider=provider, description=text,
                        place="" if where.startswith("http") else where, quota=quota, routine=routine,
                        enrol_deadline=today + timedelta(days=deadline) if deadline < 90 else None,
                        starts_on=None if method in ("elearning", "mandiri") else starts,
                        ends_on=None if method in ("elearning", "mandiri") else starts + timedelta(days=2 + n % 3),
                        link="https://elearning.lan.go.id/" if method == "elearning" and provider == "LAN RI" else "")
        if title in QUIZ:
            course.pass_mark = QUIZ[title][0]
        if title in INTERNAL:  # HR organises; the Camat signs the certificates
            course.internal, course.organiser_id = True, hr.id
        db.session.add(course)
        courses[title] = course
    db.session.flush()
    for title, modules in MODULES.items():
        for position, (name, kind, content) in enumerate(modules, start=1):
            module = Module(course=courses[title], position=position, title=name, kind=kind)
            if kind == "text":
                module.body = content
            elif kind == "link":
                module.url = content
            else:
                from ..uploads import store
                stored = store(_file("lembar-ringkas.pdf", tiny_pdf("Menangani keluhan warga")), allowed=("pdf",))
                module.file_name, module.file_original = stored.name, stored.original_name
            db.session.add(module)
    for title, (_mark, questions) in QUIZ.items():
        for position, (text, choices, answer) in enumerate(questions, start=1):
            db.session.add(QuizQuestion(course=courses[title], position=position, text=text,
                                        choices="\n".join(choices), answer=answer))
    seed_competences(people, courses)
    for course in courses.values():
        audit.record("training_course.create", actor=hr, subject_type="training_course", subject_id=course.id,
                     changes={"title": [None, course.title]})
    db.session.commit()

    past_runs = {}

    def past_run(title):
        """A run of the course whose last day is today: enrolment is open until the last day and
        completion is reported from it, so the demo's completed and verified enrolments, all taken
        today, belong to one."""
        if title not in past_runs:
            source = courses[title]
            ends = today
            run = Course(**{name: getattr(source, name) for name in (
                "title", "kind", "method", "jp", "provider", "description", "place", "quota", "routine",
                "link", "pass_mark", "internal", "organiser_id")}, enrol_deadline=None,
                starts_on=None if source.starts_on is None else ends - timedelta(days=2),
                ends_on=None if source.ends_on is None else ends)
            db.session.add(run)
            db.session.flush()
            audit.record("training_course.create", actor=hr, subject_type="training_course", subject_id=run.id,
                         changes={"title": [None, run.title]})
            db.session.commit()
            past_runs[title] = run
        return past_runs[title]

    def enrol(username, title, *steps, past=False):
        user = people.get(username)
        if user is None:
            return None
        course = past_run(title) if past else courses[title]
        enrolment = enrolment_service.request_enrolment(course, user, user)
        for trigger, actor_name, extra in steps:
            actor = people[actor_name]
            db.session.refresh(enrolment)
            kwargs = dict(extra)
            if trigger == "complete":
                from ..uploads import store
                issued = course.ends_on or course.starts_on or today
                # each person's own certificate: one file for two people is a twin HR credits only with a reason
                scan = tiny_pdf(f"STTPP {course.title} {user.full_name}")
                kwargs = {"data": {"evidence": store(_file("sttpp.pdf", scan)),
                                   "certificate": {"number": f"{800 + enrolment.id}/STTPP/{issued.year}",
                                                   "date": issued, "issuer": course.provider or "Kecamatan Plaju",
                                                   "jp": course.jp}}}
            if trigger == "verify":
                record_reading(enrolment, actor)
            enrolment = fire(enrolment, trigger, actor, expected_version=enrolment.version, **kwargs)
        return enrolment

    seminar, mandiri = "Seminar Budaya Kerja BerAKHLAK", "Belajar Mandiri: Etika Pelayanan Publik"
    bimtek = "Bimtek Administrasi Kependudukan: KTP-el dan Akta Kelahiran"
    verified = [("complete", None, {}), ("verify", "kepegawaian", {})]

    def to_verified(username, title, *after):
        boss = people[username].supervisor.username
        steps = [("approve", boss, {}), ("sign_off_routine" if courses[title].routine else "sign_off", "camat", {})]
        steps += [(t, a or username, x) for t, a, x in verified]
        return enrol(username, title, *steps, *after, past=True)

    # above 20 JP: 16 + 4 + 2
    to_verified("asn3", bimtek)
    to_verified("asn3", seminar)
    to_verified("asn3", mandiri)
    # below 20 JP: 4 + 2
    to_verified("asn1", seminar)
    to_verified("asn1", mandiri)
    enrol("asn1", "Pelatihan Pelayanan Prima di Loket PATEN")  # requested
    enrol("kasi", "Coaching Kepemimpinan bagi Kepala Seksi")  # requested, the Camat approves
    enrol("asn2", "Workshop Aplikasi Pelayanan Online Kecamatan", ("approve", "kasipem", {}))  # approved
    enrol("asn4", bimtek, ("approve", "sekcam", {}))  # approved: the bimtek is now full
    enrol("asn2", "E-learning Dasar Pelayanan Publik Digital", ("approve", "kasipem", {}),
          ("sign_off_routine", "camat", {}))  # in progress
    enrol("petugas", "Pelatihan Pelayanan Prima di Loket PATEN", ("approve", "kasi", {}),
          ("sign_off", "camat", {}))  # in progress, classical: evidence to upload
    enrol("asn4", "Mentoring Penyusunan SKP", ("approve", "sekcam", {}), ("sign_off_routine", "camat", {}),
          ("complete", "asn4", {}), past=True)  # completed, HR to verify
    enrol("asn5", "Magang di Mal Pelayanan Publik Palembang",
          ("decline", "camat", {"comment": "Beban kerja kelurahan sedang tinggi; ajukan lagi triwulan depan."}))
    enrol("asn2", seminar, ("withdraw", "asn2", {"data": {"confirmed": True}}))
    # credited, then taken back: the ASN had been marked absent on the seminar's second day
    to_verified("asn4", seminar, ("withdraw_credit", "kepegawaian", {
        "comment": "Daftar hadir panitia: tidak hadir pada hari kedua seminar.",
        "password": current_app.config["DEMO_PASSWORD"], "data": {"confirmed": True}}))
    enrol("petugas2", "Workshop Aplikasi Pelayanan Online Kecamatan", ("approve", "kasi", {}),
          ("sign_off_routine", "camat", {}),
          ("mark_not_completed", "kasi", {"comment": "Tidak hadir pada dua sesi praktik."}))

    seed_internal_certificates(people, enrol, past_run)

    for run in past_runs.values():  # they happened: no longer offered
        run.active = False
    db.session.commit()

    units = {u.code: u for u in db.session.scalars(select(Unit))}
    year = today.year
    password = current_app.config["DEMO_PASSWORD"]
    for code, target in (("pelayanan", "approved"), ("umpeg", "submitted"), ("pemerintahan", "draft")):
        if code not in units or db.session.scalar(select(Plan.id).where(Plan.unit_id == units[code].id)):
            continue
        plan = plans_service.create_plan(units[code].id, year, hr)
        try:
            if target in ("approved", "submitted"):
                plan = fire(plan, "submit", hr, expected_version=plan.version)
            if target == "approved":
                fire(plan, "approve", people["camat"], expected_version=plan.version, password=password)
        except Refused as refusal:
            log.warning("demo plan %s stays %s: %s", code, plan.state, refusal.message)
