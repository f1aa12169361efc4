"""The course catalogue, a course's page and enrolling in it; HR's course, module and quiz editing."""
from flask import abort, flash, make_response, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import func, or_, select
from wtforms.fields.choices import SelectChoice

from ... import once, uploads
from ...accounts.models import User
from ...audit.record import refuse_access
from ...extensions import db
from ...htmx import render_page_or_block, trigger, wants_fragment
from ...i18n import gettext as _
from ...timeutil import today_wib
from ...workflow import Refused
from ...workflow.ui import waiting_for
from ..forms import CourseForm, EnrolForm, ModuleForm, NewCourseForm, QuestionForm
from ..models import CLASSICAL, KINDS, METHODS, NON_CLASSICAL, POSITION_KINDS, Course, Enrolment, Module
from ..services import catalogue as catalogue_service
from ..services import enrolment as enrolment_service
from ..workflow.enrolment import ENROLMENT_FLOW
from .common import EVENT, actor, bp, is_hr, page_number

CATALOGUE_PAGE = 30


@bp.get("/courses/")
def courses():
    filters = {k: (request.args.get(k) or "").strip() for k in ("q", "kind", "method", "open")}
    stmt = catalogue_service.catalogue_query(today_wib())
    if not (is_hr() and request.args.get("all")):
        stmt = stmt.where(Course.active.is_(True))
    if filters["q"]:
        like = f"%{filters['q']}%"
        stmt = stmt.where(or_(Course.title.ilike(like), Course.description.ilike(like),
                              Course.provider.ilike(like)))
    if filters["kind"] in KINDS:
        stmt = stmt.where(Course.kind == filters["kind"])
    if filters["method"] in METHODS:
        stmt = stmt.where(Course.method == filters["method"])
    elif filters["method"] == "classical":
        stmt = stmt.where(Course.method.in_(list(CLASSICAL)))
    elif filters["method"] == "non_classical":
        stmt = stmt.where(Course.method.in_(list(NON_CLASSICAL)))
    if filters["open"]:
        today = today_wib()
        stmt = stmt.where(or_(Course.enrol_deadline.is_(None), Course.enrol_deadline >= today))
    total = db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    page = page_number()
    found = list(db.session.scalars(stmt.offset((page - 1) * CATALOGUE_PAGE).limit(CATALOGUE_PAGE)))
    kept = {k: v for k, v in filters.items() if v}
    if is_hr() and request.args.get("all"):
        kept["all"] = request.args.get("all")
    return render_page_or_block("training/courses.html", "results", courses=found, filters=filters, total=total,
                                page=page, more=page * CATALOGUE_PAGE < total, kept=kept,
                                seats=catalogue_service.seats_left_by_course(found),
                                course_closed=catalogue_service.is_closed,
                                CLASSICAL=CLASSICAL, NON_CLASSICAL=NON_CLASSICAL)


def _course(course_id: int) -> Course:
    course = db.session.get(Course, course_id)
    if course is None or not catalogue_service.may_see_course(course, actor()):
        abort(404)
    return course


@bp.get("/courses/<int:course_id>/seats")
def seats(course_id: int):
    return render_template("training/_seats.html", course=_course(course_id))


def _enrol_form(course: Course) -> EnrolForm:
    user = actor()
    form = EnrolForm()
    people = [user] + enrolment_service.team_of(user)
    form.user_id.choices = [SelectChoice(p.id, p.full_name if p.id != user.id else _("Myself (%(name)s)",
                                                                                     name=p.full_name))
                            for p in people]
    if form.user_id.data is None:
        form.user_id.data = user.id
    return form


def _course_page(course: Course, form=None, error=None, status=200):
    user = actor()
    mine = db.session.scalars(select(Enrolment).where(Enrolment.course_id == course.id,
                                                      Enrolment.user_id == user.id)
                              .order_by(Enrolment.created_at.desc())).all()
    form = form or _enrol_form(course)
    refusal = enrolment_service.enrol_refusal(course, user, user)
    return render_page_or_block("training/course.html", "enrol", course=course, mine=mine, form=form,
                                refusal=refusal, error=error, nominating=len(form.user_id.choices) > 1,
                                closed=enrolment_service.course_closed(course)), status


def _refused(course_id: int, form, refusal: Refused):
    """The enrol box again with the refusal; the seats badge above it refreshes itself (someone else may
    just have taken the last seat)."""
    db.session.expire_all()
    html, status = _course_page(db.session.get(Course, course_id), form, error=str(refusal.message),
                                status=refusal.status)
    return trigger(make_response(html, status), EVENT)


@bp.get("/courses/<int:course_id>")
def course(course_id: int):
    return _course_page(_course(course_id))


@bp.post("/courses/<int:course_id>/enrol")
def enrol(course_id: int):
    course = _course(course_id)
    form = _enrol_form(course)
    outsider = _not_offered(form)
    if outsider is not None:
        # someone the actor may not nominate: the service refuses it (403, audited), not the form's
        # "not a valid choice" (422)
        try:
            enrolment_service.request_enrolment(course, outsider, actor(), "")
        except Refused as refusal:
            return _refused(course_id, form, refusal)
    if not form.validate_on_submit():
        return _course_page(course, form, status=422)
    person = db.session.get(User, form.user_id.data)
    try:
        enrolment = enrolment_service.request_enrolment(course, person, actor(), form.motivation.data or "")
    except Refused as refusal:
        return _refused(course_id, form, refusal)
    if person.id == current_user.id:
        supervisor = person.supervisor
        approve = ENROLMENT_FLOW.step_by_trigger["approve"]
        # the supervisor who also signs off decides once (approve.then): told as the spec says it
        if supervisor is not None and any(ENROLMENT_FLOW.step_by_trigger[t].who(supervisor, enrolment)
                                          for t in approve.then):
            message = _("Your request was sent to %(name)s, who approves and signs it off in one decision.",
                        name=supervisor.full_name)
        else:
            message = _("Your request was sent to %(who)s; once approved, the Camat signs it off.",
                        who=_(" or ").join(waiting_for(enrolment)) or _("your supervisor"))
    elif enrolment.state == "in_progress":  # the Camat nominated someone he supervises: signed off at once
        message = _("%(name)s was nominated and signed off.", name=person.full_name)
    elif enrolment.state == "approved":
        message = _("%(name)s was nominated; your nomination counts as your approval and now awaits the "
                    "Camat's sign-off.", name=person.full_name)
    else:
        message = _("%(name)s was nominated.", name=person.full_name)
    flash(message, "success")
    target = url_for("training.enrolment", enrolment_id=enrolment.id)
    if wants_fragment():
        return trigger(make_response("", 200, {"HX-Redirect": target}), EVENT)
    return redirect(target)


def _not_offered(form):
    """The person posted for enrolment when the form does not offer them (not the actor, not their team)."""
    raw = request.form.get("user_id", "")
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 9:
        return None
    offered = {str(choice.value) for choice in form.user_id.choices or ()}
    if raw in offered:
        return None
    return db.session.get(User, int(raw))


# --- courses managed by HR -------------------------------------------------------------------------

def _hr_only():
    if not is_hr():
        abort(403, description=_("The training catalogue is kept by HR (Kepegawaian): ask them to add or "
                                 "change a course."))


@bp.route("/courses/new", methods=["GET", "POST"])
def course_new():
    _hr_only()
    form = NewCourseForm()
    first = once.replay(form)
    if first:  # the same form again (double click, re-post, second tab): show what the first made
        return once.already_done(first)
    if form.validate_on_submit():
        try:
            course = catalogue_service.save_course(None, form.values(), actor(), once_token=form.form_token.data)
        except once.AlreadyDone as done:
            return once.already_done(done.url, url_for("training.courses"))
        flash(_("The course was added to the catalogue."), "success")
        return redirect(url_for("training.course_edit", course_id=course.id))
    status = 422 if request.method == "POST" else 200
    return render_page_or_block("training/course_form.html", "form", form=form, course=None), status


@bp.route("/courses/<int:course_id>/edit", methods=["GET", "POST"])
def course_edit(course_id: int):
    _hr_only()
    course = _course(course_id)
    form = CourseForm(obj=course)
    error, status = None, 422 if request.method == "POST" else 200
    if request.method == "GET":
        form.seen.data = catalogue_service.course_stamp(course)
    if form.validate_on_submit():
        try:
            catalogue_service.save_course(course, form.values(), actor(), seen=form.seen.data or "")
        except Refused as refusal:
            db.session.rollback()
            error, status = str(refusal.message), refusal.status
            if refusal.status == 409:  # the course as it is now, with a fresh stamp
                course = _course(course_id)
                form = CourseForm(obj=course, formdata=None)
                form.seen.data = catalogue_service.course_stamp(course)
        else:
            flash(_("The course was saved."), "success")
            return redirect(url_for("training.course_edit", course_id=course.id))
    from ..services import competences as competence_service
    raises, fits = competence_service.course_facts([course.id])
    return render_page_or_block("training/course_form.html", "form", form=form, course=course, error=error,
                                module_form=ModuleForm(formdata=None), question_form=QuestionForm(formdata=None),
                                competences=competence_service.all_competences(), raises=raises[course.id],
                                fits=fits[course.id], POSITION_KINDS=POSITION_KINDS), status


def _course_extras_page(course, module_form=None, question_form=None, error=None, status=422):
    return render_page_or_block("training/course_form.html", "extras", course=course,
                                form=CourseForm(obj=course, formdata=None), extras_error=error,
                                module_form=module_form or ModuleForm(formdata=None),
                                question_form=question_form or QuestionForm(formdata=None)), status


@bp.post("/courses/<int:course_id>/modules")
def module_add(course_id: int):
    _hr_only()
    course = _course(course_id)
    form = ModuleForm()
    first = once.replay(form)
    if first:  # before storing the file again
        return once.already_done(first)
    if not form.validate_on_submit():
        return _course_extras_page(course, module_form=form)
    stored = None
    if form.kind.data == "pdf":
        try:
            stored = uploads.store(request.files.get("file"), allowed=("pdf",))
        except uploads.UploadRefused as refusal:
            return _course_extras_page(course, module_form=form, error=str(refusal))
    try:
        catalogue_service.add_module(course, form.data, actor(), stored, once_token=form.form_token.data)
    except once.AlreadyDone as done:
        if stored:
            uploads.discard(stored.name)
        return once.already_done(done.url)
    except Exception:
        if stored:
            uploads.discard(stored.name)
        raise
    flash(_("The module was added."), "success")
    return redirect(url_for("training.course_edit", course_id=course.id) + "#modules")


@bp.post("/courses/<int:course_id>/questions")
def question_add(course_id: int):
    _hr_only()
    course = _course(course_id)
    form = QuestionForm()
    first = once.replay(form)
    if first:
        return once.already_done(first)
    if not form.validate_on_submit():
        return _course_extras_page(course, question_form=form)
    try:
        catalogue_service.add_question(course, form.text.data.strip(), form.choice_list(), form.answer.data - 1,
                                       actor(), once_token=form.form_token.data)
    except once.AlreadyDone as done:
        return once.already_done(done.url)
    flash(_("The question was added."), "success")
    return redirect(url_for("training.course_edit", course_id=course.id) + "#quiz")


@bp.get("/modules/<int:module_id>/file")
def module_file(module_id: int):
    module = db.session.get(Module, module_id)
    if module is None or not module.file_name:
        abort(404)
    if not is_hr():
        enrolled = db.session.scalar(select(Enrolment.id).where(
            Enrolment.course_id == module.course_id, Enrolment.user_id == current_user.id,
            Enrolment.state.in_(("in_progress", "completed", "awaiting_certificate", "verified"))))
        if not enrolled:
            abort(403)
    return uploads.serve(module.file_name, module.file_original or "modul.pdf", "application/pdf")



@bp.post("/courses/<int:course_id>/competences")
def course_targets(course_id: int):
    """What the course raises, whom it fits, its fee: one small form on the course's edit page."""
    from ..services import competences as competence_service
    if not is_hr():  # logged, like every refusal
        refuse_access(403)
    course = _course(course_id)
    raises, error = {}, None
    for competence in competence_service.all_competences():
        raw = (request.form.get(f"raise_{competence.id}") or "").strip()
        if raw:  # not a level: -1, which the service refuses (and logs)
            raises[competence.id] = int(raw) if (raw.isascii() and raw.isdigit()) and len(raw) <= 2 else -1
    raw_fee = (request.form.get("fee") or "").strip().replace(".", "")
    if raw_fee and not (raw_fee.isascii() and raw_fee.isdigit()):
        error = _("Enter the cost in Rupiah, digits only.")
    if error is None:
        try:
            competence_service.save_course_targets(course, raises, set(request.form.getlist("fits")),
                                                   int(raw_fee) if raw_fee else None, actor())
        except Refused as refusal:
            error = str(refusal.message)
    if error is not None:
        flash(error, "danger")
        return redirect(url_for("training.course_edit", course_id=course_id) + "#targets"), 303
    flash(_("The competences, positions and fee of the course were saved."), "success")
    return redirect(url_for("training.course_edit", course_id=course_id) + "#targets"), 303
