"""Annual plans of competence development: list, create, items, steps, amendments, XLSX export."""
import io

from flask import abort, flash, make_response, redirect, render_template, request, send_file, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from wtforms.fields.choices import SelectChoice

from ... import once
from ...accounts.models import Unit
from ...audit.record import refuse_access as audit_access
from ...extensions import db
from ...htmx import render_page_or_block, trigger, wants_fragment
from ...i18n import gettext as _
from ...spreadsheet import XLSX_MIME
from ...timeutil import today_wib
from ...workflow import Refused, available
from ...workflow.ui import action_view, history_sentences, waiting_for
from ..forms import PlanForm, PlanItemEditForm, PlanItemForm
from ..models import FUNDING, QUARTERS, Plan, PlanItem
from ..services import plan_figures, plan_needs
from ..services import plans as plans_service
from ..services.competences import plannable_courses
from ..services.history import audit_export
from .common import EVENT, actor, bp


def _plan_viewer():
    if not plans_service.may_read_plan(actor()):
        abort(403)  # audited, as every 403 (core.errors)


def _plan_form() -> PlanForm:
    form = PlanForm()
    form.unit_id.choices = [SelectChoice(u.id, u.name) for u in db.session.scalars(select(Unit).order_by(Unit.name))]
    if form.year.data is None:  # plans are drafted for the coming budget year
        form.year.data = today_wib().year + 1
    return form


@bp.route("/plans/", methods=["GET", "POST"])
def plans():
    _plan_viewer()
    form = _plan_form()
    error = None
    status = 200
    if request.method == "POST":
        try:  # a section head reads the list, the form is HR's: refused before anything it sent is read
            plans_service.check_drafts(actor())
        except Refused as refusal:
            abort(refusal.status)
        first = once.replay(form)
        if first:  # the same form again: its plan, not "this unit already has a plan"
            return once.already_done(first)
        if form.validate_on_submit():
            try:
                plan = plans_service.create_plan(form.unit_id.data, form.year.data, actor(), form.suggest.data,
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
    shown = select(Plan)
    units = plans_service.plan_units(actor())
    if units is not None:  # a section head: the plans of the unit they lead
        shown = shown.where(Plan.unit_id.in_(units))
    rows = list(db.session.scalars(shown.options(selectinload(Plan.items).lazyload(PlanItem.user))
                                   .order_by(Plan.year.desc(), Plan.unit_id, Plan.revision.desc())))
    return render_page_or_block("training/plans.html", "training", plans=rows, form=form, error=error), status


def _plan(plan_id: int) -> Plan:
    _plan_viewer()
    plan = db.session.get(Plan, plan_id)
    if plan is None:
        abort(404)
    if not plans_service.may_read_plan(actor(), plan):
        abort(403)  # another unit's plan: audited, as every 403
    return plan


def _item_form(plan: Plan, fresh: bool = False) -> PlanItemForm:
    # fresh: an empty form with a new one-time token, shown after an item was added
    return _choices_for(PlanItemForm(formdata=None) if fresh else PlanItemForm(), plan)


def _choices_for(form, plan: Plan):
    """The person and course choices of an item form (add or edit) for this plan."""
    form.user_id.choices = [SelectChoice(0, _("(a group, named below)"))] + [
        SelectChoice(p.id, p.full_name) for p in plan_needs.unit_people(plan.unit_id)]
    form.course_id.choices = [SelectChoice(0, _("(to be chosen)"))] + [
        SelectChoice(c.id, f"{c.title} ({c.jp} JP{', ' + c.starts_on.strftime('%d.%m.%Y') if c.starts_on else ''})")
        for c in plannable_courses(plan.year)]
    return form


def _plan_context(plan, item_form=None, fresh=False, editing=None, edit_form=None, edit_error=None) -> dict:
    return {"editing": editing, "edit_form": edit_form, "edit_error": edit_error,
            "plan": plan, "actions": available(plan, actor()), "needs": plan_needs.needs(plan),
            "realisation": plan_figures.realisation(plan), "totals": plan_figures.totals(plan),
            "FUNDING": FUNDING, "QUARTERS": QUARTERS, "history": history_sentences(plan),
            "waiting_for": waiting_for(plan), "item_form": item_form or _item_form(plan, fresh),
            "amendment": plans_service.open_amendment(plan),
            "superseded_by": db.session.get(Plan, plan.superseded_by_id) if plan.superseded_by_id else None}


def _plan_page(plan, error=None, done=None, status=200, item_form=None, fresh=False, **editing):
    return render_page_or_block("training/plan.html", "main", **_plan_context(plan, item_form, fresh, **editing),
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
        plans_service.add_item(plan.id, {"user_id": form.user_id.data or None, "course_id": form.course_id.data or None,
                                         "group_label": form.group_label.data, "participants": form.participants.data,
                                         "title": form.title.data, "kind": form.kind.data,
                                         "planned_jp": form.planned_jp.data, "quarter": form.quarter.data or None,
                                         "cost": form.cost.data, "funding": form.funding.data}, actor(),
                               once_token=form.form_token.data)
    except once.AlreadyDone as done:
        return _item_already_added(plan_id, done.url)
    except Refused as refusal:
        return _plan_refused(plan_id, refusal)
    return _after_plan_change(plan_id, _("The activity was added to the plan."))


# --- an item edited in place: the row turns into a form, saving redraws the plan (row and totals),
# cancelling brings the row back. Without JavaScript the same URLs serve the whole page.

def _plan_for_change(plan_id: int) -> Plan:
    """The plan, or 404; who may change it is the service's rule (refusals audited there)."""
    plan = db.session.get(Plan, plan_id)
    if plan is None:
        abort(404)
    return plan


def _may_edit_items():
    if not current_user.has_role("hr"):
        audit_access()


def _row(plan: Plan, item: PlanItem, edit_form=None, edit_error=None, status=200):
    # the row read again (cancelling an edit) says what of it was realised, as on the page
    done = None if edit_form else plan_figures.realisation(plan).items.get(item.id)
    return render_template("training/_plan_item_row.html", plan=plan, item=item, edit_form=edit_form,
                           edit_error=edit_error, done=done, FUNDING=FUNDING, QUARTERS=QUARTERS), status


def _item_of(plan: Plan, item_id: int) -> PlanItem:
    item = db.session.get(PlanItem, item_id)
    if item is None or item.plan_id != plan.id:
        abort(404)
    return item


@bp.get("/plans/<int:plan_id>/items/<int:item_id>")
def plan_item_row(plan_id: int, item_id: int):
    plan = _plan(plan_id)
    item = _item_of(plan, item_id)
    if not wants_fragment():
        return redirect(url_for("training.plan", plan_id=plan_id) + f"#item-{item_id}")
    return _row(plan, item)


@bp.get("/plans/<int:plan_id>/items/<int:item_id>/edit")
def plan_item_edit(plan_id: int, item_id: int):
    _may_edit_items()
    plan = _plan(plan_id)
    item = _item_of(plan, item_id)
    form = _choices_for(PlanItemEditForm.for_item(item), plan)
    if not plan.editable:
        return _plan_page(plan, error=_("The plan can only be changed while it is a draft or returned."),
                          status=422)
    if wants_fragment():
        return _row(plan, item, edit_form=form)
    return _plan_page(plan, editing=item.id, edit_form=form)


@bp.post("/plans/<int:plan_id>/items/<int:item_id>/edit")
def plan_item_save(plan_id: int, item_id: int):
    plan = _plan_for_change(plan_id)
    item = db.session.get(PlanItem, item_id)
    form = None
    if item is not None and item.plan_id == plan.id and current_user.has_role("hr") and plan.editable:
        form = _choices_for(PlanItemEditForm.for_item(item, formdata=request.form), plan)
        if not form.validate_on_submit():
            return _plan_page(plan, editing=item.id, edit_form=form, status=422)
    try:
        plans_service.update_item(plan_id, item_id, form.values() if form else {}, actor(),
                                  seen=form.seen.data if form else None)
    except Refused as refusal:
        db.session.expire_all()
        plan = db.session.get(Plan, plan_id)
        if not plans_service.may_read_plan(actor(), plan):
            abort(refusal.status)
        item = db.session.get(PlanItem, item_id)
        if form is None or item is None:
            return _plan_page(plan, error=str(refusal.message), status=refusal.status)
        # the row stays a form holding what was posted, with the reason beside it; saved by someone else
        # since it was opened, it shows the activity as saved (his change is not undone by a second save)
        stale = refusal.code == "conflict"
        form = _choices_for(PlanItemEditForm.for_item(item, formdata=None if stale else request.form), plan)
        return _plan_page(plan, editing=item.id, edit_form=form, edit_error=str(refusal.message),
                          status=refusal.status)
    return _after_plan_change(plan_id, _("The activity was changed."))


@bp.post("/plans/<int:plan_id>/fill")
def plan_fill(plan_id: int):
    """"Isi dari kebutuhan" on an existing draft: items proposed from the gaps, none repeated."""
    plan = _plan_for_change(plan_id)
    try:
        added = plans_service.fill_from_needs(plan_id, actor())
    except Refused as refusal:
        if not plans_service.may_read_plan(actor(), plan):
            abort(refusal.status)
        return _plan_refused(plan_id, refusal)
    if added:
        notice = _("Activities proposed from the needs: %(n)s. Check them, then change or remove what does not fit.",
                   n=added)
    else:
        notice = _("Nothing new to propose: the plan already covers the needs it can.")
    return _after_plan_change(plan_id, notice)


@bp.post("/plans/<int:plan_id>/items/<int:item_id>/delete")
def plan_item_remove(plan_id: int, item_id: int):
    _plan(plan_id)
    try:
        plans_service.remove_item(plan_id, item_id, actor())
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
        new = plans_service.amend(plan_id, actor())
    except Refused as refusal:
        return _plan_refused(plan_id, refusal)
    flash(_("An amendment was started as a new draft. Change it, then submit it to the Camat."), "success")
    if wants_fragment():
        response = make_response("", 204)
        response.headers["HX-Redirect"] = url_for("training.plan", plan_id=new.id)
        return response
    return redirect(url_for("training.plan", plan_id=new.id))



@bp.get("/plans/<int:plan_id>.xlsx")
def plan_xlsx(plan_id: int):
    plan = _plan(plan_id)
    data = plan_figures.plan_workbook(plan)
    audit_export(actor(), "training_plan.export", "training_plan", plan.id, {"format": [None, "xlsx"]})
    name = f"rencana-pengembangan-kompetensi-{plan.year}-{plan.unit.code}-r{plan.revision}.xlsx"
    return send_file(io.BytesIO(data), download_name=name, as_attachment=True, mimetype=XLSX_MIME)
