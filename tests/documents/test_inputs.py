"""The input boundary: NUL and other control characters, Unicode digits and oversized text are refused
with a Bahasa message before anything reaches the database (PostgreSQL would answer NUL with a 500)."""
import unicodedata

import pytest
from sqlalchemy import select

from plaju.audit.models import AuditEvent
from plaju.documents.models import DocumentRequest
from plaju.inputs import InputRefused, check_text, digits_only
from tests.documents.conftest import count_rows as _count
from tests.documents.conftest import valid_nik

CONTROL_MESSAGE = "karakter kontrol"



def test_rules_of_the_boundary():
    assert check_text("Cafe\u0301") == "Caf\u00e9"  # NFC
    assert check_text("a\nb", multiline=True) == "a\nb"
    # invisible characters too: a zero-width "name", a direction override showing it reversed, a BOM
    for bad in ("a\x00b", "a\x1bb", "a\x7fb", "a\x85b", "\u200b\u200b", "Siti\u202eitiS", "\ufeffSiti"):
        with pytest.raises(InputRefused):
            check_text(bad, multiline=True)
    with pytest.raises(InputRefused):
        check_text("a\nb")
    assert check_text("Keluarga \U0001F468\u200d\U0001F469") is not None  # an emoji's joiner passes
    with pytest.raises(InputRefused):
        check_text("x" * 11, max_length=10)
    assert digits_only("0812-3456.7890 ") == "081234567890"
    for bad in ("\uff10\uff18\uff11\uff12", "\u0660\u0668\u0661", "08a1"):
        with pytest.raises(InputRefused):
            digits_only(bad)


@pytest.mark.parametrize("path", ["/documents/?q=ab%00cd", "/documents/?kelurahan=%00",
                                  "/audit/?q=%00", "/track?code=PLJ%00"])
def test_nul_in_a_query_string_is_a_400_in_bahasa(client, login_as, path, db):
    login_as("clerk")
    response = client.get(path)
    assert response.status_code == 400
    body = response.get_data(as_text=True)
    # a page or a search saves nothing: it is not told "nothing was saved"
    assert CONTROL_MESSAGE in body and "Ubah isian pencarian" in body and "Tidak ada yang disimpan" not in body


def test_a_next_with_control_characters_is_dropped_not_followed(client, users, db):
    response = client.post("/login?next=/%0D%0A/evil.example", data={"username": "clerk",
                                                                       "password": "test-password-123"})
    assert response.status_code == 302 and response.headers["Location"] == "/"


def test_an_overlong_search_is_refused(client, login_as, db):
    login_as("clerk")
    response = client.get("/documents/?q=" + "a" * 5000)
    assert response.status_code == 400 and "paling banyak 2000 karakter" in response.text


def test_nul_in_a_search_box_is_an_htmx_alert(client, login_as, db):
    login_as("clerk")
    response = client.get("/documents/?q=%00", headers={"HX-Request": "true"})
    assert response.status_code == 400
    assert response.headers["HX-Retarget"] == "#flash"
    assert CONTROL_MESSAGE in response.get_data(as_text=True)


@pytest.mark.parametrize("field", ["name", "note", "nik", "phone"])
def test_nul_at_intake_is_refused_and_nothing_is_saved(client, login_as, intake, db, field):
    login_as("clerk")
    data = intake()
    data[field] = data[field][:3] + "\x00" + data[field][3:]
    response = client.post("/documents/new", data=data)
    assert response.status_code == 422
    assert CONTROL_MESSAGE in response.get_data(as_text=True)
    assert _count(db, DocumentRequest) == 0
    refused = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "input.refused")).one()
    assert refused.outcome == "refused" and "/documents/new" in refused.comment and "Rina" not in refused.comment
    assert refused.comment.index(CONTROL_MESSAGE) < refused.comment.index("(/documents/new)")  # reason, then where


def test_a_tab_or_line_break_in_a_single_line_field_is_a_space(client, login_as, intake, db):
    """Two spreadsheet cells pasted into the name ("Hendra<TAB>Gunawan") were refused for a character the clerk
    could not see in the box; a single line takes them as spaces, a text area keeps its lines."""
    login_as("clerk")
    response = client.post("/documents/new", data=intake(name="Rina\tMarlina\r\n", note="baris satu\r\nbaris dua"))
    assert response.status_code == 303
    row = db.session.scalars(select(DocumentRequest)).one()
    assert row.name == "Rina Marlina" and row.note == "baris satu\r\nbaris dua"


def test_intake_stores_text_in_nfc(client, login_as, intake, db):
    login_as("clerk")
    response = client.post("/documents/new", data=intake(name="Rene\u0301 Marli\u0301na"))
    assert response.status_code == 303
    name = db.session.scalars(select(DocumentRequest.name)).one()
    assert name == unicodedata.normalize("NFC", "René Marlína") and len(name) == 12


@pytest.mark.parametrize("nik_of", [
    lambda nik: nik.translate(str.maketrans("0123456789", "０１２３４５６７８９")),  # full-width
    lambda nik: nik.translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")),  # Arabic-Indic
    lambda nik: nik[:8] + nik[8:].translate(str.maketrans("0123456789", "০১২৩৪৫৬৭৮৯")),  # Bengali, mixed
])
def test_unicode_digits_in_the_nik_are_refused_never_stored(client, login_as, intake, db, nik_of):
    login_as("clerk")
    response = client.post("/documents/new", data=intake(nik=nik_of(valid_nik())))
    assert response.status_code == 422
    assert "angka 0-9" in response.get_data(as_text=True)
    assert _count(db, DocumentRequest) == 0


def test_unicode_digits_in_the_phone_are_refused(client, login_as, intake, db):
    login_as("clerk")
    response = client.post("/documents/new", data=intake(phone="０８１２３４５６７８９０"))
    assert response.status_code == 422
    assert _count(db, DocumentRequest) == 0


def test_a_form_refused_for_another_field_shows_the_phone_as_typed_and_stores_it_as_628(client, login_as,
                                                                                      intake, db):
    login_as("clerk")
    refused = client.post("/documents/new", data=intake(phone="0812-7777-1234", name=""))
    assert refused.status_code == 422 and 'value="0812-7777-1234"' in refused.get_data(as_text=True)
    assert client.post("/documents/new", data=intake(phone="0812-7777-1234")).status_code in (302, 303)
    assert db.session.scalar(select(DocumentRequest.phone)) == "6281277771234"


def test_a_3_mb_comment_is_refused_and_nothing_is_stored(client, login_as, make_request, db):
    req = make_request("verifying")
    login_as("clerk")
    before = _count(db, AuditEvent)
    response = client.post(f"/documents/{req.id}/actions/return_to_citizen",
                           data={"version": str(req.version), "comment": "x" * 3_000_000})
    assert response.status_code == 422
    assert "paling banyak 2000 karakter" in response.get_data(as_text=True)
    db.session.rollback()
    assert db.session.get(DocumentRequest, req.id).state == "verifying"
    assert _count(db, AuditEvent, AuditEvent.action != "input.refused") == before
    assert max(len(c or "") for c in db.session.scalars(select(AuditEvent.comment))) < 1000


def test_nul_in_a_comment_is_refused(client, login_as, make_request, db):
    req = make_request("verifying")
    login_as("clerk")
    response = client.post(f"/documents/{req.id}/actions/return_to_citizen",
                           data={"version": str(req.version), "comment": "akta\x00kurang"})
    assert response.status_code == 422
    db.session.rollback()
    assert db.session.get(DocumentRequest, req.id).state == "verifying"


@pytest.mark.parametrize("field", ["username", "password"])
def test_nul_at_the_public_login_is_refused_and_audited(client, users, db, field):
    data = {"username": "clerk", "password": "salah-sekali"}
    data[field] = data[field] + "\x00"
    response = client.post("/login", data=data)
    assert response.status_code == 422
    assert CONTROL_MESSAGE in response.get_data(as_text=True)
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "auth.login")).one()
    assert event.outcome == "refused" and "/login" in event.comment
    assert "\x00" not in (event.actor_name or "")


def test_a_stored_header_is_bounded(client, login_as, db):
    login_as("clerk")
    assert client.get("/", headers={"X-Request-ID": "a" * 500}).status_code == 400
    assert client.get("/", headers={"X-Request-ID": "abc-123"}).status_code == 200


@pytest.mark.parametrize("who,method,path,data", [
    ("kasi", "post", "/documents/{id}/correct", {"version": "²", "name": "Siti", "address": "Jl. Mawar 1",
                                                 "purpose": "sekolah"}),
    ("camat", "post", "/inbox/act", {"item": "document:²:sign:5"}),
    ("camat", "post", "/inbox/act", {"item": "document:{id}:sign:²"}),
    ("hr", "get", "/audit/?subject=document:²", None),
    ("hr", "post", "/audit/export", {"subject": "document:²", "fmt": "csv"}),
    ("asn", "post", "/training/history/", {"user_id": "0", "unit_id": "0", "fmt": "csv", "preset": "custom",
                                           "order_name": "²"}),
])
def test_a_superscript_digit_is_no_number_and_no_500(client, login_as, make_request, who, method, path, data):
    """"²" passes isdigit() and fails int(): version, item and id fields answered 500 and left no trace."""
    req = make_request("processing", "domisili")
    login_as(who)
    url = path.replace("{id}", str(req.id))
    if data is not None:
        data = {k: v.replace("{id}", str(req.id)) for k, v in data.items()}
    response = getattr(client, method)(url, data=data) if data is not None else client.get(url)
    assert response.status_code < 500, response.status_code


@pytest.mark.parametrize("who,path,field,value", [
    ("camat", "/people/delegations", "principal_id", "99999999999999999999"),
    ("camat", "/people/delegations", "principal_id", "\uff11"),
    ("clerk", "/documents/new", "type_id", "99999999999999999999"),
    ("clerk", "/documents/new", "type_id", "\uff11"),
    ("hr", "/people/new", "unit_id", "\u0664"),
])
def test_an_id_or_number_is_ascii_digits_of_bounded_length(client, login_as, who, path, field, value):
    """int() reads "１" and "٤" (and "1_0"); an id of 20 digits overflowed the database's integer: a 500, or a
    value taken from digits nobody can search for. Each is refused with a message, as any bad field."""
    login_as(who)
    response = client.post(path, data={field: value, "nik": "1671015508800007", "name": "Uji"})
    assert response.status_code == 422, response.status_code
    assert "angka 0-9" in response.text


def test_a_zero_width_space_pasted_from_a_chat_is_taken_out_not_refused(client, login_as, db):
    """A name pasted from WhatsApp carries invisible zero-width spaces: the whole intake form was replaced by
    an error page. They only vanish, so the boundary takes them out; a direction override is still refused."""
    login_as("clerk")
    assert client.get("/documents/?q=Siti\u200b\u2060Aminah\ufeff").status_code == 200
    assert client.get("/documents/?q=Siti\u202eAminah").status_code == 400
