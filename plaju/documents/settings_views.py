"""The area's settings, the admin's only part of it: document types (requirements, service standard,
who signs, which NIKs they serve) and the holidays the service clock skips."""
from datetime import timedelta

from flask import abort, flash, redirect, request, url_for
from flask_login import current_user
from sqlalchemy import select

from .. import edits, once
from ..audit import record as audit
from ..database import lock_row
from ..extensions import db
from ..htmx import render_page_or_block
from ..i18n import date_text
from ..i18n import gettext as _
from ..timeutil import today_wib
from . import services as svc
from .calendar import reschedule_open
from .forms import DocumentTypeForm, HolidayForm
from .letters import TEMPLATES as LETTER_TEXTS
from .letters import TEXT_SUBJECTS, letter_text
from .models import DocumentRequest, DocumentRequirement, DocumentType, Holiday
from .subjects import KINDS as SUBJECT_KINDS
from .views import _already_done, _require, bp
from .workflow import OPEN_STATES


@bp.get("/admin/types")
def types():
    _require("admin")
    return render_page_or_block("documents/admin.html", "types", types=svc.all_types(True), page="types")


def _lines(text: str) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


@bp.route("/admin/types/new", methods=["GET", "POST"], defaults={"type_id": None})
@bp.route("/admin/types/<int:type_id>", methods=["GET", "POST"])
def edit_type(type_id):
    _require("admin")
    doc_type = db.session.get(DocumentType, type_id) if type_id else None
    if type_id and doc_type is None:
        abort(404)
    form = DocumentTypeForm(obj=doc_type)
    if request.method == "GET" and doc_type:
        _show(form, doc_type)
    error = None
    missing = form.missing_fields() if form.is_submitted() else []
    first = once.replay(form) if doc_type is None else None
    if first:  # the same "new type" form posted again
        return _already_done(first)
    if missing:  # a partial POST is refused, never read as "empty": it would wipe the requirements
        error = _("The form is incomplete (not sent: %(fields)s). Nothing was changed. Reload the page and "
                  "try again.", fields=", ".join(str(getattr(form, name).label.text) for name in missing))
        audit.refused("document_type.save", actor=current_user, subject_type="document_type", subject_id=type_id,
                      reason=error)
    elif doc_type is not None and form.is_submitted() and _stale(form, doc_type):
        # another administrator saved the type after this form was opened: his change is not undone
        error = edits.changed_since("document_type", doc_type.id, ("document_type.save",))
        audit.refused("document_type.save", actor=current_user, subject_type="document_type",
                      subject_id=doc_type.id, reason=f"[input:stale] {error}")
        form = DocumentTypeForm(formdata=None, obj=doc_type)
        _show(form, doc_type)
        return render_page_or_block("documents/admin.html", "type_form", form=form, doc_type=doc_type,
                                    error=error, page="type"), 409
    elif form.validate_on_submit():
        clash = db.session.scalar(select(DocumentType.id).where(DocumentType.code == form.code.data))
        wanted = [(label, True) for label in _lines(form.required.data)] + [
            (label, False) for label in _lines(form.optional.data)]
        labels = [label.casefold() for label, _required in wanted]
        if clash and (doc_type is None or clash != doc_type.id):
            error = _("Another document type already uses this code.")
        elif len(set(labels)) != len(labels):
            # a line twice (or both required and optional) was saved, then one silently dropped
            error = _("A requirement is listed twice (or both as required and as optional): list each once.")
        elif doc_type is not None and _route_changed(doc_type, form) and db.session.scalar(
                select(DocumentRequest.id).where(DocumentRequest.type_id == doc_type.id).limit(1)):
            # its requests were taken in for this route and this subject: their pages, letters and steps
            # read them from the type (a kind changed under them gave a 500)
            error = _("This type already has requests: its code, whom it is about, the Camat's signature and "
                      "forwarding to Disdukcapil cannot change under them. Make a new document type instead and "
                      "retire this one (untick Active).")
        elif form.camat_signs.data and letter_text(form.code.data) is None and (
                doc_type is None or form.code.data != doc_type.code or not doc_type.camat_signs):
            # (a type saved before the rule keeps being edited and retired)
            # the code picks the letter's text: another code drew a letter that certified nothing but the residence
            error = _("The Camat signs a letter whose text the intranet has for its code: %(codes)s, or one of them "
                      "followed by a dash and a word of your own for a new type replacing a retired one (sktm-2027). "
                      "A letter of another code would state nothing but the residence. Use such a code, or leave "
                      "the Camat's signature unticked.", codes=", ".join(sorted(LETTER_TEXTS)))
        elif form.camat_signs.data and letter_text(form.code.data) and \
                form.subject_kind.data != TEXT_SUBJECTS[letter_text(form.code.data)] and _route_changed(doc_type, form):
            # its letter reads whom it is about from what the counter asked: an SKTM text with no person asked
            error = _("The letter text of %(text)s is about “%(kind)s”: choose that under “The document is about”.",
                      text=letter_text(form.code.data), kind=SUBJECT_KINDS[TEXT_SUBJECTS[letter_text(form.code.data)]]
                      .label)
        elif doc_type is not None and _letter_changed(doc_type, form) and db.session.scalar(
                select(DocumentRequest.id).where(DocumentRequest.type_id == doc_type.id,
                                                 DocumentRequest.state.in_(OPEN_STATES)).limit(1)):
            # the name heads the letter and the archive code is in its number: the Camat would sign another
            # letter than the one his list showed him
            error = _("Requests of this type are still open: its name and archive code stay as they are until "
                      "they are finished, as their letters are drawn from them.")
        if error:
            audit.refused("document_type.save", actor=current_user, subject_type="document_type",
                          subject_id=type_id, reason=f"[input:type] {error}")
        else:
            before = _type_snapshot(doc_type) if doc_type else None
            token = None
            if doc_type is None:
                try:
                    token = once.claim(current_user, form.form_token.data)
                except once.AlreadyDone as done:
                    return _already_done(done.url)
                doc_type = DocumentType(position=99)
                db.session.add(doc_type)
            for name in ("code", "name", "description", "service_amount", "service_unit", "camat_signs",
                         "forwards_to_disdukcapil", "other_regions", "min_age", "subject_kind", "active"):
                setattr(doc_type, name, getattr(form, name).data)
            doc_type.archive_code = (form.archive_code.data or "").strip()
            existing = {(r.label, r.required): r for r in doc_type.requirements}
            doc_type.requirements = [existing.get((label, req)) or DocumentRequirement(label=label, required=req)
                                     for label, req in wanted]
            for position, item in enumerate(doc_type.requirements):
                item.position = position
            db.session.flush()
            if token is not None:
                once.complete(token, url_for(".types"))  # where the first post led
            after = _type_snapshot(doc_type)
            audit.record("document_type.save", actor=current_user, subject_type="document_type",
                         subject_id=doc_type.id, changes=audit.diff(before, after))
            db.session.commit()
            flash(_("Document type \"%(name)s\" saved.", name=doc_type.name), "success")
            return redirect(url_for(".types"), 303)
    status = 422 if request.method == "POST" else 200
    return render_page_or_block("documents/admin.html", "type_form", form=form, doc_type=doc_type, error=error,
                                page="type"), status


def _shown(doc_type: DocumentType) -> dict:
    return {**_type_snapshot(doc_type), "description": doc_type.description}


def type_stamp(doc_type: DocumentType) -> str:
    """The stamp an edit form of the type carries as it is now."""
    return edits.stamp(_shown(doc_type))


def _show(form, doc_type: DocumentType) -> None:
    """The form filled from the type as it is now, with its stamp."""
    form.required.data = "\n".join(r.label for r in doc_type.requirements if r.required)
    form.optional.data = "\n".join(r.label for r in doc_type.requirements if not r.required)
    form.seen.data = type_stamp(doc_type)


def _stale(form, doc_type: DocumentType) -> bool:
    """Saved by someone else since the form was opened: read under the row's lock, so two saves at the same
    moment take turns and the second one finds the first."""
    lock_row(DocumentType, doc_type.id)
    db.session.refresh(doc_type)
    return form.seen.data != type_stamp(doc_type)


def _route_changed(doc_type: DocumentType | None, form) -> bool:
    # the code picks the letter's text (documents.letters.TEMPLATES); a new type is all new
    return doc_type is None or (form.code.data != doc_type.code or form.subject_kind.data != doc_type.subject_kind
            or bool(form.camat_signs.data) != doc_type.camat_signs
            or bool(form.forwards_to_disdukcapil.data) != doc_type.forwards_to_disdukcapil)


def _letter_changed(doc_type: DocumentType, form) -> bool:
    return (form.name.data != doc_type.name
            or (form.archive_code.data or "").strip() != (doc_type.archive_code or ""))


def _type_snapshot(t: DocumentType) -> dict:
    # the service standard as its amount and unit ("2 days"; the log's sentences write "2 hari kerja")
    return {"code": t.code, "name": t.name, "service_standard": f"{t.service_amount} {t.service_unit}",
            "camat_signs": t.camat_signs, "forwards": t.forwards_to_disdukcapil, "active": t.active,
            "other_regions": t.other_regions, "min_age": t.min_age,
            "archive_code": t.archive_code, "subject_kind": t.subject_kind,
            # a required one marked "* " (the log's sentences write "(wajib)")
            "type_requirements": [("* " if r.required else "") + r.label for r in t.requirements]}


MAX_HOLIDAY_RUN = 14  # days one entry may cover


@bp.route("/admin/holidays", methods=["GET", "POST"])
def holidays():
    _require("admin")
    form = HolidayForm()
    error = None
    if form.validate_on_submit():
        first, last = form.day.data, form.last_day.data or form.day.data
        # the run's length first: a last day in 9999 would list millions of days before being refused
        run = (last - first).days + 1
        days = [first + timedelta(days=n) for n in range(run)] if 0 < run <= MAX_HOLIDAY_RUN else []
        working = [d for d in days if d.weekday() < 5]
        taken = set(db.session.scalars(select(Holiday.day).where(Holiday.day.in_(working)))) if working else set()
        day = next((d for d in working if d in taken or d <= today_wib()), working[0] if working else first)
        if last < first:
            error = _("The last day comes before the first.")
        elif run > MAX_HOLIDAY_RUN:
            error = _("At most %(n)s days are entered at once (a cuti bersama runs a week or so).", n=MAX_HOLIDAY_RUN)
        elif day in taken:
            error = _("%(day)s is already in the list.", day=date_text(day)) if len(days) > 1 else \
                _("That date is already in the list.")
        elif day.weekday() >= 5:
            error = _("%(day)s is a Saturday or Sunday: the office is closed then anyway, so it need not be "
                      "listed.", day=date_text(day))
        elif day < today_wib():
            # due dates and service times already counted over that day would no longer add up
            error = _("%(day)s has passed: holidays are entered before they come, as due dates and service "
                      "times counted over that day stay as they were.", day=date_text(day))
        elif day == today_wib():  # entered after the day's work, it erased the lateness of requests due today
            error = _("%(day)s is today: holidays are entered before the day begins, as requests due today "
                      "are already counted against it.", day=date_text(day))
        elif last.year > today_wib().year + 1:
            # the government's decree of holidays and cuti bersama covers one year: 2062 was 2026 mistyped
            error = _("%(day)s is more than a year ahead: holidays are entered from the decree of the year "
                      "(this year or the next). Check the year.", day=date_text(last))
        if error:
            audit.refused("holiday.add", actor=current_user, subject_type="holiday", reason=f"[input:holiday] {error}")
        else:
            moved = 0
            for working_day in working:  # one holiday, and one event, per working day of the run
                holiday = Holiday(day=working_day, name=form.name.data.strip())
                db.session.add(holiday)
                db.session.flush()
                moved_now = reschedule_open(holiday.day)
                moved += moved_now
                audit.record("holiday.add", actor=current_user, subject_type="holiday", subject_id=holiday.id,
                             changes={"day": [None, holiday.day.isoformat()], "name": [None, holiday.name],
                                      "due_moved": [None, moved_now]})
            db.session.commit()
            flash(_("Holiday added. The due times of %(n)s open requests moved past it; new requests take it "
                    "into account.", n=moved), "success")
            return redirect(url_for(".holidays"), 303)
    since = today_wib() - timedelta(days=60)
    rows = list(db.session.scalars(select(Holiday).where(Holiday.day >= since).order_by(Holiday.day)))
    status = 422 if request.method == "POST" else 200
    return render_page_or_block("documents/admin.html", "holidays", form=form, rows=rows, error=error,
                                page="holidays", today=today_wib()), status


@bp.post("/admin/holidays/<int:holiday_id>/delete")
def delete_holiday(holiday_id):
    _require("admin")
    holiday = db.session.get(Holiday, holiday_id) or abort(404)
    if holiday.day <= today_wib():  # as for adding one: what was counted over it stays as it was
        error = (_("%(day)s has passed: a past holiday stays, as due dates and service times were counted "
                   "over it.", day=date_text(holiday.day)) if holiday.day < today_wib() else
                 _("%(day)s is today: a holiday stays once its day has begun, as due dates and service times "
                   "are counted over it.", day=date_text(holiday.day)))
        audit.refused("holiday.delete", actor=current_user, subject_type="holiday", subject_id=holiday.id,
                      reason=f"[input:holiday] {error}")
        flash(error, "danger")
        return redirect(url_for(".holidays"), 303)
    day = holiday.day
    db.session.delete(holiday)
    db.session.flush()
    moved = reschedule_open(day)
    audit.record("holiday.delete", actor=current_user, subject_type="holiday", subject_id=holiday_id,
                 changes={"day": [day.isoformat(), None], "name": [holiday.name, None], "due_moved": [None, moved]})
    db.session.commit()
    flash(_("Holiday removed. The due times of %(n)s open requests moved back.", n=moved), "success")
    return redirect(url_for(".holidays"), 303)
