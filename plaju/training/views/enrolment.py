"""One enrolment: its page, its steps through the one workflow action view, its evidence."""
from flask import abort, url_for

from ... import uploads
from ...extensions import db
from ...htmx import render_page_or_block
from ...workflow.ui import action_view, history_sentences, waiting_for
from ..models import Enrolment
from ..services import elearning as elearning_service
from ..services import enrolment as enrolment_service
from ..workflow import AUTOMATIC
from .common import EVENT, actor, bp


def enrolment_or_404(enrolment_id: int) -> Enrolment:
    enrolment = db.session.get(Enrolment, enrolment_id)
    if enrolment is None:
        abort(404)
    if not enrolment_service.can_view_enrolment(enrolment, actor()):
        abort(403)
    return enrolment


def _enrolment_context(enrolment) -> dict:
    learning = elearning_service.learning_status(enrolment) if enrolment.course.is_elearning else None
    return {"enrolment": enrolment, "actions": enrolment_service.actions_for(enrolment, actor()),
            "history": history_sentences(enrolment), "waiting_for": waiting_for(enrolment), "learning": learning,
            "max_mb": uploads.max_bytes() // (1024 * 1024)}


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


@bp.get("/enrolments/<int:enrolment_id>/evidence")
def evidence(enrolment_id: int):
    enrolment = enrolment_or_404(enrolment_id)
    if not enrolment.evidence_name:
        abort(404)
    return uploads.serve(enrolment.evidence_name, enrolment.evidence_original or "bukti",
                         enrolment.evidence_mime or "application/octet-stream")

