"""What the sections of training's services share: refusing with an audit trace, locking a course."""


from ...audit import record as audit
from ...database import lock_row
from ..models import Course

STAFF = ("hr", "camat", "sekcam", "admin")


def refuse(error, action: str, actor, subject_type: str = "enrolment", subject_id=None, changes=None):
    """Leave one 'refused' trace of an action that is not a workflow step, then raise."""
    audit.refused(action, error=error, actor=actor, subject_type=subject_type, subject_id=subject_id,
                  changes=changes)
    raise error


def lock_course(course_id: int) -> Course:
    return lock_row(Course, course_id)

