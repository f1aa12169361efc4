"""Competence gaps and what closes them: a person's position requires competence levels, courses raise
competences and declare the position kinds they fit. Recommendations and the plan's needs both come
from here, so a course for another position level is never offered (a course that declares no position
kind is open to all).

A person's current level of a competence is the higher of the assessed level (`PersonCompetence`) and
the level reached by a verified course that raises it; the gap is the required level minus that.
"""
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import and_, exists, func, not_, or_, select
from sqlalchemy.orm import aliased

from ...extensions import db
from ...timeutil import today_wib
from ..models import (
    CLOSED_STATES,
    JP_TARGET,
    SEAT_STATES,
    Competence,
    Course,
    CourseCompetence,
    CoursePosition,
    Enrolment,
    PersonCompetence,
    PersonPosition,
    Position,
    PositionCompetence,
)
from .tally import jp_earned


@dataclass
class Gap:
    competence: Competence
    required: int
    current: int

    @property
    def size(self) -> int:
        return max(self.required - self.current, 0)


@dataclass
class Profile:
    """What training knows of one person: position (or None), gaps, JP earned this year."""
    user_id: int
    position: Position | None
    earned: int
    gaps: list[Gap] = field(default_factory=list)

    @property
    def position_kind(self) -> str | None:
        return self.position.kind if self.position else None

    @property
    def jp_gap(self) -> int:
        return max(JP_TARGET - self.earned, 0)


def fits_clause(position_kind: str | None):
    """SQL: the course fits this position kind (declares it, or declares none)."""
    declared = exists().where(CoursePosition.course_id == Course.id)
    if position_kind is None:
        return not_(declared)
    return or_(not_(declared), exists().where(CoursePosition.course_id == Course.id,
                                                CoursePosition.position_kind == position_kind))


def course_fits(course_kinds: set, position_kind: str | None) -> bool:
    """The same rule in Python, for courses whose declared kinds are already loaded."""
    return not course_kinds or (position_kind is not None and position_kind in course_kinds)


def profiles(user_ids, year: int) -> dict[int, Profile]:
    """Profiles of these people in a fixed number of statements."""
    ids = list(user_ids)
    if not ids:
        return {}
    positions = {pp.user_id: pp.position for pp in db.session.scalars(
        select(PersonPosition).where(PersonPosition.user_id.in_(ids)))}
    position_ids = {p.id for p in positions.values()}
    required: dict[int, list[PositionCompetence]] = {pid: [] for pid in position_ids}
    if position_ids:
        for req in db.session.scalars(select(PositionCompetence).where(
                PositionCompetence.position_id.in_(position_ids))):
            required[req.position_id].append(req)
    levels: dict[tuple, int] = {}
    for uid, cid, level in db.session.execute(select(PersonCompetence.user_id, PersonCompetence.competence_id,
                                                     PersonCompetence.level).where(PersonCompetence.user_id.in_(ids))):
        levels[uid, cid] = max(levels.get((uid, cid), 0), level)
    for uid, cid, level in db.session.execute(
            select(Enrolment.user_id, CourseCompetence.competence_id, func.max(CourseCompetence.level))
            .join(CourseCompetence, CourseCompetence.course_id == Enrolment.course_id)
            .where(Enrolment.user_id.in_(ids), Enrolment.state == "verified")
            .group_by(Enrolment.user_id, CourseCompetence.competence_id)):
        levels[uid, cid] = max(levels.get((uid, cid), 0), level)
    earned = jp_earned(ids, year)
    out = {}
    for uid in ids:
        position = positions.get(uid)
        gaps = [Gap(r.competence, r.level, levels.get((uid, r.competence_id), 0))
                for r in (required.get(position.id, []) if position else [])]
        gaps = sorted((g for g in gaps if g.size > 0), key=lambda g: (-g.size, g.competence.name))
        out[uid] = Profile(uid, position, earned[uid], gaps)
    return out


def course_facts(course_ids) -> tuple[dict[int, dict[int, int]], dict[int, set]]:
    """Per course: {competence id: level raised to} and the set of position kinds it declares."""
    ids = list(course_ids)
    raises = {cid: {} for cid in ids}
    kinds = {cid: set() for cid in ids}
    if ids:
        for cc in db.session.execute(select(CourseCompetence.course_id, CourseCompetence.competence_id,
                                            CourseCompetence.level).where(CourseCompetence.course_id.in_(ids))):
            raises[cc[0]][cc[1]] = cc[2]
        for course_id, kind in db.session.execute(select(CoursePosition.course_id, CoursePosition.position_kind)
                                                  .where(CoursePosition.course_id.in_(ids))):
            kinds[course_id].add(kind)
    return raises, kinds


def closes(profile: Profile, raises: dict[int, int]) -> int:
    """How many levels of the person's gaps the course closes."""
    return sum(min(raises.get(g.competence.id, 0), g.required) - g.current
               for g in profile.gaps if raises.get(g.competence.id, 0) > g.current)


CANDIDATES = 60  # open courses scored per recommendation


def recommended(user, limit: int = 4) -> list[Course]:
    """Open courses with a free seat that fit the person's position kind, not already taken (in any
    edition: the same title): first those closing the most of their competence gaps, then (while below
    the JP target) those whose JP best covers what is missing, then by enrolment deadline. A fixed
    number of statements."""
    today = today_wib()
    profile = profiles([user.id], today.year)[user.id]
    # what the person is in or has done, by title: another edition of a course already taken is no news
    edition = aliased(Course)
    mine = (select(edition.title).join(Enrolment, Enrolment.course_id == edition.id)
            .where(Enrolment.user_id == user.id, Enrolment.state.not_in(CLOSED_STATES)))
    taken = (select(Enrolment.course_id, func.count().label("n")).where(Enrolment.state.in_(SEAT_STATES))
             .group_by(Enrolment.course_id).subquery())
    stmt = (select(Course).outerjoin(taken, taken.c.course_id == Course.id)
            .where(Course.active.is_(True), Course.title.not_in(mine), fits_clause(profile.position_kind),
                   or_(Course.enrol_deadline.is_(None), Course.enrol_deadline >= today),
                   or_(Course.ends_on.is_(None), Course.ends_on >= today),
                   or_(Course.quota.is_(None), func.coalesce(taken.c.n, 0) < Course.quota))
            .order_by(Course.enrol_deadline.is_(None), Course.enrol_deadline, Course.id).limit(CANDIDATES))
    courses = list(db.session.scalars(stmt))
    raises, _kinds = course_facts(c.id for c in courses)

    def rank(pair):
        position, course = pair
        closed = closes(profile, raises[course.id])
        jp_fit = abs(profile.jp_gap - course.jp) if profile.jp_gap else 0
        return (-closed, jp_fit, position)

    return [c for _, c in sorted(enumerate(courses), key=rank)][:limit]


def plannable_courses(year: int) -> list[Course]:
    """Active courses a plan for `year` may name: dated within the year, or undated (self-paced)."""
    start, end = date(year, 1, 1), date(year, 12, 31)
    return list(db.session.scalars(select(Course).where(
        Course.active.is_(True),
        or_(and_(Course.starts_on.is_(None), Course.ends_on.is_(None)),
            and_(func.coalesce(Course.starts_on, Course.ends_on) >= start,
                 func.coalesce(Course.ends_on, Course.starts_on) <= end)))
        .order_by(Course.starts_on.is_(None), Course.starts_on, Course.id)))


def quarter_of(day: date | None) -> int | None:
    return None if day is None else (day.month - 1) // 3 + 1


def all_competences() -> list[Competence]:
    return list(db.session.scalars(select(Competence).order_by(Competence.kind, Competence.name)))


def save_course_targets(course: Course, raises: dict[int, int], position_kinds: set, fee: int | None, actor) -> None:
    """HR declares what a course raises (competence id -> level 1-5), the position kinds it fits (none:
    all) and its fee per participant in Rupiah. Refused (audited) on a level outside 1-5, an unknown
    competence or position kind, or a negative fee; audited with before and after."""
    from ...audit import record as audit
    from ...i18n import gettext as _
    from ...workflow import Invalid, NotAllowed
    from ..models import POSITION_KINDS
    from .common import refuse
    try:
        if not actor.has_role("hr"):
            raise NotAllowed(_("Only HR (Kepegawaian) manages the catalogue."), code="role")
        known = {c.id for c in all_competences()}
        if set(raises) - known or any(not 1 <= level <= 5 for level in raises.values()):
            raise Invalid(_("Choose a level from 1 to 5 for each competence the course raises."), code="level")
        if set(position_kinds) - set(POSITION_KINDS):
            raise Invalid(_("Choose the position kinds from the list."), code="position")
        if fee is not None and fee < 0:
            raise Invalid(_("The cost cannot be negative."), code="fee")
    except (Invalid, NotAllowed) as error:
        refuse(error, "training_course.targets", actor, "training_course", course.id)
    before_raises, before_kinds = course_facts([course.id])
    db.session.execute(CourseCompetence.__table__.delete().where(CourseCompetence.course_id == course.id))
    db.session.execute(CoursePosition.__table__.delete().where(CoursePosition.course_id == course.id))
    db.session.add_all(CourseCompetence(course_id=course.id, competence_id=cid, level=level)
                       for cid, level in sorted(raises.items()))
    db.session.add_all(CoursePosition(course_id=course.id, position_kind=kind) for kind in sorted(position_kinds))
    changes = {}
    if before_raises[course.id] != raises:
        changes["competences"] = [_levels(before_raises[course.id]), _levels(raises)]
    if before_kinds[course.id] != set(position_kinds):
        changes["positions"] = [",".join(sorted(before_kinds[course.id])), ",".join(sorted(position_kinds))]
    if course.fee != fee:
        changes["fee"] = [course.fee, fee]
    course.fee = fee
    audit.record("training_course.targets", actor=actor, subject_type="training_course", subject_id=course.id,
                 changes=changes or None)
    db.session.commit()


def _levels(raises: dict[int, int]) -> str:
    return ",".join(f"{cid}:{level}" for cid, level in sorted(raises.items()))
