"""What a document request's row says in the lists beside its buttons (the to-do list, the Camat's list, the
bulk confirmation): what the letter states, its draft, why it came back; and what a page of rows reads at once
for it (`prefetch`, a statement per page, not per row)."""
from ..core.urls import path_by_id
from ..i18n import date_text
from ..i18n import gettext as _
from ..i18n import lazy_gettext as _l
from .subject_rules import needed_before

DRAFT_LETTER = _l("Draft letter (PDF)")
draft_path = path_by_id("letters.draft", "subject_id", subject_type="document")
request_path = path_by_id("documents.detail", "request_id")


def gist(request) -> list[str]:
    """What a letter awaiting the signature states, in a few lines beside the to-do, so the Camat reads what
    he signs in the list and in the bulk confirmation (who it is about, each heir on a line, what for), not
    only the applicant's name: an SKTM of "Budi Santoso" certifies his daughter Rina. NIKs masked. Before
    that, a dispensation's wedding day: what its promise keeps to (sla.due_time)."""
    from .subjects import WEDDING_DAY, gist_lines
    if request.state != "awaiting_signature" or not request.type.camat_signs:
        from .workflow import CLOCK_STATES
        day = needed_before(request) if request.state in CLOCK_STATES else None
        return [f"{WEDDING_DAY}: {date_text(day)}"] if day else []
    from .letters import _address
    lines = gist_lines(request.type.subject_kind, request.subject)
    lines.append(f"{_('Address')}: {_address(request)}")  # what a domisili letter certifies, on every letter
    if request.purpose:
        lines.append(f"{_('Purpose')}: {request.purpose}")
    hints = getattr(request, "_inbox_hints", {})  # a list page read its rows' numbers at once
    external = hints["external"] if "external" in hints else getattr(request.external_number, "number", None)
    if external:  # recorded by whoever may, after the letter went up: the signer reads it before he signs
        lines.append(str(_l("The letter will carry the number %(number)s from the other register.",
                            number=external)))
    return lines


def draft_link(request) -> list:
    """The letter beside the to-do: the Kasi reviews the draft before it goes up, the Camat reads it
    before he signs (from the list too, not only on the request's page)."""
    from .letters import DRAFT_STATES
    if not request.type.camat_signs or request.state not in DRAFT_STATES:
        return []
    return [(DRAFT_LETTER, draft_path(request.id))]


def signer_note(request) -> str:
    """In the lists, a letter sent back says why to whoever corrects it; back for signature, it tells the
    signer what he asked: he checks that, not the whole letter again (the request's page says the same,
    documents/correction.py), or what was corrected before it was ever sent back."""
    if request.state == "processing" and request.correction_note:  # for whoever corrects and submits it
        if request.corrected_fields:  # the clerk (or a colleague) has put it right: it only waits to go back
            return str(_l("Corrected (%(fields)s) after being sent back, ready to submit again: %(reason)s",
                          fields=_corrected_names(request), reason=request.correction_note))
        return str(_l("Sent back for correction: %(reason)s", reason=request.correction_note))
    if request.state != "awaiting_signature":
        return ""
    if not request.correction_note:  # corrected before it was ever sent back: said all the same
        return str(_l("The letter's data were corrected (%(fields)s) before it was submitted: check them.",
                      fields=_corrected_names(request))) if request.corrected_fields else ""
    if not request.corrected_fields:  # submitted again without a change to the letter's data
        return str(_l("Submitted again after being sent back, nothing on the letter changed: %(reason)s",
                      reason=request.correction_note))
    return str(_l("Corrected (%(fields)s) after being sent back: %(reason)s", fields=_corrected_names(request),
                  reason=request.correction_note))


def _corrected_names(request) -> str:
    from .correction import FIELD_NAMES
    return ", ".join(str(FIELD_NAMES[f]) for f in request.corrected_fields.split(",") if f in FIELD_NAMES)


def prefetch(requests) -> None:
    """What a list page's rows show beside their button, in one statement each for the page (a row alone
    reads its own): for those waiting for "requirements complete", whether a scan is on file (the caution);
    for letters awaiting the signature, a number recorded from another register (the gist) and the same
    caution."""
    from sqlalchemy import and_, exists, select

    from ..extensions import db
    from ..letters.models import LetterExternalNumber
    from .models import DocumentAttachment, DocumentRequest
    waiting = [r for r in requests if r.state == "verifying"]
    if waiting:
        scanned = set(db.session.scalars(select(DocumentAttachment.request_id).where(
            DocumentAttachment.request_id.in_([r.id for r in waiting])).distinct()))
        for r in waiting:
            r._inbox_hints = {"scans": r.id in scanned}
    signing = [r for r in requests if r.state == "awaiting_signature"]
    if signing:  # one statement: the number from another register, and whether a scan is on file
        found = {row.id: row for row in db.session.execute(
            select(DocumentRequest.id, LetterExternalNumber.number,
                   exists().where(DocumentAttachment.request_id == DocumentRequest.id).label("scans"))
            .outerjoin(LetterExternalNumber, and_(LetterExternalNumber.subject_type == "document",
                                                  LetterExternalNumber.subject_id == DocumentRequest.id))
            .where(DocumentRequest.id.in_([r.id for r in signing])))}
        for r in signing:
            r._inbox_hints = {"external": found[r.id].number, "scans": found[r.id].scans}
