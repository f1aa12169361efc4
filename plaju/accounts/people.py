"""Managing people: accounts and roles (admin, HR) and Plh/Plt delegations (admin, HR, Camat).
Every change is an audit event with the fields before and after."""
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import func, select

from ..audit import record as audit
from ..extensions import db
from ..notify.service import notify
from ..workflow.assignments import refresh_assignments_for_user
from .models import Delegation, User
from .nip import InvalidNIP, validate_nip

# roles that carry authority over others: only an admin grants or removes them, and only an admin
# sets the password of an account that holds one
PRIVILEGED = frozenset({"admin", "camat", "sekcam", "hr"})
USER_FIELDS = ("username", "full_name", "nip", "position", "email", "unit_id", "supervisor_id", "active")


class PeopleError(ValueError):
    """Bad input; `field` names the form field it belongs to."""

    def __init__(self, message, field=None):
        super().__init__(str(message))
        self.field = field


def _snapshot(user: User) -> dict:
    data = {name: getattr(user, name) for name in USER_FIELDS}
    data["roles"] = ",".join(sorted(user.roles))
    return data


def save_user(actor: User, user: User | None, data: dict, password: str | None = None) -> User:
    """Create (user=None) or update an account from validated form data; audited with before/after."""
    creating = user is None
    nip = (data.get("nip") or "").strip() or None
    if nip:
        try:
            nip = validate_nip(nip)
        except InvalidNIP as e:
            raise PeopleError(str(e), "nip") from None
    username = data["username"].strip().lower()
    clash = db.session.scalar(select(User.id).where(func.lower(User.username) == username))
    if clash and (creating or clash != user.id):
        raise PeopleError(_("The username %(name)s is already taken.", name=username), "username")
    if nip:
        clash = db.session.scalar(select(User.id).where(User.nip == nip))
        if clash and (creating or clash != user.id):
            raise PeopleError(_("Another account already has this NIP."), "nip")
    if not creating and data.get("supervisor_id") == user.id:
        raise PeopleError(_("Nobody can be their own supervisor."), "supervisor_id")
    _check_authority(actor, user, set(data.get("roles") or []), bool(password))
    before = {} if creating else _snapshot(user)
    if creating:
        user = User(password_hash="")
        if not password:
            raise PeopleError(_("Set a first password."), "password")
        db.session.add(user)
    user.username = username
    user.full_name = data["full_name"].strip()
    user.nip = nip
    user.position = (data.get("position") or "").strip()
    user.email = (data.get("email") or "").strip() or None
    user.unit_id = data.get("unit_id") or None
    user.supervisor_id = data.get("supervisor_id") or None
    user.active = bool(data.get("active", True))
    user.set_roles(data.get("roles") or [])
    if password:
        user.set_password(password)
        user.session_epoch = (user.session_epoch or 0) + 1
    db.session.flush()
    after = _snapshot(user)
    changes = {k: [before.get(k), v] for k, v in after.items() if before.get(k) != v}
    if password and not creating:
        changes["password"] = ["***", "(reset)"]
    audit.record("user.create" if creating else "user.update", actor=actor, subject=user, changes=changes)
    refresh_assignments_for_user(user.id)  # open items follow a new unit, supervisor or departure
    db.session.commit()
    return user


def _check_authority(actor: User, user: User | None, roles: set, sets_password: bool) -> None:
    current = set(user.roles) if user else set()
    if user is not None and user.id == actor.id and roles != current:
        raise PeopleError(_("You cannot change your own roles; ask another administrator."), "roles")
    if actor.has_role("admin"):
        return
    if (roles ^ current) & PRIVILEGED:
        raise PeopleError(_("Only an administrator may grant or remove the roles %(roles)s.",
                            roles=", ".join(sorted(PRIVILEGED))), "roles")
    if user is not None and user.id != actor.id and sets_password and current & PRIVILEGED:
        raise PeopleError(_("Only an administrator may set the password of this account."), "password")


def add_delegation(actor: User, principal: User, delegate: User, kind: str, starts_on: date, ends_on: date,
                   note: str = "") -> Delegation:
    if principal.id == delegate.id:
        raise PeopleError(_("An official cannot stand in for themselves."), "delegate_id")
    if delegate.id == actor.id:
        raise PeopleError(_("You cannot appoint yourself as stand-in."), "delegate_id")
    if not actor.has_role("admin", "hr") and principal.id != actor.id:
        raise PeopleError(_("You can only appoint a stand-in for yourself."), "principal_id")
    if ends_on < starts_on:
        raise PeopleError(_("The end date is before the start date."), "ends_on")
    if kind not in ("plh", "plt"):
        raise PeopleError(_("Choose Plh or Plt."), "kind")
    delegation = Delegation(principal_id=principal.id, delegate_id=delegate.id, kind=kind, starts_on=starts_on,
                            ends_on=ends_on, note=note.strip(), created_by_id=actor.id)
    db.session.add(delegation)
    db.session.flush()
    audit.record("delegation.create", actor=actor, subject=delegation, comment=note or None, changes={
        "principal": [None, principal.full_name], "delegate": [None, delegate.full_name], "kind": [None, kind],
        "starts_on": [None, starts_on.isoformat()], "ends_on": [None, ends_on.isoformat()]})
    period = f"{starts_on:%d-%m-%Y} - {ends_on:%d-%m-%Y}"
    for person in {principal.id: principal, delegate.id: delegate}.values():
        if person.id != actor.id:  # the people concerned learn of it from the app, not by surprise
            notify(person, _("%(who)s is %(kind)s for %(whom)s, %(period)s", who=delegate.full_name,
                             kind=kind.capitalize(), whom=principal.full_name, period=period),
                   _("Recorded by %(actor)s.", actor=actor.full_name), url="/people/delegations")
    db.session.commit()
    return delegation


def revoke_delegation(actor: User, delegation: Delegation) -> None:
    if delegation.revoked:
        raise PeopleError(_("This delegation was already revoked."))
    delegation.revoked = True
    audit.record("delegation.revoke", actor=actor, subject=delegation, changes={"revoked": [False, True]})
    db.session.commit()
