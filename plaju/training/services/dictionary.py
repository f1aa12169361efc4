"""The office's competence dictionary: competences (kind, code, name), positions (kind and the competence
levels they require) and which position each person holds. Recommendations and the plan's needs read
these (services.competences); here they are written.

Who may write them is one rule, `check_manager`: HR and the administrator. It covers every account,
the Camat's and the Kasi's too, because a position here only steers what training is proposed; the
account itself (roles, password) stays under plaju.accounts.rules. Every write is audited with its
before and after, every refusal with its reason.
"""
import re

from sqlalchemy import func, select
from sqlalchemy.exc import NoResultFound

from ...accounts.models import User
from ...audit import record as audit
from ...audit import vocabulary
from ...database import lock_row
from ...extensions import db
from ...i18n import gettext as _
from ...i18n import lazy_gettext as _l
from ...workflow import Invalid, NotAllowed
from ..models import KINDS, POSITION_KINDS, Competence, PersonPosition, Position, PositionCompetence
from .common import refuse

MANAGERS = ("hr", "admin")
LEVELS = range(1, 6)
CODE = re.compile(r"[A-Z0-9][A-Z0-9_.-]{0,39}")
COMPETENCE_FIELDS = ("code", "name", "kind")

vocabulary.describe_actions({
    "training_competence.create": _l("added a competence"),
    "training_competence.update": _l("changed a competence"),
    "training_position.create": _l("added a position"),
    "training_position.update": _l("changed a position"),
    "training_position.assign": _l("set the position of an ASN"),
})
vocabulary.describe_kind("training_competence", _l("Competences"))
vocabulary.describe_kind("training_position", _l("Positions"))
vocabulary.describe_subjects_by("training_competence", Competence.name)
vocabulary.describe_subjects_by("training_position", Position.name)
vocabulary.describe_fields({"code": _l("Code"), "name": _l("Name"), "kind": _l("Kind"),
                           "requirements": _l("Required competence levels"), "position": _l("Position")})


def check_manager(actor) -> None:
    if not actor.has_role(*MANAGERS):
        raise NotAllowed(_("Only HR (Kepegawaian) or the administrator manages competences and positions."),
                         code="role")


def may_manage(actor) -> bool:
    return actor.has_role(*MANAGERS)


def positions() -> list[Position]:
    return list(db.session.scalars(select(Position).order_by(Position.kind, Position.name)))


def competences() -> list[Competence]:
    return list(db.session.scalars(select(Competence).order_by(Competence.kind, Competence.name)))


def _get_locked(model, object_id, message):
    try:
        return lock_row(model, object_id)
    except NoResultFound:
        raise Invalid(message, code="missing") from None


def save_competence(competence_id: int | None, values: dict, actor) -> Competence:
    """Create (competence_id None) or change a competence: a code (capitals, digits, . _ -), a name and
    its kind (teknis, manajerial, sosial kultural). Refused, audited and unchanged on bad input."""
    action = "training_competence.update" if competence_id else "training_competence.create"
    try:
        check_manager(actor)
        code = (values.get("code") or "").strip().upper()
        name = " ".join((values.get("name") or "").split())
        kind = values.get("kind") or ""
        if not CODE.fullmatch(code):
            raise Invalid(_("Enter a code of up to 40 capital letters or digits (also . _ -), e.g. PELAYANAN."),
                          code="code")
        if not name or len(name) > 200:
            raise Invalid(_("Enter the name of the competence (at most 200 characters)."), code="name")
        if kind not in KINDS:
            raise Invalid(_("Choose the kind: technical, managerial or socio-cultural."), code="kind")
        competence = (_get_locked(Competence, competence_id, _("That competence does not exist."))
                      if competence_id else Competence())
        taken = db.session.scalar(select(Competence.id).where(func.upper(Competence.code) == code,
                                                              Competence.id != (competence_id or 0)))
        if taken:
            raise Invalid(_("The code %(code)s is already used by another competence.", code=code), code="duplicate")
    except (Invalid, NotAllowed) as error:
        refuse(error, action, actor, "training_competence", competence_id)
    before = audit.snapshot(competence, COMPETENCE_FIELDS) if competence_id else None
    competence.code, competence.name, competence.kind = code, name, kind
    db.session.add(competence)
    db.session.flush()
    changes = audit.diff(before, audit.snapshot(competence, COMPETENCE_FIELDS))
    audit.record(action, actor=actor, subject_type="training_competence", subject_id=competence.id,
                 changes=changes or None)
    db.session.commit()
    return competence


def requirement_text(levels: dict[int, int]) -> str:
    """"PELAYANAN:3, KINERJA:2": required levels by competence code, for the audit log."""
    codes = dict(db.session.execute(select(Competence.id, Competence.code).where(
        Competence.id.in_(list(levels)))).all()) if levels else {}
    return ", ".join(f"{codes.get(cid, cid)}:{level}" for cid, level in sorted(levels.items(),
                                                                                key=lambda p: str(codes.get(p[0]))))


def save_position(position_id: int | None, values: dict, actor) -> Position:
    """Create or change a position: its name, kind (pelaksana, pengawas, administrator, fungsional) and
    `requirements` {competence id: level 1-5} (a competence left out is not required)."""
    action = "training_position.update" if position_id else "training_position.create"
    try:
        check_manager(actor)
        name = " ".join((values.get("name") or "").split())
        kind = values.get("kind") or ""
        levels = values.get("requirements") or {}
        if not name or len(name) > 120:
            raise Invalid(_("Enter the name of the position (at most 120 characters)."), code="name")
        if kind not in POSITION_KINDS:
            raise Invalid(_("Choose the kind of position: pelaksana, pengawas, administrator or fungsional."),
                          code="kind")
        if any(level not in LEVELS for level in levels.values()):
            raise Invalid(_("A required level is 1 to 5."), code="level")
        known = set(db.session.scalars(select(Competence.id)))
        if set(levels) - known:
            raise Invalid(_("Choose the competences from the list."), code="competence")
        position = (_get_locked(Position, position_id, _("That position does not exist."))
                    if position_id else Position())
        taken = db.session.scalar(select(Position.id).where(func.lower(Position.name) == name.lower(),
                                                            Position.id != (position_id or 0)))
        if taken:
            raise Invalid(_("There is already a position named %(name)s.", name=name), code="duplicate")
    except (Invalid, NotAllowed) as error:
        refuse(error, action, actor, "training_position", position_id)
    before = None
    if position_id:
        before = {"name": position.name, "kind": position.kind,
                  "requirements": requirement_text({r.competence_id: r.level for r in position.requirements})}
    position.name, position.kind = name, kind
    db.session.add(position)
    kept = {r.competence_id: r for r in position.requirements}
    for cid, requirement in kept.items():
        if cid not in levels:
            position.requirements.remove(requirement)
        else:
            requirement.level = levels[cid]
    for cid, level in levels.items():
        if cid not in kept:
            position.requirements.append(PositionCompetence(competence_id=cid, level=level))
    db.session.flush()
    after = {"name": name, "kind": kind, "requirements": requirement_text(levels)}
    audit.record(action, actor=actor, subject_type="training_position", subject_id=position.id,
                 changes=audit.diff(before, after) or None)
    db.session.commit()
    return position


def holders() -> dict[int, int]:
    """{user id: position id} for everyone who holds a position."""
    return dict(db.session.execute(select(PersonPosition.user_id, PersonPosition.position_id)).all())


def assign_position(user_id: int, position_id: int | None, actor) -> PersonPosition | None:
    """Set (or with None clear) the position an ASN holds, as training sees it."""
    action = "training_position.assign"
    try:
        check_manager(actor)
        person = _get_locked(User, user_id, _("Choose an active account."))
        if not person.active:
            raise Invalid(_("Choose an active account."), code="person")
        position = db.session.get(Position, position_id) if position_id else None
        if position_id and position is None:
            raise Invalid(_("That position does not exist."), code="missing")
    except (Invalid, NotAllowed) as error:
        refuse(error, action, actor, "user", user_id)
    current = db.session.get(PersonPosition, person.id)
    before = current.position.name if current else None
    if position is None:
        if current is not None:
            db.session.delete(current)
        current = None
    elif current is None:
        current = PersonPosition(user_id=person.id, position_id=position.id)
        db.session.add(current)
    else:
        current.position_id = position.id
    after = position.name if position else None
    if before != after:
        audit.record(action, actor=actor, subject_type="user", subject_id=person.id,
                     comment=person.full_name, changes={"position": [before, after]})
    db.session.commit()
    return current
