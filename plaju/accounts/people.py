"""Managing people: accounts and roles and Plh/Plt delegations, under the rules of `rules.py`.
Every change is an audit event with the fields before and after; every refusal one with the rule."""
import hashlib
import json
import re
import unicodedata
from datetime import date, timedelta

from flask import url_for
from sqlalchemy import func, select

from .. import once
from ..audit import record as audit
from ..audit import vocabulary
from ..audit.models import AuditEvent
from ..database import lock_row, utcnow
from ..extensions import db
from ..i18n import date_text, wib_text
from ..i18n import gettext as _
from ..i18n import lazy_gettext as _l
from ..inputs import NAME_MARKS, edit_distance, name_skeleton, not_latin, person_name_fault
from ..notify.service import notify
from ..timeutil import today_wib
from ..workflow.assignments import refresh_assignments_for_user
from . import passwords, rules, staff
from .models import ROLES, Delegation, User, UserRole
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
vocabulary.describe_values("kind", {"plh": "Plh", "plt": "Plt"}, subject_type="delegation")
# the account's position, told apart from the position training gives the same person (its own words there)
vocabulary.describe_fields({"position": _l("Position (account)")}, subject_type="user")
vocabulary.describe_fields({"order_number": _l("Surat perintah number"), "order_date": _l("Surat perintah date"),
                            "order": _l("Surat perintah")}, subject_type="delegation")
# an appointment reads as its form: who, for whom, which kind, the period, then its surat perintah
vocabulary.describe_field_order("delegation", ("principal", "delegate", "kind", "starts_on", "ends_on",
                                               "order_number", "order_date", "order", "revoked"))
# SE Kepala BKN 1/SE/I/2021: a Plh or Plt serves at most three months, then may be extended (a new surat
# perintah, recorded as a new appointment)
MAX_DELEGATION_MONTHS = 3


DELEGATION_AHEAD_DAYS = 366  # a surat perintah is signed for an absence known in advance, not years ahead


def months_later(day: date, months: int) -> date:
    """The same day `months` later, or that month's last day (31 Jan + 1 month: 28 or 29 Feb)."""
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    last = (date(year + month // 12, month % 12 + 1, 1) - timedelta(days=1)).day
    return date(year, month, min(day.day, last))


def _delegation_names(ids) -> dict:
    """"Plh. Camat Plaju: Nama Sekcam (1 Des 2026 – 3 Des 2026)", all ids in one statement."""
    from sqlalchemy.orm import joinedload
    numbers = [int(i) for i in ids if str(i).isascii() and str(i).isdigit()]
    rows = db.session.scalars(select(Delegation).where(Delegation.id.in_(numbers)).options(
        joinedload(Delegation.principal), joinedload(Delegation.delegate)))
    return {str(d.id): f"{d.title}: {d.delegate.full_name} ({date_text(d.starts_on)} – {date_text(d.ends_on)})"
            for d in rows}


vocabulary.describe_subjects("delegation", _delegation_names, url_arg="delegation_id")


def _snapshot(user: User) -> dict:
    data = audit.snapshot(user, USER_FIELDS)
    data["roles"] = ",".join(sorted(user.roles))
    return data


def edit_stamp(user: User) -> str:
    """A fingerprint of the account as an edit form shows it (what the audit snapshot holds)."""
    return hashlib.sha256(json.dumps(_snapshot(user), sort_keys=True, default=str).encode()).hexdigest()[:16]


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
        user.set_password(password)
        user.must_change_password = True
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
    if not creating and (old_roles & rules.DELEGATE_ROLES) and not (active and roles & rules.DELEGATE_ROLES):
        _end_delegations_of(actor, user)
    if was_active and not active:
        _end_plh_for(actor, user)
    for role in rules.SINGLE_HOLDER:
        if active and role in roles and not (was_active and role in old_roles):
            _end_stand_ins_for_predecessors(actor, user, role)
    refresh_assignments_for_user(user.id)  # open items follow a new unit, supervisor or departure
    db.session.commit()
    return user


def _end_plh_for(actor: User, principal: User) -> None:
    """An official who leaves is no longer away for a while: his Plh ends (a Plt, for the vacant office,
    goes on). A Plh went on signing as "Plh. Camat" after the Camat had left, and blocked the Plt."""
    _end(actor, select(Delegation).where(Delegation.principal_id == principal.id, Delegation.kind == "plh"),
         _("The official left the office: a Plh stands in only for an absence."))


def _end_stand_ins_for_predecessors(actor: User, holder: User, role: str) -> None:
    """The office has its holder again: whoever stood in for a predecessor who left (a Plt for the vacant
    post) stops, or two would sign as the Camat."""
    left = select(User.id).join(UserRole, UserRole.user_id == User.id).where(
        UserRole.role == role, User.active.is_(False), User.id != holder.id)
    _end(actor, select(Delegation).where(Delegation.principal_id.in_(left)),
         _("%(person)s now holds the office: the stand-in for the predecessor ends.", person=holder.full_name))


def _end(actor: User, delegations, reason: str) -> None:
    """End the delegations in force or still to come, each audited, the stand-in told."""
    for delegation in db.session.scalars(delegations.where(Delegation.revoked.is_(False),
                                                           Delegation.ends_on >= today_wib())):
        delegation.revoked = True
        audit.record("delegation.revoke", actor=actor, subject=delegation, changes={"revoked": [False, True]},
                     comment=reason)
        notify(delegation.delegate, _("You no longer stand in for %(person)s", person=delegation.principal.full_name),
               reason, url="/people/delegations")


def _end_delegations_of(actor: User, delegate: User) -> None:
    """A stand-in who no longer holds Sekcam or Kasi (or leaves) stops standing in: the rule that let the
    delegation be recorded must hold for as long as it runs. Each ended delegation is audited."""
    for delegation in db.session.scalars(select(Delegation).where(
            Delegation.delegate_id == delegate.id, Delegation.revoked.is_(False),
            Delegation.ends_on >= today_wib())):
        delegation.revoked = True
        audit.record("delegation.revoke", actor=actor, subject=delegation,
                     changes={"revoked": [False, True]},
                     comment=_("The stand-in no longer holds the Sekcam or Kasi role, or left."))
        # the official away learns it now, not when nobody signs in his name
        notify(delegation.principal, _("%(person)s no longer stands in for you", person=delegate.full_name),
               _("%(person)s no longer holds the office that let them stand in for you (or left), so the "
                 "appointment as your %(kind)s ended today. Appoint another if you are still away.",
                 person=delegate.full_name, kind=delegation.kind.capitalize()), url="/people/delegations")


def add_delegation(actor: User, principal: User, delegate: User, kind: str, starts_on: date, ends_on: date,
                   note: str = "", order_number: str = "", order_date: date | None = None,
                   once_token: str | None = None) -> Delegation:
    """Record a Plh/Plt from its surat perintah (number and date required). With `once_token` a second
    post of the same form raises once.AlreadyDone instead of recording the delegation twice."""
    if kind not in ("plh", "plt"):
        raise PeopleError(_("Choose Plh or Plt."), "kind")
    try:
        rules.check_delegation(actor, principal, delegate, kind)
    except rules.Refusal as refusal:
        refuse(actor, "delegation.create", refusal, subject_type="delegation")
    if ends_on < starts_on:
        raise PeopleError(_("The end date is before the start date."), "ends_on")
    if starts_on > today_wib() + timedelta(days=DELEGATION_AHEAD_DAYS):
        raise PeopleError(_("A stand-in is recorded at most a year ahead: %(date)s is later. Check the date.",
                            date=date_text(starts_on)), "starts_on")
    if ends_on < today_wib():
        raise PeopleError(_("This period is already over: a stand-in is recorded for today or later days."),
                          "ends_on")
    if starts_on < today_wib():  # a back-dated appointment would become the basis the log reads for past acts
        raise PeopleError(_("A stand-in acts from the day it is recorded: start on %(today)s or later. What was "
                            "done before was done without it.", today=date_text(today_wib())), "starts_on")
    if ends_on > months_later(starts_on, MAX_DELEGATION_MONTHS):
        raise PeopleError(_("A Plh or Plt serves at most %(n)s months (SE Kepala BKN 1/SE/I/2021), here until "
                            "%(last)s. An extension is a new surat perintah, recorded when it is signed.",
                            n=MAX_DELEGATION_MONTHS, last=date_text(months_later(starts_on, MAX_DELEGATION_MONTHS))),
                          "ends_on")
    clash = db.session.scalars(select(Delegation).where(
        Delegation.principal_id == principal.id, Delegation.revoked.is_(False),
        Delegation.starts_on <= ends_on, Delegation.ends_on >= starts_on).order_by(Delegation.starts_on)).first()
    if clash is not None:  # two stand-ins on one day could both sign as the official
        raise PeopleError(_("%(who)s is already %(kind)s for %(whom)s from %(start)s to %(end)s. Revoke that "
                            "appointment first, or choose days outside it.", who=clash.delegate.full_name,
                            kind=clash.kind.capitalize(), whom=principal.full_name,
                            start=date_text(clash.starts_on), end=date_text(clash.ends_on)), "starts_on")
    # one person holds one office's authority at a time: not a stand-in who is away himself, not two
    # officials' at once, not an official who is away while standing in (Kasi A Plh of Kasi B, B Plh of A,
    # and A Plh Sekcam and Plh Camat, all on the same days)
    def overlapping(*where):
        return db.session.scalars(select(Delegation).where(
            Delegation.revoked.is_(False), Delegation.starts_on <= ends_on, Delegation.ends_on >= starts_on,
            *where).order_by(Delegation.starts_on)).first()
    away = overlapping(Delegation.principal_id == delegate.id)
    if away is not None:
        raise PeopleError(_("%(who)s is away from %(start)s to %(end)s (%(kind)s: %(plh)s): an official who is away "
                            "stands in for nobody.", who=delegate.full_name, start=date_text(away.starts_on),
                            end=date_text(away.ends_on), kind=away.kind.capitalize(), plh=away.delegate.full_name),
                          "delegate_id")
    busy = overlapping(Delegation.delegate_id == delegate.id)
    if busy is not None:
        raise PeopleError(_("%(who)s already stands in for %(whom)s from %(start)s to %(end)s: one person holds one "
                            "official's authority at a time.", who=delegate.full_name, whom=busy.principal.full_name,
                            start=date_text(busy.starts_on), end=date_text(busy.ends_on)), "delegate_id")
    standing_in = overlapping(Delegation.delegate_id == principal.id)
    if standing_in is not None:
        raise PeopleError(_("%(who)s stands in for %(whom)s from %(start)s to %(end)s: revoke that appointment "
                            "first.", who=principal.full_name, whom=standing_in.principal.full_name,
                            start=date_text(standing_in.starts_on), end=date_text(standing_in.ends_on)),
                          "principal_id")
    order_number = (order_number or "").strip()
    if not order_number:
        raise PeopleError(_("Fill in the number of the surat perintah."), "order_number")
    if order_date is None:
        raise PeopleError(_("Fill in the date of the surat perintah."), "order_date")
    if order_date > today_wib():
        raise PeopleError(_("The surat perintah is dated %(date)s, a day still to come: record it once it is "
                            "signed.", date=date_text(order_date)), "order_date")
    if order_date < starts_on - timedelta(days=DELEGATION_AHEAD_DAYS):
        raise PeopleError(_("The surat perintah is dated %(date)s, more than a year before the first day: check "
                            "the date.", date=date_text(order_date)), "order_date")
    if order_date > starts_on:
        raise PeopleError(_("The surat perintah is dated %(date)s, after the first day (%(start)s): a stand-in "
                            "acts from the day the order is signed.", date=date_text(order_date),
                            start=date_text(starts_on)), "order_date")
    token = once.claim_if_given(actor, once_token)
    delegation = Delegation(principal_id=principal.id, delegate_id=delegate.id, kind=kind, starts_on=starts_on,
                            ends_on=ends_on, note=note.strip(), order_number=order_number, order_date=order_date,
                            created_by_id=actor.id)
    db.session.add(delegation)
    db.session.flush()
    if token is not None:
        once.complete(token, url_for("people.delegations"))
    audit.record("delegation.create", actor=actor, subject=delegation, comment=note or None, changes={
        "principal": [None, principal.full_name], "delegate": [None, delegate.full_name], "kind": [None, kind],
        "starts_on": [None, starts_on.isoformat()], "ends_on": [None, ends_on.isoformat()],
        "order_number": [None, order_number], "order_date": [None, order_date.isoformat()]})
    period = f"{date_text(starts_on)} – {date_text(ends_on)}"
    for person in {principal.id: principal, delegate.id: delegate}.values():
        if person.id != actor.id:  # the people concerned learn of it from the app, not by surprise
            notify(person, _("%(who)s is %(kind)s for %(whom)s, %(period)s", who=delegate.full_name,
                             kind=kind.capitalize(), whom=principal.full_name, period=period),
                   _("Recorded by %(actor)s.", actor=actor.full_name), url="/people/delegations")
    db.session.commit()
    return delegation


def revoke_delegation(actor: User, delegation: Delegation) -> None:
    try:
        rules.check_revoke_delegation(actor, delegation)
    except rules.Refusal as refusal:
        refuse(actor, "delegation.revoke", refusal, subject=delegation)
    if delegation.revoked:
        raise PeopleError(_("This delegation was already revoked."))
    delegation.revoked = True
    audit.record("delegation.revoke", actor=actor, subject=delegation, changes={"revoked": [False, True]})
    db.session.commit()
