from flask_wtf.file import FileField
from wtforms import BooleanField, DateField, HiddenField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import URL, DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError

from ..accounts.models import User
from ..extensions import db
from ..forms import PlajuForm
from ..i18n import date_text
from ..i18n import lazy_gettext as _l
from ..once import OnceForm
from .models import DEFAULT_QUIZ_MAX_ATTEMPTS, DEFAULT_QUIZ_RETRY_WAIT, FUNDING, KINDS, METHODS, MODULE_KINDS, QUARTERS


def _person_id(value):
    """A person chosen in a select: their id, 0 for the default entry (also when nothing was sent)."""
    if isinstance(value, int):
        return value
    text = str(value or "").strip()
    return int(text) if (text.isascii() and text.isdigit()) and len(text) <= 9 else -1


def _choices(mapping):
    return [SelectChoice(code, label) for code, label in mapping.items()]


MAX_YEARS_AHEAD = 2  # a course is planned at most this far ahead: 9999-12-30 was a typo, saved


def _within_reach(field) -> None:
    from ..timeutil import today_wib
    today = today_wib()
    leap_day = (today.month, today.day) == (2, 29)  # two years on there is none: the 28th
    last = today.replace(year=today.year + MAX_YEARS_AHEAD, day=28 if leap_day else today.day)
    if field.data and field.data > last:
        raise ValidationError(_l("%(day)s is more than %(n)s years ahead (at most %(last)s): check the year.",
                                 day=date_text(field.data), n=MAX_YEARS_AHEAD, last=date_text(last)))


class CourseForm(PlajuForm):
    seen = HiddenField()  # catalogue.course_stamp as the form showed the course
    title = StringField(_l("Title"), validators=[DataRequired(_l("Enter a title.")), Length(max=200)])
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=5000)])
    kind = SelectField(_l("Competence kind"), choices=_choices(KINDS))
    method = SelectField(_l("Method"), choices=_choices(METHODS))
    jp = IntegerField(_l("JP (45-minute lessons)"), validators=[
        InputRequired(_l("Enter the JP.")), NumberRange(min=0, max=500, message=_l("JP must be 0 to 500."))])
    provider = StringField(_l("Provider"), validators=[Optional(), Length(max=120)],
                           description=_l("e.g. BPSDM Sumsel, LAN, internal"))
    starts_on = DateField(_l("Starts on"), validators=[Optional()])
    ends_on = DateField(_l("Ends on"), validators=[Optional()])
    place = StringField(_l("Place"), validators=[Optional(), Length(max=200)])
    link = StringField(_l("Link"), validators=[Optional(), URL(message=_l("Enter a full web address.")),
                                                Length(max=300)])
    quota = IntegerField(_l("Quota (seats)"), validators=[
        Optional(), NumberRange(min=0, max=10000, message=_l("The quota must be 0 or more."))],
        description=_l("Leave empty for no limit."))
    enrol_deadline = DateField(_l("Enrolment deadline"), validators=[Optional()])
    routine = BooleanField(_l("Routine course (a Plh/Plt of the Camat may sign off)"))
    pass_mark = IntegerField(_l("Quiz pass mark (%)"), validators=[
        Optional(), NumberRange(min=0, max=100, message=_l("The pass mark is 0 to 100."))])
    quiz_max_attempts = IntegerField(_l("Quiz attempts before a wait"), default=DEFAULT_QUIZ_MAX_ATTEMPTS,
                                     validators=[
        InputRequired(_l("Enter the number of quiz attempts.")),
        NumberRange(min=1, max=20, message=_l("The number of attempts is 1 to 20."))])
    quiz_retry_wait_minutes = IntegerField(_l("Wait after the last attempt (minutes)"),
                                           default=DEFAULT_QUIZ_RETRY_WAIT, validators=[
        InputRequired(_l("Enter the waiting time in minutes.")),
        NumberRange(min=1, max=10080, message=_l("The waiting time is 1 to 10080 minutes (7 days)."))])
    quiz_before_modules = BooleanField(_l("The quiz may be taken before every module is done"))
    active = BooleanField(_l("Offered in the catalogue"), default=True)
    internal = BooleanField(_l("The office runs this course and issues its certificate"))
    organiser_id = SelectField(_l("Organiser (records attendance)"), coerce=_person_id, validate_choice=False,
                               default=0)
    certificate_signer_id = SelectField(_l("Signs the certificates"), coerce=_person_id, validate_choice=False,
                                        default=0)
    min_attendance = IntegerField(_l("Minimum attendance (%)"), validators=[
        Optional(), NumberRange(min=1, max=100, message=_l("The minimum attendance is 1 to 100 percent."))],
        description=_l("Classroom courses; empty: 80%."))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from .services.catalogue import organiser_choices, signer_choices
        course = kwargs.get("obj")
        self.organiser_id.choices = [SelectChoice(0, _l("HR (Kepegawaian)"))] + [
            SelectChoice(u.id, u.full_name)
            for u in organiser_choices(kept=course.organiser_id if course is not None else None)]
        self.certificate_signer_id.choices = [SelectChoice(0, _l("The Camat (or his Plh/Plt)"))] + [
            SelectChoice(u.id, f"{u.full_name} ({u.position})" if u.position else u.full_name)
            for u in signer_choices()]

    def validate_organiser_id(self, field):
        if field.data and field.data not in {c.value for c in field.choices}:
            raise ValidationError(_l("Not a valid choice."))
        # four eyes: the organiser attests the attendance the certificate rests on (the step keeps whoever did
        # from signing it; here the course is not set up so that nobody else could)
        signer = self.certificate_signer_id.data
        organiser = db.session.get(User, field.data) if field.data else None
        if organiser is not None and (organiser.id == signer or not signer and organiser.has_role("camat")):
            raise ValidationError(_l("%(name)s would both attest attendance as organiser and sign the certificates: "
                                     "one person checks the other (four-eyes rule). Choose another organiser or "
                                     "another signer.", name=organiser.full_name))

    def validate_certificate_signer_id(self, field):
        if field.data and field.data not in {c.value for c in field.choices}:
            raise ValidationError(_l("Not a valid choice."))

    def validate_starts_on(self, field):
        _within_reach(field)

    def validate_ends_on(self, field):
        _within_reach(field)
        if field.data and self.starts_on.data and field.data < self.starts_on.data:
            raise ValidationError(_l("The end date is before the start date."))

    def validate_jp(self, field):
        """A course with dates holds at most MAX_JP_PER_DAY a day: a one-day course of 500 JP was saved."""
        from .evidence import MAX_JP_PER_DAY
        start, end = self.starts_on.data, self.ends_on.data or self.starts_on.data
        if field.data and start and end and end >= start and field.data > ((end - start).days + 1) * MAX_JP_PER_DAY:
            raise ValidationError(_l("%(jp)s JP is more than the course's %(days)s days hold (at most %(max)s JP a "
                                     "day, 45 minutes each).", jp=field.data, days=(end - start).days + 1,
                                     max=MAX_JP_PER_DAY))

    def validate_enrol_deadline(self, field):
        _within_reach(field)
        last = self.ends_on.data or self.starts_on.data
        if field.data and last and field.data > last:
            raise ValidationError(_l("The enrolment deadline is after the course's last day (%(day)s).",
                                     day=date_text(last)))

    def values(self) -> dict:
        return {name: (getattr(self, name).data.strip() if isinstance(getattr(self, name).data, str)
                       else getattr(self, name).data)
                for name in ("title", "description", "kind", "method", "jp", "provider", "starts_on", "ends_on",
                             "place", "link", "quota", "enrol_deadline", "routine", "pass_mark", "quiz_max_attempts",
                             "quiz_retry_wait_minutes", "quiz_before_modules", "active", "internal",
                             "min_attendance")} | {
            "organiser_id": self.organiser_id.data or None,
            "certificate_signer_id": self.certificate_signer_id.data or None}


class ModuleForm(OnceForm):
    title = StringField(_l("Module title"), validators=[DataRequired(_l("Enter a title.")), Length(max=200)])
    kind = SelectField(_l("Kind"), choices=_choices(MODULE_KINDS))
    body = TextAreaField(_l("Text"), validators=[Optional(), Length(max=20000)])
    url = StringField(_l("External link"), validators=[Optional(), URL(message=_l("Enter a full web address.")),
                                                        Length(max=300)])
    file = FileField(_l("PDF file"))

    def validate_body(self, field):
        if self.kind.data == "text" and not (field.data or "").strip():
            raise ValidationError(_l("Write the text of the module."))

    def validate_url(self, field):
        if self.kind.data == "link" and not (field.data or "").strip():
            raise ValidationError(_l("Enter the link of the module."))


class QuestionForm(OnceForm):
    text = StringField(_l("Question"), validators=[DataRequired(_l("Enter the question.")), Length(max=500)])
    choices = TextAreaField(_l("Choices, one per line"), validators=[DataRequired(_l("Enter the choices."))])
    answer = IntegerField(_l("Number of the right choice"), validators=[
        InputRequired(_l("Enter the number of the right choice.")), NumberRange(min=1, max=10)])

    def choice_list(self) -> list[str]:
        return [line.strip() for line in (self.choices.data or "").splitlines() if line.strip()]

    def validate_choices(self, field):
        if len(self.choice_list()) < 2:
            raise ValidationError(_l("Give at least two choices."))

    def validate_answer(self, field):
        if field.data and field.data > len(self.choice_list()):
            raise ValidationError(_l("There is no choice with that number."))


class EnrolForm(PlajuForm):
    user_id = SelectField(_l("ASN"), coerce=int, validate_choice=True)
    motivation = TextAreaField(_l("Why this course? (optional)"), validators=[Optional(), Length(max=1000)])


class PlanForm(OnceForm):
    unit_id = SelectField(_l("Work unit"), coerce=int)
    year = IntegerField(_l("Year"), validators=[InputRequired(), NumberRange(min=2000, max=2100)])
    suggest = BooleanField(_l("Fill from the needs (competence gaps of each position, people below 20 JP)"),
                           default=True)


class PlanItemForm(OnceForm):
    user_id = SelectField(_l("Person"), coerce=int)
    group_label = StringField(_l("Or a group"), validators=[Optional(), Length(max=120)],
                              description=_l("e.g. all counter staff; leave the person empty"))
    participants = IntegerField(_l("People in the group"), validators=[
        Optional(), NumberRange(min=1, max=1000, message=_l("A group has 1 to 1000 people."))])
    course_id = SelectField(_l("Course from the catalogue"), coerce=int)
    title = StringField(_l("Or another activity"), validators=[Optional(), Length(max=200)],
                        description=_l("Without a course the activity is \"to be chosen\"."))
    kind = SelectField(_l("Competence kind"), choices=_choices(KINDS), default="teknis")
    planned_jp = IntegerField(_l("Planned JP"), validators=[
        Optional(), NumberRange(min=0, max=500, message=_l("JP must be 0 to 500."))])
    quarter = SelectField(_l("Quarter"), coerce=int, choices=[SelectChoice(0, _l("(from the course date)"))] + [
        SelectChoice(q, label) for q, label in QUARTERS.items()], default=0)
    cost = IntegerField(_l("Estimated cost (Rp)"), validators=[
        Optional(), NumberRange(min=0, max=10_000_000_000, message=_l("The cost must be 0 or more."))],
        description=_l("Leave empty to take the course fee."))
    funding = SelectField(_l("Funding source"), choices=_choices(FUNDING), default="apbd")


class NewCourseForm(CourseForm, OnceForm):
    """The course form when it creates: posted twice, it still adds one course."""


class ExternalTrainingForm(OnceForm):
    """Training done outside the catalogue (another agency's course, a national LMS), with its certificate."""
    title = StringField(_l("Name of the training"), validators=[DataRequired(_l("Enter a title.")), Length(max=200)])
    kind = SelectField(_l("Competence kind"), choices=_choices(KINDS))
    method = SelectField(_l("Method"), choices=_choices(METHODS))
    starts_on = DateField(_l("Starts on"), validators=[InputRequired(_l("Enter the first day of the training."))])
    ends_on = DateField(_l("Ends on"), validators=[InputRequired(_l("Enter the last day of the training."))])
    certificate_number = StringField(_l("Certificate number"), validators=[
        DataRequired(_l("Enter the certificate (STTPP) number as printed.")), Length(max=100)])
    certificate_date = DateField(_l("Date on the certificate"), validators=[
        InputRequired(_l("Enter the date printed on the certificate."))])
    certificate_issuer = StringField(_l("Issued by"), validators=[
        DataRequired(_l("Enter who issued the certificate (the organiser).")), Length(max=200)],
        description=_l("e.g. BPSDM Sumsel, LAN, the national LMS (ASN Unggul)"))
    certificate_jp = IntegerField(_l("JP as printed"), validators=[
        InputRequired(_l("Enter the JP printed on the certificate (a whole number, at least 1).")),
        NumberRange(min=1, max=500, message=_l("JP must be 1 to 500."))])
    evidence = FileField(_l("The certificate (PDF, JPG or PNG)"))
    # the dates, the certificate's facts and the file are judged together (services.enrolment.external_faults)

    def values(self) -> dict:
        # outside the catalogue the certificate is the only source of the JP: asked once, as printed
        return {name: getattr(self, name).data for name in (
            "title", "kind", "method", "starts_on", "ends_on", "certificate_number", "certificate_date",
            "certificate_issuer", "certificate_jp")}


class HistoryExportForm(PlajuForm):
    """Whose history, which format, which columns (a preset, or each column's place in the file)."""
    user_id = SelectField(_l("ASN"), coerce=int)
    unit_id = SelectField(_l("Or a whole work unit"), coerce=int)
    fmt = SelectField(_l("File format"), choices=[SelectChoice("xlsx", "XLSX (Excel)"), SelectChoice("csv", "CSV")],
                      default="xlsx")
    preset = SelectField(_l("Columns"), default="siasn")
    # the JP's year: SIASN takes a year's training at the year's end; empty: every year
    year = SelectField(_l("Year"), coerce=int, default=0)


class PlanItemEditForm(PlajuForm):
    """One planned activity changed in place: the fields of PlanItemForm, without a one-time token (saving
    the same values twice leaves the same item). Rendered with a prefix per item, so two rows in edit mode
    never share field ids."""

    seen = HiddenField()  # the activity as the row showed it (edits.stamp): a save from an older row is refused

    @classmethod
    def for_item(cls, item, formdata=None):
        keeps_title = item.course_id is None or item.course is None or item.title != item.course.title
        data = {"user_id": item.user_id or 0, "group_label": item.group_label or "",
                "participants": item.participants if item.user_id is None else None,
                "course_id": item.course_id or 0, "title": item.title if keeps_title else "", "kind": item.kind,
                "planned_jp": item.planned_jp, "quarter": item.quarter or 0, "cost": item.cost,
                "funding": item.funding}
        if formdata is None:
            from .services.plans import item_stamp  # here: the services import this module's neighbours
            return cls(formdata=None, prefix=f"item{item.id}", data={**data, "seen": item_stamp(item)})
        return cls(prefix=f"item{item.id}")

    def values(self) -> dict:
        return {"user_id": self.user_id.data or None, "course_id": self.course_id.data or None,
                "group_label": self.group_label.data, "participants": self.participants.data,
                "title": self.title.data, "kind": self.kind.data, "planned_jp": self.planned_jp.data,
                "quarter": self.quarter.data or None, "cost": self.cost.data, "funding": self.funding.data}


for _name in ("user_id", "group_label", "participants", "course_id", "title", "kind", "planned_jp", "quarter", "cost",
              "funding"):
    setattr(PlanItemEditForm, _name, getattr(PlanItemForm, _name))


from .models import POSITION_KINDS  # noqa: E402  (kept apart: only the dictionary forms use it)


class CompetenceForm(PlajuForm):
    """A competence of the dictionary; the service checks the values (so a refusal is audited)."""
    code = StringField(_l("Code"), validators=[Length(max=40)], description=_l("e.g. PELAYANAN, capitals and digits"))
    name = StringField(_l("Name"), validators=[Length(max=200)])
    kind = SelectField(_l("Kind"), choices=_choices(KINDS), validate_choice=False)  # the service refuses (logged)


class PositionForm(PlajuForm):
    """A position; the levels it requires are posted as level_<competence id> (empty: not required)."""
    name = StringField(_l("Name of the position"), validators=[Length(max=120)],
                       description=_l("e.g. Petugas Loket PATEN, Kasi Pelayanan"))
    kind = SelectField(_l("Kind of position"), choices=_choices(POSITION_KINDS), validate_choice=False)


def _describe_course_changes() -> None:
    """What HR's audit log calls a course's fields: the labels of the form that edits them; organisers and
    signers by their names, kinds and methods in words. A plan's, a competence's and a position's kinds
    too: each kind of object has its own list of kinds."""
    from ..audit import vocabulary
    from .services.catalogue import COURSE_FIELDS
    vocabulary.describe_fields({name: getattr(CourseForm, name).args[0] for name in COURSE_FIELDS},
                              users=("organiser_id", "certificate_signer_id"), subject_type="training_course")
    for subject_type in ("training_course", "training_plan", "training_competence"):
        vocabulary.describe_values("kind", KINDS, subject_type=subject_type)
    vocabulary.describe_values("kind", POSITION_KINDS, subject_type="training_position")
    vocabulary.describe_values("method", METHODS)


_describe_course_changes()
