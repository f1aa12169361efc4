"""The JP tally: hours of competence development credited per ASN and year."""

from sqlalchemy import func, select

from ...extensions import db
from ...timeutil import today_wib
from ..models import JP_TARGET, Course, Enrolment
from ..reconcile import CREDITED


def jp_earned(user_ids, year: int) -> dict[int, int]:
    rows = db.session.execute(
        select(Enrolment.user_id, func.coalesce(func.sum(Enrolment.jp_credited), 0))
        .where(Enrolment.user_id.in_(list(user_ids)), Enrolment.state == CREDITED,
               Enrolment.credited_year == year)
        .group_by(Enrolment.user_id)).all()
    earned = dict.fromkeys(user_ids, 0)
    earned.update({user_id: int(total) for user_id, total in rows})
    return earned


# done, but not yet counted: HR still verifies the evidence, or the certificate still awaits its signature
PENDING_STATES = ("completed", "awaiting_certificate")


def jp_pending(enrolments, year: int) -> int:
    """The JP of the ASN's finished trainings that do not count yet and will count in `year` (a certificate
    dated last year counts there), as crediting will give them."""
    return sum(e.jp_to_credit for e in enrolments
               if e.state in PENDING_STATES and (e.year_to_credit or year) == year)


def tally(user, year: int | None = None) -> int:
    year = year or today_wib().year
    return jp_earned([user.id], year)[user.id]


def kinds_earned(user_ids, year: int) -> dict[int, set]:
    rows = db.session.execute(
        select(Enrolment.user_id, Course.kind).join(Course, Course.id == Enrolment.course_id)
        .where(Enrolment.user_id.in_(list(user_ids)), Enrolment.state == CREDITED,
               Enrolment.credited_year == year).distinct()).all()
    kinds = {user_id: set() for user_id in user_ids}
    for user_id, kind in rows:
        kinds[user_id].add(kind)
    return kinds


def percent(jp: int) -> int:
    return min(100, round(100 * jp / JP_TARGET)) if JP_TARGET else 100



def jp_pending_elsewhere(enrolments, year: int) -> dict[int, int]:
    """{other year: JP} of the finished trainings that will count in another year than `year` (a certificate
    dated last December, reported in January): the page says where they go, not nothing."""
    found: dict[int, int] = {}
    for e in enrolments:
        other = e.year_to_credit
        if e.state in PENDING_STATES and other and other != year:
            found[other] = found.get(other, 0) + e.jp_to_credit
    return dict(sorted(found.items()))
