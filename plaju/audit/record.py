"""Appending to the audit log. The caller's transaction commits the event with its own changes."""
import ipaddress
import logging
import re
import uuid

from flask import g, has_request_context, request, session
from sqlalchemy import select, text

from ..database import flush_and_insert, is_postgres, plan_once, utcnow, writing
from ..extensions import db
from .models import GENESIS, AuditEvent, canonical_json, chain_hash, hashed_payload
from .verify import KEYED_ACTION, audit_key, walk_chain

log = logging.getLogger(__name__)
_EVENTS = AuditEvent.__table__
# the newest event with every column, built once (every append reads it)
_HEAD = plan_once(select(_EVENTS).order_by(_EVENTS.c.seq.desc()).limit(1))
# PostgreSQL: the append lock, then the newest event read after the lock is granted, in one round trip
# (a function of migration 0024: its query takes a snapshot of its own, newer than the wait). Not
# prepared: a prepared `SELECT *` would fail on every connection that prepared it once a migration
# changes audit_event's columns ("cached plan must not change result type"); planning it is trivial.
_LOCKED_HEAD = text("SELECT * FROM audit_locked_head(:k)").columns(*_EVENTS.columns)

# any constant works; it only has to be the same for every writer of the log
_PG_APPEND_LOCK = 727_001
# a proxy's or client's request id is kept only when it is short and plain; otherwise a fresh one
_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,40}")


class AuditChainError(RuntimeError):
    """The newest event matches neither the audit key nor plain SHA-256: appending to it would
    bless a forgery (or PLAJU_AUDIT_KEY is not the key the log was written with)."""


def request_id() -> str | None:
    if not has_request_context():
        return None
    if "request_id" not in g:
        offered = request.headers.get("X-Request-ID", "")
        g.request_id = offered if _REQUEST_ID.fullmatch(offered) else uuid.uuid4().hex
    return g.request_id


def client_ip() -> str | None:
    if not has_request_context() or not request.remote_addr:
        return None
    try:
        return str(ipaddress.ip_address(request.remote_addr))[:45]
    except ValueError:  # a unix socket or a proxy's odd value: never stored as given
        return None


def acted_as(actor, acting_for=None) -> str:
    """Who acts, as they are now: name and position, and whom a Plh/Plt stands in for (canonical JSON)."""
    if actor is None or not getattr(actor, "full_name", None):
        return ""
    who = {"name": actor.full_name, "position": getattr(actor, "position", "") or ""}
    if acting_for is not None:
        who.update(for_name=acting_for.full_name, for_position=getattr(acting_for, "position", "") or "")
    return canonical_json(who)


def record(action: str, *, actor=None, acting_for=None, outcome: str = "ok", subject=None,
           subject_type: str | None = None, subject_id=None, from_state=None, to_state=None,
           comment: str | None = None, changes: dict | None = None, actor_name: str | None = None,
           session=None) -> AuditEvent:
    """Append one event in the current transaction and return it (as written; not kept in the session).

    Appends are serialised: by an advisory lock held to commit on PostgreSQL, and by SQLite's single
    writer (every SQLite transaction begins IMMEDIATE), so two writers never chain from one head.
    """
    session = session or db.session
    writing()  # an audited page view (a GET) appends too: on SQLite it takes the write lock first
    key = audit_key()
    with session.no_autoflush:  # the caller's changes are written with the event, at the end
        # a plain row: the head is only checked and chained from
        head = session.execute(_LOCKED_HEAD, {"k": _PG_APPEND_LOCK}).first() if is_postgres() else \
            session.execute(_HEAD).first()
    if head is not None and chain_hash(head.prev_hash, hashed_payload(head._mapping), key) != head.hash:
        head = _key_the_chain(session, session.get(AuditEvent, head.seq), key)
    if subject is not None:
        subject_type = subject_type or subject.__tablename__
        subject_id = subject.id
    event = AuditEvent(
        seq=(head.seq + 1) if head else 1,
        occurred_at=utcnow().isoformat(timespec="microseconds"),
        actor_id=getattr(actor, "id", None),
        actor_name=actor_name if actor_name is not None else (getattr(actor, "full_name", "") or ""),
        acting_for_id=getattr(acting_for, "id", None),
        action=action, outcome=outcome,
        subject_type=subject_type, subject_id=None if subject_id is None else str(subject_id),
        from_state=from_state, to_state=to_state, comment=comment or None,
        changes=canonical_json(changes) if changes else None,
        request_id=request_id(),
        ip=client_ip(),
        actor_as=acted_as(actor, acting_for) if actor_name is None else "",
        prev_hash=head.hash if head else GENESIS,
    )
    event.hash = event.compute_hash(key)
    # the caller's changes, then the event (a plain INSERT: it is never changed afterwards, so it needs
    # none of the ORM's bookkeeping), in the same transaction; on PostgreSQL one statement
    flush_and_insert(session, _EVENTS, {column.key: getattr(event, column.key) for column in _EVENTS.columns})
    return event


def _key_the_chain(session, head: AuditEvent, key: str) -> AuditEvent:
    """The first keyed append to a chain written before keying: verify the old chain, then append
    an `audit.keyed` event holding the old head. Old rows keep their SHA-256; verify checks each
    part by its own rule. Runs once (under the append lock), so its full walk is not per event."""
    if head.compute_hash() != head.hash:
        raise AuditChainError(f"the newest audit event #{head.seq} matches neither PLAJU_AUDIT_KEY nor "
                              "plain SHA-256; run `flask --app plaju audit verify`")
    # keyed earlier, yet the head is plain SHA-256: someone extended the chain without the key.
    # Asked directly, not through the walk, which stops at the first break (possibly before).
    keyed_since = session.scalars(select(AuditEvent).where(
        (AuditEvent.seq == 1) | (AuditEvent.action == KEYED_ACTION)).order_by(AuditEvent.seq))
    for event in keyed_since:
        if event.compute_hash(key) == event.hash:
            raise AuditChainError(f"the audit chain is keyed since event #{event.seq} but its newest "
                                  f"event #{head.seq} is not: run `flask --app plaju audit verify`")
    verdict, _seen = walk_chain(session, key=key)
    note = f"unkeyed head #{head.seq} {head.hash}; "
    if verdict.ok:
        note += f"{verdict.checked} unkeyed events verified"
    else:
        # keying still goes ahead, so that new events are protected; the break stays visible
        log.error("keying an audit chain that is broken at #%s: %s", verdict.broken_seq, verdict.reason)
        note += f"unkeyed chain broken at #{verdict.broken_seq}: {verdict.reason}"
    keyed = AuditEvent(
        seq=head.seq + 1, occurred_at=utcnow().isoformat(timespec="microseconds"), actor_id=None,
        actor_name="system", acting_for_id=None, action=KEYED_ACTION, outcome="ok",
        subject_type="audit_event", subject_id=str(head.seq), from_state=None, to_state=None,
        comment=note, changes=canonical_json({"scheme": ["sha256", "hmac-sha256"]}),
        request_id=request_id(), ip=client_ip(), prev_hash=head.hash)
    keyed.hash = keyed.compute_hash(key)
    session.add(keyed)
    session.flush()
    return keyed


def key_chain(session=None) -> AuditEvent | None:
    """Key an old chain now (e.g. right after the upgrade) rather than in the first request that
    appends. Returns the `audit.keyed` event, or None when there was nothing to key."""
    session = session or db.session
    if is_postgres():
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_APPEND_LOCK})
    key = audit_key()
    head = session.scalars(select(AuditEvent).order_by(AuditEvent.seq.desc()).limit(1)).first()
    if head is None or head.compute_hash(key) == head.hash:
        return None
    return _key_the_chain(session, head, key)


def record_alone(action: str, **kwargs) -> AuditEvent:
    """Append an event in a transaction of its own (refusals, failed logins) and commit it."""
    writing()  # a GET's transactions only read on SQLite: this one writes
    db.session.rollback()
    event = record(action, **kwargs)
    db.session.commit()
    if kwargs.get("outcome") == "refused" and has_request_context():
        g.refusal_recorded = True  # the error page need not record it again (trace_forbidden)
    return event


def trace_forbidden(said: str | None = None) -> None:
    """Every 403 leaves a trace: the error handlers call this, and a refusal no service recorded in this
    request (a bare `abort(403)` of a view) is recorded here as the page it was refused."""
    if not has_request_context() or g.get("refusal_recorded"):
        return
    from flask_login import current_user

    from .vocabulary import subject_of_url
    user = current_user if current_user and current_user.is_authenticated else None
    # what it was about, by the object its URL names; a form sent (an approval, a save) is not a page opened
    subject_type, subject_id = subject_of_url(request.view_args)
    action = "access.forbidden" if request.method in ("GET", "HEAD") else "access.forbidden_post"
    comment = request.path[:300] + (f" · {said}" if said else "")
    record_alone(action, actor=user, outcome="refused", comment=comment, subject_type=subject_type,
                 subject_id=subject_id)


def trace_refused_form(response):
    """Every form refused to a signed-in user leaves a trace: a POST answered 4xx while a form it validated
    (PlajuForm.validate) has errors, or lacked fields (missing_fields), or one that flashed a "danger" message
    (a refusal answered by a redirect), when no service recorded the refusal.
    The messages the user read are the reason; anonymous forms (the survey, complaints) are not, so nobody
    outside fills the log."""
    if request.method != "POST" or g.get("refusal_recorded"):
        return response
    told = []
    if 400 <= response.status_code < 500:
        told = [m for form in g.get("validated_forms", ()) for m in form.fault_messages()]  # (a subclass may add)
        if g.get("form_missing"):  # HR reads what happened, not the fields' names
            from ..i18n import gettext as _
            told.append(_("the form arrived incomplete (%(n)s of its fields missing: a page from an older version, "
                          "or a connection cut off)", n=len(g.form_missing)))
    # a refusal answered by a redirect with its reason flashed (a fee that is not a number, a delegation
    # revoked twice): every "danger" message this request flashed
    told += [str(m) for category, m in session.get("_flashes", [])[g.get("flashes_before", 0):] if category == "danger"]
    if not told:
        return response
    from flask_login import current_user

    from .vocabulary import subject_of_url
    if not (current_user and current_user.is_authenticated):
        return response
    subject_type, subject_id = subject_of_url(request.view_args)
    reason = f"[input:form] {'; '.join(told)} ({request.path})"
    refused("input.refused", actor=current_user, reason=reason[:2000], subject_type=subject_type,
            subject_id=subject_id)
    return response


def refuse_access(status: int = 403, said: str | None = None):
    """Refuse a page of the log or of personal data to the current user, and say so in the log (with `said`,
    what the page tells them instead of "access denied", in the log too)."""
    from flask import abort
    trace_forbidden(said)
    abort(status, description=said)  # None: the status's own words


def refusal_comment(error, detail: str = "") -> str:
    """"[code] message", or "[input:code] message" for a refusal only about what was sent."""
    tag = error.code if getattr(error, "alarming", True) else f"input:{error.code}"
    return f"[{tag}] {error.message}{detail}"


def refused(action: str, *, error=None, reason: str | None = None, **kwargs) -> AuditEvent:
    """The one way to leave the trace of a refusal: a `refused` event in a transaction of its own
    (whatever the caller had pending is rolled back). From a `Refused` error its comment reads
    "[code] message", or "[input:code] message" when it was only about what was sent (not alarming);
    otherwise `reason` is the comment."""
    comment = refusal_comment(error) if error is not None else reason
    return record_alone(action, outcome="refused", comment=comment, **kwargs)


def snapshot(obj, fields) -> dict:
    """The values of `fields` on `obj` (attribute names), for diff() before and after a change."""
    return {name: getattr(obj, name, None) for name in fields}


def diff(before: dict | None, after: dict) -> dict:
    """{field: [before, after]} for the fields whose value changed, the form `changes` takes; with
    `before` None (a creation) every field of `after`, from None."""
    before = before or {}
    return {name: [before.get(name), value] for name, value in after.items() if before.get(name) != value}


def history(subject_type: str, subject_id) -> list[AuditEvent]:
    """A record's history as its page shows it: what was done to it, refusals included. Who opened it (a
    file, a NIK, a draft) is data access, for /audit/: nine "opened the draft" lines hid the steps."""
    from .vocabulary import data_access_actions
    return list(db.session.scalars(
        select(AuditEvent).where(AuditEvent.subject_type == subject_type,
                                 AuditEvent.subject_id == str(subject_id),
                                 AuditEvent.action.not_in(data_access_actions())).order_by(AuditEvent.seq)))
