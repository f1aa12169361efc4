"""The JP credited to each person, against the log: every credit is a logged step (`verify`, `verify_twin`, an
office certificate signed) whose change says the JP it credited, the year and (since it was logged) to whom,
so a figure edited in the database (8 JP made 20, moved to another person or year, or its row's state changed
so they no longer count) shows here, whatever the chain says."""
import json

from sqlalchemy import select

from ..accounts.models import User
from ..audit.models import AuditEvent
from ..audit.reconcile import Mismatch, reconciler
from ..extensions import db
from ..i18n import gettext as _
from .models import Enrolment

CREDITED = "verified"  # the one state whose JP count (services.tally), and a final one


def _logged() -> dict[int, dict]:
    """Per enrolment, what its last credit logged: {"jp": ..., "year": ..., "to": user id or None}."""
    found: dict[int, dict] = {}
    for subject_id, changes in db.session.execute(
            select(AuditEvent.subject_id, AuditEvent.changes)
            .where(AuditEvent.subject_type == "enrolment", AuditEvent.outcome == "ok",
                   AuditEvent.changes.like('%"jp_credited"%'))
            .order_by(AuditEvent.seq)):
        if not (subject_id and subject_id.isdigit()):
            continue
        changed = json.loads(changes or "{}")
        after = {name: (changed.get(name) or [None, None])[1]
                 for name in ("jp_credited", "credited_year", "credited_to")}
        found[int(subject_id)] = {"jp": int(after["jp_credited"] or 0), "year": after["credited_year"],
                                  "to": after["credited_to"]}
    return found


def _state_text(state: str) -> str:
    """"Not completed (not_completed)": as the pages name it, and as it is stored (an edit may store anything)."""
    from .workflow.enrolment import ENROLMENT_FLOW
    known = ENROLMENT_FLOW.state_by_name.get(state)
    return f"“{known.label}” ({state})" if known else f"“{state}”"


@reconciler
def credited_as_logged() -> list[Mismatch]:
    """Two statements: the enrolments holding JP, and the logged credits."""
    held = {row.id: row for row in db.session.execute(
        select(Enrolment.id, Enrolment.jp_credited, Enrolment.credited_year, Enrolment.user_id, Enrolment.state)
        .where(Enrolment.jp_credited != 0)).all()}
    logged = _logged()
    found, moved = [], []
    for enrolment_id in sorted(set(held) | {i for i, said in logged.items() if said["jp"]}):
        row, said = held.get(enrolment_id), logged.get(enrolment_id, {"jp": 0, "year": None, "to": None})
        jp = row.jp_credited if row else 0
        if jp != said["jp"]:
            found.append(Mismatch("enrolment", enrolment_id,
                                  _("JP credited %(jp)s, the log says %(said)s", jp=jp, said=said["jp"])))
        elif row and row.state != CREDITED:  # the tally counts verified rows only: 20 JP wiped by the state
            found.append(Mismatch("enrolment", enrolment_id,
                                  _("JP credited %(jp)s but its state is %(state)s: they do not count (the log "
                                    "credited them)", jp=jp, state=_state_text(row.state))))
        elif row and said["year"] is not None and row.credited_year != said["year"]:
            found.append(Mismatch("enrolment", enrolment_id, _("JP counted in %(year)s, the log says %(said)s",
                                                               year=row.credited_year, said=said["year"])))
        elif row and said["to"] is not None and row.user_id != said["to"]:
            moved.append((enrolment_id, row.user_id, said["to"]))
    if moved:  # by name, as HR knows them (one statement, only when a credit moved)
        names = dict(db.session.execute(select(User.id, User.full_name).where(
            User.id.in_({i for _e, now, said in moved for i in (now, said)}))).all())
        found += [Mismatch("enrolment", enrolment_id,
                           _("JP credited to %(now)s, the log credited them to %(said)s",
                             now=names.get(now, f"#{now}"), said=names.get(said, f"#{said}")))
                  for enrolment_id, now, said in moved]
    return found
