"""The office's own training certificates, issued through plaju.letters like any letter it signs: the
same renderer (kop surat, number, signature block, QR code to /cek), the same number register and the
same PAdES signer. What a certificate says about an enrolment is here; nothing else draws a PDF."""
from datetime import date

from flask import current_app, url_for
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from ..accounts.nip import InvalidNIP, validate_nip
from ..extensions import db
from ..i18n import gettext as _
from ..letters.render import BULAN, LetterContent
from ..letters.services import Draft, Subject, issue, letters_of, may_replace, register_subject
from ..timeutil import to_wib
from .evidence import Certificate
from .models import Enrolment

SUBJECT_NAME = "training_certificate"
KIND, KIND_NAME = "sertifikat-pelatihan", "Sertifikat Pelatihan"
# Permendagri 83/2022: 800 kepegawaian, 800.2 pengembangan kompetensi
CLASSIFICATION = "800.2"


def _tanggal(day: date) -> str:
    return f"{day.day} {BULAN[day.month - 1]} {day.year}"


def _dates(course) -> str:
    if course.starts_on is None:
        return ""
    ends = course.ends_on or course.starts_on
    if ends == course.starts_on:
        return f" pada tanggal {_tanggal(course.starts_on)}"
    return f" pada tanggal {_tanggal(course.starts_on)} sampai dengan {_tanggal(ends)}"


def number_label(number: str | None) -> str:
    """A NIP carries the appointment month where an NI PPPK has the contract count: name the one it is."""
    if not number:
        return "NIP"
    try:
        validate_nip(number)
    except InvalidNIP:
        return "NI PPPK"
    return "NIP"


def draw(enrolment: Enrolment) -> Draft:
    from .services.attendance import attendance_of_enrolment
    person, course = enrolment.user, enrolment.course
    office = current_app.config["LETTER_OFFICE"].title()
    fields = [("Nama", person.full_name), (number_label(person.nip), person.nip or "-"),
              ("Jabatan", person.position or "-")]
    if person.unit is not None:
        fields.append(("Unit kerja", person.unit.name))
    fields += [("Pelatihan", course.title), ("Jumlah jam pelajaran", f"{course.jp} JP")]
    # the method once: "menyelesaikan e-learning "E-learning Standar ..." ... secara e-learning" said it thrice
    label = course.method_label.lower()
    what = "pelatihan" if course.title.lower().startswith(label) else label
    statements = [f"telah mengikuti dan menyelesaikan {what} \"{course.title}\" yang "
                  f"diselenggarakan oleh {office}{_dates(course)} dengan jumlah "
                  f"{course.jp} jam pelajaran (JP)."]
    if course.is_elearning and enrolment.quiz_score is not None and course.questions:
        statements.append(f"Seluruh modul telah diselesaikan dan kuis akhir lulus dengan nilai {enrolment.quiz_score}.")
    elif not course.is_elearning:
        present, total, percent = attendance_of_enrolment(enrolment)
        if total:
            statements.append(f"Kehadiran: {present} dari {total} hari ({percent}%).")
    content = LetterContent(
        title="SERTIFIKAT PELATIHAN",
        opening=f"{office} Kota Palembang dengan ini menerangkan bahwa:",
        fields=fields, statements=statements,
        closing="Sertifikat ini diberikan sebagai bukti pengembangan kompetensi dan dapat dipergunakan "
                "sebagaimana mestinya.")
    return Draft(content=content, kind=KIND, kind_name=KIND_NAME, classification=CLASSIFICATION,
                 label=_register_label(course.title), holder=person.full_name)


def _register_label(title: str) -> str:
    """The course as the register's reference column shows it (40 characters), not "Pelatihan #25"."""
    return title if len(title) <= 40 else title[:39].rstrip() + "…"


def _can_view(user, enrolment) -> bool:
    from .services.enrolment import can_view_enrolment
    return can_view_enrolment(enrolment, user)


def _openable(user, ids) -> set[int]:
    # the page's enrolments with their people in one statement, each asked the one rule
    rows = db.session.scalars(select(Enrolment).options(joinedload(Enrolment.user)).where(Enrolment.id.in_(ids)))
    return {e.id for e in rows if _can_view(user, e)}


def _record(enrolment: Enrolment, letter, ctx) -> None:
    """The enrolment keeps the facts as printed (number, date, issuer, JP), as for a certificate reported
    from elsewhere: the enrolment's page and the SIASN export read them there."""
    from .workflow import record_certificate
    record_certificate(enrolment, Certificate(
        number=letter.number, date=to_wib(letter.issued_at).date(),
        issuer=current_app.config["LETTER_OFFICE"].title(), jp=enrolment.course.jp or None), ctx)


def _replaced(enrolment: Enrolment, letter, ctx) -> None:
    """The Camat replaced the certificate: the enrolment takes the new facts, in its own history too (the
    replacement's event is the letter's), a page opened before is out of date, and the ASN is told, who may
    have given the old number to SIASN."""
    from ..audit import record as audit
    from ..notify.service import notify
    before, old = dict(ctx.changes), enrolment.certificate_number
    _record(enrolment, letter, ctx)  # (letters.services makes a page opened before out of date)
    audit.record("enrolment.certificate_replaced", actor=ctx.actor, subject_type="enrolment",
                 subject_id=enrolment.id, comment=ctx.comment,
                 changes={k: v for k, v in ctx.changes.items() if k not in before})
    notify(enrolment.user, _("Your certificate %(old)s was replaced by %(new)s", old=old, new=letter.number),
           _("The certificate of \"%(course)s\" was revoked and replaced by a corrected one, number %(new)s. "
             "Use the new number (and file) wherever you gave the old one, SIASN included.",
             course=enrolment.course.title, new=letter.number),
           url=url_for("training.enrolment", enrolment_id=enrolment.id))


def _replace_only(enrolment: Enrolment) -> str:
    return _("A training certificate is replaced by a corrected one, not revoked on its own: the JP credited "
             "to the ASN rest on it.")


SUBJECT = register_subject(Subject(
    name=SUBJECT_NAME, load=lambda i: db.session.get(Enrolment, i), draw=draw, can_view=_can_view,
    url=lambda i: url_for("training.enrolment", enrolment_id=i), openable=_openable,
    has_draft=lambda e: e.course.internal and e.state == "awaiting_certificate",
    unrevocable_alone=_replace_only, reissued=_replaced, audit_type="enrolment", model=Enrolment,
    signing_step="sign_certificate",
    panel=lambda e, user: {"may_revoke": may_replace(SUBJECT_NAME, e, user), "replace_only": _replace_only(e)}))


def issue_certificate(enrolment: Enrolment, ctx):
    """From the sign step's effect: number, render, sign and store."""
    letter = issue(SUBJECT_NAME, enrolment, ctx)
    _record(enrolment, letter, ctx)
    return letter


def certificates_of(enrolment: Enrolment) -> list:
    return letters_of(SUBJECT_NAME, enrolment.id) if enrolment.course.internal else []
