"""HR's competence dictionary: competences (kind, level 1-5 where required), positions with the levels they
require, who holds which position, and what a course raises and whom it fits. Every write is audited with
before and after; bad input is refused in Bahasa and changes nothing; anyone else is refused and logged."""
import json

import pytest
from sqlalchemy import func, select

from plaju.audit.models import AuditEvent
from plaju.training.models import (
    Competence,
    CourseCompetence,
    CoursePosition,
    PersonPosition,
    Position,
    PositionCompetence,
)
from plaju.training.services import competences as competence_service
from plaju.training.services import dictionary as dictionary_service
from plaju.workflow import Invalid, NotAllowed


def _events(db, action, outcome="ok"):
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action,
                                                            AuditEvent.outcome == outcome)
                                   .order_by(AuditEvent.seq)))


def _count(db, model):
    return db.session.scalar(select(func.count()).select_from(model))


@pytest.fixture()
def dictionary(db, users):
    service = dictionary_service.save_competence(None, {"code": "PELAYANAN", "name": "Pelayanan publik",
                                                        "kind": "teknis"}, users["hr"])
    lead = dictionary_service.save_competence(None, {"code": "KEPEMIMPINAN", "name": "Kepemimpinan",
                                                     "kind": "manajerial"}, users["hr"])
    return service, lead


def test_hr_adds_and_changes_a_competence_and_the_log_holds_before_and_after(client, login_as, db, users):
    login_as("hr")
    page = client.get("/training/competences/")
    assert page.status_code == 200 and "Tambah kompetensi" in page.text
    response = client.post("/training/competences/", data={"code": "pelayanan", "name": "  Pelayanan   publik ",
                                                            "kind": "teknis"})
    assert response.status_code == 302
    competence = db.session.scalar(select(Competence))
    assert (competence.code, competence.name, competence.kind) == ("PELAYANAN", "Pelayanan publik", "teknis")
    response = client.post(f"/training/competences/{competence.id}", data={
        "code": "PELAYANAN", "name": "Pelayanan prima", "kind": "sosial_kultural"})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Competence, competence.id).name == "Pelayanan prima"
    created, = _events(db, "training_competence.create")
    changed, = _events(db, "training_competence.update")
    assert json.loads(created.changes)["code"] == [None, "PELAYANAN"]
    assert json.loads(changed.changes) == {"name": ["Pelayanan publik", "Pelayanan prima"],
                                           "kind": ["teknis", "sosial_kultural"]}
    assert "Pelayanan prima" in client.get("/training/competences/").text


@pytest.mark.parametrize(("values", "message"), [
    ({"code": "", "name": "Tanpa kode", "kind": "teknis"}, "Isi kode"),
    ({"code": "ADA SPASI", "name": "Kode salah", "kind": "teknis"}, "Isi kode"),
    ({"code": "BARU", "name": "", "kind": "teknis"}, "Isi nama kompetensi"),
    ({"code": "BARU", "name": "Jenis aneh", "kind": "rahasia"}, "Pilih jenisnya"),
    ({"code": "pelayanan", "name": "Kembar", "kind": "teknis"}, "sudah dipakai kompetensi lain"),
])
def test_bad_competence_input_is_refused_in_bahasa_and_changes_nothing(client, login_as, db, users, dictionary,
                                                                       values, message):
    login_as("hr")
    before = _count(db, Competence)
    response = client.post("/training/competences/", data=values)
    assert response.status_code == 422
    assert message in response.text
    assert _count(db, Competence) == before
    assert len(_events(db, "training_competence.create", "refused")) == 1


def test_changing_a_competence_to_another_ones_code_is_refused(db, users, dictionary):
    service, lead = dictionary
    with pytest.raises(Invalid, match="sudah dipakai"):
        dictionary_service.save_competence(lead.id, {"code": "PELAYANAN", "name": "X", "kind": "teknis"}, users["hr"])
    db.session.expire_all()
    assert db.session.get(Competence, lead.id).code == "KEPEMIMPINAN"


def test_a_position_with_its_required_levels_and_its_changes_in_the_log(client, login_as, db, users, dictionary):
    service, lead = dictionary
    login_as("hr")
    assert "Level kompetensi yang dipersyaratkan" in client.get("/training/positions/").text
    response = client.post("/training/positions/", data={"name": "Kasi Pelayanan", "kind": "pengawas",
                                                         f"level_{service.id}": "3", f"level_{lead.id}": "2"})
    assert response.status_code == 302
    position = db.session.scalar(select(Position))
    assert (position.name, position.kind) == ("Kasi Pelayanan", "pengawas")
    assert {r.competence_id: r.level for r in position.requirements} == {service.id: 3, lead.id: 2}
    response = client.post(f"/training/positions/{position.id}", data={
        "name": "Kasi Pelayanan", "kind": "pengawas", f"level_{service.id}": "4", f"level_{lead.id}": ""})
    assert response.status_code == 302
    db.session.expire_all()
    assert {r.competence_id: r.level for r in db.session.get(Position, position.id).requirements} == {service.id: 4}
    changed, = _events(db, "training_position.update")
    assert json.loads(changed.changes) == {"requirements": ["KEPEMIMPINAN:2, PELAYANAN:3", "PELAYANAN:4"]}
    page = client.get(f"/training/positions/{position.id}").text
    assert "Ubah Kasi Pelayanan" in page and "level 4" in page


@pytest.mark.parametrize(("level", "kind", "name", "message"), [
    ("7", "pengawas", "Kasi Umum", "1 sampai 5"),
    ("tiga", "pengawas", "Kasi Umum", "1 sampai 5"),
    ("0", "pengawas", "Kasi Umum", "1 sampai 5"),
    ("3", "direktur", "Kasi Umum", "Pilih jenis jabatan"),
    ("3", "pengawas", "", "Isi nama jabatan"),
    ("3", "pelaksana", "petugas loket", "Sudah ada jabatan bernama"),
])
def test_bad_position_input_is_refused_in_bahasa_and_changes_nothing(client, login_as, db, users, dictionary,
                                                                     level, kind, name, message):
    service, _lead = dictionary
    dictionary_service.save_position(None, {"name": "Petugas Loket", "kind": "pelaksana",
                                            "requirements": {service.id: 2}}, users["hr"])
    login_as("hr")
    response = client.post("/training/positions/", data={"name": name, "kind": kind, f"level_{service.id}": level})
    assert response.status_code == 422
    assert message in response.text
    assert _count(db, Position) == 1 and _count(db, PositionCompetence) == 1
    assert len(_events(db, "training_position.create", "refused")) == 1


def test_an_unknown_competence_in_a_position_is_refused(db, users, dictionary):
    with pytest.raises(Invalid, match="Pilih kompetensi dari daftar"):
        dictionary_service.save_position(None, {"name": "X", "kind": "pelaksana", "requirements": {99999: 2}},
                                         users["hr"])
    assert _count(db, Position) == 0


def test_hr_sets_who_holds_a_position_and_the_gap_follows(client, login_as, db, users, dictionary):
    service, _lead = dictionary
    position = dictionary_service.save_position(None, {"name": "Petugas Loket", "kind": "pelaksana",
                                                       "requirements": {service.id: 3}}, users["hr"])
    login_as("hr")
    page = client.get("/training/positions/holders")
    assert page.status_code == 200 and "Asn Uji" in page.text and "Petugas Loket" in page.text
    response = client.post(f"/training/positions/holders/{users['asn'].id}", data={"position_id": position.id},
                           headers={"HX-Request": "true"})
    assert response.status_code == 200 and "Jabatan Asn Uji telah disimpan" in response.text
    assert db.session.get(PersonPosition, users["asn"].id).position_id == position.id
    profile = competence_service.profiles([users["asn"].id], 2030)[users["asn"].id]
    assert profile.position_kind == "pelaksana" and [g.competence.code for g in profile.gaps] == ["PELAYANAN"]
    assigned, = _events(db, "training_position.assign")
    assert json.loads(assigned.changes) == {"position": [None, "Petugas Loket"]}
    # cleared again
    assert client.post(f"/training/positions/holders/{users['asn'].id}", data={"position_id": ""}).status_code == 302
    assert db.session.get(PersonPosition, users["asn"].id) is None
    # an unknown position: refused, nothing set
    response = client.post(f"/training/positions/holders/{users['asn'].id}", data={"position_id": "99999"})
    assert response.status_code == 422 and "Jabatan itu tidak ada" in response.text
    assert db.session.get(PersonPosition, users["asn"].id) is None
    assert len(_events(db, "training_position.assign", "refused")) == 1


def test_the_administrator_manages_the_dictionary_too(client, login_as, db, users):
    login_as("admin")
    assert client.get("/training/competences/").status_code == 200
    assert client.post("/training/competences/", data={"code": "TIK", "name": "Literasi digital",
                                                       "kind": "teknis"}).status_code == 302


@pytest.mark.parametrize("insider", ["asn", "clerk", "camat"])
def test_insiders_posting_to_the_dictionary_are_refused_and_logged(client, login_as, db, users, dictionary,
                                                                   make_course, insider):
    service, _lead = dictionary
    position = dictionary_service.save_position(None, {"name": "Petugas Loket", "kind": "pelaksana",
                                                       "requirements": {service.id: 2}}, users["hr"])
    course = make_course()
    login_as(insider)
    for url in ("/training/competences/", f"/training/competences/{service.id}", "/training/positions/",
                f"/training/positions/{position.id}", "/training/positions/holders"):
        assert client.get(url).status_code == 403, url
    assert len(_events(db, "access.forbidden", "refused")) == 5
    attacks = [
        ("/training/competences/", {"code": "X", "name": "Sisipan", "kind": "teknis"}, "training_competence.create"),
        (f"/training/competences/{service.id}", {"code": "X", "name": "Diganti", "kind": "teknis"},
         "training_competence.update"),
        ("/training/positions/", {"name": "Sisipan", "kind": "pelaksana"}, "training_position.create"),
        (f"/training/positions/{position.id}", {"name": "Diganti", "kind": "administrator",
                                                f"level_{service.id}": "5"}, "training_position.update"),
        (f"/training/positions/holders/{users[insider].id}", {"position_id": position.id},
         "training_position.assign"),
    ]
    for url, data, action in attacks:
        assert client.post(url, data=data).status_code == 403, url
        assert len(_events(db, action, "refused")) == 1, action
    response = client.post(f"/training/courses/{course.id}/competences", data={f"raise_{service.id}": "5",
                                                                                "fits": "pengawas"})
    assert response.status_code == 403
    db.session.expire_all()
    assert _count(db, Competence) == 2 and db.session.get(Competence, service.id).name == "Pelayanan publik"
    position = db.session.get(Position, position.id)
    assert (position.name, position.kind) == ("Petugas Loket", "pelaksana")
    assert [r.level for r in position.requirements] == [2]
    assert _count(db, PersonPosition) == 0 and _count(db, CourseCompetence) == 0 and _count(db, CoursePosition) == 0
    with pytest.raises(NotAllowed):
        dictionary_service.assign_position(users["asn"].id, position.id, users[insider])


def test_the_course_form_declares_what_it_raises_and_whom_it_fits(client, login_as, db, users, dictionary,
                                                                  make_course):
    service, lead = dictionary
    course = make_course(title="Coaching Kepemimpinan")
    login_as("hr")
    page = client.get(f"/training/courses/{course.id}/edit").text
    assert f'name="raise_{lead.id}"' in page and 'name="fits"' in page
    response = client.post(f"/training/courses/{course.id}/competences", data={
        f"raise_{lead.id}": "3", "fits": ["pengawas", "administrator"], "fee": "1.500.000"})
    assert response.status_code == 303
    raises, fits = competence_service.course_facts([course.id])
    assert raises[course.id] == {lead.id: 3} and fits[course.id] == {"pengawas", "administrator"}
    event, = _events(db, "training_course.targets")
    assert json.loads(event.changes)["positions"] == ["", "administrator,pengawas"]
    # a level outside 1-5, or not a level at all: refused (logged), nothing changed
    for bad in ("9", "tinggi"):
        response = client.post(f"/training/courses/{course.id}/competences", data={f"raise_{service.id}": bad})
        assert response.status_code == 303
        assert "level 1 sampai 5" in client.get(f"/training/courses/{course.id}/edit").text
    assert competence_service.course_facts([course.id])[0][course.id] == {lead.id: 3}
    assert len(_events(db, "training_course.targets", "refused")) == 2


def test_a_course_s_targets_read_in_words_in_the_log(app, db, users, dictionary, make_course):
    """HR read "competences: 7:3 → 1:2,7:4", "positions: pelaksana → pelaksana,pengawas", "fee: 750000"."""
    from plaju.audit import sentences
    service, lead = dictionary
    course = make_course(title="Coaching Kepemimpinan")
    competence_service.save_course_targets(course, {lead.id: 3}, {"pelaksana"}, None, users["hr"])
    competence_service.save_course_targets(course, {service.id: 2, lead.id: 4}, {"pelaksana", "pengawas"}, 750_000,
                                           users["hr"])
    with app.test_request_context():
        first, second = sentences.render(_events(db, "training_course.targets"))
    said = {change.label: (change.before, change.after) for change in second.changes}
    assert said == {
        "Kompetensi yang ditingkatkan": ("Kepemimpinan (level 3)",
                                         "Pelayanan publik (level 2), Kepemimpinan (level 4)"),
        "Jenis jabatan": ("Pelaksana", "Pelaksana, Pengawas (mis. Kasi)"),
        "Biaya per peserta": ("—", "Rp 750.000")}
    assert {change.label: change.before for change in first.changes}["Jenis jabatan"] == "semua jenis jabatan"
