"""E-learning: the course overview, modules, marking a module done, the quiz."""
from flask import abort, flash, redirect, request, url_for
from flask_login import current_user

from ...database import utcnow
from ...extensions import db
from ...htmx import render_page_or_block
from ...i18n import gettext as _
from ...workflow import Refused
from ..models import Enrolment, Module
from ..services import elearning as elearning_service
from .common import actor, bp, is_hr
from .enrolment import enrolment_or_404

FINISHED = ("completed", "awaiting_certificate")


def _finished_message(enrolment) -> str:
    if enrolment.state == "awaiting_certificate":  # the office's own course: the certificate comes from here
        return _("Congratulations, you finished the course. Your certificate now awaits the signature; "
                 "it will appear on this page with your JP.")
    return _("Congratulations, you finished the course. HR will verify it and credit the JP.")


def _learner_enrolment(enrolment_id: int) -> Enrolment:
    enrolment = enrolment_or_404(enrolment_id)
    if enrolment.user_id != current_user.id and not is_hr():
        abort(403)
    if not enrolment.course.is_elearning:
        abort(404)
    if enrolment.state in NOT_OPEN_YET:  # typed or bookmarked: the enrolment's page says what comes first
        flash(_("The e-learning opens after the Camat has signed off the enrolment."), "info")
        abort(redirect(url_for("training.enrolment", enrolment_id=enrolment.id), 303))
    return enrolment


NOT_OPEN_YET = ("requested", "approved")


@bp.get("/enrolments/<int:enrolment_id>/learn")
def learn(enrolment_id: int):
    enrolment = _learner_enrolment(enrolment_id)
    return render_page_or_block("training/learn.html", "training", enrolment=enrolment,
                                learning=elearning_service.learning_status(enrolment),
                                locked_until=elearning_service.quiz_locked_until(enrolment))


@bp.get("/enrolments/<int:enrolment_id>/modules/<int:module_id>")
def module(enrolment_id: int, module_id: int):
    enrolment = _learner_enrolment(enrolment_id)
    module = db.session.get(Module, module_id)
    if module is None or module.course_id != enrolment.course_id:
        abort(404)
    elearning_service.open_module(enrolment, module, current_user)  # the learner's time on it starts
    modules = enrolment.course.modules
    index = modules.index(module)
    ready = elearning_service.ready_at(enrolment, module)
    learning = elearning_service.learning_status(enrolment)
    # an earlier module still open: this one's time starts when that one is done (a time said now is untrue)
    unfinished = next((m for m in modules[:index] if m.id not in learning["done_ids"]), None)
    return render_page_or_block("training/module.html", "training", enrolment=enrolment, module=module,
                                learning=learning, unfinished=unfinished,
                                ready_at=ready if ready is not None and ready > utcnow() else None,
                                previous=modules[index - 1] if index else None,
                                following=modules[index + 1] if index + 1 < len(modules) else None)


@bp.post("/enrolments/<int:enrolment_id>/modules/<int:module_id>/done")
def module_done(enrolment_id: int, module_id: int):
    enrolment = _learner_enrolment(enrolment_id)
    module = db.session.get(Module, module_id)
    if module is None:
        abort(404)
    try:
        moved = elearning_service.mark_module_done(enrolment, module, actor())
    except Refused as refusal:
        if refusal.status == 403:  # not the learner: the error page, as every refusal of authority
            abort(403, description=str(refusal.message))
        flash(str(refusal.message), "danger")
        if refusal.code in ("module_early", "module_unread"):  # back to the module, which says from when
            return redirect(url_for("training.module", enrolment_id=enrolment_id, module_id=module_id)), 303
        return redirect(url_for("training.learn", enrolment_id=enrolment_id)), 303
    if moved.state in FINISHED:
        flash(_finished_message(moved), "success")
        return redirect(url_for("training.enrolment", enrolment_id=enrolment_id))
    modules = moved.course.modules
    position = next((i for i, m in enumerate(modules) if m.id == module_id), 0)
    # the next page opens on the next module's wait: it said nothing of the one just recorded
    flash(_("“%(title)s” is done (%(n)s of %(total)s modules).", title=module.title,
            n=len(elearning_service.done_module_ids(moved)), total=len(modules)), "success")
    if position + 1 < len(modules):
        return redirect(url_for("training.module", enrolment_id=enrolment_id, module_id=modules[position + 1].id))
    return redirect(url_for("training.learn", enrolment_id=enrolment_id))


@bp.route("/enrolments/<int:enrolment_id>/quiz", methods=["GET", "POST"])
def quiz(enrolment_id: int):
    enrolment = _learner_enrolment(enrolment_id)
    if not enrolment.course.questions:  # an address typed or kept from before: no empty quiz page
        flash(_("This course has no quiz: it is complete once every module is done."), "info")
        return redirect(url_for("training.learn", enrolment_id=enrolment_id), 303)
    result = error = None
    status = 200
    if request.method == "POST":
        try:
            score, passed = elearning_service.submit_quiz(
                enrolment, actor(), elearning_service.typed_answers(enrolment, request.form.to_dict()))
        except Refused as refusal:
            error, status = str(refusal.message), refusal.status
        else:
            db.session.expire_all()
            enrolment = db.session.get(Enrolment, enrolment_id)
            if enrolment.state in FINISHED:
                if enrolment.state == "awaiting_certificate":
                    flash(_("You passed the quiz with %(score)s%% and finished the course. Your certificate now "
                            "awaits the signature; it will appear on this page with your JP.", score=score), "success")
                else:
                    flash(_("You passed the quiz with %(score)s%% and finished the course. HR will verify it and "
                            "credit the JP.", score=score), "success")
                return redirect(url_for("training.enrolment", enrolment_id=enrolment_id))
            result = {"score": score, "passed": passed}
    return render_page_or_block("training/quiz.html", "training", enrolment=enrolment, result=result,
                                error=error, learning=elearning_service.learning_status(enrolment),
                                sheet=elearning_service.quiz_sheet(enrolment),
                                locked_until=elearning_service.quiz_locked_until(enrolment),
                                answers=request.form if request.method == "POST" else {}), status

