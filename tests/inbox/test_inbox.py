"""/inbox/: one list of what awaits a person, actions in the row, bulk sign-off with one password."""
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from plaju.accounts.models import Delegation, User
from plaju.audit.models import AuditEvent
from plaju.database import utcnow
from plaju.documents.models import DocumentRequest
from plaju.timeutil import today_wib
from plaju.training import services as training
from plaju.training.models import Enrolment, Plan
from plaju.workflow import fire, started
from tests.notify.conftest import form_gateway, gateway_server  # noqa: F401  (fixtures)
from tests.support import PASSWORD, spelled


def _plan_submitted(db, users, course):
    hr = users["hr"]
    plan = training.create_plan(hr.unit_id, today_wib().year, hr, suggest=False)
    training.add_item(plan.id, {"user_id": users["asn"].id, "course_id": course.id}, hr)
    plan = db.session.get(Plan, plan.id)
    return fire(plan, "submit", hr, expected_version=plan.version)


def _item(row_or_entity, trigger, spec):
    return f"{spec}:{row_or_entity.id}:{trigger}:{row_or_entity.version}"


def _refused_events(db) -> int:
    return db.session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.outcome == "refused"))



def _plh_today(db, principal, delegate):
    """`delegate` stands in as Plh for `principal` today only."""
    today = today_wib()
    db.session.add(Delegation(principal_id=principal.id, delegate_id=delegate.id, kind="plh", starts_on=today,
                              ends_on=today))
    db.session.commit()

def test_the_camat_sees_documents_enrolments_and_plans_in_one_list_overdue_first(
        client, login_as, db, users, make_request, make_course, enrol):
    late = make_request("awaiting_signature", name="Terlambat Sekali", due_at=utcnow() - timedelta(hours=3))
    soon = make_request("awaiting_signature", name="Masih Lama", due_at=utcnow() + timedelta(days=2))
    started(late), started(soon)
    db.session.commit()
    make_request("processing", name="Bukan Untuk Camat")
    course = make_course(title="Pelatihan Arsip", quota=None)
    enrol(course, users["asn"], "approved")
    _plan_submitted(db, users, course)
    login_as("camat")
    page = client.get("/inbox/").text
    kinds = re.findall(r'data-kind="(\w+)"', page)
    assert kinds == ["document", "enrolment", "training_plan"]
    # the kinds are one tap away from the top (a phone's list is long)
    jumps = page.split('data-testid="group-jumps"')[1].split("</nav>")[0]
    assert re.findall(r'href="#group-(\w+)"', jumps) == kinds and all(f'id="group-{k}"' in page for k in kinds)
    assert re.findall(r'data-testid="group-count">(\d+)<', page) == ["2", "1", "1"]
    assert page.index(late.tracking_code) < page.index(soon.tracking_code)
    assert "Bukan Untuk Camat" not in page
    assert 'data-testid="overdue"' in page.split(soon.tracking_code)[0]
    assert "Pelatihan Arsip" in page and users["asn"].full_name in page
    assert client.get("/inbox/count").text.count(">4<") == 1
    assert "Perlu tindakan saya" in client.get("/").text
    # one button per kind: the letters are signed at once, never the year's plan with them unread
    buttons = re.findall(r'data-testid="bulk-all" data-bulk-kind="(\w+)">([^<]+)<', page)
    assert buttons == [("document", "Tandatangani sekaligus: Permohonan dokumen (2 di halaman ini)"),
                       ("enrolment", "Sahkan sekaligus: Pendaftaran pelatihan (1 di halaman ini)"),
                       ("training_plan", "Setujui rencana sekaligus: Rencana pengembangan kompetensi tahunan "
                                         "(1 di halaman ini)")]
    page_items = re.findall(r'name="page_item" value="([^"]+)"', page)
    confirm = client.post("/inbox/confirm", data={"all": "document", "page_item": page_items}).text
    confirmed = re.findall(r'data-testid="confirm-item">.*?name="item" value="([^"]+)"', confirm, re.S)
    assert sorted(confirmed) == sorted(v for v in page_items if v.startswith("document:")) and len(confirmed) == 2


def test_bulk_buttons_only_where_a_row_can_be_taken_in_bulk_and_named_for_it(
        client, login_as, db, users, make_request, make_course, enrol):
    taken_in = [make_request("received", name=name) for name in ("Untuk Petugas", "Warga Kedua")]
    login_as("clerk")  # a morning's intake starts verification at once: nothing to record for it
    page = client.get("/inbox/").text
    assert "Untuk Petugas" in page and "Mulai verifikasi sekaligus:" in page and "(2 di halaman ini)" in page
    done = client.post("/inbox/bulk", data={"item": [_item(r, "verify", "document") for r in taken_in]})
    assert done.status_code == 200
    db.session.expire_all()
    assert {db.session.get(DocumentRequest, r.id).state for r in taken_in} == {"verifying"}
    assert 'data-testid="bulk-all"' not in client.get("/inbox/").text  # the Kasi's now, nothing left in bulk
    enrol(make_course(title="Pelatihan Arsip", quota=None), users["asn"], "requested")
    login_as("kasi")  # approves in bulk, signs nothing: the buttons say approve
    page = client.get("/inbox/").text
    # it says how many rows it takes: the Kasi's page lists documents it does not touch
    assert 'data-testid="bulk-all"' in page and "Setujui sekaligus: Pendaftaran pelatihan (1 di halaman ini)" in page
    # an enrolment's row leads with whom the supervisor decides for (not "#15", not the JP)
    assert f'>{users["asn"].full_name}</label>' in page and "· Pelatihan Arsip · 12 JP" in page
    assert "Tandatangani dan setujui" not in page
    # a step from far down a phone's list comes back scrolled to the top, where its outcome is said
    assert page.count('hx-swap="outerHTML show:#inbox:top"') == page.count('hx-post="/inbox/act"') > 0


def test_a_bulk_request_with_ids_not_awaiting_me_refuses_those_and_does_the_rest(
        client, login_as, db, users, make_request, make_course, enrol):
    mine = [make_request("awaiting_signature", name=f"Warga {spelled(n)}") for n in range(3)]
    not_yet = make_request("processing", name="Belum Waktunya")
    own = make_request("awaiting_signature", name="Dibuat Camat", clerk=users["camat"])  # four eyes
    enrolment = enrol(make_course(title="Rutin", routine=True, quota=None), users["asn"], "approved")
    items = [_item(r, "sign", "document") for r in mine + [not_yet, own]]
    items += [_item(enrolment, "sign_off_routine", "enrolment"), "document:999999:sign:0", "rubbish"]
    login_as("camat")
    confirm = client.post("/inbox/confirm", data={"item": items})
    # the confirmation lists only what awaits the Camat: no names of rows he could not see
    assert confirm.text.count('data-testid="confirm-item"') == 4 and "Belum Waktunya" not in confirm.text
    # each is ticked, to be unticked if it should wait: only the ticked ones are posted and taken
    assert len(re.findall(r'type="checkbox" name="item" value="[^"]+" id="confirm-\d+" checked', confirm.text)) == 4
    done = client.post("/inbox/bulk", data={"item": items, "password": PASSWORD})
    assert done.status_code == 200 and "inbox-changed" in done.headers["HX-Trigger"]
    assert done.text.count('data-testid="done"') == 4
    assert done.text.count('data-testid="refused"') == 4
    # each done item says where it went: the signed letters wait to be handed over, the course runs
    states = re.findall(r'data-testid="done-state">status sekarang: (.*?)</span>', done.text)
    assert len(states) == 4 and len(set(states[:3])) == 1 and states[3] != states[0], states
    db.session.expire_all()
    states = {r.name: db.session.get(DocumentRequest, r.id).state for r in mine + [not_yet, own]}
    assert states == {"Warga A": "signed", "Warga B": "signed", "Warga C": "signed",
                      "Belum Waktunya": "processing", "Dibuat Camat": "awaiting_signature"}
    assert db.session.get(Enrolment, enrolment.id).state == "in_progress"
    signed = db.session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "document.sign", AuditEvent.outcome == "ok"))
    assert signed == 3  # one audit event per item
    assert "empat mata" in done.text or "four-eyes" in done.text
    assert "Belum Waktunya" not in done.text  # refused without showing whose request it is


@pytest.mark.parametrize("routine", [True, False])
def test_the_camat_approving_what_he_also_signs_off_decides_once(
        client, login_as, db, users, make_course, enrol, routine):
    """The Camat approves a Kasi's enrolment as her direct supervisor: he is also who signs it off, so the
    sign-off follows in the same click (its own event), not in a second round from the same list."""
    users["kasi"].supervisor_id = users["camat"].id
    db.session.commit()
    enrolment = enrol(make_course(title="Kepemimpinan", quota=None, routine=routine), users["kasi"], "requested")
    login_as("camat")
    done = client.post("/inbox/bulk", data={"item": [_item(enrolment, "approve", "enrolment")], "password": PASSWORD})
    assert done.text.count('data-testid="done"') == 1 and 'data-testid="waits-again"' not in done.text
    assert "Disahkan, siap diikuti" in done.text
    db.session.expire_all()
    assert db.session.get(Enrolment, enrolment.id).state == "in_progress"
    steps = db.session.scalars(select(AuditEvent.action).where(
        AuditEvent.subject_type == "enrolment", AuditEvent.subject_id == str(enrolment.id),
        AuditEvent.actor_id == users["camat"].id).order_by(AuditEvent.seq)).all()
    assert steps == ["enrolment.approve", "enrolment.sign_off_routine" if routine else "enrolment.sign_off"]
    # a Kasi approving her own staff's request leaves the sign-off to the Camat, as before
    asn = enrol(make_course(title="Pelayanan", quota=None, routine=routine), users["asn"], "requested")
    fire(db.session.get(Enrolment, asn.id), "approve", db.session.get(User, users["kasi"].id), expected_version=0)
    db.session.expire_all()
    assert db.session.get(Enrolment, asn.id).state == "approved"


def test_the_selected_button_over_rows_of_several_steps_names_no_one_step(client, login_as, db, users,
                                                                          make_request, make_course, enrol):
    """The Kasi's rows mixed letters to mark ready with training requests: "Setujui yang dipilih" marked the
    letters ready for pick-up."""
    make_request("signed", name="Warga Siap")
    enrol(make_course(title="Pelayanan Prima", quota=None), users["asn"], "requested")
    login_as("kasi")
    button = re.search(r'data-testid="bulk-selected">([^<]*)<', client.get("/inbox/").text).group(1)
    assert button == "Proses yang dipilih, masing-masing dengan langkahnya"  # short on a phone: the
    # confirmation names each row's step


def test_routine_approvals_in_bulk_ask_no_password_as_alone_they_ask_none(
        client, login_as, db, users, make_course, enrol):
    """The Kasi approves her staff's requests at once without her password, as one alone needs none; a
    forged signature slipped into the batch makes it ask for the password, and without it nothing is done."""
    course = make_course(title="Pelayanan Prima", quota=None)
    rows = [enrol(course, users["asn"], "requested")]
    login_as("kasi")
    items = [_item(r, "approve", "enrolment") for r in rows]
    confirm = client.post("/inbox/confirm", data={"item": items})
    assert 'data-testid="confirm-item"' in confirm.text and 'data-testid="bulk-password"' not in confirm.text
    forged = client.post("/inbox/bulk", data={"item": items + ["document:1:sign:0"], "password": ""})
    assert forged.status_code == 422 and "Masukkan kata sandi Anda untuk konfirmasi" in forged.text
    db.session.expire_all()
    assert db.session.get(Enrolment, rows[0].id).state == "requested"
    done = client.post("/inbox/bulk", data={"item": items})
    assert done.status_code == 200 and done.text.count('data-testid="done"') == 1
    db.session.expire_all()
    assert db.session.get(Enrolment, rows[0].id).state == "approved"


def test_the_clerk_marks_the_signed_letters_ready_at_once_and_each_citizen_is_told(
        client, login_as, db, users, make_request, form_gateway):  # noqa: F811
    from plaju.notify.models import OutboxMessage
    signed = [make_request("signed", name=f"Warga Siap {spelled(n)}", contact_consent_at=utcnow()) for n in range(3)]
    login_as("clerk")
    page = client.get("/inbox/").text
    assert "Siap diambil sekaligus: Permohonan" in page and "Siap diambil: yang dipilih" in page
    items = [_item(r, "mark_ready", "document") for r in signed]
    confirm = client.post("/inbox/confirm", data={"item": items})
    assert confirm.text.count('data-testid="confirm-item"') == 3 and 'data-testid="bulk-password"' not in confirm.text
    done = client.post("/inbox/bulk", data={"item": items})
    assert done.status_code == 200 and done.text.count('data-testid="done"') == 3
    db.session.expire_all()
    assert {db.session.get(DocumentRequest, r.id).state for r in signed} == {"ready"}
    assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "document.mark_ready", AuditEvent.outcome == "ok")) == 3
    told = " ".join(db.session.scalars(select(OutboxMessage.body)))
    assert all(r.tracking_code in told for r in signed)
    assert len(form_gateway.requests) == 3


def test_a_mix_of_stale_and_current_items_names_who_acted_first(
        client, login_as, db, users, make_request, camat_away):
    first, second = make_request("awaiting_signature", name="Satu"), make_request("awaiting_signature", name="Dua")
    items = [_item(first, "sign", "document"), _item(second, "sign", "document")]
    sekcam = db.session.get(User, users["sekcam"].id)
    fire(db.session.get(DocumentRequest, first.id), "sign", sekcam, expected_version=first.version,
         password=PASSWORD)
    login_as("camat")
    done = client.post("/inbox/bulk", data={"item": items, "password": PASSWORD})
    assert done.text.count('data-testid="done"') == 1
    [refusal] = re.findall(r'data-testid="refused">(.*?)</li>', done.text, re.S)
    assert first.tracking_code in refusal and sekcam.full_name in refusal
    assert "Halaman" not in refusal  # a line of the batch's outcomes, not a page that "now shows" anything
    db.session.expire_all()
    assert db.session.get(DocumentRequest, second.id).signed_by_id == users["camat"].id
    assert db.session.get(DocumentRequest, first.id).signed_by_id == sekcam.id
    # HR tells a batch from signatures one by one: one event names what the one password entry signed
    batch = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "inbox.bulk",
                                                        AuditEvent.outcome == "ok")).one()
    assert batch.actor_id == users["camat"].id and batch.comment.startswith("1 butir diproses dengan satu kali")
    assert second.tracking_code in batch.comment and first.tracking_code not in batch.comment
    assert "menandatangani dokumen: " + second.tracking_code in batch.comment  # what was done, to which
    assert "Anda " not in batch.comment  # HR reads it about the Camat, not "you"
    assert batch.comment.endswith("Tidak dilaksanakan: 1.")  # and that one item of the batch was not



def test_a_reason_typed_on_a_row_someone_else_took_first_is_quoted_back(client, login_as, db, users, make_request,
                                                                         camat_away):
    doc = make_request("awaiting_signature", name="Diambil Lebih Dulu")
    item = _item(doc, "send_back", "document")
    sekcam = db.session.get(User, users["sekcam"].id)
    fire(db.session.get(DocumentRequest, doc.id), "sign", sekcam, expected_version=doc.version, password=PASSWORD)
    login_as("camat")
    late = client.post("/inbox/act", data={"item": item, "comment": "Mohon cek ulang nama usaha"})
    assert late.status_code == 409 and sekcam.full_name in late.text
    assert "belum tersimpan: “Mohon cek ulang nama usaha”" in late.text


def test_a_wrong_password_for_a_batch_signs_nothing_and_leaves_one_refusal(
        client, login_as, db, users, make_request):
    rows = [make_request("awaiting_signature", name=f"Warga {spelled(n)}") for n in range(3)]
    login_as("camat")
    before = _refused_events(db)
    response = client.post("/inbox/bulk", data={"item": [_item(r, "sign", "document") for r in rows],
                                                "password": "bukan-sandinya"})
    assert response.status_code == 422
    assert 'data-testid="inbox-error"' in response.text and 'data-testid="bulk-confirmation"' in response.text
    db.session.expire_all()
    assert {db.session.get(DocumentRequest, r.id).state for r in rows} == {"awaiting_signature"}
    assert _refused_events(db) == before + 1
    comment = db.session.scalar(select(AuditEvent.comment).where(AuditEvent.action == "inbox.bulk"))
    assert all(r.tracking_code in comment for r in rows)  # HR reads which items the refused batch held
    assert "Kata sandi salah" in response.text
    # no password at all is asked for, not called wrong; one item alone says the same
    empty = client.post("/inbox/bulk", data={"item": [_item(r, "sign", "document") for r in rows], "password": ""})
    assert empty.status_code == 422 and "Masukkan kata sandi Anda untuk konfirmasi" in empty.text
    one = client.post("/inbox/act", data={"item": _item(rows[0], "sign", "document"), "password": ""})
    assert one.status_code == 422 and "Masukkan kata sandi Anda untuk konfirmasi" in one.text
    # a batch of nothing is refused, and in the log like every refusal
    before = _refused_events(db)
    assert client.post("/inbox/bulk", data={"password": PASSWORD}).status_code == 422
    assert _refused_events(db) == before + 1


def test_wrong_passwords_at_a_signature_lock_confirming_like_sign_ins_do(client, login_as, db, users, make_request):
    """Someone at the Camat's unlocked session tried his password forty times in six seconds, then signed
    with the right one: the confirmation was a password oracle. After five wrong ones in a window (the bulk
    form and a single signature count alike), confirming is locked, the password not even checked."""
    rows = [make_request("awaiting_signature", name=f"Warga {spelled(n)}") for n in range(2)]
    login_as("camat")
    items = [_item(r, "sign", "document") for r in rows]
    for n in range(4):
        wrong = client.post("/inbox/bulk", data={"item": items, "password": f"tebakan-{n}"})
        assert wrong.status_code == 422 and "Kata sandi salah" in wrong.text
    fifth = client.post("/inbox/act", data={"item": items[0], "password": "tebakan-5"})
    assert fifth.status_code == 422 and "dikunci sampai" in fifth.text
    right = client.post("/inbox/bulk", data={"item": items, "password": PASSWORD})
    assert right.status_code == 422 and "dikunci sampai" in right.text and "Tidak ada yang ditandatangani" in right.text
    db.session.expire_all()
    assert {db.session.get(DocumentRequest, r.id).state for r in rows} == {"awaiting_signature"}
    comments = db.session.scalars(select(AuditEvent.comment).where(AuditEvent.outcome == "refused",
                                                                   AuditEvent.actor_id == users["camat"].id)).all()
    assert len(comments) == 6 and "dikunci sampai" in comments[-1]
    # another account is not locked by the Camat's
    login_as("kasi")
    other = make_request("verifying", name="Warga Lain")
    assert client.post("/inbox/act", data={"item": _item(other, "accept", "document")}).status_code == 200


def test_a_plh_sees_delegable_items_only_within_the_dates_and_only_routine_sign_offs(
        client, login_as, db, users, make_request, make_course, enrol):
    doc = make_request("awaiting_signature", name="Tanda Tangan Plh")
    routine = enrol(make_course(title="Kursus Rutin", routine=True, quota=None), users["asn"], "approved")
    special = enrol(make_course(title="Kursus Khusus", routine=False, quota=None), users["asn"], "approved")
    sekcam = users["sekcam"]
    today = today_wib()
    delegation = Delegation(principal_id=users["camat"].id, delegate_id=sekcam.id, kind="plh",
                            starts_on=today - timedelta(days=5), ends_on=today - timedelta(days=1))
    db.session.add(delegation)
    db.session.commit()
    login_as("sekcam")
    assert 'data-testid="nothing-waiting"' in client.get("/inbox/").text  # the delegation ended yesterday
    delegation = db.session.get(Delegation, delegation.id)
    delegation.ends_on = today + timedelta(days=1)  # appointed again after the items started waiting
    db.session.commit()
    page = client.get("/inbox/").text
    assert doc.tracking_code in page and "Kursus Rutin" in page and "Kursus Khusus" not in page
    assert 'data-testid="acting-banner"' in page and "Plh. Camat Plaju" in page
    refused = client.post("/inbox/bulk", data={"item": [_item(special, "sign_off", "enrolment"),
                                                        _item(routine, "sign_off_routine", "enrolment")],
                                               "password": PASSWORD})
    assert refused.text.count('data-testid="done"') == 1 and refused.text.count('data-testid="refused"') == 1
    db.session.expire_all()
    assert db.session.get(Enrolment, special.id).state == "approved"
    delegation = db.session.get(Delegation, delegation.id)
    delegation.revoked = True
    db.session.commit()
    assert doc.tracking_code not in client.get("/inbox/").text
    # a page opened before the revocation: the click is refused in words, not as "#id: not allowed"
    late = client.post("/inbox/bulk", data={"item": [_item(doc, "sign", "document")], "password": PASSWORD})
    [refusal] = re.findall(r'data-testid="refused">([^<]*)<', late.text)
    # and says why: his appointment was revoked (not "this does not wait for you", as to a forged item)
    said = "Penunjukan Anda sebagai Plh. Camat Plaju, menggantikan Camat Uji, telah dicabut"
    assert refusal.startswith(f"{doc.tracking_code} · ") and f": {said}" in refusal  # which letter, and why
    # but nothing his appointment never reached: the special sign-off is not a Plh's (not delegable)
    probe = client.post("/inbox/bulk", data={"item": [_item(special, "sign_off", "enrolment")], "password": PASSWORD})
    [line] = re.findall(r'data-testid="refused">([^<]*)<', probe.text)
    assert "Kursus Khusus" not in line and special.user.full_name not in line
    assert f"#{doc.id}" not in refusal
    # the log holds what he was told, and the item's own page says it too (it said only "access denied")
    logged = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "document.sign",
                                                         AuditEvent.outcome == "refused")).all()
    assert logged and said in (logged[-1].comment or "")
    page = client.post(f"/documents/{doc.id}/actions/sign", data={"version": doc.version, "password": PASSWORD},
                       headers={"HX-Request": "true"})
    assert said in page.text
    forbidden = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "access.forbidden_post")).all()
    assert said in forbidden[-1].comment
    from plaju.audit import sentences
    [line] = sentences.render([forbidden[-1]], subjects=True)  # HR reads the words he was told, not the path
    assert line.reason == said + ": permohonan warga tidak lagi terbuka bagi Anda." and "/actions/" not in line.text


def test_a_plh_s_batch_says_which_items_he_takes_for_the_official(client, login_as, db, users, make_request,
                                                                    make_course, enrol):
    """A Kasi who is Plh Camat ticks his own staff's request and the Camat's letter: the confirmation, the
    outcomes and the batch's event name the letter as taken for the Camat, the approval as his own."""
    doc = make_request("awaiting_signature", name="Surat Untuk Plh")
    own = enrol(make_course(title="Kursus Staf", quota=None), users["asn"])
    _plh_today(db, users["camat"], users["kasi"])
    login_as("kasi")
    items = [_item(doc, "sign", "document"), _item(own, "approve", "enrolment")]
    confirm = client.post("/inbox/confirm", data={"item": items}).text
    rows = re.findall(r'data-testid="confirm-item">.*?</li>', confirm, re.S)
    assert len(rows) == 2
    [letter] = [r for r in rows if doc.tracking_code in r]
    [approval] = [r for r in rows if "Kursus Staf" in r]
    assert 'data-testid="confirm-acting-as">sebagai Plh. Camat Plaju<' in letter
    assert "confirm-acting-as" not in approval
    done = client.post("/inbox/bulk", data={"item": items, "password": PASSWORD}).text
    assert done.count('data-testid="done"') == 2 and done.count('data-testid="done-acting-as"') == 1
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "inbox.bulk")).one()
    assert "(sebagai Plh. Camat Plaju)" in event.comment and event.comment.count("sebagai Plh") == 1


def test_a_plh_finds_what_waits_for_him_as_stand_in_in_one_tap(client, login_as, db, users, make_request, monkeypatch):
    """A Kasi who is Plh Camat for the day had his two letters to sign on the inbox's second page, behind 25
    rows of counter work: the banner counts them and shows them alone, and the list stays filtered after a step."""
    from plaju.inbox import services
    monkeypatch.setattr(services, "PAGE", 3)
    counter = [make_request("verifying", name=f"Warga Loket {spelled(n)}") for n in range(4)]
    letters = [make_request("awaiting_signature", name=f"Surat Plh {spelled(n)}") for n in range(3)]
    _plh_today(db, users["camat"], users["kasi"])
    login_as("kasi")
    page = client.get("/inbox/").text
    assert 'data-testid="stand-in-filter"' in page and "sebagai Plh/Plt (3)" in page
    only = client.get("/inbox/", query_string={"as": "standin"}).text
    assert all(r.tracking_code in only for r in letters) and not any(r.tracking_code in only for r in counter)
    assert 'data-testid="stand-in-only"' in only and 'name="as" value="standin"' in only
    signed = client.post("/inbox/act", data={"item": _item(letters[0], "sign", "document"), "password": PASSWORD,
                                             "as": "standin"}, headers={"HX-Request": "true"}).text
    assert 'data-testid="done"' in signed and letters[1].tracking_code in signed
    assert not any(r.tracking_code in signed for r in counter)  # still only the stand-in's
    # an item opened from the filtered list goes on to the next item of that list, not of the whole one
    opened = f"/documents/{letters[1].id}?from=inbox-standin"
    assert f'href="{opened}"' in signed
    assert 'name="from" value="inbox-standin"' in client.get(opened).text
    done = client.post(f"/documents/{letters[1].id}/actions/sign", headers={"HX-Request": "true"},
                       data={"version": letters[1].version, "password": PASSWORD, "from": "inbox-standin"})
    assert done.headers.get("HX-Redirect") == f"/documents/{letters[2].id}?from=inbox-standin", done.text[:3000]
    done = client.post(f"/documents/{letters[2].id}/actions/sign",  # without JavaScript; the last one
                       data={"version": letters[2].version, "password": PASSWORD, "from": "inbox-standin"})
    assert done.status_code == 303 and done.headers["Location"] == "/inbox/?as=standin"
    assert 'data-testid="nothing-waiting"' in client.get(done.headers["Location"]).text
    # a letter he prepared himself (four eyes keeps him from signing it) is not what opens next
    mine, other = (make_request("awaiting_signature", name=f"Surat Plh {spelled(n)}") for n in (3, 4))
    mine.preparer_ids = str(users["kasi"].id)
    db.session.commit()
    first = make_request("awaiting_signature", name="Surat Plh Pertama")
    done = client.post(f"/documents/{first.id}/actions/sign", data={"version": first.version, "password": PASSWORD,
                                                                     "from": "inbox-standin"})
    assert done.headers["Location"] == f"/documents/{other.id}?from=inbox-standin"
    login_as("camat")  # the official himself, standing in for nobody: no banner, no filter
    assert 'data-testid="stand-in-filter"' not in client.get("/inbox/").text


def test_a_kasi_standing_in_for_the_other_kasi_keeps_her_own_role_s_work_as_her_own(client, login_as, db, users,
                                                                                     make_request):
    """Plh of the other Kasi, her banner counted the section heads' requests she takes by her own role anyway
    (and the log names her own authority): they are hers, not the stand-in's; only what names the other Kasi
    in person is."""
    from plaju.inbox.services import counts
    from plaju.workflow.awaiting import as_stand_in, reader
    shared = make_request("verifying", name="Warga Seksi Bersama")
    _plh_today(db, users["kasi2"], users["kasi"])
    login_as("kasi")
    page = client.get("/inbox/").text
    assert shared.tracking_code in page and 'data-testid="stand-in-filter"' not in page
    only = client.get("/inbox/", query_string={"as": "standin"}).text
    assert shared.tracking_code not in only
    assert sum(counts(as_stand_in(reader(users["kasi"]))).values()) == 0


def test_return_and_reject_from_the_row_need_the_reason(client, login_as, db, users, make_request, make_course):
    doc = make_request("awaiting_signature", name="Perlu Perbaikan")
    plan = _plan_submitted(db, users, make_course(title="Kursus Rencana", quota=None))
    login_as("camat")
    empty = client.post("/inbox/act", data={"item": _item(doc, "send_back", "document"), "comment": "  "})
    assert empty.status_code == 422 and 'data-testid="refused"' in empty.text
    # too short, and the row comes back empty: what was typed is quoted back, not lost
    short = client.post("/inbox/act", data={"item": _item(doc, "send_back", "document"), "comment": "typo"})
    assert short.status_code == 422 and "“typo”" in short.text
    db.session.expire_all()
    assert db.session.get(DocumentRequest, doc.id).state == "awaiting_signature"
    ok = client.post("/inbox/act", data={"item": _item(doc, "send_back", "document"), "comment": "Nama salah eja"},
                     headers={"HX-Request": "true"})
    assert ok.status_code == 200 and "inbox-changed" in ok.headers["HX-Trigger"]
    assert "Anda mengembalikan dokumen untuk diperbaiki" in ok.text  # what was done, not the button's command
    # the next waiting item opens: the plan's row is marked as the one to take now
    assert f'inbox-next" data-testid="inbox-row" data-key="training_plan:{plan.id}"' in ok.text
    returned = client.post("/inbox/act", data={"item": _item(plan, "return", "training_plan"),
                                               "comment": "Tambah pelatihan teknis"})
    assert returned.status_code == 200
    db.session.expire_all()
    assert db.session.get(DocumentRequest, doc.id).state == "processing"
    assert db.session.get(Plan, plan.id).notes == "Tambah pelatihan teknis"
    assert 'data-testid="nothing-waiting"' in returned.text


def test_a_blocked_item_stays_on_the_list_with_its_reason(client, login_as, db, users, make_course, enrol):
    full = make_course(title="Kursus Penuh", quota=1)
    waiting = enrol(full, users["asn"], "requested")
    enrol(full, users["clerk"], "approved")  # then takes the only seat
    login_as("kasi")
    page = client.get("/inbox/").text
    assert f'data-key="enrolment:{waiting.id}"' in page
    assert 'data-testid="blocked"' in page and "kursi" in page


def test_the_inbox_counts_its_statements_not_its_rows(client, login_as, db, users, make_request, make_course,
                                                      enrol, app):
    from tests.core.test_query_counts import _count

    def grow(n):
        for i in range(n):
            make_request("awaiting_signature", name=f"Warga {spelled(i)}")
            enrol(make_course(title=f"Kursus {i}", routine=bool(i % 2), quota=3), users["asn"], "approved")

    grow(2)
    login_as("camat")
    small = _count(app, client, "/inbox/")
    grow(8)
    assert _count(app, client, "/inbox/") == small


def test_someone_without_authority_learns_nothing_from_a_stale_item(client, login_as, db, users, make_request):
    """A made-up version for a request the user may not touch: refused as not theirs (403), without the
    citizen's name or who acted last."""
    doc = make_request("awaiting_signature", name="Warga Rahasia")
    login_as("asn")
    response = client.post("/inbox/act", data={"item": f"document:{doc.id}:sign:999"})
    assert response.status_code == 403
    assert "Warga Rahasia" not in response.text and doc.tracking_code not in response.text
    # the log keeps the words he read, not others ("you are not allowed" beside "does not wait for you")
    said = "Butir ini tidak (lagi) menunggu Anda"
    assert said in response.text
    logged = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "document.sign",
                                                         AuditEvent.outcome == "refused")).one()
    assert said in logged.comment and "tidak berwenang" not in logged.comment
    db.session.expire_all()
    assert db.session.get(DocumentRequest, doc.id).state == "awaiting_signature"


def test_a_step_whose_form_needs_the_item_page_is_not_taken_from_the_row(client, login_as, db, users,
                                                                          make_request):
    """Returning a request to the citizen ticks what is missing: only its own page has that list."""
    doc = make_request("verifying", name="Kurang Berkas")
    login_as("kasi")
    refused = _refused_events(db)
    response = client.post("/inbox/act", data={"item": _item(doc, "return_to_citizen", "document"),
                                               "comment": "KK belum dibawa"})
    assert response.status_code == 403
    db.session.expire_all()
    assert db.session.get(DocumentRequest, doc.id).state == "verifying"
    assert _refused_events(db) == refused + 1


def test_signing_on_an_item_page_opened_from_the_inbox_opens_the_next_waiting_item(
        client, login_as, db, users, make_request):
    """The item's page opened from the list carries from=inbox; its step then leads to the next waiting
    item's page (HTMX and without JavaScript), and to the list when nothing is left."""
    first = make_request("awaiting_signature", name="Pertama", due_at=utcnow() - timedelta(hours=2))
    second = make_request("awaiting_signature", name="Kedua", due_at=utcnow() + timedelta(hours=2))
    third = make_request("awaiting_signature", name="Ketiga", due_at=utcnow() + timedelta(days=2))
    login_as("camat")
    listing = client.get("/inbox/").text
    opened = re.search(rf'href="(/documents/{first.id}\?from=inbox)" data-testid="open-item"', listing).group(1)
    page = client.get(opened).text
    assert page.count('name="from" value="inbox"') >= 1
    # HTMX: the answer sends the browser on to the next item's page
    done = client.post(f"/documents/{first.id}/actions/sign", headers={"HX-Request": "true"},
                       data={"version": first.version, "password": PASSWORD, "from": "inbox"})
    assert done.status_code == 200 and done.headers["HX-Redirect"] == f"/documents/{second.id}?from=inbox"
    assert "inbox-changed" in done.headers["HX-Trigger"]
    # the next page shows another request: its message says which one was signed
    shown = client.get(done.headers["HX-Redirect"]).text
    assert f"{first.tracking_code} · Pertama: Anda menandatangani dokumen" in shown
    # without JavaScript: a redirect to the same place
    done = client.post(f"/documents/{second.id}/actions/sign",
                       data={"version": second.version, "password": PASSWORD, "from": "inbox"})
    assert done.status_code == 303 and done.headers["Location"] == f"/documents/{third.id}?from=inbox"
    # a refusal stays on the item, with from=inbox still in its forms
    wrong = client.post(f"/documents/{third.id}/actions/sign", headers={"HX-Request": "true"},
                        data={"version": third.version, "password": "salah-sandi", "from": "inbox"})
    assert wrong.status_code in (403, 422) and "HX-Redirect" not in wrong.headers
    assert 'name="from" value="inbox"' in wrong.text
    # the last one: back to the list, which says nothing is left
    done = client.post(f"/documents/{third.id}/actions/sign",
                       data={"version": third.version, "password": PASSWORD, "from": "inbox"})
    assert done.status_code == 303 and done.headers["Location"] == "/inbox/"
    assert 'data-testid="nothing-waiting"' in client.get("/inbox/").text
    # opened another way (no from=inbox), a step stays on its page
    other = make_request("awaiting_signature", name="Keempat")
    make_request("awaiting_signature", name="Kelima")
    done = client.post(f"/documents/{other.id}/actions/sign", data={"version": other.version, "password": PASSWORD})
    assert done.status_code == 303 and done.headers["Location"] == f"/documents/{other.id}"


def test_a_step_that_leaves_the_item_awaiting_me_stays_on_it(client, login_as, db, users, make_request):
    """The Kasi accepts a request that is his to submit for signature next: the page opened from the inbox
    stays on it, still from the inbox. Starting verification hands it to the Kasi: the clerk moves on."""
    doc = make_request("verifying", "sktm", name="Masih Di Saya")
    login_as("kasi")
    assert 'name="from" value="inbox"' in client.get(f"/documents/{doc.id}?from=inbox").text
    done = client.post(f"/documents/{doc.id}/actions/accept", data={"version": doc.version, "from": "inbox"})
    assert done.status_code == 303 and done.headers["Location"] == f"/documents/{doc.id}?from=inbox"
    db.session.expire_all()
    assert db.session.get(DocumentRequest, doc.id).state == "processing"
    first = make_request("received", name="Mulai Diverifikasi")
    following = make_request("received", name="Berikutnya")
    login_as("clerk")
    done = client.post(f"/documents/{first.id}/actions/verify", data={"version": first.version, "from": "inbox"})
    assert done.status_code == 303 and done.headers["Location"] == f"/documents/{following.id}?from=inbox"


def test_the_inbox_pages_by_key_and_its_counts_stop_at_the_cap(client, login_as, db, users, make_request,
                                                                monkeypatch):
    """Pages follow each other by cursor (due, since, id) without gaps or repeats; counts beyond the cap
    read "999+"-style, the navigation too."""
    from plaju.inbox import services
    from plaju.workflow import awaiting

    monkeypatch.setattr(services, "PAGE", 3)
    rows = [make_request("awaiting_signature", name=f"Warga {spelled(n + 10)}",
                         due_at=utcnow() + timedelta(hours=n % 4) if n % 5 else None) for n in range(8)]
    login_as("camat")
    seen, url = [], "/inbox/"
    while url:
        page = client.get(url).text
        seen += re.findall(r'data-key="document:(\d+)"', page)
        more = re.search(r'href="([^"]*)" data-testid="more"', page)
        url = more.group(1).replace("&amp;", "&") if more else None
    assert sorted(map(int, seen)) == sorted(r.id for r in rows) and len(seen) == len(set(seen)) == 8
    # dated first, earliest due first; the undated last
    dues = {r.id: r.due_at for r in rows}
    order = [dues[int(i)] for i in seen]
    dated = [d for d in order if d is not None]
    assert dated == sorted(dated) and order[len(dated):] == [None] * (8 - len(dated))
    assert client.get("/inbox/?kind=document&after=rubbish").text.count('data-key="document:') == 3
    monkeypatch.setattr(awaiting, "CAP", 5)
    monkeypatch.setattr(services, "CAP", 5)
    assert re.findall(r'data-testid="group-count">([^<]+)<', client.get("/inbox/").text) == ["4+"]
    assert ">4+<" in client.get("/inbox/count").text


def test_the_draft_letter_is_one_click_from_the_row(client, login_as, db, users, make_request):
    # the Camat reads the letter he signs from his list, not only from the request's page
    letter = make_request("awaiting_signature", "sktm", name="Warga Bersurat")
    forwarded = make_request("awaiting_signature", "ktp-baru", name="Warga Tanpa Surat")
    login_as("camat")
    page = client.get("/inbox/").text
    row = page.split(letter.tracking_code)[1].split('data-kind=')[0].split(forwarded.tracking_code)[0]
    link = re.search(r'href="([^"]+)"[^>]*data-testid="row-link"', row)
    assert link and f"/letters/draft/document/{letter.id}.pdf" in link.group(1)
    response = client.get(link.group(1))
    assert response.status_code == 200 and response.data.startswith(b"%PDF")
    assert page.count('data-testid="row-link"') == 1  # a KTP-el is Disdukcapil's: no letter of the office


def test_a_step_reached_by_their_own_role_and_as_plh_is_offered_as_their_own(db, users, make_request):
    """The Kasi is Plh of a clerk today; `forward` awaits both roles. The inbox offers it in the Kasi's own
    name, as fire() and available() take it, not as the clerk's Plh."""
    from plaju.inbox import services as inbox
    from plaju.workflow import available
    doc = make_request("processing", "ktp-baru", name="Diteruskan Sendiri")
    _plh_today(db, users["clerk"], users["kasi"])
    groups, _delegations = inbox.inbox(users["kasi"])
    [row] = [row for group in groups for row in group.rows if row.entity.id == doc.id]
    listed = {a.trigger: a.delegation for a in row.actions}
    offered = {a.trigger: a.acting_for for a in available(db.session.get(DocumentRequest, doc.id), users["kasi"])}
    assert "forward" in listed and listed["forward"] is None and offered["forward"] is None


def test_the_official_is_told_what_his_plh_did_in_his_name(db, users, make_request, camat_away):
    from plaju.notify.models import Notification
    from plaju.workflow import Invalid
    doc = make_request("awaiting_signature", name="Ditandatangani Plh")
    sekcam = db.session.get(User, users["sekcam"].id)
    # a wrong password as Plh is recorded as the Plh's act, not as the Sekcam's own
    with pytest.raises(Invalid):
        fire(db.session.get(DocumentRequest, doc.id), "sign", sekcam, expected_version=doc.version, password="x")
    refused = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "document.sign")).one()
    assert (refused.outcome, refused.acting_for_id) == ("refused", users["camat"].id)
    db.session.rollback()
    fire(db.session.get(DocumentRequest, doc.id), "sign", sekcam, expected_version=doc.version, password=PASSWORD)
    told = db.session.execute(select(Notification.subject, Notification.body).where(
        Notification.user_id == users["camat"].id, Notification.subject_id == doc.id)).all()
    [(subject, body)] = [t for t in told if f"{sekcam.full_name}, sebagai Plh Anda, menandatangani dokumen" in t[0]]
    from plaju.letters.models import Letter
    number = db.session.scalars(select(Letter.number).where(Letter.subject_id == doc.id)).one()
    assert body == f"Surat nomor {number}, ditandatangani sebagai Plh. Camat Plaju.", body
    # acting on his own, the Camat is not told of himself
    other = make_request("awaiting_signature", name="Ditandatangani Camat")
    fire(db.session.get(DocumentRequest, other.id), "sign", db.session.get(User, users["camat"].id),
         expected_version=other.version, password=PASSWORD)
    assert not db.session.scalars(select(Notification).where(Notification.subject_id == other.id,
                                                              Notification.subject.contains("sebagai Plh"))).all()


def test_an_item_that_names_no_step_is_refused_and_recorded(client, login_as, db, users, make_request):
    """A forged /inbox/act value (no such step, no such row, not an item at all) answered 404 and left no trace."""
    req = make_request("awaiting_signature")
    login_as("camat")
    before = _refused_events(db)
    for raw in (f"document:{req.id}:teleport:{req.version}", f"document:999999:sign:{req.version}", "bukan-item",
                f"document:{req.id}:sign:{'0' * 5000}"):  # int() of 5,000 digits raised: a 500, no trace
        response = client.post("/inbox/act", data={"item": raw, "password": PASSWORD})
        assert response.status_code == 404, raw
    db.session.rollback()
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.outcome == "refused")
                                .order_by(AuditEvent.seq)).all()[before:]
    assert [(e.action, e.subject_type) for e in events] == [
        ("step.unknown", "document"), ("step.unknown", "document"), ("step.unknown", None), ("step.unknown", None)]
    assert db.session.get(DocumentRequest, req.id).state == "awaiting_signature"


def test_a_bulk_step_takes_at_most_a_hundred_items_and_records_forged_ones_once(client, login_as, db, users,
                                                                               make_request):
    """3,000 forged items in one bulk post were 3,000 refused events and 8 seconds of one worker."""
    req = make_request("awaiting_signature")
    login_as("camat")
    before = _refused_events(db)
    too_many = client.post("/inbox/bulk", data={"item": [f"document:{n}:nope:1" for n in range(1, 102)],
                                                "password": PASSWORD})
    assert too_many.status_code == 422 and "Paling banyak 100 butir" in too_many.text
    assert _refused_events(db) == before + 1
    # nor is a confirmation of thousands asked for: one read per item, under SQLite's write lock
    confirm = client.post("/inbox/confirm", data={"item": [f"document:{n}:sign:1" for n in range(1, 5000)]})
    assert confirm.status_code == 422 and "Paling banyak 100 butir" in confirm.text
    assert _refused_events(db) == before + 2
    before += 1
    forged = [f"document:{n}:nope:1" for n in range(1, 60)] + ["bukan-item", _item(req, "sign", "document")]
    done = client.post("/inbox/bulk", data={"item": forged, "password": PASSWORD})
    assert done.status_code == 200
    db.session.rollback()
    assert db.session.get(DocumentRequest, req.id).state != "awaiting_signature"  # the real one is signed
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.outcome == "refused")
                                .order_by(AuditEvent.seq)).all()[before + 1:]
    assert [e.action for e in events] == ["step.unknown"] and "(60: " in events[0].comment


def test_the_camat_reads_what_each_letter_states_in_his_list_and_in_the_bulk_confirmation(
        client, login_as, db, users, make_request):
    """The SKTM of "Budi Santoso" certifies his daughter: the list and the confirmation named only him."""
    from datetime import date

    from plaju.documents.nik import make_nik
    child = make_nik(date(2015, 3, 3), True, 31)
    req = make_request("awaiting_signature", "sktm", name="Budi Santoso", nik=make_nik(date(1980, 1, 1), False, 30),
                       subject={"s_same": "0", "s_nik": child, "s_name": "Rina Santoso", "s_place": "Palembang",
                                "s_relation": "ayah"})
    login_as("camat")
    row = client.get("/inbox/").text.split(req.tracking_code)[1].split('data-testid="inbox-row"')[0]
    assert "Surat untuk: Rina Santoso" in row and "Keperluan: pendaftaran sekolah" in row and child not in row
    confirm = client.post("/inbox/confirm", data={"item": [_item(req, "sign", "document")]}).text
    assert "Surat untuk: Rina Santoso" in confirm and 'data-testid="confirm-about"' in confirm


def test_each_heir_of_a_letter_awaiting_signature_is_a_line_of_its_own(client, login_as, make_request):
    req = make_request("awaiting_signature", "ahli-waris")
    login_as("camat")
    row = client.get("/inbox/").text.split(req.tracking_code)[1].split('data-testid="inbox-row"')[0]
    lines = re.findall(r'data-testid="row-about">([^<]*)<', row)
    assert lines[0].startswith("Almarhum/almarhumah: Almarhum Hasan") and "Ahli waris" not in lines[0]
    assert [line.split(":")[0] for line in lines[1:3]] == ["Ahli waris 1", "Ahli waris 2"]
