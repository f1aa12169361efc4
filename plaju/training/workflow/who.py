"""Who takes the steps of the training workflows: the enrolled ASN, their direct supervisor (or HR when
the supervisor has left), the Camat, HR (or the Sekcam, else the Camat, for HR's own training), a course's
organiser and its certificate signer.

Each rule also names the people it stands for (`names`, the to-do assignments) and how the page calls
them (`label`); see plaju.workflow.spec.Who."""
from datetime import timedelta

from sqlalchemy import select

from ...accounts.models import ROLES, User, UserRole
from ...extensions import db
from ...i18n import gettext as _
from ...i18n import lazy_gettext as _l
from ...workflow import roles
from ...workflow.spec import Who, relation


def _active_supervisor_id(enrolment) -> int | None:
    """The enrolled ASN's direct supervisor while that person is active; None once they have left."""
    supervisor = enrolment.user.supervisor if enrolment.user is not None else None
    return supervisor.id if supervisor is not None and supervisor.active else None


def _is_supervisor(user, enrolment) -> bool:
    return _active_supervisor_id(enrolment) == user.id


def _no_active_supervisor(enrolment) -> bool:
    """The recorded supervisor has left (account deactivated). Not a blank supervisor: whoever keeps the
    records (HR) could otherwise clear it and approve the request himself."""
    supervisor = enrolment.user.supervisor if enrolment.user is not None else None
    return supervisor is not None and not supervisor.active


def _is_enrolled(user, enrolment) -> bool:
    return enrolment.user_id == user.id


def _supervisor_label(enrolment) -> str | None:
    supervisor = enrolment.user.supervisor if enrolment.user else None
    if supervisor is None:
        return _("direct supervisor")
    if not supervisor.active:
        return None  # HR stands in (SUPERVISOR_OR_HR)
    return _("direct supervisor (%(name)s)", name=supervisor.full_name)


def deciding(enrolment) -> str:
    """Who approves or declines `enrolment` (SUPERVISOR_OR_HR), as the ASN's news names them."""
    if _no_active_supervisor(enrolment):
        return _("HR (Kepegawaian), as your supervisor has left")
    supervisor = enrolment.user.supervisor if enrolment.user else None
    return _("your supervisor %(name)s", name=supervisor.full_name) if supervisor else _("your supervisor")


def _enrolled_label(enrolment) -> str:
    return _("the ASN (%(name)s)", name=enrolment.user.full_name) if enrolment.user else _("the ASN")


# The direct supervisor decides while they are active. When they leave (account deactivated) and nobody
# has been named in their place, HR (Kepegawaian) decides instead: HR keeps the people records and is the
# one desk that can also name the new supervisor; `accounts.people.save_user` refreshes the assignments
# (refresh_assignments_for_user), so open requests move to HR at once and on to the new supervisor later.
DIRECT_SUPERVISOR = relation(_is_supervisor, "direct supervisor of the enrolled ASN",
                             names=lambda e: [_active_supervisor_id(e)], label=_supervisor_label)
SUPERVISOR_OR_HR = DIRECT_SUPERVISOR | roles("hr").when(
    _no_active_supervisor, "the enrolled ASN has no active direct supervisor",
    label=lambda e: _("HR (Kepegawaian), the direct supervisor has left") if _no_active_supervisor(e) else None)
ENROLLED_ASN = relation(_is_enrolled, "the enrolled ASN", names=lambda e: [e.user_id], label=_enrolled_label)
# each sign-off step names who waits only for the courses it applies to
CAMAT_ROUTINE = roles("camat").when(lambda e: e.course.routine, "routine course",
                                    label=lambda e: _("Camat or Plh/Plt Camat") if e.course.routine else None)
CAMAT_SPECIAL = roles("camat").when(lambda e: not e.course.routine, "non-routine course",
                                    label=lambda e: None if e.course.routine else _("Camat"))
HR = roles("hr")

# Who verifies reported evidence, in turn: HR; when no HR account but the reporter's own is active (the
# office's one HR reports their own training), the Sekcam; failing that the Camat. Four eyes keeps the
# reporter out at every turn, so a report never waits for nobody. By role, as HR's to-dos always were: when
# someone gains or loses one of these roles, the waiting reports move at once (Spec.reroute_on_roles).
VERIFYING_ROLES = ("hr", "sekcam", "camat")


def _verifying_holders() -> list[tuple[int, str]]:
    """(user id, role) of every active holder of a verifying role. One statement."""
    return db.session.execute(select(UserRole.user_id, UserRole.role).join(User, User.id == UserRole.user_id)
                              .where(User.active.is_(True), UserRole.role.in_(VERIFYING_ROLES))).all()


# whoever set an account's password (a reset, a new account) could sign in as its holder until he changed it,
# and choose the next one: for this long he does not verify the training that account reports
PASSWORD_SET_WATCH = timedelta(days=30)


def note_password_setter(enrolment, now, ctx=None) -> None:
    """When a report is made: keep who set the reporter's password in the 30 days before. Kept for good, so a
    second reset after the report (which also locks the ASN back in) does not let him verify it; the step's
    event names him (`ctx`), so the log says why he may not."""
    user = enrolment.user
    if (enrolment.password_setter_id is None and user is not None and user.password_set_at is not None
            and user.password_set_by_id not in (None, user.id) and now - user.password_set_at <= PASSWORD_SET_WATCH):
        enrolment.password_setter_id = user.password_set_by_id
        if ctx is not None:
            ctx.change("password_setter_id", None, user.password_set_by_id)


def password_setter(enrolment) -> list[int]:
    """[who set the reporter's password just before the report]: he could have made it himself (HR reset an
    ASN's password, reported a made-up certificate as him and credited it)."""
    return [enrolment.password_setter_id] if enrolment.password_setter_id is not None else []


NOT_THE_PASSWORD_SETTER = dict(
    not_by=password_setter,
    not_by_reason=_l("You set this ASN's password shortly before the report was made, so you could have made it "
                     "yourself: another official verifies it (four-eyes rule)."))


def _verifying_role_among(holders, kept_out) -> str:
    return next((role for role in VERIFYING_ROLES
                 if any(r == role and uid not in kept_out for uid, r in holders)), VERIFYING_ROLES[-1])


def _kept_out(enrolment) -> set:
    """Who may not verify the report: the reporter, and whoever set his password just before (the next
    role verifies when nobody else holds one)."""
    return {enrolment.user_id, *password_setter(enrolment)}


def verifying_role(enrolment) -> str:
    """The role whose holders verify `enrolment`'s evidence now (a list page read it for its rows at once)."""
    hinted = getattr(enrolment, "_inbox_hints", {}).get("verifying_role")
    return hinted if hinted is not None else _verifying_role_among(_verifying_holders(), _kept_out(enrolment))


def prefetch_verifying_roles(enrolments) -> None:
    """Who verifies each row of a page awaiting verification, in one statement: kept as the rows' hints."""
    waiting = [e for e in enrolments if e.state == "completed"]
    if waiting:
        holders = _verifying_holders()
        for e in waiting:
            e.__dict__.setdefault("_inbox_hints", {})["verifying_role"] = _verifying_role_among(holders, _kept_out(e))


def _verifier(role: str, description: str, label) -> Who:
    return roles(role).when(lambda e: verifying_role(e) == role, description,
                            label=lambda e: label(e) if verifying_role(e) == role else None)


def _instead(role: str, enrolment) -> str:
    """Who verifies instead of HR, and why: HR's own report, or the HR who set the reporter's password."""
    if password_setter(enrolment):
        return _("%(office)s (the HR who set this ASN's password shortly before the report does not verify it)",
                 office=ROLES[role])
    if role == "camat":
        return _("Camat (neither another HR account nor a Sekretaris Camat is active)")
    return _("Sekretaris Camat (no other HR account is active)")


VERIFIER = (_verifier("hr", "another HR account is active", lambda e: str(ROLES["hr"]))
            | _verifier("sekcam", "no other HR may verify it", lambda e: _instead("sekcam", e))
            | _verifier("camat", "no other HR nor a Sekcam may verify it", lambda e: _instead("camat", e)))


def _is_organiser(user, enrolment) -> bool:
    return enrolment.course.organiser_id is not None and enrolment.course.organiser_id == user.id


def named_signer(enrolment):
    """The certificate signer the course names, while they are in the office: one who has left signs
    nothing, and the Camat signs (and replaces) its certificates instead of nobody."""
    if enrolment.course.certificate_signer_id is None:
        return None
    signer = enrolment.course.certificate_signer
    return signer if signer is not None and signer.active else None


def _signer_label(enrolment) -> str | None:
    signer = named_signer(enrolment)
    return None if signer is None else _("certificate signer (%(name)s)", name=signer.full_name)


# A course the office runs itself: HR or the course's own organiser records attendance and closes it;
# its certificates are signed by the official the course names, else by the Camat (or his Plh/Plt).
ORGANISER = HR | relation(_is_organiser, "organiser of the course",
                          names=lambda e: [e.course.organiser_id],
                          label=lambda e: _("organiser (%(name)s)", name=e.course.organiser.full_name)
                          if e.course.organiser is not None else None)
CERTIFICATE_SIGNER = roles("camat").when(
    lambda e: named_signer(e) is None, "the course names no other certificate signer in the office",
    label=lambda e: _("Camat") if named_signer(e) is None else None) | relation(
    lambda u, e: named_signer(e) is not None and e.course.certificate_signer_id == u.id,
    "the certificate signer the course names", names=lambda e: [e.course.certificate_signer_id]
    if named_signer(e) is not None else [], label=_signer_label)
