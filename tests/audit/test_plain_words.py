"""HR (Kepegawaian) reads the log in plain Bahasa Indonesia: no paths, codes, field names or machine words,
and no two fields under one name."""
import re
from datetime import timedelta

from sqlalchemy import select

from plaju.audit import record as audit
from plaju.audit import sentences
from plaju.audit.models import AuditEvent
from plaju.audit.verify import verify_chain
from plaju.database import clock_at, utcnow
from tests.audit.conftest import tamper


def _lines(app, events, **options):
    with app.test_request_context():
        return sentences.render(events, **options)


def _changes(line) -> dict:
    return {change.label: (change.before, change.after) for change in line.changes}


def test_a_refused_page_is_named_by_its_part_of_the_intranet_never_by_its_path(db, client, users, login_as):
    """HR read "membuka halaman tanpa hak untuk melihatnya (/people/)"."""
    login_as("asn")
    assert client.get("/people/").status_code == 403
    assert client.get("/audit/").status_code == 403
    assert client.post("/audit/export", data={"fmt": "csv"}).status_code == 403
    audit.record("access.forbidden", actor=users["asn"], outcome="refused", comment="/halaman-lama/7")
    db.session.commit()
    login_as("hr")
    said = [text.strip() for text in re.findall(r'data-testid="sentence">([^<]*)',
                                                client.get("/audit/", query_string={"action": "data-access"}).text)]
    assert any(text.endswith("ditolak sistem saat membuka halaman “Pegawai” tanpa hak untuk melihatnya")
               for text in said)
    assert any(text.endswith("ditolak sistem saat membuka halaman “Audit” tanpa hak untuk melihatnya") for text in said)
    # a form sent reads as a change refused, never as a page the reader may not see (test_refusal_words.py)
    posted = [text for text in said if "“Audit”" in text and "membuka halaman" not in text]
    assert posted and not [text for text in posted if "melihatnya" in text], said
    # a page the menu names nowhere (or no longer) reads without its path
    assert any(text.endswith("ditolak sistem saat membuka halaman tanpa hak untuk melihatnya") for text in said)
    assert not [text for text in said if "/" in text], said


def test_an_object_named_by_a_word_reads_as_words_and_a_number_keeps_its_sign(db, app, users):
    """The object column read "Laporan #kompetensi" for a refused report."""
    events = [audit.record("report.view", actor=users["asn"], outcome="refused", subject_type="report",
                           subject_id="kompetensi"),
              audit.record("audit.export", actor=users["hr"], subject_type="audit_export", subject_id="7")]
    db.session.commit()
    assert [line.subject for line in _lines(app, events, subjects=True)] == ["Laporan kompetensi",
                                                                             "Ekspor log audit #7"]


def test_an_export_names_its_file_format_as_people_do(db, app, users):
    event = audit.record("audit.export", actor=users["hr"], changes={"format": [None, "csv"], "rows": [None, 3]})
    other = audit.record("audit.export", actor=users["hr"], changes={"format": [None, "xlsx"], "rows": [None, 3]})
    db.session.commit()
    first, second = _lines(app, [event, other])
    assert _changes(first)["Format"] == ("—", "CSV") and _changes(second)["Format"] == ("—", "XLSX")


def test_the_chain_check_says_what_is_wrong_without_machine_words(app, db, users, checkpoint_file):
    for n in range(3):
        audit.record(f"test.event{n}", actor=users["hr"])
    db.session.commit()
    with clock_at(utcnow() - timedelta(hours=27)):
        assert app.test_cli_runner().invoke(args=["audit", "checkpoint"]).exit_code == 0
    stale = str(verify_chain().reason)
    assert "tugas terjadwal" in stale and "cron" not in stale
    tamper(db, "UPDATE audit_event SET comment = 'diubah' WHERE seq = 2")
    broken = str(verify_chain().reason)
    assert "tanda pengaman" in broken and "berkunci" not in broken and "hash-nya" not in broken


def test_the_system_reads_as_the_system_and_its_stored_name_stays_as_chained(db, app, users):
    """"seed-demo membuat akun", "cli membuat akun": the names the app acts under where no person did."""
    events = [audit.record("user.create", actor_name="seed-demo", subject=users["asn"]),
              audit.record("user.create", actor_name="cli", subject=users["clerk"]),
              audit.record("test.nightly", actor_name="system")]
    db.session.commit()
    lines = _lines(app, events)
    assert [line.who for line in lines] == ["Sistem (pemasangan)", "Sistem (perintah admin server)", "Sistem"]
    assert lines[0].text == "Sistem (pemasangan) membuat akun"
    assert [db.session.get(AuditEvent, e.seq).actor_name for e in events] == ["seed-demo", "cli", "system"]
    assert verify_chain(check_age=False).ok


def test_a_running_total_reads_as_the_total_after_the_step(db, app, users):
    """"Waktu kerja terpakai: 0 menit → 4 jam 13 menit" read as if the step alone took four hours."""
    ready = audit.record("document.mark_ready", actor=users["clerk"], subject_type="document", subject_id="1",
                         changes={"clock_used_minutes": [0, 253]})
    again = audit.record("document.mark_ready", actor=users["clerk"], subject_type="document", subject_id="1",
                         changes={"clock_used_minutes": [253, 300]})
    db.session.commit()
    first, second = _lines(app, [ready, again])
    assert _changes(first)["Waktu kerja terpakai"] == ("—", "4 jam 13 menit")
    assert _changes(second)["Waktu kerja terpakai"] == ("—", "5 jam")


def test_the_account_s_position_and_the_competence_position_read_apart(db, app, users):
    """Both read "Jabatan" in one person's history: the administrator's field and HR's."""
    from plaju.training.models import Position
    from plaju.training.services import dictionary
    position = Position(name="Petugas Loket PATEN", kind="pelaksana")
    db.session.add(position)
    db.session.commit()
    audit.record("user.update", actor=users["admin"], subject=users["asn"], changes={"position": ["Staf", "Pengelola"]})
    db.session.commit()
    dictionary.assign_position(users["asn"].id, position.id, users["hr"])
    events = list(db.session.scalars(select(AuditEvent).where(AuditEvent.subject_type == "user")
                                     .order_by(AuditEvent.seq)))
    account, competence = _lines(app, events)
    assert _changes(account) == {"Jabatan (akun)": ("Staf", "Pengelola")}
    assert _changes(competence) == {"Jabatan kompetensi": ("—", "Petugas Loket PATEN")}
