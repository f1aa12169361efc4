"""HR's competence dictionary: competences, positions with the levels they require, and who holds which
position. The rule of who may write lives in services.dictionary; a refused write is audited there."""
from flask import abort, flash, redirect, request, url_for
from flask_login import current_user
from sqlalchemy import select

from ...accounts.models import Unit, User
from ...audit.record import refuse_access
from ...extensions import db
from ...htmx import render_page_or_block, wants_fragment
from ...i18n import gettext as _
from ...workflow import Refused
from ..forms import CompetenceForm, PositionForm
from ..models import POSITION_KINDS, Competence, Position
from ..services import dictionary as dictionary_service
from .common import actor, bp


def _manager_page():
    """Pages of the dictionary: only for those who may change it; anyone else is refused and logged."""
    if not dictionary_service.may_manage(current_user):
        refuse_access(403)


def _refused_write(refusal: Refused):
    """Someone without the right who posted anyway: the service logged it; no page of the dictionary."""
    if not dictionary_service.may_manage(current_user):
        abort(refusal.status)


# --- competences -----------------------------------------------------------------------------------

def _competences_page(form, editing=None, error=None, status=200):
    return render_page_or_block("training/competences.html", "main", form=form, editing=editing, error=error,
                                competences=dictionary_service.competences()), status


@bp.route("/competences/", methods=["GET", "POST"])
def competences():
    if request.method == "GET":
        _manager_page()
        return _competences_page(CompetenceForm(formdata=None))
    return _save_competence(None)


@bp.route("/competences/<int:competence_id>", methods=["GET", "POST"])
def competence_edit(competence_id: int):
    if request.method == "POST":
        return _save_competence(competence_id)
    _manager_page()
    competence = db.session.get(Competence, competence_id)
    if competence is None:
        abort(404)
    return _competences_page(CompetenceForm(formdata=None, obj=competence), editing=competence)


def _save_competence(competence_id: int | None):
    form = CompetenceForm()
    editing = db.session.get(Competence, competence_id) if competence_id else None
    if competence_id and editing is None:
        abort(404)
    if dictionary_service.may_manage(current_user) and not form.validate_on_submit():
        return _competences_page(form, editing, status=422)
    try:
        competence = dictionary_service.save_competence(competence_id, {
            "code": form.code.data, "name": form.name.data, "kind": form.kind.data}, actor())
    except Refused as refusal:
        _refused_write(refusal)
        db.session.expire_all()
        editing = db.session.get(Competence, competence_id) if competence_id else None
        return _competences_page(form, editing, error=str(refusal.message), status=refusal.status)
    flash(_("The competence %(name)s was saved.", name=competence.name), "success")
    return redirect(url_for("training.competences") + f"#competence-{competence.id}")


# --- positions -------------------------------------------------------------------------------------

def _posted_levels() -> dict:
    """{competence id: level} from the level_<id> fields (empty: not required). A value that is not a
    level is passed on as -1, so the service refuses it (and logs that)."""
    levels = {}
    for key, raw in request.form.items():
        raw = raw.strip()
        if key.startswith("level_") and (key[6:].isascii() and key[6:].isdigit()) and len(key) <= 20 and raw:
            levels[int(key[6:])] = int(raw) if (raw.isascii() and raw.isdigit()) and len(raw) <= 2 else -1
    return levels


def _positions_page(form, editing=None, levels=None, error=None, status=200):
    return render_page_or_block(
        "training/positions.html", "main", form=form, editing=editing, error=error,
        levels=levels if levels is not None else (
            {r.competence_id: r.level for r in editing.requirements} if editing else {}),
        positions=dictionary_service.positions(), competences=dictionary_service.competences(),
        POSITION_KINDS=POSITION_KINDS), status


@bp.route("/positions/", methods=["GET", "POST"])
def positions():
    if request.method == "GET":
        _manager_page()
        return _positions_page(PositionForm(formdata=None))
    return _save_position(None)


@bp.route("/positions/<int:position_id>", methods=["GET", "POST"])
def position_edit(position_id: int):
    if request.method == "POST":
        return _save_position(position_id)
    _manager_page()
    position = db.session.get(Position, position_id)
    if position is None:
        abort(404)
    return _positions_page(PositionForm(formdata=None, obj=position), editing=position)


def _save_position(position_id: int | None):
    form = PositionForm()
    editing = db.session.get(Position, position_id) if position_id else None
    if position_id and editing is None:
        abort(404)
    levels = _posted_levels()
    if dictionary_service.may_manage(current_user) and not form.validate_on_submit():
        return _positions_page(form, editing, levels, status=422)
    try:
        position = dictionary_service.save_position(position_id, {
            "name": form.name.data, "kind": form.kind.data, "requirements": levels}, actor())
    except Refused as refusal:
        _refused_write(refusal)
        db.session.expire_all()
        editing = db.session.get(Position, position_id) if position_id else None
        return _positions_page(form, editing, levels, error=str(refusal.message), status=refusal.status)
    flash(_("The position %(name)s was saved.", name=position.name), "success")
    return redirect(url_for("training.positions") + f"#position-{position.id}")


# --- who holds which position ----------------------------------------------------------------------

def _holders_page(error=None, done=None, status=200):
    people = db.session.execute(select(User.id, User.full_name, User.position, Unit.name)
                                .outerjoin(Unit, Unit.id == User.unit_id).where(User.active.is_(True))
                                .order_by(Unit.name, User.full_name)).all()
    return render_page_or_block("training/position_holders.html", "main", people=people,
                                holders=dictionary_service.holders(), positions=dictionary_service.positions(),
                                error=error, done=done), status


@bp.get("/positions/holders")
def position_holders():
    _manager_page()
    return _holders_page()


@bp.post("/positions/holders/<int:user_id>")
def position_assign(user_id: int):
    raw = (request.form.get("position_id") or "").strip()
    position_id = int(raw) if (raw.isascii() and raw.isdigit()) and len(raw) <= 9 else (None if not raw else -1)
    try:
        dictionary_service.assign_position(user_id, position_id, actor())
    except Refused as refusal:
        _refused_write(refusal)
        return _holders_page(error=str(refusal.message), status=refusal.status)
    person = db.session.get(User, user_id)
    done = _("The position of %(name)s was saved.", name=person.full_name)
    if wants_fragment():
        return _holders_page(done=done)
    flash(done, "success")
    return redirect(url_for("training.position_holders") + f"#holder-{user_id}")

