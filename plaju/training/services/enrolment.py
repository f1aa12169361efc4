"""Enrolling in a course (by the ASN or nominated by the direct supervisor), who may see an enrolment,
and the lists of enrolments: awaiting a person's step, of a team."""
import logging

from flask import url_for
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, lazyload

from ... import once
from ...accounts.models import User
from ...accounts.rules import heads_the_office
from ...audit import record as audit
from ...core.paging import after_key
from ...database import lock_row, utcnow
from ...extensions import db
from ...i18n import gettext as _
from ...timeutil import today_wib
from ...workflow import Invalid, NotAllowed, Refused, available, awaiting_ids, fire, started
from ..evidence import (
    check_certificate,
    check_readable,
    day,
    days_jp_fault,
    file_twice_fault,
    same_training_fault,
)
from ..models import CLOSED_STATES, Course, Enrolment
from ..workflow import AUTOMATIC, ENROLMENT_FLOW, course_over, deadline_passed, record_certificate, seats_taken
from ..workflow.twins import refresh_twins
from ..workflow.who import note_password_setter
from .common import STAFF, lock_course, refuse

log = logging.getLogger(__name__)


def can_nominate(actor, user) -> bool:
    return user.supervisor_id == actor.id


def course_closed(course: Course) -> str | None:
    """Why nobody can enrol in `course` now (not offered, no modules, deadline, over, full), or None: the
    page then offers no form at all, not even a supervisor's nomination."""
    if not course.active:
        return _("This course is no longer offered.")
    if course.is_elearning and not course.modules:
        return _("This e-learning course has no modules yet.")
    if deadline_passed(course):
        return _("The enrolment deadline of this course has passed.")
    if course_over(course):
        return _("This course is over: enrol in a later run of it.")
    if course.quota is not None and seats_taken(course.id) >= course.quota:
        return _("The course is full: no seats are left.")
    return None


def enrol_refusal(course: Course, user, actor=None) -> str | None:
    """Why `user` cannot enrol in `course` now, or None. The button and the POST both ask this."""
    closed = course_closed(course)
    if closed:
        return closed
    if user.supervisor_id is None:
        if heads_the_office(user):
            return _("As head of the office you have no direct supervisor here, so a request cannot be approved "
                     "in this system. Report training you attended with its certificate under \"Training "
                     "outside the catalogue\": HR verifies it and credits the JP.")
        return _("%(name)s has no direct supervisor recorded, so nobody can approve the request. "
                 "Ask Kepegawaian to record one.", name=user.full_name)
    existing = db.session.scalar(select(Enrolment.id).where(
        Enrolment.course_id == course.id, Enrolment.user_id == user.id,
        Enrolment.state.not_in(CLOSED_STATES)))
    if existing:
        if actor is None or actor.id == user.id:
            return _("You are already enrolled in this course.")
        return _("%(name)s is already enrolled in this course.", name=user.full_name)
    return None


def request_enrolment(course: Course, user, actor, motivation: str = "") -> Enrolment:
    """The ASN asks for a seat, or their direct supervisor nominates them. Checked under a lock of the
    course row, so a double click or two nominations at once create one enrolment."""
    course_id, user_id = course.id, user.id
    # a refusal names the person and the course, as the enrolment's own event would: HR asks whom a
    # supervisor tried to enrol, in what (the person's filter of the log finds it)
    action = "enrolment.request" if actor.id == user_id else "enrolment.nominate"
    tried = {"subject_type": "user", "subject_id": user_id,
             "changes": {"course": [None, course.title], "asn": [None, user.full_name]}}
    if actor.id != user_id and not can_nominate(actor, user):
        refuse(NotAllowed(_("Only the ASN or their direct supervisor may enrol them."), code="role"),
               action, actor, **tried)
    db.session.rollback()
    try:
        course = lock_course(course_id)
        user = db.session.get(User, user_id)
        message = enrol_refusal(course, user, actor)
        if message:
            raise Invalid(message, code="enrol")
        enrolment = Enrolment(course_id=course.id, user_id=user.id, motivation=(motivation or "").strip(),
                              nominated_by_id=None if actor.id == user.id else actor.id)
        db.session.add(enrolment)
        db.session.flush()
        audit.record("enrolment.nominate" if enrolment.nominated_by_id else "enrolment.request",
                     actor=actor, subject_type="enrolment", subject_id=enrolment.id, to_state="requested",
                     comment=enrolment.motivation or None,
                     changes={"course": [None, course.title], "asn": [None, user.full_name]})
        # the supervisor is told by the notifications from assignments (plaju.notify.assignments)
        started(enrolment, actor)
        db.session.commit()
    except Invalid as error:
        refuse(error, action, actor, **tried)
    if enrolment.nominated_by_id:
        enrolment = _approve_nomination(enrolment, actor)
    return enrolment


def _approve_nomination(enrolment, supervisor) -> Enrolment:
    """A nomination is the direct supervisor's approval: take the `approve` step through the engine at
    once, so the seat and deadline guards apply and the audit trail shows the step. Nobody else could
    approve it (only the direct supervisor approves), so it is never left waiting on its nominator.
    Should the step be refused (the last seat went in between), the enrolment stays requested and the
    supervisor may approve it once a seat is free."""
    try:
        return fire(enrolment, "approve", supervisor, expected_version=enrolment.version,
                    comment=_("Approved by nominating."))
    except Refused as refusal:
        log.info("nomination %s stays requested: %s", enrolment.id, refusal.message)
        db.session.expire_all()
        return db.session.get(Enrolment, enrolment.id)


def actions_for(enrolment, actor):
    """Buttons for the enrolment page: every step the actor may take, minus the automatic ones and those that
    never apply to this kind of course (e.g. taking back a report of outside training, for a catalogue one)."""
    return [a for a in available(enrolment, actor) if a.trigger not in AUTOMATIC and a.applies]


DECISION_STATES = ("requested", "approved")  # the supervisor approves, then the Camat signs off
TEAM_LIMIT = 20


def decision_context(enrolment, actions) -> dict | None:
    """What the person deciding weighs (issue 11): the ASN's JP credited this year, the cost, and what
    else the ASN's team (same unit) has booked on overlapping days. Only while a decision is pending
    and this actor may take it; three statements."""
    if enrolment.state not in DECISION_STATES or not any(a.step.todo for a in actions):
        return None
    from .tally import jp_earned
    course, person = enrolment.course, enrolment.user
    year = (course.starts_on or today_wib()).year
    clashes = []
    if course.starts_on and person.unit_id:
        ends = course.ends_on or course.starts_on
        clashes = list(db.session.execute(
            select(User.full_name, Course.title, Course.starts_on, Course.ends_on)
            .join(Enrolment, Enrolment.user_id == User.id).join(Course, Course.id == Enrolment.course_id)
            .where(User.unit_id == person.unit_id, Enrolment.id != enrolment.id,
                   Enrolment.state.not_in(CLOSED_STATES), Course.starts_on.is_not(None),
                   Course.starts_on <= ends, func.coalesce(Course.ends_on, Course.starts_on) >= course.starts_on)
            .order_by(Course.starts_on, User.full_name).limit(TEAM_LIMIT)).all())
    return {"year": year, "jp": jp_earned([person.id], year)[person.id], "fee": course.fee, "clashes": clashes}


def can_view_enrolment(enrolment, user) -> bool:
    if enrolment.user_id == user.id or enrolment.user.supervisor_id == user.id:
        return True
    if user.has_role(*STAFF):
        return True
    return bool(available(enrolment, user))

def awaiting(user, after: int | None = None, limit: int | None = None) -> list[Enrolment]:
    """Other people's enrolments waiting for this user's step (the engine's assignments, Plh/Plt included):
    the approvals. Their own next steps are on their own list. The oldest first; `after` (an enrolment id)
    and `limit` page through them by keyset."""
    stmt = after_key(select(Enrolment).options(joinedload(Enrolment.user).lazyload(User.role_rows))
                     .where(Enrolment.id.in_(awaiting_ids(user, ENROLMENT_FLOW.name)),
                            Enrolment.user_id != user.id),
                     Enrolment.id, after, lead=(Enrolment.created_at,))
    if limit is not None:
        stmt = stmt.limit(limit)
    return list(db.session.scalars(stmt))


def awaiting_counts(user) -> dict[str, int]:
    """How many of other people's enrolments wait for this user (`awaiting`), per state, in one statement."""
    rows = db.session.execute(select(Enrolment.state, func.count()).where(
        Enrolment.id.in_(awaiting_ids(user, ENROLMENT_FLOW.name)), Enrolment.user_id != user.id)
        .group_by(Enrolment.state)).all()
    return {state: int(n) for state, n in rows}


def count_awaiting(user, state: str | None = None) -> int:
    counts = awaiting_counts(user)
    return sum(counts.values()) if state is None else counts.get(state, 0)


APPROVER_ROLES = ("hr", "camat")  # the roles a training step names (who.py); the rest decide by relation


def approves_any(user) -> bool:
    """Whether the approvals list can ever hold something for this user: a role a step names, a team to
    decide for, or a row waiting now (a Plh/Plt, a course's organiser or certificate signer). Plain ASN
    are not shown an empty list they have no part in."""
    if user.has_role(*APPROVER_ROLES) or has_team(user):
        return True
    return db.session.scalar(select(Enrolment.id).where(
        Enrolment.id.in_(awaiting_ids(user, ENROLMENT_FLOW.name)), Enrolment.user_id != user.id).limit(1)) is not None


def team_of(user, offset: int = 0, limit: int | None = None) -> list[User]:
    stmt = (select(User).where(User.supervisor_id == user.id, User.active.is_(True))
            .order_by(User.full_name, User.id).offset(offset))
    if limit is not None:
        stmt = stmt.limit(limit)
    return list(db.session.scalars(stmt))


def has_team(user) -> bool:
    return db.session.scalar(select(User.id).where(User.supervisor_id == user.id, User.active.is_(True))
                             .limit(1)) is not None


def enrolments_of(user_ids, states=None) -> dict[int, list[Enrolment]]:
    """Enrolments of these people, newest first; `enrolment.user` is not loaded with them (the lists
    know whose they are), so the statements do not depend on who has enrolments."""
    out = {uid: [] for uid in user_ids}
    stmt = (select(Enrolment).options(lazyload(Enrolment.user)).where(Enrolment.user_id.in_(list(user_ids)))
            .order_by(Enrolment.created_at.desc()))
    if states is not None:
        stmt = stmt.where(Enrolment.state.in_(list(states)))
    for e in db.session.scalars(stmt):
        out[e.user_id].append(e)
    return out



# --- training outside the catalogue ----------------------------------------------------------------

def external_faults(user, values: dict, stored, file_fault: str | None = None) -> dict:
    """Every fault of a report of training outside the catalogue at once, field -> message (the form's
    names): the dates, the certificate's facts, the JP its days can hold, a training of the same title on those
    days already among theirs (`evidence.same_training_fault`) and the file (none, refused as it
    was sent: `file_fault`, blank or unreadable, or one this person already reported). The ASN corrects the
    form in one go, and chooses the file again once, not once per fault. A value the form could not read
    (None) is left to the form's own message."""
    faults: dict = {}

    def fault(name, message):
        if message:
            faults[name] = " ".join(filter(None, (faults.get(name), str(message))))
    today = today_wib()
    starts, ends, jp = values.get("starts_on"), values.get("ends_on"), values.get("certificate_jp")
    if file_fault:
        fault("evidence", file_fault)
    elif stored is None:
        fault("evidence", _("Upload the certificate or STTPP as evidence."))
    else:
        try:
            check_readable(stored.name, stored.mime)
        except Invalid as unreadable:
            fault("evidence", unreadable.message)
        fault("evidence", file_twice_fault(user.id, stored.sha256))
    if starts and ends and ends < starts:
        fault("ends_on", _("The end date is before the start date."))
    elif ends and ends > today:
        fault("ends_on", _("Completion can be reported from %(date)s, the last day of the course.", date=day(ends)))
    elif starts and ends and jp:  # JP the days could not hold (a JP is 45 minutes)
        fault("certificate_jp", days_jp_fault(user.id, starts, ends, jp))
    if starts and ends and starts <= ends:  # the same training again, under another number and scan
        fault("title", same_training_fault(user.id, values.get("title"), starts, ends))
    # outside the catalogue the certificate is the only source of the JP (the form asks it once)
    course = Course(jp=jp, starts_on=starts, ends_on=ends)
    try:
        check_certificate(course, {"number": values.get("certificate_number"), "date": values.get("certificate_date"),
                                   "issuer": values.get("certificate_issuer"), "jp": jp}, today, holder_id=user.id)
    except Invalid as certificate:
        for name, message in certificate.faults.items():
            fault(name, message)
    return faults


def report_external(user, values: dict, stored, once_token: str | None = None,
                    file_fault: str | None = None) -> Enrolment:
    """Training done elsewhere (another agency's course, a national LMS), reported by the ASN with its
    certificate: a course kept out of the catalogue and an enrolment that starts completed, so HR
    verifies it like any other (the same facts, the same checks, the same page). Refused with every fault
    at once (`external_faults`, the Invalid's `faults`)."""
    try:
        token = once.claim_if_given(user, once_token)
        # one report of a certificate at a time per person: two tabs sending the same one cannot both pass
        lock_row(User, user.id)
        faults = external_faults(user, values, stored, file_fault)
        if faults:
            raise Invalid(" ".join(faults.values()), code=next(iter(faults)), faults=faults)
        course = Course(title=values["title"].strip(), kind=values["kind"], method=values["method"],
                        jp=values["certificate_jp"], provider=(values.get("certificate_issuer") or "").strip()[:120],
                        starts_on=values["starts_on"], ends_on=values["ends_on"], quota=None, active=False,
                        external=True)
        certificate = check_certificate(course, {
            "number": values.get("certificate_number"), "date": values.get("certificate_date"),
            "issuer": values.get("certificate_issuer"), "jp": values.get("certificate_jp")}, today_wib(),
            holder_id=user.id)
        db.session.add(course)
        db.session.flush()
        enrolment = Enrolment(course_id=course.id, user_id=user.id, state="completed", completed_at=utcnow(),
                              evidence_name=stored.name, evidence_original=stored.original_name,
                              evidence_mime=stored.mime, evidence_sha256=stored.sha256)
        record_certificate(enrolment, certificate)
        enrolment.user = user
        note_password_setter(enrolment, enrolment.completed_at)
        db.session.add(enrolment)
        db.session.flush()
        if token is not None:
            once.complete(token, url_for("training.enrolment", enrolment_id=enrolment.id))
        audit.record("enrolment.report_external", actor=user, subject_type="enrolment", subject_id=enrolment.id,
                     to_state="completed", changes=audit.diff(None, {
                         "course": course.title, "certificate_number": certificate.number,
                         "certificate_date": certificate.date, "certificate_issuer": certificate.issuer,
                         "certificate_jp": certificate.jp, "evidence": stored.original_name,
                         "evidence_sha256": stored.sha256,  # the file's fingerprint: HR proves a twin
                         # who set his password just before, and so does not verify it (who.password_setter)
                         **({"password_setter_id": enrolment.password_setter_id}
                            if enrolment.password_setter_id else {})}))
        started(enrolment, user)  # HR's verification is the to-do now
        refresh_twins(enrolment)  # the reports holding the same certificate now ask HR's reason too
        db.session.commit()
        return enrolment
    except Invalid as error:
        refuse(error, "enrolment.report_external", user, changes=typed_report(values, stored))


def typed_report(values: dict, stored) -> dict:
    """What a refused report said, for its trace: HR reads what someone tried to have credited (999 JP, a
    number already used), not only that a form was refused."""
    typed = {"course": values.get("title"), "certificate_number": values.get("certificate_number"),
             "certificate_date": values.get("certificate_date"), "certificate_issuer": values.get("certificate_issuer"),
             "certificate_jp": values.get("certificate_jp"),
             "evidence": getattr(stored, "original_name", None), "evidence_sha256": getattr(stored, "sha256", None)}
    return audit.diff(None, {name: str(value).strip()[:200] if isinstance(value, str) else value
                             for name, value in typed.items() if value not in (None, "")})


def refuse_report(user, values: dict, stored, faults: dict) -> None:
    """The trace of a report the form itself refused (a JP of 0 or 999, a date that is none), with what it
    said, as the service's own refusals have (the after-request trace would keep the messages alone)."""
    audit.refused("enrolment.report_external", actor=user, subject_type="enrolment",
                  reason="[input:" + (next(iter(faults), "") or "form") + "] " + " ".join(map(str, faults.values())),
                  changes=typed_report(values, stored))
