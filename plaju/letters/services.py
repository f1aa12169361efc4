"""Letters: issue (number, render, sign, store) inside a sign step, drafts, the register, revocation,
the public check. Views call only this; areas call `issue()` from their own sign step's effect."""
import hashlib
from collections.abc import Callable
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import func, select

from ..audit import record as audit
from ..audit import vocabulary
from ..core.paging import keyset_page
from ..core.urls import public_url
from ..database import lock_row, utcnow
from ..extensions import db
from ..i18n import gettext as _
from ..i18n import wib_text
from ..timeutil import to_wib
from ..workflow import Invalid, NotAllowed
from ..workflow.engine import own_authority, spec_for
from . import register
from .models import Letter, LetterExternalNumber
from .render import LetterContent, Signature, render
from .signing import SigningRefused, signer

REGISTER_ROLES = ("camat", "sekcam", "section_head", "hr", "admin")
PAGE_SIZE = 50


@dataclass
class Draft:
    """What an area's letter template gives for one subject."""
    content: LetterContent
    kind: str            # the document type's code
    kind_name: str       # its name, shown on /cek and in the register
    classification: str  # archive classification code (Permendagri 83/2022)
    label: str           # a reference without personal data, e.g. the tracking code
    holder: str = ""     # whom the letter is for, by name: /cek shows it masked (mask_name)


@dataclass
class Subject:
    """An area's letters: how to draw one, who may read them, where their record lives."""
    name: str
    load: Callable        # load(id) -> entity | None
    draw: Callable        # draw(entity) -> Draft
    can_view: Callable    # can_view(user, entity) -> bool: the letter carries personal data
    url: Callable         # url(subject_id) -> link to the record
    panel: Callable | None = None  # panel(entity, user) -> dict for the area's page
    # openable(user, ids) -> the ids among these whose record the user may open, in one statement at
    # most (the register links only those); without it, none
    openable: Callable | None = None
    # unrevocable_alone(entity) -> why this letter may only be replaced, not revoked on its own (it has
    # not reached the citizen yet: alone, the revoked letter would still be handed over), or None
    unrevocable_alone: Callable | None = None
    # has_draft(entity) -> whether a draft of its letter exists now (a letter the office will sign, not yet
    # signed); without it, always
    has_draft: Callable | None = None
    # reissued(entity, new_letter, ctx) -> the record takes the replacing letter's facts (a certificate's
    # number on the enrolment and in the SIASN export); without it, nothing on the record names the letter
    reissued: Callable | None = None
    # revoked(entity, letter, replacement, actor) -> after a letter of the record was revoked (replacement
    # None) or replaced, in the same transaction: whoever holds it is told (a citizen who collected it)
    revoked: Callable | None = None
    # the subject type the record's own events carry in the log, when it is not `name`
    audit_type: str | None = None
    # the record's step that signs its letter (a trigger of its workflow): a replacement is signed only by
    # whom that step lets sign it in their own right (the course's certificate signer; four eyes as then);
    # without it, the Camat
    signing_step: str | None = None
    # the record's model: a revocation or replacement locks its row first, as the record's own steps do (a
    # recall), so two of them at once are taken one after the other
    model: type | None = None


SUBJECTS: dict[str, Subject] = {}


def mask_name(name: str) -> str:
    """Each word's first letter and one dot per further letter: enough to match the paper in hand,
    not enough to read whose SKTM it is."""
    return " ".join(word[0] + "•" * (len(word) - 1) for word in (name or "").split())[:160]


def register_subject(subject: Subject) -> Subject:
    SUBJECTS[subject.name] = subject
    # the record's complete history in the log holds its letters' (opened, revoked, replaced)
    vocabulary.describe_parts(subject.audit_type or subject.name, lambda ids: [
        ("letter", i) for i in db.session.scalars(select(Letter.id).where(
            Letter.subject_type == subject.name, Letter.subject_id.in_(vocabulary.as_numbers(ids))))])
    if subject.audit_type and subject.audit_type != subject.name:  # its draft's openings carry the letters' name
        vocabulary.describe_parts(subject.audit_type, lambda ids: [(subject.name, i) for i in ids],
                                  same_id=subject.name)
    return subject


class LetterRefused(ValueError):
    def __init__(self, message, status=422):
        super().__init__(str(message))
        self.message = message
        self.status = status


def _base_url() -> str:
    if not current_app.config.get("PUBLIC_URL") and current_app.config.get("ENV_NAME") == "production":
        # the address goes into signed PDFs for good: never take it from whatever Host a request named
        raise Invalid(_("The public address of the letter check (PLAJU_PUBLIC_URL) is not configured. "
                        "Ask the administrator before signing."), code="public_url")
    return public_url("")  # the receipts' and slips' address too


def check_url(code: str) -> str:
    return f"{_base_url()}/cek/{code}"


def signature_of(actor, delegation) -> Signature:
    """'Camat Plaju' with the Camat's name, or 'Plh. Camat Plaju' with the Plh's own name and NIP."""
    title = delegation.title if delegation else (actor.position or actor.full_name)
    return Signature(title=title, name=actor.full_name, nip=actor.nip or "")


def draft_pdf(subject_name: str, entity, user) -> bytes:
    """The draft to review: watermark DRAF, the number from another register if one is recorded (else none),
    and the signature block the reader would sign under: their own, as Plh/Plt where they would sign as one,
    when they may take the signing step; otherwise the Camat's (not signed)."""
    subject = SUBJECTS[subject_name]
    draft = subject.draw(entity)
    signature = _draft_signature(subject, entity, user)
    external = db.session.scalars(select(LetterExternalNumber.number).where(
        LetterExternalNumber.subject_type == subject_name, LetterExternalNumber.subject_id == entity.id)).first()
    return render(draft.content, signature, issued_at=utcnow(), number=None, draft_number=external)


def _draft_signature(subject: Subject, entity, user) -> Signature:
    if subject.signing_step:
        from ..workflow.engine import available
        signing = next((a for a in available(entity, user) if a.trigger == subject.signing_step and not a.blocked
                        and a.applies), None)
        if signing is not None:
            return signature_of(user, signing.delegation)
    from ..accounts.models import User, UserRole
    camat = db.session.scalars(select(User).join(UserRole, UserRole.user_id == User.id)
                               .where(UserRole.role == "camat", User.active.is_(True)).order_by(User.id)
                               .limit(1)).first()
    return (Signature(title=camat.position or "Camat", name=camat.full_name, nip=camat.nip or "")
            if camat else Signature(title="Camat", name="................................"))


def issue(subject_name: str, entity, ctx) -> Letter:
    """Inside a sign step: draw a number, render, sign with the actor's certificate, store, audit.

    Runs in the step's transaction: a refusal (no certificate, wrong passphrase) raises Invalid before
    anything is signed, and any failure rolls back the number with the step."""
    subject = SUBJECTS[subject_name]
    actor = ctx.actor
    the_signer = signer()
    try:
        the_signer.certificate(actor)  # opens the key: a missing file or wrong passphrase stops here
    except SigningRefused as refused:
        raise Invalid(refused.message, code="certificate") from None
    draft = subject.draw(entity)
    now = ctx.now
    year = to_wib(now).year
    external = db.session.scalars(select(LetterExternalNumber).where(
        LetterExternalNumber.subject_type == subject_name, LetterExternalNumber.subject_id == entity.id)).first()
    if external is not None:
        try:
            number = register.check_external(external.number, (subject_name, entity.id))
        except register.NumberRefused as refused:
            raise Invalid(str(refused), code="letter_number") from None
        serial = None
        db.session.delete(external)
    else:
        serial, number = register.next_number(draft.classification, year)
    code = register.new_check_code()
    signature = signature_of(actor, ctx.delegation)
    pdf = render(draft.content, signature, issued_at=now, number=number, check_url=check_url(code),
                 check_code=code)
    try:
        signed = the_signer.sign(pdf, actor, reason=f"{draft.kind_name} nomor {number}",
                                 location=current_app.config["LETTER_PLACE"])
    except SigningRefused as refused:
        raise Invalid(refused.message, code="certificate") from None
    digest = hashlib.sha256(signed).hexdigest()
    letter = Letter(number=number, year=year, serial=serial, external=external is not None,
                    classification=draft.classification, check_code=code, subject_type=subject_name,
                    subject_id=entity.id, subject_label=draft.label, holder_masked=mask_name(draft.holder),
                    kind=draft.kind, kind_name=draft.kind_name,
                    signer_id=actor.id, signer_name=actor.full_name, signer_nip=actor.nip or "",
                    signed_as=signature.title, issued_at=now, pdf=signed, sha256=digest, size=len(signed),
                    status="valid")
    db.session.add(letter)
    db.session.flush()
    ctx.change("letter_number", None, number)
    ctx.change("letter_external_number", None, True if external is not None else None)
    ctx.change("letter_sha256", None, digest)
    ctx.change("letter_id", None, letter.id)
    return letter


def record_type(subject_name: str) -> str:
    """The subject type a letter's record carries in the log (an enrolment, not "training_certificate")."""
    subject = SUBJECTS.get(subject_name)
    return (subject.audit_type if subject else None) or subject_name


def record_external_number(subject_name: str, entity, actor, number: str) -> LetterExternalNumber | None:
    """Before signing: the letter takes a number from an outside register (empty: our own register).
    Audited on the record, beside its signing (its history and /audit/'s search by the number show it)."""
    row = db.session.scalars(select(LetterExternalNumber).where(
        LetterExternalNumber.subject_type == subject_name, LetterExternalNumber.subject_id == entity.id)).first()
    before = row.number if row else None
    if not (number or "").strip():
        if row is not None:
            db.session.delete(row)
        after = None
    else:
        try:
            after = register.check_external(number, (subject_name, entity.id))
        except register.NumberRefused as refused:
            db.session.rollback()
            audit.refused("letter.external_number", actor=actor, subject_type=record_type(subject_name),
                          subject_id=entity.id, reason=f"[input:number] {refused}")
            raise LetterRefused(str(refused)) from None
        if row is None:
            row = LetterExternalNumber(subject_type=subject_name, subject_id=entity.id, number=after,
                                       recorded_by_id=actor.id)
            db.session.add(row)
        else:
            row.number, row.recorded_by_id, row.recorded_at = after, actor.id, utcnow()
    if before != after:  # a signature page opened before shows another number: it is out of date now
        _outdate(entity)
    audit.record("letter.external_number", actor=actor, subject_type=record_type(subject_name),
                 subject_id=entity.id, changes=audit.diff({"number": before}, {"number": after}))
    db.session.commit()
    return row if after else None


def letters_of(subject_name: str, subject_id: int) -> list[Letter]:
    return list(db.session.scalars(select(Letter).where(Letter.subject_type == subject_name,
                                                        Letter.subject_id == subject_id).order_by(Letter.id)))


def can_read(user, letter: Letter) -> bool:
    subject = SUBJECTS.get(letter.subject_type)
    if subject is None:
        return False
    entity = subject.load(letter.subject_id)
    return entity is not None and subject.can_view(user, entity)


def pdf_of(letter_id: int) -> Letter | None:
    from sqlalchemy.orm import undefer
    return db.session.scalars(select(Letter).where(Letter.id == letter_id).options(undefer(Letter.pdf))).first()


def _locked(letter: Letter) -> Letter:
    """The letter's record, then the letter, locked to the end of the transaction and read again: a recall,
    revocation or replacement of it at the same moment waits for this one, then finds the letter as this
    one left it (already revoked: refused). Two replacements made two valid letters on PostgreSQL."""
    subject = SUBJECTS.get(letter.subject_type)
    if subject is not None and subject.model is not None:
        lock_row(subject.model, letter.subject_id)
    return lock_row(Letter, letter.id)


def may_replace(subject_name: str, entity, user) -> bool:
    """Whether `user` may replace a letter of this record by one they sign (see Subject.signing_step)."""
    try:
        _replacement_signer(SUBJECTS[subject_name], entity, user)
    except NotAllowed:
        return False
    return True


def _replacement_signer(subject: Subject, entity, actor) -> None:
    """Raises NotAllowed unless `actor` may sign a replacement of the record's letter in their own right."""
    if subject.signing_step is None or entity is None:
        if not actor.has_role("camat"):
            raise NotAllowed(_("Only the Camat may revoke a letter."), code="role")
        return
    own_authority(entity, subject.signing_step, actor)


def revokes_for(user):
    """Whose authority lets `user` revoke a signed letter: their own as Camat (None), a Camat's whose vacant
    office they hold as Plt (that Camat), or nobody's (False). A Plh stands in for someone away for a while
    and revokes nothing; a Plt is the office until a Camat is appointed (a wrong letter stayed valid)."""
    if user.has_role("camat"):
        return None
    from ..accounts.models import active_delegations
    return next((d.principal for d in active_delegations(user)
                 if d.kind == "plt" and d.principal.has_role("camat")), False)


def _may_revoke(letter: Letter, actor, password: str, reason: str, action: str, entity=None) -> str:
    """The reason, once the Camat (for a replacement: its signer, `entity` the record) may revoke the letter
    now (`letter` locked); every refusal is in the log."""
    def refuse(message, status=422, code="input:revoke"):
        audit.refused(action, actor=actor, subject_type="letter", subject_id=letter.id, reason=f"[{code}] {message}")
        raise LetterRefused(message, status)
    if action == "letter.reissue" and letter.subject_type in SUBJECTS:
        try:
            _replacement_signer(SUBJECTS[letter.subject_type], entity, actor)
        except NotAllowed as refused:
            refuse(str(refused.message), 403, refused.code)
    elif revokes_for(actor) is False:
        refuse(_("Only the Camat (or the Plt of a vacant Camat's office) may revoke a letter."), 403, "role")
    reason = (reason or "").strip()
    if not reason:
        refuse(_("A reason is required to revoke a letter."))
    fault = actor.password_fault(password)
    if fault:
        refuse(fault, code="reauth")
    if letter.status == "revoked":
        from ..accounts.models import User
        by = db.session.get(User, letter.revoked_by_id) if letter.revoked_by_id else None
        refuse(_("This letter was already revoked by %(name)s on %(when)s.", name=by.full_name if by else "-",
                 when=wib_text(letter.revoked_at)) if letter.revoked_at else _("This letter was already revoked."),
               409, "input:conflict")
    return reason


def _outdate(entity) -> None:
    """A page of the letter's record opened before shows another letter, or number, now: a step taken from it
    is refused as out of date (a recall from it revoked the replacement it never showed)."""
    if entity is not None:
        version = spec_for(entity).version_attr
        setattr(entity, version, getattr(entity, version) + 1)


def mark_revoked(letter: Letter, actor, reason: str) -> None:
    """Mark it revoked; the caller audits it (revoke, reissue, or a step of the letter's record: a recall)."""
    letter.status, letter.revoked_at, letter.revoked_by_id, letter.revoke_reason = "revoked", utcnow(), actor.id, reason


def revoke(letter: Letter, actor, *, password: str, reason: str) -> Letter:
    """Only the Camat (or a Plt in his vacant office: `revokes_for`) revokes, confirming with the password and
    giving a reason; audited."""
    letter = _locked(letter)
    reason = _may_revoke(letter, actor, password, reason, "letter.revoke")
    subject = SUBJECTS.get(letter.subject_type)
    entity = subject.load(letter.subject_id) if subject and subject.unrevocable_alone else None
    why = subject.unrevocable_alone(entity) if entity is not None else None
    if why:
        audit.refused("letter.revoke", actor=actor, subject_type="letter", subject_id=letter.id,
                      reason=f"[replace_only] {why}")
        raise LetterRefused(why, 409)
    mark_revoked(letter, actor, reason)
    entity = entity if entity is not None else (subject.load(letter.subject_id) if subject else None)
    _outdate(entity)
    if entity is not None and subject.revoked is not None:
        subject.revoked(entity, letter, None, actor)
    audit.record("letter.revoke", actor=actor, acting_for=revokes_for(actor), subject_type="letter",
                 subject_id=letter.id, comment=reason,
                 changes={"status": ["valid", "revoked"], "number": [None, letter.number]})
    db.session.commit()
    return letter


def reissue(letter: Letter, actor, *, password: str, reason: str) -> Letter:
    """A correction is a new letter: signed by the Camat from the record's current data, with a new
    number; the old letter is revoked in the same transaction, both audited in one event."""
    from ..workflow.engine import Context, guard_refusal
    letter = _locked(letter)
    subject = SUBJECTS.get(letter.subject_type)
    entity = subject.load(letter.subject_id) if subject else None
    reason = _may_revoke(letter, actor, password, reason, "letter.reissue", entity)
    if entity is None:
        raise LetterRefused(_("The record of this letter no longer exists."), 404)
    blocked = guard_refusal(entity, subject.signing_step, actor) if subject.signing_step else None
    if blocked:
        audit.refused("letter.reissue", actor=actor, subject_type="letter", subject_id=letter.id,
                      reason=f"[guard] {blocked}")
        raise LetterRefused(blocked)
    ctx = Context(actor=actor, acting_for=None, delegation=None, comment=reason, data={}, now=utcnow())
    try:
        new = issue(letter.subject_type, entity, ctx)
    except Invalid as refused:
        audit.refused("letter.reissue", error=refused, actor=actor, subject_type="letter", subject_id=letter.id)
        raise LetterRefused(refused.message) from None
    mark_revoked(letter, actor, f"Diganti dengan surat nomor {new.number}. {reason}")
    if subject.reissued is not None:
        subject.reissued(entity, new, ctx)
    _outdate(entity)
    if subject.revoked is not None:
        subject.revoked(entity, letter, new, actor)
    audit.record("letter.reissue", actor=actor, subject_type="letter", subject_id=letter.id, comment=reason,
                 changes={"status": ["valid", "revoked"], "number": [None, letter.number],
                          "replaced_by": [None, new.number], **ctx.changes})
    db.session.commit()
    return new


def register_page(year: int | None, before: int | None) -> tuple[list[Letter], int | None, list[int]]:
    """One page of the register, newest first; the id to continue from; the years on record."""
    stmt = select(Letter)
    if year:
        stmt = stmt.where(Letter.year == year)
    page = keyset_page(stmt, Letter.id, before, size=PAGE_SIZE, descending=True)
    years = list(db.session.scalars(select(Letter.year).group_by(Letter.year).order_by(Letter.year.desc())))
    return page.rows, page.next_key, years


def openable_records(user, letters) -> set[tuple[str, int]]:
    """(subject type, id) of the letters' records this user may open: one question per area, each
    area answering by its own rule for who may see its records."""
    ids: dict[str, set[int]] = {}
    for letter in letters:
        ids.setdefault(letter.subject_type, set()).add(letter.subject_id)
    found = set()
    for name, wanted in ids.items():
        subject = SUBJECTS.get(name)
        if subject is not None and subject.openable is not None:
            found.update((name, i) for i in subject.openable(user, wanted))
    return found


def find_by_code(raw: str) -> Letter | None:
    code = register.normalise_check_code(raw)
    if not code:
        return None
    return db.session.scalars(select(Letter).where(Letter.check_code == code)).first()


def matches(letter: Letter, data: bytes) -> bool:
    """Is the upload byte for byte the issued letter? Hashed in memory, never stored."""
    return hashlib.sha256(data).hexdigest() == letter.sha256


def count() -> int:
    return db.session.scalar(select(func.count()).select_from(Letter)) or 0
