"""The register: one serial per year, drawn at signing, never reused, gap-free under concurrency."""
import threading

import pytest
from sqlalchemy import select

from plaju.database import is_postgres
from plaju.documents.services import take_action
from plaju.letters import register
from plaju.letters.models import Letter, LetterCounter
from plaju.timeutil import today_wib
from plaju.workflow import Invalid
from tests.support import PASSWORD

YEAR = today_wib().year  # an outside number is of this year's agenda book


def test_numbers_follow_each_other_per_year_with_the_type_s_classification(db, sign):
    numbers = [sign(code)[1] for code in ("sktm", "domisili", "domisili-usaha")]
    assert [letter.serial for letter in numbers] == [1, 2, 3]
    year = numbers[0].year
    assert [letter.number for letter in numbers] == [f"400/0001/PLJ/{year}", f"400.12/0002/PLJ/{year}",
                                                     f"500/0003/PLJ/{year}"]


def test_the_format_is_configuration(app, db, sign):
    old = app.config["LETTER_NUMBER_FORMAT"]
    app.config["LETTER_NUMBER_FORMAT"] = "{klasifikasi}/{serial:05d}/KEC.PLJ/{year}"
    try:
        _req, letter = sign("sktm")
    finally:
        app.config["LETTER_NUMBER_FORMAT"] = old
    assert letter.number == f"400/00001/KEC.PLJ/{letter.year}"


def test_a_refused_signature_uses_no_number(db, users, make_request, sign):
    req = make_request("awaiting_signature", "sktm")
    with pytest.raises(Invalid):
        take_action(req, "sign", users["camat"], version=req.version, password="salah")
    _req, letter = sign("sktm")
    assert letter.serial == 1


def test_a_number_from_an_outside_register_is_used_and_flagged(db, client, login_as, make_request, users):
    req = make_request("awaiting_signature", "ahli-waris")
    login_as("kasi")
    response = client.post(f"/letters/external-number/document/{req.id}", data={"number": f" 400.12/77/PLJ/{YEAR} "})
    assert response.status_code == 303
    take_action(req, "sign", users["camat"], version=req.version, password=PASSWORD)
    letter = db.session.scalars(select(Letter)).one()
    assert (letter.number, letter.external, letter.serial) == (f"400.12/77/PLJ/{YEAR}", True, None)
    assert db.session.scalar(select(LetterCounter.last_serial)) is None  # our register untouched
    # the same number cannot be recorded for another letter
    other = make_request("processing", "sktm")
    response = client.post(f"/letters/external-number/document/{other.id}", data={"number": f"400.12/77/PLJ/{YEAR}"},
                           follow_redirects=True)
    assert "sudah tercatat dalam buku agenda" in response.get_data(as_text=True)
    login_as("clerk")  # the counter does not number letters
    assert client.post(f"/letters/external-number/document/{other.id}", data={"number": "1/2"}).status_code == 403


def test_the_signer_reads_an_outside_number_in_his_list_the_confirmation_and_the_draft(
        db, client, login_as, make_request):
    """A Kasi recorded another register's number after the letter went up: the Camat's list, the bulk
    confirmation and the draft printed the office's dotted number, and he signed a number he never saw."""
    req = make_request("awaiting_signature", "sktm")
    plain = make_request("awaiting_signature", "sktm")
    login_as("kasi")
    client.post(f"/letters/external-number/document/{req.id}", data={"number": f"400.12/9999/PLJ/{YEAR}"})
    db.session.refresh(req)
    login_as("camat")
    said = f"Surat akan memakai nomor 400.12/9999/PLJ/{YEAR} dari buku agenda lain."
    page = client.get("/inbox/").text
    row = page.split(req.tracking_code)[1].split('data-testid="inbox-row"')[0]
    assert said in row and "Alamat: " in row
    assert "dari buku agenda lain" not in page.split(plain.tracking_code)[1].split('data-testid="inbox-row"')[0]
    confirm = client.post("/inbox/confirm", data={"item": [f"document:{req.id}:sign:{req.version}"]}).text
    assert said in confirm
    draft = client.get(f"/letters/draft/document/{req.id}.pdf").data
    assert f"Nomor: 400.12/9999/PLJ/{YEAR}  \\(DRAF\\)".encode() in draft  # the PDF escapes its brackets
    assert b"/PLJ/" in client.get(f"/letters/draft/document/{plain.id}.pdf").data  # the dotted number


def test_an_outside_number_is_one_number_in_any_spelling_and_outdates_an_open_signature_page(
        db, client, login_as, make_request, users):
    """A Kasi gave a letter another letter's number in lower case ("/plj/"), and one with a full stop after
    it; the Camat's page, opened before the number changed, still signed."""
    from plaju.workflow import Conflict
    first = make_request("awaiting_signature", "ahli-waris")
    login_as("kasi")
    client.post(f"/letters/external-number/document/{first.id}", data={"number": f"400.12/0010/PLJ/{YEAR}"})
    take_action(first, "sign", users["camat"], version=first.version, password=PASSWORD)
    second = make_request("awaiting_signature", "sktm")
    third = make_request("awaiting_signature", "sktm")
    for spelling in (f"400.12/0010/plj/{YEAR}", f"400.12 / 0010/PLJ/{YEAR}.", f" 400.12/0010/Plj/{YEAR} "):
        page = client.post(f"/letters/external-number/document/{second.id}", data={"number": spelling},
                           follow_redirects=True).get_data(as_text=True)
        assert "sudah tercatat dalam buku agenda" in page, spelling
    opened = second.version
    client.post(f"/letters/external-number/document/{second.id}", data={"number": f"400.12/0011/PLJ/{YEAR}."})
    # waiting on one letter, the number is not free for another
    page = client.post(f"/letters/external-number/document/{third.id}", data={"number": f"400.12/0011/plj/{YEAR}"},
                       follow_redirects=True).get_data(as_text=True)
    assert "sudah tercatat dalam buku agenda" in page
    with pytest.raises(Conflict) as stale:  # the signer's page showed the letter before its number changed
        take_action(db.session.get(type(second), second.id), "sign", users["camat"], version=opened,
                    password=PASSWORD)
    assert "mencatat nomor surat dari register luar" in str(stale.value.message)
    db.session.rollback()
    row = db.session.get(type(second), second.id)
    take_action(row, "sign", users["camat"], version=row.version, password=PASSWORD)
    numbers = sorted(db.session.scalars(select(Letter.number)))
    assert numbers == [f"400.12/0010/PLJ/{YEAR}", f"400.12/0011/PLJ/{YEAR}"]


def test_the_register_passes_over_a_number_an_outside_register_took_and_look_alikes_are_refused(
        db, client, login_as, make_request, users, sign):
    """A Kasi recorded the office's own next number from the paper agenda book: the next signature of that
    class failed with a 500, again and again. Look-alike characters made a second "400.12/0010/PLJ"."""
    from plaju.audit.models import AuditEvent
    first = make_request("awaiting_signature", "ahli-waris")
    year = first.received_at.year
    login_as("kasi")
    client.post(f"/letters/external-number/document/{first.id}", data={"number": f"400.12/0001/PLJ/{year}"})
    take_action(first, "sign", users["camat"], version=first.version, password=PASSWORD)
    _req, letter = sign("domisili")  # the register's own first 400.12 number is taken: it goes on
    assert letter.number == f"400.12/0002/PLJ/{year}" and letter.serial == 2
    other = make_request("awaiting_signature", "sktm")
    for spelling in (f"400.12/0003/\u0420LJ/{year}", f"400.12/0003/P\u200cLJ/{year}",
                     f"400.12/0003/PLJ/{year}\u00ad"):
        page = client.post(f"/letters/external-number/document/{other.id}", data={"number": spelling},
                           follow_redirects=True).get_data(as_text=True)
        assert "hanya huruf A-Z" in page, repr(spelling)
    full_width = client.post(f"/letters/external-number/document/{other.id}",
                             data={"number": f"400.12\uff0f0001/PLJ/{year}"}, follow_redirects=True)
    assert "sudah tercatat" in full_width.get_data(as_text=True)  # folded to a slash: the same number
    refusals = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "letter.external_number",
                                                           AuditEvent.outcome == "refused")).all()
    assert len(refusals) == 4


def test_an_outside_number_without_leading_zeros_is_the_register_s_own_number(
        db, client, login_as, make_request, users, sign):
    """A Kasi recorded "400.12/1/PLJ/<year>" from the paper book; the register then drew its own serial 1 as
    "400.12/0001/PLJ/<year>": serial 1 was issued twice. Both ways round it is one number."""
    first = make_request("awaiting_signature", "ahli-waris")
    year = first.received_at.year
    login_as("kasi")
    client.post(f"/letters/external-number/document/{first.id}", data={"number": f"400.12/1/PLJ/{year}"})
    take_action(first, "sign", users["camat"], version=first.version, password=PASSWORD)
    _req, letter = sign("domisili")
    assert letter.number == f"400.12/0002/PLJ/{year}"  # passed over serial 1, written without its zeros
    other = make_request("awaiting_signature", "sktm")
    page = client.post(f"/letters/external-number/document/{other.id}", data={"number": f"400.12/02/PLJ/{year}"},
                       follow_redirects=True).get_data(as_text=True)
    assert "sudah tercatat dalam buku agenda" in page
    # a number waiting for its letter is passed over too, before that letter is signed
    client.post(f"/letters/external-number/document/{other.id}", data={"number": f"400.12/3/PLJ/{year}"})
    _req, letter = sign("domisili")
    assert letter.number == f"400.12/0004/PLJ/{year}"
    assert register.number_key(" 400.12/0011/plj/2026") == register.number_key("400.12/11/PLJ/2026")
    # the same number with a slash after it, or a dash for a slash
    for spelling in (f"400.12/0001/PLJ/{year}/", f"400.12/0001/PLJ-{year}"):
        page = client.post(f"/letters/external-number/document/{other.id}", data={"number": spelling},
                           follow_redirects=True).get_data(as_text=True)
        assert "sudah tercatat dalam buku agenda" in page, spelling
    # a recorded number corrected: the new one is taken, the old one free again
    client.post(f"/letters/external-number/document/{other.id}", data={"number": f"400.12/0010/PLJ/{year}"})
    third = make_request("awaiting_signature", "sktm")
    taken = client.post(f"/letters/external-number/document/{third.id}", data={"number": f"400.12/10/PLJ/{year}"},
                        follow_redirects=True).get_data(as_text=True)
    assert "sudah tercatat dalam buku agenda" in taken
    free = client.post(f"/letters/external-number/document/{third.id}", data={"number": f"400.12/3/PLJ/{year}"},
                       follow_redirects=True).get_data(as_text=True)
    assert f"Surat akan memakai nomor 400.12/3/PLJ/{year}" in free


def test_one_serial_is_given_once_a_year_whatever_the_classification(db, client, login_as, make_request, users,
                                                                    sign):
    """The paper agenda book gave "470/0002/PLJ/<year>"; the register then drew its own serial 2 as
    "400/0002/PLJ/<year>": two letters of the office with serial 2 in one year. An outside number whose serial
    the register already gave under another classification is refused the same way."""
    from plaju.audit.models import AuditEvent
    _req, first = sign("sktm")  # the register's serial 1
    year = first.year
    outside = make_request("awaiting_signature", "ahli-waris")
    login_as("kasi")
    client.post(f"/letters/external-number/document/{outside.id}", data={"number": f"470/0002/PLJ/{year}"})
    _req, second = sign("sktm")  # passes over serial 2 while it waits for its letter, and after
    assert (second.number, second.serial) == (f"400/0003/PLJ/{year}", 3)
    take_action(outside, "sign", users["camat"], version=outside.version, password=PASSWORD)
    _req, third = sign("domisili")
    assert third.serial == 4
    other = make_request("awaiting_signature", "sktm")
    for number in (f"470/0001/PLJ/{year}", f"500.6/3/PLJ/{year}", f"470-2-PLJ-{year}",
                   # spelt loosely: read as the register reads a number (number_key), not refused for its form
                   f"470/0001/PLJ/{year}/", f"470//0001/PLJ/{year}", f"/470/0001/PLJ/{year}",
                   f"470/0001/PLJ/{year}-", f"470/0001/P LJ/{year}"):
        page = client.post(f"/letters/external-number/document/{other.id}", data={"number": number},
                           follow_redirects=True).get_data(as_text=True)
        assert "sudah tercatat dalam buku agenda" in page, number
    assert not db.session.scalars(select(register.LetterExternalNumber).where(
        register.LetterExternalNumber.subject_id == other.id)).first()
    refused = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "letter.external_number",
                                                          AuditEvent.outcome == "refused")).all()
    # the third: that very number
    assert ["klasifikasi lain" in e.comment for e in refused] == [True, True, False] + [True] * 5
    # a number of next year's book (two letters took "0001/PLJ/2027" in December), or of years ago, is refused
    for number in (f"500/0001/PLJ/{year + 1}", f"470/0001/PLJ/{year - 3}"):
        page = client.post(f"/letters/external-number/document/{other.id}", data={"number": number},
                           follow_redirects=True).get_data(as_text=True)
        assert f"Nomor {number} adalah nomor tahun" in page, number
    # a serial not given yet is free under any classification; last year's serial 3 is another number
    for number in (f"470/0009/PLJ/{year}", f"400/0003/PLJ/{year - 1}"):
        page = client.post(f"/letters/external-number/document/{other.id}", data={"number": number},
                           follow_redirects=True).get_data(as_text=True)
        assert f"Surat akan memakai nomor {number}" in page
    assert register.serial_of(f"400.12.3.2/0012/plj/{year}") == (12, year)
    assert register.serial_of("B-12/XI/2026") is None


def test_a_serial_inside_a_part_of_a_custom_format_is_read_whatever_its_zeros(app, db, client, login_as,
                                                                                make_request, users, sign):
    """With the serial inside a part ("PLJ.0002"), an outside "470/PLJ.2/<year>" waiting for its letter was not
    seen: the register gave "400/PLJ.0002/<year>" too, and the outside letter's signature was refused after."""
    old = app.config["LETTER_NUMBER_FORMAT"]
    app.config["LETTER_NUMBER_FORMAT"] = "{klasifikasi}/PLJ.{serial:04d}/{year}"
    try:
        _req, first = sign("sktm")
        year = first.year
        outside = make_request("awaiting_signature", "ahli-waris")
        login_as("kasi")
        client.post(f"/letters/external-number/document/{outside.id}", data={"number": f"470/PLJ.2/{year}"})
        _req, second = sign("sktm")
        assert second.number == f"400/PLJ.0003/{year}"
        outside = take_action(outside, "sign", users["camat"], version=outside.version, password=PASSWORD)
        assert outside.state == "signed"
        assert register.serial_of(f"470/plj.0002/{year}") == (2, year)
    finally:
        app.config["LETTER_NUMBER_FORMAT"] = old


def test_a_number_from_an_outside_register_reads_in_words_and_hr_finds_it_signed_or_not(
        db, client, login_as, make_request, users):
    """HR read "number: 503/0456/PLJ/2026" and "letter_external_number: ya", and the search by that number
    said nothing in the log had it."""
    req = make_request("awaiting_signature", "ahli-waris")
    login_as("kasi")
    client.post(f"/letters/external-number/document/{req.id}", data={"number": f"503/0455/PLJ/{YEAR}"})
    client.post(f"/letters/external-number/document/{req.id}", data={"number": f"503/0456/PLJ/{YEAR}"})
    login_as("hr")
    for typed in (f"503/0456/PLJ/{YEAR}", f"503/0456/plj/{YEAR}", f"503/0455/PLJ/{YEAR}"):  # not signed yet; a number
        page = client.get("/audit/", query_string={"code": typed})                 # replaced before signing
        assert page.status_code == 200, (typed, page.text[:300])
        assert "mencatat nomor surat dari register luar" in page.text
        assert f"Nomor surat dari register luar: 503/0455/PLJ/{YEAR} → 503/0456/PLJ/{YEAR}" in page.text
        assert "number:" not in page.text
    row = db.session.get(type(req), req.id)
    take_action(row, "sign", users["camat"], version=row.version, password=PASSWORD)
    page = client.get("/audit/", query_string={"code": f"503/456/PLJ/{YEAR}"}).text  # the register's spelling
    assert "menandatangani dokumen" in page and "Nomor surat dari register luar: ya" in page
    assert "letter_external_number" not in page and "mencatat nomor surat dari register luar" in page


@pytest.mark.postgres
def test_two_signatures_at_the_same_moment_never_share_a_number_and_leave_no_gap(app, db):
    if not is_postgres():
        pytest.skip("the race needs PostgreSQL row locks; SQLite serialises every writer")
    rounds, year = 50, 2031
    barrier = threading.Barrier(2)
    committed, errors = [], []
    lock = threading.Lock()

    def draw(round_no: int, side: int):
        with app.app_context():
            try:
                db.session.execute(select(1))  # the connection is open before the barrier
                barrier.wait(timeout=30)
                serial = register.next_serial(year)
                if side == 1 and round_no % 5 == 0:
                    db.session.rollback()  # a signature that fails after drawing: its number is not lost
                    return
                db.session.commit()
                with lock:
                    committed.append(serial)
            except Exception as exc:  # pragma: no cover - reported below
                errors.append(exc)
            finally:
                db.session.remove()

    for round_no in range(rounds):
        threads = [threading.Thread(target=draw, args=(round_no, side)) for side in (0, 1)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
    assert errors == []
    assert sorted(committed) == list(range(1, len(committed) + 1))
    assert len(committed) == 2 * rounds - rounds // 5
    db.session.expire_all()
    assert db.session.get(LetterCounter, year).last_serial == len(committed)
