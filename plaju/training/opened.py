"""Who opened a reported certificate: the file itself, or its first page shown on the enrolment's page. The
view records each opening in the log (`enrolment.view_evidence`); HR credits the JP of a certificate only
after opening it since it was last reported, so the log proves every credited certificate was read (HR
credited one from the to-do list that named another person, without ever looking at it)."""
from datetime import UTC, datetime, time

from sqlalchemy import select

from ..audit.models import AuditEvent
from ..extensions import db
from ..i18n import lazy_gettext as _l
from ..timeutil import WIB, today_wib
from ..workflow import Invalid

VIEWED = "enrolment.view_evidence"


def opened_since(enrolment, reader_id: int, since: datetime | None) -> bool:
    """Whether `reader_id` opened the enrolment's certificate after `since` (UTC, naive); one statement."""
    query = select(AuditEvent.seq).where(
        AuditEvent.subject_type == "enrolment", AuditEvent.subject_id == str(enrolment.id),
        AuditEvent.action == VIEWED, AuditEvent.actor_id == reader_id, AuditEvent.outcome == "ok")
    if since is not None:  # the log keeps its times as ISO text (UTC)
        query = query.where(AuditEvent.occurred_at >= since.isoformat(timespec="microseconds"))
    with db.session.no_autoflush:  # asked from a step's effect: the row's new state is not written before it
        return db.session.scalar(query.limit(1)) is not None


def seen_today(enrolment, reader_id: int) -> bool:
    """Opened today (WIB) since the report: the page showing its first page is not logged at every reload,
    but again once a report sent again is shown."""
    start = datetime.combine(today_wib(), time(), WIB).astimezone(UTC).replace(tzinfo=None)
    reported = enrolment.completed_at
    return opened_since(enrolment, reader_id, max(start, reported) if reported else start)


def record_reading(enrolment, reader) -> None:
    """`reader` opened the certificate, in the current transaction (the view's reading commits alone; the demo
    data's HR reads each certificate before crediting it)."""
    from ..audit import record as audit
    audit.record(VIEWED, actor=reader, subject_type="enrolment", subject_id=enrolment.id)


def require_opened(enrolment, actor) -> None:
    """Before the JP of a reported certificate are credited: its verifier opened it since it was reported."""
    if enrolment.evidence_name and not opened_since(enrolment, actor.id, enrolment.completed_at):
        raise Invalid(_l("Open the certificate before crediting its JP (its file, or the enrolment's page, which "
                         "shows its first page): the log keeps that it was read. The JP were not credited."),
                      code="evidence_unopened")
