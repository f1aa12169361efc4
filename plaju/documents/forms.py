import re

from wtforms import BooleanField, HiddenField, IntegerField, MultipleFileField, SelectField, StringField, TextAreaField
from wtforms.fields import DateField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, Regexp, ValidationError

from ..forms import PlajuForm
from ..i18n import lazy_gettext as _l
from ..inputs import InputRefused, digits_only, person_name_fault, written_name
from ..notify.citizen import InvalidEmail, normalise_email
from ..notify.phone import InvalidPhone, normalise_phone
from ..once import OnceForm
from .models import KELURAHAN, REQUIREMENT_LABEL_MAX
from .nik import InvalidNIK, validate_nik
from .subjects import KINDS


def _phone(_form, field):
    # checked here, written as 628... by the service: a form shown again keeps the number as the clerk typed it
    try:
        digits_only(re.sub(r"[()/]", "", field.data or ""), allow_plus=True)  # "(0711) 512345" as written
        normalise_phone(field.data)
    except (InputRefused, InvalidPhone) as refused:
        raise ValidationError(str(refused.message)) from None


def _email(_form, field):
    try:
        field.data = normalise_email(field.data)
    except InvalidEmail as refused:
        raise ValidationError(str(refused.message)) from None


def _person_name(_form, field):
    fault = person_name_fault(written_name(field.data), digits=False)
    if fault:  # a name in other letters that read as Latin ones would pass every later check unseen
        raise ValidationError(fault)


def _nik(form, field):
    """The applicant's NIK, of any region (it is kept for life after a move)."""
    try:
        field.data = validate_nik(field.data).value
    except InvalidNIK as fault:
        raise ValidationError(str(fault)) from None


class IntakeForm(OnceForm):
    type_id = SelectField(_l("Document type"), coerce=int,
                          validators=[DataRequired(_l("Choose the document type."))])
    nik = StringField(_l("NIK"), validators=[_nik], render_kw={"inputmode": "numeric", "autocomplete": "off",
                                                                "maxlength": 24})
    name = StringField(_l("Full name"), validators=[
        DataRequired(_l("Enter the citizen's name as on the KTP.")),
        Length(min=2, max=120, message=_l("The name must be 2 to 120 characters long.")), _person_name])
    phone = StringField(_l("Phone / WhatsApp"), validators=[Optional(), _phone],
                        render_kw={"inputmode": "tel", "autocomplete": "off", "maxlength": 24})
    email = StringField(_l("E-mail"), validators=[Optional(), _email],
                        render_kw={"inputmode": "email", "autocomplete": "off", "maxlength": 200})
    contact_consent = BooleanField(_l("The citizen agrees to receive updates on this request (tracking code and "
                                      "status only) by SMS/WhatsApp or e-mail"))
    kelurahan = SelectField(_l("Kelurahan"), choices=[SelectChoice("", "-")] + [SelectChoice(k, k) for k in KELURAHAN],
                            validators=[DataRequired(_l("Choose the citizen's kelurahan."))])
    attachments = MultipleFileField(_l("Scans (PDF, JPEG or PNG)"))
    note = TextAreaField(_l("Office note (not printed on the letter)"), validators=[Optional(), Length(max=1000)])
    confirm_duplicate = BooleanField(_l("Register anyway"))


def _lines_fit(_form, field):
    """Each line becomes a requirement label, a String(REQUIREMENT_LABEL_MAX) column."""
    if any(len(line.strip()) > REQUIREMENT_LABEL_MAX for line in (field.data or "").splitlines()):
        raise ValidationError(_l("Each line may be at most %(max)s characters long.", max=REQUIREMENT_LABEL_MAX))


class DocumentTypeForm(OnceForm):
    code = StringField(_l("Code"), validators=[
        DataRequired(), Length(max=40),
        Regexp(r"^[a-z0-9-]+$", message=_l("Use lower-case letters, digits and dashes only."))])
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=2000)])
    service_amount = IntegerField(_l("Service standard"), validators=[  # (0 is an answer: out of range, not "empty")
        InputRequired(), NumberRange(min=1, max=365, message=_l("Enter a number from 1 to 365."))])
    service_unit = SelectField(_l("Counted in"), choices=[SelectChoice("days", _l("working days")),
                                                          SelectChoice("hours", _l("working hours"))])
    camat_signs = BooleanField(_l("Signed by the Camat"))
    forwards_to_disdukcapil = BooleanField(_l("Forwarded to Disdukcapil"))
    other_regions = BooleanField(_l("Also for people whose KK is not from Kecamatan Plaju "
        "(told to the counter; the KK is checked there)"))
    min_age = IntegerField(_l("Minimum age of the applicant (years, unless married)"), validators=[
        Optional(), NumberRange(min=1, max=99, message=_l("Enter an age from 1 to 99, or leave it empty."))])
    archive_code = StringField(_l("Archive classification code"), validators=[
        Optional(), Length(max=20),
        Regexp(r"^[0-9]{3}(\.[0-9]+)*$", message=_l("Enter a classification code such as 400.12 or 400.12.3."))])
    subject_kind = SelectField(_l("The document is about"), choices=[
        SelectChoice(k.name, k.label) for k in KINDS.values()], default="applicant")
    active = BooleanField(_l("Offered at the counter"), default=True)
    required = TextAreaField(_l("Required documents (one per line)"), validators=[Optional(), _lines_fit],
                             render_kw={"rows": 5})
    optional = TextAreaField(_l("Optional documents (one per line)"), validators=[Optional(), _lines_fit],
                             render_kw={"rows": 5})
    seen = HiddenField()  # the type as the form showed it (edits.stamp): a save from an older form is refused


class HolidayForm(PlajuForm):
    day = DateField(_l("Date"), validators=[InputRequired(_l("Enter a date."))])
    # cuti bersama runs over several days: entered at once, each working day a holiday of the same name
    last_day = DateField(_l("Until (optional)"), validators=[Optional()])
    name = StringField(_l("Holiday"), validators=[DataRequired(_l("Enter the holiday's name.")), Length(max=120)])
