"""Authorization matrix: every route x every role x own/other object, expected status by hand.

Rules used (issue 7, docs/operations.md, the areas' stated rules):
- Anonymous: only /login, /healthz, /lang, public tracking and static assets (the icon too); everything else
  redirects to the sign-in page (L).
- Every signed-in user: home, own password, notifications (someone else's notification is 404:
  its existence is hidden), the Plh/Plt list, competence development for themselves.
- Documents: the queue, a request, its timeline, receipt and scans (full NIK, UU 27/2022) only for
  clerk, Kasi and Camat or whoever is their Plh/Plt today; intake and adding scans for clerk and Kasi;
  each step by the spec's roles (verify: counter; accept: Kasi, four-eyes; sign: Camat or a Plh of the
  Camat, four-eyes, password). Document types and holidays: admin only. Sekcam, HR, admin: no queue.
- Audit pages: HR, admin, Camat, Sekcam (by role; a Plh does not inherit them).
- People: accounts for admin and HR. HR manages ASN data of accounts without authority roles; only the
  admin grants authority roles (section_head, clerk, sekcam, camat, hr, admin), resets the password of
  or deactivates an account that holds one; nobody deactivates the last active admin. A Plh of the
  Camat is recorded (and revoked) by the Camat or the admin, a Plt Camat by the admin only; HR records
  no delegation.
- Training: the ASN enrols themselves, the direct supervisor nominates (that is the approval) and
  approves; an ASN without a supervisor cannot enrol (422, nobody could approve). The Camat (or a
  Plh/Plt for routine courses) signs off; HR verifies, keeps the catalogue and drafts plans, which the
  Camat approves. An enrolment is seen by the ASN, the supervisor, HR, Camat, Sekcam, admin and
  whoever may act on it; its e-learning pages only by the learner (and HR to look). Plans are seen by
  HR, Camat, Sekcam and admin.
- Inbox: every signed-in user has one ("needs my action"); a step taken from it is the engine's
  step with the engine's rules (only the Camat or his Plh signs, four-eyes); a batch is refused item by
  item (the page answers 200, the items not awaiting you stay as they were); the confirmation of a
  batch lists only items awaiting you.
- Letters: the register for camat, sekcam, section_head, hr, admin; a letter's PDF and the draft show
  the citizen's NIK and are seen by whoever may open the request; only the Camat revokes; the Kasi or
  the Camat records a number from another register while the letter is a draft. The check /cek is
  public (no name, no NIK), also the upload of a PDF to compare.
- SKM: the survey of a request and the public index page are public; the dashboard for camat, sekcam,
  section_head (a Plh who is a Kasi too) and hr. Complaints: sent by anyone from the tracking page; read by
  section heads, camat and sekcam; answered by a section head only.
- Reports (service and competence dashboards, monthly report and their downloads): Camat, Sekcam,
  section heads and HR; a refusal is audited.
Refusals of who asks are 403 (a step refused by the engine also 403); a rule on the data rather than
on who asks is 422 (the admin deactivating the last admin, themselves); allowed redirects 302/303.

The table is written from these rules, not from the app's answers. Cells that fail today because
another branch is fixing that very rule are listed in EXPECTED_TO_FAIL_UNTIL_FIXED (strict xfail);
cells that reveal a defect nobody is fixing yet are listed in OPEN_DEFECTS (strict xfail, reported).
"""
import io
import itertools
import re
import secrets
from dataclasses import dataclass, field
from datetime import date, timedelta
from urllib.parse import urlparse

import pytest
from sqlalchemy import select
from werkzeug.datastructures import FileStorage
from werkzeug.routing import Map, Rule
from werkzeug.security import generate_password_hash
from wtforms import BooleanField

from plaju import uploads
from plaju.accounts.forms_people import UserForm
from plaju.accounts.models import Delegation, Unit
from plaju.documents import services as doc_svc
from plaju.documents.models import DocumentRequest, DocumentType, Holiday
from plaju.documents.nik import make_nik
from plaju.documents.seed import seed_types
from plaju.letters.demo import issue_demo_certificate
from plaju.letters.models import Letter
from plaju.letters.services import pdf_of
from plaju.notify.models import Notification
from plaju.timeutil import today_wib
from plaju.training.demo import tiny_pdf
from plaju.training.models import Course, Enrolment, Module, Plan, PlanItem, QuizQuestion
from plaju.workflow import started
from tests.support import PASSWORD, make_user, type_seen

ROLES = ("anon", "asn", "clerk", "kasi", "sekcam", "camat", "hr", "admin", "plh")
L = "L"  # redirected to the sign-in page
NEW_PASSWORD = "Kopi-Tubruk-Sungai-Musi-2026"

# static files, served to anyone; listed here rather than in the table
PUBLIC_ASSETS = {
    "static": "/static/plaju.css",
    "bootstrap.static": "/bootstrap/static/css/bootstrap.min.css",
    "core.htmx_static": "/vendor/htmx/htmx.min.js",
}
# a cheap hash of the shared test password: the matrix signs in dozens of times and scrypt is slow on
# purpose; check_password_hash reads the method from the hash, so sign-in works the same way
# the account form's status was a checkbox and becomes an explicit choice: post what the form expects
ACTIVE_IS_CHECKBOX = UserForm.active.field_class is BooleanField
QUICK_HASH = generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000")


def _user(username, *roles, **kwargs):
    user = make_user(username, *roles, **kwargs)
    user.password_hash = QUICK_HASH
    from plaju.extensions import db
    db.session.commit()
    return user


@dataclass
class Call:
    path: str
    data: dict | None = None
    client: object = None  # a separate signed-in client, for requests that end or replace the session
    subject: object = None  # the object the request acts on, for a row's `check`


@dataclass
class Row:
    method: str
    rule: str
    variant: str
    expected: str  # one entry per role, in ROLES order
    build: object  # (world, acting user or None) -> Call
    redirect_to_login_ok: bool = False
    after: object = None  # (world) -> None, undoes a change the rest of the matrix must not see
    check: object = None  # (world, role, call) -> None, asserts what the request did beyond its status
    statuses: dict = field(init=False)

    def __post_init__(self):
        values = self.expected.split()
        assert len(values) == len(ROLES), (self.method, self.rule, self.variant)
        self.statuses = {role: (v if v == L else int(v)) for role, v in zip(ROLES, values, strict=True)}

    @property
    def key(self):
        return (self.method, self.rule, self.variant)


# --- the world: one office, built once per module; POSTs that change an object get a fresh one ------

class World:
    def __init__(self, app):
        self.app = app
        self.seq = itertools.count(1)
        self.day = itertools.count(30)  # each delegation a day of its own, within the year ahead
        self.types = seed_types()
        camat = _user("camat", "camat", position="Camat Plaju")
        u = {"camat": camat}
        u["kasi"] = _user("kasi", "section_head", supervisor=camat)
        u["plh"] = _user("plh", "section_head", supervisor=camat, position="Kasi Pemerintahan")
        u["sekcam"] = _user("sekcam", "sekcam", supervisor=camat)
        u["hr"] = _user("hr", "hr", supervisor=camat)
        u["admin"] = _user("admin", "admin", supervisor=u["sekcam"])
        u["clerk"] = _user("clerk", "clerk", supervisor=u["kasi"])
        u["clerk2"] = _user("clerk2", "clerk", supervisor=u["kasi"])  # records the "other" requests
        u["asn"] = _user("asn", supervisor=u["kasi"])
        u["asn2"] = _user("asn2", supervisor=u["kasi"])  # the "other" ASN
        self.u = u
        self.unit_id = u["asn"].unit_id
        today = today_wib()
        self.delegation(u["camat"], u["plh"], "plh", today - timedelta(days=1), today + timedelta(days=1))
        # signing needs a personal certificate: tests/conftest.py issues the Camat's, the Plh needs one too
        issue_demo_certificate(app.config["SIGNING_KEYS_DIR"], "plh", u["plh"].full_name)

        self.req_other = self.request("received")
        self.file_other = self._attach(self.req_other)
        self.note_other = self.notification(u["asn2"])
        self.course_classic = self.course(title="Pelatihan Kearsipan")
        self.course_routine = self.course(title="Bimtek Rutin Pelayanan", routine=True)
        self.course_el = self.elearning("E-learning Etika ASN")
        self.course_el2 = self.elearning("E-learning Manajemen Risiko")
        self.el_other = self.enrolment(u["asn2"], self.course_el, "in_progress")
        self.done_other = self.enrolment(u["asn2"], self.course_classic, "completed", evidence=True)
        self.enrolment(u["asn2"], self.course_el2, "in_progress")
        self.plan_id = self.plan("draft").id
        self.letter_other = self.letter()
        self.draft_req = self.request("awaiting_signature", "sktm")
        self.own = {}
        for role in ROLES[1:]:
            me = u[role]
            self.own[role] = {
                "request": self.request("received", owner=me),
                "note": self.notification(me),
                "el": self.enrolment(me, self.course_el, "in_progress"),
                "done": self.enrolment(me, self.course_classic, "completed", evidence=True),
            }
        self.clients = {"anon": app.test_client()}
        for role in ROLES[1:]:
            self.clients[role] = self.signed_in(u[role].username)

    # factories --------------------------------------------------------------------------------
    def db(self):
        from plaju.extensions import db
        return db.session

    def signed_in(self, username):
        client = self.app.test_client()
        response = client.post("/login", data={"username": username, "password": PASSWORD})
        assert response.status_code == 302, response.get_data(as_text=True)[:300]
        return client

    def twin(self, me):
        """A second account like `me`, signed in on its own client: for requests that end a session."""
        user = self.twin_user(me)
        return user, self.signed_in(user.username)

    def twin_user(self, me):
        n = next(self.seq)
        roles = sorted(me.roles) if me else []
        user = _user(f"twin{n}", *roles, supervisor=self.u["camat"])
        if me is not None and me.username == "plh":
            today = today_wib()
            self.delegation(self.u["camat"], user, "plh", today, today)
        return user

    def person(self, *roles, supervisor="kasi"):
        n = next(self.seq)
        return _user(f"person{n}", *roles, supervisor=self.u[supervisor] if supervisor else None,
                     nip=f"19800101200501{1}{n % 1000:03d}")  # a Plh signs with his NIP

    def delegation(self, principal, delegate, kind, starts_on=None, ends_on=None):
        if starts_on is None:  # one day in the coming year (a Plh is recorded at most a year ahead), never
            # overlapping another cell's
            starts_on = ends_on = today_wib() + timedelta(days=next(self.day))
        row = Delegation(principal_id=principal.id, delegate_id=delegate.id, kind=kind, starts_on=starts_on,
                         ends_on=ends_on, note="Surat Perintah Camat 800/1/2026", created_by_id=self.u["admin"].id)
        self.db().add(row)
        self.db().commit()
        return row

    def nik(self):
        return make_nik(date(1988, 5, 17), False, next(self.seq) % 9999 + 1)

    def request(self, state, type_code="ktp-baru", owner=None):
        doc_type = self.types[type_code]
        req = doc_svc.create_request(actor=self.u["clerk2"], nik=self.nik(), name="Warga Uji", phone="081234567890",
                                     kelurahan="Plaju Darat", doc_type=doc_type,
                                     ticked={r.id for r in doc_type.requirements}, purpose="pendaftaran sekolah",
                                     address="Jl. Sentosa No. 7 RT 003 RW 001", birth_place="Palembang")
        req.state = state
        if owner is not None:
            req.created_by_id = owner.id
        started(req)  # put into its state by hand: the engine stores who must act now (the inbox reads it)
        self.db().commit()
        return req

    def letter(self):
        """A letter the Camat signed (an SKTM: the Camat signs it), with its PDF."""
        req = self.request("awaiting_signature", "sktm")
        req = doc_svc.take_action(req, "sign", self.u["camat"], version=req.version, password=PASSWORD)
        letter = self.db().scalars(select(Letter).where(Letter.subject_type == "document",
                                                        Letter.subject_id == req.id)).one()
        return pdf_of(letter.id)

    def _attach(self, req):
        doc_svc.add_attachments(req, self.u["clerk2"], [FileStorage(io.BytesIO(tiny_pdf()), "kk.pdf")])
        self.db().refresh(req)
        return req.attachments[0]

    def notification(self, user):
        note = Notification(user_id=user.id, subject="Pemberitahuan uji", url="/training/me")
        self.db().add(note)
        self.db().commit()
        return note

    def course(self, **values):
        defaults = dict(title=f"Pelatihan {next(self.seq)}", kind="teknis", method="pelatihan", jp=12,
                        provider="BPSDM Sumsel", quota=None, enrol_deadline=today_wib() + timedelta(days=30))
        defaults.update(values)
        course = Course(**defaults)
        self.db().add(course)
        self.db().commit()
        return course

    def internal_course(self):
        """A classroom course the office ran itself, over yesterday and the day before."""
        today = today_wib()
        return self.course(internal=True, starts_on=today - timedelta(days=2), ends_on=today - timedelta(days=1),
                           enrol_deadline=None)

    def elearning(self, title):
        course = self.course(title=title, method="elearning", jp=6, pass_mark=70)
        stored = uploads.store(FileStorage(io.BytesIO(tiny_pdf()), "modul.pdf"), allowed=("pdf",))
        self.db().add_all([
            Module(course=course, position=1, title="Modul 1", kind="text", body="Isi modul 1"),
            Module(course=course, position=2, title="Modul 2", kind="pdf", file_name=stored.name,
                   file_original="modul.pdf"),
            QuizQuestion(course=course, position=1, text="Dua tambah dua?", choices="3\n4\n5", answer=1)])
        self.db().commit()
        return course

    def module_of(self, course, kind="text"):
        return next(m for m in course.modules if m.kind == kind)

    def enrolment(self, user, course, state, evidence=False):
        row = Enrolment(course_id=course.id, user_id=user.id, state=state)
        if evidence:
            stored = uploads.store(FileStorage(io.BytesIO(tiny_pdf()), "sttpp.pdf"))
            row.evidence_name, row.evidence_original, row.evidence_mime = stored.name, "sttpp.pdf", stored.mime
        self.db().add(row)
        self.db().commit()
        return row

    def plan(self, state, *, with_item=True):
        unit = Unit(code=f"unit{next(self.seq)}", name=f"Seksi Uji {next(self.seq)}", kind="seksi")
        self.db().add(unit)
        self.db().flush()
        member = _user(f"member{next(self.seq)}", supervisor=self.u["kasi"])
        member.unit_id = unit.id
        plan = Plan(unit_id=unit.id, year=today_wib().year, state=state, created_by_id=self.u["hr"].id)
        if with_item:
            plan.items = [PlanItem(user_id=member.id, title="Diklat Kepemimpinan", kind="manajerial", planned_jp=20)]
        self.db().add(plan)
        self.db().commit()
        plan.member_id = member.id
        return plan

    # valid bodies ---------------------------------------------------------------------------------
    def intake_body(self):
        doc_type = self.types["domisili"]
        return {"type_id": doc_type.id, "nik": self.nik(), "name": "Rahmat Hidayat", "phone": "081298765432",
                "kelurahan": "Talang Putri", "requirements": [r.id for r in doc_type.requirements], "note": "",
                "purpose": "melamar pekerjaan", "address": "Jl. Sentosa No. 7 RT 003 RW 001",
                "birth_place": "Palembang",
                "form_token": _form_token()}

    def type_body(self):
        return {"code": f"sk-uji-{next(self.seq)}", "name": "Surat Keterangan Uji", "description": "",
                "service_amount": "2", "service_unit": "days", "camat_signs": "", "forwards_to_disdukcapil": "",
                "other_regions": "", "min_age": "",
                "archive_code": "470", "subject_kind": "applicant",
                "active": "y", "required": "Surat pengantar RT/RW\nFotokopi KTP-el", "optional": "",
                "form_token": _form_token(), "seen": ""}

    def person_body(self, user=None, **changes):
        active = changes.pop("active", True)
        n = next(self.seq)  # each new person a name of their own: two accounts of one name are refused
        body = {"username": user.username if user else f"baru{n}",
                "full_name": user.full_name if user else f"Pegawai Baru {n}", "nip": "",
                "position": user.position if user else "Pengadministrasi Umum", "email": "",
                "unit_id": self.unit_id, "supervisor_id": (user.supervisor_id if user else None) or 0,
                "roles": sorted(user.roles) if user else [], "roles_shown": "1", "password": ""}
        if not user:
            body["form_token"] = _form_token()
        if not user:
            body["password"] = NEW_PASSWORD
        else:  # the fingerprint of the account as a freshly opened form shows it
            from plaju.accounts.people import edit_stamp
            from plaju.extensions import db
            db.session.refresh(user)
            body["seen"] = edit_stamp(user)
        body.update(changes)
        if not ACTIVE_IS_CHECKBOX:
            body["active"] = "1" if active else "0"
        elif active:
            body["active"] = "y"  # an unticked checkbox is absent from the form
        return body

    def delegation_body(self, kind):
        delegate = self.person("section_head", supervisor="camat")
        starts_on = today_wib() + timedelta(days=next(self.day))
        return {"principal_id": self.u["camat"].id, "delegate_id": delegate.id, "kind": kind,
                "starts_on": starts_on.isoformat(), "ends_on": starts_on.isoformat(),
                "order_number": f"800/{next(self.seq)}/SP/2026",
                "order_date": (today_wib() - timedelta(days=1)).isoformat(),
                "note": "Surat perintah Wali Kota Palembang", "form_token": _form_token()}

    def course_body(self):
        return {"title": f"Pelatihan Pelayanan Publik {next(self.seq)}", "description": "", "kind": "teknis",
                "method": "pelatihan", "jp": "16", "provider": "BPSDM Sumsel", "quota": "10",
                "enrol_deadline": (today_wib() + timedelta(days=20)).isoformat(), "routine": "", "active": "y",
                "quiz_max_attempts": "3", "quiz_retry_wait_minutes": "30", "form_token": _form_token()}


def _external_body() -> dict:
    """Training done elsewhere, with a readable certificate whose facts fit it."""
    from plaju.training.demo import tiny_pdf
    ends = today_wib() - timedelta(days=3)
    return {"title": "Pelatihan Kearsipan Dinamis", "kind": "teknis", "method": "pelatihan",
            "starts_on": (ends - timedelta(days=2)).isoformat(), "ends_on": ends.isoformat(), "jp": "12",
            "certificate_number": "800/77/ANRI/2026", "certificate_date": ends.isoformat(),
            "certificate_issuer": "ANRI", "certificate_jp": "12", "form_token": _form_token(),
            "evidence": (io.BytesIO(tiny_pdf("STTPP Kearsipan")), "sttpp.pdf")}


def _form_token() -> str:
    """A create form's one-time token as the page would carry it (ignored by forms without one)."""
    return secrets.token_urlsafe(24)


def _own(world, me, name):
    """The acting user's own object; anonymous visitors are shown someone else's."""
    if me is None:
        return {"request": world.req_other, "note": world.note_other, "el": world.el_other,
                "done": world.done_other}[name]
    return world.own[me.username][name]


def _act(req, trigger, **extra):
    return Call(f"/documents/{req.id}/actions/{trigger}", {"version": str(req.version), **extra})


def _enrolment_act(enrolment, trigger, **extra):
    return Call(f"/training/enrolments/{enrolment.id}/act/{trigger}", {"version": str(enrolment.version), **extra})


def _plan_act(plan, trigger, **extra):
    return Call(f"/training/plans/{plan.id}/act/{trigger}", {"version": str(plan.version), **extra})


def _twin_call(world, me, path, data):
    _user, client = world.twin(me)
    return Call(path, data, client)


def _password_call(world, me):
    _user, client = world.twin(me)
    return Call("/account/password", {"current": PASSWORD, "new": NEW_PASSWORD, "confirm": NEW_PASSWORD}, client)


def _login_call(world, me):
    user = world.twin_user(me)
    return Call("/login", {"username": user.username, "password": PASSWORD}, world.app.test_client())


def _reactivate_admin(world):
    admin = world.u["admin"]
    world.db().refresh(admin)
    if not admin.active:
        admin.active = True
        world.db().commit()
    world.clients["admin"] = world.signed_in("admin")


def _inbox_call(w, path, owner=None, **extra):
    """One request awaiting the signature, named as the inbox names an item."""
    req = w.request("awaiting_signature", "sktm", owner=owner)
    return Call(path, {"item": f"document:{req.id}:sign:{req.version}", **extra}, subject=req)


def _state_of(w, req):
    w.db().expire_all()
    return w.db().get(type(req), req.id).state


def _signed_only_by_signers(w, role, call, response):
    signed = _state_of(w, call.subject) != "awaiting_signature"
    assert signed == (role in ("camat", "plh") and call.subject.created_by_id != w.u[role].id), (role, signed)


def _signed_by_nobody(w, role, call, response):
    assert _state_of(w, call.subject) == "awaiting_signature", role


def _revoke_call(w, me):
    letter = w.letter() if me is not None else w.letter_other
    req = w.db().get(DocumentRequest, letter.subject_id)
    req.state = "handed_over"  # in the citizen's hands: revoking alone is what stops it
    w.db().commit()
    return Call(f"/letters/{letter.id}/revoke", {"reason": "Nama pemohon salah ketik", "password": PASSWORD},
                subject=letter)


def _revoked_only_by_camat(w, role, call, response):
    w.db().expire_all()
    status = w.db().get(Letter, call.subject.id).status
    assert (status == "revoked") == (role == "camat"), (role, status)


def _public_result(w, role, call, response):
    """The check shows the letter, never the citizen's name or NIK (an SKTM reveals poverty)."""
    text = response.get_data(as_text=True)
    req = w.db().get(DocumentRequest, w.letter_other.subject_id)
    assert 'data-testid="check-result"' in text and req.nik not in text and req.name not in text, role
    if call.data:
        assert 'data-result="match"' in text, role


def _check_call(path, data=None):
    """The public check is rate-limited per address (10 a minute); the matrix asks it 27 times."""
    from plaju.extensions import limiter
    limiter.reset()
    return Call(path, data)


# --- THE TABLE ------------------------------------------------------------------------------------
#          anon  asn clerk kasi sekcam camat hr admin plh
ROWS = [
    # core and accounts
    Row("GET", "/", "", "L 200 200 200 200 200 200 200 200", lambda w, me: Call("/")),
    Row("GET", "/healthz", "", "200 200 200 200 200 200 200 200 200", lambda w, me: Call("/healthz")),
    Row("GET", "/favicon.ico", "", "301 301 301 301 301 301 301 301 301", lambda w, me: Call("/favicon.ico")),
    Row("POST", "/lang/<code>", "", "302 302 302 302 302 302 302 302 302",
        lambda w, me: Call("/lang/id", {"next": "/"})),
    Row("GET", "/login", "", "200 302 302 302 302 302 302 302 302", lambda w, me: Call("/login")),
    Row("POST", "/login", "", "302 302 302 302 302 302 302 302 302", _login_call),
    Row("POST", "/logout", "", "L 302 302 302 302 302 302 302 302",
        lambda w, me: _twin_call(w, me, "/logout", {}) if me else Call("/logout", {}), redirect_to_login_ok=True),
    Row("GET", "/account/password", "", "L 200 200 200 200 200 200 200 200", lambda w, me: Call("/account/password")),
    Row("POST", "/account/password", "", "L 302 302 302 302 302 302 302 302",
        lambda w, me: _password_call(w, me) if me else Call("/account/password", {
            "current": PASSWORD, "new": NEW_PASSWORD, "confirm": NEW_PASSWORD})),
    # audit
    Row("GET", "/audit/", "", "L 403 403 403 403 200 200 200 403", lambda w, me: Call("/audit/")),
    Row("POST", "/audit/verify", "", "L 403 403 403 403 200 200 200 403", lambda w, me: Call("/audit/verify", {})),
    Row("GET", "/audit/timeline/<subject_type>/<subject_id>", "other", "L 403 403 403 403 303 303 303 403",
        lambda w, me: Call(f"/audit/timeline/document/{w.req_other.id}")),
    Row("POST", "/audit/export", "", "L 403 403 403 403 200 200 200 403",
        lambda w, me: Call("/audit/export", {"fmt": "csv"})),
    Row("GET", "/audit/exports/<job_id>", "other", "L 403 403 403 403 404 404 404 403",
        lambda w, me: Call("/audit/exports/0123456789abcdef0123456789abcdef")),
    Row("GET", "/audit/exports/<job_id>/file", "other", "L 403 403 403 403 404 404 404 403",
        lambda w, me: Call("/audit/exports/0123456789abcdef0123456789abcdef/file")),
    # notifications
    Row("GET", "/notifications/", "", "L 200 200 200 200 200 200 200 200", lambda w, me: Call("/notifications/")),
    # a counter polled without a session answers nothing (its page, a form perhaps, stays as it is)
    Row("GET", "/notifications/count", "", "204 200 200 200 200 200 200 200 200",
        lambda w, me: Call("/notifications/count")),
    Row("POST", "/notifications/<int:note_id>/open", "own", "L 302 302 302 302 302 302 302 302",
        lambda w, me: Call(f"/notifications/{_own(w, me, 'note').id}/open", {})),
    Row("POST", "/notifications/<int:note_id>/open", "other", "L 404 404 404 404 404 404 404 404",
        lambda w, me: Call(f"/notifications/{w.note_other.id}/open", {})),
    Row("POST", "/notifications/read-all", "", "L 302 302 302 302 302 302 302 302",
        lambda w, me: Call("/notifications/read-all", {})),
    # public tracking
    Row("GET", "/track", "", "200 200 200 200 200 200 200 200 200", lambda w, me: Call("/track")),
    Row("GET", "/track/<code>", "", "200 200 200 200 200 200 200 200 200",
        lambda w, me: Call(f"/track/{w.req_other.tracking_code}")),
    # documents: the queue and one request
    Row("GET", "/documents/", "", "L 403 200 200 403 200 403 403 200", lambda w, me: Call("/documents/")),
    Row("GET", "/documents/counters", "", "L 403 200 200 403 200 403 403 200",
        lambda w, me: Call("/documents/counters")),
    Row("GET", "/documents/new", "", "L 403 200 200 403 403 403 403 200", lambda w, me: Call("/documents/new")),
    Row("POST", "/documents/new", "", "L 403 303 303 403 403 403 403 303",
        lambda w, me: Call("/documents/new", w.intake_body())),
    Row("GET", "/documents/new/checklist", "", "L 403 303 303 403 403 403 403 303",
        lambda w, me: Call(f"/documents/new/checklist?type_id={w.types['domisili'].id}")),
    Row("POST", "/documents/new/checklist", "", "L 403 303 303 403 403 403 403 303",
        lambda w, me: Call("/documents/new/checklist", {"type_id": str(w.types['domisili'].id)})),
    Row("GET", "/documents/<int:request_id>", "own", "L 403 200 200 403 200 403 403 200",
        lambda w, me: Call(f"/documents/{_own(w, me, 'request').id}")),
    Row("GET", "/documents/<int:request_id>", "other", "L 403 200 200 403 200 403 403 200",
        lambda w, me: Call(f"/documents/{w.req_other.id}")),
    Row("GET", "/documents/<int:request_id>/timeline", "own", "L 403 200 200 403 200 403 403 200",
        lambda w, me: Call(f"/documents/{_own(w, me, 'request').id}/timeline")),
    Row("GET", "/documents/<int:request_id>/timeline", "other", "L 403 200 200 403 200 403 403 200",
        lambda w, me: Call(f"/documents/{w.req_other.id}/timeline")),
    Row("POST", "/documents/<int:request_id>/nik", "other", "L 403 200 200 403 403 403 403 200",
        lambda w, me: Call(f"/documents/{w.req_other.id}/nik", {})),
    Row("GET", "/documents/<int:request_id>/receipt", "other", "L 403 200 200 403 200 403 403 200",
        lambda w, me: Call(f"/documents/{w.req_other.id}/receipt")),
    # what a citizen still has to bring, printed at the counter: public requirements, but a counter page
    Row("GET", "/documents/requirements/<int:type_id>", "", "L 403 200 200 403 403 403 403 200",
        lambda w, me: Call(f"/documents/requirements/{w.types['domisili'].id}?ada=1")),
    Row("GET", "/documents/<int:request_id>/slip", "other", "L 403 200 200 403 200 403 403 200",
        lambda w, me: Call(f"/documents/{w.request('returned').id}/slip")),
    Row("GET", "/documents/<int:request_id>/files/<int:file_id>", "other", "L 403 200 200 403 200 403 403 200",
        lambda w, me: Call(f"/documents/{w.req_other.id}/files/{w.file_other.id}")),
    # the letter's data put right after the Camat sent it back: whoever may submit it for signature (a Kasi)
    Row("POST", "/documents/<int:request_id>/correct", "", "L 403 403 303 403 403 403 403 303",
        lambda w, me: Call(f"/documents/{(r := w.request('processing', 'sktm')).id}/correct",
                           {"version": r.version, "address": "Jl. Perbaikan No. 9 RT 001 RW 002",
                            "purpose": "pendaftaran sekolah"})),
    Row("POST", "/documents/<int:request_id>/attachments", "other", "L 403 303 303 403 403 403 403 303",
        lambda w, me: Call(f"/documents/{w.req_other.id}/attachments",
                           {"attachments": [(io.BytesIO(tiny_pdf()), "surat-pengantar.pdf")]})),
    Row("POST", "/documents/<int:request_id>/actions/<trigger_name>", "verify, other",
        "L 403 303 303 403 403 403 403 303", lambda w, me: _act(w.request("received"), "verify")),
    Row("POST", "/documents/<int:request_id>/actions/<trigger_name>", "accept, other",
        "L 403 403 303 403 403 403 403 303", lambda w, me: _act(w.request("verifying"), "accept")),
    Row("POST", "/documents/<int:request_id>/actions/<trigger_name>", "accept, own",
        "L 403 403 403 403 403 403 403 403", lambda w, me: _act(w.request("verifying", owner=me), "accept")),
    Row("POST", "/documents/<int:request_id>/actions/<trigger_name>", "sign, other",
        "L 403 403 403 403 303 403 403 303",
        lambda w, me: _act(w.request("awaiting_signature"), "sign", password=PASSWORD)),
    Row("POST", "/documents/<int:request_id>/actions/<trigger_name>", "recall, other",
        "L 403 403 403 403 303 403 403 403",
        lambda w, me: _act(w.request("signed"), "recall", password=PASSWORD, comment="Alamat salah")),
    Row("POST", "/documents/<int:request_id>/actions/<trigger_name>", "sign, own",
        "L 403 403 403 403 403 403 403 403",
        lambda w, me: _act(w.request("awaiting_signature", owner=me), "sign", password=PASSWORD)),
    # documents: settings
    Row("GET", "/documents/admin/types", "", "L 403 403 403 403 403 403 200 403",
        lambda w, me: Call("/documents/admin/types")),
    Row("GET", "/documents/admin/types/new", "", "L 403 403 403 403 403 403 200 403",
        lambda w, me: Call("/documents/admin/types/new")),
    Row("POST", "/documents/admin/types/new", "", "L 403 403 403 403 403 403 303 403",
        lambda w, me: Call("/documents/admin/types/new", w.type_body())),
    Row("GET", "/documents/admin/types/<int:type_id>", "", "L 403 403 403 403 403 403 200 403",
        lambda w, me: Call(f"/documents/admin/types/{w.types['sktm'].id}")),
    Row("POST", "/documents/admin/types/<int:type_id>", "", "L 403 403 403 403 403 403 303 403",
        lambda w, me: _edit_type_call(w)),
    Row("GET", "/documents/admin/holidays", "", "L 403 403 403 403 403 403 200 403",
        lambda w, me: Call("/documents/admin/holidays")),
    Row("POST", "/documents/admin/holidays", "", "L 403 403 403 403 403 403 303 403",
        lambda w, me: Call("/documents/admin/holidays", {
            "day": (today_wib() + timedelta(days=7 - today_wib().weekday(), weeks=next(w.seq) % 40)).isoformat(),
            "name": "Cuti bersama"})),  # a Monday to come, within the year ahead (a later year is refused)
    Row("POST", "/documents/admin/holidays/<int:holiday_id>/delete", "", "L 403 403 403 403 403 403 303 403",
        lambda w, me: Call(f"/documents/admin/holidays/{_holiday(w).id}/delete", {})),
    # inbox: every signed-in user; a step taken from it is the engine's step, refused like the request page's
    Row("GET", "/inbox/", "", "L 200 200 200 200 200 200 200 200", lambda w, me: Call("/inbox/")),
    Row("GET", "/inbox/count", "", "204 200 200 200 200 200 200 200 200", lambda w, me: Call("/inbox/count")),
    Row("POST", "/inbox/act", "sign, other", "L 403 403 403 403 200 403 403 200",
        lambda w, me: _inbox_call(w, "/inbox/act", password=PASSWORD), check=_signed_only_by_signers),
    Row("POST", "/inbox/act", "sign, own", "L 403 403 403 403 403 403 403 403",
        lambda w, me: _inbox_call(w, "/inbox/act", owner=me, password=PASSWORD), check=_signed_only_by_signers),
    # the confirmation lists only the items awaiting you; with none left it is "select at least one" (422)
    Row("POST", "/inbox/confirm", "sign, other", "L 422 422 422 422 200 422 422 200",
        lambda w, me: _inbox_call(w, "/inbox/confirm")),
    # a batch is refused item by item: the page answers 200 and only the Camat or his Plh signs
    Row("POST", "/inbox/bulk", "sign, other", "L 200 200 200 200 200 200 200 200",
        lambda w, me: _inbox_call(w, "/inbox/bulk", password=PASSWORD), check=_signed_only_by_signers),
    Row("POST", "/inbox/bulk", "sign, own", "L 200 200 200 200 200 200 200 200",
        lambda w, me: _inbox_call(w, "/inbox/bulk", owner=me, password=PASSWORD), check=_signed_by_nobody),
    # letters: the register for camat, sekcam, section_head, hr, admin; a letter and its draft show the
    # citizen's NIK, so they are seen by whoever may open the request; only the Camat revokes; the Kasi or
    # the Camat records a number from another register before signing
    Row("GET", "/letters/", "", "L 403 403 200 200 200 200 200 200", lambda w, me: Call("/letters/")),
    Row("GET", "/letters/<int:letter_id>.pdf", "other", "L 403 200 200 403 200 403 403 200",
        lambda w, me: Call(f"/letters/{w.letter_other.id}.pdf")),
    Row("GET", "/letters/draft/<subject_type>/<int:subject_id>.pdf", "other", "L 403 200 200 403 200 403 403 200",
        lambda w, me: Call(f"/letters/draft/document/{w.draft_req.id}.pdf")),
    Row("POST", "/letters/<int:letter_id>/revoke", "other", "L 403 403 403 403 303 403 403 403",
        _revoke_call, check=_revoked_only_by_camat),
    Row("POST", "/letters/external-number/<subject_type>/<int:subject_id>", "other",
        "L 403 403 303 403 303 403 403 303",
        lambda w, me: Call(f"/letters/external-number/document/{w.request('awaiting_signature', 'sktm').id}",
                           {"number": f"470/{next(w.seq)}/KEL-PD/2026"})),
    # the public check of a letter: anyone, signed in or not
    Row("GET", "/cek", "", "200 200 200 200 200 200 200 200 200", lambda w, me: _check_call("/cek")),
    Row("GET", "/cek/<code>", "", "200 200 200 200 200 200 200 200 200",
        lambda w, me: _check_call(f"/cek/{w.letter_other.check_code}"), check=_public_result),
    Row("GET", "/cek/<code>", "unknown code", "404 404 404 404 404 404 404 404 404",
        lambda w, me: _check_call("/cek/ABCD-EFGH-JKLM")),
    Row("POST", "/cek/<code>", "upload of the signed PDF", "200 200 200 200 200 200 200 200 200",
        lambda w, me: _check_call(f"/cek/{w.letter_other.check_code}",
                                  {"pdf": (io.BytesIO(w.letter_other.pdf), "surat.pdf")}), check=_public_result),
    # people
    Row("GET", "/people/", "", "L 403 403 403 403 403 200 200 403", lambda w, me: Call("/people/")),
    Row("GET", "/people/new", "", "L 403 403 403 403 403 200 200 403", lambda w, me: Call("/people/new")),
    Row("POST", "/people/new", "ASN account", "L 403 403 403 403 403 302 302 403",
        lambda w, me: Call("/people/new", w.person_body())),
    Row("POST", "/people/new", "account with the section_head role", "L 403 403 403 403 403 403 302 403",
        lambda w, me: Call("/people/new", w.person_body(roles=["section_head"]))),
    Row("GET", "/people/<int:user_id>/edit", "other ASN", "L 403 403 403 403 403 200 200 403",
        lambda w, me: Call(f"/people/{w.u['asn2'].id}/edit")),
    Row("POST", "/people/<int:user_id>/edit", "ASN data of an ASN", "L 403 403 403 403 403 302 302 403",
        lambda w, me: _edit_person(w, w.person(), position="Analis Kepegawaian")),
    Row("POST", "/people/<int:user_id>/edit", "grant section_head to an ASN", "L 403 403 403 403 403 403 302 403",
        lambda w, me: _edit_person(w, w.person(), roles=["section_head"])),
    Row("POST", "/people/<int:user_id>/edit", "reset a clerk's password", "L 403 403 403 403 403 403 302 403",
        lambda w, me: _edit_person(w, w.person("clerk"), password=NEW_PASSWORD)),
    Row("POST", "/people/<int:user_id>/edit", "deactivate a Camat", "L 403 403 403 403 403 403 302 403",
        lambda w, me: _edit_person(w, w.person("camat", supervisor=None), active=False)),
    Row("GET", "/people/delegations", "", "L 200 200 200 200 200 200 200 200",
        lambda w, me: Call("/people/delegations")),
    Row("POST", "/people/delegations", "Plh of the Camat", "L 403 403 403 403 302 403 302 403",
        lambda w, me: Call("/people/delegations", w.delegation_body("plh"))),
    Row("POST", "/people/delegations", "Plt of the Camat", "L 403 403 403 403 403 403 302 403",
        lambda w, me: Call("/people/delegations", w.delegation_body("plt"))),
    Row("POST", "/people/delegations/<int:delegation_id>/revoke", "Plh of the Camat",
        "L 403 403 403 403 302 403 302 403",
        lambda w, me: Call(f"/people/delegations/{w.delegation(w.u['camat'], w.person('section_head'), 'plh').id}"
                           "/revoke", {})),
    # training: own pages and the catalogue
    Row("GET", "/training/", "", "L 302 302 302 302 302 302 302 302", lambda w, me: Call("/training/")),
    Row("GET", "/training/static/<path:filename>", "", "L 200 200 200 200 200 200 200 200",
        lambda w, me: Call("/training/static/training.css")),
    Row("GET", "/training/me", "", "L 200 200 200 200 200 200 200 200", lambda w, me: Call("/training/me")),
    Row("GET", "/training/approvals", "", "L 200 200 200 200 200 200 200 200",
        lambda w, me: Call("/training/approvals")),
    Row("GET", "/training/courses/", "", "L 200 200 200 200 200 200 200 200",
        lambda w, me: Call("/training/courses/")),
    Row("GET", "/training/courses/<int:course_id>", "", "L 200 200 200 200 200 200 200 200",
        lambda w, me: Call(f"/training/courses/{w.course_classic.id}")),
    Row("GET", "/training/courses/<int:course_id>/seats", "", "204 200 200 200 200 200 200 200 200",
        lambda w, me: Call(f"/training/courses/{w.course_classic.id}/seats")),
    # the Camat has no direct supervisor in the system: nobody could approve the request (422)
    Row("POST", "/training/courses/<int:course_id>/enrol", "own", "L 302 302 302 302 422 302 302 302",
        lambda w, me: Call(f"/training/courses/{w.course().id}/enrol", {
            "user_id": me.id if me else w.u["asn"].id, "motivation": "Menunjang tugas"})),
    Row("POST", "/training/courses/<int:course_id>/enrol", "nominate another ASN",
        "L 403 403 302 403 403 403 403 403",
        lambda w, me: Call(f"/training/courses/{w.course().id}/enrol", {"user_id": w.u["asn2"].id})),
    # training: the catalogue kept by HR
    Row("GET", "/training/courses/new", "", "L 403 403 403 403 403 200 403 403",
        lambda w, me: Call("/training/courses/new")),
    Row("POST", "/training/courses/new", "", "L 403 403 403 403 403 302 403 403",
        lambda w, me: Call("/training/courses/new", w.course_body())),
    Row("GET", "/training/courses/<int:course_id>/edit", "", "L 403 403 403 403 403 200 403 403",
        lambda w, me: Call(f"/training/courses/{w.course_classic.id}/edit")),
    Row("POST", "/training/courses/<int:course_id>/edit", "", "L 403 403 403 403 403 302 403 403",
        lambda w, me: _edit_course(w, w.course())),
    Row("POST", "/training/courses/<int:course_id>/modules", "", "L 403 403 403 403 403 302 403 403",
        lambda w, me: Call(f"/training/courses/{w.elearning('E-learning Baru').id}/modules", {
            "title": "Modul Tambahan", "kind": "text", "body": "Isi modul tambahan", "url": "",
            "form_token": _form_token()})),
    Row("POST", "/training/courses/<int:course_id>/questions", "", "L 403 403 403 403 403 302 403 403",
        lambda w, me: Call(f"/training/courses/{w.elearning('E-learning Kuis').id}/questions", {
            "text": "Ibu kota Sumatera Selatan?", "choices": "Palembang\nJambi", "answer": "1",
            "form_token": _form_token()})),
    Row("GET", "/training/modules/<int:module_id>/file", "own course", "L 200 200 200 200 200 200 200 200",
        lambda w, me: Call(f"/training/modules/{w.module_of(w.course_el, 'pdf').id}/file")),
    Row("GET", "/training/modules/<int:module_id>/file", "other course", "L 403 403 403 403 403 200 403 403",
        lambda w, me: Call(f"/training/modules/{w.module_of(w.course_el2, 'pdf').id}/file")),
    # training: one enrolment
    Row("GET", "/training/enrolments/<int:enrolment_id>", "own", "L 200 200 200 200 200 200 200 200",
        lambda w, me: Call(f"/training/enrolments/{_own(w, me, 'el').id}")),
    Row("GET", "/training/enrolments/<int:enrolment_id>", "other", "L 403 403 200 200 200 200 200 403",
        lambda w, me: Call(f"/training/enrolments/{w.el_other.id}")),
    Row("POST", "/training/enrolments/<int:enrolment_id>/act/<trigger_name>", "approve, other",
        "L 403 403 303 403 403 403 403 403",
        lambda w, me: _enrolment_act(w.enrolment(w.u["asn2"], w.course_classic, "requested"), "approve")),
    Row("POST", "/training/enrolments/<int:enrolment_id>/act/<trigger_name>", "withdraw, own",
        "L 303 303 303 303 303 303 303 303",
        lambda w, me: _enrolment_act(w.enrolment(me or w.u["asn2"], w.course_classic, "requested"), "withdraw",
                                     confirmed="yes")),
    Row("POST", "/training/enrolments/<int:enrolment_id>/act/<trigger_name>", "routine sign-off, other",
        "L 403 403 403 403 303 403 403 303",
        lambda w, me: _enrolment_act(w.enrolment(w.u["asn2"], w.course_routine, "approved"), "sign_off_routine")),
    Row("POST", "/training/enrolments/<int:enrolment_id>/act/<trigger_name>", "verify, other",
        "L 403 403 403 403 403 303 403 403",
        lambda w, me: _enrolment_act(_opened_by(w.enrolment(w.u["asn2"], w.course_classic, "completed",
                                                            evidence=True), me, w), "verify")),
    Row("GET", "/training/enrolments/<int:enrolment_id>/evidence", "own", "L 200 200 200 200 200 200 200 200",
        lambda w, me: Call(f"/training/enrolments/{_own(w, me, 'done').id}/evidence")),
    Row("GET", "/training/enrolments/<int:enrolment_id>/evidence", "other", "L 403 403 200 200 200 200 200 403",
        lambda w, me: Call(f"/training/enrolments/{w.done_other.id}/evidence")),
    Row("GET", "/training/enrolments/<int:enrolment_id>/evidence/page.png", "own",
        "L 200 200 200 200 200 200 200 200",
        lambda w, me: Call(f"/training/enrolments/{_own(w, me, 'done').id}/evidence/page.png")),
    Row("GET", "/training/enrolments/<int:enrolment_id>/evidence/page.png", "other",
        "L 403 403 200 200 200 200 200 403",
        lambda w, me: Call(f"/training/enrolments/{w.done_other.id}/evidence/page.png")),
    Row("GET", "/training/external", "", "L 200 200 200 200 200 200 200 200", lambda w, me: Call("/training/external")),
    Row("POST", "/training/external", "own training elsewhere", "L 303 303 303 303 303 303 303 303",
        lambda w, me: Call("/training/external", _external_body())),
    Row("GET", "/training/enrolments/<int:enrolment_id>/learn", "own", "L 200 200 200 200 200 200 200 200",
        lambda w, me: Call(f"/training/enrolments/{_own(w, me, 'el').id}/learn")),
    Row("GET", "/training/enrolments/<int:enrolment_id>/learn", "other", "L 403 403 403 403 403 200 403 403",
        lambda w, me: Call(f"/training/enrolments/{w.el_other.id}/learn")),
    Row("GET", "/training/enrolments/<int:enrolment_id>/modules/<int:module_id>", "own",
        "L 200 200 200 200 200 200 200 200",
        lambda w, me: Call(f"/training/enrolments/{_own(w, me, 'el').id}/modules/{w.module_of(w.course_el).id}")),
    Row("GET", "/training/enrolments/<int:enrolment_id>/modules/<int:module_id>", "other",
        "L 403 403 403 403 403 200 403 403",
        lambda w, me: Call(f"/training/enrolments/{w.el_other.id}/modules/{w.module_of(w.course_el).id}")),
    Row("POST", "/training/enrolments/<int:enrolment_id>/modules/<int:module_id>/done", "own",
        "L 302 302 302 302 302 302 302 302",
        lambda w, me: _module_done(w, me or w.u["asn2"])),
    Row("POST", "/training/enrolments/<int:enrolment_id>/modules/<int:module_id>/done", "other",
        "L 403 403 403 403 403 403 403 403",
        lambda w, me: _module_done(w, w.u["asn2"])),
    Row("GET", "/training/enrolments/<int:enrolment_id>/quiz", "own", "L 200 200 200 200 200 200 200 200",
        lambda w, me: Call(f"/training/enrolments/{_own(w, me, 'el').id}/quiz")),
    Row("GET", "/training/enrolments/<int:enrolment_id>/quiz", "other", "L 403 403 403 403 403 200 403 403",
        lambda w, me: Call(f"/training/enrolments/{w.el_other.id}/quiz")),
    Row("POST", "/training/enrolments/<int:enrolment_id>/quiz", "own", "L 200 200 200 200 200 200 200 200",
        lambda w, me: _quiz(w, me or w.u["asn2"])),
    Row("POST", "/training/enrolments/<int:enrolment_id>/quiz", "other", "L 403 403 403 403 403 403 403 403",
        lambda w, me: _quiz(w, w.u["asn2"])),
    # training: plans
    # a Kasi reads his own unit's plans only; a Plh (the plh persona stands in for the Camat) what his principal
    # reads (services.plans.plan_units)
    Row("GET", "/training/plans/", "", "L 403 403 200 200 200 200 200 200", lambda w, me: Call("/training/plans/")),
    Row("GET", "/training/plans/<int:plan_id>.xlsx", "", "L 403 403 403 200 200 200 200 200",
        lambda w, me: Call(f"/training/plans/{w.plan('draft').id}.xlsx")),
    # training: history export (oneself; a supervisor of the unit: someone with active direct reports; HR)
    Row("GET", "/training/history/", "", "L 200 200 200 200 200 200 200 200", lambda w, me: Call("/training/history/")),
    Row("POST", "/training/history/", "own", "L 200 200 200 200 200 200 200 200",
        lambda w, me: Call("/training/history/", {"user_id": str((me or w.u["asn2"]).id), "unit_id": "0",
                                                  "fmt": "csv", "preset": "siasn"})),
    Row("POST", "/training/history/", "other", "L 403 403 200 200 200 200 403 403",
        lambda w, me: Call("/training/history/", {"user_id": str(w.u["asn2"].id), "unit_id": "0",
                                                  "fmt": "csv", "preset": "siasn"})),
    Row("POST", "/training/courses/<int:course_id>/competences", "", "L 403 403 403 403 403 303 403 403",
        lambda w, me: Call(f"/training/courses/{w.course().id}/competences", {"fits": "pelaksana", "fee": ""})),
    # training: attendance of a course the office runs itself, recorded by HR (or the course's organiser)
    Row("GET", "/training/courses/<int:course_id>/attendance", "", "L 403 403 403 403 403 200 403 403",
        lambda w, me: Call(f"/training/courses/{w.internal_course().id}/attendance")),
    Row("POST", "/training/courses/<int:course_id>/attendance", "", "L 403 403 403 403 403 303 403 403",
        lambda w, me: Call(f"/training/courses/{w.internal_course().id}/attendance",
                           {"day": (today_wib() - timedelta(days=2)).isoformat(), "present": []})),
    Row("POST", "/training/courses/<int:course_id>/attendance/close", "", "L 403 403 403 403 403 303 403 403",
        lambda w, me: Call(f"/training/courses/{w.internal_course().id}/attendance/close", {})),
    Row("POST", "/training/plans/", "", "L 403 403 403 403 403 302 403 403", lambda w, me: _new_plan(w)),
    Row("GET", "/training/plans/<int:plan_id>", "", "L 403 403 403 200 200 200 200 200",
        lambda w, me: Call(f"/training/plans/{w.plan_id}")),
    Row("POST", "/training/plans/<int:plan_id>/act/<trigger_name>", "submit", "L 403 403 403 403 403 303 403 403",
        lambda w, me: _plan_act(w.plan("draft"), "submit")),
    Row("POST", "/training/plans/<int:plan_id>/act/<trigger_name>", "approve", "L 403 403 403 403 303 403 403 403",
        lambda w, me: _plan_act(w.plan("submitted"), "approve", password=PASSWORD)),
    Row("POST", "/training/plans/<int:plan_id>/amend", "", "L 403 403 403 403 403 302 403 403",
        lambda w, me: Call(f"/training/plans/{w.plan('approved').id}/amend", {})),
    Row("POST", "/training/plans/<int:plan_id>/items", "", "L 403 403 403 403 403 302 403 403",
        lambda w, me: _plan_item_add(w)),
    Row("POST", "/training/plans/<int:plan_id>/items/<int:item_id>/delete", "", "L 403 403 403 403 403 302 403 403",
        lambda w, me: _plan_item_remove(w)),
    # training: an item changed in place (HR), "Isi dari kebutuhan" on a draft (HR)
    Row("GET", "/training/plans/<int:plan_id>/items/<int:item_id>", "", "L 403 403 403 302 302 302 302 302",
        lambda w, me: _plan_item_url(w, "")),
    Row("GET", "/training/plans/<int:plan_id>/items/<int:item_id>/edit", "", "L 403 403 403 403 403 200 403 403",
        lambda w, me: _plan_item_url(w, "/edit")),
    Row("POST", "/training/plans/<int:plan_id>/items/<int:item_id>/edit", "", "L 403 403 403 403 403 302 403 403",
        lambda w, me: _plan_item_edit(w)),
    Row("POST", "/training/plans/<int:plan_id>/fill", "", "L 403 403 403 403 403 302 403 403",
        lambda w, me: Call(f"/training/plans/{w.plan('draft').id}/fill", {})),
    # training: the competence dictionary (HR and the administrator)
    Row("GET", "/training/competences/", "", "L 403 403 403 403 403 200 200 403",
        lambda w, me: Call("/training/competences/")),
    Row("POST", "/training/competences/", "", "L 403 403 403 403 403 302 302 403",
        lambda w, me: Call("/training/competences/", {"code": f"K{next(w.seq)}", "name": "Kompetensi uji",
                                                      "kind": "teknis"})),
    Row("GET", "/training/competences/<int:competence_id>", "", "L 403 403 403 403 403 200 200 403",
        lambda w, me: Call(f"/training/competences/{_competence(w).id}")),
    Row("POST", "/training/competences/<int:competence_id>", "", "L 403 403 403 403 403 302 302 403",
        lambda w, me: Call(f"/training/competences/{_competence(w).id}", {"code": f"K{next(w.seq)}",
                                                                          "name": "Diubah", "kind": "manajerial"})),
    Row("GET", "/training/positions/", "", "L 403 403 403 403 403 200 200 403",
        lambda w, me: Call("/training/positions/")),
    Row("POST", "/training/positions/", "", "L 403 403 403 403 403 302 302 403",
        lambda w, me: Call("/training/positions/", {"name": f"Jabatan {next(w.seq)}", "kind": "pelaksana"})),
    Row("GET", "/training/positions/<int:position_id>", "", "L 403 403 403 403 403 200 200 403",
        lambda w, me: Call(f"/training/positions/{_position(w).id}")),
    Row("POST", "/training/positions/<int:position_id>", "", "L 403 403 403 403 403 302 302 403",
        lambda w, me: Call(f"/training/positions/{_position(w).id}", {"name": f"Jabatan {next(w.seq)}",
                                                                      "kind": "pengawas"})),
    Row("GET", "/training/positions/holders", "", "L 403 403 403 403 403 200 200 403",
        lambda w, me: Call("/training/positions/holders")),
    Row("POST", "/training/positions/holders/<int:user_id>", "", "L 403 403 403 403 403 302 302 403",
        lambda w, me: Call(f"/training/positions/holders/{w.u['asn2'].id}", {"position_id": _position(w).id})),
    # SKM survey (public, one use per link) and its dashboard; complaints from the tracking page
    # the citizen's own: an officer signed in is refused (and recorded by name)
    Row("GET", "/skm/<code>", "", "302 302 302 302 302 302 302 302 302",
        lambda w, me: Call("?key=".join(_survey_link(w).rsplit("/", 1)))),  # one request's code and its key
    Row("GET", "/skm/<code>/<key>", "", "200 403 403 403 403 403 403 403 403", lambda w, me: Call(_survey_link(w))),
    Row("POST", "/skm/<code>/<key>", "", "303 403 403 403 403 403 403 403 403",
        lambda w, me: Call(_survey_link(w), {f"u{i}": "3" for i in range(1, 10)})),
    Row("GET", "/skm", "", "200 200 200 200 200 200 200 200 200", lambda w, me: Call("/skm")),
    Row("GET", "/reports/skm", "", "L 403 403 200 200 200 200 403 200", lambda w, me: Call("/reports/skm")),
    Row("GET", "/track/<code>/complaint", "", "200 200 200 200 200 200 200 200 200",
        lambda w, me: Call(f"/track/{w.req_other.tracking_code}/complaint")),
    Row("POST", "/track/<code>/complaint", "", "303 303 303 303 303 303 303 303 303",
        lambda w, me: Call(f"/track/{w.request('processing').tracking_code}/complaint",
                           {"kind": "suggestion", "body": "Mohon ditambah kursi ruang tunggu."}),
        after=lambda w: _reset_limits()),
    Row("GET", "/complaints/", "", "L 403 403 200 200 200 403 403 200", lambda w, me: Call("/complaints/")),
    Row("GET", "/complaints/<int:complaint_id>", "", "L 403 403 200 200 200 403 403 200",
        lambda w, me: Call(f"/complaints/{_complaint(w).id}")),
    # the numbers a citizen wrote: to who may see a NIK (not the Sekcam, who reads complaints)
    Row("POST", "/complaints/<int:complaint_id>/full", "", "L 403 403 200 403 200 403 403 200",
        lambda w, me: Call(f"/complaints/{_complaint(w).id}/full", {})),
    Row("POST", "/complaints/<int:complaint_id>/actions/<trigger_name>", "answer", "L 403 403 303 403 403 403 403 303",
        lambda w, me: Call(f"/complaints/{_complaint(w).id}/actions/answer",
                           {"version": "0", "comment": "Terima kasih, sudah kami tindak lanjuti."})),
    # reports: the dashboards and the monthly report for camat, sekcam, section heads and HR
    Row("GET", "/reports/static/<path:filename>", "", "L 200 200 200 200 200 200 200 200",
        lambda w, me: Call("/reports/static/reports.css")),
    Row("GET", "/reports/", "", "L 403 403 302 302 302 302 403 302", lambda w, me: Call("/reports/")),
    *[Row("GET", path, "", "L 403 403 200 200 200 200 403 200", lambda w, me, path=path: Call(path))
      for path in ("/reports/layanan", "/reports/layanan.csv", "/reports/layanan.xlsx", "/reports/kompetensi",
                   "/reports/kompetensi.csv", "/reports/kompetensi.xlsx",
                   "/reports/bulanan", "/reports/bulanan.xlsx", "/reports/bulanan.pdf")],
    # last: may take the admin's own account away when the rule does not hold
    Row("POST", "/people/<int:user_id>/edit", "deactivate the last admin", "L 403 403 403 403 403 403 422 403",
        lambda w, me: _edit_person(w, w.u["admin"], active=False), after=_reactivate_admin),
]


def _opened_by(enrolment, reader, w):
    """The certificate opened by whoever then credits it (HR credits only a certificate it opened)."""
    if reader is not None:
        from plaju.training.opened import record_reading
        record_reading(enrolment, reader)
        w.db().commit()
    return enrolment


def _survey_link(w):
    from plaju.database import utcnow
    from plaju.survey.services import survey_path
    req = w.request("handed_over")
    req.closed_at = utcnow()
    w.db().commit()
    return survey_path(req.tracking_code)


def _complaint(w):
    from plaju.complaints.models import Complaint
    from plaju.database import utcnow
    # about a request of its own: whoever took a step on a shared one (another row's attack) may not answer
    complaint = Complaint(request_id=w.request("received").id, kind="complaint", body="Berkas belum selesai.",
                          due_at=utcnow() + timedelta(days=14))
    w.db().add(complaint)
    w.db().flush()
    started(complaint)
    w.db().commit()
    return complaint


def _reset_limits():
    from plaju.extensions import limiter
    limiter.reset()


def _edit_type_call(w):
    doc_type = DocumentType(code=f"sk-ubah-{next(w.seq)}", name="Surat Keterangan Lama", service_amount=3,
                            service_unit="days", position=50)
    w.db().add(doc_type)
    w.db().commit()
    body = w.type_body() | {"code": doc_type.code, "name": "Surat Keterangan Baru", "seen": type_seen(doc_type.id)}
    return Call(f"/documents/admin/types/{doc_type.id}", body)


def _holiday(w):
    holiday = Holiday(day=date(2032, 1, 1) + timedelta(days=next(w.seq)), name="Libur uji")
    w.db().add(holiday)
    w.db().commit()
    return holiday


def _edit_person(w, user, **changes):
    return Call(f"/people/{user.id}/edit", w.person_body(user, **changes))


def _edit_course(w, course):
    from plaju.training.services.catalogue import course_stamp
    return Call(f"/training/courses/{course.id}/edit", {**w.course_body(), "seen": course_stamp(course)})


def _module_done(w, learner):
    from plaju.database import utcnow
    from plaju.training.models import ModuleOpening
    enrolment = w.enrolment(learner, w.course_el, "in_progress")
    module = w.module_of(w.course_el)
    # opened yesterday: its least time of study (a third of its share of the JP) has passed
    w.db().add(ModuleOpening(enrolment_id=enrolment.id, module_id=module.id,
                             opened_at=utcnow() - timedelta(days=1)))
    w.db().commit()
    return Call(f"/training/enrolments/{enrolment.id}/modules/{module.id}/done", {})


def _quiz(w, learner):
    from plaju.training.models import ModuleProgress
    enrolment = w.enrolment(learner, w.course_el, "in_progress")
    for module in w.course_el.modules:  # the quiz opens once every module is done
        w.db().add(ModuleProgress(enrolment_id=enrolment.id, module_id=module.id))
    w.db().commit()
    # a wrong answer, at its place in this learner's order: the page answers 200 with the score (a pass would
    # complete and redirect)
    from plaju.training.services.elearning import quiz_sheet
    wrong = {f"q{q.id}": str(next(place for place, (typed, _c) in enumerate(choices) if typed != q.answer))
             for q, choices in quiz_sheet(enrolment)}
    return Call(f"/training/enrolments/{enrolment.id}/quiz", wrong)


def _new_plan(w):
    unit = Unit(code=f"unit{next(w.seq)}", name=f"Kelurahan Uji {next(w.seq)}", kind="kelurahan")
    w.db().add(unit)
    w.db().commit()
    return Call("/training/plans/", {"unit_id": unit.id, "year": str(today_wib().year), "suggest": "y",
                                        "form_token": _form_token()})


def _plan_item_add(w):
    plan = w.plan("draft")
    return Call(f"/training/plans/{plan.id}/items", {
        "user_id": plan.member_id, "course_id": w.course_classic.id, "title": "", "kind": "teknis",
        "planned_jp": "12", "form_token": _form_token()})


def _plan_item_remove(w):
    plan = w.plan("draft")
    return Call(f"/training/plans/{plan.id}/items/{plan.items[0].id}/delete", {})


def _plan_item_url(w, tail):
    plan = w.plan("draft")
    return Call(f"/training/plans/{plan.id}/items/{plan.items[0].id}{tail}")


def _plan_item_edit(w):
    plan = w.plan("draft")
    item = plan.items[0]
    values = {"user_id": plan.member_id, "group_label": "", "participants": "", "course_id": "0",
              "title": "Diklat Kepemimpinan", "kind": "manajerial", "planned_jp": "16", "quarter": "4", "cost": "",
              "funding": "apbd"}
    return Call(f"/training/plans/{plan.id}/items/{item.id}/edit", {f"item{item.id}-{k}": v for k, v in values.items()})


def _competence(w):
    from plaju.training.models import Competence
    competence = Competence(code=f"UJI{next(w.seq)}", name="Kompetensi uji", kind="teknis")
    w.db().add(competence)
    w.db().commit()
    return competence


def _position(w):
    from plaju.training.models import Position
    position = Position(name=f"Jabatan uji {next(w.seq)}", kind="pelaksana")
    w.db().add(position)
    w.db().commit()
    return position


# --- cells that fail today ----------------------------------------------------------------------------

# cells a branch was fixing while the table was written; empty once merged, kept for the next one
EXPECTED_TO_FAIL_UNTIL_FIXED: dict = {}

# defects found by this matrix that no branch is fixing yet (reported; strict, so a fix shows up); the ones
# it found so far (a nomination refused by the form, the inbox and revocation answering without the
# refusal's own status, another's module) are fixed
OPEN_DEFECTS: dict = {}

def _cells():
    for row in ROWS:
        for role in ROLES:
            marks = []
            reason = EXPECTED_TO_FAIL_UNTIL_FIXED.get(row.key + (role,)) or OPEN_DEFECTS.get(row.key + (role,))
            if reason:
                marks.append(pytest.mark.xfail(strict=True, reason=reason))
            label = f"{row.method} {row.rule}" + (f" [{row.variant}]" if row.variant else "") + f" as {role}"
            yield pytest.param(row, role, marks=marks, id=label)


@pytest.fixture(scope="module")
def world(app):
    from plaju.extensions import db, limiter
    from tests.conftest import _empty_all_tables
    with app.app_context():
        limiter.reset()
        try:
            yield World(app)
        finally:
            db.session.remove()
            _empty_all_tables(db)


def _message(response) -> str:
    """The page's alert texts: why a request was refused, when it was."""
    text = response.get_data(as_text=True)
    alerts = re.findall(r'class="[^"]*(?:alert|invalid-feedback)[^"]*"[^>]*>(.*?)</', text, re.S)
    return f"{response.status_code}: " + (" | ".join(a.strip() for a in alerts) or text[:300])


def _refusals_by(world, me) -> int:
    from sqlalchemy import func, select

    from plaju.audit.models import AuditEvent
    session = world.db()
    session.rollback()
    return session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.outcome == "refused", AuditEvent.actor_id == (me.id if me is not None else None)))


@pytest.mark.parametrize(("row", "role"), list(_cells()))
def test_matrix(world, row, role):
    me = world.u[role] if role != "anon" else None
    call = row.build(world, me)
    client = call.client or world.clients[role]
    refusals_before = _refusals_by(world, me)
    try:
        if row.method == "GET":
            response = client.get(call.path)
        else:
            response = client.post(call.path, data=call.data or {})
    finally:
        if row.after:
            row.after(world)
    expected = row.statuses[role]
    where = urlparse(response.headers.get("Location", "")).path
    body = _message(response) if response.status_code >= 400 else where
    if expected == L:
        assert (response.status_code, where) == (302, "/login"), body
        return
    assert response.status_code == expected, body
    if response.status_code == 403:  # every refusal of authority is in the log, under who asked
        assert _refusals_by(world, me) > refusals_before, f"403 without an audited refusal: {body}"
    if response.status_code in (302, 303) and not row.redirect_to_login_ok:
        assert where != "/login", "thrown out to the sign-in page"
    if row.check:
        row.check(world, role, call, response)


def _uncovered(url_map) -> tuple[list, list]:
    """(routes without a row, rows without a route) as (method, rule) pairs."""
    routes = {(method, rule.rule) for rule in url_map.iter_rules() if rule.endpoint not in PUBLIC_ASSETS
              for method in rule.methods - {"HEAD", "OPTIONS"}}
    in_table = {(row.method, row.rule) for row in ROWS}
    return sorted(routes - in_table), sorted(in_table - routes)


def test_every_route_has_rows_and_every_row_a_route(app):
    missing, stale = _uncovered(app.url_map)
    assert missing == [], "routes without a row in the authorization matrix"
    assert stale == [], "rows naming a route that no longer exists"
    assert len({row.key for row in ROWS}) == len(ROWS), "a row appears twice"
    keys = {row.key + (role,) for row in ROWS for role in ROLES}
    assert set(EXPECTED_TO_FAIL_UNTIL_FIXED) <= keys and set(OPEN_DEFECTS) <= keys


def test_a_route_added_or_removed_is_noticed(app):
    rules = [r.empty() for r in app.url_map.iter_rules() if r.rule != "/healthz"]
    changed = Map(rules + [Rule("/reports/soon", endpoint="reports.soon", methods=["GET", "POST"])])
    assert _uncovered(changed) == ([("GET", "/reports/soon"), ("POST", "/reports/soon")], [("GET", "/healthz")])


def test_public_assets_are_served_to_anyone(app):
    client = app.test_client()
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    assert set(PUBLIC_ASSETS) <= endpoints
    for path in PUBLIC_ASSETS.values():
        response = client.get(path)
        assert response.status_code == 200, path
        response.close()
