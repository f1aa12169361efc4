"""Correcting what a letter states after the Camat sent it back for correction: the applicant's name (a typo
at the counter), the kelurahan, the street address and the purpose, as the counter took them in. Whoever may submit the
request for signature may correct it (the same source: the engine's `available`), only while it is being
processed, with the version the page showed, audited with before and after."""
import json
import re
import unicodedata

from ..audit import record as audit
from ..database import lock_row
from ..extensions import db
from ..i18n import gettext as _
from ..i18n import lazy_gettext as _l
from ..inputs import edit_distance, name_skeleton, person_name_fault, written_name
from ..timeutil import today_wib
from ..workflow import Conflict, Invalid, NotAllowed, available
from ..workflow.assignments import store
from ..workflow.engine import stale_page
from . import sla, subjects
from .calendar import holiday_set
from .intake import address_fault, birth_place_fault, purpose_fault
from .models import KELURAHAN, DocumentNameWord, DocumentRequest, request_words
from .subject_rules import needed_before
from .subjects import NAME_MAX
from .workflow import DOCUMENT_FLOW, add_preparer

CORRECTABLE_STATE = "processing"
# what the signer is told was corrected, in the order of the form
FIELD_NAMES = {"name": _l("name"), "business_name": _l("business name"), "business_type": _l("line of business"),
               "letter_subject": _l("data of whom the letter is for"), "birth_place": _l("place of birth"),
               "kelurahan": _l("kelurahan"), "address": _l("address"),
               "purpose": _l("purpose")}
SUBMIT_STEP = "to_signature"  # who may send it to the Camat may put right what he sent back


def send_back_note(req: DocumentRequest) -> str:
    """What the Camat asked to correct, while it matters: the request is being corrected (processing) or
    is back for signature (the signer sees what was asked). Kept on the row: no statement."""
    return req.correction_note if req.state in (CORRECTABLE_STATE, "awaiting_signature") else ""


def may_correct(req: DocumentRequest, actions, actor) -> bool:
    """Who may submit the letter for signature (`actions`: what the engine offers them on this request, as the
    page has them), or the counter clerk who took it in, putting their own typo right; while it is processed.
    Either is then kept from signing it (workflow: not_by)."""
    if req.state != CORRECTABLE_STATE or not req.type.camat_signs:
        return False
    took_it_in = req.created_by_id == actor.id and actor.has_role("clerk")
    return took_it_in or submits(actions)


def submits(actions) -> bool:
    """Whether these actions (`available`) let their person submit the letter for signature now."""
    return any(a.trigger == SUBMIT_STEP and not a.blocked for a in actions)


def name_fault(name: str) -> str | None:
    if not 2 <= len(name) <= 120:
        return _("The name must be 2 to 120 characters long.")
    return person_name_fault(name, digits=False)  # other letters that read as Latin ones: no typo rule sees them


class CorrectionRefused(Invalid):
    """A correction with faults: `faults` maps each faulty field of the form to its message."""

    def __init__(self, faults: dict):
        super().__init__(" ".join(str(m) for m in faults.values()), code="correction")
        self.faults = faults


def _business_faults(business: dict) -> dict:
    faults = {}
    for key, what in (("name", _("the business name")), ("type", _("the line of business"))):
        if not 2 <= len(business.get(key, "")) <= NAME_MAX:
            faults[f"business_{key}"] = _("Enter %(what)s, 2 to %(max)s characters.", what=what, max=NAME_MAX)
    return faults


def _subject_changes(kind: str, before: dict, after: dict) -> tuple[str, str]:
    """What changed in whom the letter is for, before and after, as the request page words its items (NIKs
    masked: the log is read by HR); only the items that changed, so one heir's relation is one line."""
    old = {str(label): str(value) for label, value in subjects.summary(kind, before, False)}
    new = {str(label): str(value) for label, value in subjects.summary(kind, after, False)}
    changed = [label for label in dict.fromkeys([*old, *new]) if old.get(label) != new.get(label)]
    return ("; ".join(f"{label}: {old.get(label, '—')}" for label in changed),
            "; ".join(f"{label}: {new.get(label, '—')}" for label in changed))


def _words(name: str) -> list[str]:
    """The name's words in plain letters, lower case and without accents; nothing around it is dropped (a
    comma or brackets hide no second name here)."""
    plain = "".join(c for c in unicodedata.normalize("NFKD", name).lower() if not unicodedata.combining(c))
    return re.findall(r"[a-z0-9]+", plain)


def is_typo_fix(before: str, after: str) -> bool:
    """Whether `after` puts a typo in the name `before` right, rather than naming someone else: a few letters
    changed (two, or a fifth of the name), or each word kept with at most a letter or two changed and one
    word added or dropped ("Siti Aminah" -> "Siti Nur Aminah", "Marsudi Natsir" -> "Marsudi Nasir Putra").
    "Budi Santoso" -> "Agus Santoso" is a relative, not a typo."""
    old, new = _words(before), _words(after)
    if edit_distance("".join(old), "".join(new)) <= max(2, max(len("".join(old)), len("".join(new))) // 5):
        return True
    if not old or not new or abs(len(old) - len(new)) > 1:
        return False
    shorter, longer = (old, new) if len(old) <= len(new) else (new, old)
    free = list(longer)
    for word in shorter:  # each word of the shorter name is in the longer one, give or take a letter
        match = next((w for w in free if edit_distance(word, w) <= max(1, len(word) // 4)), None)
        if match is None:
            return False
        free.remove(match)
    return True


def _not_a_typo(before: str, after: str) -> str:
    return _("“%(after)s” is not a correction of “%(before)s”: the name belongs to the NIK taken in, and a "
             "correction puts a typo right. If the letter is for another person, reject the request and take "
             "it in again.", after=after, before=before)


def _another_person(kind: str, before: dict, after: dict) -> tuple[str, str] | None:
    """(field, message) of a correction that would put another person in, against the subject as taken in
    (`before`): a name bound to a NIK (the person the letter is for, the deceased, an heir) changed beyond a
    typo, a deceased whose name and date both changed, an heir taken out, or an heir's row given another
    stored heir's name (names moved between NIKs). The baby has no NIK yet."""
    kept = {a["nik"] for a in after.get("heirs") or ()}
    for i, heir in enumerate(before.get("heirs") or ()):
        if heir["nik"] not in kept:
            return f"h_{i}", _("%(name)s cannot be taken out of the heirs by a correction: reject the request and "
                               "take it in again with the right heirs.", name=heir["name"])
    if kind in ("death", "inheritance") and before.get("name") != after.get("name") \
            and before.get("date") != after.get("date"):
        return "s_name", _("The deceased's name and date of death cannot both change: that is another person. "
                           "Reject the request and take it in again.")
    if kind == "marriage" and before.get("name") != after.get("name") and (
            before.get("date") != after.get("date") or before.get("place") != after.get("place")):
        return "s_name", _("The future spouse's name cannot change together with the wedding day or the KUA: that "
                           "is another marriage. Correct one at a time, or reject the request and take it in "
                           "again.")
    # the future spouse's name is bound to the NIK kept, like the person a letter is for
    if kind in ("person", "death", "inheritance", "marriage") and before.get("name") and after.get("name") \
            and not is_typo_fix(before["name"], after["name"]):
        return "s_name", _not_a_typo(before["name"], after["name"])
    stored = {i: name_skeleton(h["name"]) for i, h in enumerate(before.get("heirs") or ())}
    by_nik = {h["nik"]: i for i, h in enumerate(before.get("heirs") or ())}
    for heir in after.get("heirs") or ():
        i = by_nik.get(heir["nik"])
        if i is not None and any(name_skeleton(heir["name"]) == name and j != i for j, name in stored.items()):
            return f"h_{i}", _("%(name)s is another heir's name: names cannot move between heirs (their NIKs "
                               "stay).", name=heir["name"])
        if i is not None and not is_typo_fix(before["heirs"][i]["name"], heir["name"]):
            return f"h_{i}", _not_a_typo(before["heirs"][i]["name"], heir["name"])
    return None


# the subject's typed fields a correction refused as out of date names, in the words of the form's labels
_PERSON = {"s_name": _l("Name of the person"), "s_place": _l("Place of birth of the person (as on the KTP)")}
_SUBJECT_LABELS = {
    "person": _PERSON,
    "marriage": {"s_name": _l("Name of the future spouse"), "s_date": _l("Wedding day"),
                 "s_place": _l("KUA or place where the marriage is registered")},
    "birth": {"s_name": _l("Baby's name"), "s_place": _l("Place of birth"), "s_date": _l("Date of birth")},
    "death": {"s_name": _l("Name of the deceased"), "s_date": _l("Date of death")},
    "inheritance": {"s_name": _l("Name of the deceased"), "s_date": _l("Date of death")},
}


def _one_line(value) -> str:
    return " ".join(str(value or "").split())


def unsaved(req: DocumentRequest, form) -> str:
    """What a correction refused as out of date had typed that the request does not hold now ("alamat: ...;
    keperluan: ..."): the form shows the stored values again (someone else's correction is not put back by
    saving it once more), and its person re-types only what still needs it."""
    stored = {"name": req.name, "birth_place": req.birth_place or "", "kelurahan": req.kelurahan,
              "address": req.address or "", "purpose": req.purpose or ""}
    if req.type.subject_kind == "business":
        stored.update(business_name=req.subject.get("name", ""), business_type=req.subject.get("type", ""))
    typed = []
    for field, value in stored.items():
        sent = _one_line(form.get(field))
        if field in form and sent != _one_line(value):
            typed.append(f"{FIELD_NAMES[field]}: {sent or '-'}")
    kind = req.type.subject_kind
    if form.get("subject_sent") and kind in subjects.CORRECTABLE:  # whom the letter is about: a day, a KUA, heirs
        kept = subjects.as_form(kind, req.subject)
        for field, label in _SUBJECT_LABELS.get(kind, {}).items():
            if field in form and _one_line(form.get(field)) != _one_line(kept.get(field)):
                sent = _one_line(form.get(field))
                typed.append(f"{label}: {subjects.day_text(sent) if field == 's_date' else sent or '-'}")
        heirs = kept.getlist("h_name")
        for i, sent in enumerate(form.getlist("h_name")):
            if _one_line(sent) != _one_line(heirs[i] if i < len(heirs) else ""):
                typed.append(f"{_('Heir %(n)s: name', n=i + 1)}: {_one_line(sent) or '-'}")
    return "; ".join(typed)


def correct_letter_data(req: DocumentRequest, actor, *, version: int, address: str, purpose: str,
                        name: str | None = None, business: dict | None = None, subject_form=None,
                        birth_place: str | None = None, kelurahan: str | None = None) -> DocumentRequest:
    """Put the name, the address and the purpose right, a domisili usaha's business (`business`: name and
    type), and the data about whom the letter is for (`subject_form`: the posted form's subject fields, for
    the kinds of subjects.CORRECTABLE: a person, a baby, the deceased and the heirs); refused (and audited)
    when not allowed, stale or invalid. None keeps a value."""
    try:
        row = lock_row(DocumentRequest, req.id)
        db.session.refresh(row)
        if not may_correct(row, available(row, actor), actor):
            raise NotAllowed(_("Only the clerk who took this request in, or who may submit it for the Camat's "
                               "signature, can correct its letter, and only while it is being processed."))
        if row.version != version:
            raise stale_page(DOCUMENT_FLOW, row, actor)
        name = row.name if name is None else written_name(name)
        birth_place = row.birth_place if birth_place is None else " ".join(birth_place.split())
        address = " ".join((address or "").split())
        # a kelurahan chosen wrong at the counter: the letter names it twice ("surat pengantar Lurah ...")
        kelurahan = row.kelurahan if kelurahan is None else kelurahan.strip()
        purpose = " ".join((purpose or "").split())  # (one line, as at the intake)
        subject = row.subject
        kept = {"name": subject.get("name", ""), "type": subject.get("type", "")}
        business = kept if business is None or row.type.subject_kind != "business" else {
            key: " ".join(str(business.get(key) or "").split()) for key in ("name", "type")}
        # every correction is a typo fix of what the counter took in, not of the last one: step by step a
        # name became another person's
        taken_in = json.loads(row.taken_in) if row.taken_in else {"name": row.name, "subject": subject}
        original = taken_in["name"]
        # field -> message, for the form to mark each field (the subject's fields as the intake names them)
        faults = {field: fault for field, fault in (
            ("name", name_fault(name) or (_not_a_typo(original, name)  # the applicant's name, by his NIK
                                          if name != row.name and not is_typo_fix(original, name) else None)),
            ("birth_place", birth_place_fault(row.type, birth_place) if birth_place != row.birth_place else None),
            # an address taken in before the kelurahan was refused in it is checked when it is changed
            ("kelurahan", _("Choose a kelurahan of Kecamatan Plaju.") if kelurahan not in KELURAHAN else None),
            ("address", address_fault(row.type, address) if address != row.address else None),
            ("purpose", purpose_fault(row.type, purpose))) if fault}
        if business != kept:
            faults.update(_business_faults(business))
        kind = row.type.subject_kind
        corrected_subject = subject
        # a request taken in before its kind asked anything (a dispensation before the marriage was asked) keeps
        # its letter's data as it was: there is nothing stored to correct
        if subject_form is not None and kind in subjects.CORRECTABLE and subject:
            try:
                corrected_subject = subjects.validate(kind, subjects.corrected(kind, subject_form, subject),
                                                      row.nik, today_wib(),
                                                      applicant_name=name)
            except subjects.SubjectRefused as refused:
                faults.update({field: str(m) for field, m in refused.faults.items()})
            else:
                moved = _another_person(kind, taken_in["subject"], corrected_subject)
                if moved:
                    faults[moved[0]] = moved[1]
        if faults:
            raise CorrectionRefused(faults)
        subject_before, subject_after = _subject_changes(kind, subject, corrected_subject)
        before = {"name": row.name, "business_name": kept["name"], "business_type": kept["type"],
                  "letter_subject": subject_before, "birth_place": row.birth_place,
                  "kelurahan": row.kelurahan, "address": row.address, "purpose": row.purpose}
        after = {"name": name, "business_name": business["name"], "business_type": business["type"],
                 "letter_subject": subject_after, "birth_place": birth_place,
                 "kelurahan": kelurahan, "address": address, "purpose": purpose}
        if before == after and corrected_subject == subject:
            raise Invalid(_("Nothing was changed: correct the name, the address, the purpose or the data the "
                            "letter states."), code="correction")
    except (Invalid, NotAllowed, Conflict) as error:
        db.session.rollback()
        audit.refused("document.correct", error=error, actor=actor, subject_type="document", subject_id=req.id)
        raise
    if not row.taken_in:
        row.taken_in = json.dumps(taken_in, ensure_ascii=False)
    words = request_words(row.name, row.subject_data)
    row.name, row.name_key = name, name.lower()
    row.address, row.purpose, row.birth_place, row.kelurahan = address, purpose, birth_place, kelurahan
    if business != kept:
        row.subject_data = json.dumps({**subject, **business}, ensure_ascii=False)
    if corrected_subject != subject:
        row.subject_data = json.dumps(corrected_subject, ensure_ascii=False)
        if needed_before(row) is not None and corrected_subject.get("date") != subject.get("date"):
            before["due_at"], after["due_at"] = _promise_again(row)
    if request_words(row.name, row.subject_data) != words:  # the name search reads its words
        db.session.query(DocumentNameWord).filter(DocumentNameWord.request_id == row.id).delete()
        db.session.add_all(DocumentNameWord(request_id=row.id, word=w)
                           for w in request_words(row.name, row.subject_data))
    # four eyes: who rewrote the letter does not sign it; the signer is told what changed this round
    add_preparer(row, actor.id)
    first_this_round = not row.corrected_fields  # a send_back empties it: the submitter is told once a round
    done = set(row.corrected_fields.split(",")) | {k for k in after if before[k] != after[k]}
    row.corrected_fields = ",".join(f for f in FIELD_NAMES if f in done)
    row.version += 1  # a step form opened before the correction is stale now
    audit.record("document.correct", actor=actor, subject_type="document", subject_id=row.id,
                 changes=audit.diff(before, after))
    if first_this_round:
        _tell_the_submitter(row, actor)
    db.session.commit()
    return row


def _promise_again(row) -> tuple:
    """A moved wedding moves the promise it bounds (sla.due_time), while the service clock runs; the to-do
    lists follow. Returns the due time before and after, for the log."""
    before = row.due_at
    if row.due_at is not None and row.clock_started_at is not None:
        row.due_at = sla.due_time(row.clock_started_at, max(row.budget_minutes - row.clock_used_minutes, 0),
                                  holiday_set(), needed_before(row))
        if row.due_at != before:
            store(DOCUMENT_FLOW, row, only_if_changed=True)
    return before and before.isoformat(), row.due_at and row.due_at.isoformat()


def _tell_the_submitter(row, actor) -> None:
    """A letter sent back and corrected by someone else (the clerk who typed it): whoever submits it again
    hears that it is ready to go (his list says so too, rows.signer_note)."""
    if row.state != "processing" or not row.correction_note or row.submitted_by_id in (None, actor.id):
        return
    from ..accounts.models import User
    from ..notify.service import notify
    submitter = db.session.get(User, row.submitted_by_id)
    if submitter is None or not submitter.active:
        return
    notify(submitter,
           _("%(person)s corrected the letter of request %(code)s (%(type)s): ready to submit again",
             person=actor.full_name, code=row.tracking_code, type=row.type.name),
           url=f"/documents/{row.id}", subject_type="document", subject_id=row.id)
