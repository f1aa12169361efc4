"""The hand-over at the counter: who collected the document, the ID they showed and, when it is not
the applicant, the power of attorney (surat kuasa). Called from the hand_over step's effect, so a
refusal (Invalid) leaves the request ready and stores nothing."""
import re

from ..extensions import db
from ..i18n import lazy_gettext as _l
from ..inputs import person_name_fault, written_name
from ..workflow import Invalid
from .models import DocumentAttachment, DocumentHandover
from .nik import InvalidNIK, validate_nik

ID_KINDS = {"ktp": _l("KTP-el"), "sim": _l("Driving licence (SIM)"), "paspor": _l("Passport"),
            "lainnya": _l("Other ID")}
RELATIONS = {"suami": _l("Husband"), "istri": _l("Wife"), "anak": _l("Child"), "ayah": _l("Father"),
             "ibu": _l("Mother"), "saudara": _l("Sibling"), "cucu": _l("Grandchild"),
             "lainnya": _l("Other relation")}  # every one of them brings a power of attorney
APPLICANT = "pemohon"
_ID_PATTERN = re.compile(r"^[A-Z0-9]{4,30}$")


def _clean(value) -> str:
    return " ".join(str(value or "").split())


def _id_number(kind: str, raw) -> str:
    number = _clean(raw).replace(" ", "").replace("-", "").upper()
    if not number:
        raise Invalid(_l("Enter the number of the ID shown."), code="handover")
    if kind == "ktp":
        try:
            return validate_nik(number).value
        except InvalidNIK as fault:
            raise Invalid(_l("The KTP-el shown: %(fault)s", fault=str(fault)), code="handover") from None
    if not _ID_PATTERN.match(number) or not number.isascii() or len(set(number)) == 1:
        raise Invalid(_l("The ID number may have 4 to 30 letters and digits only."), code="handover")
    return number


def record(request, ctx) -> DocumentHandover:
    fields = ctx.data.get("fields") or {}
    evidence = ctx.data.get("evidence")
    # a scan that could not be taken (ui.StepForm.upload_refused) refuses the hand-over, said with the rest
    scan_refused = ctx.data.get("evidence_refused")
    who = fields.get("who") or APPLICANT  # the form preselects the applicant
    id_kind = fields.get("id_kind") or "ktp"
    if id_kind not in ID_KINDS:
        raise Invalid(_l("Choose the kind of ID shown."), code="handover")
    if who == APPLICANT:
        typed = fields.get("id_number")
        if id_kind == "ktp" and not _clean(typed) and not fields.get("id_checked"):
            # the record says which KTP-el was shown: it may say so only when someone looked at it
            message = _l("Type the NIK of the KTP-el shown, or tick that you checked it against the request.")
            raise Invalid(f"{message} {_l('The document was not handed over.')}", code="handover",
                          faults={"f_id_number": str(message)})
        if id_kind != "ktp" and not fields.get("id_checked"):
            # another ID carries no NIK to compare: "0000" as "other ID" handed a document over unchecked
            message = _l("Tick that you checked the ID shown is the applicant's: its number cannot be compared "
                         "with the request.")
            raise Invalid(f"{message} {_l('The document was not handed over.')}", code="handover",
                          faults={"f_id_number": str(message)})
        try:  # each fault beside the number, as for someone else collecting
            number = _id_number(id_kind, typed or (request.nik if id_kind == "ktp" else ""))
            if id_kind == "ktp" and number != request.nik:
                raise Invalid(_l("The KTP-el shown is not the applicant's (the NIK differs). If someone else "
                                 "collects, choose \"someone else\" and check the power of attorney."),
                              code="handover")
        except Invalid as fault:
            raise Invalid(f"{fault.message} {_l('The document was not handed over.')}", code="handover",
                          faults={"f_id_number": str(fault.message)}) from None
        name, relation, attorney = request.name, APPLICANT, False
        if scan_refused:
            raise Invalid(f"{scan_refused} {_l('The document was not handed over.')}", code="handover")
    elif who == "other":
        # every fault at once, each beside its field: the clerk with the collector at the counter corrects
        # the form in one go
        faults = {}
        name = written_name(fields.get("name"))
        if not 2 <= len(name) <= 120:
            faults["f_name"] = _l("Enter the name of the person collecting the document (2 to 120 characters).")
        elif person_name_fault(name, digits=False):
            faults["f_name"] = person_name_fault(name, digits=False)
        relation = fields.get("relation") or ""
        if relation not in RELATIONS:
            faults["f_relation"] = _l("Choose how the person collecting is related to the applicant.")
        try:
            number = _id_number(id_kind, fields.get("id_number"))
            if id_kind == "ktp" and number == request.nik:
                faults["f_id_number"] = _l("This is the applicant's own KTP-el: choose \"the applicant\" instead.")
        except Invalid as fault:
            faults["f_id_number"] = fault.message
        attorney = bool(fields.get("attorney")) or evidence is not None
        if scan_refused:
            faults["evidence"] = scan_refused
        elif not attorney:
            faults["f_attorney"] = _l("Someone other than the applicant needs a power of attorney (surat kuasa) "
                                      "signed by the applicant: tick that you checked it, or upload its scan.")
        if faults:
            told = " ".join(str(f) for f in faults.values())
            raise Invalid(f"{told} {_l('The document was not handed over.')}", code="handover",
                          faults={field: str(message) for field, message in faults.items()})
    else:
        raise Invalid(_l("Choose who collects the document."), code="handover")
    attachment = None
    if evidence is not None:
        attachment = DocumentAttachment(request_id=request.id, stored_name=evidence.name,
                                        original_name=evidence.original_name, mime=evidence.mime,
                                        size=evidence.size, sha256=evidence.sha256, uploaded_by_id=ctx.actor.id)
        db.session.add(attachment)
        db.session.flush()
    row = DocumentHandover(request_id=request.id, by_applicant=who == APPLICANT, name=name, relation=relation,
                           id_kind=id_kind, id_number=number, power_of_attorney=attorney,
                           attachment_id=attachment.id if attachment else None, recorded_by_id=ctx.actor.id,
                           recorded_at=ctx.now)
    db.session.add(row)
    # its parts as codes, worded when the log is read (collected_text): the record stays the same in any language
    ctx.change("collected_by", None, {"name": name, "relation": relation, "id_kind": id_kind,
                                      "id_number": row.id_number_masked, "attorney": attorney})
    return row


def collected_text(value) -> str:
    """Who collected, in words: "Andi Saputra (Suami) · KTP-el 1671********0001 · surat kuasa diperiksa".
    Events written before it was a record hold a text, shown as it is."""
    if not isinstance(value, dict):
        return str(value)
    parts = [f"{value.get('name', '')} ({relation_label(value.get('relation', ''))})",
             f"{ID_KINDS.get(value.get('id_kind'), value.get('id_kind', ''))} {value.get('id_number', '')}".strip()]
    if value.get("attorney"):
        parts.append(str(_l("power of attorney checked")))
    return " · ".join(parts)


def relation_label(code: str) -> str:
    if code == APPLICANT:
        return str(_l("The applicant himself"))
    return str(RELATIONS.get(code, code))
