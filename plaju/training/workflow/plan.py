"""The annual plan of competence development of a unit: HR drafts it (services.plans fills it from the
needs), submits it, and the Camat approves it or returns it with notes; an approved plan is changed only
by an amendment, a new revision the Camat approves again."""
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ...accounts.models import User, UserRole
from ...core.urls import path_by_id
from ...extensions import db
from ...i18n import gettext as _
from ...i18n import lazy_gettext as _l
from ...notify.assignments import News, register_news
from ...workflow import Spec, State, Step, register, roles
from ..models import Plan
from .who import HR

_plan_path = path_by_id("training.plan", "plan_id")


def plan_url(plan) -> str:
    return _plan_path(plan.id)


def _plan_has_items(plan, _actor):
    if not plan.items:
        return _("The plan has no planned activities yet.")
    return None


def _record_approval(plan, ctx):
    plan.approved_by_id = ctx.actor.id
    plan.approved_at = ctx.now
    ctx.change("approved_by_id", None, ctx.actor.id)
    if plan.amends_id:
        previous = db.session.get(Plan, plan.amends_id)
        ctx.change("supersedes", None, previous.id)
        previous.superseded_by_id = plan.id


def _keep_notes(plan, ctx):
    ctx.change("notes", plan.notes, ctx.comment)
    plan.notes = ctx.comment or ""


PLAN_STATES = [
    State("draft", _l("Draft"), tone="neutral"),
    State("submitted", _l("Submitted to the Camat"), clock=True, tone="info"),
    State("returned", _l("Returned with notes"), tone="warning"),
    State("approved", _l("Approved"), terminal=True, tone="success"),
    State("cancelled", _l("Cancelled"), terminal=True, tone="neutral"),
]

def _gist(plan) -> list[str]:
    """What the Camat approves, beside the to-do and in the bulk confirmation: a plan approved from a one-line
    row ("2027 rev. 1 · Kecamatan Plaju") was approved unread, its JP and its budget unseen."""
    if plan.state != "submitted":
        return []
    from ..models import FUNDING
    from ..services.plan_figures import totals
    from ..views.common import rupiah
    sums = totals(plan)
    sources = ", ".join(f"{FUNDING[code]} {rupiah(amount)}" for code, amount in sums.by_funding.items() if amount)
    lines = [_("%(n)s activities, %(jp)s JP in all; estimated cost %(cost)s", n=len(plan.items), jp=sums.jp,
               cost=rupiah(sums.cost)) + (f" ({sources})" if sources else "")]
    if plan.amends_id:
        lines.append(_("An amendment: it replaces the approved revision %(n)s once approved.", n=plan.amends.revision))
    return lines


PLAN_FLOW = register(Spec(
    name="training_plan", model=Plan, initial="draft", states=PLAN_STATES,
    steps=[
        Step("submit", ("draft", "returned"), "submitted", _l("Submit to the Camat"), who=HR,
             guards=(_plan_has_items,)),
        Step("approve", "submitted", "approved", _l("Approve the plan"), who=roles("camat"), reauth=True,
             four_eyes=True, effect=_record_approval, style="success", bulk=True),
        Step("return", "submitted", "returned", _l("Return with notes"), who=roles("camat"),
             comment_required=True, comment_internal=True, four_eyes=True, effect=_keep_notes, style="warning"),
        Step("cancel", ("draft", "returned"), "cancelled", _l("Cancel the draft"), who=HR, style="secondary",
             todo=False),
    ],
    owners=lambda p: {p.created_by_id} if p.created_by_id else set(),
    describe=lambda p: f"{p.unit.name} {p.year} rev. {p.revision}",
    url=plan_url, owner_attr="created_by_id", kind_label=_l("Annual training plans"),
    summary=lambda p: {"code": f"{p.year} rev. {p.revision}", "type": _("Annual training plan"),
                       "name": p.unit.name, "about": _gist(p)},
    inbox_options=(selectinload(Plan.items), selectinload(Plan.amends)),
))


# --- what people are told after each step (to-dos come from the assignments) ---------------------

def _hr_staff(_plan):
    return db.session.scalars(select(User).join(UserRole, UserRole.user_id == User.id).where(
        UserRole.role == "hr", User.active.is_(True)).order_by(User.id)).all()


register_news(
    "training_plan", _l("Competence development plan"),
    item=lambda p: f"{p.unit.name} {p.year} rev. {p.revision}",
    params=lambda p: {"title": f"{p.unit.name} {p.year} rev. {p.revision}"},
    news={
        "approve": News(_hr_staff, _l("The Camat approved the competence development plan %(title)s")),
        "return": News(_hr_staff, _l("The Camat returned the competence development plan %(title)s: "
                                     "%(reason)s")),
    })
