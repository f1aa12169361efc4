"""How the history and the audit log (plaju.audit.sentences) say what happened to document requests, their
types and the holidays: the actions, the fields and their values in words, the objects' names, and what
/audit/ searches by (tracking code, NIK)."""
import functools

from ..audit import vocabulary
from ..i18n import gettext as _
from ..i18n import lazy_gettext as _l
from . import sla
from .models import DocumentRequest, DocumentType, Holiday, normalise_code
from .subjects import KINDS as SUBJECT_KINDS

# how the history and the audit list say what happened (plaju.audit.sentences)
vocabulary.describe_actions({
    "document.receive": _l("took in the request at the counter"),
    "document.verify": _l("started the verification"),
    "document.return_to_citizen": _l("returned the file to the citizen"),
    "document.resubmit": _l("recorded the documents the citizen brought"),
    "document.accept": _l("found the requirements complete and started processing"),
    "document.forward": _l("forwarded the request to Disdukcapil"),
    "document.back_from_disdukcapil": _l("recorded the document back from Disdukcapil"),
    "document.to_signature": _l("submitted the document for the Camat's signature"),
    "document.complete": _l("finished the document, ready for pick-up"),
    "document.sign": _l("signed the document"),
    "document.send_back": _l("sent the document back for correction"),
    "document.recall": _l("recalled the signed letter for correction and revoked it"),
    "document.correct": _l("corrected the letter's data"),
    "document.mark_ready": _l("marked the document ready for pick-up"),
    "document.hand_over": _l("handed the document over to the citizen"),
    "document.reject": _l("rejected the request"),
    "document.cancel": _l("cancelled the request"),  # the reason says why: the citizen's wish, or a mistake
    "document.revise_promise": _l("set a new promise date for the overdue request"),
    "document.attach": _l("added scans"),
    "document.view_file": _l("opened a scan"),
    "document.view_nik": _l("viewed the citizen's full NIK"),
    # recorded when the page opens (to print it or not): it says what is known, not a print
    "document.print_receipt": _l("opened the receipt with the survey link"),
    "document_type.save": _l("saved a document type"),
    "holiday.add": _l("added a holiday"),
    "holiday.delete": _l("removed a holiday"),
})


def _type_names(codes) -> dict:
    from sqlalchemy import select

    from ..extensions import db
    rows = db.session.execute(select(DocumentType.code, DocumentType.name).where(DocumentType.code.in_(codes)))
    return dict(rows.all())


def _collected_text(value) -> str:
    from .handover import collected_text
    return collected_text(value)


vocabulary.describe_fields({
    "missing": _l("Documents missing"), "received": _l("Documents brought"),
    "disdukcapil_back_at": _l("Back from Disdukcapil"), "signed_as": _l("Signed as"),
    "clock_used_minutes": _l("Working time used"), "due_at": _l("Due date"),
    "wait_minutes": _l("Total wait (working time)"), "type": _l("Document type"),
    "kelurahan": _l("Kelurahan"), "attachments": _l("Attachments"), "file": _l("File"),
    "day": _l("Date"), "name": _l("Name"), "collected_by": _l("Collected by"),
    "due_moved": _l("Open requests whose due time moved"),
    "contact_consent": _l("Agrees to updates by SMS/WhatsApp/e-mail"), "revised_due_at": _l("New promise date"),
    "purpose": _l("Purpose"), "address": _l("Address"), "birth_place": _l("Place of birth"),
    "letter_subject": _l("Data of whom the letter is for"),
    "business_name": _l("Business name"), "business_type": _l("Line of business"),
}, named={"type": _type_names})  # the intake records the type's code
# a document type's settings as the admin's form names them (views._type_snapshot)
vocabulary.describe_fields({
    "code": _l("Code"), "name": _l("Name"), "service_standard": _l("Service standard"),
    "type_requirements": _l("Requirements"),
    "service": _l("Service standard"), "requirements": _l("Requirements"),  # (as events before 2026-12 say)
    "camat_signs": _l("Signed by the Camat"), "forwards": _l("Forwarded to Disdukcapil"), "active": _l("Active"),
    "archive_code": _l("Archive classification code"),
    "subject_kind": _l("The document is about"),
    "other_regions": _l("Also for people whose KK is not from Kecamatan Plaju "
        "(told to the counter; the KK is checked there)"),
    "min_age": _l("Minimum age of the applicant (years, unless married)"),
}, subject_type="document_type")
# whom a type is about, as the admin's form says it ("business -> inheritance" read as code)
vocabulary.describe_values("subject_kind", {name: kind.label for name, kind in SUBJECT_KINDS.items()},
                           subject_type="document_type")
def _service_text(value) -> str:
    """A type's service standard as the log keeps it ("2 days", "4 hours") in words."""
    amount, _space, unit = str(value or "").partition(" ")
    if not (amount.isascii() and amount.isdigit()) or unit not in ("days", "hours"):
        return str(value or "")
    return (_("%(n)s working days", n=int(amount)) if unit == "days" else _("%(n)s working hours", n=int(amount)))


def _requirements_text(value) -> str:
    """A type's requirements as the log keeps them (a required one marked "* "), in words."""
    items = value if isinstance(value, list) else [value] if value else []
    return "; ".join(_("%(label)s (required)", label=item[2:]) if str(item).startswith("* ")
                     else _("%(label)s (optional)", label=item) for item in items)


# a record of several parts and two durations, in words (the log keeps the codes and the minutes)
vocabulary.describe_format("service_standard", _service_text)
vocabulary.describe_format("type_requirements", _requirements_text)
vocabulary.describe_format("collected_by", _collected_text)
vocabulary.describe_format("clock_used_minutes", sla.working_time_text)
# a running total: each step records the total so far ("0 menit -> 4 jam" read as all spent in that step)
vocabulary.describe_total("clock_used_minutes")
vocabulary.describe_format("wait_minutes", sla.working_time_text)


@functools.cache
def _request_names_statement():
    # built once: every page of the audit log and every timeline names its requests
    from sqlalchemy import bindparam, select
    return (select(DocumentRequest.id, DocumentRequest.tracking_code, DocumentType.name)
            .join(DocumentType, DocumentType.id == DocumentRequest.type_id)
            .where(DocumentRequest.id.in_(bindparam("ids", expanding=True))))


def _request_names(ids) -> dict:
    from ..extensions import db
    numbers = [int(i) for i in ids if (str(i).isascii() and str(i).isdigit())]
    rows = db.session.execute(_request_names_statement(), {"ids": numbers})
    return {str(i): f"{code} ({type_name})" for i, code, type_name in rows}


def _requests_where(condition) -> list:
    from sqlalchemy import select

    from ..extensions import db
    ids = db.session.scalars(select(DocumentRequest.id).where(condition)).all()
    return [(kind, str(i)) for i in ids for kind in ("document", "document_file")]


vocabulary.describe_subjects("document", _request_names, url_arg="request_id")
vocabulary.describe_subjects("document_file", _request_names)
# its scans (taken in, added, opened) are events about "document_file" with the request's id
vocabulary.describe_parts("document", lambda ids: [("document_file", i) for i in ids], same_id="document_file")
vocabulary.describe_kind("document", _l("Document requests"))
vocabulary.describe_kind("document_type", _l("Document types"))
vocabulary.describe_kind("holiday", _l("Holidays"))
vocabulary.describe_subjects_by("document_type", DocumentType.name)
vocabulary.describe_subjects_by("holiday", Holiday.name)
vocabulary.describe_data_access("document.view_file", "document.view_nik", "document.print_receipt")
# /audit/ finds a request's events by its tracking code or the citizen's NIK (exact)
def _requests_by_code(code: str):
    """The request a tracking code names, typed as the citizen reads it off the receipt (any case, with
    spaces or without its dashes)."""
    return _requests_where(DocumentRequest.tracking_code == (normalise_code(code) or code))


vocabulary.describe_search("code", _requests_by_code)
vocabulary.describe_number("document", _l("tracking code"))
vocabulary.describe_search("nik", lambda nik: _requests_where(DocumentRequest.nik == nik))
