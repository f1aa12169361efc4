"""The administration rules, in one place: who may create accounts, edit them, reset passwords, grant
roles, deactivate, and record Plh/Plt delegations. Services enforce them (`check_*` raise `Refusal`),
views and templates ask the same functions (`may_*`) to decide what to offer. docs/operations.md
("Administration rules") says the same in words; change both together.
"""
import zlib

from sqlalchemy import func, select, text

from ..database import for_update, is_postgres
from ..extensions import db
from ..i18n import gettext as _
from ..i18n import lazy_gettext as _l
from .models import User, UserRole

# Roles that carry authority over citizens' data or other people. Only an administrator grants or
# removes them, and only an administrator edits, deactivates or resets an account that holds one.
# The counter clerk counts: the role opens citizens' scans and NIKs.
AUTHORITY_ROLES = frozenset({"admin", "camat", "sekcam", "hr", "section_head", "clerk"})
# who may manage ASN data of accounts without authority roles (and see the people list)
ACCOUNT_MANAGERS = ("admin", "hr")
# who may record a delegation: the admin any, the Camat a Plh for himself
DELEGATORS = ("admin", "camat")
# a stand-in must already hold one of these (granted by an admin)
DELEGATE_ROLES = frozenset({"sekcam", "section_head"})
# a Plh/Plt acts "atas nama" an official: only these offices have someone stood in for
PRINCIPAL_ROLES = frozenset({"camat", "sekcam", "section_head"})


class Refusal(Exception):
    """A rule says no. `message` for the user (Bahasa), `rule` a short English name for the audit log,
    `field` the form field it belongs to (or None), `status` 403 (not yours) or 422 (not like this)."""

    def __init__(self, message, rule: str, field: str | None = None, status: int = 403):
        super().__init__(str(message))
        self.message = str(message)
        self.rule = rule
        self.field = field
        self.status = status


def heads_the_office(user: User) -> bool:
    """The Camat answers to the city, not to anyone in this office: no direct supervisor is recorded for
    him, and his own training is reported with its certificate instead of requested."""
    return user.has_role("camat")


def holds_authority(user: User | None) -> bool:
    return bool(user is not None and user.roles & AUTHORITY_ROLES)


def is_admin(actor: User) -> bool:
    return actor.has_role("admin")


# --- accounts --------------------------------------------------------------------------------------

def check_manage_accounts(actor: User) -> None:
    if not actor.has_role(*ACCOUNT_MANAGERS):
        raise Refusal(_("Only an administrator or HR (Kepegawaian) manages accounts."), "account managers only")


def check_edit(actor: User, user: User | None) -> None:
    """May `actor` open and save the account form of `user` (None: a new account)?"""
    check_manage_accounts(actor)
    if user is not None and holds_authority(user) and not is_admin(actor):
        raise Refusal(_("Only an administrator may change an account that holds a role with authority."),
                      "authority account: admin only")


def check_roles(actor: User, user: User | None, roles: set) -> None:
    current = set(user.roles) if user is not None else set()
    roles = set(roles)
    if roles == current:
        return
    if user is not None and user.id == actor.id:
        raise Refusal(_("You cannot change your own roles; ask another administrator."), "own roles",
                      "roles", 422)
    if (roles ^ current) & AUTHORITY_ROLES and not is_admin(actor):
        raise Refusal(_("Only an administrator may grant or remove roles with authority."),
                      "authority roles: admin only", "roles", 403)


def check_admin_apart(user: User | None, roles: set) -> None:
    """The administrator holds no office that decides or signs: with both, one person grants himself powers,
    stands in for the Camat and manages the accounts that record it."""
    current = set(user.roles) if user is not None else set()
    if set(roles) == current or not ("admin" in roles and set(roles) & PRINCIPAL_ROLES):
        return
    raise Refusal(_("The administrator holds no office that decides or signs (Camat, Sekcam, Kasi): one person "
                    "would grant himself its powers and manage the accounts that record them. Give the office "
                    "and the administration to two different people."), "admin apart from offices", "roles", 422)


def signs_with_certificate(username: str | None) -> bool:
    """An electronic certificate is installed for this username: whoever signs in as the account signs with it."""
    from ..letters.signing import signer  # here, not at the top: letters builds on accounts
    return bool(username) and signer().installed_for(username)


def check_username(user: User | None, username: str) -> None:
    """A certificate is found by its account's username: it would sign for whoever is given the name."""
    old = user.username if user is not None else None
    if username == old:
        return
    if signs_with_certificate(old):
        raise Refusal(_("This account signs with the electronic certificate installed under the username %(name)s: "
                        "the username stays, or the certificate would sign for whoever is given it. The server's "
                        "operator moves the certificate first.", name=old), "signer keeps username", "username")
    if signs_with_certificate(username):
        raise Refusal(_("An electronic certificate is installed under the username %(name)s: an account given this "
                        "username would sign with it.", name=username), "certificate's username", "username")


def check_supervisor(actor: User, user: User | None, supervisor_id: int | None) -> None:
    """Nobody names themselves someone's direct supervisor: the supervisor approves that person's training,
    so whoever keeps the people records (HR, who also credits the JP) would grant themselves that authority."""
    current = user.supervisor_id if user is not None else None
    if supervisor_id and supervisor_id != current and supervisor_id == actor.id:
        raise Refusal(_("You cannot name yourself as someone's direct supervisor: the supervisor approves their "
                        "training. Ask another administrator."), "own supervision", "supervisor_id", 403)


def trusted_offices(actor: User) -> frozenset | None:
    """The offices someone `actor` names to decide on others' training (a direct supervisor, a course's
    organiser, who records attendance) must hold; None: any (the administrator). HR creates accounts, sets
    their first password and resets those of plain ASN, so it could name an account it controls."""
    return None if is_admin(actor) else PRINCIPAL_ROLES


def holds_trusted_office(actor: User, user_id: int) -> bool:
    """Whether `user_id` may be named by `actor` to a place of trust (`trusted_offices`)."""
    offices = trusted_offices(actor)
    return offices is None or db.session.scalar(select(UserRole.user_id).where(
        UserRole.user_id == user_id, UserRole.role.in_(offices))) is not None


def check_supervisor_office(actor: User, user: User | None, supervisor_id: int | None) -> None:
    """Only the administrator names a direct supervisor who holds no office (Camat, Sekcam, Kasi): HR creates
    accounts and sets their first password, so it could name an account of its own making as someone's
    supervisor, sign in as it and approve that person's training. An office only the administrator grants."""
    current = user.supervisor_id if user is not None else None
    if not supervisor_id or supervisor_id == current or holds_trusted_office(actor, supervisor_id):
        return
    raise Refusal(_("Only the administrator names a direct supervisor who holds no office (Camat, Sekcam or "
                    "Kasi). Choose one who does, or ask the administrator."), "supervisor without office",
                  "supervisor_id", 403)


def check_supervisor_active(user: User | None, supervisor_id: int | None, active: bool = True) -> None:
    """A supervisor who has left approves nothing: HR stands in for them, so naming one would hand HR the
    approval of that person's training; so would enabling again someone whose supervisor has left since
    (HR disabled them, then their supervisor, then enabled them). The lists offer active accounts only."""
    current = user.supervisor_id if user is not None else None
    enabling = user is not None and not user.active and active
    if supervisor_id and (supervisor_id != current or enabling) and db.session.scalar(
            select(User.active).where(User.id == supervisor_id)) is False:
        raise Refusal(_("This account is disabled (the person has left): choose a direct supervisor who still "
                        "works here."), "supervisor disabled", "supervisor_id", 422)


def check_reset_password(actor: User, user: User) -> None:
    check_edit(actor, user)
    if user.id == actor.id:
        raise Refusal(_("Change your own password on the Change password page."), "own password via change",
                      "password", 422)
    if signs_with_certificate(user.username):
        # the server signs with the certificate of whoever signs in: the password opens the signature
        raise Refusal(_("%(name)s signs with an electronic certificate: whoever sets this password could sign in "
                        "his name. It is reset by the server's operator, who installs the certificates (flask "
                        "--app plaju reset-password).", name=user.full_name), "signer's password: operator only",
                      "password")


def staff_of(user: User) -> int:
    """How many active people have `user` as their direct supervisor."""
    return db.session.scalar(select(func.count()).select_from(User).where(
        User.supervisor_id == user.id, User.active.is_(True)))


def check_deactivate(actor: User, user: User) -> None:
    check_edit(actor, user)
    if user.id == actor.id:
        raise Refusal(_("You cannot deactivate your own account."), "own account", "active", 422)
    # HR stands in for a supervisor who has left: disabling one would hand HR their staff's training
    staff = 0 if is_admin(actor) else staff_of(user)
    if staff:
        raise Refusal(_("%(person)s is the direct supervisor of %(n)s people: disabling the account would hand "
                        "the decision on their training to HR. Record another direct supervisor for them first, "
                        "or ask the administrator.", person=user.full_name, n=staff),
                      "disable a supervisor: admin only", "active", 403)


def check_keeps_an_admin(user: User, roles: set, active: bool) -> None:
    """Nobody removes the last active administrator: not by deactivating nor by taking the role away."""
    if not user.has_role("admin") or ("admin" in roles and active):
        return
    stmt = (select(User.id).join(UserRole, UserRole.user_id == User.id)
            .where(UserRole.role == "admin", User.active.is_(True)).order_by(User.id))
    # two admins removing each other at once: both lock every active admin in the same order, so
    # the second waits for the first, then sees its change (and no deadlock can arise)
    stmt = for_update(stmt, of=User)
    if not [admin_id for admin_id in db.session.scalars(stmt) if admin_id != user.id]:
        raise Refusal(_("This is the last active administrator: appoint another administrator first."),
                      "last active admin", "active" if not active else "roles", 422)


# an office one person holds: a second account holding it would sign, sign off and approve the plan as it,
# and the holder would not even be told; a stand-in is a Plh/Plt delegation, a successor follows a departure
SINGLE_HOLDER = {"camat": _l("Camat"), "sekcam": _l("Sekretaris Camat")}


def check_single_holder(user: User | None, roles: set, active: bool) -> None:
    """Nobody is given the Camat's or the Sekcam's office while another active account holds it."""
    if not active:
        return
    for role, office in SINGLE_HOLDER.items():
        if role not in roles or (user is not None and user.active and user.has_role(role)):
            continue
        # two grants at once: the second waits for the first, then sees its holder. The holders' rows are
        # locked, and on PostgreSQL the office itself (a vacant office has no row to lock: two admins each
        # made a Camat at the same moment)
        if is_postgres():
            db.session.execute(text("SELECT pg_advisory_xact_lock(:key)"),
                               {"key": zlib.crc32(f"plaju-office:{role}".encode())})
        stmt = for_update(select(User).join(UserRole, UserRole.user_id == User.id)
                          .where(UserRole.role == role, User.active.is_(True)).order_by(User.id), of=User)
        holder = next((u for u in db.session.scalars(stmt) if user is None or u.id != user.id), None)
        if holder is not None:
            raise Refusal(_("%(name)s (%(username)s) holds the office of %(office)s, which one person holds. When "
                            "%(name)s leaves, disable that account first; for an absence, record a Plh or Plt.",
                            name=holder.full_name, username=holder.username, office=office),
                          "one holder of the office", "roles", 422)


def may_edit(actor: User, user: User | None) -> bool:
    return _allowed(check_edit, actor, user)


def may_name_supervisor(actor: User, user: User | None, supervisor_id: int | None) -> bool:
    return _allowed(check_supervisor, actor, user, supervisor_id)


def may_grant_roles(actor: User) -> bool:
    return is_admin(actor)


# --- delegations -----------------------------------------------------------------------------------

def check_delegator(actor: User) -> None:
    if not actor.has_role(*DELEGATORS):
        raise Refusal(_("Only the administrator or the Camat records a Plh or Plt."), "delegators only")


def check_delegation(actor: User, principal: User, delegate: User, kind: str) -> None:
    check_delegator(actor)
    if kind == "plt" and not is_admin(actor):
        raise Refusal(_("A Plt is recorded only by the administrator, from the Wali Kota's surat perintah."),
                      "plt: admin only", "kind")
    if not is_admin(actor) and principal.id != actor.id:
        raise Refusal(_("You can only appoint a stand-in for yourself."), "plh: camat for himself",
                      "principal_id")
    if not principal.roles & PRINCIPAL_ROLES:
        raise Refusal(_("A Plh or Plt stands in for an official (the Camat, the Sekcam or a Kasi); %(name)s "
                        "holds no such office.", name=principal.full_name), "principal must be an official",
                      "principal_id", 422)
    if not principal.active and kind != "plt":
        # a Plh covers an official who is away for a while; one who has left is followed by a Plt
        raise Refusal(_("%(name)s has left the office: a Plh stands in for an official who is away for a while. "
                        "Record a Plt, from the Wali Kota's surat perintah.", name=principal.full_name),
                      "plh for an official who has left", "kind", 422)
    if not principal.active:  # a Plt for the vacant office: not while someone holds it (he would sign beside him)
        for role, office in SINGLE_HOLDER.items():
            holder = db.session.scalars(select(User).join(UserRole, UserRole.user_id == User.id).where(
                UserRole.role == role, User.active.is_(True)).order_by(User.id).limit(1)).first() \
                if principal.has_role(role) else None
            if holder is not None:
                raise Refusal(_("%(holder)s holds the office of %(office)s now: a Plt stands in only while the "
                                "office is vacant, not for %(name)s who left it.", holder=holder.full_name,
                                office=office, name=principal.full_name),
                              "plt while the office has a holder", "principal_id", 422)
    if principal.id == delegate.id:
        raise Refusal(_("An official cannot stand in for themselves."), "not self", "delegate_id", 422)
    if delegate.id == actor.id:
        raise Refusal(_("You cannot appoint yourself as stand-in."), "not the recorder", "delegate_id", 422)
    if not delegate.active or not delegate.roles & DELEGATE_ROLES or delegate.has_role("admin"):  # (stand_ins)
        raise Refusal(_("The stand-in must be an active account holding the Sekcam or Kasi role, granted by "
                        "an administrator."), "delegate must be sekcam or kasi", "delegate_id", 422)
    if not delegate.nip:
        raise Refusal(_("A Plh or Plt signs with his NIP under his name: record the NIP of %(name)s first.",
                        name=delegate.full_name), "delegate without NIP", "delegate_id", 422)


def camat_in_office() -> bool:
    """Someone can sign as the Camat today: an active account holding the office, or a Plh/Plt in force for
    one who holds it (who may have left)."""
    from ..timeutil import today_wib
    from .models import Delegation
    today = today_wib()
    holders = select(UserRole.user_id).where(UserRole.role == "camat")
    active = select(User.id).where(User.active.is_(True), User.id.in_(holders))
    standing_in = select(Delegation.id).join(User, User.id == Delegation.delegate_id).where(
        Delegation.principal_id.in_(holders), Delegation.revoked.is_(False), User.active.is_(True),
        Delegation.starts_on <= today, Delegation.ends_on >= today)
    return bool(db.session.scalar(select(active.exists() | standing_in.exists())))


def check_revoke_delegation(actor: User, delegation) -> None:
    if is_admin(actor):
        return
    if actor.has_role("camat") and delegation.kind == "plh" and delegation.principal_id == actor.id:
        return
    raise Refusal(_("Only the administrator, or the Camat for his own Plh, may revoke this delegation."),
                  "revoke: admin or own plh")


def stand_ins():
    """Who check_delegation accepts as a stand-in, as a condition on User for the form's list (the same rule):
    active, holding the Sekcam or Kasi role, not an administrator, with a NIP."""
    holders = select(UserRole.user_id)
    return (User.active.is_(True) & User.nip.is_not(None) & (User.nip != "")
            & User.id.in_(holders.where(UserRole.role.in_(DELEGATE_ROLES)))
            & User.id.not_in(holders.where(UserRole.role == "admin")))


def delegation_choices(actor: User) -> tuple[list[int] | None, frozenset, frozenset, tuple[str, ...]]:
    """What the form offers, from the rules above: the officials `actor` may appoint a stand-in for (None:
    any holder of the roles that follow), the roles an official holds, the roles a stand-in must hold, and
    the kinds `actor` may record."""
    return ((None if is_admin(actor) else [actor.id]), PRINCIPAL_ROLES, DELEGATE_ROLES,
            (("plh", "plt") if is_admin(actor) else ("plh",)))


def may_delegate(actor: User) -> bool:
    return _allowed(check_delegator, actor)


def may_revoke(actor: User, delegation) -> bool:
    return _allowed(check_revoke_delegation, actor, delegation)


def _allowed(check, *args) -> bool:
    try:
        check(*args)
    except Refusal:
        return False
    return True
