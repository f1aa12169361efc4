"""An ASN's report of a course taken: the certificate's facts as printed and its file (the `complete` step's
effect), also when HR returned the report and it is sent again."""
from ...i18n import gettext as _
from ...timeutil import today_wib
from ...workflow import Invalid
from .who import note_password_setter


def attach_evidence(enrolment, ctx):
    """The certificate's facts must fit the course and the file must be a readable, printed page. A report HR
    returned keeps the file sent before unless a new one comes: a wrong JP figure is put right without
    looking for the PDF again on a phone."""
    from ..evidence import check_certificate, check_readable, days_jp_fault, file_twice_fault, jp_number
    stored = ctx.data.get("evidence")
    if stored is None and not kept_file(enrolment):
        # said with the certificate's own faults, at once: the ASN chose the file again only to be told the rest
        missing = _("Upload the certificate or STTPP as evidence.")
        try:
            check_certificate(enrolment.course, ctx.data.get("certificate") or {}, today_wib(),
                              holder_id=enrolment.user_id, enrolment_id=enrolment.id)
        except Invalid as other:
            raise Invalid(f"{missing} {other.message}", code="evidence",
                          faults={"evidence": missing, **other.faults}) from None
        raise Invalid(missing, code="evidence", faults={"evidence": missing})
    if stored is not None:
        twice = file_twice_fault(enrolment.user_id, stored.sha256, enrolment.id)
        if twice:
            raise Invalid(twice, code="evidence_twice")
    course = enrolment.course
    printed = jp_number((ctx.data.get("certificate") or {}).get("jp"))
    if course.external and printed:  # reported again after HR returned it: its JP as now printed, the
        # course being this report's own (its first figure may have been the typo)
        fault = days_jp_fault(enrolment.user_id, course.starts_on, course.ends_on, printed, enrolment.id)
        if fault:
            raise Invalid(fault, code="certificate_jp")
        course.jp = printed
    certificate = check_certificate(enrolment.course, ctx.data.get("certificate") or {}, today_wib(),
                                    holder_id=enrolment.user_id, enrolment_id=enrolment.id)
    if stored is not None:
        check_readable(stored.name, stored.mime)
    record_certificate(enrolment, certificate, ctx)
    if stored is not None:
        # a file HR returned stays in the uploads: the log names both by fingerprint (what was refused, verified)
        ctx.change("evidence", enrolment.evidence_original, stored.original_name)
        ctx.change("evidence_sha256", enrolment.evidence_sha256, stored.sha256)
        enrolment.evidence_name = stored.name
        enrolment.evidence_original = stored.original_name
        enrolment.evidence_mime = stored.mime
        enrolment.evidence_sha256 = stored.sha256
    enrolment.completed_at = ctx.now
    note_password_setter(enrolment, ctx.now, ctx)


def kept_file(enrolment) -> str | None:
    """The name of the file a report HR returned was sent with (an enrolment in progress holds one only then):
    sent again unless replaced."""
    return enrolment.evidence_original if enrolment.evidence_name else None


def record_certificate(enrolment, certificate, ctx=None):
    for name in ("number", "date", "issuer", "jp"):
        value = getattr(certificate, name)
        if ctx is not None:
            ctx.change(f"certificate_{name}", getattr(enrolment, f"certificate_{name}"), value)
        setattr(enrolment, f"certificate_{name}", value)
