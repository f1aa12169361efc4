"""Queue, detail with in-place actions, public tracking, settings and home cards, as users see them."""
import json
import re
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from plaju.audit.models import AuditEvent
from plaju.database import utcnow
from plaju.documents.letters import draw, letter_text
from plaju.documents.models import DocumentRequest, DocumentType, Holiday
from plaju.documents.nik import make_nik
from plaju.once import new_token
from plaju.timeutil import today_wib
from tests.documents.conftest import fresh, valid_nik
from tests.support import statements_during, type_seen


def _bulk(db, doc_types, users, n, **fields):
    """n requests inserted directly, newest first by received_at, spread over types and kelurahan."""
    types = list(doc_types.values())
    now = utcnow()
    rows = []
    for i in range(n):
        t = types[i % len(types)]
        rows.append(DocumentRequest(
            tracking_code=f"PLJ-T{i:04d}-ABCDE", type_id=t.id, nik=make_nik(date(1990, 3, 12), i % 2 == 0, i + 1),
            name=f"Warga Nomor {i}", name_key=f"warga nomor {i}", phone="",
            kelurahan="Komperta" if i % 3 else "Plaju Ulu",
            state=fields.get("state", "received"), created_by_id=users["clerk"].id, budget_minutes=480,
            received_at=now - timedelta(minutes=i), due_at=now + timedelta(days=1), checklist="[]"))
    db.session.add_all(rows)
    db.session.commit()
    return rows


def test_queue_lists_masks_nik_and_filters(client, login_as, make_request, db):
    login_as("clerk")
    late = make_request("processing", "ktp-baru", name="Budi Santoso", kelurahan="Komperta",
                        due_at=utcnow() - timedelta(hours=1))
    make_request("received", "akta-lahir", name="Ani Wijaya", kelurahan="Plaju Ulu")
    make_request("handed_over", "sktm", name="Cici Lestari")
    html = client.get("/documents/").get_data(as_text=True)
    assert "Budi Santoso" in html and "Ani Wijaya" in html and "Cici Lestari" not in html
    assert late.nik not in html and late.nik[:4] + "********" + late.nik[-4:] in html
    assert 'data-testid="flag-overdue"' in html and "Layanan dokumen" in html
    # an overdue row says the hour it was due, not only the day (today's date beside "overdue" read wrong)
    from plaju.i18n import wib_text
    with client.application.test_request_context(headers={"Accept-Language": "id"}):
        assert f'data-testid="queue-due">{wib_text(late.due_at)}<' in html
    overdue = client.get("/documents/?flag=overdue").get_data(as_text=True)
    assert "Budi Santoso" in overdue and "Ani Wijaya" not in overdue
    by_kel = client.get("/documents/?kelurahan=Plaju+Ulu").get_data(as_text=True)
    assert "Ani Wijaya" in by_kel and "Budi Santoso" not in by_kel
    everything = client.get("/documents/?state=all").get_data(as_text=True)
    assert "Cici Lestari" in everything


def test_active_search_returns_the_results_fragment(client, login_as, make_request):
    login_as("clerk")
    budi = make_request("received", name="Budi Santoso")
    make_request("received", name="Ani Wijaya")
    fragment = client.get("/documents/?q=santo", headers={"HX-Request": "true"})
    html = fragment.get_data(as_text=True)
    assert "<html" not in html and "Budi Santoso" in html and "Ani Wijaya" not in html
    assert "HX-Request" in fragment.headers["Vary"]
    by_code = client.get(f"/documents/?q={budi.tracking_code.lower()}").get_data(as_text=True)
    assert "Budi Santoso" in by_code and "Ani Wijaya" not in by_code
    assert "Tidak ada permohonan yang cocok" in client.get("/documents/?q=zzz").get_data(as_text=True)


def test_the_queue_finds_a_request_by_whom_it_is_about(client, login_as, make_request):
    """The mother came back for her baby's birth certificate and the clerk typed the baby's name: nothing."""
    login_as("clerk")
    make_request("received", "akta-lahir", name="Siti Aminah")  # the baby: Bayi Permata
    make_request("received", "ahli-waris", name="Rudi Hartono")  # the deceased and two heirs
    make_request("received", "ktp-baru", name="Ani Wijaya")
    found = client.get("/documents/?state=all&q=permata", headers={"HX-Request": "true"}).text
    assert "Siti Aminah" in found and "Ani Wijaya" not in found
    found = client.get("/documents/?state=all&q=aminah hasan", headers={"HX-Request": "true"}).text
    assert "Rudi Hartono" in found and "Siti Aminah" not in found  # an heir's name, both words


def test_keyset_pages_walk_every_row_once(client, login_as, doc_types, users, db):
    login_as("kasi")
    rows = _bulk(db, doc_types, users, 60)
    seen, url = [], "/documents/"
    while url:
        html = client.get(url).get_data(as_text=True)
        seen += list(dict.fromkeys(re.findall(r"PLJ-T\d{4}-ABCDE", html)))  # the code shows twice per row
        nxt = re.search(r'data-testid="next-page" href="([^"]+)"', html)
        url = nxt.group(1).replace("&amp;", "&") if nxt else None
    assert seen == [r.tracking_code for r in rows]


def _count_queries(app, db, fn) -> int:
    return len([s for s in statements_during(fn)
                if not s.lstrip().upper().startswith(("BEGIN", "PRAGMA", "SAVEPOINT"))])


def test_queue_uses_a_constant_number_of_queries(app, client, login_as, doc_types, users, db):
    login_as("clerk")
    _bulk(db, doc_types, users, 4)
    small = _count_queries(app, db, lambda: client.get("/documents/"))
    _bulk_more = _bulk
    db.session.execute(DocumentRequest.__table__.delete())
    db.session.commit()
    _bulk_more(db, doc_types, users, 80)
    large = _count_queries(app, db, lambda: client.get("/documents/"))
    first = client.get("/documents/").get_data(as_text=True)
    cursor = re.search(r'data-testid="next-page" href="([^"]+)"', first).group(1).replace("&amp;", "&")
    deep = _count_queries(app, db, lambda: client.get(cursor))
    assert small == large == deep, (small, large, deep)
    assert large <= 8


def _panel_version(html) -> str:
    return re.search(r'data-version="(\d+)"', html).group(1)


def test_action_swaps_the_panel_and_triggers_counters(client, login_as, make_request):
    req = make_request("received", "ktp-baru")
    login_as("clerk")
    page = client.get(f"/documents/{req.id}").get_data(as_text=True)
    assert 'data-testid="action-verify"' in page and req.nik_masked in page and req.nik not in page
    # the clerk's work needs the full NIK: one click away, and each viewing is audited (tests/audit)
    assert req.nik in client.post(f"/documents/{req.id}/nik").get_data(as_text=True)
    response = client.post(f"/documents/{req.id}/actions/verify", data={"version": _panel_version(page)},
                           headers={"HX-Request": "true"})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert html.lstrip().startswith('<section id="panel"') and 'data-state="verifying"' in html
    assert "Anda memulai verifikasi" in html
    assert json.loads(response.headers["HX-Trigger"]) == {"documents-changed": True, "inbox-changed": True}


def test_without_javascript_an_action_redirects_back(client, login_as, make_request, db):
    req = make_request("received", "ktp-baru")
    login_as("clerk")
    response = client.post(f"/documents/{req.id}/actions/verify", data={"version": "0"})
    assert response.status_code == 303 and response.headers["Location"].endswith(f"/documents/{req.id}")
    assert fresh(db, req).state == "verifying"
    assert "Anda memulai verifikasi" in client.get(f"/documents/{req.id}").get_data(as_text=True)


def test_stale_page_rerenders_the_panel_naming_who_acted_first(client, login_as, make_request, users, db):
    req = make_request("verifying", "akta-lahir")
    login_as("kasi")
    assert client.post(f"/documents/{req.id}/actions/accept", data={"version": "0"}).status_code == 303
    login_as("clerk")
    response = client.post(f"/documents/{req.id}/actions/return_to_citizen",
                           data={"version": "0", "comment": "akta kurang"}, headers={"HX-Request": "true"})
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert 'data-testid="action-error"' in html and users["kasi"].full_name in html
    assert 'data-state="processing"' in html and 'data-version="1"' in html
    no_js = client.post(f"/documents/{req.id}/actions/return_to_citizen", data={"version": "0", "comment": "x"})
    assert no_js.status_code == 409 and "<html" in no_js.get_data(as_text=True)
    assert fresh(db, req).state == "processing"


@pytest.mark.parametrize("trigger,who,status,message", [
    ("sign", "clerk", 403, "Anda tidak berwenang melakukan &#34;Tandatangani&#34;"),
    ("hand_over", "clerk", 403, "tidak dapat dilakukan"),
    ("teleport", "clerk", 403, "Tindakan tidak dikenal"),
    ("sign", "camat", 422, "Kata sandi salah"),
])
def test_refused_actions_show_the_reason_in_the_panel(client, login_as, make_request, db, trigger, who, status,
                                                      message):
    req = make_request("awaiting_signature", "sktm")
    login_as(who)
    response = client.post(f"/documents/{req.id}/actions/{trigger}", data={"version": "0", "password": "salah"},
                           headers={"HX-Request": "true"})
    assert response.status_code == status
    assert message in response.get_data(as_text=True)
    assert fresh(db, req).state == "awaiting_signature"


def test_camat_signs_with_password_through_the_page(client, login_as, make_request, db):
    from tests.support import PASSWORD
    req = make_request("awaiting_signature", "sktm")
    login_as("camat")
    page = client.get(f"/documents/{req.id}").get_data(as_text=True)
    assert 'type="password" name="password"' in page
    response = client.post(f"/documents/{req.id}/actions/sign", data={"version": "0", "password": PASSWORD})
    assert response.status_code == 303
    assert fresh(db, req).state == "signed"
    timeline = client.get(f"/documents/{req.id}/timeline", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "Camat Uji" in timeline and "menandatangani dokumen" in timeline
    assert "Menunggu tanda tangan → <strong class=\"text-body\">Ditandatangani" in timeline


def test_people_without_a_service_role_see_nothing(client, login_as, make_request):
    req = make_request("received")
    login_as("asn")
    assert client.get("/documents/").status_code == 403
    assert client.get(f"/documents/{req.id}").status_code == 403
    assert client.post(f"/documents/{req.id}/actions/verify", data={"version": "0"}).status_code == 403
    login_as("hr")  # HR audits through /audit, not the citizens' requests
    assert client.get("/documents/").status_code == 403
    assert client.get(f"/documents/{req.id}").status_code == 403


def test_public_tracking_shows_progress_but_no_personal_data(client, make_request):
    req = make_request("processing", "akta-lahir", name="Dewi Kartika")
    response = client.get(f"/track/{req.tracking_code}")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Akta Kelahiran" in html and "Diproses" in html and 'class="stepper' in html
    assert "Janji selesai" in html
    for secret in (req.nik, req.nik[-4:] + "<", "Dewi", "Kartika", req.phone, "/files/"):
        assert secret not in html
    lower = client.get(f"/track/{req.tracking_code.lower().replace('-', ' ')}")
    assert lower.status_code == 200
    form = client.get(f"/track?code={req.tracking_code}")
    assert form.status_code == 303


def test_public_tracking_of_unknown_codes_and_the_rate_limit(client, app):
    assert client.get("/track").status_code == 200
    response = client.get("/track/PLJ-AAAAA-BBBBB")
    assert response.status_code == 404 and "Tidak ada permohonan" in response.get_data(as_text=True)
    statuses = [client.get(f"/track/PLJ-AAAAA-{i:05d}").status_code for i in range(25)]
    assert 429 in statuses


def test_tracking_codes_are_random_and_unambiguous():
    from plaju.documents.models import CODE_ALPHABET
    from plaju.documents.services import new_tracking_code, normalise_code
    codes = {new_tracking_code() for _ in range(2000)}
    assert len(codes) == 2000
    assert not set("".join(codes).replace("PLJ", "").replace("-", "")) - set(CODE_ALPHABET)
    assert normalise_code("plj abcde fghjk") == "PLJ-ABCDE-FGHJK"
    assert normalise_code("PLJ-ABCDE-FGHJ0") == ""


def test_admin_edits_a_type_and_the_holiday_table(client, login_as, doc_types, db):
    login_as("admin")
    sktm = doc_types["sktm"]
    assert "Surat Keterangan Tidak Mampu" in client.get("/documents/admin/types").get_data(as_text=True)
    response = client.post(f"/documents/admin/types/{sktm.id}", data={
        "code": "sktm", "name": "SKTM", "service_amount": "1", "service_unit": "days", "camat_signs": "y",
        "active": "y", "required": "Surat pengantar RT/RW\nFotokopi KK", "optional": "Foto rumah", "description": "",
        "forwards_to_disdukcapil": "", "other_regions": "",
        "min_age": "", "archive_code": "400.9", "subject_kind": "person",
        "form_token": new_token(), "seen": type_seen(sktm.id)})
    assert response.status_code == 303
    db.session.expire_all()
    t = db.session.get(DocumentType, sktm.id)
    assert (t.name, t.service_amount, t.service_unit, t.forwards_to_disdukcapil) == ("SKTM", 1, "days", False)
    assert [(r.label, r.required) for r in t.requirements] == [
        ("Surat pengantar RT/RW", True), ("Fotokopi KK", True), ("Foto rumah", False)]
    clash = client.post("/documents/admin/types/new", data={
        "code": "sktm", "name": "X", "service_amount": "1", "service_unit": "days", "camat_signs": "",
        "forwards_to_disdukcapil": "", "active": "y", "required": "", "optional": "", "description": "",
        "other_regions": "", "min_age": "",
        "archive_code": "400", "form_token": new_token(), "seen": ""})
    assert clash.status_code == 422
    monday = today_wib() + timedelta(days=7 - today_wib().weekday())
    added = client.post("/documents/admin/holidays", data={"day": monday.isoformat(), "name": "Cuti bersama"})
    assert added.status_code == 303
    assert "Cuti bersama" in db.session.scalars(select(Holiday.name)).all()
    # a Saturday is closed anyway, a past day's figures are already counted: refused, said, audited
    for day, said in ((monday + timedelta(days=5), "Sabtu atau Minggu"),
                      (today_wib() - timedelta(days=1), "sudah lewat")):
        refused = client.post("/documents/admin/holidays", data={"day": day.isoformat(), "name": "Libur"})
        assert refused.status_code == 422 and said in refused.text
    assert db.session.scalars(select(Holiday.name)).all().count("Libur") == 0
    assert len(db.session.scalars(select(AuditEvent).where(AuditEvent.action == "holiday.add",
                                                           AuditEvent.outcome == "refused")).all()) == 2
    login_as("clerk")
    assert client.get("/documents/admin/types").status_code == 403
    assert client.post("/documents/admin/holidays", data={"day": "2027-01-02", "name": "x"}).status_code == 403


def test_home_cards_per_role(client, login_as, make_request, users):
    from plaju.accounts.models import Delegation
    from plaju.timeutil import today_wib
    make_request("processing", due_at=utcnow() - timedelta(hours=2))
    make_request("awaiting_signature")
    login_as("kasi")
    assert "Permohonan lewat waktu" in client.get("/").get_data(as_text=True)
    login_as("camat")  # documents to sign lead the home page through the inbox card
    assert "Permohonan dokumen: 1" in client.get("/").get_data(as_text=True)
    login_as("clerk")
    assert "permohonan sedang berjalan" in client.get("/").get_data(as_text=True)
    login_as("sekcam")
    assert "Permohonan dokumen: 1" not in client.get("/").get_data(as_text=True)
    today = today_wib()
    client.application.extensions["sqlalchemy"].session.add(Delegation(
        principal_id=users["camat"].id, delegate_id=users["sekcam"].id, kind="plh", starts_on=today, ends_on=today))
    assert "Permohonan dokumen: 1" in client.get("/").get_data(as_text=True)


def test_the_checklist_without_htmx_redirects_to_the_intake_page_with_the_type_chosen(client, login_as, doc_types):
    sktm = doc_types["sktm"]
    login_as("clerk")
    response = client.get(f"/documents/new/checklist?type_id={sktm.id}")
    assert response.status_code == 303
    assert response.headers["Location"] == f"/documents/new?type_id={sktm.id}"
    page = client.get(response.headers["Location"]).text
    assert re.search(rf'<option selected value="{sktm.id}">', page)
    assert 'data-testid="requirements"' in page
    assert client.get("/documents/new/checklist").headers["Location"] == "/documents/new"
    fragment = client.get(f"/documents/new/checklist?type_id={sktm.id}", headers={"HX-Request": "true"})
    assert fragment.status_code == 200 and "<html" not in fragment.text
    assert 'data-testid="requirements"' in fragment.text


def test_counters_fragment_refreshes(client, login_as, make_request):
    make_request("ready")
    login_as("clerk")
    html = client.get("/documents/counters", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert 'data-testid="counters"' in html and "<html" not in html


def test_a_valid_nik_helper_is_valid():
    from plaju.documents.nik import validate_nik
    assert validate_nik(valid_nik()).value.startswith("1671")


def test_due_today_flag_and_filter(client, login_as, make_request):
    from plaju.documents import sla
    from plaju.timeutil import today_wib
    end_of_today = sla.end_of_day_utc(today_wib())
    soon = min(utcnow() + timedelta(minutes=30), end_of_today - timedelta(seconds=5))
    make_request("processing", name="Hari Ini", due_at=soon)
    make_request("processing", name="Besok Lusa", due_at=end_of_today + timedelta(days=2))
    login_as("kasi")
    html = client.get("/documents/?flag=today").get_data(as_text=True)
    assert "Hari Ini" in html and "Besok Lusa" not in html and 'data-testid="flag-today"' in html


def test_looking_at_a_file_is_audited_but_does_not_count_as_acting_first(client, login_as, make_request, users):
    import io

    from tests.documents.test_intake import PDF
    req = make_request("verifying", "akta-lahir")
    login_as("clerk")
    client.post(f"/documents/{req.id}/attachments", data={"attachments": [(io.BytesIO(PDF), "kk.pdf")]},
                content_type="multipart/form-data")
    login_as("kasi")
    assert client.post(f"/documents/{req.id}/actions/accept", data={"version": "0"}).status_code == 303
    login_as("kasi2")
    att = fresh(client.application.extensions["sqlalchemy"], req).attachments[0]
    assert client.get(f"/documents/{req.id}/files/{att.id}").status_code == 200
    login_as("clerk")
    stale = client.post(f"/documents/{req.id}/actions/return_to_citizen", data={"version": "0", "comment": "x"},
                        headers={"HX-Request": "true"})
    assert stale.status_code == 409
    html = stale.get_data(as_text=True)
    assert users["kasi"].full_name in html and users["kasi2"].full_name not in html


def test_a_list_fragment_does_not_count_what_it_does_not_show(app, client, login_as, doc_types, users, db):
    login_as("clerk")
    _bulk(db, doc_types, users, 30)
    page = _count_queries(app, db, lambda: client.get("/documents/?q=warga"))
    fragment = _count_queries(app, db, lambda: client.get("/documents/?q=warga", headers={"HX-Request": "true"}))
    assert fragment == page - 1  # the counters are one statement, asked only by the full page


def test_counters_stop_at_a_thousand(client, login_as, doc_types, users, db):
    from plaju.documents.queue import COUNT_CAP
    login_as("clerk")
    _bulk(db, doc_types, users, COUNT_CAP + 5)
    html = client.get("/documents/counters", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert f"{COUNT_CAP}+" in html  # in progress: at least a thousand, counted no further
    assert client.get("/").status_code == 200
    assert f"{COUNT_CAP}+" in client.get("/").get_data(as_text=True)  # the clerk's home card


def test_search_by_word_prefix_exact_nik_and_code(client, login_as, make_request):
    login_as("clerk")
    siti = make_request("received", name="Hj. Siti Nur'aini Lubis")
    make_request("received", name="Budi Santoso")

    def found(q):
        html = client.get("/documents/", query_string={"state": "all", "q": q}).get_data(as_text=True)
        return "Lubis" in html, "Budi Santoso" in html
    assert found("siti") == (True, False)
    assert found("LUB") == (True, False)  # the beginning of any word, in any case
    assert found("siti lub") == (True, False)  # every word typed must begin a word of the name
    assert found("siti santoso") == (False, False)
    assert found("iti") == (False, False)  # not the middle of a word
    assert found(siti.nik) == (True, False)
    assert found(siti.nik[:12]) == (False, False)  # part of a NIK finds nobody: no listing of citizens
    # typed as printed on the KTP (groups of four), or with dots, as the intake reads it
    assert found(" ".join(siti.nik[i:i + 4] for i in range(0, 16, 4))) == (True, False)
    assert found(f"{siti.nik[:6]}.{siti.nik[6:12]}.{siti.nik[12:]}") == (True, False)
    assert found(siti.nik[:12] + " " + siti.nik[12:15]) == (False, False)
    assert found(siti.tracking_code.lower()) == (True, False)
    assert found(siti.tracking_code[:8]) == (False, False)
    assert found("%") == (False, False)


def test_a_finished_request_is_found_by_its_code_or_nik_from_the_open_tab(client, login_as, make_request):
    """The citizen comes back with the receipt after the hand-over: the code (or the NIK) finds it whatever the
    tab; a name search keeps the tab and offers to look among the finished requests too."""
    login_as("clerk")
    done = make_request("handed_over", name="Viman Kurniawan")
    for q in (done.tracking_code, done.tracking_code.lower().replace("-", ""), done.nik):
        page = client.get("/documents/", query_string={"q": q}).get_data(as_text=True)
        assert "Viman Kurniawan" in page, q
    by_name = client.get("/documents/", query_string={"q": "viman"}).get_data(as_text=True)
    assert "Viman Kurniawan" not in by_name and 'data-testid="search-everywhere"' in by_name
    assert "state=all" in by_name.split('data-testid="search-everywhere"')[0].rsplit("<a", 1)[1]
    everywhere = client.get("/documents/", query_string={"q": "viman", "state": "all"}).get_data(as_text=True)
    assert "Viman Kurniawan" in everywhere


def test_an_optional_paper_not_brought_is_not_shown_as_missing(client, login_as, intake, db):
    """Only required papers missing are red: an optional one not brought is a neutral dash."""
    from plaju.documents.models import DocumentRequest
    login_as("clerk")
    assert client.post("/documents/new", data=intake()).status_code == 303
    req = db.session.scalars(select(DocumentRequest)).one()
    page = client.get(f"/documents/{req.id}").get_data(as_text=True)
    checklist = page[page.index('data-testid="checklist"'):]
    checklist = checklist[:checklist.index("</ul>")]
    assert "tidak dibawa:</span>" in checklist and "Fotokopi akta kelahiran" in checklist
    assert "kurang:</span>" not in checklist and "text-danger" not in checklist


def test_a_letter_box_before_its_draft_says_when_the_draft_comes(client, login_as, make_request):
    req = make_request("verifying", "sktm")
    login_as("kasi")
    page = client.get(f"/documents/{req.id}").text
    assert 'data-testid="letter-panel"' in page and 'data-testid="letter-later"' in page
    assert "Draf surat dapat diperiksa setelah persyaratan dinyatakan lengkap" in page


def _type_data(t, **changes) -> dict:
    data = {"code": t.code, "name": t.name, "service_amount": str(t.service_amount), "service_unit": t.service_unit,
            "camat_signs": "y" if t.camat_signs else "", "forwards_to_disdukcapil": "y" if t.forwards_to_disdukcapil
            else "", "active": "y", "other_regions": "", "min_age": "", "archive_code": t.archive_code or "",
            "subject_kind": t.subject_kind, "description": t.description or "",
            "required": "\n".join(r.label for r in t.requirements if r.required),
            "optional": "\n".join(r.label for r in t.requirements if not r.required), "form_token": new_token(),
            "seen": type_seen(t.id)}
    data.update(changes)
    return data


def test_a_new_type_the_camat_signs_needs_a_code_whose_letter_text_exists(client, login_as, doc_types, db):
    """"Surat Keterangan Belum Menikah" with the Camat's signature drew "SURAT KETERANGAN SURAT KETERANGAN BELUM
    MENIKAH", which stated only the residence: the Camat would have signed a letter certifying nothing."""
    login_as("admin")
    sktm = doc_types["sktm"]
    data = _type_data(sktm, code="belum-menikah", name="Surat Keterangan Belum Menikah", seen="")
    refused = client.post("/documents/admin/types/new", data=data)
    assert refused.status_code == 422 and "teksnya tersedia di intranet" in refused.text and "domisili" in refused.text
    assert db.session.scalar(select(DocumentType.id).where(DocumentType.code == "belum-menikah")) is None
    kept = client.post("/documents/admin/types/new", data={**data, "camat_signs": "", "form_token": new_token()})
    assert kept.status_code == 303  # a type the counter handles without the Camat's letter


def test_a_new_sktm_type_replacing_a_retired_one_extends_its_code(client, login_as, doc_types, db, make_request):
    """Codes are unique and the five letter texts' codes are taken: "make a new type and retire this one" could
    not be followed for them. A code extending one with a dash draws its text, about whom that text is."""
    login_as("admin")
    sktm = doc_types["sktm"]
    data = _type_data(sktm, code="sktm-2027", name="Surat Keterangan Tidak Mampu 2027", seen="")
    wrong = client.post("/documents/admin/types/new", data={**data, "subject_kind": "applicant"})
    assert wrong.status_code == 422 and "Teks surat sktm menyangkut" in wrong.text
    done = client.post("/documents/admin/types/new", data={**data, "form_token": new_token()})
    assert done.status_code == 303, done.text[:2000]
    new = db.session.scalars(select(DocumentType).where(DocumentType.code == "sktm-2027")).one()
    doc_types["sktm-2027"] = new
    req = make_request("processing", "sktm-2027")
    assert draw(req).content.title == "SURAT KETERANGAN TIDAK MAMPU"
    assert letter_text("sktm-2027") == "sktm" and letter_text("domisili-usaha-2") == "domisili-usaha"
    assert letter_text("sktmx") is None and letter_text("domisili") == "domisili"


def test_a_type_saved_before_the_letter_text_rule_is_still_edited_and_retired(client, login_as, doc_types, db):
    login_as("admin")
    old = DocumentType(code="belum-menikah", name="Surat Keterangan Belum Menikah", service_amount=1,
                       service_unit="days", camat_signs=True, position=99)
    db.session.add(old)
    db.session.commit()
    retired = client.post(f"/documents/admin/types/{old.id}", data=_type_data(old, active=""))
    assert retired.status_code == 303
    db.session.expire_all()
    assert db.session.get(DocumentType, old.id).active is False


def test_a_type_with_requests_keeps_whom_it_is_about_and_its_route(client, login_as, doc_types, db, make_request):
    """A type's kind changed under its requests gave every one of their pages a 500; unticking the Camat's
    signature let him sign a letter he could no longer see."""
    waris = doc_types["ahli-waris"]
    req = make_request("processing", "ahli-waris")
    login_as("admin")
    # the code picks the letter's text: renamed to "sktm", an heirs' letter was signed as an SKTM
    for change in ({"subject_kind": "business"}, {"camat_signs": ""}, {"forwards_to_disdukcapil": "y"},
                   {"code": "ahli-waris-lama"}):
        refused = client.post(f"/documents/admin/types/{waris.id}", data=_type_data(waris, **change))
        assert refused.status_code == 422 and "sudah memiliki permohonan" in refused.text, change
    # the name heads the letter, the archive code is in its number: kept while a request is open
    for change in ({"name": "Surat Keterangan Lain"}, {"archive_code": "999"}):
        refused = client.post(f"/documents/admin/types/{waris.id}", data=_type_data(waris, **change))
        assert refused.status_code == 422 and "belum selesai" in refused.text, change
    db.session.expire_all()
    assert (db.session.get(DocumentType, waris.id).subject_kind, waris.camat_signs) == ("inheritance", True)
    login_as("kasi")
    assert client.get(f"/documents/{req.id}").status_code == 200
    login_as("admin")  # the requirements may change; a line twice is refused, not half-kept
    twice = client.post(f"/documents/admin/types/{waris.id}", data=_type_data(
        waris, required="Surat pengantar RT/RW\nSurat pengantar RT/RW", optional=""))
    assert twice.status_code == 422 and "dua kali" in twice.text
    refusals = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "document_type.save",
                                                           AuditEvent.outcome == "refused")).all()
    assert len(refusals) == 7
    req = db.session.get(DocumentRequest, req.id)
    req.state = "handed_over"  # finished: a name may be corrected now (its letters are signed and kept)
    db.session.commit()
    renamed = client.post(f"/documents/admin/types/{waris.id}", data=_type_data(waris, name="Surat Keterangan Waris"))
    assert renamed.status_code == 303


def test_a_holiday_moves_the_due_time_of_open_requests_and_a_past_one_stays(client, login_as, db, make_request):
    from datetime import datetime

    from plaju.database import clock_at
    monday = today_wib() + timedelta(days=7 - today_wib().weekday())
    # taken in next Monday: due that Thursday, a day still to come whatever day the test runs
    with clock_at(datetime.combine(monday, datetime.min.time()) + timedelta(hours=2)):
        req = make_request("processing", "ktp-baru")  # its clock runs; due within a week or so
    due = req.due_at
    login_as("admin")
    day = (due + timedelta(hours=7)).date()  # the WIB day it is due on
    added = client.post("/documents/admin/holidays", data={"day": day.isoformat(), "name": "Libur Pilkada"})
    assert added.status_code == 303
    db.session.expire_all()
    moved = db.session.get(DocumentRequest, req.id).due_at
    assert moved > due and (moved + timedelta(hours=7)).date() != day  # not promised on the closed day
    from plaju.workflow.models import WorkItem  # the to-do lists order and flag by the new time too
    assert {w.due_at for w in db.session.scalars(select(WorkItem).where(WorkItem.entity_id == req.id,
                                                                          WorkItem.spec == "document"))} == {moved}
    holiday = db.session.scalars(select(Holiday).where(Holiday.name == "Libur Pilkada")).one()
    assert client.post(f"/documents/admin/holidays/{holiday.id}/delete").status_code == 303
    db.session.expire_all()
    assert db.session.get(DocumentRequest, req.id).due_at == due  # removed again: back where it was
    past = Holiday(day=today_wib() - timedelta(days=3), name="Libur Lalu")
    db.session.add(past)
    db.session.commit()
    refused = client.post(f"/documents/admin/holidays/{past.id}/delete", follow_redirects=True)
    assert "sudah lewat" in refused.text and db.session.get(Holiday, past.id) is not None
    row = refused.text.split("Libur Lalu")[1].split("</li>")[0]
    assert 'data-testid="remove-holiday"' not in row  # a past one offers no button either


def test_a_holiday_for_today_is_neither_added_nor_removed(client, login_as, db, monkeypatch):
    """Added after the day's work, a holiday for today moved twelve requests off today and erased their
    lateness; removing one today would count a closed day."""
    from plaju.documents import settings_views
    wednesday = today_wib() + timedelta(days=(2 - today_wib().weekday()) % 7 or 7)
    monkeypatch.setattr(settings_views, "today_wib", lambda: wednesday)  # a working day, whatever today is
    login_as("admin")
    refused = client.post("/documents/admin/holidays", data={"day": wednesday.isoformat(), "name": "Libur Mendadak"})
    assert refused.status_code == 422 and "adalah hari ini" in refused.text
    assert db.session.scalar(select(Holiday).where(Holiday.day == wednesday)) is None
    holiday = Holiday(day=wednesday, name="Libur Nasional")
    db.session.add(holiday)
    db.session.commit()
    kept = client.post(f"/documents/admin/holidays/{holiday.id}/delete", follow_redirects=True)
    assert "adalah hari ini" in kept.text and db.session.get(Holiday, holiday.id) is not None
    assert len(db.session.scalars(select(AuditEvent).where(
        AuditEvent.action.in_(("holiday.add", "holiday.delete")), AuditEvent.outcome == "refused")).all()) == 2


def test_a_holiday_years_ahead_is_a_mistyped_year(client, login_as, db):
    """2062-12-25 was Christmas of 2026 mistyped; 9999-12-31 was saved too."""
    login_as("admin")
    for day in (date(today_wib().year + 36, 12, 25), date(9999, 12, 31)):
        while day.weekday() >= 5:
            day -= timedelta(days=1)
        refused = client.post("/documents/admin/holidays", data={"day": day.isoformat(), "name": "Natal"})
        assert refused.status_code == 422 and "lebih dari setahun ke depan" in refused.text
    assert db.session.scalars(select(Holiday)).first() is None
    next_year = date(today_wib().year + 1, 1, 1)
    while next_year.weekday() >= 5:
        next_year += timedelta(days=1)
    assert client.post("/documents/admin/holidays", data={"day": next_year.isoformat(),
                                                           "name": "Tahun Baru"}).status_code == 303


def test_a_cuti_bersama_of_several_days_is_entered_at_once(client, login_as, db):
    """A joint-leave week had to be entered one day at a time: each working day of the run is entered, with
    one event each; a run over a day already listed enters nothing."""
    login_as("admin")
    monday = today_wib() + timedelta(days=7 - today_wib().weekday() + 7)  # a Monday at least a week ahead
    response = client.post("/documents/admin/holidays", data={
        "day": (monday - timedelta(days=2)).isoformat(), "last_day": (monday + timedelta(days=2)).isoformat(),
        "name": "Cuti bersama Idulfitri"})
    assert response.status_code == 303
    days = sorted(db.session.scalars(select(Holiday.day)))
    assert days == [monday, monday + timedelta(days=1), monday + timedelta(days=2)]  # the weekend is not listed
    assert len(db.session.scalars(select(AuditEvent).where(AuditEvent.action == "holiday.add",
                                                           AuditEvent.outcome == "ok")).all()) == 3
    again = client.post("/documents/admin/holidays", data={
        "day": (monday + timedelta(days=2)).isoformat(), "last_day": (monday + timedelta(days=4)).isoformat(),
        "name": "Cuti bersama"})
    assert again.status_code == 422 and "sudah ada dalam daftar" in again.text
    assert len(db.session.scalars(select(Holiday)).all()) == 3
    reversed_run = client.post("/documents/admin/holidays", data={
        "day": (monday + timedelta(days=9)).isoformat(), "last_day": (monday + timedelta(days=7)).isoformat(),
        "name": "Terbalik"})
    assert reversed_run.status_code == 422 and "sebelum hari pertama" in reversed_run.text
    endless = client.post("/documents/admin/holidays", data={  # refused at once, no day of it listed
        "day": (monday + timedelta(days=7)).isoformat(), "last_day": "9999-12-31", "name": "Salah ketik"})
    assert endless.status_code == 422 and "Paling banyak 14 hari" in endless.text


def test_the_request_page_shows_the_address_the_letter_states(client, login_as, make_request):
    """The Kasi checking the requirements compares the typed address with the KK: it was only in the draft
    letter, not offered before the request was processed."""
    req = make_request("verifying", "sktm")
    login_as("kasi")
    page = client.get(f"/documents/{req.id}").text
    assert 'data-testid="address"' in page and "Jl. Sentosa No. 7 RT 003 RW 001" in page
