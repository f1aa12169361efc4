"""How the history and the audit log (plaju.audit.sentences) word the events of the shared parts: signing
in, accounts, Plh/Plt appointments, the audit log itself, the inbox's bulk steps and refused access or input.
No area owns them, so they are described here: their actions, fields, values and objects, and the Plh/Plt
appointments /audit/ finds when HR searches for a person or a surat perintah's number. Registered when
plaju.audit.sentences is imported.
"""
import re
import unicodedata

from sqlalchemy import func, literal, or_, select

from ..i18n import lazy_gettext as _l
from .vocabulary import (
    describe_actions,
    describe_data_access,
    describe_fields,
    describe_kind,
    describe_number,
    describe_people_objects,
    describe_search,
    describe_subjects,
    describe_values,
)

describe_actions({
    "auth.login": _l("signed in"),
    "auth.logout": _l("signed out"),
    "auth.password_change": _l("changed their password"),
    "user.create": _l("created an account"),
    "user.update": _l("changed an account"),
    "delegation.create": _l("appointed a Plh/Plt"),
    "delegation.revoke": _l("revoked a Plh/Plt appointment"),
    "input.refused": _l("sent a form's input"),  # refused: "... ditolak sistem saat mengirim isian formulir"
    "audit.keyed": _l("keyed the audit chain"),
    "inbox.bulk": _l("acted on several items at once"),
    "inbox.confirm": _l("asked to confirm several items at once"),
    "audit.export": _l("exported audit events"),
    "audit.verify": _l("checked the integrity of the audit chain"),
    "access.forbidden": _l("opened a page without the right to see it"),
    "access.forbidden_post": _l("sent a form without the right to do so"),
})
describe_data_access("audit.export", "access.forbidden", "access.forbidden_post")


def _unit_names(ids) -> dict:
    from ..accounts.models import Unit
    from ..extensions import db
    numbers = [int(i) for i in ids if (str(i).isascii() and str(i).isdigit())]
    return {str(i): name for i, name in db.session.execute(select(Unit.id, Unit.name).where(Unit.id.in_(numbers)))}


describe_kind("auth", _l("Signing in"))
describe_kind("user", _l("Accounts"))
describe_kind("delegation", _l("Plh/Plt"))
describe_kind("input", _l("Refused input"))
describe_kind("audit", _l("Audit log"))
describe_kind("audit_event", _l("Audit log"))  # objects, not actions: what an event is about
describe_kind("audit_export", _l("Audit log export"))
describe_kind("access", _l("Data access"))
describe_kind("inbox", _l("Inbox"))
describe_fields({
    "cause": _l("Cause"),  # of a refused sign-in: what the person was not told
    "username": _l("Username"), "full_name": _l("Full name"), "nip": "NIP", "position": _l("Position"),
    "email": _l("E-mail"), "unit_id": _l("Unit"), "supervisor_id": _l("Direct supervisor"),
    "active": _l("Active"), "roles": _l("Roles"), "password": _l("Password"), "principal": _l("Official"),
    "delegate": _l("Stands in"), "kind": _l("Kind"), "starts_on": _l("From"), "ends_on": _l("Until"),
    "revoked": _l("Revoked"),
    "format": _l("Format"), "rows": _l("Rows"), "filters": _l("Search"), "page": _l("Page"), "year": _l("Year"),
}, users=("supervisor_id",), named={"unit_id": _unit_names})
describe_values("format", {"csv": "CSV", "xlsx": "XLSX", "pdf": "PDF"})  # an export's file, as its menu names it


def _delegations_naming(ids):
    """The Plh/Plt appointments naming these people (`ids`, a SELECT of user ids) as stand-in or as official:
    /audit/ finds their appointment and its revocation when HR searches either, not only the recorder."""
    from ..accounts.models import Delegation
    return select(literal("delegation"), Delegation.id).where(
        or_(Delegation.delegate_id.in_(ids), Delegation.principal_id.in_(ids)))


describe_people_objects(_delegations_naming)


def order_number_key(number: str | None) -> str:
    """A surat perintah's number as compared, as the letter register compares letter numbers (a surat
    perintah is one, often of another office's register): upper case, no spaces, "/" and "-" alike, no empty
    part, a serial's leading zeros aside ("800/0123/plj-2026" is "800/123/PLJ/2026")."""
    parts = re.split(r"[/-]", "".join(unicodedata.normalize("NFKC", number or "").split()).upper())
    return "/".join(part.lstrip("0") or "0" if part.isdigit() else part for part in parts if part)


def _delegations_by_order(number: str) -> list[tuple[str, str]]:
    """/audit/'s number box also takes a Plh/Plt's surat perintah number, in any spelling: the appointment's
    events (made, revoked). One statement, narrowed to the numbers holding each plain part of it, the few
    rows it reads compared whole. No index: an office records a few appointments a month."""
    from ..accounts.models import Delegation
    from ..extensions import db
    key = order_number_key(number)
    if not key:
        return []
    upper = func.upper(Delegation.order_number)  # SQLite's upper() knows ASCII only: other parts are compared after
    rows = db.session.execute(select(Delegation.id, Delegation.order_number).where(
        Delegation.order_number != "",
        *(upper.contains(part, autoescape=True) for part in key.split("/") if part.isascii())))
    return [("delegation", str(ident)) for ident, stored in rows if order_number_key(stored) == key]


describe_search("code", _delegations_by_order)
describe_number("delegation", _l("surat perintah number"))


def user_names(ids) -> dict:
    from ..accounts.models import User
    from ..extensions import db
    numbers = [int(i) for i in ids if (str(i).isascii() and str(i).isdigit())]
    rows = db.session.execute(select(User.id, User.full_name).where(User.id.in_(numbers)))
    return {str(i): name for i, name in rows}


describe_subjects("user", user_names, url_arg="user_id")
describe_subjects("unit", _unit_names)  # a unit's training history exported, for one
