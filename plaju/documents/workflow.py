"""The document request workflow: from the counter to hand-over.

received -> verifying -> (returned to the citizen -> verifying) -> processing
  -> [at Disdukcapil -> back from Disdukcapil] -> [awaiting signature -> signed] -> ready -> handed over
Rejected (with a reason) from verification and processing; cancelled (citizen withdraws) before work ends.
The service clock runs in states marked clock=True, pauses while the request is back with the citizen
and stops when the document is ready; `track_clock` keeps the books after every step.
"""
import json

from ..i18n import lazy_gettext as _l
from ..notify.assignments import News, register_news
from ..workflow import Invalid, Spec, State, Step, register, roles
from . import sla
from .calendar import holiday_set
from .models import DocumentRequest
from .rows import draft_link, gist, prefetch, request_path, signer_note  # noqa: F401  (views read them here)
from .subject_rules import needed_before, wedding_passed

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


def _scanned(request) -> bool:
    hinted = getattr(request, "_inbox_hints", {}).get("scans")  # a list page read its rows' at once
    return bool(request.attachments if hinted is None else hinted)


def _no_scans(request):
    """Said beside "requirements complete": the letter the Camat signs rests on papers nobody kept a scan of."""
    if not _scanned(request):
        return _l("No scan of the documents is on file: check the papers themselves, and add their scans (Add "
                  "scans) so they are kept with the request.")
    return None


def _signs_unscanned(request):
    """Said beside the signature too: the Kasi may have accepted with the caution above."""
    if not _scanned(request):
        return _l("No scan of the requirements is on file: they were checked on paper only. Ask for the papers, "
                  "or send it back for correction so their scans are added.")
    return None


def _set_checklist(request, ctx, ids, ok: bool):
    wanted = {int(i) for i in ids}
    items = request.checklist_items
    changed = [item["label"] for item in items if item["id"] in wanted and item.get("ok") != ok]
    for item in items:
        if item["id"] in wanted:
            if ok and not item.get("ok"):  # who saw it brought back: not the one who accepts it (four eyes)
                item["by"] = ctx.actor.id
            item["ok"] = ok
    if changed:
        ctx.change("missing" if not ok else "received", None, changed)
        request.checklist = json.dumps(items, ensure_ascii=False)


def _mark_missing(request, ctx):
    # a file goes back for a document missing or not valid: which one is recorded, so the checklist, the
    # slip and the citizen's page agree and the clerk knows what to check when the citizen returns
    known = {item["id"] for item in request.checklist_items}
    if known and not known & {int(i) for i in ctx.data.get("missing") or () if (str(i).isascii() and str(i).isdigit())}:
        raise Invalid(_l("Tick which documents are missing or not valid: the citizen is told to bring them, "
                         "and the clerk checks them when the citizen comes back."), code="missing")
    _set_checklist(request, ctx, ctx.data.get("missing") or (), ok=False)
    request.return_reason = ctx.comment or ""  # printed on the "berkas dikembalikan" slip


def _brought_back_to(request) -> list:
    """Who recorded a document the citizen brought back (the resubmission's ticks)."""
    return [item["by"] for item in request.checklist_items if item.get("ok") and item.get("by")]


CHECKED_THEM = _l("You recorded the documents brought back yourself: another section head checks that the "
                  "requirements are complete (four-eyes rule).")


def _mark_received(request, ctx):
    _set_checklist(request, ctx, ctx.data.get("ticked") or (), ok=True)
    message = _requirements_complete(request, ctx.actor)
    if message:
        raise Invalid(message, code="requirements")


def _back_from_disdukcapil(request, ctx):
    ctx.change("disdukcapil_back_at", request.disdukcapil_back_at, ctx.now.isoformat())
    request.disdukcapil_back_at = ctx.now


def _accepted(request, ctx):
    # who found the requirements complete prepared the letter too: as Plh Camat he does not also sign it
    add_preparer(request, ctx.actor.id)


def _submitted(request, ctx):
    # the step's own event already names who (no change to list); a submitter of an earlier round stays
    # one of those who prepared it
    add_preparer(request, request.submitted_by_id)
    request.submitted_by_id = ctx.actor.id


def add_preparer(request, user_id: int | None) -> None:
    """Keep `user_id` among those who prepared the letter (four eyes: none of them signs it)."""
    preparers = [i for i in request.preparer_ids.split(",") if i]
    if user_id is not None and str(user_id) not in preparers:
        request.preparer_ids = ",".join([*preparers, str(user_id)])


SUBMITTED_IT = _l("You accepted, submitted or corrected this for signature yourself: another official signs it "
                  "or sends it back (four-eyes rule).")


def _submitter(request) -> list:
    """Who prepared what the signer signs: the submitter first (kept out of the lists), then whoever accepted
    its requirements, every corrector and earlier submitter."""
    return [request.submitted_by_id, *(int(i) for i in request.preparer_ids.split(",") if i)]


def _sent_back(request, ctx):
    request.correction_note = ctx.comment or ""  # shown beside the steps until the letter is signed
    request.corrected_fields = ""  # a new round: what gets corrected now is told to the signer


def _recalled(request, ctx):
    """A signed letter taken back before it reached the citizen (a wrong name seen after signing): it is
    revoked, its number stays in the register and /cek says so, and the request is corrected and signed
    again like one sent back."""
    from .letters import revoke_recalled
    _sent_back(request, ctx)
    ctx.change("revoked_letters", None, ", ".join(revoke_recalled(request, ctx)) or None)
    # not signed any more; signed_by_id stays, so the revoked letter is still found (letters.has_letters)
    ctx.change("signed_as", request.signed_as or None, None)
    request.signed_as = ""


def _signed(request, ctx):
    request.correction_note = request.corrected_fields = ""
    request.signed_by_id = ctx.actor.id
    title = ctx.delegation.title if ctx.delegation else (ctx.actor.position or ctx.actor.full_name)
    ctx.change("signed_as", request.signed_as or None, title)
    request.signed_as = title
    from .letters import issue_letter  # the signed PDF: numbered, signed and stored in this same transaction
    issue_letter(request, ctx)


def _handed_over(request, ctx):
    """Record who collected the document (handover.record validates; Invalid refuses the step)."""
    from .handover import record
    record(request, ctx)


def track_clock(request, step, from_state, ctx):
    """Shared bookkeeping after every step: pause, resume and stop the service clock."""
    holidays = ctx.data.get("holidays")
    if holidays is None:
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
    elif dest.clock and not was_running and from_state == "ready" and request.due_at is not None:
        # recalled: the office's own correction earns it no time, the promise to the citizen stands, and
        # the days the faulty letter waited on the shelf count as service time (it was not ready after all)
        if request.ready_at is not None:
            used = request.clock_used_minutes + sla.working_minutes_between(request.ready_at, ctx.now, holidays)
            ctx.change("clock_used_minutes", request.clock_used_minutes, used)
            request.clock_used_minutes = used
        request.clock_started_at = ctx.now
    elif dest.clock and not was_running:
        request.clock_started_at = ctx.now
        left = max(request.budget_minutes - request.clock_used_minutes, 0)
        due = sla.due_time(ctx.now, left, holidays, needed_before(request))
        ctx.change("due_at", request.due_at and request.due_at.isoformat(), due.isoformat())
        request.due_at = due
    if request.state == "ready":
        request.ready_at = ctx.now
        request.service_minutes = request.clock_used_minutes
    elif from_state == "ready" and not dest.terminal and request.ready_at is not None:
        # recalled: not finished after all, the service clock runs on and its time counts again
        ctx.change("ready_at", request.ready_at.isoformat(), None)
        request.ready_at = request.service_minutes = None
    if dest.terminal:
        request.closed_at = ctx.now
    if request.state == "handed_over":
        request.wait_minutes = sla.working_minutes_between(request.received_at, ctx.now, holidays)
        ctx.change("wait_minutes", None, request.wait_minutes)


STATES = [
    State("received", _l("Received"), clock=True, tone="neutral"),
    State("verifying", _l("Verification"), clock=True, tone="info"),
    State("returned", _l("Returned to the citizen"), tone="warning"),
    State("processing", _l("Processing"), clock=True, tone="info"),
    State("at_disdukcapil", _l("Forwarded to Disdukcapil"), clock=True, tone="info"),
    State("back_from_disdukcapil", _l("Back from Disdukcapil"), clock=True, tone="info"),
    State("awaiting_signature", _l("Awaiting signature"), clock=True, tone="info"),
    State("signed", _l("Signed"), clock=True, tone="info"),
    State("ready", _l("Ready for pick-up"), tone="success"),
    State("handed_over", _l("Handed over"), terminal=True, tone="success"),
    State("rejected", _l("Rejected"), terminal=True, tone="danger"),
    State("cancelled", _l("Cancelled"), terminal=True, tone="neutral"),
]

# Every step at the counter and at the section heads' desk is shared by a role (any clerk, any Kasi):
# counted in the navigation, not notified one by one. The Camat's signature is his own to-do.
STEPS = [
    # nothing to record: a morning's intake is moved on from the list at once
    Step("verify", "received", "verifying", _l("Start verification"), who=COUNTER, notify=False, bulk=True),
    Step("return_to_citizen", ("verifying", "processing"), "returned", _l("Return to the citizen"),
         who=COUNTER, comment_required=True, style="warning", effect=_mark_missing,
         form=("missing", "reason"), notify=False, row_form=False,  # ticks what is missing: its own page
         # a way out, not what the request waits for (the Kasi's acceptance, the processing)
         comment_public=True, todo=False),
    # waits for the citizen to come back, not for anyone in the office
    Step("resubmit", "returned", "verifying", _l("Documents resubmitted"), who=COUNTER,
         effect=_mark_received, form=("checklist", "note"), todo=False, row_form=False),
    Step("accept", "verifying", "processing", _l("Requirements complete, process"), who=roles(KASI),
         guards=(_requirements_complete,), cautions=(_no_scans,), delegable=True, four_eyes=True, style="success",
         not_by=_brought_back_to, not_by_reason=CHECKED_THEM, effect=_accepted, notify=False),
    Step("forward", "processing", "at_disdukcapil", _l("Forward to Disdukcapil"), who=COUNTER,
         guards=(needs_forwarding,), delegable=True, notify=False),
    # recorded when the file is in hand, days after forwarding: from its page, never a click in a long list;
    # a wait on Disdukcapil, not a to-do (as a return to the citizen): nobody here can act on it before
    # (the queue's "Forwarded to Disdukcapil" lists them, the SLA sweep tells the Kasi of overdue ones)
    Step("back_from_disdukcapil", "at_disdukcapil", "back_from_disdukcapil", _l("Back from Disdukcapil"),
         who=COUNTER, effect=_back_from_disdukcapil, notify=False, row_form=False, todo=False),
    Step("to_signature", ("processing", "back_from_disdukcapil"), "awaiting_signature",
         _l("Submit for the Camat's signature"), who=roles(KASI), guards=(needs_signature,),
         cautions=(wedding_passed,), delegable=True, effect=_submitted, notify=False),
    Step("complete", ("processing", "back_from_disdukcapil"), "ready", _l("Finished, ready for pick-up"),
         who=roles(KASI), guards=(no_signature,), delegable=True, style="success", notify=False),
    # whoever submitted it does not decide on it too (e.g. a Kasi who is Plh Camat that day)
    Step("sign", "awaiting_signature", "signed", _l("Sign"), who=roles(CAMAT), reauth=True,
         guards=(wedding_passed,), cautions=(_signs_unscanned,), delegable=True, four_eyes=True, not_by=_submitter,
         not_by_reason=SUBMITTED_IT, effect=_signed, style="success", bulk=True),
    Step("send_back", "awaiting_signature", "processing", _l("Send back for correction"), who=roles(CAMAT),
         comment_required=True, comment_internal=True, delegable=True, not_by=_submitter,
         not_by_reason=SUBMITTED_IT, style="warning", effect=_sent_back),
    # the signed letters printed in the morning, marked at once from the list (each citizen is told)
    Step("mark_ready", "signed", "ready", _l("Ready for pick-up"), who=COUNTER, style="success", notify=False,
         bulk=True),
    # a way back, not what the request waits for: from its page, with the password and the reason; the
    # Camat's, as revoking a letter is (the letters' _may_revoke), or a Plt's, who holds his vacant office
    # (a wrong letter was otherwise valid until a Camat was appointed); not a Plh's
    Step("recall", ("signed", "ready"), "processing", _l("Recall for correction"), who=roles(CAMAT), reauth=True,
         comment_required=True, comment_internal=True, effect=_recalled, style="danger", todo=False,
         row_form=False, delegable=True, stand_ins=("plt",)),
    # waits for the citizen to pick it up
    # who collects: the applicant, or someone else with a power of attorney (documents/_handover.html), chosen
    # in the form itself: its label (and "Confirm: ..." on its button) names neither
    Step("hand_over", "ready", "handed_over", _l("Hand over the document"), who=COUNTER, style="success",
         form=("fields", "note"), fields_template="documents/_handover.html", effect=_handed_over,
         todo=False, row_form=False),
    # final: asked on the request's page, with the file in view, and confirmed (it stands apart there)
    Step("reject", ("verifying", "returned", "processing", "back_from_disdukcapil"), "rejected",
         _l("Reject"), who=roles(KASI), comment_required=True, style="danger", notify=False, comment_public=True,
         todo=("verifying", "processing", "back_from_disdukcapil"), form=("reason", "confirm"), row_form=False,
         consequence=_l("Rejecting ends this request for good: the citizen would have to apply again with a "
                        "new request.")),
    Step("cancel", ("received", "verifying", "returned"), "cancelled",
         _l("Cancel (the citizen withdraws, or it was taken in by mistake)"),
         # a way out: outlined only; the citizen reads why (a cancellation they did not ask for, they may
         # complain of from the tracking page)
         who=COUNTER, comment_required=True, comment_public=True, style="outline-dark", todo=False),
]

DOCUMENT_FLOW = register(Spec(
    name="document", model=DocumentRequest, initial="received", states=STATES, steps=STEPS,
    owners=lambda r: {r.created_by_id} if r.created_by_id else set(),
    describe=lambda r: r.tracking_code, after_each=track_clock,
    due=lambda r: r.due_at, owner_attr="created_by_id", kind_label=_l("Document requests"),
    summary=lambda r: {"code": r.tracking_code, "type": r.type.name, "name": r.name, "links": draft_link(r),
                       "note": signer_note(r), "about": gist(r)},
    url=lambda r: request_path(r.id), prefetch=lambda rows: prefetch(rows),
))


def _intake_clerk(request):
    from ..accounts.models import User
    from ..extensions import db
    return [db.session.get(User, request.created_by_id)] if request.created_by_id else []


def _submitted_by(request):
    from ..accounts.models import User
    from ..extensions import db
    return [db.session.get(User, request.submitted_by_id)] if request.submitted_by_id else []


def _preparers_at_the_counter(request):
    """Whoever submitted the letter, and the clerk who took the request in: he may correct what he typed, and
    a recalled letter may lie printed at the counter for pick-up."""
    return [*_submitted_by(request), *_intake_clerk(request)]


# what people are told after a step (to-dos come from the assignments): the clerk who took the
# request in hears of returns and rejections, since the citizen comes back to the counter
register_news(
    "document", _l("Document request"),
    item=lambda r: f"{r.tracking_code} ({r.type.name})",
    params=lambda r: {"code": r.tracking_code, "type": r.type.name},
    news={
        "return_to_citizen": News(_intake_clerk, _l("Request %(code)s (%(type)s) was returned to the "
                                                    "citizen: %(reason)s")),
        "reject": News(_intake_clerk, _l("Request %(code)s (%(type)s) was rejected: %(reason)s")),
        # whoever submitted it corrects it (or a colleague): the to-do alone would not say why it came back
        "send_back": News(_preparers_at_the_counter, _l("The letter of request %(code)s (%(type)s) was sent back "
                                                        "for correction: %(reason)s")),
        "recall": News(_preparers_at_the_counter, _l("The signed letter of request %(code)s (%(type)s) was "
                                                     "recalled and revoked for correction: %(reason)s")),
    })

OPEN_STATES = tuple(s.name for s in STATES if not s.terminal)
CLOCK_STATES = tuple(s.name for s in STATES if s.clock)
TERMINAL_STATES = tuple(s.name for s in STATES if s.terminal)


# the citizens' updates after steps, and the words of the history and the audit log
from . import citizen, sentences  # noqa: E402,F401
