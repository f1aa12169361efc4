"""The document request workflow: from the counter to hand-over.

received -> verifying -> (returned to the citizen -> verifying) -> processing
  -> [at Disdukcapil -> back from Disdukcapil] -> [awaiting signature -> signed] -> ready -> handed over
Rejected (with a reason) from verification and processing; cancelled (citizen withdraws) before work ends.
The service clock runs in states marked clock=True, pauses while the request is back with the citizen
and stops when the document is ready; `track_clock` keeps the books after every step.
"""
import json

from flask_babel import lazy_gettext as _l

from ..workflow import Invalid, Spec, State, Step, register, roles
from . import sla
from .models import DocumentRequest

CLERK, KASI, CAMAT = "clerk", "section_head", "camat"
COUNTER = roles(CLERK, KASI)


class TypeRule:
    """A guard that depends only on the document type. When it says no, the step does not apply to
    this kind of document at all, so the page hides the button instead of showing it disabled."""
    structural = True

    def __init__(self, check, message):
        self.check = check
        self.message = message

    def __call__(self, request, _actor):
        return None if self.check(request) else self.message


def _forwarded_or_not_needed(r) -> bool:
    return not r.type.forwards_to_disdukcapil or r.disdukcapil_back_at is not None


needs_forwarding = TypeRule(lambda r: r.type.forwards_to_disdukcapil and r.disdukcapil_back_at is None,
                            _l("This document type is not forwarded to Disdukcapil."))
needs_signature = TypeRule(lambda r: r.type.camat_signs and _forwarded_or_not_needed(r),
                           _l("This document type is not signed by the Camat, or is still to be forwarded."))
no_signature = TypeRule(lambda r: not r.type.camat_signs and _forwarded_or_not_needed(r),
                        _l("This document type needs the Camat's signature, or is still to be forwarded."))


def _requirements_complete(request, _actor):
    missing = [item["label"] for item in request.checklist_items if item.get("required") and not item.get("ok")]
    if missing:
        return _l("Required documents are still missing: %(items)s.", items=", ".join(missing))
    return None


def _set_checklist(request, ctx, ids, ok: bool):
    wanted = {int(i) for i in ids}
    items = request.checklist_items
    changed = [item["label"] for item in items if item["id"] in wanted and item.get("ok") != ok]
    for item in items:
        if item["id"] in wanted:
            item["ok"] = ok
    if changed:
        ctx.change("missing" if not ok else "received", None, changed)
        request.checklist = json.dumps(items, ensure_ascii=False)


def _mark_missing(request, ctx):
    _set_checklist(request, ctx, ctx.data.get("missing") or (), ok=False)


def _mark_received(request, ctx):
    _set_checklist(request, ctx, ctx.data.get("ticked") or (), ok=True)
    message = _requirements_complete(request, ctx.actor)
    if message:
        raise Invalid(message, code="requirements")


def _back_from_disdukcapil(request, ctx):
    ctx.change("disdukcapil_back_at", request.disdukcapil_back_at, ctx.now.isoformat())
    request.disdukcapil_back_at = ctx.now


def _signed(request, ctx):
    request.signed_by_id = ctx.actor.id
    title = ctx.delegation.title if ctx.delegation else (ctx.actor.position or ctx.actor.full_name)
    ctx.change("signed_as", request.signed_as or None, title)
    request.signed_as = title
    from .letters import issue_letter  # the signed PDF: numbered, signed and stored in this same transaction
    issue_letter(request, ctx)


def track_clock(request, step, from_state, ctx):
    """Shared bookkeeping after every step: pause, resume and stop the service clock."""
    holidays = ctx.data.get("holidays")
    if holidays is None:
        from .services import holiday_set
        holidays = holiday_set()
    was_running = DOCUMENT_FLOW.state(from_state).clock
    dest = DOCUMENT_FLOW.state(request.state)
    if was_running and not dest.clock and request.clock_started_at is not None:
        used = request.clock_used_minutes + sla.working_minutes_between(request.clock_started_at, ctx.now, holidays)
        ctx.change("clock_used_minutes", request.clock_used_minutes, used)
        request.clock_used_minutes = used
        request.clock_started_at = None
        if request.state == "returned":
            ctx.change("due_at", request.due_at and request.due_at.isoformat(), None)
            request.due_at = None
    elif dest.clock and not was_running:
        request.clock_started_at = ctx.now
        left = max(request.budget_minutes - request.clock_used_minutes, 0)
        due = sla.add_working_minutes(ctx.now, left, holidays)
        ctx.change("due_at", request.due_at and request.due_at.isoformat(), due.isoformat())
        request.due_at = due
    if request.state == "ready":
        request.ready_at = ctx.now
        request.service_minutes = request.clock_used_minutes
    if dest.terminal:
        request.closed_at = ctx.now
    if request.state == "handed_over":
        request.wait_minutes = sla.working_minutes_between(request.received_at, ctx.now, holidays)
        ctx.change("wait_minutes", None, request.wait_minutes)


STATES = [
    State("received", _l("Received"), clock=True),
    State("verifying", _l("Verification"), clock=True),
    State("returned", _l("Returned to the citizen")),
    State("processing", _l("Processing"), clock=True),
    State("at_disdukcapil", _l("Forwarded to Disdukcapil"), clock=True),
    State("back_from_disdukcapil", _l("Back from Disdukcapil"), clock=True),
    State("awaiting_signature", _l("Awaiting signature"), clock=True),
    State("signed", _l("Signed"), clock=True),
    State("ready", _l("Ready for pick-up")),
    State("handed_over", _l("Handed over"), terminal=True),
    State("rejected", _l("Rejected"), terminal=True),
    State("cancelled", _l("Cancelled"), terminal=True),
]

STEPS = [
    Step("verify", "received", "verifying", _l("Start verification"), who=COUNTER),
    Step("return_to_citizen", ("verifying", "processing"), "returned", _l("Return to the citizen"),
         who=COUNTER, comment_required=True, style="warning", effect=_mark_missing),
    Step("resubmit", "returned", "verifying", _l("Documents resubmitted"), who=COUNTER,
         effect=_mark_received),
    Step("accept", "verifying", "processing", _l("Requirements complete, process"), who=roles(KASI),
         guards=(_requirements_complete,), delegable=True, four_eyes=True, style="success"),
    Step("forward", "processing", "at_disdukcapil", _l("Forward to Disdukcapil"), who=COUNTER,
         guards=(needs_forwarding,), delegable=True),
    Step("back_from_disdukcapil", "at_disdukcapil", "back_from_disdukcapil", _l("Back from Disdukcapil"),
         who=COUNTER, effect=_back_from_disdukcapil),
    Step("to_signature", ("processing", "back_from_disdukcapil"), "awaiting_signature",
         _l("Submit for the Camat's signature"), who=roles(KASI), guards=(needs_signature,), delegable=True),
    Step("complete", ("processing", "back_from_disdukcapil"), "ready", _l("Finished, ready for pick-up"),
         who=roles(KASI), guards=(no_signature,), delegable=True, style="success"),
    Step("sign", "awaiting_signature", "signed", _l("Sign"), who=roles(CAMAT), reauth=True,
         delegable=True, four_eyes=True, effect=_signed, style="success"),
    Step("send_back", "awaiting_signature", "processing", _l("Send back for correction"), who=roles(CAMAT),
         comment_required=True, delegable=True, style="warning"),
    Step("mark_ready", "signed", "ready", _l("Ready for pick-up"), who=COUNTER, style="success"),
    Step("hand_over", "ready", "handed_over", _l("Hand over to the citizen"), who=COUNTER, style="success"),
    Step("reject", ("verifying", "returned", "processing", "back_from_disdukcapil"), "rejected",
         _l("Reject"), who=roles(KASI), comment_required=True, style="danger"),
    Step("cancel", ("received", "verifying", "returned"), "cancelled", _l("Cancel (citizen withdraws)"),
         who=COUNTER, comment_required=True, style="secondary"),
]

DOCUMENT_FLOW = register(Spec(
    name="document", model=DocumentRequest, initial="received", states=STATES, steps=STEPS,
    owners=lambda r: {r.created_by_id} if r.created_by_id else set(),
    describe=lambda r: r.tracking_code, after_each=track_clock,
))

OPEN_STATES = tuple(s.name for s in STATES if not s.terminal)
CLOCK_STATES = tuple(s.name for s in STATES if s.clock)
TERMINAL_STATES = tuple(s.name for s in STATES if s.terminal)
