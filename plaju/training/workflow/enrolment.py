"""The enrolment of an ASN in a course, from the request to the JP credited.

Enrolment: requested (by the ASN, or nominated by the supervisor) -> approved by the direct supervisor
(quota and deadline are guards; the last seat is re-counted under a lock of the course row) -> signed
off by the Camat, or by a Plh/Plt when the course is routine -> in progress -> completed with evidence
(an uploaded certificate/STTPP, or e-learning finished) -> verified by HR, which credits the JP.
Side exits: declined (reason), withdrawn, not completed.

A nomination is the supervisor's approval. Only the direct supervisor approves a request, so a request
the supervisor made themselves could otherwise be approved by its own author (no four-eyes) or, were
the nominator an owner, by nobody at all. Nominating therefore fires `approve` through the engine at
once, as the nominator (the seat and deadline guards apply, the audit trail shows the step), and the
Camat's sign-off is the second pair of eyes. An ASN without a direct supervisor cannot request
training: nobody could approve it.

A course the office runs itself (`Course.internal`) ends with the office's own certificate instead of
evidence for HR: its guards, attendance and certificate are in internal_course.py.

E-learning completes itself: when the ASN finishes the last module (and passes the quiz), the service
fires `complete_elearning` (`complete_internal_elearning` for the office's own course) as that ASN.
The step's guard checks the progress, so nobody can take it early, and the audit trail shows it as the
ASN's own step with an explanatory comment.
"""
from sqlalchemy import func, select

from ...core.urls import path_by_id
from ...database import lock_row
from ...extensions import db
from ...i18n import gettext as _
from ...i18n import lazy_gettext as _l
from ...notify.assignments import News, register_news
from ...timeutil import today_wib
from ...workflow import Invalid, Spec, State, Step, register
from ..evidence import prefetch_twins
from ..models import SEAT_STATES, Course, Enrolment
from ..opened import require_opened
from .credit import credit_of_a_report, credited_last_year, withdraw_credit
from .internal_course import (
    attendance_enough,
    attendance_recorded,
    attesters_and_standing_in_approver,
    internal_classroom,
    is_internal,
    issue_own_certificate,
    not_internal,
    prefetch_attendance,
    training_year,
)
from .queries import deadline_passed, elearning_done, last_day, seats_taken
from .reported import attach_evidence
from .twins import a_twin, no_twin, note_twins, refresh_twins, twin_caution
from .who import (
    CAMAT_ROUTINE,
    CAMAT_SPECIAL,
    CERTIFICATE_SIGNER,
    DIRECT_SUPERVISOR,
    ENROLLED_ASN,
    HR,
    NOT_THE_PASSWORD_SETTER,
    ORGANISER,
    SUPERVISOR_OR_HR,
    VERIFIER,
    deciding,
    note_password_setter,
    prefetch_verifying_roles,
    verifying_role,
)

# steps the system takes on the user's behalf; no button offers them
AUTOMATIC = frozenset({"complete_elearning", "complete_internal_elearning"})


# --- guards (side-effect free) ---------------------------------------------------------------------

def _deadline_open(enrolment, _actor):
    if deadline_passed(enrolment.course):
        return _("The enrolment deadline of this course has passed.")
    return None


def _seat_free(enrolment, _actor):
    course = enrolment.course
    if course.quota is None:
        return None
    # a list page counted the seats of all its rows at once (_prefetch_seats); fire() drops that hint
    taken = getattr(enrolment, "_inbox_hints", {}).get("seats_taken")
    if taken is None:
        taken = seats_taken(course.id, excluding=enrolment.id)
    if taken >= course.quota:
        return _("The course is full: no seats are left.")
    return None


def _still_offered(enrolment, _actor):
    # those already in a course HR took out of the catalogue may still attend it; nobody new joins it
    if not enrolment.course.active and not enrolment.course.external:
        return _("HR (Kepegawaian) took this course out of the catalogue: decline the request, or ask HR to "
                 "offer it again.")
    return None


def _withdrawn_course(enrolment):
    if not enrolment.course.active and not enrolment.course.external:
        return _("HR (Kepegawaian) took this course out of the catalogue: ask HR whether it still takes place "
                 "before signing off.")
    return None


def _credit_twin(enrolment, ctx):
    note_twins(enrolment, ctx)
    _credit_jp(enrolment, ctx)


def _prefetch_seats(enrolments) -> None:
    """Seats taken per course for a page of enrolments in one grouped count, and the attendance of the
    office's own classroom courses in one more, kept on each row."""
    course_ids = {e.course_id for e in enrolments}
    if not course_ids:
        return
    counts = dict(db.session.execute(
        select(Enrolment.course_id, func.count()).where(Enrolment.course_id.in_(course_ids),
                                                        Enrolment.state.in_(SEAT_STATES))
        .group_by(Enrolment.course_id)).all())
    for e in enrolments:
        e._inbox_hints = {"seats_taken": counts.get(e.course_id, 0) - (e.state in SEAT_STATES)}
    # the attendance of the office's own classroom courses, for the `attendance_met` guard: one statement
    prefetch_attendance(enrolments)
    prefetch_verifying_roles(enrolments)  # who verifies the reports awaiting it: one more
    prefetch_twins(enrolments)  # whether a report awaiting HR has a twin: one more, when any holds a certificate


def _not_elearning(enrolment, _actor):
    # an e-learning taken elsewhere (a national LMS) has no modules here: its certificate is the evidence
    if enrolment.course.is_elearning and not enrolment.course.external:
        return _("An e-learning course is completed by finishing its modules and quiz.")
    return None


_not_elearning.structural = True  # depends only on the kind of course: no button, no assignment


def _course_over(enrolment, _actor):
    """Completion is reported once the course has happened: from its last day (as Step.ready_on)."""
    end = last_day(enrolment)
    if end is not None and today_wib() < end:
        from ..evidence import day
        return _("Completion can be reported from %(date)s, the last day of the course.", date=day(end))
    return None


def _is_elearning(enrolment, _actor):
    if not enrolment.course.is_elearning:
        return _("This course is not an e-learning course.")
    return None


_is_elearning.structural = True  # depends only on the kind of course: no button, no assignment


def _elearning_finished(enrolment, _actor):
    if not enrolment.course.modules:
        return _("This e-learning course has no modules yet.")
    done, total, quiz_ok = elearning_done(enrolment)
    if done < total:
        return _("%(done)s of %(total)s modules are done; finish every module first.", done=done, total=total)
    if not quiz_ok:
        return _("Pass the quiz first (pass mark %(mark)s%%).", mark=enrolment.course.effective_pass_mark)
    return None


def _reported_outside(enrolment, _actor):
    if not enrolment.course.external:
        return _("Only a report of training outside the catalogue can be withdrawn before it is verified.")
    return None


_reported_outside.structural = True


def _in_the_catalogue(enrolment, _actor):
    # a returned outside report is back in progress, but it holds no seat: it is withdrawn as a report
    if enrolment.course.external:
        return _("A report of training outside the catalogue is withdrawn with \"Withdraw the report\".")
    return None


_in_the_catalogue.structural = True


# --- effects (inside the engine's transaction) -----------------------------------------------------

def _take_seat(enrolment, ctx):
    """Re-count the seats while holding the course row, so two approvals of the last seat at the same
    moment are decided one after the other: the second sees the first and is refused."""
    course = lock_row(Course, enrolment.course_id)
    if course.quota is not None and seats_taken(course.id, excluding=enrolment.id) >= course.quota:
        raise Invalid(_("The course is full: no seats are left."), code="full")
    ctx.change("approved_by_id", enrolment.approved_by_id, ctx.actor.id)
    enrolment.approved_by_id = ctx.actor.id


def _record_signer(enrolment, ctx):
    ctx.change("signed_by_id", enrolment.signed_by_id, ctx.actor.id)
    enrolment.signed_by_id = ctx.actor.id


def _finish_elearning(enrolment, ctx):
    enrolment.completed_at = ctx.now
    note_password_setter(enrolment, ctx.now, ctx)  # modules and quiz done as the ASN are a report too
    ctx.change("quiz_score", None, enrolment.quiz_score)


def _issue_certificate(enrolment, ctx):
    """The office's own certificate (internal_course), then the JP credited exactly as `verify` credits them."""
    issue_own_certificate(enrolment, ctx)
    _credit_jp(enrolment, ctx, year=training_year(enrolment, ctx.now))  # its date is the signing day's


def _credit_jp(enrolment, ctx, year: int | None = None):
    from ...timeutil import to_wib
    require_opened(enrolment, ctx.actor)
    # the year the certificate dates it, else of completion; the JP as printed (checked when reported)
    year = year or enrolment.year_to_credit or to_wib(ctx.now).year
    enrolment.jp_credited = enrolment.jp_to_credit
    enrolment.credited_year = year
    enrolment.verified_by_id = ctx.actor.id
    enrolment.verified_at = ctx.now
    ctx.change("jp_credited", 0, enrolment.jp_credited)
    ctx.change("credited_year", None, year)
    ctx.change("credited_to", None, enrolment.user_id)  # whose figures they count in (training/reconcile.py)


_enrolment_path = path_by_id("training.enrolment", "enrolment_id")
_evidence_path = path_by_id("training.evidence", "enrolment_id")
EVIDENCE = _l("Certificate (file)")


_draft_path = path_by_id("letters.draft", "subject_id", subject_type="training_certificate")
DRAFT_CERTIFICATE = _l("Draft certificate (PDF)")


def _evidence_link(enrolment) -> list:
    """The certificate beside HR's to-do: the JP are credited from the list too, so it is read there; the
    office's draft certificate beside its signer's, who signs from the list too (the documents' letters
    carry their draft the same way)."""
    if enrolment.state == "awaiting_certificate":
        return [(DRAFT_CERTIFICATE, _draft_path(enrolment.id))]
    if enrolment.state != "completed" or not enrolment.evidence_name:
        return []
    return [(EVIDENCE, _evidence_path(enrolment.id))]


def enrolment_url(enrolment) -> str:
    """The local path of the enrolment's page, also outside a request (CLI, demo data)."""
    return _enrolment_path(enrolment.id)


RETURNED = _l("Returned: report it again")

ENROLMENT_STATES = [
    State("requested", _l("Requested"), clock=True, tone="neutral"),
    State("approved", _l("Approved by supervisor"), clock=True, tone="info"),
    # from the sign-off until completion is reported: before the course too, so not "in progress"
    # back here when HR returned the evidence (its file is kept for the log): nobody signs anything again
    State("in_progress", _l("Signed off, to be attended"), tone="info",
          label_for=lambda e: RETURNED if e.evidence_name else None),
    State("completed", _l("Completed, awaiting verification"), clock=True, tone="warning"),
    State("awaiting_certificate", _l("Completed, certificate awaiting signature"), clock=True, tone="info"),
    # final unless the credit is withdrawn (a certificate found forged, or counted twice): no to-do leaves it
    State("verified", _l("Verified, JP credited"), tone="success"),
    State("declined", _l("Declined"), terminal=True, tone="danger"),
    State("withdrawn", _l("Withdrawn"), terminal=True, tone="neutral"),
    State("not_completed", _l("Not completed"), terminal=True, tone="danger"),
    State("credit_withdrawn", _l("JP credit withdrawn"), terminal=True, tone="danger"),
]

# four eyes across steps: a Kasi who approved as direct supervisor does not sign off the same enrolment as
# Plh Camat; the Camat himself does sign off what he approved (no one above him in the office: Step.then)
_NOT_THE_APPROVER = dict(
    not_by=lambda e: [e.approved_by_id], not_by_stand_in_only=True,
    not_by_reason=_l("You approved this enrolment as direct supervisor: as a stand-in you cannot also sign it "
                     "off (four-eyes rule)."))


ENROLMENT_FLOW = register(Spec(
    name="enrolment", model=Enrolment, initial="requested", states=ENROLMENT_STATES,
    reroute_on_roles=frozenset({"hr", "sekcam", "camat"}),  # who verifies HR's own report (who.VERIFIER)
    after_each=refresh_twins,  # a report's twins awaiting HR offer verify_twin or verify (twins.py)
    steps=[
        # a supervisor who also signs off (the Camat, for a Kasi or the Sekcam) decides once: the sign-off
        # follows in its own event; there is no second pair of eyes above him in the office
        Step("approve", "requested", "approved", _l("Approve"), who=SUPERVISOR_OR_HR, four_eyes=True,
             guards=(_still_offered, _deadline_open, _seat_free), effect=_take_seat, style="success",
             bulk=True, then=("sign_off", "sign_off_routine")),
        Step("decline", "requested", "declined", _l("Decline"), who=SUPERVISOR_OR_HR, four_eyes=True,
             comment_required=True, style="danger"),
        Step("sign_off", "approved", "in_progress", _l("Sign off"), who=CAMAT_SPECIAL, four_eyes=True,
             effect=_record_signer, style="success", bulk=True, cautions=(_withdrawn_course,),
             **_NOT_THE_APPROVER),
        Step("sign_off_routine", "approved", "in_progress", _l("Sign off (routine course)"),
             who=CAMAT_ROUTINE, four_eyes=True, delegable=True, effect=_record_signer, style="success",
             bulk=True, cautions=(_withdrawn_course,), **_NOT_THE_APPROVER),
        # whoever may sign off may decline: the Camat for a special course, a Plh/Plt too for a routine one
        Step("refuse_sign_off", "approved", "declined", _l("Decline sign-off"), who=CAMAT_SPECIAL,
             four_eyes=True, comment_required=True, style="danger", **_NOT_THE_APPROVER),
        Step("refuse_sign_off_routine", "approved", "declined", _l("Decline sign-off"), who=CAMAT_ROUTINE,
             four_eyes=True, delegable=True, comment_required=True, style="danger", **_NOT_THE_APPROVER),
        Step("complete", "in_progress", "completed", _l("Report completion"), who=ENROLLED_ASN,
             guards=(_not_elearning, not_internal, _course_over), ready_on=last_day, effect=attach_evidence,
             form=("certificate", "upload"), row_form=False),
        Step("complete_elearning", "in_progress", "completed", _l("E-learning finished"), who=ENROLLED_ASN,
             guards=(_is_elearning, not_internal, _elearning_finished), effect=_finish_elearning,
             # the ASN's to-do (the page shows what is left), taken by the system when the last part is done:
             # listed, never a button, and the sign-off's news already tells the ASN
             notify=False, row_form=False),
        # the office's own e-learning: finishing it makes the certificate the signer's to-do
        Step("complete_internal_elearning", "in_progress", "awaiting_certificate", _l("E-learning finished"),
             who=ENROLLED_ASN, guards=(_is_elearning, is_internal, _elearning_finished),
             effect=_finish_elearning, notify=False, row_form=False),
        # the office's own classroom course: the organiser closes it at the minimum attendance
        Step("attendance_met", "in_progress", "awaiting_certificate", _l("Attendance met: issue the certificate"),
             who=ORGANISER, four_eyes=True, guards=(internal_classroom, _course_over, attendance_enough),
             ready_on=last_day, effect=attendance_recorded, style="success", notify=False),
        # the certificate credits the JP: whoever attested the attendance does not sign it, under any
        # authority, nor does a stand-in who approved the enrolment
        Step("sign_certificate", "awaiting_certificate", "verified", _l("Sign the certificate"),
             who=CERTIFICATE_SIGNER, reauth=True, four_eyes=True, delegable=True, effect=_issue_certificate,
             style="success", bulk=True, not_by=attesters_and_standing_in_approver,
             not_by_reason=_l("You attested this participant's attendance, or approved the enrolment and now "
                              "stand in for the signer: another official signs the certificate, which credits "
                              "the JP (four-eyes rule).")),
        # HR verifies; the Sekcam, else the Camat, when no other HR may (HR's own report, who.VERIFIER)
        Step("verify", "completed", "verified", _l("Verify and credit JP"), who=VERIFIER, four_eyes=True,
             guards=(no_twin,), effect=_credit_jp, style="success", **NOT_THE_PASSWORD_SETTER),
        # the same certificate on another enrolment (anyone's): credited only with HR's reason (twins.py)
        Step("verify_twin", "completed", "verified", _l("Verify and credit JP (same certificate elsewhere)"),
             who=VERIFIER, four_eyes=True, guards=(a_twin,), cautions=(twin_caution,), comment_required=True,
             effect=_credit_twin, style="warning", **NOT_THE_PASSWORD_SETTER),
        # an e-learning of the catalogue has no file to return: sent back, the ASN had nothing to report again
        Step("return_evidence", "completed", "in_progress", _l("Return the evidence"), who=VERIFIER,
             guards=(_not_elearning,), four_eyes=True, comment_required=True, style="warning", arrives_as=RETURNED,
             **NOT_THE_PASSWORD_SETTER),  # the whole verification goes to another official
        Step("withdraw", ("requested", "approved", "in_progress"), "withdrawn", _l("Withdraw"),
             who=ENROLLED_ASN, guards=(_in_the_catalogue,), style="outline-danger", todo=False, form=("confirm",),
             row_form=False,
             consequence=_l("Withdrawing ends this enrolment for good: a seat already given to you goes back "
                            "to others; to join the course again you must enrol anew.")),
        # a training outside the catalogue reported by mistake (wrong title, sent twice): the ASN takes it
        # back while HR has not verified it, or after HR returned it; its certificate may be reported again
        Step("withdraw_report", ("completed", "in_progress"), "withdrawn", _l("Withdraw the report"), who=ENROLLED_ASN,
             guards=(_reported_outside,), style="outline-danger", todo=False, form=("confirm",), row_form=False,
             consequence=_l("A withdrawn report is closed for good and its JP are not credited. To have this "
                            "training counted, report it again.")),
        Step("mark_not_completed", "in_progress", "not_completed", _l("Mark as not completed"),
             who=HR | DIRECT_SUPERVISOR | ORGANISER, four_eyes=True, comment_required=True, style="danger",
             todo=False),
        # a credit given in error (a certificate found forged, the same training counted twice): whoever may
        # verify takes it back, with a reason and the password; the log keeps both the credit and its end
        Step("withdraw_credit", "verified", "credit_withdrawn", _l("Withdraw the credited JP"), who=VERIFIER,
             guards=(credit_of_a_report,), four_eyes=True, reauth=True, comment_required=True,
             style="outline-danger", todo=False, row_form=False, effect=withdraw_credit,
             form=("reason", "confirm", "password"),
             cautions=(credited_last_year,),
             consequence=_l("The JP no longer count, for the ASN and in every report, and the enrolment is "
                            "closed for good. The ASN may report the training again; HR then sees this "
                            "withdrawal beside it and credits it only with a reason.")),
    ],
    owners=lambda e: {e.user_id},
    describe=lambda e: f"{e.course.title} / {e.user.full_name}",
    url=enrolment_url, owner_attr="user_id", kind_label=_l("Training enrolments"),
    # the person leads (the bold part of a row, the name a refusal or a confirmation gives): a supervisor
    # decides for someone; the JP only qualifies the course
    summary=lambda e: {"code": e.user.full_name, "type": e.course.title, "name": f"{e.jp_due} JP",
                       "links": _evidence_link(e)},
    prefetch=lambda rows: _prefetch_seats(rows),
))


# --- what people are told after each step (to-dos come from the assignments) ---------------------

def _the_asn(enrolment):
    return [enrolment.user]


def _approval(enrolment) -> str:
    """How the approval reads to the ASN, and what comes next: a nomination was never their own request, and
    HR approves when the supervisor has left."""
    from ...workflow.ui import waiting_for
    after = _(" or ").join(waiting_for(enrolment)) or _("the Camat")
    if enrolment.nominated_by_id and enrolment.nominated_by_id == enrolment.approved_by_id:
        return _("was made by your supervisor %(name)s, who nominated you and so approved it; it now awaits the "
                 "sign-off of %(next)s", name=enrolment.nominated_by.full_name, next=after)
    return _("was approved by %(decider)s; it now awaits the sign-off of %(next)s", decider=deciding(enrolment),
             next=after)


def _news_params(enrolment) -> dict:
    """The placeholders of the news; who acted only where the state it reached calls for it (a query or two)."""
    params = {"title": enrolment.course.title, "jp": enrolment.jp_due,
              "year": enrolment.credited_year or enrolment.year_to_credit}
    if enrolment.state == "approved":
        params["approval"] = _approval(enrolment)
    elif enrolment.state == "declined":
        params["decider"] = deciding(enrolment)
    elif enrolment.state == "in_progress":  # signed off, or returned by whoever verifies the evidence
        from ...accounts.models import ROLES
        params["verifier"] = str(ROLES[verifying_role(enrolment)])
    return params


register_news(
    "enrolment", _l("Training enrolment"),
    item=lambda e: f"{e.course.title} ({e.user.full_name})",
    params=_news_params,
    news={
        "approve": News(_the_asn, _l("Your enrolment in %(title)s %(approval)s")),
        "decline": News(_the_asn, _l("Your enrolment in %(title)s was declined by %(decider)s: %(reason)s")),
        # the Camat or, for a routine course, his Plh/Plt: the history says who; the news names no office
        "sign_off": News(_the_asn, _l("Your enrolment in %(title)s was signed off")),
        "sign_off_routine": News(_the_asn, _l("Your enrolment in %(title)s was signed off")),
        "refuse_sign_off": News(_the_asn, _l("Your enrolment in %(title)s was not signed off: %(reason)s")),
        "refuse_sign_off_routine": News(_the_asn, _l("Your enrolment in %(title)s was not signed off: "
                                                     "%(reason)s")),
        "verify": News(_the_asn, _l("Your %(jp)s JP for %(title)s have been recorded for %(year)s")),
        "verify_twin": News(_the_asn, _l("Your %(jp)s JP for %(title)s have been recorded for %(year)s")),
        "sign_certificate": News(_the_asn, _l("Your certificate for %(title)s is signed and %(jp)s JP recorded "
                                              "for %(year)s")),
        "return_evidence": News(_the_asn, _l("%(verifier)s returned your evidence for %(title)s: %(reason)s")),
        "mark_not_completed": News(_the_asn, _l("Your training %(title)s was marked as not completed: "
                                                "%(reason)s")),
        "withdraw_credit": News(_the_asn, _l("The JP credited for %(title)s in %(year)s were withdrawn: "
                                             "%(reason)s")),
    })
