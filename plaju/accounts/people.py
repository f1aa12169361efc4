"""Managing people: accounts and roles, under the rules of `rules.py` (Plh/Plt delegations: `delegations.py`).
Every change is an audit event with the fields before and after; every refusal one with the rule."""
import re
import unicodedata

from flask import url_for
from sqlalchemy import func, select

from .. import edits, once
from ..audit import record as audit
from ..audit import vocabulary
from ..audit.models import AuditEvent
from ..database import lock_row, utcnow
from ..extensions import db
from ..i18n import gettext as _
from ..i18n import lazy_gettext as _l
from ..i18n import wib_text
from ..inputs import NAME_MARKS, edit_distance, name_skeleton, not_latin, person_name_fault
from ..notify.service import notify
from ..workflow.assignments import refresh_assignments_for_user, refresh_for_roles
from . import passwords, rules, staff
from .models import ROLES, User, UserRole
from .nip import InvalidNIP, validate_asn_number

# what a sign-in name may be (no spaces: it is typed at every sign-in), and an address mail can reach
USERNAME = re.compile(r"[a-z0-9][a-z0-9._-]{1,39}")
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s.]{2,}")
USER_FIELDS = ("username", "full_name", "nip", "position", "email", "unit_id", "supervisor_id", "active")
# a position (or a name) that names an office or a head: "Camat Plaju", "Kepala Kec. Plaju", "Kasie Pelayanan",
# "KasiPelayanan", "Ka. Seksi", "Kasubsi", "Kaur Umum", "Kabag", "Sek. Kec.", "Plh. Camat", "PltCamat"; not "Staf
# Kecamatan", "Kasir" or "Pengelola Kepegawaian". Read without accents, digits and marks as spaces ("Camat1"),
# letters spaced out joined again ("K a s i"); the stems match however the word goes on
OFFICE_WORDS = re.compile(r"\b(?:camat|sekcam|kasi(?![rh])|kasubsi|kasubb?ag|kasubb?id|kaur|kabag|kabid|kepala|"
                          r"sekretaris|plh|plt|lurah|seklur)|\b(?:ka|kep|sek|sekr)\b")
OFFICE_ROLES = rules.PRINCIPAL_ROLES | {"admin"}


def _plain_words(text: str) -> str:
    plain = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    plain = re.sub(r"[^a-z]+", " ", plain.lower())
    return re.sub(r"\b([a-z]) (?=[a-z]\b)", r"\1", plain)  # "k a s i" -> "kasi"


def names_an_office(text: str) -> bool:
    return bool(OFFICE_WORDS.search(_plain_words(text)))


def reads_like(name: str, holder: str) -> bool:
    """Whether `name` reads as the person `holder` in a list or the log: a letter or two apart, or the same
    words give or take their order, an initial for a word ("G. Mardhiyah", "Galuh M.") or a degree added
    ("Galuh Mardhiyah SSos")."""
    if edit_distance(name_skeleton(name), name_skeleton(holder)) <= 2:
        return True

    def core(text):  # the name without titles before it, what follows a comma, or brackets
        base = re.sub(r"\([^)]*\)?", " ", text.split(",")[0]).split()
        while len(base) > 1 and base[0].endswith("."):
            base.pop(0)
        return _plain_words(" ".join(base)).split()

    def same(a, b):
        return a == b or (len(a) == 1 and b.startswith(a)) or (len(b) == 1 and a.startswith(b)) or (
            min(len(a), len(b)) >= 4 and edit_distance(a, b) <= 1)
    theirs, words, every = core(holder), core(name), _plain_words(name).split()
    if not theirs or not words:
        return False
    return all(any(same(h, w) for w in every) for h in theirs) or all(any(same(w, h) for h in theirs) for w in words)


class PeopleError(ValueError):
    """Bad input; `field` names the form field it belongs to. `faults` (field -> message) holds every
    fault found at once, so a form marks them all in one answer."""

    def __init__(self, message, field=None, faults: dict | None = None):
        super().__init__(str(message))
        self.field = field
        self.faults = faults or {field: str(message)}


class StaleEdit(PeopleError):
    """The account changed after the form was opened: saving it would put the old values back.
    `others_changed`: the fields that later change set (the form's values there are merely old)."""

    def __init__(self, message, others_changed=frozenset()):
        super().__init__(message)
        self.others_changed = frozenset(others_changed)


# a change of roles reads "Peran: Petugas loket → Petugas loket, Kepala Seksi (Kasi)", not its codes
vocabulary.describe_values("roles", {**ROLES, "": _l("ASN")}, subject_type="user")
# the password is never logged: its change reads as what happened (older events hold these same words)
vocabulary.describe_values("password", {"***": _l("(hidden)"), "(reset, one-time)": _l("reset, valid once")},
                           subject_type="user")
# the account's position, told apart from the position training gives the same person (its own words there)
vocabulary.describe_fields({"position": _l("Position (account)")}, subject_type="user")


def _snapshot(user: User) -> dict:
    data = audit.snapshot(user, USER_FIELDS)
    data["roles"] = ",".join(sorted(user.roles))
    return data


def edit_stamp(user: User) -> str:
    """A fingerprint of the account as an edit form shows it (what the audit snapshot holds)."""
    return edits.stamp(_snapshot(user))


def _changed_since(actor: User, user: User) -> StaleEdit:
    last = db.session.scalars(select(AuditEvent).where(
        AuditEvent.subject_type == "user", AuditEvent.subject_id == str(user.id), AuditEvent.outcome == "ok",
        AuditEvent.action.in_(("user.create", "user.update"))).order_by(AuditEvent.seq.desc()).limit(1)).first()
    message = _("%(name)s changed this account at %(time)s, after you opened the form. The form now shows the "
                "account as saved: make your change again.", name=last.actor_name if last else "?",
                time=wib_text(last.occurred_at) if last else "?")
    audit.refused("user.update", actor=actor, subject=user, reason=f"[input:stale] {message}")
    return StaleEdit(message, last.changes_dict if last else ())


def refuse(actor: User, action: str, refusal: rules.Refusal, subject=None, subject_type=None, attempted=None):
    """Record the refusal on its own, with what was attempted (`attempted`: {field: [now, asked]}; nothing of
    it is stored), and raise it again."""
    # "[rule] what they were told": HR reads the message the person saw, not the rule's name in English
    code = re.sub(r"[^a-z]+", "_", refusal.rule.lower()).strip("_")
    audit.refused(action, actor=actor, subject=subject, subject_type=subject_type,
                  reason=f"[{code}] {refusal.message}", changes=attempted or None)
    raise refusal


def _attempted(user: User | None, data: dict, roles: set, active: bool, password: str | None) -> dict:
    """What a refused account form asked for, as the log's changes: the fields it would have changed (HR
    proves what was tried, e.g. "Peran: - -> Petugas loket"), the password only as "reset"."""
    before = _snapshot(user) if user is not None else {}
    asked = {name: (data.get(name) or None) if name not in ("unit_id", "supervisor_id") else data.get(name)
             for name in USER_FIELDS if name != "active"}
    asked.update(active=active, roles=",".join(sorted(roles)))
    changes = {name: [before.get(name), value] for name, value in asked.items()
               if (before.get(name) or None) != (value or None) and not (name == "active" and user is None)}
    if password:
        changes["password"] = ["***", "(reset, one-time)"]
    return changes


def set_temporary_password(user: User, password: str, setter_id: int | None) -> None:
    """A password someone else sets (a first one, a reset; `setter_id` None: the server's operator): it works
    once, the holder chooses his own at the next sign-in, and who set it is kept (training.workflow.who)."""
    user.set_password(password)
    user.must_change_password = True
    user.password_set_by_id, user.password_set_at = setter_id, utcnow()


def save_user(actor: User, user: User | None, data: dict, password: str | None = None,
              once_token: str | None = None, seen: str | None = None) -> User:
    """Create (user=None) or update an account from a complete form; audited with before/after.

    `data` must hold every field of the form: a missing one is refused, never taken as "empty".
    A password given here is set by someone else (first password or reset): it works once and the
    account must choose its own at the next sign-in. With `once_token` (the "new account" form's
    one-time token) a second post of the same form raises once.AlreadyDone with the first account."""
    creating = user is None
    missing = [name for name in (*USER_FIELDS, "roles") if name not in data]
    if missing:
        raise PeopleError(_("The form is incomplete (%(fields)s). Reload the page and try again.",
                            fields=", ".join(missing)), missing[0])
    roles = set(data["roles"] or [])
    active = bool(data["active"])
    action = "user.create" if creating else "user.update"
    try:
        rules.check_edit(actor, user)
        rules.check_roles(actor, user, roles)
        rules.check_admin_apart(user, roles)
        rules.check_username(user, str(data["username"]).strip().lower())
        rules.check_single_holder(user, roles, active)
        rules.check_supervisor(actor, user, data.get("supervisor_id") or None)
        rules.check_supervisor_active(user, data.get("supervisor_id") or None, active)
        rules.check_supervisor_office(actor, user, data.get("supervisor_id") or None)
        if not creating:
            if password:
                rules.check_reset_password(actor, user)
            if user.active and not active:
                rules.check_deactivate(actor, user)
            rules.check_keeps_an_admin(user, roles, active)
    except rules.Refusal as refusal:
        refuse(actor, action, refusal, subject=user, subject_type="user",
               attempted=_attempted(user, data, roles, active, password))
    if not creating and seen is not None:
        user = lock_row(User, user.id)  # a save at the same moment waits, then reads what that one saved
        db.session.refresh(user)
        if edit_stamp(user) != seen:
            raise _changed_since(actor, user)
    faults = {}  # every fault of the form at once, field -> message
    nip = (data.get("nip") or "").strip() or None
    if nip:
        try:
            nip = validate_asn_number(nip)
        except InvalidNIP as e:
            faults["nip"], nip = str(e), None
    username = data["username"].strip().lower()
    if not USERNAME.fullmatch(username):
        faults["username"] = _("A username has 2 to 40 small letters, digits, dots, dashes or underscores, "
                               "without spaces (for example siti.aminah).")
    email = (data.get("email") or "").strip()
    if email and not EMAIL.fullmatch(email):
        faults["email"] = _("This is not an e-mail address (for example nama@plaju.go.id).")
    clash = db.session.scalar(select(User.id).where(func.lower(User.username) == username))
    if clash and (creating or clash != user.id):
        faults["username"] = _("The username %(name)s is already taken.", name=username)
    if nip:
        holder = db.session.execute(select(User.id, User.username).where(User.nip == nip)).first()
        if holder and (creating or holder.id != user.id):
            faults["nip"] = _("This NIP already belongs to the account %(name)s.", name=holder.username)
    if not creating and data.get("supervisor_id") == user.id:
        faults["supervisor_id"] = _("Nobody can be their own supervisor.")
    if creating and not password:
        faults["password"] = _("Set a first password.")
    # the administrator gives office names and positions to others' accounts, never to their own: an admin
    # renamed "Galuh Mardhiyah (Camat Plaju)" read as the Camat in every event they wrote afterwards
    trusted = rules.is_admin(actor) and (user is None or user.id != actor.id)
    full_name = " ".join(unicodedata.normalize("NFKC", data["full_name"]).split())
    fault = person_name_fault(full_name) or (  # (NFKC makes some characters several letters long)
        _("The name may be at most 120 characters long.") if len(full_name) > 120 else None)
    if fault:
        faults["full_name"] = fault
    else:  # a second account of the same name reads as the first in every list and in the log
        skeleton = name_skeleton(full_name)
        twin = next((other for other in db.session.execute(select(User.id, User.username, User.nip, User.full_name)
                                                           .where(User.id != (user.id if user else 0)))
                     if name_skeleton(other.full_name) == skeleton), None)
        renamed = full_name != (user.full_name if user else None)
        if twin and not (nip and twin.nip):
            faults["full_name"] = _("The account %(name)s already has this name. Record both people's NIP, so "
                                    "the lists and the log tell them apart.", name=twin.username)
        elif renamed and not trusted and names_an_office(full_name):
            faults["full_name"] = _("A name cannot name an office (Camat, Kasi, Plh...): the log writes the "
                                    "position beside the name.")
        elif renamed and not trusted:
            # HR renamed an ASN to the Camat's name, or one that reads like it: every list and the log then
            # read as the Camat
            holder = next((other for other in db.session.execute(
                select(User.username, User.full_name).join(UserRole, UserRole.user_id == User.id)
                .where(UserRole.role.in_(OFFICE_ROLES), User.id != (user.id if user else 0)))
                if reads_like(full_name, other.full_name)), None)
            if holder:
                faults["full_name"] = _("%(name)s holds an office and has this name or one that reads like it: "
                                        "only the administrator gives it to another account.", name=holder.username)
    position = " ".join(unicodedata.normalize("NFKC", data.get("position") or "").split())
    changed = position != (user.position if user else "")
    odd = not_latin(position, NAME_MARKS | {"/", "&"}) if changed else None
    if odd:  # a Cyrillic "С" made "Сamat Plaju" pass the office words below
        faults["position"] = _("Write the position in Latin letters (not “%(char)s”).", char=odd)
    elif (changed and names_an_office(position)
            and not trusted and not roles & rules.PRINCIPAL_ROLES):
        # the log writes "Name (Position)": an account HR made as "Camat Plaju" read as the Camat
        faults["position"] = _("A position naming an office (Camat, Sekcam, Kasi) is given by the administrator, "
                               "with the office itself.")
    if password:
        weak = passwords.problem(password, username, full_name, nip)
        if weak:
            faults["password"] = weak
    if faults:
        field, message = next(iter(faults.items()))
        raise PeopleError(message, field, faults)
    before = {} if creating else _snapshot(user)
    old_roles = set() if creating else set(user.roles)
    was_active = True if creating else user.active
    was_staff = None if creating else (user.unit_id, user.active, user.left_at)
    token = None
    if creating:
        # taken with the row it creates: the same form posted again finds it and makes no second account
        token = once.claim_if_given(actor, once_token)
        user = User(password_hash="")
        db.session.add(user)
    user.username = username
    user.full_name = full_name
    user.nip = nip
    user.position = position
    user.email = (data.get("email") or "").strip() or None
    user.unit_id = data.get("unit_id") or None
    user.supervisor_id = data.get("supervisor_id") or None
    if was_active != active:
        user.left_at = None if active else utcnow()
    user.active = active
    user.set_roles(roles)
    if password:
        set_temporary_password(user, password, actor.id)
    if not creating and (password or roles != old_roles or (was_active and not active)):
        # the account's open sessions end: they were granted under the old password or authority
        user.session_epoch = (user.session_epoch or 0) + 1
    db.session.flush()
    staff.record(user, was_staff)  # a new account, a move or a departure dates the roster a month's report reads
    if token is not None:
        once.complete(token, url_for("people.edit", user_id=user.id))
    after = _snapshot(user)
    changes = audit.diff(before, after)
    if password and not creating:
        changes["password"] = ["***", "(reset, one-time)"]
    audit.record(action, actor=actor, subject=user, changes=changes)
    if password and not creating:
        notify(user, _("Your password was reset"),
               _("%(actor)s set a one-time password for your account. Your open sessions have ended; sign in "
                 "with the one-time password and choose your own. If you did not ask for this, tell the "
                 "administrator.", actor=actor.full_name), url="/account/password")
    from . import delegations  # here, not at the top: delegations.py imports PeopleError and refuse from here
    if not creating and (old_roles & rules.DELEGATE_ROLES) and not (active and roles & rules.DELEGATE_ROLES):
        delegations.end_delegations_of(actor, user)
    if was_active and not active:
        delegations.end_plh_for(actor, user)
    elif not creating and active and not was_active:
        delegations.end_for_return(actor, user)
    elif not creating and active and (old_roles & rules.PRINCIPAL_ROLES) != (roles & rules.PRINCIPAL_ROLES):
        delegations.end_for_another_office(actor, user)
    for role in rules.SINGLE_HOLDER:
        if active and role in roles and not (was_active and role in old_roles):
            delegations.end_stand_ins_for_predecessors(actor, user, role)
    refresh_assignments_for_user(user.id)  # open items follow a new unit, supervisor or departure
    held_before, held_now = (old_roles if was_active else set()), (roles if active else set())
    if held_before != held_now:  # a to-do that fell back for want of a holder goes to the new one
        refresh_for_roles(held_before ^ held_now)
    db.session.commit()
    return user
