"""Telling the citizen: when a request is returned, ready, overdue with a new promise date, handed over,
rejected or cancelled (why is on the tracking page, not in the message), and only when the citizen agreed
at the counter (`contact_consent_at`).

The messages are queued in the step's own transaction (a receiver of the engine's
`assignments_changed` signal, sent inside fire()) and leave through the outbox after the commit, so a
gateway that is down never blocks or undoes a step. They carry the tracking code, the status and a
date only: never the NIK or the name (a request can reveal poverty, a death or a divorce).
"""
from flask import current_app
from flask_babel import force_locale, format_date
from sqlalchemy import or_, update
from sqlalchemy.orm.attributes import set_committed_value

from ..audit import record as audit
from ..extensions import db
from ..i18n import gettext as _
from ..notify.citizen import Update, enqueue_update
from ..workflow.signals import assignments_changed
from . import sla
from .models import DocumentRequest
from .subject_rules import needed_before

EVENTS = ("returned", "ready", "overdue", "handed_over", "recalled", "rejected", "cancelled")


def _track_url(code: str) -> str:
    base = (current_app.config.get("PUBLIC_URL") or "").rstrip("/")
    return f"{base}/track/{code}" if base else ""


def compose(event: str, code: str, day) -> Update:
    """The update for `event` in Bahasa Indonesia, whoever's language the step was taken in."""
    with force_locale("id"):
        date = format_date(day, "d MMMM yyyy")
        if event == "returned":
            status = _("Returned: documents are missing")
            text = _("Kecamatan Plaju: request %(code)s was returned because documents are missing; the "
                     "tracking page lists them. Please bring them to the counter.", code=code)
        elif event == "ready":
            status = _("Ready for pick-up")
            text = _("Kecamatan Plaju: the document of request %(code)s is ready for pick-up at the kecamatan "
                     "office. Bring your receipt and your KTP-el.", code=code)
        elif event == "overdue":
            status = _("Delayed, new promise date")
            text = _("Kecamatan Plaju: we apologise, request %(code)s was not finished by the promised date. "
                     "New promise date: %(date)s.", code=code, date=date)
        elif event == "recalled":  # told "ready" earlier: the citizen must not come for a revoked letter
            status = _("Not ready after all: being corrected")
            text = _("Kecamatan Plaju: we apologise, the letter of request %(code)s needs a correction before it "
                     "can be collected. We will tell you when it is ready again.", code=code)
        elif event in ("rejected", "cancelled"):  # the reason may name people: the tracking page says it
            status = _("Rejected") if event == "rejected" else _("Cancelled")
            text = (_("Kecamatan Plaju: request %(code)s was rejected. The tracking page says why; the counter "
                      "staff explain what is needed to apply again.", code=code) if event == "rejected" else
                    _("Kecamatan Plaju: request %(code)s was cancelled. The tracking page says why; if you did not "
                      "ask for it, you can send a complaint there.", code=code))
        elif event == "letter_replaced":  # she holds the old one: a bank checking it reads "revoked"
            status = _("Letter replaced: collect the new one")
            text = _("Kecamatan Plaju: the letter of request %(code)s was replaced by a new one on %(date)s; "
                     "the old one is no longer valid. Please collect the new letter at the counter (bring the old "
                     "one if you have it).", code=code, date=date)
        elif event == "letter_revoked":
            status = _("Letter revoked")
            text = _("Kecamatan Plaju: the letter of request %(code)s was revoked on %(date)s and is no longer "
                     "valid. The tracking page says more; please contact the counter.", code=code, date=date)
        elif event == "handed_over":
            status = _("Handed over")
            text = _("Kecamatan Plaju: the document of request %(code)s was handed over on %(date)s. Thank you.",
                     code=code, date=date)
        else:
            raise ValueError(f"no citizen update for {event!r}")
        url = _track_url(code)
        if url:
            text += " " + _("Status: %(url)s", url=url)
        subject = _("Request %(code)s: %(status)s", code=code, status=status)
    return Update(code=code, status=status, date=date, text=text, subject=subject)


def tell(req: DocumentRequest, event: str, day) -> list:
    """Queue the update for `req` if the citizen agreed to be contacted; returns the queued messages."""
    if req.contact_consent_at is None:
        return []
    return enqueue_update(compose(event, req.tracking_code, day), phone=req.phone, email=req.email)


def _after_step(spec, entity=None, step=None, ctx=None, from_state=None, **_kw) -> None:
    if spec.name != "document" or step is None or ctx is None:
        return
    if step.dest in ("returned", "ready", "handed_over", "rejected", "cancelled"):
        tell(entity, step.dest, sla.wib_date(ctx.now))
    elif step.trigger == "recall" and from_state == "ready":
        tell(entity, "recalled", sla.wib_date(ctx.now))


assignments_changed.connect(_after_step, weak=False)


def new_promise(req: DocumentRequest, now, holidays):
    """The new promise of an overdue request: the missed due time moved on by whole service standards,
    the first one still in the future, or sooner for a request needed before a day (sla.due_time); None
    once that day has passed. Derived from the due time, so it does not creep forward from
    sweep to sweep and the tracking page can show the same date (a 3-working-day type missed on
    Monday is promised for Thursday)."""
    budget = max(req.budget_minutes or sla.budget_minutes(req.type.service_amount, req.type.service_unit), 1)
    late = sla.working_minutes_between(req.due_at, now, holidays)
    due = sla.add_working_minutes(req.due_at, (late // budget + 1) * budget, holidays)
    while due <= now:  # the clock's rounding at the edges of office hours
        due = sla.add_working_minutes(due, budget, holidays)
    day = needed_before(req)
    if day is not None:  # a dispensation: not promised after its wedding, and no new date it could not keep
        due = min(due, sla.due_time(now, budget, holidays, day))
        return None if sla.wib_date(due) > day else due
    return due


def revise_promise(req: DocumentRequest, now, holidays) -> bool:
    """Record the new promise of an overdue request and tell the citizen, once per new date (again when
    that one passes too). The conditional UPDATE lets exactly one of two sweeps at the same moment do it."""
    revised = new_promise(req, now, holidays)
    if revised is None:
        return False
    changed = db.session.execute(
        update(DocumentRequest)
        .where(DocumentRequest.id == req.id,
               or_(DocumentRequest.revised_due_at.is_(None), DocumentRequest.revised_due_at != revised))
        .values(revised_due_at=revised)
        .execution_options(synchronize_session=False)).rowcount
    if changed != 1:
        return False
    before = req.revised_due_at
    set_committed_value(req, "revised_due_at", revised)
    audit.record("document.revise_promise", actor_name="", subject_type="document", subject_id=req.id,
                 changes={"revised_due_at": [before and before.isoformat(), revised.isoformat()]})
    tell(req, "overdue", sla.wib_date(revised))
    return True
