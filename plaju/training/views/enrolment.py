"""One enrolment: its page, its steps through the one workflow action view, its evidence (and the
first page of it as an image for HR), and training reported from outside the catalogue."""
from flask import abort, flash, make_response, redirect, request, url_for
from flask_login import current_user

from ... import once, uploads
from ...accounts.models import ROLES
from ...audit import record as audit
from ...extensions import db
from ...htmx import render_page_or_block
from ...i18n import gettext as _
from ...timeutil import today_wib
from ...workflow import Invalid, Refused
from ...workflow.ui import action_view, history_sentences, waiting_for
from .. import opened
from ..certificates import certificates_of
from ..evidence import MAX_REPORTED_JP, credited_alongside, days_text, preview_png, twins
from ..forms import ExternalTrainingForm
from ..models import Enrolment
from ..services import catalogue as catalogue_service
from ..services import elearning as elearning_service
from ..services import enrolment as enrolment_service
from ..services import plan_figures
from ..services import plans as plans_service
from ..services import tally as tally_service
from ..services.attendance import attendance_of_enrolment
from ..workflow import AUTOMATIC
from ..workflow.reported import kept_file
from .common import EVENT, actor, bp


def enrolment_or_404(enrolment_id: int) -> Enrolment:
    enrolment = db.session.get(Enrolment, enrolment_id)
    if enrolment is None:
        abort(404)
    if not enrolment_service.can_view_enrolment(enrolment, actor()):
        abort(403)
    return enrolment


def _verification(enrolment) -> dict | None:
    """What HR weighs beside the evidence: the ASN's JP already credited in the certificate's year, anyone's
    other enrolment with the same certificate file or number, the ASN's trainings credited on the same days,
    and how long an e-learning took (the signer of
    the office's own e-learning certificate sees it too, before he signs: his signature credits the JP)."""
    if enrolment.state not in ("completed", "awaiting_certificate", "verified") \
            or not actor().has_role(*enrolment_service.STAFF):
        return None
    year = enrolment.certificate_date.year if enrolment.certificate_date else today_wib().year
    earned = tally_service.jp_earned([enrolment.user_id], year)[enrolment.user_id]
    if enrolment.state == "verified" and enrolment.credited_year == year:
        earned -= enrolment.jp_credited  # the other JP: without this one
    course = enrolment.course
    return {"year": year, "other_jp": earned, "preview": bool(enrolment.evidence_name), "twins": twins(enrolment),
            # before crediting: a training already credited on the same days may be this one under another name
            "alongside": [(other, days_text(other.course)) for other in credited_alongside(enrolment)]
            if enrolment.state != "verified" else [],
            "times": elearning_service.learning_times(enrolment) if course.is_elearning and not course.external
            else None}


def _enrolment_context(enrolment) -> dict:
    # modules to follow here: not for an e-learning taken elsewhere and reported (an external course)
    course = enrolment.course
    learning = elearning_service.learning_status(enrolment) if course.is_elearning and not course.external else None
    actions = enrolment_service.actions_for(enrolment, actor())
    decision = enrolment_service.decision_context(enrolment, actions)
    return {"enrolment": enrolment, "actions": actions, "certificates": certificates_of(enrolment),
            # the signer reviews the draft certificate before signing it
            "signing": enrolment.state == "awaiting_certificate" and any(a.step.reauth for a in actions),
            "attendance": attendance_of_enrolment(enrolment) if course.internal and not course.is_elearning
            and enrolment.state not in ("requested", "approved", "declined", "withdrawn") else None,
            "decision": decision, "plan_entry": _plan_entry(enrolment, decision),
            "history": (history := history_sentences(enrolment)), "waiting_for": waiting_for(enrolment, actor()),
            "returned_because": _returned_because(enrolment, history),
            "learning": learning,
            "max_mb": uploads.max_bytes() // (1024 * 1024), "verification": _verification(enrolment),
            "course_page": catalogue_service.may_see_course(course, actor()),
            "course_withdrawn": catalogue_service.withdrawn_while_enrolled(enrolment),
            "step_prefill": _returned_certificate(enrolment), "jp_max": MAX_REPORTED_JP}


def _plan_entry(enrolment, decision):
    """Whether the request is in its unit's approved plan for the year, for one deciding it who may read
    that unit's plans (plans.may_read_plan)."""
    unit_id = enrolment.user.unit_id
    if decision is None or unit_id is None or not plans_service.may_read_plan(actor(), unit_id=unit_id):
        return None
    return plan_figures.plan_entry(enrolment, decision["year"])


def _returned_because(enrolment, history) -> str | None:
    """HR's reason for returning the evidence, while the report waits to be sent again: shown above the
    step, not only at the end of the history."""
    if enrolment.state != "in_progress" or not enrolment.evidence_name:
        return None
    arrived = next((line for line in reversed(history) if line.event.to_state == enrolment.state), None)
    return arrived.comment if arrived is not None else None


def _returned_certificate(enrolment) -> dict | None:
    """A report HR returned: the certificate's facts and the file as reported, so only what is wrong is
    sent again."""
    if enrolment.state != "in_progress" or not enrolment.certificate_number:
        return None
    return {"evidence_kept": kept_file(enrolment),
            "certificate_number": enrolment.certificate_number, "certificate_issuer": enrolment.certificate_issuer,
            "certificate_jp": enrolment.certificate_jp,
            "certificate_date": enrolment.certificate_date.isoformat() if enrolment.certificate_date else ""}


def _enrolment_page(enrolment, error=None, done=None, status=200):
    return render_page_or_block("training/enrolment.html", "main", **_enrolment_context(enrolment), error=error,
                                done=done), status


@bp.get("/enrolments/<int:enrolment_id>")
def enrolment(enrolment_id: int):
    return _enrolment_page(enrolment_or_404(enrolment_id))


def _gone_after_step(enrolment):
    """After approving, a supervisor may no longer see the enrolment: go back to the approvals list."""
    return None if enrolment_service.can_view_enrolment(enrolment, actor()) else url_for("training.approvals")


bp.add_url_rule("/enrolments/<int:enrolment_id>/act/<trigger_name>", "enrolment_act", methods=["POST"],
                view_func=action_view(
                    enrolment_or_404, "training/enrolment.html", "main", _enrolment_context, event=EVENT,
                    hidden=AUTOMATIC, gone=_gone_after_step,
                    page_url=lambda e: url_for("training.enrolment", enrolment_id=e.id)))


def _opened(enrolment, shown_on_page: bool = False) -> None:
    """Someone's certificate is personal data: who opened it, as a file or as its first page, is kept. The
    first page shows itself on the enrolment's page: it is kept once a day per reader, not at every reload (a
    person's history read ten "opened the certificate" around six steps)."""
    if enrolment.user_id == current_user.id:
        return
    if shown_on_page and opened.seen_today(enrolment, current_user.id):
        return
    audit.record_alone(opened.VIEWED, actor=current_user, subject_type="enrolment",
                       subject_id=enrolment.id)


@bp.get("/enrolments/<int:enrolment_id>/evidence")
def evidence(enrolment_id: int):
    enrolment = enrolment_or_404(enrolment_id)
    if not enrolment.evidence_name:
        abort(404)
    _opened(enrolment)
    return uploads.serve(enrolment.evidence_name, enrolment.evidence_original or "bukti",
                         enrolment.evidence_mime or "application/octet-stream")



@bp.get("/enrolments/<int:enrolment_id>/evidence/page.png")
def evidence_preview(enrolment_id: int):
    """The evidence's first page as an image, for HR to read beside the stated facts."""
    enrolment = enrolment_or_404(enrolment_id)
    if not enrolment.evidence_name:
        abort(404)
    try:
        png = preview_png(enrolment.evidence_name, enrolment.evidence_mime or "")
    except Invalid:
        abort(404)
    _opened(enrolment, shown_on_page=True)
    response = make_response(png)
    response.headers["Content-Type"] = "image/png"
    response.headers["Cache-Control"] = "private, no-store"
    return response


# --- training outside the catalogue ---------------------------------------------------------------

@bp.route("/external", methods=["GET", "POST"])
def external():
    """Report training done elsewhere (another agency, a national LMS) with its certificate. A refused report
    marks every faulty field at once, the form's own and the service's (services.enrolment.external_faults),
    and says that the file must be chosen again."""
    form = ExternalTrainingForm()
    faults, status = {}, 200
    if request.method == "POST":
        first = once.replay(form)
        if first:
            return once.already_done(first)
        valid = form.validate_on_submit()
        sent, file_fault = request.files.get("evidence"), None
        if sent is not None and sent.filename:
            try:  # the file's own fault (too large, not a scan) is said with the rest, never stored
                uploads.check(sent)
            except uploads.UploadRefused as refusal:
                sent, file_fault = None, str(refusal)
        try:
            with uploads.stored([sent]) as files:
                stored = files[0] if files else None
                if valid:
                    enrolment = enrolment_service.report_external(actor(), form.values(), stored, file_fault=file_fault,
                                                                  once_token=form.form_token.data)
                else:  # the form's faults and the rest in one answer, traced with what it said; nothing kept
                    faults, status = enrolment_service.external_faults(actor(), form.values(), stored, file_fault), 422
                    enrolment_service.refuse_report(actor(), form.values(), stored, {
                        **{name: " ".join(map(str, errors)) for name, errors in form.errors.items()}, **faults})
                    for kept in files:
                        uploads.discard(kept.name)
        except once.AlreadyDone as done:
            return once.already_done(done.url)
        except Refused as refusal:
            faults, status = refusal.faults or {"": str(refusal.message)}, refusal.status
        else:
            if valid:
                # who verifies it, as its page says (HR's own report goes to the Sekcam: "HR will" was HR)
                flash(_("The training was reported. %(who)s will verify the certificate and credit the JP.",
                        who=" / ".join(waiting_for(enrolment)) or str(ROLES["hr"])), "success")
                return redirect(url_for("training.enrolment", enrolment_id=enrolment.id), 303)
        for name, message in faults.items():  # beside its field; what the form said there already comes first
            field = form._fields.get(name)
            if field is not None and not field.errors:
                field.errors = [*field.errors, message]
    # a browser never keeps a chosen file across a refused form: said at the top and beside the field
    rechoose = status != 200 and bool(getattr(request.files.get("evidence"), "filename", None))
    return render_page_or_block("training/external.html", "form", form=form, error=faults.get(""),
                                rechoose=rechoose, faulty=status != 200,
                                max_mb=uploads.max_bytes() // (1024 * 1024)), status
