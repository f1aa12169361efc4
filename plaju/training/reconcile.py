"""The JP credited to each person, against the log: every credit is a logged step (`verify`, `verify_twin`, an
office certificate signed) whose change says the JP it credited, so a figure edited in the database (8 JP
made 20) shows here, whatever the chain says."""
import json

from sqlalchemy import select

from ..audit.models import AuditEvent
from ..audit.reconcile import Mismatch, reconciler
from ..extensions import db
from ..i18n import gettext as _
from .models import Enrolment


@reconciler
def credited_as_logged() -> list[Mismatch]:
    """Two statements: the enrolments holding JP, and the logged changes of the JP credited."""
    held = dict(db.session.execute(select(Enrolment.id, Enrolment.jp_credited)
                                   .where(Enrolment.jp_credited != 0)).all())
    logged: dict[int, int] = {}
    for subject_id, changes in db.session.execute(
            select(AuditEvent.subject_id, AuditEvent.changes)
            .where(AuditEvent.subject_type == "enrolment", AuditEvent.outcome == "ok",
                   AuditEvent.changes.like('%"jp_credited"%'))
            .order_by(AuditEvent.seq)):
        pair = (json.loads(changes or "{}").get("jp_credited") or [None, None])
        if subject_id and subject_id.isdigit():
            logged[int(subject_id)] = int(pair[1] or 0)
    found = []
    for enrolment_id in sorted(set(held) | {i for i, jp in logged.items() if jp}):
        jp, said = held.get(enrolment_id, 0), logged.get(enrolment_id, 0)
        if jp != said:
            found.append(Mismatch("enrolment", enrolment_id,
                                  _("JP credited %(jp)s, the log says %(said)s", jp=jp, said=said)))
    return found
