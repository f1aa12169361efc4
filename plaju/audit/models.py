"""The append-only, hash-chained audit log.

hash = HMAC-SHA256(audit key, prev_hash || canonical JSON of the event); events written before the
chain was keyed keep their plain SHA-256 (see verify.py for which rule applies to which row). Every
value that goes into the hash is stored as text or integer so it reads back byte-for-byte the same on
SQLite and PostgreSQL.
"""
import functools
import hashlib
import hmac
import json
from datetime import date, datetime

from sqlalchemy import BigInteger, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..database import utcnow
from ..extensions import db

GENESIS = "0" * 64
HASHED_FIELDS = ("seq", "occurred_at", "actor_id", "actor_name", "acting_for_id", "action", "outcome",
                 "subject_type", "subject_id", "from_state", "to_state", "comment", "changes",
                 "request_id", "ip")
# hashed when not empty: fields added later, so that older events keep the hash they were written with
OPTIONAL_HASHED = ("actor_as",)


def hashed_payload(values) -> dict:
    """What an event's hash covers, from its values (a row's mapping or a dict of its columns)."""
    payload = {name: values[name] for name in HASHED_FIELDS}
    payload.update({name: values[name] for name in OPTIONAL_HASHED if values.get(name)})
    return payload


class AuditEvent(db.Model):
    __tablename__ = "audit_event"
    # every search of /audit/ pages newest first by seq: each filter's index ends in seq, so a page is
    # read from the index in order (keyset) rather than by sorting all matching rows
    __table_args__ = (Index("ix_audit_event_subject", "subject_type", "subject_id", "seq"),
                      Index("ix_audit_event_actor_seq", "actor_id", "seq"),
                      Index("ix_audit_event_acting_for_seq", "acting_for_id", "seq"),
                      Index("ix_audit_event_action_seq", "action", "seq"),
                      Index("ix_audit_event_outcome_seq", "outcome", "seq"),
                      # a date range becomes a range of seq: min and max seq read from this index alone
                      Index("ix_audit_event_occurred_seq", "occurred_at", "seq"))

    seq: Mapped[int] = mapped_column(BigInteger().with_variant(db.Integer, "sqlite"), primary_key=True,
                                     autoincrement=False)
    occurred_at: Mapped[str] = mapped_column(String(32))  # ISO 8601 UTC with microseconds
    actor_id: Mapped[int | None]
    actor_name: Mapped[str] = mapped_column(String(120), default="")
    acting_for_id: Mapped[int | None]
    action: Mapped[str] = mapped_column(String(80))
    outcome: Mapped[str] = mapped_column(String(10), default="ok")  # ok | refused
    subject_type: Mapped[str | None] = mapped_column(String(40))
    subject_id: Mapped[str | None] = mapped_column(String(40))
    from_state: Mapped[str | None] = mapped_column(String(40))
    to_state: Mapped[str | None] = mapped_column(String(40))
    comment: Mapped[str | None] = mapped_column(Text)
    changes: Mapped[str | None] = mapped_column(Text)  # canonical JSON {field: [before, after]}
    request_id: Mapped[str | None] = mapped_column(String(40))
    ip: Mapped[str | None] = mapped_column(String(45))
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)
    # canonical JSON of who acted as they were then ({"name", "position"}, and "for_name", "for_position" for
    # a Plh/Plt): a later promotion or rename does not rewrite the capacity of earlier steps. Hashed when
    # set; events before migration 0034 have none, and read the accounts as they are (sentences._who).
    # Last, as in the table (added by 0034): audit_locked_head's rows are read by position.
    actor_as: Mapped[str] = mapped_column(Text, default="", server_default="")

    def payload(self) -> dict:
        return hashed_payload({name: getattr(self, name) for name in (*HASHED_FIELDS, *OPTIONAL_HASHED)})

    @property
    def actor_as_dict(self) -> dict:
        return json.loads(self.actor_as) if self.actor_as else {}

    def compute_hash(self, key: str | None = None) -> str:
        """HMAC-SHA256 with `key`; plain SHA-256 (the rule of events before keying) without."""
        return chain_hash(self.prev_hash, self.payload(), key)

    @property
    def changes_dict(self) -> dict:
        return json.loads(self.changes) if self.changes else {}


class AuditDay(db.Model):
    """The lowest and highest seq among the events of one WIB day, for the events up to
    AuditDayCover.covered_seq (days.py widens them; a date search reads its days' range of seq)."""
    __tablename__ = "audit_day"

    day: Mapped[date] = mapped_column(primary_key=True)
    low_seq: Mapped[int] = mapped_column(BigInteger().with_variant(db.Integer, "sqlite"))
    high_seq: Mapped[int] = mapped_column(BigInteger().with_variant(db.Integer, "sqlite"))


class AuditDayCover(db.Model):
    """One row (id 1): every event up to covered_seq is counted in audit_day; newer ones are not yet."""
    __tablename__ = "audit_day_cover"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    covered_seq: Mapped[int] = mapped_column(BigInteger().with_variant(db.Integer, "sqlite"), default=0)


class AuditExport(db.Model):
    """A large export of /audit/ built in the background: its filters, progress and file."""
    __tablename__ = "audit_export"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)  # uuid4 hex, also the file's name
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    fmt: Mapped[str] = mapped_column(String(4))  # csv | xlsx
    filters: Mapped[str] = mapped_column(Text)  # canonical JSON of the search (NIK only as its sealed ref)
    status: Mapped[str] = mapped_column(String(10), default="queued")  # queued | running | done | failed
    total: Mapped[int] = mapped_column(default=0)
    done: Mapped[int] = mapped_column(default=0)
    error: Mapped[str | None] = mapped_column(Text)
    finished_at: Mapped[datetime | None]
    # who builds the file now and until when (renewed every batch): a runner that died (server restart,
    # worker killed) lets its lease run out, and the job is claimed again and built from the start
    runner: Mapped[str | None] = mapped_column(String(32))
    lease_until: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(default=0, server_default="0")


def canonical_json(value) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


@functools.lru_cache(maxsize=4)
def _keyed(key: str):
    # the key's padding is computed once; every event then copies the prepared state
    return hmac.new(key.encode("utf-8"), digestmod=hashlib.sha256)


def mac(key: str, message: str) -> str:
    state = _keyed(key).copy()
    state.update(message.encode("utf-8"))
    return state.hexdigest()


def chain_hash(prev_hash: str, payload: dict, key: str | None = None) -> str:
    message = prev_hash + canonical_json(payload)
    if key is None:
        return hashlib.sha256(message.encode("utf-8")).hexdigest()
    return mac(key, message)
