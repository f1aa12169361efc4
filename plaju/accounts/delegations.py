"""Plh/Plt delegations: recording and revoking one from its surat perintah, and ending them when the account
rules say so (an official leaves, the office has a holder again, a stand-in loses the role that let them
stand in). Every change is an audit event with the fields before and after; every refusal one with the rule."""
from datetime import date, timedelta

from flask import url_for
from sqlalchemy import func, or_, select

from .. import once
from ..audit import record as audit
from ..audit import vocabulary
from ..audit.models import AuditEvent
from ..extensions import db
from ..i18n import date_text, wib_text
from ..i18n import gettext as _
from ..i18n import lazy_gettext as _l
from ..notify.service import notify
from ..timeutil import today_wib
from ..workflow.assignments import retell_stand_ins
from . import rules
from .models import Delegation, User, UserRole
from .people import PeopleError, refuse

vocabulary.describe_values("kind", {"plh": "Plh", "plt": "Plt"}, subject_type="delegation")
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


def appointment_name(d: Delegation) -> str:
    """"Plh. Camat Plaju: Nama Sekcam (1 Des 2026 – 3 Des 2026)": the log's name for it, and a refusal's."""
    return f"{d.title}: {d.delegate.full_name} ({date_text(d.starts_on)} – {date_text(d.ends_on)})"


def _delegation_names(ids) -> dict:
    """appointment_name of each, all ids in one statement."""
    from sqlalchemy.orm import joinedload
    numbers = [int(i) for i in ids if str(i).isascii() and str(i).isdigit()]
    rows = db.session.scalars(select(Delegation).where(Delegation.id.in_(numbers)).options(
        joinedload(Delegation.principal), joinedload(Delegation.delegate)))
    return {str(d.id): appointment_name(d) for d in rows}


vocabulary.describe_subjects("delegation", _delegation_names, url_arg="delegation_id")

IN_FORCE, UPCOMING, ENDED, REVOKED = "in_force", "upcoming", "ended", "revoked"


def standing(delegation: Delegation) -> str:
    """Where an appointment stands today (WIB): revoked, ended (its last day is past), upcoming or in force.
    The list's label and its "Revoke" button, and revoke_delegation, all read it."""
    today = today_wib()
    if delegation.revoked:
        return REVOKED
    if delegation.ends_on < today:
        return ENDED
    return UPCOMING if delegation.starts_on > today else IN_FORCE


def may_revoke(actor: User, delegation: Delegation) -> bool:
    """What revoke_delegation accepts: who may (rules), and an appointment still in force or to come."""
    return standing(delegation) in (IN_FORCE, UPCOMING) and rules.may_revoke(actor, delegation)


def end_plh_for(actor: User, principal: User) -> None:
    """An official who leaves is no longer away for a while: his Plh ends (a Plt, for the vacant office,
    goes on). A Plh went on signing as "Plh. Camat" after the Camat had left, and blocked the Plt."""
    _end(actor, select(Delegation).where(Delegation.principal_id == principal.id, Delegation.kind == "plh"),
         _("The official left the office: a Plh stands in only for an absence."))


def end_for_another_office(actor: User, principal: User) -> None:
    """An official whose office changes (the Sekcam made Camat) is no longer the one the surat perintah
    named: his Plh/Plt ends. A Plh of the Sekcam went on, and signed as "Plh. Camat" once the Sekcam was
    made Camat."""
    _end(actor, select(Delegation).where(Delegation.principal_id == principal.id),
         _("The official's office changed: the surat perintah named a stand-in for the office he held."))


def end_for_return(actor: User, principal: User) -> None:
    """An official whose account is enabled again holds the office again: the Plt recorded for the vacant
    office ends (it went on, and both signed as the Camat)."""
    _end(actor, select(Delegation).where(Delegation.principal_id == principal.id),
         _("The official holds the office again: the stand-in for the vacant office ends."))


def end_stand_ins_for_predecessors(actor: User, holder: User, role: str) -> None:
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
        retell_stand_ins(delegation.principal)


def end_delegations_of(actor: User, delegate: User) -> None:
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
        retell_stand_ins(delegation.principal)


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
    for role, office in rules.SINGLE_HOLDER.items():  # one stand-in for the office, whoever held it before
        holders = select(UserRole.user_id).where(UserRole.role == role)
        other = overlapping(Delegation.principal_id.in_(holders), Delegation.principal_id != principal.id) \
            if principal.has_role(role) else None
        if other is not None:
            raise PeopleError(_("%(who)s already stands in for the office of %(office)s (%(kind)s for %(whom)s) "
                                "from %(start)s to %(end)s: one person signs for the office at a time.",
                                who=other.delegate.full_name, office=office, kind=other.kind.capitalize(),
                                whom=other.principal.full_name, start=date_text(other.starts_on),
                                end=date_text(other.ends_on)), "principal_id")
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
    # one surat perintah, one appointment: the number is what the log and a signature cite as its basis.
    # A revoked one (recorded under a wrong number) frees it; the few rows are read without an index
    holder = db.session.scalars(select(Delegation).where(
        Delegation.revoked.is_(False),
        # compared without spaces or case: "800 / 12 / 2026" is "800/12/2026"
        func.replace(func.lower(Delegation.order_number), " ", "") == "".join(order_number.lower().split()))
        .order_by(Delegation.id)).first()
    if holder is not None:
        raise PeopleError(_("Surat perintah %(number)s is already recorded for another appointment: "
                            "%(appointment)s. One surat perintah is for one appointment: check the number.",
                            number=order_number, appointment=appointment_name(holder)), "order_number")
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
    if starts_on <= today_wib():  # what already waits for the official is the stand-in's to-do from now
        retell_stand_ins(principal)
    if token is not None:
        once.complete(token, url_for("people.delegations"))
    audit.record("delegation.create", actor=actor, subject=delegation, comment=note or None, changes={
        "principal": [None, principal.full_name], "delegate": [None, delegate.full_name], "kind": [None, kind],
        "starts_on": [None, starts_on.isoformat()], "ends_on": [None, ends_on.isoformat()],
        "order_number": [None, order_number], "order_date": [None, order_date.isoformat()]})
    period = f"{date_text(starts_on)} – {date_text(ends_on)}"
    for person in {principal.id: principal, delegate.id: delegate}.values():
        if person.id != actor.id:  # the people concerned learn of it from the app, not by surprise
            # the office as the signature names it ("Plh. Camat Plaju"), and whom it stands in for
            notify(person, _("You are %(title)s, standing in for %(whom)s, %(period)s", title=delegation.title,
                             whom=principal.full_name, period=period) if person.id == delegate.id else
                   _("%(who)s is %(title)s, standing in for %(whom)s, %(period)s", who=delegate.full_name,
                     title=delegation.title, whom=principal.full_name, period=period),
                   _("Recorded by %(actor)s.", actor=actor.full_name),
                   url="/inbox/" if person.id == delegate.id else "/people/delegations")  # what now awaits them
    db.session.commit()
    return delegation


def appointment_words(delegation: Delegation) -> str:
    """"Plh, 3 Desember 2026 – 3 Desember 2026, surat perintah 800/01/PLJ/2026": which appointment it is."""
    words = f"{delegation.kind.capitalize()}, {date_text(delegation.starts_on)} – {date_text(delegation.ends_on)}"
    return words + (", " + _("order %(number)s", number=delegation.order_number) if delegation.order_number else "")


def _still_appointed(delegation: Delegation) -> list[Delegation]:
    """The same stand-in's other appointments for the same official, in force or to come."""
    return list(db.session.scalars(select(Delegation).where(
        Delegation.principal_id == delegation.principal_id, Delegation.delegate_id == delegation.delegate_id,
        Delegation.id != delegation.id, Delegation.revoked.is_(False), Delegation.ends_on >= today_wib())
        .order_by(Delegation.starts_on)))


def revoke_delegation(actor: User, delegation: Delegation) -> None:
    try:
        rules.check_revoke_delegation(actor, delegation)
    except rules.Refusal as refusal:
        refuse(actor, "delegation.revoke", refusal, subject=delegation)
    now = standing(delegation)
    if now == ENDED:  # revoked after the fact, it would tell both "no longer stands in" and rewrite the record
        message = _("This appointment already ended on %(date)s: an appointment that has ended is not revoked.",
                    date=date_text(delegation.ends_on))
        audit.refused("delegation.revoke", reason=f"[input:ended] {message}", actor=actor, subject=delegation)
        raise PeopleError(message)
    if now == REVOKED:  # two people revoking at once, or a page kept open: who did, and when
        first = db.session.scalars(select(AuditEvent).where(
            AuditEvent.subject_type == "delegation", AuditEvent.subject_id == str(delegation.id),
            AuditEvent.action == "delegation.revoke", AuditEvent.outcome == "ok")
            .order_by(AuditEvent.seq.desc()).limit(1)).first()
        message = (_("This delegation was already revoked by %(name)s, %(when)s.", name=first.actor_name,
                     when=wib_text(first.occurred_at)) if first else _("This delegation was already revoked."))
        audit.refused("delegation.revoke", reason=f"[input:already_revoked] {message}", actor=actor,
                      subject=delegation)
        raise PeopleError(message)
    delegation.revoked = True
    audit.record("delegation.revoke", actor=actor, subject=delegation, changes={"revoked": [False, True]})
    retell_stand_ins(delegation.principal)  # the stand-in's to-do notices close
    # the stand-in stops signing now and learns it now, not from a refused signature; the official away
    # learns it when someone else revoked it
    reason = _("%(actor)s revoked the appointment (%(appointment)s) today.", actor=actor.full_name,
               appointment=appointment_words(delegation))
    still = _still_appointed(delegation)
    if still:  # "you no longer stand in" should not read as the end of tomorrow's appointment too
        reason += " " + _("Still in force or to come: %(appointments)s.",
                          appointments="; ".join(appointment_words(d) for d in still))
    if delegation.delegate_id != actor.id:
        notify(delegation.delegate, _("You no longer stand in for %(person)s", person=delegation.principal.full_name),
               reason, url="/people/delegations")
    if delegation.principal_id != actor.id:
        notify(delegation.principal, _("%(person)s no longer stands in for you",
                                       person=delegation.delegate.full_name), reason, url="/people/delegations")
    db.session.commit()

def retell_for_today() -> int:
    """The appointments that begin today or ended yesterday: what waits for their officials is told to whom
    it is now for (the scheduled `flask workflow stand-ins`, early each day; telling again is harmless).
    Appointments recorded or revoked during the day are told at once by add_delegation/revoke_delegation."""
    today = today_wib()
    turning = db.session.scalars(select(Delegation).where(
        Delegation.revoked.is_(False),
        or_(Delegation.starts_on == today, Delegation.ends_on == today - timedelta(days=1)))).all()
    principals = {d.principal_id: d.principal for d in turning}
    for principal in principals.values():
        retell_stand_ins(principal)
    db.session.commit()
    return len(principals)

