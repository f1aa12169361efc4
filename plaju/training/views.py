"""Pages of competence development. Every page works as a plain form; HTMX swaps the named blocks."""
from flask import Blueprint, abort, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import func, or_, select
from sqlalchemy.orm import selectinload
from wtforms.fields.choices import SelectChoice

from .. import once, uploads
from ..accounts.models import Unit, User
from ..core.registry import home_card, nav_item
from ..core.urls import int_arg
from ..extensions import db
from ..htmx import render_page_or_block, trigger, wants_fragment
from ..timeutil import today_wib
from ..workflow import Refused, available
from ..workflow.ui import action_view, history_sentences, waiting_for
from . import demo as _demo  # noqa: F401  (registers the demo seeder)
from . import services
from .forms import CourseForm, EnrolForm, ModuleForm, NewCourseForm, PlanForm, PlanItemForm, QuestionForm
from .models import CLASSICAL, JP_TARGET, KINDS, METHODS, NON_CLASSICAL, Course, Enrolment, Module, Plan, PlanItem
from .workflow import AUTOMATIC, ENROLMENT_FLOW, PLAN_FLOW, deadline_passed, seats_left

bp = Blueprint("training", __name__, url_prefix="/training", static_folder="static",
               static_url_path="/static")
EVENT = "training-changed"
PLAN_VIEWERS = ("hr", "camat", "sekcam", "admin")

nav_item("training.me", _l("Competence development"), order=30)


@bp.before_request
@login_required
def _signed_in():
    return None


def _user():
    return current_user._get_current_object()


def _is_hr() -> bool:
    return current_user.has_role("hr")


@bp.app_template_global("jp_percent")
def jp_percent(jp: int) -> int:
    return services.percent(jp)


@bp.context_processor
def _shared():
    return {"KINDS": KINDS, "METHODS": METHODS, "JP_TARGET": JP_TARGET, "ENROLMENT_FLOW": ENROLMENT_FLOW,
            "PLAN_FLOW": PLAN_FLOW, "seats_left": seats_left, "deadline_passed": deadline_passed}


@bp.get("/")
def index():
    return redirect(url_for("training.me"))


# --- my development ------------------------------------------------------------------------------

TEAM_PAGE = 25
APPROVALS_PAGE = 50
CATALOGUE_PAGE = 30
OPEN_STATES = [s.name for s in ENROLMENT_FLOW.states if not s.terminal]


def _page_number(name: str = "page") -> int:
    return max(int_arg(name, 1) or 1, 1)


@bp.get("/me")
def me():
    user = _user()
    year = today_wib().year
    team_page = _page_number("team_page")
    team = services.team_of(user, offset=(team_page - 1) * TEAM_PAGE, limit=TEAM_PAGE + 1)
    team_more, team = len(team) > TEAM_PAGE, team[:TEAM_PAGE]
    earned = services.jp_earned([user.id] + [m.id for m in team], year)
    team_enrolments = services.enrolments_of([m.id for m in team], states=OPEN_STATES)
    return render_page_or_block(
        "training/me.html", "training", year=year, jp=earned[user.id],
        enrolments=services.enrolments_of([user.id])[user.id], recommended=services.recommended(user),
        team=team, team_jp=earned, team_enrolments=team_enrolments, team_page=team_page, team_more=team_more,
        waiting=services.count_awaiting(user))


@bp.get("/approvals")
def approvals():
    after = int_arg("after")
    waiting = services.awaiting(_user(), after=after, limit=APPROVALS_PAGE + 1)
    return render_page_or_block("training/approvals.html", "training", waiting=waiting[:APPROVALS_PAGE],
                                more=len(waiting) > APPROVALS_PAGE, after=after)


# --- the catalogue -------------------------------------------------------------------------------

@bp.get("/courses/")
def courses():
    filters = {k: (request.args.get(k) or "").strip() for k in ("q", "kind", "method", "open")}
    stmt = select(Course).order_by(Course.enrol_deadline.is_(None), Course.enrol_deadline, Course.title, Course.id)
    if not (_is_hr() and request.args.get("all")):
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
    page = _page_number()
    found = list(db.session.scalars(stmt.offset((page - 1) * CATALOGUE_PAGE).limit(CATALOGUE_PAGE)))
    kept = {k: v for k, v in filters.items() if v}
    if _is_hr() and request.args.get("all"):
        kept["all"] = request.args.get("all")
    return render_page_or_block("training/courses.html", "results", courses=found, filters=filters, total=total,
                                page=page, more=page * CATALOGUE_PAGE < total, kept=kept,
                                seats=services.seats_left_by_course(found),
                                CLASSICAL=CLASSICAL, NON_CLASSICAL=NON_CLASSICAL)


def _course(course_id: int) -> Course:
    course = db.session.get(Course, course_id)
    if course is None or (not course.active and not _is_hr()):
        abort(404)
    return course


@bp.get("/courses/<int:course_id>/seats")
def seats(course_id: int):
    return render_template("training/_seats.html", course=_course(course_id))


def _enrol_form(course: Course) -> EnrolForm:
    user = _user()
    form = EnrolForm()
    people = [user] + services.team_of(user)
    form.user_id.choices = [SelectChoice(p.id, p.full_name if p.id != user.id else _("Myself (%(name)s)",
                                                                                     name=p.full_name))
                            for p in people]
    if form.user_id.data is None:
        form.user_id.data = user.id
    return form


def _course_page(course: Course, form=None, error=None, status=200):
    user = _user()
    mine = db.session.scalars(select(Enrolment).where(Enrolment.course_id == course.id,
                                                      Enrolment.user_id == user.id)
                              .order_by(Enrolment.created_at.desc())).all()
    form = form or _enrol_form(course)
    refusal = services.enrol_refusal(course, user, user)
    return render_page_or_block("training/course.html", "enrol", course=course, mine=mine, form=form,
                                refusal=refusal, error=error, nominating=len(form.user_id.choices) > 1), status


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
            services.request_enrolment(course, outsider, _user(), "")
        except Refused as refusal:
            db.session.expire_all()
            return _course_page(db.session.get(Course, course_id), form, error=str(refusal.message),
                                status=refusal.status)
    if not form.validate_on_submit():
        return _course_page(course, form, status=422)
    person = db.session.get(User, form.user_id.data)
    try:
        enrolment = services.request_enrolment(course, person, _user(), form.motivation.data or "")
    except Refused as refusal:
        db.session.expire_all()
        return _course_page(db.session.get(Course, course_id), form, error=str(refusal.message),
                            status=refusal.status)
    if person.id == current_user.id:
        message = _("Your request was sent to your supervisor.")
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
    if not raw.isdigit() or len(raw) > 9:
        return None
    offered = {str(choice.value) for choice in form.user_id.choices or ()}
    if raw in offered:
        return None
    return db.session.get(User, int(raw))


# --- courses managed by HR -------------------------------------------------------------------------

def _hr_only():
    if not _is_hr():
        abort(403)


@bp.route("/courses/new", methods=["GET", "POST"])
def course_new():
    _hr_only()
    form = NewCourseForm()
    first = once.replay(form)
    if first:  # the same form again (double click, re-post, second tab): show what the first made
        return once.already_done(first)
    if form.validate_on_submit():
        try:
            course = services.save_course(None, form.values(), _user(), once_token=form.form_token.data)
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
    if form.validate_on_submit():
        services.save_course(course, form.values(), _user())
        flash(_("The course was saved."), "success")
        return redirect(url_for("training.course_edit", course_id=course.id))
    status = 422 if request.method == "POST" else 200
    return render_page_or_block("training/course_form.html", "form", form=form, course=course,
                                module_form=ModuleForm(formdata=None), question_form=QuestionForm(formdata=None)
                                ), status


def _course_extras_page(course, module_form=None, question_form=None, error=None, status=422):
    return render_page_or_block("training/course_form.html", "extras", course=course,
                                form=CourseForm(obj=course, formdata=None), error=error,
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
        services.add_module(course, form.data, _user(), stored, once_token=form.form_token.data)
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
        services.add_question(course, form.text.data.strip(), form.choice_list(), form.answer.data - 1, _user(),
                              once_token=form.form_token.data)
    except once.AlreadyDone as done:
        return once.already_done(done.url)
    flash(_("The question was added."), "success")
    return redirect(url_for("training.course_edit", course_id=course.id) + "#quiz")


@bp.get("/modules/<int:module_id>/file")
def module_file(module_id: int):
    module = db.session.get(Module, module_id)
    if module is None or not module.file_name:
        abort(404)
    if not _is_hr():
        enrolled = db.session.scalar(select(Enrolment.id).where(
            Enrolment.course_id == module.course_id, Enrolment.user_id == current_user.id,
            Enrolment.state.in_(("in_progress", "completed", "verified"))))
        if not enrolled:
            abort(403)
    return uploads.serve(module.file_name, module.file_original or "modul.pdf", "application/pdf")


# --- one enrolment ---------------------------------------------------------------------------------

def _enrolment(enrolment_id: int) -> Enrolment:
    enrolment = db.session.get(Enrolment, enrolment_id)
    if enrolment is None:
        abort(404)
    if not services.can_view_enrolment(enrolment, _user()):
        abort(403)
    return enrolment


def _enrolment_context(enrolment) -> dict:
    learning = services.learning_status(enrolment) if enrolment.course.is_elearning else None
    return {"enrolment": enrolment, "actions": services.actions_for(enrolment, _user()),
            "history": history_sentences(enrolment), "waiting_for": waiting_for(enrolment), "learning": learning,
            "max_mb": uploads.max_bytes() // (1024 * 1024)}


def _enrolment_page(enrolment, error=None, done=None, status=200):
    return render_page_or_block("training/enrolment.html", "main", **_enrolment_context(enrolment), error=error,
                                done=done), status


@bp.get("/enrolments/<int:enrolment_id>")
def enrolment(enrolment_id: int):
    return _enrolment_page(_enrolment(enrolment_id))


def _gone_after_step(enrolment):
    """After approving, a supervisor may no longer see the enrolment: go back to the approvals list."""
    return None if services.can_view_enrolment(enrolment, _user()) else url_for("training.approvals")


bp.add_url_rule("/enrolments/<int:enrolment_id>/act/<trigger_name>", "enrolment_act", methods=["POST"],
                view_func=action_view(
                    _enrolment, "training/enrolment.html", "main", _enrolment_context, event=EVENT,
                    hidden=AUTOMATIC, gone=_gone_after_step,
                    page_url=lambda e: url_for("training.enrolment", enrolment_id=e.id)))


@bp.get("/enrolments/<int:enrolment_id>/evidence")
def evidence(enrolment_id: int):
    enrolment = _enrolment(enrolment_id)
    if not enrolment.evidence_name:
        abort(404)
    return uploads.serve(enrolment.evidence_name, enrolment.evidence_original or "bukti",
                         enrolment.evidence_mime or "application/octet-stream")


# --- e-learning ----------------------------------------------------------------------------------

def _learner_enrolment(enrolment_id: int) -> Enrolment:
    enrolment = _enrolment(enrolment_id)
    if enrolment.user_id != current_user.id and not _is_hr():
        abort(403)
    if not enrolment.course.is_elearning:
        abort(404)
    return enrolment


@bp.get("/enrolments/<int:enrolment_id>/learn")
def learn(enrolment_id: int):
    enrolment = _learner_enrolment(enrolment_id)
    return render_page_or_block("training/learn.html", "training", enrolment=enrolment,
                                learning=services.learning_status(enrolment))


@bp.get("/enrolments/<int:enrolment_id>/modules/<int:module_id>")
def module(enrolment_id: int, module_id: int):
    enrolment = _learner_enrolment(enrolment_id)
    module = db.session.get(Module, module_id)
    if module is None or module.course_id != enrolment.course_id:
        abort(404)
    modules = enrolment.course.modules
    index = modules.index(module)
    return render_page_or_block("training/module.html", "training", enrolment=enrolment, module=module,
                                learning=services.learning_status(enrolment),
                                previous=modules[index - 1] if index else None,
                                following=modules[index + 1] if index + 1 < len(modules) else None)


@bp.post("/enrolments/<int:enrolment_id>/modules/<int:module_id>/done")
def module_done(enrolment_id: int, module_id: int):
    enrolment = _learner_enrolment(enrolment_id)
    module = db.session.get(Module, module_id)
    if module is None:
        abort(404)
    try:
        moved = services.mark_module_done(enrolment, module, _user())
    except Refused as refusal:
        if refusal.status == 403:  # not the learner: the error page, as every refusal of authority
            abort(403, description=str(refusal.message))
        flash(str(refusal.message), "danger")
        return redirect(url_for("training.learn", enrolment_id=enrolment_id)), 303
    if moved.state == "completed":
        flash(_("Congratulations, you finished the course. HR will verify it and credit the JP."), "success")
        return redirect(url_for("training.enrolment", enrolment_id=enrolment_id))
    modules = moved.course.modules
    position = next((i for i, m in enumerate(modules) if m.id == module_id), 0)
    if position + 1 < len(modules):
        return redirect(url_for("training.module", enrolment_id=enrolment_id, module_id=modules[position + 1].id))
    return redirect(url_for("training.learn", enrolment_id=enrolment_id))


@bp.route("/enrolments/<int:enrolment_id>/quiz", methods=["GET", "POST"])
def quiz(enrolment_id: int):
    enrolment = _learner_enrolment(enrolment_id)
    result = error = None
    status = 200
    if request.method == "POST":
        try:
            score, passed = services.submit_quiz(enrolment, _user(), request.form.to_dict())
        except Refused as refusal:
            error, status = str(refusal.message), refusal.status
        else:
            db.session.expire_all()
            enrolment = db.session.get(Enrolment, enrolment_id)
            if enrolment.state == "completed":
                flash(_("You passed the quiz with %(score)s%% and finished the course. HR will verify it and "
                        "credit the JP.", score=score), "success")
                return redirect(url_for("training.enrolment", enrolment_id=enrolment_id))
            result = {"score": score, "passed": passed}
    return render_page_or_block("training/quiz.html", "training", enrolment=enrolment, result=result,
                                error=error, learning=services.learning_status(enrolment),
                                locked_until=services.quiz_locked_until(enrolment),
                                answers=request.form if request.method == "POST" else {}), status


# --- plans -----------------------------------------------------------------------------------------

def _plan_viewer():
    if not current_user.has_role(*PLAN_VIEWERS):
        abort(403)


def _plan_form() -> PlanForm:
    form = PlanForm()
    form.unit_id.choices = [SelectChoice(u.id, u.name) for u in db.session.scalars(select(Unit).order_by(Unit.name))]
    if form.year.data is None:
        form.year.data = today_wib().year
    return form


@bp.route("/plans/", methods=["GET", "POST"])
def plans():
    _plan_viewer()
    form = _plan_form()
    error = None
    status = 200
    if request.method == "POST":
        first = once.replay(form)
        if first:  # the same form again: its plan, not "this unit already has a plan"
            return once.already_done(first)
        if form.validate_on_submit():
            try:
                plan = services.create_plan(form.unit_id.data, form.year.data, _user(), form.suggest.data,
                                            once_token=form.form_token.data)
            except once.AlreadyDone as done:
                return once.already_done(done.url)
            except Refused as refusal:
                error, status = str(refusal.message), refusal.status
            else:
                flash(_("The draft plan was created."), "success")
                return redirect(url_for("training.plan", plan_id=plan.id))
        else:
            status = 422
    rows = list(db.session.scalars(select(Plan).options(selectinload(Plan.items).lazyload(PlanItem.user))
                                   .order_by(Plan.year.desc(), Plan.unit_id, Plan.revision.desc())))
    return render_page_or_block("training/plans.html", "training", plans=rows, form=form, error=error), status


def _plan(plan_id: int) -> Plan:
    _plan_viewer()
    plan = db.session.get(Plan, plan_id)
    if plan is None:
        abort(404)
    return plan


def _item_form(plan: Plan, fresh: bool = False) -> PlanItemForm:
    # fresh: an empty form with a new one-time token, shown after an item was added
    form = PlanItemForm(formdata=None) if fresh else PlanItemForm()
    form.user_id.choices = [SelectChoice(p.id, p.full_name) for p in services.unit_people(plan.unit_id)]
    form.course_id.choices = [SelectChoice(0, _("(none)"))] + [
        SelectChoice(c.id, f"{c.title} ({c.jp} JP)") for c in db.session.scalars(
            select(Course).where(Course.active.is_(True)).order_by(Course.title))]
    return form


def _plan_context(plan, item_form=None, fresh=False) -> dict:
    return {"plan": plan, "actions": available(plan, _user()), "needs": services.needs(plan),
            "realisation": services.realisation(plan), "history": history_sentences(plan),
            "waiting_for": waiting_for(plan), "item_form": item_form or _item_form(plan, fresh),
            "amendment": services.open_amendment(plan),
            "superseded_by": db.session.get(Plan, plan.superseded_by_id) if plan.superseded_by_id else None}


def _plan_page(plan, error=None, done=None, status=200, item_form=None, fresh=False):
    return render_page_or_block("training/plan.html", "main", **_plan_context(plan, item_form, fresh),
                                error=error, done=done), status


@bp.get("/plans/<int:plan_id>")
def plan(plan_id: int):
    return _plan_page(_plan(plan_id))


def _after_plan_change(plan_id: int, notice: str):
    db.session.expire_all()
    plan = db.session.get(Plan, plan_id)
    if wants_fragment():
        body, status = _plan_page(plan, done=notice, fresh=True)
        return trigger(make_response(body, status), EVENT, "inbox-changed")
    flash(notice, "success")
    return redirect(url_for("training.plan", plan_id=plan_id))


def _plan_refused(plan_id: int, refusal: Refused):
    db.session.expire_all()
    return _plan_page(db.session.get(Plan, plan_id), error=str(refusal.message), status=refusal.status)


def _item_already_added(plan_id: int, url: str):
    if wants_fragment():
        db.session.expire_all()
        return _plan_page(db.session.get(Plan, plan_id), fresh=True,
                          done=_("This form had already been sent; nothing new was created. This is what the "
                                 "first submission created."))
    return once.already_done(url)


@bp.post("/plans/<int:plan_id>/items")
def plan_item_add(plan_id: int):
    plan = _plan(plan_id)
    form = _item_form(plan)
    first = once.replay(form)
    if first:  # the same item posted again: the plan as the first post left it
        return _item_already_added(plan_id, first)
    if plan.editable and not form.validate_on_submit():
        return _plan_page(plan, item_form=form, status=422)
    try:
        services.add_item(plan.id, {"user_id": form.user_id.data, "course_id": form.course_id.data or None,
                                    "title": form.title.data, "kind": form.kind.data,
                                    "planned_jp": form.planned_jp.data}, _user(), once_token=form.form_token.data)
    except once.AlreadyDone as done:
        return _item_already_added(plan_id, done.url)
    except Refused as refusal:
        return _plan_refused(plan_id, refusal)
    return _after_plan_change(plan_id, _("The activity was added to the plan."))


@bp.post("/plans/<int:plan_id>/items/<int:item_id>/delete")
def plan_item_remove(plan_id: int, item_id: int):
    _plan(plan_id)
    try:
        services.remove_item(plan_id, item_id, _user())
    except Refused as refusal:
        return _plan_refused(plan_id, refusal)
    return _after_plan_change(plan_id, _("The activity was removed from the plan."))


bp.add_url_rule("/plans/<int:plan_id>/act/<trigger_name>", "plan_act", methods=["POST"], view_func=action_view(
    _plan, "training/plan.html", "main", _plan_context, event=EVENT,
    page_url=lambda p: url_for("training.plan", plan_id=p.id)))


@bp.post("/plans/<int:plan_id>/amend")
def plan_amend(plan_id: int):
    _plan(plan_id)
    try:
        new = services.amend(plan_id, _user())
    except Refused as refusal:
        return _plan_refused(plan_id, refusal)
    flash(_("An amendment was started as a new draft. Change it, then submit it to the Camat."), "success")
    if wants_fragment():
        response = make_response("", 204)
        response.headers["HX-Redirect"] = url_for("training.plan", plan_id=new.id)
        return response
    return redirect(url_for("training.plan", plan_id=new.id))


# --- home cards --------------------------------------------------------------------------------------

@home_card(order=30)
def _my_jp_card(user):
    jp = services.tally(user)
    return {"title": _l("My JP this year"), "value": f"{jp} / {JP_TARGET} JP",
            "text": _l("Competence development target: at least 20 JP a year."),
            "url": url_for("training.me"), "link": _l("My development"),
            "tone": "success" if jp >= JP_TARGET else "warning"}
