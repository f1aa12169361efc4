"""The letters the Camat signs for document requests: one template per document type, the draft for
review, and `issue_letter()` called from the sign step. Rendering, numbering and signing are in
plaju.letters; what a letter says about a request is here."""
import functools
import re
from datetime import date

from flask import url_for
from sqlalchemy import and_
from sqlalchemy.orm import foreign, joinedload, relationship

from ..extensions import db
from ..i18n import gettext as _
from ..letters.models import LetterExternalNumber
from ..letters.render import SIGNER, LetterContent
from ..letters.services import Draft, Subject, issue, register_subject, revokes_for
from .models import DocumentRequest
from .subjects import RELATIONS
from .workflow import DOCUMENT_FLOW

MONTHS = ["Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus", "September", "Oktober",
          "November", "Desember"]
# the letters are in Bahasa Indonesia whatever the reader's language: the relation words in Bahasa
RELATION_WORDS = {"suami": "suami", "istri": "istri", "anak": "anak", "ayah": "ayah", "ibu": "ibu",
                  "saudara": "saudara kandung", "cucu": "cucu", "lainnya": "kerabat"}
assert set(RELATION_WORDS) == set(RELATIONS)

# states in which the draft is worth reviewing: before and while it waits for the signature
DRAFT_STATES = ("processing", "back_from_disdukcapil", "awaiting_signature")

# the number from an outside register, reached from the request so that a step's locking read brings it
# along for the panel that answers the step (a page reads it when it shows it)
DocumentRequest.external_number = relationship(
    LetterExternalNumber, uselist=False, lazy="select", viewonly=True,
    primaryjoin=and_(LetterExternalNumber.subject_type == "document",
                     foreign(LetterExternalNumber.subject_id) == DocumentRequest.id))
DOCUMENT_FLOW.lock_options.append(joinedload(DocumentRequest.external_number))
OPENING = f"Yang bertanda tangan di bawah ini, {SIGNER} Kota Palembang, dengan ini menerangkan bahwa:"


def _address(req) -> str:
    street = req.address  # requests taken in before the address was asked have none: the kelurahan only
    place = f"Kelurahan {req.kelurahan}, Kecamatan Plaju, Kota Palembang"
    return f"{street}, {place}" if street else place


def _born(place: str, nik: str) -> list[tuple[str, str]]:
    """The rows "Tempat/Tgl. Lahir" and "Jenis Kelamin" of a person: the place as asked at the counter, the
    date and the sex as the NIK states them. Taken in before the place was asked: the date alone."""
    from .nik import validate_nik
    try:
        read = validate_nik(nik)
    except ValueError:  # a NIK taken in under older rules: the letter says what it knows
        return [("Tempat Lahir", place)] if place else []
    day = f"{read.birth_date.day} {MONTHS[read.birth_date.month - 1]} {read.birth_date.year}"
    sex = ("Jenis Kelamin", "Perempuan" if read.female else "Laki-laki")
    return [("Tempat/Tgl. Lahir", f"{place}, {day}") if place else ("Tanggal Lahir", day), sex]


def _tanggal(iso: str) -> str:
    day = date.fromisoformat(iso)
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"


def _person(req) -> tuple[list, list]:
    """The letter's data rows and, when the letter is for someone other than the applicant, the sentence
    naming who asked for it (SKTM, domisili: the person, possibly the applicant himself)."""
    data = req.subject
    if req.type.subject_kind == "person" and data and not data.get("same"):
        rows = [("Nama", data["name"]), ("NIK", data["nik"]), *_born(data.get("place", ""), data["nik"]),
                ("Alamat", _address(req))]
        asked = (f"Surat keterangan ini dibuat atas permohonan {req.name} (NIK {req.nik}), "
                 f"{RELATION_WORDS.get(data['relation'], 'kerabat')} dari nama tersebut di atas.")
        return rows, [asked]
    return [("Nama", req.name), ("NIK", req.nik), *_born(req.birth_place, req.nik), ("Alamat", _address(req))], []


_SAID_TWICE = re.compile(r"^(?:untuk\s+)?(?:keperluan\s*:?\s*)?(?:untuk\s+)?", re.IGNORECASE)


def _purpose(req) -> str:
    """What the letter is for, after "untuk keperluan:" and before the sentence's full stop: a purpose typed as
    "keperluan sekolah" or "untuk mendaftar sekolah" loses its own "keperluan" or "untuk", and "Melamar
    pekerjaan." its stop, so the letter says neither twice."""
    text = (req.purpose or "").strip()  # never the note: that is the office's own
    text = _SAID_TWICE.sub("", text).strip().rstrip(".").rstrip()
    return text or "administrasi"


def _sktm(req):
    return ("SURAT KETERANGAN TIDAK MAMPU", [
        f"Berdasarkan surat pengantar Lurah {req.kelurahan}, nama tersebut di atas benar penduduk Kecamatan "
        "Plaju Kota Palembang dan tergolong keluarga tidak mampu.",
        f"Surat keterangan ini diberikan untuk keperluan: {_purpose(req)}."])


def _domisili(req):
    return ("SURAT KETERANGAN DOMISILI", [
        f"Nama tersebut di atas benar berdomisili di {_address(req)}.",
        f"Surat keterangan ini diberikan untuk keperluan: {_purpose(req)}."])


def _domisili_usaha(req):
    business = req.subject if req.type.subject_kind == "business" else {}
    if business.get("name"):  # its name, line and address are the rows above the statement
        runs = ("Nama tersebut di atas benar menjalankan usaha tersebut di atas, yang berdomisili di alamat usaha "
                "tersebut.")
    else:  # taken in before the business was asked: the place only
        runs = f"Nama tersebut di atas benar menjalankan usaha yang berdomisili di {_address(req)}."
    return ("SURAT KETERANGAN DOMISILI USAHA",
            [runs, f"Surat keterangan ini diberikan untuk keperluan: {_purpose(req)}."])


def _ahli_waris(req):
    data = req.subject
    if not data.get("heirs"):  # a request taken in before the heirs were asked at the counter
        return ("SURAT KETERANGAN AHLI WARIS", [
            f"Berdasarkan surat pernyataan ahli waris yang diketahui Lurah {req.kelurahan} beserta lampirannya, "
            "nama tersebut di atas adalah ahli waris dari pewaris sebagaimana tercantum dalam surat pernyataan "
            "ahli waris yang menjadi bagian tidak terpisahkan dari surat keterangan ini.",
            f"Surat keterangan ini diberikan untuk keperluan: {_purpose(req)}."])
    nik = f", NIK {data['nik']}" if data.get("nik") else ""
    heirs = [f"{i}. {h['name']}, NIK {h['nik']}, {RELATION_WORDS.get(h['relation'], 'kerabat')} pewaris."
             for i, h in enumerate(data["heirs"], start=1)]
    return ("SURAT KETERANGAN AHLI WARIS", [
        f"Berdasarkan surat pernyataan ahli waris yang diketahui Lurah {req.kelurahan} beserta lampirannya, "
        f"{_the_late(data)} {data['name']}{nik}, yang meninggal dunia pada tanggal {_tanggal(data['date'])}, "
        f"meninggalkan ahli waris sebanyak {len(heirs)} orang, yaitu:", *heirs,
        f"Surat keterangan ini diberikan untuk keperluan: {_purpose(req)}."])


def _the_late(data: dict) -> str:
    """"almarhum" or "almarhumah" by the deceased's NIK (a woman's day of birth is written plus 40);
    without a NIK both, as before."""
    from .nik import validate_nik
    try:
        return "almarhumah" if validate_nik(data.get("nik")).female else "almarhum"
    except ValueError:
        return "almarhum/almarhumah"


def _dispensasi_nikah(req):
    """Granted by the Camat on the Mayor's behalf (PP 9/1975 Pasal 3 ayat 3) for one marriage: whom, on which
    day, before which KUA. A request taken in before these were asked keeps its letter as it was."""
    marriage = req.subject if req.type.subject_kind == "marriage" else {}
    if not marriage.get("name"):
        return ("SURAT DISPENSASI NIKAH", [
            "Kepada nama tersebut di atas diberikan dispensasi untuk melangsungkan pernikahan kurang dari "
            "10 (sepuluh) hari kerja sejak pemberitahuan kehendak nikah, sebagaimana dimaksud Pasal 3 "
            "Peraturan Pemerintah Nomor 9 Tahun 1975.",
            f"Alasan permohonan: {_purpose(req)}."])
    return ("SURAT DISPENSASI NIKAH", [
        f"untuk melangsungkan pernikahan dengan {marriage['name']}, NIK {marriage['nik']}, kurang dari 10 "
        "(sepuluh) hari kerja sejak pemberitahuan kehendak nikah.",
        f"Pernikahan tersebut akan dilangsungkan pada tanggal {_tanggal(marriage['date'])} dan dicatat oleh "
        f"{marriage['place']}.",
        f"Alasan permohonan: {_purpose(req)}."], {
        # the Camat grants it for the Mayor (PP 9/1975 Pasal 3 ayat 3): said in the opening and above the signature
        "opening": "Berdasarkan Pasal 3 ayat (3) Peraturan Pemerintah Nomor 9 Tahun 1975, yang bertanda tangan di "
                   f"bawah ini, {SIGNER} Kota Palembang atas nama Wali Kota Palembang, memberikan dispensasi nikah "
                   "kepada:",
        "on_behalf": "a.n. Wali Kota Palembang",
        "closing": "Demikian surat dispensasi ini dibuat untuk dapat dipergunakan sebagaimana mestinya."})


TEMPLATES = {"sktm": _sktm, "domisili": _domisili, "domisili-usaha": _domisili_usaha,
             "ahli-waris": _ahli_waris, "dispensasi-nikah": _dispensasi_nikah}


# whom each letter text is about: a type drawing it asks the same at the counter (documents.seed.SUBJECT_KINDS)
TEXT_SUBJECTS = {"sktm": "person", "domisili": "person", "domisili-usaha": "business", "ahli-waris": "inheritance",
                 "dispensasi-nikah": "marriage"}


def letter_text(code: str) -> str | None:
    """The letter text a type's code picks: its own, or the one its code extends with a dash ("sktm-2027": a new
    SKTM type that replaces a retired one, codes being unique), or None."""
    if code in TEMPLATES:
        return code
    return max((known for known in TEMPLATES if code.startswith(known + "-")), key=len, default=None)


def _generic(req):
    """A letter of a type signed before its code had a text of its own (settings refuse such a type now)."""
    name = req.type.name.upper()
    return (name if name.startswith("SURAT KETERANGAN") else f"SURAT KETERANGAN {name}", [
        f"Nama tersebut di atas benar penduduk {_address(req)}.",
        f"Surat keterangan ini diberikan untuk keperluan: {_purpose(req)}."])


def draw(req: DocumentRequest) -> Draft:
    # a template gives the title and the statements, and may give its own opening, closing and on_behalf
    title, statements, *own = TEMPLATES.get(letter_text(req.type.code), _generic)(req)
    fields, asked = _person(req)
    if req.type.subject_kind == "inheritance":
        fields = [("Nama pemohon", req.name), ("NIK", req.nik), *_born(req.birth_place, req.nik),
                  ("Alamat", _address(req))]
    business = req.subject if req.type.subject_kind == "business" else {}
    if business.get("name"):  # the address asked is the business's: not printed as the applicant's home
        fields = [("Nama", req.name), ("NIK", req.nik), *_born(req.birth_place, req.nik),
                  ("Nama usaha", business["name"]), ("Bidang usaha", business["type"]), ("Alamat usaha", _address(req))]
    statements = statements[:-1] + asked + statements[-1:]
    content = LetterContent(title=title, fields=fields, statements=statements, **{"opening": OPENING,
                                                                                   **(own[0] if own else {})})
    return Draft(content=content,
                 kind=req.type.code, kind_name=req.type.name,
                 classification=getattr(req.type, "archive_code", "") or "", label=req.tracking_code,
                 holder=fields[0][1])  # the person named first: the subject, or the applicant


def _can_view(user, _req) -> bool:
    from .services import can_view
    return can_view(user)


@functools.cache
def has_letters(req: DocumentRequest) -> bool:
    """Whether a request may have letters: the sign step issues them (`_signed`, which records the signer),
    so a request that was never signed is not asked for its letters. A recalled one keeps its signer and
    shows its revoked letter while it is corrected."""
    return req.signed_by_id is not None


def _unrevocable_alone(req: DocumentRequest) -> str | None:
    if req.state in ("signed", "ready"):
        return _('This letter has not been handed over yet: revoked on its own it would still go to the '
                 'citizen. To correct its data, use the step "Recall for correction" instead.')
    return None


def revoke_recalled(req: DocumentRequest, ctx) -> list[str]:
    """The recall step's revocation of the request's valid letters, in the step's transaction; the step's
    own event names the numbers."""
    from ..letters import services as letters
    numbers = []
    for letter in letters.letters_of("document", req.id):
        if letter.status == "valid":
            letters.mark_revoked(letter, ctx.actor, f"Ditarik untuk perbaikan. {ctx.comment or ''}".strip())
            numbers.append(letter.number)
    return numbers


def _panel(req, user) -> dict:
    """What the request page shows about its letter: draft link, letters issued, external number."""
    from ..letters import services as letters
    from ..letters.signing import expiry_warning
    if not req.type.camat_signs:
        return {}
    issued = letters.letters_of("document", req.id) if has_letters(req) else []
    # who may revoke is asked only where there is a letter to revoke (a Plt's delegations are a read)
    revokes = bool(issued) and revokes_for(user) is not False
    return {
        "draft": req.state in DRAFT_STATES,
        "letters": issued,
        "external_number": req.external_number.number if req.state in DRAFT_STATES and req.external_number else None,
        "may_number": req.state in DRAFT_STATES and user.has_role("section_head", "camat"),
        # not handed over yet: the step "recall" revokes it so its data can be corrected; a second red
        # form beside it ("revoke and sign a new letter" of the same data) only made the Camat guess
        "may_revoke": revokes and not _unrevocable_alone(req),
        "recall_instead": revokes and bool(_unrevocable_alone(req)),
        "replace_only": _unrevocable_alone(req),
        # a replacement is signed in one's own right (letters.may_replace): a Plt revokes, the Camat replaces
        "may_replace": revokes and letters.may_replace("document", req, user),
        "certificate_warning": expiry_warning(user) if req.state == "awaiting_signature" and any(
            a.trigger == "sign" for a in _actions(req, user)) else None,
    }


def _actions(req, user):
    from ..workflow import available
    return available(req, user)


def _held_letter_revoked(req: DocumentRequest, letter, replacement, actor) -> None:
    """A letter of a request already handed over was revoked or replaced: the citizen is told (if she agreed to
    be contacted) and the tracking page says it; the clerk who handed it over is told too, who hands over the
    replacement or calls her. A bank would otherwise turn her away without her knowing why."""
    if req.state != "handed_over":
        return
    from ..accounts.models import User
    from ..database import utcnow
    from ..notify.service import notify
    from .citizen import tell
    from .sla import wib_date
    tell(req, "letter_replaced" if replacement else "letter_revoked", wib_date(utcnow()))
    clerk = db.session.get(User, req.handover.recorded_by_id) if req.handover and req.handover.recorded_by_id \
        else None
    if clerk is not None and clerk.active and clerk.id != actor.id:
        if replacement is not None:
            subject = _("Hand over the replacement letter %(new)s of %(code)s", new=replacement.number,
                        code=req.tracking_code)
            body = _("%(actor)s replaced letter %(old)s of a request already handed over by %(new)s. Hand over the "
                     "new one to the citizen and take back the old one.", actor=actor.full_name, old=letter.number,
                     new=replacement.number)
        else:
            subject = _("Letter %(old)s of %(code)s was revoked", old=letter.number, code=req.tracking_code)
            body = _("%(actor)s revoked letter %(old)s of a request already handed over. Tell the citizen it is no "
                     "longer valid.", actor=actor.full_name, old=letter.number)
        notify(clerk, subject, body, url=url_for("documents.detail", request_id=req.id),
               subject_type="document", subject_id=req.id)


SUBJECT = register_subject(Subject(
    name="document", load=lambda i: db.session.get(DocumentRequest, i), draw=draw, can_view=_can_view,
    model=DocumentRequest,
    url=lambda i: url_for("documents.detail", request_id=i), panel=_panel,
    openable=lambda user, ids: set(ids) if _can_view(user, None) else set(),
    unrevocable_alone=_unrevocable_alone, signing_step="sign", revoked=_held_letter_revoked,
    has_draft=lambda r: r.type.camat_signs and r.state in DRAFT_STATES))


def issue_letter(request: DocumentRequest, ctx):
    """From the sign step's effect: the signed letter of this request, numbered and stored."""
    return issue("document", request, ctx)
