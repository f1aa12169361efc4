"""How the history pages and the audit log word the training area's events: the verbs of its actions
(the steps of both workflows and the services' own events), the labels of the fields they change, the
names of their subjects, and which events are about a person HR searches for (plaju.audit.sentences)."""
from sqlalchemy import select

from ...accounts.models import User
from ...audit import vocabulary
from ...extensions import db
from ...i18n import gettext as _
from ...i18n import lazy_gettext as _l
from ..models import FUNDING, POSITION_KINDS, QUARTERS, Competence, Course, Enrolment, Plan

# how the history and the audit list say what happened (plaju.audit.sentences)
vocabulary.describe_actions({
    "enrolment.request": _l("requested a place on the course"),
    "enrolment.nominate": _l("nominated an ASN for the course"),
    "enrolment.approve": _l("approved the enrolment"),
    "enrolment.decline": _l("declined the enrolment"),
    "enrolment.sign_off": _l("signed off the enrolment"),
    "enrolment.sign_off_routine": _l("signed off the enrolment (routine course)"),
    "enrolment.refuse_sign_off": _l("declined the sign-off"),
    "enrolment.refuse_sign_off_routine": _l("declined the sign-off (routine course)"),
    "enrolment.complete": _l("reported the course completed"),
    "enrolment.complete_elearning": _l("finished the e-learning"),
    "enrolment.complete_internal_elearning": _l("finished the office's own e-learning (its certificate follows)"),
    "enrolment.attendance_met": _l("closed the course at the minimum attendance"),
    "enrolment.sign_certificate": _l("signed the certificate"),
    "enrolment.certificate_replaced": _l("replaced the certificate with a corrected one"),
    "training_course.attendance": _l("recorded attendance"),
    "training_course.close": _l("closed the course's attendance"),
    "enrolment.verify": _l("verified the completion and credited the JP"),
    "enrolment.verify_twin": _l("credited the JP of a certificate recorded on another enrolment too"),
    "enrolment.return_evidence": _l("returned the evidence"),
    "enrolment.withdraw": _l("withdrew from the course"),
    "enrolment.withdraw_report": _l("withdrew the report of training outside the catalogue"),
    "enrolment.mark_not_completed": _l("marked the course as not completed"),
    "enrolment.withdraw_credit": _l("withdrew the credited JP"),
    "enrolment.module_done": _l("finished a module"),
    "enrolment.quiz": _l("took the quiz"),
    "enrolment.report_external": _l("reported training outside the catalogue"),
    "training_course.create": _l("added a course to the catalogue"),
    "training_course.update": _l("changed a course"),
    "training_course.module_add": _l("added a module"),
    "training_course.question_add": _l("added a quiz question"),
    "training_plan.create": _l("drafted the plan"),
    "training_plan.submit": _l("submitted the plan to the Camat"),
    "training_plan.approve": _l("approved the plan"),
    "training_plan.return": _l("returned the plan with notes"),
    "training_plan.cancel": _l("cancelled the draft plan"),
    "training_plan.amend": _l("started an amendment of the plan"),
    "training_plan.item_add": _l("added a planned activity"),
    "training_plan.item_remove": _l("removed a planned activity"),
})
vocabulary.describe_fields({
    "approved_by_id": _l("Approved by"), "signed_by_id": _l("Signed off by"), "evidence": _l("Evidence"),
    "evidence_sha256": _l("Evidence fingerprint"), "twins": _l("Same certificate also recorded for"),
    "quiz_score": _l("Quiz score"), "attempt": _l("Score of this attempt"), "attempts": _l("Quiz attempts used"),
    "jp_credited": _l("JP credited"),
    "credited_year": _l("Year credited"), "notes": _l("Notes"), "supersedes": _l("Replaces plan"),
    "course": _l("Course"), "asn": _l("ASN"), "module": _l("Module"), "question": _l("Question"),
    "items": _l("Planned activities"), "item": _l("Planned activity"), "amends": _l("Amends plan"),
    "title": _l("Title"), "certificate_number": _l("Certificate number"),
    "certificate_date": _l("Date on the certificate"), "certificate_issuer": _l("Issued by"),
    "certificate_jp": _l("JP as printed"),
    "attendance": _l("Attendance"), "day": _l("Day"), "present": _l("Present"), "taken_off": _l("Taken off the day"),
    "password_setter_id": _l("Set the ASN's password shortly before (does not verify it)"),
    "credited_to": _l("JP credited to"),
}, users=("approved_by_id", "signed_by_id", "password_setter_id", "credited_to"))


def _numbers(ids) -> list[int]:
    return [int(i) for i in ids if (str(i).isascii() and str(i).isdigit())]


def _enrolment_names(ids) -> dict:
    rows = db.session.execute(
        select(Enrolment.id, Course.title, User.full_name).join(Course, Course.id == Enrolment.course_id)
        .join(User, User.id == Enrolment.user_id).where(Enrolment.id.in_(_numbers(ids))))
    return {str(i): f"{title} · {name}" for i, title, name in rows}


def _plan_names(ids) -> dict:
    from ...accounts.models import Unit
    rows = db.session.execute(select(Plan.id, Unit.name, Plan.year, Plan.revision)
                              .join(Unit, Unit.id == Plan.unit_id).where(Plan.id.in_(_numbers(ids))))
    return {str(i): _("Plan %(unit)s %(year)s", unit=unit, year=year) + (f" (rev. {rev})" if rev > 1 else "")
            for i, unit, year, rev in rows}


def _course_names(ids) -> dict:
    rows = db.session.execute(select(Course.id, Course.title).where(Course.id.in_(_numbers(ids))))
    return {str(i): title for i, title in rows}


vocabulary.describe_fingerprint("evidence_sha256")
vocabulary.describe_subjects("enrolment", _enrolment_names, url_arg="enrolment_id")
vocabulary.describe_subjects("training_plan", _plan_names, url_arg="plan_id")
vocabulary.describe_subjects("training_course", _course_names, url_arg="course_id")
# the whole office's training history exported (for SIASN): one subject, no row of its own
vocabulary.describe_subjects("office", lambda ids: {i: str(_("The whole office")) for i in ids})


def _about_people(ids):
    """The training objects whose subject is one of these ASN (`ids`, a SELECT of user ids): their
    enrolments, the plans that name them in a planned activity, and the courses they are enrolled in (the
    attendance their certificate rests on is recorded per course day)."""
    from sqlalchemy import literal, union_all

    from ..models import PlanItem
    return union_all(select(literal("enrolment"), Enrolment.id).where(Enrolment.user_id.in_(ids)),
                     select(literal("training_plan"), PlanItem.plan_id).where(PlanItem.user_id.in_(ids)).distinct(),
                     select(literal("training_course"), Enrolment.course_id).where(Enrolment.user_id.in_(ids))
                     .distinct())


# /audit/ finds an ASN's training events when HR searches the person (as subject, not only as actor)
vocabulary.describe_people_objects(_about_people)


def _enrolments_by_certificate(number: str) -> list[tuple[str, str]]:
    """/audit/'s number box also takes a certificate's number as an ASN reported it (a training outside the
    catalogue, a course's STTPP), in any spelling (`evidence.number_key`: "No. 800-BPSDM-2026-1" is
    "800/BPSDM/2026/001"): its enrolment's events. One probe of the key's index."""
    from ..evidence import number_key
    key = number_key(number)[:200]
    if not key:
        return []
    return [("enrolment", str(i)) for i in db.session.scalars(
        select(Enrolment.id).where(Enrolment.certificate_number_key == key))]


vocabulary.describe_search("code", _enrolments_by_certificate)
vocabulary.describe_number("enrolment", _l("certificate number"))


# what HR's "kind of action" choice of /audit/ calls each of the area's kinds
vocabulary.describe_kind("enrolment", _l("Training enrolments"))
vocabulary.describe_kind("training_course", _l("Course catalogue"))
vocabulary.describe_kind("training_plan", _l("Competence development plan"))
vocabulary.describe_kind("training_history", _l("Training history"))

# competences, plan exports and the training history (services.competences, services.history)
vocabulary.describe_actions({
    "training_course.targets": _l("set the competences, positions and fee of a course"),
    "training_plan.export": _l("downloaded the plan"),
    "training_history.export": _l("downloaded a training history"),
    "enrolment.view_evidence": _l("opened someone's certificate file"),
})
vocabulary.describe_data_access("enrolment.view_evidence")


def _column_names(value) -> str:
    """The columns of an exported training history ("nip,name"), by the names its header gives them."""
    from ..services.history import COLUMNS
    return ", ".join(str(COLUMNS[key].label) if key in COLUMNS else key for key in str(value or "").split(",") if key)


vocabulary.describe_fields({"columns": _l("Columns")})
vocabulary.describe_format("columns", _column_names)


def _rupiah(amount) -> str:
    from ..views.common import rupiah  # the catalogue's own way of writing Rupiah; views import this module
    return rupiah(amount) if isinstance(amount, int) or str(amount).isdigit() else str(amount)


def _quarter(value) -> str:
    return str(QUARTERS.get(value, value))


def _plan_item_text(value) -> str:
    """A planned activity in words: "Nama: Bimtek SIAK · 8 JP · TW III (Jul-Sep) · Rp 900.000 · APBD". Events
    before it was a record hold a text, shown as it is."""
    if not isinstance(value, dict):
        return str(value)
    who = value.get("person") or f"{value.get('group_label')} ({value.get('participants')})"
    quarter = _quarter(value["quarter"]) if value.get("quarter") else "-"
    return " · ".join((f"{who}: {value.get('title')}", f"{value.get('planned_jp')} JP", quarter,
                       _rupiah(value.get("cost") or 0), str(FUNDING.get(value.get("funding"), value.get("funding")))))


def _competence_levels(values) -> dict:
    """The competences a course raises as its events keep them ("7:3,1:2": competence id and level), by name:
    {"7:3,1:2": "Pelayanan publik (level 3), Kinerja (level 2)"}, one statement for all the values shown."""
    pairs = {value: [part.partition(":") for part in str(value).split(",") if part] for value in values}
    names = {str(i): name for i, name in db.session.execute(select(Competence.id, Competence.name).where(
        Competence.id.in_(_numbers(cid for found in pairs.values() for cid, _sep, _level in found))))}
    return {value: ", ".join(f"{names.get(cid, cid)} ({_('level %(n)s', n=level)})" for cid, _sep, level in found)
            for value, found in pairs.items()}


# a plan's activities as HR reads them: whom by name (events before names were kept: ids, named now), the
# form's labels, codes and amounts in words
vocabulary.describe_fields({
    "person": _l("Person"), "user_id": _l("Person"), "group_label": _l("Group"), "participants": _l("Participants"),
    "course_id": _l("Course"), "kind": _l("Competence kind"), "planned_jp": _l("JP planned"),
    "quarter": _l("Quarter"), "cost": _l("Cost"), "funding": _l("Funding source"),
}, users=("user_id",), named={"course_id": _course_names}, subject_type="training_plan")
vocabulary.describe_values("funding", FUNDING, subject_type="training_plan")
vocabulary.describe_format("item", _plan_item_text)
vocabulary.describe_format("quarter", _quarter)
vocabulary.describe_format("cost", _rupiah)
# what save_course_targets records of a course: the competences it raises, the position kinds it fits, its fee
vocabulary.describe_fields({"competences": _l("Competences raised"), "positions": _l("Kind of position"),
                            "fee": _l("Fee per participant")}, named={"competences": _competence_levels},
                           subject_type="training_course")
vocabulary.describe_values("positions", {**POSITION_KINDS, "": _l("every kind of position")},
                           subject_type="training_course")
vocabulary.describe_format("fee", _rupiah)
# the position training gives a person, told apart from the account's own (both events are about the account)
vocabulary.describe_fields({"position": _l("Competence position")}, action="training_position.assign")
