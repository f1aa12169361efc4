"""A letter the Camat signs states where and when the citizen was born ("Tempat/Tgl. Lahir") and the sex, as
every surat keterangan does: the place is asked at the counter as the KTP states it, the date and the sex
are read from the NIK (a woman's day of birth is written plus 40)."""
from datetime import date

from sqlalchemy import select

from plaju.audit.models import AuditEvent
from plaju.documents.letters import draw
from plaju.documents.models import DocumentRequest
from plaju.documents.nik import make_nik
from tests.documents.conftest import count_rows, fresh

HX = {"HX-Request": "true"}
HER_NIK = make_nik(date(1990, 7, 12), True, 5)


def _form(doc_type, **overrides):
    from plaju.once import new_token
    data = {"nik": HER_NIK, "name": "Rina Marlina", "phone": "", "kelurahan": "Talang Putri",
            "type_id": str(doc_type.id), "requirements": [str(r.id) for r in doc_type.requirements if r.required],
            "note": "", "purpose": "pendaftaran sekolah", "address": "Jl. Sentosa No. 7 RT 003 RW 001",
            "birth_place": "Palembang", "form_token": new_token()}
    data.update(overrides)
    return data


def test_a_letter_type_asks_the_place_of_birth_and_the_letter_states_it_with_the_nik_s_date(
        client, login_as, doc_types, db):
    login_as("clerk")
    domisili = doc_types["domisili"]
    form = client.get(f"/documents/new?type_id={domisili.id}").text
    assert 'data-testid="birth-place"' in form
    for typed, message in (("", "Isi tempat lahir sesuai KTP"),
                           ("Palembang 12-07-1990", "Tempat lahir tidak memuat angka"),
                           ("P" * 61, "Tempat lahir paling panjang 60 karakter")):
        refused = client.post("/documents/new", data=_form(domisili, birth_place=typed))
        assert refused.status_code == 422 and message in refused.text, typed
        assert 'data-testid="birth-place-error"' in refused.text
    assert count_rows(db, DocumentRequest) == 0
    assert client.post("/documents/new", data=_form(domisili, birth_place="  Muara   Enim ")).status_code == 303
    req = db.session.scalars(select(DocumentRequest)).one()
    assert req.birth_place == "Muara Enim"
    fields = draw(req).content.fields
    assert fields[:4] == [("Nama", "Rina Marlina"), ("NIK", HER_NIK), ("Tempat/Tgl. Lahir", "Muara Enim, 12 Juli 1990"),
                          ("Jenis Kelamin", "Perempuan")]
    assert 'data-testid="birth-place">Muara Enim<' in client.get(f"/documents/{req.id}").text


def test_a_document_that_is_no_letter_asks_no_place_of_birth(client, login_as, doc_types, db):
    login_as("clerk")
    ktp = doc_types["ktp-baru"]
    assert 'data-testid="birth-place"' not in client.get(f"/documents/new?type_id={ktp.id}").text
    assert client.post("/documents/new", data=_form(ktp, birth_place="")).status_code == 303
    assert db.session.scalars(select(DocumentRequest)).one().birth_place == ""


def test_a_letter_taken_in_before_the_place_was_asked_states_the_date_alone(make_request):
    him = make_nik(date(1985, 1, 3), False, 9)
    req = make_request("processing", "domisili", name="Budi Saputra", nik=him, birth_place="")
    fields = dict(draw(req).content.fields)
    assert fields["Tanggal Lahir"] == "3 Januari 1985" and fields["Jenis Kelamin"] == "Laki-laki"
    assert "Tempat/Tgl. Lahir" not in fields


def test_a_letter_for_a_family_member_asks_that_person_s_place_of_birth(client, login_as, doc_types, db):
    login_as("clerk")
    sktm = doc_types["sktm"]
    child = make_nik(date(2010, 2, 1), False, 77)
    person = {"s_same_sent": "1", "s_nik": child, "s_name": "Andi Marlina", "s_relation": "ibu"}
    refused = client.post("/documents/new", data=_form(sktm, **person))
    assert refused.status_code == 422 and 'data-testid="s_place-error"' in refused.text
    assert "Isi tempat lahir orang yang dimaksud dalam surat" in refused.text
    assert client.post("/documents/new", data=_form(sktm, **person, s_place="Lahat")).status_code == 303
    req = db.session.scalars(select(DocumentRequest)).one()
    fields = dict(draw(req).content.fields)
    assert fields["Tempat/Tgl. Lahir"] == "Lahat, 1 Februari 2010" and fields["Jenis Kelamin"] == "Laki-laki"
    page = client.get(f"/documents/{req.id}").text
    assert "Lahat" in page.split('data-testid="subject"')[1].split("</dl>")[0]


def test_the_kasi_corrects_the_place_of_birth_and_the_log_names_it(client, login_as, db, users, make_request):
    req = make_request("processing", "domisili", birth_place="Plembang")
    login_as("kasi")
    url = f"/documents/{req.id}/correct"
    base = {"version": req.version, "name": req.name, "address": req.address, "purpose": req.purpose}
    refused = client.post(url, headers=HX, data=dict(base, birth_place="Palembang 1990"))
    assert refused.status_code == 422 and 'data-testid="fix-birth_place-error"' in refused.text
    assert fresh(db, req).birth_place == "Plembang"
    assert client.post(url, headers=HX, data=dict(base, birth_place="Palembang")).status_code == 200
    row = fresh(db, req)
    assert row.birth_place == "Palembang" and "birth_place" in row.corrected_fields
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "document.correct",
                                                        AuditEvent.outcome == "ok")).one()
    assert event.changes_dict["birth_place"] == ["Plembang", "Palembang"]
    login_as("hr")
    assert "Tempat lahir" in client.get("/audit/", query_string={"q": req.tracking_code}).text


def test_the_person_s_place_follows_the_same_rule_and_the_applicant_s_is_then_optional(client, login_as,
                                                                                        doc_types, db):
    """The person's place took "PALEMBANG, 04-03-2012" and printed it; the applicant's, never printed on a
    letter about someone else, was still required."""
    login_as("clerk")
    sktm = doc_types["sktm"]
    person = {"s_same_sent": "1", "s_nik": make_nik(date(2012, 3, 4), False, 78), "s_name": "Andi Marlina",
              "s_relation": "ibu"}
    copied = client.post("/documents/new", data=_form(sktm, **person, s_place="PALEMBANG, 04-03-2012"))
    assert copied.status_code == 422 and "Tempat lahir tidak memuat angka" in copied.text
    assert 'data-testid="s_place-error"' in copied.text and count_rows(db, DocumentRequest) == 0
    assert client.post("/documents/new", data=_form(sktm, **person, s_place="Palembang",
                                                    birth_place="")).status_code == 303
    req = db.session.scalars(select(DocumentRequest)).one()
    assert req.birth_place == "" and dict(draw(req).content.fields)["Tempat/Tgl. Lahir"] == "Palembang, 4 Maret 2012"


def test_a_letter_for_a_family_member_taken_in_before_the_place_was_asked_is_corrected_without_it(
        client, login_as, db, make_request):
    import json
    req = make_request("processing", "sktm", subject={"s_same": "0", "s_nik": make_nik(date(2010, 2, 1), False, 79),
                                                      "s_name": "Andi Marlina", "s_place": "Lahat",
                                                      "s_relation": "ibu"})
    old = {k: v for k, v in req.subject.items() if k != "place"}  # as stored before the place was asked
    req.subject_data, req.birth_place = json.dumps(old), ""
    db.session.commit()
    login_as("kasi")
    fixed = client.post(f"/documents/{req.id}/correct", headers=HX, data={
        "version": req.version, "name": req.name, "address": "Jl. Baru No. 2 RT 001 RW 002", "purpose": req.purpose,
        "birth_place": "", "subject_sent": "1", "s_name": "Andi Marlina", "s_relation": "ibu", "s_place": ""})
    assert fixed.status_code == 200, fixed.text[:400]
    row = fresh(db, req)
    assert row.address == "Jl. Baru No. 2 RT 001 RW 002" and not row.subject.get("place")
    assert dict(draw(row).content.fields)["Tanggal Lahir"] == "1 Februari 2010"
