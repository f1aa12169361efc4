"""People of the office: units, users with roles, Plh/Plt delegations."""
from datetime import date, datetime

from flask_login import UserMixin
from sqlalchemy import CheckConstraint, ForeignKey, Integer, String, bindparam, event, select
from sqlalchemy import false as sa_false
from sqlalchemy.orm import Mapped, Session, joinedload, mapped_column, object_session, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from ..database import utcnow
from ..extensions import db
from ..i18n import lazy_gettext as _l
from ..timeutil import today_wib

# role code -> label; every user is also an ASN who can take training
ROLES = {
    "clerk": _l("Counter clerk"),
    "section_head": _l("Section head (Kasi)"),
    "sekcam": _l("Sekretaris Camat"),
    "camat": _l("Camat"),
    "hr": _l("HR (Kepegawaian)"),
    "admin": _l("Administrator"),
}

UNIT_KINDS = {"sekretariat": _l("Secretariat"), "seksi": _l("Section"), "kelurahan": _l("Kelurahan")}


class Unit(db.Model):
    __tablename__ = "unit"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(20))

    def __str__(self):
        return self.name


class UserRole(db.Model):
    __tablename__ = "user_role"
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), primary_key=True)
    role: Mapped[str] = mapped_column(String(20), primary_key=True)


class User(UserMixin, db.Model):
    __tablename__ = "user"
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(40), unique=True)
    nip: Mapped[str | None] = mapped_column(String(18), unique=True)
    full_name: Mapped[str] = mapped_column(String(120))
    position: Mapped[str] = mapped_column(String(120), default="")
    email: Mapped[str | None] = mapped_column(String(120))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id"), index=True)
    supervisor_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), index=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(default=True)
    # bumped at logout and when the password, roles or active flag change: sessions issued before stop working
    session_epoch: Mapped[int] = mapped_column(default=0)
    # set by a password reset (and for a new account): every page leads to the password change until done
    must_change_password: Mapped[bool] = mapped_column(default=False, server_default=sa_false())
    # who last set the password for the holder (a new account, a reset) and when: he could have signed in as
    # the holder, so he does not verify what the account reports soon after (training.workflow.who). No
    # foreign key: SQLite would rebuild the user table to add one, which the rows pointing at it refuse
    password_set_by_id: Mapped[int | None]
    password_set_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # when the account was last disabled (the person left); the competence trend counts them until then
    left_at: Mapped[datetime | None]

    unit: Mapped[Unit | None] = relationship(lazy="joined")
    supervisor: Mapped["User | None"] = relationship(remote_side=[id])
    role_rows: Mapped[list[UserRole]] = relationship(cascade="all, delete-orphan", lazy="selectin")

    @property
    def roles(self) -> frozenset[str]:
        return frozenset(r.role for r in self.role_rows)

    def has_role(self, *roles: str) -> bool:
        return bool(self.roles.intersection(roles))

    def set_roles(self, roles) -> None:
        unknown = set(roles) - set(ROLES)
        if unknown:
            raise ValueError(f"unknown roles: {sorted(unknown)}")
        self.role_rows = [UserRole(role=r) for r in sorted(set(roles))]

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password, method="scrypt")

    def check_password(self, password: str) -> bool:
        return bool(password) and check_password_hash(self.password_hash, password)

    def password_fault(self, password: str | None) -> str | None:
        """What is wrong with the password given to confirm a step (a signature, a revocation), in the
        words shown to its owner; None when it is theirs."""
        from ..i18n import gettext as _
        from . import confirmations
        if not password:
            return _("Enter your password to confirm.")
        locked = confirmations.locked_until(self)
        if locked:  # not even checked: a held session must not become a way to guess the owner's password
            return locked
        if not self.check_password(password):
            return confirmations.wrong(self) or _("The password is wrong. Enter your own password to confirm.")
        return None

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        return self.active

    def get_id(self) -> str:
        return f"{self.id}:{self.session_epoch}"

    def __str__(self):
        return self.full_name


class StaffRecord(db.Model):
    """Where a person worked from when: one row each time HR creates an account, moves it to another unit or
    disables it. A month's figures read the roster as it was (`accounts.staff.roster_at`), so a move or a new
    hire in December does not rewrite November's report. Accounts with no row read as they are now."""
    __tablename__ = "staff_record"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id"))
    active: Mapped[bool]
    valid_from: Mapped[datetime] = mapped_column(default=utcnow)  # naive UTC

    __table_args__ = (db.Index("ix_staff_record_user_from", "user_id", "valid_from"),)


class Delegation(db.Model):
    """A Plh (official briefly away) or Plt (post vacant): `delegate` acts for `principal`."""
    __tablename__ = "delegation"
    __table_args__ = (
        CheckConstraint("kind IN ('plh', 'plt')", name="kind"),
        CheckConstraint("ends_on >= starts_on", name="range"),
        CheckConstraint("principal_id <> delegate_id", name="not_self"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    principal_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    delegate_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    kind: Mapped[str] = mapped_column(String(3))
    starts_on: Mapped[date]
    ends_on: Mapped[date]
    note: Mapped[str] = mapped_column(String(200), default="")
    # the surat perintah it rests on (Wali Kota's for a Plt, the Camat's for a Plh); empty on old rows
    order_number: Mapped[str] = mapped_column(String(100), default="", server_default="")
    order_date: Mapped[date | None]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    revoked: Mapped[bool] = mapped_column(default=False)

    principal: Mapped[User] = relationship(foreign_keys=[principal_id])
    delegate: Mapped[User] = relationship(foreign_keys=[delegate_id])

    @property
    def title(self) -> str:
        """What a signature shows, e.g. 'Plh. Camat'."""
        return f"{self.kind.capitalize()}. {self.principal.position or self.principal.full_name}"


# the lists, the navigation and a step's checks all ask it: built once, then only given the person and day
_IN_FORCE = (select(Delegation).options(joinedload(Delegation.principal))
             .where(Delegation.delegate_id == bindparam("delegate", type_=Integer), Delegation.revoked.is_(False),
                    Delegation.starts_on <= bindparam("on", type_=Delegation.starts_on.type),
                    Delegation.ends_on >= bindparam("on", type_=Delegation.ends_on.type))
             .order_by(Delegation.id))
_READ = "plaju_delegations_read"


def active_delegations(user: User, on: date | None = None) -> list[Delegation]:
    """The person's Plh/Plt delegations in force on `on` (today), with their principals. Read once per
    transaction (a page's to-do counter, its cards and a step's checks each ask), and again once a
    delegation is written in it through the model or an ORM statement, or a rollback (a savepoint's too)
    undid something. A plain SQL write to the table in the same transaction is not noticed."""
    on = on or today_wib()
    session = db.session()
    transaction, read = session.info.get(_READ, (None, {}))
    if transaction is not session.get_transaction() or _delegations_pending(session):
        read = {}
    held = read.get((user.id, on))
    if held is not None:
        return list(held)
    rows = list(session.scalars(_IN_FORCE, {"delegate": user.id, "on": on}).unique())  # flushes first
    read[(user.id, on)] = rows
    session.info[_READ] = (session.get_transaction(), read)  # only this transaction's reads are kept
    return list(rows)


def _delegations_pending(session) -> bool:
    return any(isinstance(obj, Delegation) for obj in (*session.new, *session.dirty, *session.deleted))


def _forget_delegations(session) -> None:
    session.info.pop(_READ, None)


@event.listens_for(Delegation, "after_insert")
@event.listens_for(Delegation, "after_update")
@event.listens_for(Delegation, "after_delete")
def _delegation_written(_mapper, _connection, delegation) -> None:
    session = object_session(delegation)
    if session is not None:
        _forget_delegations(session)


@event.listens_for(Session, "after_soft_rollback")
def _rolled_back(session, _transaction) -> None:
    _forget_delegations(session)


@event.listens_for(Session, "do_orm_execute")
def _statement_written(state) -> None:
    """An ORM UPDATE or DELETE of delegations (`update(Delegation)` through the session)."""
    if (state.is_update or state.is_delete) and any(m.class_ is Delegation for m in state.all_mappers):
        _forget_delegations(state.session)


def revoked_today(user: User) -> Delegation | None:
    """The newest appointment of `user` for today that was revoked: why a step they saw as a stand-in is no
    longer theirs (said by the refusal itself, so the log holds what they were told)."""
    today = today_wib()
    return db.session.scalars(select(Delegation).where(
        Delegation.delegate_id == user.id, Delegation.revoked.is_(True), Delegation.starts_on <= today,
        Delegation.ends_on >= today).order_by(Delegation.id.desc()).limit(1)).first()


__all__ = ["ROLES", "Unit", "User", "UserRole", "Delegation", "active_delegations", "revoked_today"]
