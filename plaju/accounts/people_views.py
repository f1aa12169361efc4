"""/people: accounts and roles, Plh/Plt delegations; who may do what is asked of `rules`."""
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import or_, select, true
from wtforms.fields.choices import SelectChoice

from .. import once
from ..audit import record as audit
from ..audit.models import AuditEvent
from ..core.paging import keyset_page
from ..core.registry import nav_item
from ..core.urls import int_arg
from ..extensions import db
from ..htmx import render_page_or_block
from ..i18n import date_text
from ..i18n import gettext as _
from ..i18n import lazy_gettext as _l
from ..timeutil import today_wib
from . import passwords, rules
from .delegations import add_delegation, may_revoke, revoke_delegation, standing
from .forms_people import DelegationForm, NewUserForm, UserForm
from .models import ROLES, Delegation, Unit, User, UserRole
from .people import PeopleError, StaleEdit, edit_stamp, refuse, save_user

bp = Blueprint("people", __name__, url_prefix="/people")
PAGE = 50

nav_item("people.index", _l("People"), roles=rules.ACCOUNT_MANAGERS, order=85)
nav_item("people.delegations", _l("Plh/Plt"), roles=("camat",), order=86)


def _actor() -> User:
    return current_user._get_current_object()


def _deny(refusal: rules.Refusal, action: str | None = None, subject=None):
    """403/422 page with the rule's message; an attempted change (`action`) is audited as refused."""
    if action:
        try:
            refuse(_actor(), action, refusal, subject=subject)
        except rules.Refusal:
            pass
    abort(refusal.status, description=refusal.message)


def _user_choices(blank, ids=None, roles=None, active_or=None, left_too=False, where=None):
    """People to choose from: all, or only these ids, or only active holders of these roles, or (active_or)
    the active ones (holders of `roles` when given) and the one already chosen, who may have left;
    `left_too`: holders of `roles` who have left as well, marked so."""
    stmt = select(User.id, User.full_name, User.position, User.active).order_by(User.active.desc(), User.full_name)
    if ids is not None:
        stmt = stmt.where(User.id.in_(ids))
    if where is not None:  # a rule's own condition (rules.stand_ins)
        stmt = stmt.where(where)
    offered = true() if left_too else User.active.is_(True)
    if roles:
        offered = offered & User.id.in_(select(UserRole.user_id).where(UserRole.role.in_(roles)))
    if active_or is not None:
        stmt = stmt.where(or_(offered, User.id == active_or))
    elif roles:
        stmt = stmt.where(offered)
    users = db.session.execute(stmt).all()
    left = _(" – has left")
    return [SelectChoice(0, blank)] + [
        SelectChoice(u.id, (f"{u.full_name} ({u.position})" if u.position else u.full_name)
                     + ("" if u.active else left)) for u in users]


def _typed_changes(form, user: User, skip=frozenset()) -> str:
    """The text fields this form would have changed on `user` as saved now, but those another save
    changed meanwhile (`skip`: there the form holds the old value): "E-mail: siti@plaju.go.id"."""
    changed = []
    for name in ("full_name", "nip", "position", "email"):
        if name in skip:
            continue
        typed = (getattr(form, name).data or "").strip()
        if typed != (getattr(user, name) or ""):
            changed.append(f"{getattr(form, name).label.text}: {typed or '—'}")
    return "; ".join(changed)


def _trace_input(action: str, error: PeopleError, subject=None) -> None:
    """A form refused for what was typed is in the log too, greyed as an attempt ("[input:form] ...")."""
    audit.refused(action, actor=_actor(), subject=subject, subject_type="user" if action.startswith("user") else
                  "delegation", reason="[input:form] " + "; ".join(str(m) for m in error.faults.values()))


@bp.get("/")
@login_required
def index():
    try:
        rules.check_manage_accounts(_actor())
    except rules.Refusal as refusal:
        _deny(refusal)
    q = (request.args.get("q") or "").strip()
    stmt = select(User)
    if q:
        like = f"%{q}%"
        stmt = stmt.where(or_(User.full_name.ilike(like), User.username.ilike(like), User.nip.like(like)))
    page = keyset_page(stmt, User.id, int_arg("after"), size=PAGE)
    return render_page_or_block("accounts/people.html", "results", users=page.rows, q=q, may_edit=rules.may_edit,
                                role_names=ROLES, next_after=page.next_key)


def _user_form(user=None):
    form = UserForm(obj=user) if user else NewUserForm()
    form.unit_id.choices = [SelectChoice(0, _("(none)"))] + [
        SelectChoice(u.id, u.name) for u in db.session.scalars(select(Unit).order_by(Unit.name))]
    if request.method == "GET":  # offered: whom the rules let this person name (people still working here,
        # and the supervisor already recorded); a POST is the service's to refuse, and audit (a choice the
        # list left out would only fail as "not a valid choice")
        form.supervisor_id.choices = [
            c for c in _user_choices(_("(none)"), roles=rules.trusted_offices(_actor()),
                                     active_or=(user.supervisor_id if user else None) or 0)
            if rules.may_name_supervisor(_actor(), user, c.value or None)]
    else:
        form.supervisor_id.choices = _user_choices(_("(none)"))
    if user and request.method == "GET":
        form.roles.data = sorted(user.roles)
        form.unit_id.data = user.unit_id or 0
        form.supervisor_id.data = user.supervisor_id or 0
        form.active.data = 1 if user.active else 0
        form.seen.data = edit_stamp(user)
    return form


@bp.route("/new", methods=["GET", "POST"])
@bp.route("/<int:user_id>/edit", methods=["GET", "POST"])
@login_required
def edit(user_id=None):
    user = db.get_or_404(User, user_id) if user_id else None
    try:
        rules.check_edit(_actor(), user)
    except rules.Refusal as refusal:
        _deny(refusal, ("user.update" if user else "user.create") if request.method == "POST" else None, user)
    form = _user_form(user)
    status = 200
    first = once.replay(form) if user is None else None
    if first:  # the same "new account" form again (double click, re-post, second tab)
        return once.already_done(first)
    if form.validate_on_submit():
        try:
            was_active = user.active if user is not None else None
            was_signer = user is not None and user.active and user.has_role("camat")
            saved = save_user(_actor(), user, form.data, form.password.data or None,
                              once_token=form.form_token.data if user is None else None,
                              seen=form.seen.data or "")  # edits always compare: no stamp is stale
            if was_active and not saved.active:  # say what changed for the person, not only "saved"
                flash(_("Account %(name)s disabled: %(person)s can no longer sign in.", name=saved.username,
                        person=saved.full_name), "success")
                staff = rules.staff_of(saved)
                if staff:  # what follows from it, said now rather than found later
                    flash(_("%(n)s people have %(person)s as direct supervisor: until another is recorded, "
                            "HR decides their training requests.", n=staff, person=saved.full_name), "warning")
            elif was_active is False and saved.active:
                flash(_("Account %(name)s enabled again.", name=saved.username), "success")
            else:
                flash(_("Account %(name)s saved.", name=saved.username), "success")
            if user is not None and form.password.data:  # what a reset does, said when it is done
                flash(_("The temporary password works until %(person)s changes it at the next sign-in; their "
                        "open sessions have ended and they were told.", person=saved.full_name)
                      + (" " + _("For 30 days you do not verify the training they report.")
                         if _actor().has_role("hr", "sekcam", "camat") else ""), "info")
            if was_signer and not rules.camat_in_office():  # letters wait for a signature nobody can give
                flash(_("Nobody signs as the Camat now: letters wait until a Plt is recorded (Plh/Plt page), "
                        "from the Wali Kota's surat perintah."), "warning")
            if saved.active and saved.supervisor_id is None and not rules.heads_the_office(saved) \
                    and not saved.has_role("admin"):
                # not a fault (a new office may be recorded in any order), but it blocks their training
                flash(_("%(person)s has no direct supervisor: they cannot request training until one is "
                        "recorded.", person=saved.full_name), "warning")
            return redirect(url_for("people.index"))
        except once.AlreadyDone as done:
            return once.already_done(done.url)
        except StaleEdit as stale:  # the form again, as the account is now (audited by the service)
            db.session.rollback()
            flash(str(stale), "danger")
            typed = _typed_changes(form, db.session.get(User, user.id), skip=stale.others_changed)
            if typed:  # what this tab typed is not lost: it is listed to be entered again
                flash(_("Not saved, to enter again if still wanted: %(changes)s", changes=typed), "warning")
            return redirect(url_for("people.edit", user_id=user.id), 303)
        except rules.Refusal as refusal:  # already audited by the service
            if not refusal.field:
                abort(refusal.status, description=refusal.message)
            getattr(form, refusal.field).errors.append(refusal.message)
            status = refusal.status
        except PeopleError as e:
            db.session.rollback()
            _trace_input(("user.update" if user else "user.create"), e, user)
            for field, message in e.faults.items():
                if field and hasattr(form, field):
                    getattr(form, field).errors.append(str(message))
                else:
                    flash(str(message), "danger")
    if request.method == "POST" and status == 200:
        status = 422
    signs = user is not None and rules.signs_with_certificate(user.username)
    if signs:  # the field the POST would refuse to change (rules.check_username) is not offered as editable
        form.username.render_kw = {**(form.username.render_kw or {}), "readonly": True}
    return render_template("accounts/person_form.html", form=form, user=user, role_names=ROLES,
                           may_grant_roles=rules.may_grant_roles(_actor()), signs=signs,
                           password_rules=passwords.rules_text()), status


@bp.route("/delegations", methods=["GET", "POST"])
@login_required
def delegations():
    # everyone may see who stands in for whom; only delegators record a new one
    if request.method == "POST":
        try:
            rules.check_delegator(_actor())
        except rules.Refusal as refusal:
            _deny(refusal, "delegation.create")
    form = DelegationForm()
    # the form offers only what the rules allow this person (the service still checks every POST)
    principals, principal_roles, delegate_roles, kinds = rules.delegation_choices(_actor())
    # an official who has left is followed by a Plt: offered to whoever may record one (the rules refuse a Plh)
    form.principal_id.choices = _user_choices(_("(choose)"), ids=principals, roles=principal_roles,
                                              left_too="plt" in kinds)
    if principals is not None and len(principals) == 1:
        form.principal_id.choices = form.principal_id.choices[1:]
    form.delegate_id.choices = _user_choices(_("(choose)"), roles=delegate_roles, where=rules.stand_ins())
    form.kind.choices = [c for c in form.kind.choices if c.value in kinds]
    status = 200
    first = once.replay(form)
    if first:  # the same delegation posted again: recorded once
        return once.already_done(first)
    if form.validate_on_submit():
        principal = db.session.get(User, form.principal_id.data)
        delegate = db.session.get(User, form.delegate_id.data)
        try:
            if principal is None:
                raise PeopleError(_("Choose the official."), "principal_id")
            if delegate is None:
                raise PeopleError(_("Choose the stand-in."), "delegate_id")
            recorded = add_delegation(_actor(), principal, delegate, form.kind.data, form.starts_on.data,
                                      form.ends_on.data, form.note.data or "", form.order_number.data or "",
                                      form.order_date.data, once_token=form.form_token.data)
            # the office as the signature names it ("Plh. Camat Plaju"), and whom it stands in for
            if form.starts_on.data > today_wib():
                flash(_("%(who)s will be %(title)s, standing in for %(whom)s, from %(day)s.",
                        who=delegate.full_name, title=recorded.title, whom=principal.full_name,
                        day=date_text(form.starts_on.data)), "success")
            else:
                flash(_("%(who)s is now %(title)s, standing in for %(whom)s.", who=delegate.full_name,
                        title=recorded.title, whom=principal.full_name), "success")
            return redirect(url_for("people.delegations"))
        except once.AlreadyDone as done:
            return once.already_done(done.url)
        except rules.Refusal as refusal:  # already audited by the service
            getattr(form, refusal.field or "principal_id").errors.append(refusal.message)
            status = refusal.status
        except PeopleError as e:
            db.session.rollback()
            _trace_input("delegation.create", e)
            getattr(form, e.field).errors.append(str(e))
    if request.method == "POST" and status == 200:
        status = 422
    rows = list(db.session.scalars(select(Delegation).order_by(Delegation.starts_on.desc()).limit(100)))
    return render_template("accounts/delegations.html", form=form, rows=rows, ended=_revocations(rows),
                           may_delegate=rules.may_delegate(_actor()), may_revoke=may_revoke,
                           standing=standing), status


def _revocations(rows) -> dict:
    """When and by whom each revoked delegation of the list was revoked, from the log (one statement): a
    reader tells the letters a Plh signed before it from those after."""
    ids = [str(d.id) for d in rows if d.revoked]
    if not ids:
        return {}
    found = db.session.execute(select(AuditEvent.subject_id, AuditEvent.occurred_at, AuditEvent.actor_name).where(
        AuditEvent.action == "delegation.revoke", AuditEvent.outcome == "ok", AuditEvent.subject_type == "delegation",
        AuditEvent.subject_id.in_(ids)))
    return {int(subject_id): (at, who) for subject_id, at, who in found}


@bp.post("/delegations/<int:delegation_id>/revoke")
@login_required
def revoke(delegation_id):
    delegation = db.get_or_404(Delegation, delegation_id)
    try:
        revoke_delegation(_actor(), delegation)
        flash(_("Delegation revoked."), "success")
    except rules.Refusal as refusal:  # already audited by the service
        abort(refusal.status, description=refusal.message)
    except PeopleError as e:
        flash(str(e), "warning")
    return redirect(url_for("people.delegations"))
