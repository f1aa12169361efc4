"""How the history and the audit log (plaju.audit.sentences) say what happened to letters: the actions, the
fields and their values in words, a letter's name, and the letter number /audit/ searches by."""
from sqlalchemy import String, cast, func, literal, null, select, union_all

from ..audit import vocabulary
from ..audit.models import AuditEvent
from ..extensions import db
from ..i18n import gettext as _
from ..i18n import lazy_gettext as _l
from .models import Letter, LetterExternalNumber, number_key
from .services import record_type


def _letter_numbers(ids) -> dict:
    numbers = [int(i) for i in ids if (str(i).isascii() and str(i).isdigit())]
    return {str(i): number for i, number in db.session.execute(
        select(Letter.id, Letter.number).where(Letter.id.in_(numbers)))}


def _letter_names(ids) -> dict:
    return {i: _("letter %(number)s", number=number) for i, number in _letter_numbers(ids).items()}


# how the history and the audit list say what happened to letters (plaju.audit.sentences)
vocabulary.describe_actions({
    "letter.external_number": _l("recorded a letter number from an outside register"),
    "letter.view": _l("opened a signed letter"),
    "letter.draft_view": _l("opened a draft letter"),
    "letter.revoke": _l("revoked a letter"),
    "letter.reissue": _l("issued a corrected letter"),
})
vocabulary.describe_subjects("letter", _letter_names, url_arg="letter_id")
# a letter's draft and its outside number are reached by the record's kind and id: the record it is about
vocabulary.describe_url_subjects("subject_type", "subject_id", record_type)
vocabulary.describe_kind("letter", _l("Letter register"))
vocabulary.describe_data_access("letter.view", "letter.draft_view")  # letters carry a citizen's NIK
# the fields a sign step records when it issues a letter (issue())
vocabulary.describe_fields({"letter_number": _l("Letter number"), "letter_sha256": _l("Fingerprint of the signed file"),
                           "letter_id": _l("Letter in the register"),
                           "letter_external_number": _l("Letter number from an outside register")},
                          named={"letter_id": _letter_numbers})
# the number recorded before signing (record_external_number), on the record whose number it becomes
vocabulary.describe_fields({"number": _l("Letter number from an outside register")}, action="letter.external_number")
# a revocation's and a replacement's own event (on the letter) and a recall's (on its record)
vocabulary.describe_fields({"status": _l("Status"), "number": _l("Letter number"), "replaced_by": _l("Replaced by")},
                           subject_type="letter")
vocabulary.describe_values("status", {"valid": _l("valid"), "revoked": _l("revoked")}, subject_type="letter")
vocabulary.describe_fields({"revoked_letters": _l("Letters revoked")})


def _letter_objects(number: str) -> list[tuple[str, str]]:
    """/audit/'s code box also takes a letter's number: the letter's events and those of the record it was
    issued for (its signing is that record's step), in any spelling of the number; and the records a number
    from an outside register was recorded for, signed or not yet (or changed since), by the number as recorded.
    One statement."""
    key = number_key(number)
    found = db.session.execute(union_all(
        select(literal("letter"), Letter.id, Letter.subject_type, cast(Letter.subject_id, String))
        .where(Letter.number_key == key),
        select(literal("waiting"), null(), LetterExternalNumber.subject_type,
               cast(LetterExternalNumber.subject_id, String)).where(LetterExternalNumber.number_key == key),
        # a few events, read along ix_audit_event_action_seq: the number as typed, in any case
        select(literal("recorded"), null(), AuditEvent.subject_type, AuditEvent.subject_id).where(
            AuditEvent.action == "letter.external_number", AuditEvent.outcome == "ok",
            func.upper(AuditEvent.changes).contains(f'"{number.upper()}"', autoescape=True)))).all()
    objects = set()
    for found_as, letter_id, subject_type, subject_id in found:
        if found_as == "letter":
            objects.add(("letter", str(letter_id)))
        kind = subject_type if found_as == "recorded" else record_type(subject_type)
        objects.add((kind, str(subject_id)))
    return sorted(objects)


vocabulary.describe_search("code", _letter_objects)
vocabulary.describe_number("letter", _l("letter number"))
# a history shows the start of the fingerprint, enough to match a file (the register and /cek hold it whole)
vocabulary.describe_fingerprint("letter_sha256")
# the register's id beside the number it shows: "Surat dalam register: 500/0012 · Nomor surat: 500/0012"
vocabulary.describe_hidden("letter_id")
