"""The register (buku agenda), the signed and draft PDFs, revocation, and the public check /cek."""
from flask import Blueprint, abort, current_app, flash, make_response, redirect, request, url_for
from flask_login import current_user, login_required

from ..audit import record as audit
from ..core.registry import home_card, nav_item
from ..core.urls import int_arg
from ..extensions import db, limiter
from ..htmx import answers_not_found, render_page_or_block
from ..i18n import gettext as _
from ..i18n import lazy_gettext as _l
from . import demo as _demo  # noqa: F401  (registers the certificate seeder)
from . import sentences as _sentences  # noqa: F401  (registers the letters' words for the log)
from . import services as svc
from .models import Letter
from .signing import certificate_status

bp = Blueprint("letters", __name__)
answers_not_found("letters.check")  # a mistyped code is an answer on the page, not a console error

nav_item("letters.register", _l("Letter register"), roles=svc.REGISTER_ROLES, order=25)


def _pdf_response(data: bytes, filename: str):
    response = make_response(data)
    response.headers["Content-Type"] = "application/pdf"
    response.headers["Content-Disposition"] = f'inline; filename="{filename}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _filename(number: str) -> str:
    return "surat-" + "".join(c if c.isalnum() or c in ".-" else "-" for c in number) + ".pdf"


@bp.app_context_processor
def _letters_helpers():
    def letter_panel(subject_type, entity):
        subject = svc.SUBJECTS.get(subject_type)
        if subject is None or subject.panel is None or not current_user.is_authenticated:
            return {}
        return subject.panel(entity, current_user)
    return {"letter_panel": letter_panel}


# ---- staff -----------------------------------------------------------------------------------

@bp.get("/letters/")
@login_required
def register():
    if not current_user.has_role(*svc.REGISTER_ROLES):
        abort(403)
    year = int_arg("year")
    rows, next_before, years = svc.register_page(year, int_arg("before"))
    urls = {name: subject.url for name, subject in svc.SUBJECTS.items()}
    return render_page_or_block("letters/register.html", "rows", rows=rows, next_before=next_before, years=years,
                                year=year, subject_urls=urls, openable=svc.openable_records(current_user, rows),
                                paged=bool(request.args.get("before")))


@bp.get("/letters/<int:letter_id>.pdf")
@login_required
def pdf(letter_id):
    letter = svc.pdf_of(letter_id)
    if letter is None:
        abort(404)
    if not svc.can_read(current_user, letter):  # the letter shows the citizen's NIK
        abort(403)
    audit.record_alone("letter.view", actor=current_user, subject_type="letter", subject_id=letter.id)
    return _pdf_response(letter.pdf, _filename(letter.number))  # the stored bytes, unchanged


@bp.get("/letters/draft/<subject_type>/<int:subject_id>.pdf")
@login_required
def draft(subject_type, subject_id):
    subject = svc.SUBJECTS.get(subject_type)
    entity = subject.load(subject_id) if subject else None
    if entity is None:
        abort(404)
    if not subject.can_view(current_user, entity):
        abort(403)
    if subject.has_draft is not None and not subject.has_draft(entity):
        abort(404, description=_("This record has no letter to draft now: none is signed for it, or it is "
                                 "already signed (see its letters)."))
    # the draft shows the citizen's data as the letter will: opening it is recorded like a scan
    audit.record_alone("letter.draft_view", actor=current_user, subject_type=svc.record_type(subject_type),
                       subject_id=subject_id)
    return _pdf_response(svc.draft_pdf(subject_type, entity, current_user), f"draf-{subject_id}.pdf")


def _back(letter_or_subject_type, subject_id=None):
    if isinstance(letter_or_subject_type, Letter):
        subject_type, subject_id = letter_or_subject_type.subject_type, letter_or_subject_type.subject_id
    else:
        subject_type = letter_or_subject_type
    subject = svc.SUBJECTS.get(subject_type)
    return redirect(subject.url(subject_id) if subject else url_for(".register"), 303)


@bp.post("/letters/<int:letter_id>/revoke")
@login_required
def revoke(letter_id):
    letter = db.session.get(Letter, letter_id) or abort(404)
    replace = bool(request.form.get("replace"))
    action = svc.reissue if replace else svc.revoke
    try:
        new = action(letter, current_user._get_current_object(), password=request.form.get("password", ""),
                     reason=request.form.get("reason", ""))
    except svc.LetterRefused as refused:
        if refused.status == 403:  # not his to revoke: the error page, as every refusal of authority
            abort(403, description=str(refused.message))
        flash(str(refused.message), "danger")
        return _back(letter)
    if replace:
        flash(_("%(kind)s %(old)s is revoked and replaced by %(new)s.", kind=letter.kind_name, old=letter.number,
                new=new.number),
              "success")
    else:
        flash(_("%(kind)s %(number)s is revoked. The public check now shows it as revoked.", kind=letter.kind_name,
                number=letter.number),
              "success")
    return _back(letter)


@bp.post("/letters/external-number/<subject_type>/<int:subject_id>")
@login_required
def external_number(subject_type, subject_id):
    subject = svc.SUBJECTS.get(subject_type)
    entity = subject.load(subject_id) if subject else None
    if entity is None:
        abort(404)
    panel = subject.panel(entity, current_user) if subject.panel else {}
    if not panel.get("may_number"):
        abort(403, description=_("You may not record this letter's number: a number from the other register is "
                                 "recorded by whoever prepares or signs the letter, before it is signed."))
    try:
        row = svc.record_external_number(subject_type, entity, current_user._get_current_object(),
                                         request.form.get("number", ""))
    except svc.LetterRefused as refused:
        flash(str(refused.message), "danger")
        return _back(subject_type, subject_id)
    flash(_("The letter will carry the number %(number)s from the other register.", number=row.number) if row
          else _("The letter will take the next number of the office's register."), "success")
    return _back(subject_type, subject_id)


@home_card(roles=("camat", "sekcam", "section_head"), order=23)
def _certificate_card(user):
    """Warn a signer in time: a certificate that expires within 30 days, or none while he signs."""
    state, message = certificate_status(user)
    if state is None or (state == "missing" and not user.has_role("camat") and not _stands_in_for_camat(user)):
        return None
    return {"title": _l("Electronic signature certificate"), "value": "!", "text": message,
            "url": url_for("letters.register") if user.has_role(*svc.REGISTER_ROLES) else url_for("core.home"),
            "link": _l("Letter register"), "tone": "warning"}


def _stands_in_for_camat(user) -> bool:
    from ..accounts.models import active_delegations
    return any(d.principal.has_role("camat") for d in active_delegations(user))


# ---- public check ----------------------------------------------------------------------------

def _check_limit() -> str:
    return current_app.config.get("CHECK_LIMIT", "10 per minute")


def _unknown_code(response) -> bool:
    """Only a code that finds no letter counts against the throttle: guessing is slowed down, while a
    bank clerk checking a stack of genuine letters, or a citizen uploading the PDF again, is not."""
    return response.status_code == 404


def _public_view(letter: Letter) -> dict:
    """What anyone may see: never the citizen's name, NIK or address (an SKTM reveals poverty); the name
    masked, to match against the paper."""
    return {"code": letter.check_code, "kind": letter.kind_name, "number": letter.number,
            "holder": letter.holder_masked,
            "issued_at": letter.issued_at, "signer": letter.signer_name, "signed_as": letter.signed_as,
            "valid": letter.valid, "revoked_at": letter.revoked_at}


@bp.get("/cek")
@limiter.limit(_check_limit, deduct_when=_unknown_code)
def check_form():
    code = (request.args.get("code") or "").strip()
    if code:
        return redirect(url_for(".check", code=code[:40]), 303)
    return render_page_or_block("letters/check.html", "result", code="", letter=None, not_found=False, upload=None)


@bp.route("/cek/<code>", methods=["GET", "POST"])
@limiter.limit(_check_limit, deduct_when=_unknown_code)
def check(code):
    letter = svc.find_by_code(code)
    if letter is None:
        return render_page_or_block("letters/check.html", "result", code=code[:40], letter=None, not_found=True,
                                    upload=None), 404
    upload = None
    status = 200
    if request.method == "POST":
        file = request.files.get("pdf")
        data = file.read(current_app.config["UPLOAD_MAX_BYTES"] + 1) if file else b""
        if not data:
            upload, status = "empty", 422
        elif len(data) > current_app.config["UPLOAD_MAX_BYTES"]:
            upload, status = "too_big", 413
        elif data.lstrip()[:5] != b"%PDF-":  # a photo of the letter is not the file that was issued
            upload, status = "not_pdf", 422
        else:
            upload = "match" if svc.matches(letter, data) else "mismatch"
        del data  # hashed in memory only, never stored
    return render_page_or_block("letters/check.html", "result", code=letter.check_code, letter=_public_view(letter),
                                not_found=False, upload=upload), status
