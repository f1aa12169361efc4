"""The course catalogue: seats per course, recommendations (services.competences), and HR's courses,
modules and quiz questions."""

from datetime import date

from flask import url_for
from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import joinedload

from ... import edits, once
from ...audit import record as audit
from ...audit import vocabulary
from ...extensions import db
from ...i18n import date_text
from ...i18n import gettext as _
from ...notify.service import notify
from ...workflow import Conflict, Invalid
from ..models import SEAT_STATES, Course, Enrolment, Module, QuizQuestion
from ..workflow import deadline_passed
from ..workflow.queries import course_over
from .common import lock_course, refuse
from .competences import recommended  # noqa: F401  (the one recommendation rule)


def may_see_course(course: Course, user) -> bool:
    """A course's catalogue page: open to everyone while it is offered; a retired one to HR and to whoever
    enrolled in it (where and when it was is still theirs to read); training reported from outside the
    catalogue only to HR."""
    if course.active or user.has_role("hr"):
        return True
    return not course.external and db.session.scalar(select(Enrolment.id).where(
        Enrolment.course_id == course.id, Enrolment.user_id == user.id).limit(1)) is not None


def seats_taken_by_course(course_ids) -> dict[int, int]:
    """Seats taken per course, for a page of courses in one grouped statement."""
    ids = list(course_ids)
    taken = dict.fromkeys(ids, 0)
    if ids:
        taken.update(db.session.execute(
            select(Enrolment.course_id, func.count()).where(Enrolment.course_id.in_(ids),
                                                            Enrolment.state.in_(SEAT_STATES))
            .group_by(Enrolment.course_id)).all())
    return taken


def seats_left_by_course(courses) -> dict[int, int | None]:
    """Like `seats_left()` for every course of a page: free seats, or None without a quota."""
    taken = seats_taken_by_course(c.id for c in courses if c.quota is not None)
    return {c.id: None if c.quota is None else max(c.quota - taken[c.id], 0) for c in courses}


COURSE_FIELDS = ("title", "description", "kind", "method", "jp", "provider", "starts_on", "ends_on", "place",
                 "link", "quota", "enrol_deadline", "routine", "pass_mark", "quiz_max_attempts",
                 "quiz_retry_wait_minutes", "quiz_before_modules", "active", "internal", "organiser_id",
                 "certificate_signer_id", "min_attendance")
# who may sign the office's certificates: those who hold a signing certificate (plaju.letters.demo)
SIGNER_ROLES = ("camat", "sekcam")


def organiser_choices(kept: int | None = None) -> list:
    """Whom the course form offers as organiser: on a page, the people the signed-in user may name
    (`rules.trusted_offices`) and the one already recorded; a POST is the service's to refuse, and audit."""
    from flask import request
    from flask_login import current_user

    from ...accounts import rules
    from ...accounts.models import User, UserRole
    offered = User.active.is_(True)
    offices = rules.trusted_offices(current_user) if request.method == "GET" else None
    if offices is not None:
        offered &= User.id.in_(select(UserRole.user_id).where(UserRole.role.in_(offices)))
    if kept:
        offered |= User.id == kept
    return list(db.session.scalars(select(User).where(offered).order_by(User.full_name, User.id)))


def signer_choices() -> list:
    from ...accounts.models import User, UserRole
    return list(db.session.scalars(select(User).join(UserRole, UserRole.user_id == User.id).where(
        User.active.is_(True), UserRole.role.in_(SIGNER_ROLES)).distinct().order_by(User.full_name, User.id)))


def save_course(course: Course | None, values: dict, actor, once_token: str | None = None,
                seen: str | None = None) -> Course:
    """Create (course=None) or update a course. With `once_token` a second post of the same "new course"
    form raises once.AlreadyDone with the first course's page; `seen` is the course_stamp the edit form
    showed (a form opened before a later save is refused, not saved over it)."""
    creating = course is None
    token = once.claim_if_given(actor, once_token) if creating else None
    if not creating:
        course = lock_course(course.id)  # a save at the same moment waits, then reads what that one saved
        db.session.refresh(course)
        _check_edit(course, values, actor, seen)
    _check_organiser(course, values.get("organiser_id"), actor)
    course = course or Course()
    before = None if creating else audit.snapshot(course, COURSE_FIELDS)
    for name in COURSE_FIELDS:
        setattr(course, name, values.get(name))
    if creating:
        db.session.add(course)
    db.session.flush()
    if token is not None:
        once.complete(token, url_for("training.course_edit", course_id=course.id))
    audit.record("training_course.create" if creating else "training_course.update", actor=actor,
                 subject_type="training_course", subject_id=course.id,
                 changes=audit.diff(before, audit.snapshot(course, COURSE_FIELDS)) or None)
    if not creating:
        _tell_participants(course, before, actor)  # in the save's transaction: told exactly when it is saved
    db.session.commit()
    return course


# what a participant goes by to attend (when, where, the online link, still offered): told when it changes
ATTENDING_FACTS = ("starts_on", "ends_on", "place", "link", "active")
# enrolments still to be attended: not declined, withdrawn or finished
STILL_TO_ATTEND = ("requested", "approved", "in_progress")


def withdrawn_while_enrolled(enrolment: Enrolment) -> bool:
    """The course was taken out of the catalogue while `enrolment` is still to be attended: its page says so."""
    course = enrolment.course
    return not course.active and not course.external and enrolment.state in STILL_TO_ATTEND


def _tell_participants(course: Course, before: dict, actor) -> None:
    """Everyone still to attend `course` hears what changed of ATTENDING_FACTS (old -> new), or that it is
    no longer offered. Their enrolments stay as they are: a course taken out of the catalogue may still take
    place for those already in it; whoever will not attend withdraws (the enrolment's own `withdraw` step)."""
    changed = [name for name in ATTENDING_FACTS if (before[name] or None) != (getattr(course, name) or None)]
    if not changed:
        return
    enrolments = db.session.scalars(select(Enrolment).where(
        Enrolment.course_id == course.id, Enrolment.state.in_(STILL_TO_ATTEND))
        .options(joinedload(Enrolment.user))).all()

    def shown(value) -> str:
        return _("none") if value in (None, "") else date_text(value) if isinstance(value, date) else str(value)

    lines = [f"{vocabulary.field_label('training_course', name)}: {shown(before[name])} → "
             f"{shown(getattr(course, name))}" for name in changed if name != "active"]
    if lines:
        lines.insert(0, _("HR (Kepegawaian) changed \"%(title)s\", in which you are enrolled:", title=course.title))
    subject = _("Course changed: %(title)s", title=course.title)
    if "active" in changed and not course.active:
        subject = _("Course no longer offered: %(title)s", title=course.title)
        lines.insert(0, _("HR (Kepegawaian) took \"%(title)s\" out of the catalogue. Your enrolment is not "
                          "changed by this: ask HR whether the course still takes place for those enrolled; if you "
                          "will not attend it, withdraw your enrolment on its page.", title=course.title))
    elif "active" in changed:
        subject = _("Course offered again: %(title)s", title=course.title)
        lines.insert(0, _("\"%(title)s\" is offered in the catalogue again.", title=course.title))
    body = "\n".join(lines)
    for enrolment in enrolments:
        if enrolment.user.active and enrolment.user_id != actor.id:  # whoever saved it knows
            notify(enrolment.user, subject, body, url=url_for("training.enrolment", enrolment_id=enrolment.id),
                   subject_type="enrolment", subject_id=enrolment.id)


def course_stamp(course: Course) -> str:
    """A fingerprint of the course as its edit form shows it."""
    return edits.stamp(audit.snapshot(course, COURSE_FIELDS))


def _check_edit(course: Course, values: dict, actor, seen: str | None) -> None:
    if seen is not None and course_stamp(course) != seen:
        refuse(Conflict(edits.changed_since("training_course", course.id,
                                            ("training_course.create", "training_course.update"))),
               "training_course.update", actor, "training_course", course.id)
    # people enrolled for the course as it stated itself, and are credited and completed by it: changing
    # how (its JP, its method, who runs and signs it, its dates) would change what their training counts,
    # HR's own included (a classroom course turned into the office's e-learning needed no certificate);
    # once credited, its title and provider are part of their records and certificates
    _refuse_if_held(course, values, actor, FIXED_ONCE_ENROLLED, Enrolment.state.not_in(("declined", "withdrawn")),
                    lambda n, fields: _("Once people are enrolled (%(n)s), what their training counts by cannot "
                                        "change: %(fields)s. For other terms, add a new course.", n=n, fields=fields))
    _refuse_if_held(course, values, actor, FIXED_ONCE_CREDITED, Enrolment.state == "verified",
                    lambda n, fields: _("JP have been credited for this course (%(n)s people): its %(fields)s are "
                                        "part of their records and certificates and cannot change.", n=n,
                                        fields=fields))


def _refuse_if_held(course: Course, values: dict, actor, fields, holding, said) -> None:
    """Refuse (audited) a change of any of `fields` while enrolments matching `holding` hold the course;
    `said(n, fields)` words the refusal."""
    changed = [name for name in fields if (values.get(name) or None) != (getattr(course, name) or None)]
    if not changed:
        return
    held = db.session.scalar(select(func.count()).select_from(Enrolment).where(
        Enrolment.course_id == course.id, holding))
    if held:
        names = ", ".join(vocabulary.field_label("training_course", name) for name in changed)
        refuse(Invalid(said(held, names), code="fixed"),
               "training_course.update", actor, "training_course", course.id)


def _check_organiser(course: Course | None, organiser_id: int | None, actor) -> None:
    """The organiser records attendance and closes the course, which puts its certificates to the signer: HR
    names one who holds an office (`rules.trusted_offices`), never an account HR could sign in as."""
    from ...accounts import rules
    from ...workflow import NotAllowed
    current = course.organiser_id if course is not None else None
    if organiser_id and organiser_id != current and not rules.holds_trusted_office(actor, organiser_id):
        db.session.rollback()
        refuse(NotAllowed(_("Only the administrator names an organiser who holds no office (Camat, Sekcam or "
                            "Kasi): the organiser records attendance and closes the course. Choose one who "
                            "does, or leave it to HR.")),
               "training_course.update" if course is not None else "training_course.create", actor,
               "training_course", course.id if course is not None else None)


# what an enrolment is credited and completed by: fixed once anyone is enrolled
FIXED_ONCE_ENROLLED = ("jp", "kind", "method", "internal", "routine", "starts_on", "ends_on", "pass_mark",
                       "min_attendance", "organiser_id", "certificate_signer_id")
# what a credited training is recorded as (the history SIASN takes, the signed certificate): fixed once credited
FIXED_ONCE_CREDITED = ("title", "provider")


def add_module(course: Course, values: dict, actor, stored=None, once_token: str | None = None) -> Module:
    token = once.claim_if_given(actor, once_token)
    position = len(course.modules) + 1
    module = Module(course=course, position=position, title=values["title"], kind=values["kind"],
                    body=values.get("body") or "", url=values.get("url") or "",
                    file_name=stored.name if stored else None,
                    file_original=stored.original_name if stored else None)
    db.session.add(module)
    db.session.flush()
    if token is not None:
        once.complete(token, url_for("training.course_edit", course_id=course.id) + "#modules")
    audit.record("training_course.module_add", actor=actor, subject_type="training_course",
                 subject_id=course.id, changes={"module": [None, module.title]})
    db.session.commit()
    return module


def add_question(course: Course, text: str, choices: list[str], answer: int, actor,
                 once_token: str | None = None) -> QuizQuestion:
    token = once.claim_if_given(actor, once_token)
    question = QuizQuestion(course=course, position=len(course.questions) + 1, text=text,
                            choices="\n".join(choices), answer=answer)
    db.session.add(question)
    if token is not None:
        once.complete(token, url_for("training.course_edit", course_id=course.id) + "#quiz")
    audit.record("training_course.question_add", actor=actor, subject_type="training_course",
                 subject_id=course.id, changes={"question": [None, text]})
    db.session.commit()
    return question



def catalogue_query(today):
    """The catalogue's courses (never those reported from outside it): open ones with a free seat first,
    then closed ones (no longer offered, enrolment deadline passed, or full), each by deadline. The
    seats are counted in a grouped subquery, so a page stays one statement."""
    taken = (select(Enrolment.course_id, func.count().label("n")).where(Enrolment.state.in_(SEAT_STATES))
             .group_by(Enrolment.course_id).subquery())
    closed = or_(Course.active.is_(False),
                 and_(Course.enrol_deadline.is_not(None), Course.enrol_deadline < today),
                 func.coalesce(Course.ends_on, Course.starts_on) < today,  # over: NULL (no dates) is not
                 and_(Course.quota.is_not(None), func.coalesce(taken.c.n, 0) >= Course.quota))
    return (select(Course).outerjoin(taken, taken.c.course_id == Course.id).where(Course.external.is_(False))
            .order_by(case((closed, 1), else_=0), Course.enrol_deadline.is_(None), Course.enrol_deadline,
                      Course.title, Course.id))


def is_closed(course, seats_left) -> bool:
    """The same rule for one course on the page: no longer offered, deadline passed, over, or no seat left."""
    return not course.active or deadline_passed(course) or course_over(course) or seats_left == 0
