"""An independent computation of the service dashboard's figures from raw rows.

It reads the request rows and the audit trail of their steps, walks the calendar itself (WIB is
UTC+7 all year; office hours 08.00-16.00 Monday-Friday; the holiday table) and imports nothing from
the product's SLA or report code."""
import math
from collections import defaultdict
from datetime import datetime, timedelta

from sqlalchemy import select

from plaju.audit.models import AuditEvent
from plaju.documents.models import DocumentRequest, DocumentType, Holiday

WIB = timedelta(hours=7)
RUNNING = {"received", "verifying", "processing", "at_disdukcapil", "back_from_disdukcapil",
           "awaiting_signature", "signed"}
OPEN = RUNNING | {"returned", "ready"}


def office_minutes(a: datetime, b: datetime, holidays) -> int:
    """Working minutes in [a, b), both naive UTC, walking day by day in WIB."""
    a, b = a + WIB, b + WIB
    total = 0
    day = a.date()
    while day <= b.date():
        if day.weekday() < 5 and day not in holidays:
            opens = datetime(day.year, day.month, day.day, 8)
            closes = datetime(day.year, day.month, day.day, 16)
            lo, hi = max(a, opens), min(b, closes)
            if hi > lo:
                total += int((hi - lo).total_seconds()) // 60
        day += timedelta(days=1)
    return total


def month(moment: datetime) -> str:
    return (moment + WIB).strftime("%Y-%m")


def percentile(values, p):
    if not values:
        return None
    ordered = sorted(values)
    return ordered[math.ceil(p / 100 * len(ordered)) - 1]


def request_facts(db, now: datetime) -> list[dict]:
    holidays = set(db.session.scalars(select(Holiday.day)))
    types = {t.id: t for t in db.session.scalars(select(DocumentType))}
    steps = defaultdict(list)
    for subject_id, at, from_state, to_state in db.session.execute(
            select(AuditEvent.subject_id, AuditEvent.occurred_at, AuditEvent.from_state, AuditEvent.to_state)
            .where(AuditEvent.subject_type == "document", AuditEvent.outcome == "ok",
                   AuditEvent.to_state.is_not(None)).order_by(AuditEvent.seq)):
        steps[int(subject_id)].append((datetime.fromisoformat(at), from_state, to_state))
    facts = []
    for req in db.session.scalars(select(DocumentRequest).order_by(DocumentRequest.id)):
        doc_type = types[req.type_id]
        budget = doc_type.service_amount * (60 if doc_type.service_unit == "hours" else 480)
        service = returned = 0
        returned_times = 0
        state, since = "received", req.received_at
        ready_at = handed_at = None
        for at, from_state, to_state in steps[req.id]:
            if from_state is None:  # the intake
                continue
            assert from_state == state
            if state in RUNNING:
                service += office_minutes(since, at, holidays)
            elif state == "returned":
                returned += office_minutes(since, at, holidays)
            if to_state == "returned":
                returned_times += 1
            if to_state == "ready":
                ready_at = at
            if to_state == "handed_over":
                handed_at = at
            state, since = to_state, at
        used_now = service + (office_minutes(since, now, holidays) if state in RUNNING else 0)
        facts.append({
            "type_id": req.type_id, "kelurahan": req.kelurahan, "state": state,
            "received_month": month(req.received_at), "received_day": (req.received_at + WIB).date(),
            "ready_at": ready_at, "ready_month": month(ready_at) if ready_at else None,
            "handed_month": month(handed_at) if handed_at else None,
            "service": service if ready_at else None, "budget": budget,
            "returned": returned if ready_at and returned_times else None,
            "pickup": office_minutes(ready_at, handed_at, holidays) if handed_at else None,
            "overdue": state in RUNNING and used_now >= budget,
        })
    return facts


def figures(cells_received, cells_ready, cells_handed) -> dict:
    service = [f["service"] for f in cells_ready]
    returned = [f["returned"] for f in cells_ready if f["returned"] is not None]
    pickup = [f["pickup"] for f in cells_handed]
    within = sum(1 for f in cells_ready if f["service"] <= f["budget"])
    return {"received": len(cells_received), "handed_over": len(cells_handed), "ready": len(cells_ready),
            "within": within,
            "within_percent": round(100 * within / len(cells_ready), 1) if cells_ready else None,
            "service_median": percentile(service, 50), "service_p90": percentile(service, 90),
            "returned_count": len(returned), "returned_median": percentile(returned, 50),
            "returned_p90": percentile(returned, 90),
            "pickup_median": percentile(pickup, 50), "pickup_p90": percentile(pickup, 90)}


def cell(facts, months, keep=lambda f: True, split=None):
    """Figures over the facts that `keep`, for events inside `months`; `split` = ('before'|'after', utc)."""
    received = [f for f in facts if keep(f) and f["received_month"] in months]
    ready = [f for f in facts if keep(f) and f["ready_month"] in months and f["service"] is not None]
    handed = [f for f in facts if keep(f) and f["handed_month"] in months and f["pickup"] is not None]
    if split is not None:
        side, at = split
        ready = [f for f in ready if (f["ready_at"] < at) == (side == "before")]
        received, handed = [], []
    return figures(received, ready, handed)
