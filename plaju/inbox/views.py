"""/inbox/: "Perlu tindakan saya", the navigation counter, actions in the row and in bulk."""
from flask import Blueprint, make_response, request, url_for
from flask_login import current_user, login_required

from ..core.registry import home_card, nav_item
from ..htmx import render_page_or_block, trigger
from ..i18n import gettext as _
from ..i18n import lazy_gettext as _l
from ..workflow import Refused, all_specs, spec_for, spec_named
from . import batch, services

bp = Blueprint("inbox", __name__, url_prefix="/inbox")
nav_item("inbox.index", _l("Needs my action"), order=1, counter="inbox.count")


@bp.record_once
def _register(state):
    """A step taken on an item's page opened from the inbox goes on to the next waiting item."""
    state.app.extensions["workflow_next_item"] = next_item_url


def next_item_url(actor, entity, stand_in: bool = False) -> str | None:
    """None while `entity` still awaits the actor (they go on with it); else the page of the next item
    awaiting them, or the list when nothing is left (which then says so). With `stand_in`, of the list of
    what waits for them as Plh/Plt: a Plh signing from it stays among his letters to sign."""
    spec = spec_for(entity)
    if services.awaits(actor, entity.id, spec.name, stand_in=stand_in):
        return None
    row = services.next_after(actor, spec.name, entity.id, stand_in=stand_in)
    if row is not None and row.open_url:
        return row.open_url
    return url_for("inbox.index", **({"as": STAND_IN} if stand_in else {}))


@bp.before_request
@login_required
def _signed_in():
    return None


def _page(status: int = 200, **context):
    kind = request.values.get("kind") or None
    if kind is not None and spec_named(kind) is None:
        kind = None
    user = current_user._get_current_object()
    stand_in = request.values.get("as") == STAND_IN
    groups, delegations, waiting_as = services.inbox_page(user, kind=kind, after=request.args.get("after"),
                                                          stand_in=stand_in)
    # a Plh's signatures were buried among the day's counter work: the banner counts them and filters to them
    context["stand_in"] = stand_in
    context["stand_in_total"] = services.count_label(waiting_as) if waiting_as else None
    services.end_reading()
    context.setdefault("open_key", None)
    if context["open_key"] is None and groups and groups[0].rows and context.get("opened_next"):
        context["open_key"] = groups[0].rows[0].key
    # the bulk buttons only where a row on the page can be taken in bulk, one per kind and named by what it
    # does there: one press signs the letters, never a year's plan with them unread
    bulk = [row.bulk_action for group in groups for row in group.rows if row.bulk_action]
    bulk_kinds = []
    for group in groups:
        actions = [row.bulk_action for row in group.rows if row.bulk_action]
        if actions:
            labels = {str(a.label) for a in actions}
            bulk_kinds.append((group.spec, len(actions), labels.pop() if len(labels) == 1 else None))
    if context.get("confirm"):  # the password field only for a batch that asks for it
        context["confirm_signs"] = batch.needs_password(value for value, *_rest in context["confirm"])
    html = render_page_or_block("inbox/index.html", "inbox", groups=groups, delegations=delegations, kind=kind,
                                total_label=services.count_label(sum(g.count for g in groups)),
                                item_value=services.item_value, bulk_any=bool(bulk), bulk_kinds=bulk_kinds,
                                bulk_label=_bulk_label(bulk),
                                **context)
    response = make_response(html, status)
    if context.get("changed"):
        trigger(response, "inbox-changed", "notifications-changed")
    return response


STAND_IN = "standin"  # ?as=standin: only what waits for the reader as Plh/Plt


def _bulk_label(bulk) -> str:
    """The "selected" button says what it does: the one step all rows take ("Ready for pick-up"), else that
    each ticked row takes its own (it read "Approve the selected" over documents marked ready; the
    confirmation then names each row's step)."""
    labels = {str(a.label) for a in bulk}
    if len(labels) == 1:
        return _("%(step)s: the selected", step=labels.pop())
    return _("Do the selected, each its own step")


@bp.get("/")
def index():
    return _page()


@bp.get("/count")
def count():
    waiting = services.count(current_user._get_current_object())
    services.end_reading()
    return render_page_or_block("inbox/_count.html", "count", waiting=waiting,
                                label=services.count_label(waiting))


@bp.post("/act")
def act():
    """One step on one row (approve, sign, return or reject with the reason typed in the row). Then the
    next waiting row opens."""
    raw = request.form.get("item", "")
    outcome = services.act(current_user, raw, comment=request.form.get("comment"),
                           password=request.form.get("password"))
    return _page(200 if outcome.ok else outcome.status, outcomes=[outcome], changed=outcome.ok, opened_next=outcome.ok)


def _selected() -> list[str]:
    kind = request.form.get("all")  # every row of this kind on the page
    if kind:
        return [value for value in request.form.getlist("page_item") if value.split(":", 1)[0] == kind]
    return request.form.getlist("item")


@bp.post("/confirm")
def confirm():
    """The confirmation of a batch: every selected item (code, type, name) and one password field."""
    selected = _selected()
    error = batch.too_many(current_user._get_current_object(), selected, "inbox.confirm")
    if error:  # 70,000 made-up items held SQLite's write lock for 24 s, one read each
        return _page(error.status, error=str(error.message))
    chosen = batch.describe(current_user, selected)
    if not chosen:
        return _page(422, error=_("Select at least one item."))
    return _page(confirm=chosen)


@bp.post("/bulk")
def bulk():
    raw_items = request.form.getlist("item")
    try:
        outcomes = batch.act_in_bulk(current_user, raw_items, request.form.get("password", ""))
    except Refused as refusal:
        return _page(refusal.status, confirm=batch.describe(current_user, raw_items), error=str(refusal.message))
    return _page(outcomes=outcomes, changed=any(o.ok for o in outcomes))


@home_card(order=0)
def _inbox_card(user):
    """Every role's home page leads with what awaits them."""
    per_kind = services.counts(user)
    total = sum(per_kind.values())
    kinds = [f"{spec.kind_label or spec.name}: {services.count_label(per_kind[spec.name])}"
             for spec in all_specs() if per_kind.get(spec.name)]
    return {"title": _l("Needs my action"), "value": services.count_label(total),
            "text": " · ".join(kinds) if kinds else _("Nothing waits for you."),
            "url": url_for("inbox.index"), "link": _l("Open the list"), "tone": "warning" if total else None}
