"""Counter paperwork and whom a document is about: subject data at intake (validated, nothing half-saved),
the letters naming the right people, the hand-over record, the returned-file slip, the public tracking
page's missing items and revised date, and the receipt's wording per kind of document."""
import io
import json
import re
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from plaju.audit.models import AuditEvent
from plaju.database import utcnow
from plaju.documents import services as svc
from plaju.documents.letters import draw
from plaju.documents.models import DocumentAttachment, DocumentHandover, DocumentRequest
from plaju.documents.nik import make_nik
from plaju.documents.seed import TYPES
from plaju.documents.subjects import SubjectRefused, validate
from plaju.timeutil import today_wib
from plaju.training.demo import tiny_pdf
from tests.documents.conftest import count_rows, fresh, subject_for, valid_nik

PDF = tiny_pdf()  # a real one-page PDF: the upload is opened


def _intake_of(doc_type, **overrides):
    from plaju.once import new_token
    data = {"nik": valid_nik(female=True), "name": "Rina Marlina", "phone": "", "kelurahan": "Talang Putri",
            "type_id": str(doc_type.id), "requirements": [str(r.id) for r in doc_type.requirements if r.required],
            "note": "", "purpose": "pendaftaran sekolah", "address": "Jl. Sentosa No. 7 RT 003 RW 001",
            "birth_place": "Palembang",
            "form_token": new_token()}
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


# ---- the data per type ---------------------------------------------------------------------------

def test_each_seeded_type_says_whom_it_is_about_and_cites_its_source(doc_types):
    kinds = {code: t.subject_kind for code, t in doc_types.items()}
    assert kinds["akta-lahir"] == "birth" and kinds["akta-mati"] == "death"
    assert kinds["ahli-waris"] == "inheritance" and kinds["sktm"] == kinds["domisili"] == "person"
    assert kinds["ktp-baru"] == "applicant"
    for code, *_rest in TYPES:
        assert re.search(r"(Perpres|Permendagri|PP) \d+/\d{4}", doc_types[code].description), code


@pytest.mark.parametrize("code,change,field,message", [
    ("akta-lahir", {"s_name": ""}, "s_name", "Isikan nama bayi."),
    ("akta-lahir", {"s_date": "future"}, "s_date", "tanggal lahir bayi tidak boleh di masa depan"),
    ("akta-lahir", {"s_date": "old"}, "s_date", "lebih dari 60 hari yang lalu"),
    ("akta-lahir", {"s_date": "31-02-2026"}, "s_date", "bukan tanggal yang sah"),
    ("akta-lahir", {"s_sex": "X"}, "s_sex", "Pilih jenis kelamin bayi."),
    ("akta-mati", {"s_nik": "1671"}, "s_nik", "NIK harus 16 digit"),
    ("akta-mati", {"s_date": "future"}, "s_date", "tanggal meninggal tidak boleh di masa depan"),
    ("ahli-waris", {"h_name": [], "h_nik": [], "h_relation": []}, "h_0", "Isikan minimal satu ahli waris."),
    ("ahli-waris", {"h_nik": ["1671081203900001", "123"]}, "h_1", "Ahli waris 2: NIK harus 16 digit"),
    ("ahli-waris", {"h_relation": ["istri", ""]}, "h_1", "Ahli waris 2: pilih hubungannya"),
    ("ahli-waris", {"h_nik": ["1671081203900001", ""]}, "h_1", "Ahli waris 2: isikan NIK-nya."),
    ("sktm", {"s_same_sent": "1", "s_nik": "", "s_name": "Adik", "s_relation": "saudara"}, "s_nik",
     "Isikan NIK orang yang dimaksud surat."),
    ("akta-mati", {"s_nik": ""}, "s_nik", "Isikan NIK almarhum/almarhumah."),
    # a relation naming a sex is checked against the NIK of whom it describes
    ("akta-lahir", {"s_relation": "ayah"}, "s_relation",
     'Menurut NIK, pemohon adalah perempuan, tidak cocok dengan "Ayah"'),
    ("sktm", {"s_same_sent": "1", "s_nik": "1671010101900001", "s_name": "Adik", "s_relation": "suami"},
     "s_relation", 'Menurut NIK, pemohon adalah perempuan, tidak cocok dengan "Suami"'),
    ("ahli-waris", {"h_relation": ["suami", "anak"]}, "h_0", 'Menurut NIK, ahli waris 1 adalah perempuan'),
    ("ahli-waris", {"h_relation": ["istri", "suami"]}, "h_1",
     'Ahli waris 2: menurut NIK, pewaris adalah laki-laki, jadi pasangannya tidak mungkin "Suami"'),
    # the applicant as the spouse: of the other sex than the deceased, or than whom the letter is for
    ("akta-mati", {"s_nik": "1671054106480001", "s_relation": "istri"}, "s_relation",
     'Menurut NIK, almarhum/almarhumah adalah perempuan, jadi pemohon tidak mungkin "Istri"-nya.'),
    ("sktm", {"s_same_sent": "1", "s_nik": "1671014101900001", "s_name": "Rina", "s_relation": "istri"},
     "s_relation", 'Menurut NIK, orang yang dimaksud surat adalah perempuan, jadi pemohon tidak mungkin "Istri"-nya.'),
])
def test_missing_or_wrong_subject_fields_are_refused_in_bahasa_and_nothing_is_saved(
        client, login_as, doc_types, db, code, change, field, message):
    login_as("clerk")
    doc_type = doc_types[code]
    subject = subject_for(doc_type.subject_kind)
    for key, value in change.items():
        if value == "future":
            value = (today_wib() + timedelta(days=1)).isoformat()
        elif value == "old":
            value = (today_wib() - timedelta(days=61)).isoformat()
        subject[key] = value
    response = client.post("/documents/new", data=_intake_of(doc_type, **subject))
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert message in html
    assert f'data-testid="{field}-error"' in html  # beside its field, the typed values kept
    assert count_rows(db, DocumentRequest) == 0
    refused = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "document.receive")).one()
    assert refused.outcome == "refused" and (subject.get("s_name") or "-") not in (refused.comment or "")


@pytest.mark.parametrize("nik_ok", [True, False])
def test_every_faulty_subject_field_is_named_in_one_answer(client, login_as, doc_types, db, nik_ok):
    """A baby with no name, no sex and a date in the future: all three are said at once, whether the
    form's own fields passed (the service refuses) or the applicant's NIK is wrong too (the form does)."""
    login_as("clerk")
    doc_type = doc_types["akta-lahir"]
    subject = dict(subject_for("birth"), s_name="", s_sex="",
                   s_date=(today_wib() + timedelta(days=1)).isoformat())
    extra = {} if nik_ok else {"nik": "1671"}
    # no requirement ticked either: the clerk learnt of it only after fixing the baby, and chose the scans again
    response = client.post("/documents/new", data=_intake_of(doc_type, **subject, **extra, requirements=[]))
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    for field, message in (("s_name", "Isikan nama bayi."), ("s_sex", "Pilih jenis kelamin bayi."),
                           ("s_date", "tidak boleh di masa depan")):
        assert f'data-testid="{field}-error"' in html and message in html, field
    assert "Persyaratan wajib belum lengkap" in html
    # "go to the first one" leads to the top-most of them: the NIK when it is wrong, else the requirements
    anchor = re.search(r'href="#([^"]+)"[^>]*data-testid="first-fault"', html).group(1)
    assert anchor == ("requirements" if nik_ok else "nik") and f'id="{anchor}"' in html
    assert count_rows(db, DocumentRequest) == 0


def test_each_heir_row_says_its_own_fault():
    today = date(2026, 11, 29)
    parent = make_nik(date(1995, 1, 1), True, 11)
    heir = make_nik(date(1970, 1, 1), False, 14)
    with pytest.raises(SubjectRefused) as refused:
        validate("inheritance", {"s_name": "", "s_date": "2026-01-01", "s_relation": "anak",
                                 "h_name": ["A B", "C D", "E F"], "h_nik": ["123", heir, heir],
                                 "h_relation": ["anak", "anak", "anak"]}, parent, today)
    assert list(refused.value.faults) == ["s_name", "h_0", "h_2"]
    assert "listed twice" in str(refused.value.faults["h_2"])


def test_the_rules_in_one_place():
    today = date(2026, 11, 29)
    parent = make_nik(date(1995, 1, 1), True, 11)
    baby = {"s_name": "Bayi", "s_sex": "L", "s_place": "Palembang", "s_relation": "ibu"}
    assert validate("birth", {**baby, "s_date": "2026-11-29"}, parent, today)["date"] == "2026-11-29"
    with pytest.raises(SubjectRefused):  # a parent born after 2016 would be under 10
        validate("birth", {**baby, "s_date": "2026-11-20"}, make_nik(date(2020, 1, 1), True, 12), today)
    with pytest.raises(SubjectRefused):  # the deceased cannot be the applicant
        validate("death", {"s_nik": parent, "s_name": "X Y", "s_date": "2026-01-01", "s_relation": "anak"},
                 parent, today)
    with pytest.raises(SubjectRefused):  # died before born
        validate("death", {"s_nik": make_nik(date(2000, 5, 5), False, 13), "s_name": "X Y",
                           "s_date": "1999-01-01", "s_relation": "anak"}, parent, today)
    heir = make_nik(date(1970, 1, 1), False, 14)
    with pytest.raises(SubjectRefused):  # the same heir twice
        validate("inheritance", {"s_name": "X Y", "s_date": "2026-01-01", "s_relation": "anak",
                                 "h_name": ["A B", "A B"], "h_nik": [heir, heir], "h_relation": ["anak", "anak"]},
                 parent, today)
    # an heir registered outside Palembang is accepted (the NIK's structure is still checked)
    outside = "3171" + heir[4:]
    data = validate("inheritance", {"s_name": "X Y", "s_date": "2026-01-01", "s_relation": "anak",
                                    "h_name": ["A B", ""], "h_nik": [outside, ""], "h_relation": ["anak", ""]},
                    parent, today)
    assert data["heirs"] == [{"name": "A B", "nik": outside, "relation": "anak"}] and data["nik"] == ""
    assert validate("person", {"s_same": "1"}, parent, today) == {"same": True}
    assert validate("applicant", {"s_name": "ignored"}, parent, today) == {}


def test_the_people_a_letter_names_fit_together_by_their_niks_and_names():
    """A letter the Camat signs decides who inherits or who is poor: an applicant "father" of someone born 35
    years before him, or the applicant as "Budi Santoso" above and "Budi Santosa" with his NIK among the heirs,
    is a slip of the counter, said beside its field."""
    today = date(2026, 11, 29)
    applicant = make_nik(date(1985, 5, 12), False, 21)
    elder = make_nik(date(1950, 2, 2), False, 22)
    person = {"s_same_sent": "1", "s_same": "0", "s_nik": elder, "s_name": "Bapak Tua", "s_place": "Palembang"}
    with pytest.raises(SubjectRefused) as refused:  # the label read backwards
        validate("person", {**person, "s_relation": "ayah"}, applicant, today)
    assert list(refused.value.faults) == ["s_relation"] and "1985" in str(refused.value.faults["s_relation"])
    assert validate("person", {**person, "s_relation": "anak"}, applicant, today)["relation"] == "anak"
    deceased = make_nik(date(1960, 3, 3), True, 23)  # a woman
    estate = {"s_nik": deceased, "s_name": "Hj. Aminah", "s_date": "2026-01-01", "s_relation": "anak"}
    heirs = {"h_name": ["Budi Santosa", "Rina Putri"], "h_nik": [applicant, make_nik(date(1990, 1, 1), True, 24)],
             "h_relation": ["anak", "anak"]}
    with pytest.raises(SubjectRefused) as refused:  # one person, two names on one letter
        validate("inheritance", {**estate, **heirs}, applicant, today, applicant_name="Budi  Santoso")
    assert list(refused.value.faults) == ["h_0"] and "Budi Santosa" in str(refused.value.faults["h_0"])
    with pytest.raises(SubjectRefused) as refused:  # the applicant's child, and a line below her husband
        validate("inheritance", {**estate, **heirs, "h_name": ["Budi Santoso", "Rina Putri"],
                                 "h_relation": ["suami", "anak"]}, applicant, today, applicant_name="Budi Santoso")
    assert list(refused.value.faults) == ["h_0"] and "Husband" in str(refused.value.faults["h_0"])
    with pytest.raises(SubjectRefused) as refused:  # a "child" of the deceased born before her
        validate("inheritance", {**estate, **heirs, "h_name": ["budi santoso", "Rina Putri"],
                                 "h_nik": [applicant, make_nik(date(1955, 1, 1), True, 25)]},
                 applicant, today, applicant_name="Budi Santoso")
    assert list(refused.value.faults) == ["h_1"]
    data = validate("inheritance", {**estate, **heirs, "h_name": ["budi santoso", "Rina Putri"]}, applicant, today,
                    applicant_name="Budi Santoso")
    assert [h["relation"] for h in data["heirs"]] == ["anak", "anak"]


def test_a_dispensation_names_the_marriage_it_is_for(client, login_as, doc_types, db):
    """The Dispensasi Nikah named only the applicant: it could serve any marriage. Now the counter asks whom she
    marries, on which day, before which KUA, checks it against the NIKs, and the letter states it on the Mayor's
    behalf and closes as a dispensation."""
    from plaju.documents.subjects import validate
    today = date(2026, 12, 2)
    bride = make_nik(date(2000, 4, 4), True, 31)
    groom = make_nik(date(1998, 6, 6), False, 32)
    marriage = {"s_nik": groom, "s_name": "Andi Saputra", "s_date": "2026-12-09", "s_place": "KUA Kecamatan Plaju"}
    assert validate("marriage", marriage, bride, today) == {"nik": groom, "name": "Andi Saputra",
                                                            "date": "2026-12-09", "place": "KUA Kecamatan Plaju"}
    for change, field in (({"s_nik": make_nik(date(1999, 1, 1), True, 33)}, "s_nik"),  # both women by the NIKs
                          ({"s_nik": make_nik(date(2010, 1, 1), False, 34)}, "s_nik"),  # 16 on the day
                          ({"s_date": "2026-11-30"}, "s_date"), ({"s_date": "2027-06-01"}, "s_date"),
                          ({"s_place": ""}, "s_place"), ({"s_nik": bride}, "s_nik")):
        with pytest.raises(SubjectRefused) as refused:
            validate("marriage", {**marriage, **change}, bride, today)
        assert field in refused.value.faults, change
    login_as("clerk")
    dispensasi = doc_types["dispensasi-nikah"]
    assert dispensasi.subject_kind == "marriage"
    day = (today_wib() + timedelta(days=5)).isoformat()
    response = client.post("/documents/new", data=_intake_of(dispensasi, nik=bride, name="Siti Rahma", s_nik=groom,
                                                             s_name="Andi Saputra", s_date=day,
                                                             s_place="KUA Kecamatan Plaju"))
    assert response.status_code == 303, response.text[:2000]
    req = db.session.scalars(select(DocumentRequest)).one()
    content = draw(req).content
    said = " ".join(content.statements)
    assert "atas nama Wali Kota Palembang, memberikan dispensasi nikah" in content.opening
    assert content.on_behalf == "a.n. Wali Kota Palembang" and "Andi Saputra, NIK " + groom in said
    assert "dicatat oleh KUA Kecamatan Plaju" in said and content.closing.startswith("Demikian surat dispensasi")
    assert "Andi Saputra" in client.get(f"/documents/{req.id}").text


def test_an_elderly_deceased_s_nik_is_read_in_the_century_that_fits(db):
    """Born 1921 and died 2022, the deceased's NIK reads "21": taken as 2021, her children were refused."""
    today = date(2026, 12, 2)
    mother = make_nik(date(1921, 5, 5), True, 41)
    child = make_nik(date(1950, 2, 2), False, 42)
    data = validate("inheritance", {"s_nik": mother, "s_name": "Hj. Aminah", "s_date": "2022-03-03",
                                    "s_relation": "anak", "h_name": ["Budi Santoso"], "h_nik": [child],
                                    "h_relation": ["anak"]}, child, today, applicant_name="Budi Santoso")
    assert data["heirs"][0]["nik"] == child


@pytest.mark.parametrize("kind, applicant, other, relation", [
    ("person", date(2004, 3, 3), date(1968, 4, 4), "ayah"),  # read a century earlier, the applicant was "1904"
    ("inheritance", date(2005, 3, 3), date(2010, 4, 4), "anak"),  # the deceased of "1910", 95 at the birth
    ("inheritance", date(1950, 3, 3), date(2001, 4, 4), "anak"),  # the deceased of "1901", 125 today
])
def test_the_living_are_read_in_one_century_and_a_parent_is_not_75_years_older(kind, applicant, other, relation):
    today = date(2026, 12, 2)
    applicant_nik, other_nik = make_nik(applicant, False, 44), make_nik(other, False, 45)
    data = {"s_same": "", "s_nik": other_nik, "s_name": "Hasan Basri", "s_relation": relation, "s_place": "Palembang",
            "s_date": "2025-01-01", "h_name": ["Budi Santoso"], "h_nik": [applicant_nik], "h_relation": [relation]}
    with pytest.raises(SubjectRefused) as refused:
        validate(kind, data, applicant_nik, today, applicant_name="Budi Santoso")
    assert "s_relation" in refused.value.faults


def test_someone_born_on_29_february_2000_is_taken_in(client, login_as, doc_types, db, users):
    """1900 was no leap year: reading the NIK a century earlier crashed the intake (HTTP 500)."""
    today = date(2026, 12, 2)
    leap = make_nik(date(2000, 2, 29), True, 46)
    father = make_nik(date(1970, 1, 1), False, 47)
    assert validate("death", {"s_nik": father, "s_name": "Hasan Basri", "s_date": "2026-11-01",
                              "s_relation": "anak"}, leap, today)["nik"] == father
    heirs = validate("inheritance", {"s_nik": father, "s_name": "Hasan Basri", "s_date": "2026-11-01",
                                     "s_relation": "istri", "h_name": ["Siti Aminah"], "h_nik": [leap],
                                     "h_relation": ["anak"]}, make_nik(date(1972, 1, 1), True, 48), today)
    assert heirs["heirs"][0]["nik"] == leap
    with pytest.raises(SubjectRefused):  # the deceased born on that day: one reading, no crash
        validate("death", {"s_nik": leap, "s_name": "Hasan Basri", "s_date": "2026-11-01", "s_relation": "ayah"},
                 make_nik(date(2010, 1, 1), False, 49), today)


def test_a_heir_s_fault_names_the_form_s_row():
    today = date(2026, 12, 2)
    applicant = make_nik(date(1985, 5, 12), False, 43)
    with pytest.raises(SubjectRefused) as refused:  # row 1 faulty, the applicant in row 2
        validate("inheritance", {"s_nik": "", "s_name": "Hj. Aminah", "s_date": "2026-01-01", "s_relation": "anak",
                                 "h_name": ["Tanpa NIK", "Budi Santosa"], "h_nik": ["", applicant],
                                 "h_relation": ["anak", "anak"]}, applicant, today, applicant_name="Budi Santoso")
    assert "h_1" in refused.value.faults and str(refused.value.faults["h_1"]).startswith("Heir 2")


@pytest.mark.parametrize("name", ["Rina Santoso 081234567890", "Rina 5antoso", "Budi2 Santoso"])
def test_a_citizen_s_name_with_digits_is_refused_at_the_counter_and_nothing_is_saved(client, login_as, doc_types,
                                                                                     db, users, name):
    login_as("clerk")
    response = client.post("/documents/new", data=_intake_of(doc_types["ktp-baru"], nik=valid_nik(), name=name))
    assert response.status_code == 422 and "tidak memuat angka" in response.get_data(as_text=True)
    assert count_rows(db, DocumentRequest) == 0
    with pytest.raises(svc.IntakeRefused) as refused:  # the service says it too, whoever calls it
        svc.create_request(actor=users["clerk"], nik=valid_nik(), name=name, phone="", kelurahan="Plaju Ulu",
                           doc_type=doc_types["ktp-baru"], ticked=set())
    assert refused.value.field == "name"


def test_an_address_naming_a_kelurahan_is_refused_as_the_letter_adds_the_one_chosen(client, login_as, doc_types, db):
    """"Jl. Merdeka No. 1 Kel. Talang Putri" with Plaju Ulu chosen: the signed letter named two kelurahan."""
    login_as("clerk")
    for typed in ("Jl. Merdeka No. 1 RT 02 RW 01 Kel. Talang Putri Kec. Plaju", "Jl. Merdeka 1 kelurahan Plaju Ulu"):
        response = client.post("/documents/new", data=_intake_of(doc_types["sktm"], address=typed,
                                                                 kelurahan="Plaju Ulu"))
        assert response.status_code == 422 and "surat menambahkan kelurahan" in response.text
    assert count_rows(db, DocumentRequest) == 0
    ok = client.post("/documents/new", data=_intake_of(doc_types["sktm"], address="Lorong Kota Baru No. 2 RT 01"))
    assert ok.status_code == 303


def test_the_applicant_s_name_is_kept_as_every_page_shows_it(make_request):
    req = make_request(name="  budi   SANTOSO ")
    assert req.name == "budi SANTOSO" and req.name_key == "budi santoso"


def test_the_subject_fields_appear_for_the_chosen_type(client, login_as, doc_types):
    login_as("clerk")

    def fragment(code):
        return client.get(f"/documents/new/checklist?type_id={doc_types[code].id}",
                          headers={"HX-Request": "true"}).get_data(as_text=True)
    assert 'data-kind="birth"' in fragment("akta-lahir") and 'name="s_date"' in fragment("akta-lahir")
    heirs = fragment("ahli-waris")
    assert 'data-testid="heirs"' in heirs and heirs.count('name="h_nik"') == 6
    assert 'name="s_same"' in fragment("sktm") and "checked" in fragment("sktm")
    assert 'data-testid="subject-fields"' not in fragment("ktp-baru")
    assert " style=" not in heirs


def test_more_heirs_than_the_first_rows_get_rows_of_their_own(client, login_as, doc_types, db):
    """Six rows at first; "add a row" gives one more, keeps what was typed, up to subjects.MAX_HEIRS."""
    from plaju.documents.subjects import MAX_HEIRS
    login_as("clerk")
    waris = doc_types["ahli-waris"]
    names = [f"Ahli Waris {i}" for i in range(6)]
    sent = {"type_id": str(waris.id), "h_name": names, "h_nik": [""] * 6, "h_relation": ["anak"] * 6,
            "add_heir": "1"}
    more = client.post("/documents/new/checklist", data=sent, headers={"HX-Request": "true"}).text
    assert more.count('name="h_nik"') == 7 and all(f'value="{n}"' in more for n in names)
    assert 'id="h_name_6"' in more and "autofocus" in more.split('id="h_name_6"')[1].split(">")[0]
    full = client.post("/documents/new/checklist", headers={"HX-Request": "true"}, data={
        **sent, "h_name": [f"W {i}" for i in range(MAX_HEIRS + 3)]}).text
    assert full.count('name="h_nik"') == MAX_HEIRS and 'data-testid="add-heir"' not in full
    # without JavaScript the button posts the whole form: a longer form comes back and nothing is saved
    page = client.post("/documents/new", data=_intake_of(waris, **sent))
    assert page.status_code == 200 and page.text.count('name="h_nik"') == 7
    assert count_rows(db, DocumentRequest) == 0
    # seven heirs are taken in
    heir_niks = [make_nik(date(1970, 1, 1 + i), i % 2 == 0, 40 + i) for i in range(7)]
    data = _intake_of(waris, s_nik="", s_name="Almarhum Contoh", s_date="2026-01-05", s_relation="anak",
                      h_name=[f"Ahli Waris {chr(65 + i)}" for i in range(7)], h_nik=heir_niks, h_relation=["anak"] * 7)
    assert client.post("/documents/new", data=data).status_code == 303
    assert len(db.session.scalars(select(DocumentRequest)).one().subject["heirs"]) == 7


def test_an_sktm_for_a_family_member_names_that_person_and_who_asked(client, login_as, doc_types, db):
    login_as("clerk")
    sktm = doc_types["sktm"]
    child = make_nik(date(2004, 7, 7), True, 77)
    data = _intake_of(sktm, nik=valid_nik(), name="Bapak Pemohon", s_same_sent="1", s_nik=child,
                      s_name="Anak Yang Dimaksud", s_place="Prabumulih", s_relation="ayah")
    assert client.post("/documents/new", data=data).status_code == 303
    req = db.session.scalars(select(DocumentRequest)).one()
    assert req.subject == {"same": False, "nik": child, "name": "Anak Yang Dimaksud", "place": "Prabumulih",
                           "relation": "ayah"}
    content = draw(req).content
    assert ("Nama", "Anak Yang Dimaksud") in content.fields and ("NIK", child) in content.fields
    # where and when the person was born, and the sex, are the person's (the NIK's date), not the applicant's
    assert ("Tempat/Tgl. Lahir", "Prabumulih, 7 Juli 2004") in content.fields
    assert ("Jenis Kelamin", "Perempuan") in content.fields
    assert any("atas permohonan Bapak Pemohon" in s and "ayah" in s for s in content.statements)
    page = client.get(f"/documents/{req.id}").get_data(as_text=True)
    # the person's NIK is masked like the applicant's, and one audited "Show full NIK" shows both
    assert 'data-testid="subject"' in page and "Anak Yang Dimaksud" in page and child not in page
    assert child[:4] + "********" + child[-4:] in page
    shown = client.post(f"/documents/{req.id}/nik", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert child in shown and req.nik in shown and 'data-testid="subject"' in shown
    assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "document.view_nik")) == 1
    login_as("camat")  # reads the request, not the full NIK
    page = client.get(f"/documents/{req.id}").get_data(as_text=True)
    assert child not in page and child[:4] + "********" + child[-4:] in page


def test_a_letter_the_camat_signs_asks_for_the_street_and_prints_it(client, login_as, doc_types, db):
    """A domisili letter states where the citizen lives: the street and RT/RW, not the kelurahan alone."""
    login_as("clerk")
    domisili = doc_types["domisili"]
    refused = client.post("/documents/new", data=_intake_of(domisili, address="  "))
    assert refused.status_code == 422 and 'data-testid="address-error"' in refused.text
    assert count_rows(db, DocumentRequest) == 0
    posted = _intake_of(domisili, kelurahan="Talang Putri", address="Lorong Mawar  No. 3 RT 011 RW 004")
    assert client.post("/documents/new", data=posted).status_code == 303
    req = db.session.scalars(select(DocumentRequest)).one()
    assert req.address == "Lorong Mawar No. 3 RT 011 RW 004"
    assert any("berdomisili di Lorong Mawar No. 3 RT 011 RW 004, Kelurahan Talang Putri" in s
               for s in draw(req).content.statements)
    # a KTP-el is not a letter: no address is asked or kept
    assert client.post("/documents/new", data=_intake_of(doc_types["ktp-baru"], address="")).status_code == 303


def test_a_first_ktp_el_is_for_17_or_married(client, login_as, doc_types, db):
    """UU 24/2013 Pasal 63: a first KTP-el from 17 years of age, or younger when married."""
    login_as("clerk")
    ktp = doc_types["ktp-baru"]
    today = today_wib()
    child = make_nik(date(today.year - 12, 1, 1), False, 88)  # twelve all year
    refused = client.post("/documents/new", data=_intake_of(ktp, nik=child))
    assert refused.status_code == 422 and 'data-testid="married-error"' in refused.text
    assert "pemohon berumur 12 tahun" in refused.text
    assert f"jadi mulai 1 Januari {today.year + 5}" in refused.text  # when to come back
    # the summary above leads to the marked field, far below on a phone
    anchor = re.search(r'href="#([^"]+)"[^>]*data-testid="first-fault"', refused.text).group(1)
    assert f'id="{anchor}"' in refused.text and anchor == "married"
    assert count_rows(db, DocumentRequest) == 0
    married = client.post("/documents/new", data=_intake_of(ktp, nik=child, married="1"))
    assert married.status_code == 303
    req = db.session.scalars(select(DocumentRequest)).one()
    assert req.subject == {"married": True}
    assert "sudah atau pernah kawin (dinyatakan di loket)" in client.get(f"/documents/{req.id}").text
    seventeen = make_nik(date(today.year - 17, 1, 1), True, 89)
    assert client.post("/documents/new", data=_intake_of(ktp, nik=seventeen)).status_code == 303
    # the tick does not take a baby's KTP-el in (a slip of the hand with a wrong NIK)
    baby = make_nik(today - timedelta(days=2), False, 90)
    slip = client.post("/documents/new", data=_intake_of(ktp, nik=baby, married="1"))
    assert slip.status_code == 422 and "pemohon berumur 0 tahun: &#34;sudah atau pernah kawin&#34; tidak mungkin" \
        in slip.text and 'data-testid="married-error"' in slip.text
    assert count_rows(db, DocumentRequest) == 2


def test_the_heirs_letter_says_almarhum_or_almarhumah_by_the_nik(make_request):
    """The deceased's NIK says a man or a woman (a woman's day of birth plus 40): no "almarhum/almarhumah"."""
    req = make_request("processing", "ahli-waris")
    assert any(s.startswith("Berdasarkan") and "almarhum Almarhum Hasan" in s for s in draw(req).content.statements)
    woman = dict(req.subject, nik=make_nik(date(1950, 3, 4), True, 4330), name="Hajjah Aminah")
    req.subject_data = json.dumps(woman)
    assert any("almarhumah Hajjah Aminah" in s for s in draw(req).content.statements)


def test_an_sktm_for_the_applicant_himself_keeps_the_applicant_on_the_letter(make_request):
    req = make_request("processing", "sktm", name="Warga Sendiri")
    content = draw(req).content
    assert ("Nama", "Warga Sendiri") in content.fields
    assert not any("atas permohonan" in s for s in content.statements)


@pytest.mark.parametrize(("purpose", "said"), [
    ("", "untuk keperluan: administrasi."),  # a request taken in before the purpose was asked
    ("keperluan beasiswa sekolah", "untuk keperluan: beasiswa sekolah."),
    ("Untuk keperluan: berobat", "untuk keperluan: berobat."),
    ("Melamar pekerjaan.", "untuk keperluan: Melamar pekerjaan."),  # printed "pekerjaan.."
    ("untuk mendaftar sekolah anak", "untuk keperluan: mendaftar sekolah anak."),  # "keperluan: untuk ..."
])
def test_the_letter_says_keperluan_once(make_request, purpose, said):
    req = make_request("processing", "sktm", name="Warga Sendiri", purpose=purpose)
    statements = " ".join(draw(req).content.statements)
    assert said in statements and "keperluan: keperluan" not in statements.lower()
    assert ".." not in statements and "keperluan: untuk" not in statements.lower()


def test_the_office_s_note_is_never_printed_on_the_letter(make_request):
    req = make_request("processing", "sktm", name="Warga Sendiri", purpose="pendaftaran sekolah anak",
                       note="pemohon minta cepat, sudah dua kali datang")
    statements = " ".join(draw(req).content.statements)
    assert "untuk keperluan: pendaftaran sekolah anak." in statements and "minta cepat" not in statements


def test_a_letter_type_asks_its_purpose_at_the_counter_and_keeps_it(client, login_as, db, doc_types):
    sktm = doc_types["sktm"]
    login_as("clerk")
    form = client.get(f"/documents/new?type_id={sktm.id}").get_data(as_text=True)
    assert 'data-testid="purpose"' in form and "tidak dicetak pada surat" in form
    refused = client.post("/documents/new", data=_intake_of(sktm, purpose="  ", note="catatan kantor saja"))
    assert refused.status_code == 422 and "Isi keperluan surat" in refused.get_data(as_text=True)
    assert count_rows(db, DocumentRequest) == 0
    # one line on the letter: typed line breaks would add paragraphs of their own to what the Camat signs
    assert client.post("/documents/new", data=_intake_of(
        sktm, purpose="pengajuan\n\nbeasiswa\r\n")).status_code == 303
    req = db.session.scalars(select(DocumentRequest)).one()
    assert req.purpose == "pengajuan beasiswa"
    assert 'data-testid="purpose">pengajuan beasiswa<' in client.get(f"/documents/{req.id}").get_data(as_text=True)
    # a document the office does not sign asks no purpose
    ktp = client.get(f"/documents/new?type_id={doc_types['ktp-baru'].id}").get_data(as_text=True)
    assert 'data-testid="purpose"' not in ktp


def test_the_ahli_waris_letter_lists_the_deceased_and_every_heir(make_request):
    req = make_request("processing", "ahli-waris", name="Rudi Hasan")
    statements = "\n".join(draw(req).content.statements)
    heirs = req.subject["heirs"]
    assert "Almarhum Hasan" in statements and "sebanyak 2 orang" in statements
    for heir in heirs:
        assert heir["name"] in statements and heir["nik"] in statements
    assert "istri pewaris" in statements


# ---- hand-over -----------------------------------------------------------------------------------

def _hand_over(client, req, **fields):
    data = {"version": str(req.version), "comment": ""}
    files = fields.pop("evidence", None)
    data.update({f"f_{k}": v for k, v in fields.items()})
    if files:
        data["evidence"] = files
    return client.post(f"/documents/{req.id}/actions/hand_over", data=data, headers={"HX-Request": "true"},
                       content_type="multipart/form-data")


def test_someone_else_without_a_power_of_attorney_does_not_get_the_document(client, login_as, make_request, db):
    req = make_request("ready", "sktm")
    login_as("clerk")
    response = _hand_over(client, req, who="other", name="Tetangga Baik", relation="lainnya", id_kind="ktp",
                          id_number=valid_nik())
    assert response.status_code == 422
    assert "harus membawa surat kuasa" in response.get_data(as_text=True)
    assert fresh(db, req).state == "ready" and count_rows(db, DocumentHandover) == 0
    refused = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "document.hand_over")).one()
    assert refused.outcome == "refused"
    # everything wrong with the form is said in one answer, not one fault per try
    page = _hand_over(client, req, who="other", name="", relation="", id_kind="ktp", id_number="12ab").text
    for words in ("Isikan nama orang", "Pilih hubungan", "NIK hanya boleh berisi angka", "harus membawa surat kuasa",
                  "Dokumen belum diserahkan"):
        assert words in page, words
    # and each beside its field, marked: the clerk need not match sentences to fields
    for field, words in (("f_name", "Isikan nama orang"), ("f_relation", "Pilih hubungan"),
                         ("f_id_number", "NIK hanya boleh berisi angka"), ("f_attorney", "surat kuasa")):
        assert words in page.split(f'data-testid="{field}-error">')[1].split("</div>")[0], field
    assert page.count("is-invalid") >= 4


@pytest.mark.parametrize("fields,message", [
    ({"who": "other", "name": "", "relation": "anak", "id_kind": "ktp", "attorney": "1"}, "Isikan nama orang"),
    ({"who": "other", "name": "Anak Sulung", "relation": "", "id_kind": "ktp", "attorney": "1"}, "Pilih hubungan"),
    ({"who": "other", "name": "Anak Sulung", "relation": "anak", "id_kind": "ktp", "id_number": "12345",
      "attorney": "1"}, "KTP-el yang ditunjukkan: NIK harus 16 digit"),
    ({"who": "other", "name": "Anak Sulung", "relation": "anak", "id_kind": "sim", "id_number": "12 ab!",
      "attorney": "1"}, "hanya boleh berisi 4 sampai 30 huruf"),
    ({"who": "pemohon", "id_kind": "ktp", "id_number": "OTHER"}, "bukan milik pemohon"),
    ({"who": "pemohon", "id_kind": "ktp", "id_number": "1671 0845 0895"}, "NIK harus 16 digit"),
    ({"who": "pemohon", "id_kind": "kartu-lain"}, "Pilih jenis identitas"),
    ({"who": "siapa"}, "Pilih siapa yang mengambil"),
])
def test_bad_hand_over_fields_are_refused(client, login_as, make_request, db, fields, message):
    req = make_request("ready", "ktp-baru")
    if fields.get("id_number") == "OTHER":
        fields["id_number"] = valid_nik()
    login_as("clerk")
    response = _hand_over(client, req, **fields)
    assert response.status_code == 422 and message in response.get_data(as_text=True)
    assert fresh(db, req).state == "ready" and count_rows(db, DocumentHandover) == 0
    if fields.get("id_number"):  # a wrong number is told beside it, for the applicant as for someone else
        assert message in response.text.split('data-testid="f_id_number-error">')[1].split("</div>")[0]


def test_the_applicant_collects_with_his_own_ktp(client, login_as, make_request, db):
    """The record says which KTP-el was shown: with the number left empty, only once the clerk ticks that
    he looked at it (the form preselected the applicant and a KTP-el, and a bare confirm recorded a check
    that never happened)."""
    req = make_request("ready", "ktp-baru")
    login_as("clerk")
    bare = _hand_over(client, req, who="pemohon", id_kind="ktp", id_number="")
    assert bare.status_code == 422 and "centang bahwa Anda sudah mencocokkannya" in bare.text
    assert 'data-testid="f_id_number-error"' in bare.text and fresh(db, req).state == "ready"
    # another ID has no NIK to compare: "0000" as "other ID" went through unchecked
    for kind, number in (("lainnya", "0000"), ("sim", "ABCD1234")):
        other_id = _hand_over(client, req, who="pemohon", id_kind=kind, id_number=number)
        assert other_id.status_code == 422 and fresh(db, req).state == "ready", kind
    zeros = _hand_over(client, req, who="pemohon", id_kind="lainnya", id_number="0000", id_checked="1")
    assert zeros.status_code == 422 and fresh(db, req).state == "ready"  # one digit repeated is no number
    response = _hand_over(client, req, who="pemohon", id_kind="ktp", id_number="", id_checked="1")
    assert response.status_code == 200
    row = db.session.scalars(select(DocumentHandover)).one()
    assert (row.by_applicant, row.name, row.relation, row.id_number) == (True, req.name, "pemohon", req.nik)
    assert fresh(db, req).state == "handed_over"


def test_a_relative_collects_with_a_power_of_attorney_scan(app, client, login_as, make_request, db):
    req = make_request("ready", "sktm")
    login_as("clerk")
    ktp = make_nik(date(1980, 2, 2), False, 55)
    response = _hand_over(client, req, who="other", name="Kakak Pemohon", relation="saudara", id_kind="ktp",
                          id_number=ktp, evidence=(io.BytesIO(PDF), "surat-kuasa.pdf"))
    assert response.status_code == 200, response.get_data(as_text=True)[:400]
    row = db.session.scalars(select(DocumentHandover)).one()
    assert (row.by_applicant, row.power_of_attorney, row.id_number) == (False, True, ktp)
    scan = db.session.get(DocumentAttachment, row.attachment_id)
    assert scan.original_name == "surat-kuasa.pdf" and scan.request_id == req.id
    page = client.get(f"/documents/{req.id}").get_data(as_text=True)
    assert 'data-testid="handover"' in page and "Kakak Pemohon" in page and "surat kuasa diperiksa" in page
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "document.hand_over",
                                                        AuditEvent.outcome == "ok")).one()
    said = json.dumps(json.loads(event.changes)["collected_by"])
    assert ktp not in said and ktp[-4:] in said  # the audit keeps the ID number masked
    # the history words the record: relation and ID by name, no codes
    history = client.get(f"/documents/{req.id}").get_data(as_text=True)
    worded = re.search(r"Kakak Pemohon \(Saudara kandung\) · KTP-el (\S+) · surat kuasa diperiksa", history)
    assert worded and ktp not in worded.group(1) and worded.group(1).endswith(ktp[-4:])
    assert "(saudara); ktp" not in history
    # the total wait reads as working time in words, not a count of minutes
    assert re.search(r"Total waktu tunggu \(waktu kerja\): [^<]*(menit|jam)</div>", history)
    login_as("camat")  # shown masked to whoever may not see full NIKs
    page = client.get(f"/documents/{req.id}").get_data(as_text=True)
    assert ktp not in page and ktp[:4] + "********" + ktp[-4:] in page


def test_a_bad_power_of_attorney_scan_is_said_with_the_form_s_other_faults(client, login_as, make_request, db):
    """The clerk with the collector at the counter corrects everything in one go: a scan that cannot be taken
    is named beside the empty name, and a bad scan refuses the hand-over even when all else is right."""
    req = make_request("ready", "sktm")
    login_as("clerk")
    bad = (io.BytesIO(b"MZ not a scan at all"), "surat-kuasa.pdf")
    page = _hand_over(client, req, who="other", name="", relation="anak", id_kind="ktp",
                      id_number=make_nik(date(1990, 3, 3), True, 7), evidence=bad)
    text = page.get_data(as_text=True)
    assert page.status_code == 422 and "Isikan nama orang" in text and "Dokumen belum diserahkan" in text
    assert "surat-kuasa.pdf bukan berkas" in text  # the scan's own fault, as uploads words it
    # the attorney ticked as checked and everything else right: the scan that cannot be taken still stops it
    complete = _hand_over(client, req, who="other", name="Anak Sulung", relation="anak", id_kind="ktp",
                          id_number=make_nik(date(1990, 3, 3), True, 7), attorney="1",
                          evidence=(io.BytesIO(b"MZ not a scan at all"), "surat-kuasa.pdf"))
    said = complete.get_data(as_text=True)
    assert complete.status_code == 422 and "Dokumen belum diserahkan" in said
    assert "surat-kuasa.pdf bukan berkas" in said and "harus membawa surat kuasa" not in said
    assert fresh(db, req).state == "ready"
    assert count_rows(db, DocumentHandover) == 0 and count_rows(db, DocumentAttachment) == 0
    refusals = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "document.hand_over")).all()
    assert [e.outcome for e in refusals] == ["refused", "refused"]


def test_a_relative_with_a_ticked_power_of_attorney_and_a_passport(client, login_as, make_request, db):
    req = make_request("ready", "domisili")
    login_as("clerk")
    response = _hand_over(client, req, who="other", name="Istri Pemohon", relation="istri", id_kind="paspor",
                          id_number="c 1234567", attorney="1")
    assert response.status_code == 200
    row = db.session.scalars(select(DocumentHandover)).one()
    assert (row.id_kind, row.id_number, row.power_of_attorney, row.attachment_id) == ("paspor", "C1234567", True,
                                                                                      None)


def test_the_hand_over_form_asks_who_collects(client, login_as, make_request):
    req = make_request("ready", "sktm")
    login_as("clerk")
    page = client.get(f"/documents/{req.id}").get_data(as_text=True)
    assert 'data-testid="handover-fields"' in page and 'name="f_who" value="pemohon"' in page
    assert 'enctype="multipart/form-data"' in page and " style=" not in page
    # the applicant or a proxy is chosen in this same form: the button that confirms it names neither
    button = re.search(r'data-testid="confirm-hand_over">([^<]*)<', page).group(1)
    assert button.startswith("Konfirmasi") and not re.search("pemohon|kuasa|applicant|citizen", button, re.I)
    # a proxy's hand-over refused (no surat kuasa) comes back with the same neutral button
    again = _hand_over(client, req, who="other", name="Tetangga Baik", relation="lainnya", id_kind="ktp",
                       id_number=valid_nik()).text
    assert re.search(r'data-testid="confirm-hand_over">([^<]*)<', again).group(1) == button


# ---- the returned-file slip and the tracking page ---------------------------------------------------

def _returned(client, login_as, make_request, code="akta-lahir"):
    req = make_request("verifying", code, name="Ibu Pelapor Rahasia")
    login_as("clerk")
    missing = next(item for item in req.checklist_items if item["required"])
    response = client.post(f"/documents/{req.id}/actions/return_to_citizen",
                           data={"version": str(req.version), "comment": "Cap bidan tidak terbaca",
                                 "missing": str(missing["id"])})
    assert response.status_code == 303
    return req, missing["label"]


def test_the_returned_file_slip_lists_what_is_missing_and_why(client, login_as, make_request, db):
    req, label = _returned(client, login_as, make_request)
    page = client.get(f"/documents/{req.id}").get_data(as_text=True)
    assert 'data-testid="slip-link"' in page
    slip = client.get(f"/documents/{req.id}/slip").get_data(as_text=True)
    missing = re.search(r'data-testid="slip-missing">(.*?)</ol>', slip, re.S).group(1)
    assert label in missing and "Cap bidan tidak terbaca" in slip and req.tracking_code in slip
    assert "data-print" in slip and "print-slip" in slip and " style=" not in slip and "<script>" not in slip
    assert req.nik not in slip
    # a request that is not returned has no slip
    other = client.get(f"/documents/{req.id + 999}/slip")
    assert other.status_code == 404


def test_a_slip_only_for_a_returned_request(client, login_as, make_request):
    req = make_request("processing", "sktm")
    login_as("clerk")
    response = client.get(f"/documents/{req.id}/slip")
    assert response.status_code == 303 and response.headers["Location"].endswith(f"/documents/{req.id}")


def test_tracking_a_returned_request_shows_the_missing_items_but_nothing_personal(client, login_as,
                                                                                 make_request, db):
    req, label = _returned(client, login_as, make_request)
    client.post("/logout")
    html = client.get(f"/track/{req.tracking_code}").get_data(as_text=True)
    items = re.search(r'data-testid="track-missing">(.*?)</ul>', html, re.S).group(1)
    assert label in items
    # an item brought but not accepted as it was (a letter without the midwife's stamp) reads as such too,
    # and why, as the clerk typed it for the applicant (the form says so): a citizen who had left the counter
    # read only "written on the slip" and brought the same unstamped letter again
    assert "belum ada atau belum dapat diterima" in html
    assert re.search(r'data-testid="track-reason">Alasan: Cap bidan tidak terbaca<', html)
    subject = req.subject
    for secret in (req.name, req.nik, req.nik[-4:] + "<", subject["s_name"] if "s_name" in subject
                   else subject["name"]):
        assert secret not in html


def test_a_rejected_request_tells_its_applicant_why_with_numbers_hidden(client, login_as, make_request, db):
    req = make_request("verifying", "sktm")
    login_as("kasi")
    form = client.get(f"/documents/{req.id}").text
    assert 'data-testid="reason-public"' in form  # said before the reason is typed
    nik = req.nik
    response = client.post(f"/documents/{req.id}/actions/reject", data={
        "version": str(req.version), "confirmed": "yes",
        "comment": f"Alamat NIK {nik} di Seberang Ulu II: ajukan di kecamatan domisili."})
    assert response.status_code == 303, response.text[:300]
    client.post("/logout")
    html = client.get(f"/track/{req.tracking_code}").text
    reason = re.search(r'data-testid="track-reason">(.*?)</p>', html, re.S).group(1)
    assert "ajukan di kecamatan domisili" in reason and nik not in html and "disamarkan" in reason


def test_a_returned_file_s_public_reason_hides_e_mail_addresses_and_short_phone_numbers(client, login_as,
                                                                                          make_request, db):
    req = make_request("verifying", "akta-lahir")
    login_as("clerk")
    missing = next(item for item in req.checklist_items if item["required"])
    client.post(f"/documents/{req.id}/actions/return_to_citizen", data={
        "version": str(req.version), "missing": str(missing["id"]),
        "comment": "Hubungi siti.aminah@gmail.com atau telp rumah 512 3456; datang lagi 12-11-2026."})
    client.post("/logout")
    html = client.get(f"/track/{req.tracking_code}").text
    reason = re.search(r'data-testid="track-reason">(.*?)</p>', html, re.S).group(1)
    assert "gmail" not in html and "512 3456" not in html and "12-11-2026" in reason


def test_an_overdue_request_gets_an_apology_and_a_revised_date(client, make_request, db):
    received = utcnow() - timedelta(days=30)
    req = make_request("processing", "ktp-baru", received_at=received)
    req = fresh(db, req)
    assert svc.is_overdue(req)
    revised = svc.revised_due(req)
    now = utcnow()
    assert revised > now
    # stable: asked again later the same promise stands until it passes
    assert svc.revised_due(req, now + timedelta(minutes=30)) == revised or revised <= now + timedelta(minutes=30)
    html = client.get(f"/track/{req.tracking_code}").get_data(as_text=True)
    assert 'data-testid="track-revised"' in html and "Mohon maaf" in html
    from plaju.documents.sla import wib_date
    assert re.search(r'data-testid="track-revised-date">[^<]+', html)
    assert str(wib_date(revised).year) in re.search(r'data-testid="track-revised-date">([^<]+)', html).group(1)
    # still at the kecamatan (a type forwarded later): the delay is the office's, not Disdukcapil's
    assert "Dokumen masih diproses di Disdukcapil" not in html
    forwarded = make_request("at_disdukcapil", "ktp-baru", received_at=received)
    html = client.get(f"/track/{forwarded.tracking_code}").get_data(as_text=True)
    assert 'data-testid="track-revised"' in html and "Dokumen masih diproses di Disdukcapil" in html


def test_revised_due_moves_by_whole_service_standards(make_request, db):
    req = fresh(db, make_request("processing", "ktp-baru"))
    assert svc.revised_due(req) is None  # not overdue: the promise stands
    due = req.due_at
    holidays = frozenset()
    budget = req.budget_minutes
    one_day_late = svc.sla.add_working_minutes(due, 60, holidays)
    first = svc.revised_due(req, one_day_late, holidays)
    assert first == svc.sla.add_working_minutes(due, budget, holidays)
    assert svc.revised_due(req, svc.sla.add_working_minutes(due, budget - 1, holidays), holidays) == first
    later = svc.revised_due(req, svc.sla.add_working_minutes(due, budget + 1, holidays), holidays)
    assert later == svc.sla.add_working_minutes(due, 2 * budget, holidays)


# ---- the receipt --------------------------------------------------------------------------------

@pytest.mark.parametrize("code,title,sentence", [
    ("sktm", "Tanda terima permohonan surat keterangan", "ditandatangani Camat"),
    ("akta-lahir", "Tanda terima berkas dokumen kependudukan", "diterbitkan oleh Dinas Kependudukan"),
])
def test_the_receipt_says_who_issues_the_document(client, login_as, make_request, code, title, sentence):
    req = make_request("received", code)
    login_as("clerk")
    html = client.get(f"/documents/{req.id}/receipt").get_data(as_text=True)
    assert re.search(r'data-testid="receipt-title">' + re.escape(title), html)
    assert sentence in re.search(r'data-testid="receipt-issuer">([^<]+)', html).group(1)
    assert " style=" not in html
    # a relative may collect any document with a power of attorney (the hand-over allows it): every receipt
    # says so, not only a letter's
    assert "Orang lain dapat mengambilnya dengan surat kuasa" in re.search(
        r'data-testid="receipt-collect">([^<]+)', html).group(1)


def test_a_receipt_printed_again_says_the_request_ended_and_counts_as_its_type_does(client, login_as, make_request,
                                                                                     db, users):
    """A cancelled request's receipt still promised a date and asked for the survey; an SKTM, promised in
    working hours, said the date counted working days; and "1 Des" sat beside "4 Desember"."""
    from plaju.documents.services import take_action
    sktm = make_request("received", "sktm")
    login_as("clerk")
    html = client.get(f"/documents/{sktm.id}/receipt").text
    assert "jam kerja" in re.search(r'data-testid="receipt-counting">([^<]+)', html).group(1)
    month = re.search(r'data-testid="receipt-received">\d+ (\w+)', html).group(1)
    assert len(month) > 3 or month == "Mei"  # the month written out, as the promised date is
    ktp = make_request("received", "ktp-baru")
    take_action(ktp, "cancel", users["clerk"], version=ktp.version, comment="Pemohon membatalkan permohonan")
    html = client.get(f"/documents/{ktp.id}/receipt").text
    assert 'data-testid="receipt-ended"' in html and "dibatalkan" in html
    assert 'data-testid="receipt-promised"' not in html and "survei" not in html.lower().split("receipt-ended")[1]
    assert 'data-testid="receipt-collect"' not in html and 'data-testid="receipt-issuer"' not in html


def test_the_receipt_says_whom_the_document_is_about(client, login_as, make_request):
    """Two children's birth certificates asked by one mother had receipts that differed only in their codes."""
    login_as("clerk")
    birth = make_request("received", "akta-lahir")
    html = client.get(f"/documents/{birth.id}/receipt").text
    assert re.search(r'data-testid="receipt-about">Bayi Permata<', html)
    ktp = make_request("received", "ktp-baru")  # about the applicant herself: nothing more to say
    assert 'data-testid="receipt-about"' not in client.get(f"/documents/{ktp.id}/receipt").text


def test_the_slip_dates_the_return_not_the_printing(app, client, login_as, make_request, db, monkeypatch):
    """A slip printed the next day still says when the file was returned (the step in the audit log)."""
    from plaju.i18n import wib_text
    req, _label = _returned(client, login_as, make_request)
    returned = db.session.scalars(select(AuditEvent).where(AuditEvent.to_state == "returned")).one()
    monkeypatch.setattr("plaju.documents.views.utcnow", lambda: datetime(2030, 1, 2, 3, 0))
    slip = client.get(f"/documents/{req.id}/slip").get_data(as_text=True)
    with app.test_request_context("/"):
        said = wib_text(returned.occurred_at)
    assert f'data-testid="slip-returned-at">{said}</dd>' in slip


def test_an_intake_refused_for_a_missing_paper_prints_what_to_bring(client, login_as, intake, doc_types, db):
    """Nothing is stored (the request waits for the papers), but the citizen leaves with the list: what
    they showed ticked, what is still missing marked required."""
    from plaju.documents.models import DocumentRequest
    ktp = doc_types["ktp-baru"]
    optional = [r for r in ktp.requirements if not r.required]
    login_as("clerk")
    refused = client.post("/documents/new", data=intake(requirements=[str(r.id) for r in optional[:1]]))
    assert refused.status_code == 422
    link = re.search(r'href="([^"]+)"[^>]*data-testid="requirements-slip-link"', refused.text).group(1)
    slip = client.get(link.replace("&amp;", "&"))
    assert slip.status_code == 200 and ktp.name in slip.text
    assert slip.text.count('data-testid="brought"') == len(optional[:1])
    assert slip.text.count('data-testid="to-bring"') == len(ktp.requirements) - len(optional[:1])
    assert "(wajib)" in slip.text
    assert db.session.query(DocumentRequest).count() == 0


def test_a_domisili_usaha_letter_states_the_business_taken_in_at_the_counter(client, login_as, intake, doc_types,
                                                                               db, make_request, users):
    """The counter asks the business's name and line (blank ones are refused), and the letter states them
    beside the place; the request's page shows them."""
    from plaju.documents.letters import draw
    usaha = doc_types["domisili-usaha"]
    assert usaha.subject_kind == "business"
    login_as("clerk")
    body = intake(type_id=str(usaha.id), requirements=[str(r.id) for r in usaha.requirements],
                  purpose="pengurusan izin usaha", address="Jl. Pertahanan No. 38 RT 021 RW 007",
                  birth_place="Palembang")
    refused = client.post("/documents/new", data=dict(body, s_name="", s_type=""))
    assert refused.status_code == 422 and "Isi nama usaha" in refused.text and "Isi bidang usaha" in refused.text
    taken = client.post("/documents/new", data=dict(body, s_name="Warung Sembako Berkah",
                                                     s_type="perdagangan eceran"))
    assert taken.status_code == 303
    req = db.session.scalars(select(DocumentRequest)).one()
    content = draw(req).content
    # the business in its own rows, the address as the business's (not the applicant's home)
    assert dict(content.fields)["Nama usaha"] == "Warung Sembako Berkah"
    assert dict(content.fields)["Bidang usaha"] == "perdagangan eceran"
    assert dict(content.fields)["Alamat usaha"].startswith("Jl. Pertahanan No. 38") and "Alamat" not in dict(
        content.fields)
    assert "menjalankan usaha tersebut di atas" in " ".join(content.statements)
    assert "Bidang usaha" in client.get(f"/documents/{req.id}").text
    # one taken in before the business was asked still has its letter, naming the place only
    older = make_request("processing", "domisili-usaha", subject_data="{}")
    assert "menjalankan usaha yang berdomisili di" in " ".join(draw(older).content.statements)


def test_the_receipt_and_the_slip_send_the_citizen_to_the_public_address(app, client, login_as, make_request,
                                                                         monkeypatch):
    """The clerk prints at the intranet's address; the citizen's phone reaches only the public one."""
    monkeypatch.setitem(app.config, "PUBLIC_URL", "https://layanan.plaju.example/")
    req, _label = _returned(client, login_as, make_request)
    for path in (f"/documents/{req.id}/receipt", f"/documents/{req.id}/slip"):
        page = client.get(path).get_data(as_text=True)
        assert f"https://layanan.plaju.example/track/{req.tracking_code}" in page, path
        assert "http://localhost" not in page, path
    receipt = client.get(f"/documents/{req.id}/receipt").get_data(as_text=True)
    assert "https://layanan.plaju.example/skm/" in receipt


def test_a_tracking_code_typed_on_a_phone_is_found_and_a_typo_is_answered_on_the_page(client, make_request):
    """A phone's keyboard turns "-" into an en dash, a chat pastes zero-width spaces, a full-width keyboard
    types "ＰＬＪ": the code is found. A mistyped one is said on the page, answered 200 (no console error)."""
    req = make_request("processing")
    body = req.tracking_code[4:].replace("-", "")
    for typed in (f"PLJ\u2013{body[:5]}\u2013{body[5:]}", f"\uff30\uff2c\uff2a-{body.lower()}",
                  f"PLJ-{body[:5]}\u200b-{body[5:]}"):
        page = client.get("/track", query_string={"code": typed}, follow_redirects=True)
        assert page.status_code == 200 and 'data-testid="track-result"' in page.text, typed
    unknown = client.get("/track/PLJ-AAAAA-AAAAA", as_sent=True)
    assert unknown.status_code == 200 and unknown.headers["X-Refused-Status"] == "404"
    assert 'data-testid="track-not-found"' in unknown.text


@pytest.mark.parametrize("typed", ["Nur \u2018Aini Ma`ruf", "Nur \u2019Aini Ma\u00b4ruf", "Nur 'Aini Ma\u02bcruf"])
def test_an_apostrophe_however_a_phone_writes_it_is_taken_and_stored_plain(client, login_as, doc_types, db, users,
                                                                           typed):
    """Smart punctuation writes ‘ after a space; a pasted name brings ` ´ or ʼ: each was refused at the counter.
    Stored as the plain apostrophe, one name reads one way in the search and on the letter."""
    login_as("clerk")
    response = client.post("/documents/new", data=_intake_of(doc_types["ktp-baru"], nik=valid_nik(), name=typed))
    assert response.status_code == 303, response.text[:2000]
    assert db.session.scalars(select(DocumentRequest.name)).one() == "Nur 'Aini Ma'ruf"
