from wtforms import RadioField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import AnyOf, DataRequired, InputRequired, Length

from ..forms import PlajuForm
from ..i18n import lazy_gettext as _l
from .models import BODY_MAX, BODY_MIN

KINDS = (("complaint", _l("Complaint")), ("suggestion", _l("Suggestion")))
KIND_CHOICES = [SelectChoice(value, label) for value, label in KINDS]


class ComplaintForm(PlajuForm):
    kind = RadioField(_l("This is a"), choices=KIND_CHOICES, validate_choice=False, default="complaint",
                      validators=[InputRequired(_l("Choose complaint or suggestion.")),
                                  AnyOf([k for k, _label in KINDS], message=_l("Choose complaint or suggestion."))])
    body = TextAreaField(_l("Your message"), validators=[
        DataRequired(_l("Write your message.")),
        Length(min=BODY_MIN, max=BODY_MAX, message=_l("Write between %(min)d and %(max)d characters."))])
