"""Edit forms open side by side: a form carries a stamp of the record as it showed it (`stamp`), and a save
from an older form is refused, naming who saved the record since and when (`changed_since`, read from the
audit log). Without it the second save silently undid the first (a service standard set back from 6 to 4
hours, a plan's activity back to its old JP)."""
import hashlib
import json

from sqlalchemy import select

from .audit.models import AuditEvent
from .extensions import db
from .i18n import gettext as _
from .i18n import wib_text


def stamp(snapshot: dict) -> str:
    """A fingerprint of what an edit form shows of a record."""
    return hashlib.sha256(json.dumps(snapshot, sort_keys=True, default=str).encode()).hexdigest()[:16]


def changed_meanwhile() -> str:
    """What a refused stale save is told when the log cannot say who (a part of a record it does not name)."""
    return _("This was changed after you opened the form. The form now shows it as saved: make your change again.")


def changed_since(subject_type: str, subject_id, actions: tuple[str, ...]) -> str:
    """What a refused stale save is told: who saved the record last, and when."""
    last = db.session.scalars(select(AuditEvent).where(
        AuditEvent.subject_type == subject_type, AuditEvent.subject_id == str(subject_id),
        AuditEvent.outcome == "ok", AuditEvent.action.in_(actions)).order_by(AuditEvent.seq.desc()).limit(1)).first()
    if last is None:
        return changed_meanwhile()
    return _("%(name)s changed this at %(time)s, after you opened the form. The form now shows it as saved: "
             "make your change again.", name=last.actor_name, time=wib_text(last.occurred_at))
