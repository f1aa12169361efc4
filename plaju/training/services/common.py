"""What the sections of training's services share: refusing with an audit trace, locking a course."""

from sqlalchemy import select

from ...audit import record as audit
from ...database import is_postgres
from ...extensions import db
from ..models import Course

STAFF = ("hr", "camat", "sekcam", "admin")


def refuse(error, action: str, actor, subject_type: str = "enrolment", subject_id=None):
    """Leave one 'refused' trace of an action that is not a workflow step, then raise."""
    db.session.rollback()
    audit.record_alone(action, actor=actor, outcome="refused", subject_type=subject_type,
                       subject_id=subject_id, comment=f"[{error.code}] {error.message}")
    raise error


def lock_course(course_id: int) -> Course:
    stmt = select(Course).where(Course.id == course_id).execution_options(populate_existing=True)
    if is_postgres():
        stmt = stmt.with_for_update()
    return db.session.scalars(stmt).one()

