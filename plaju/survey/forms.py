"""The SKM questionnaire: nine questions with the regulation's four answers, a comment, the profile."""
from wtforms import IntegerField, RadioField, SelectField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import AnyOf, InputRequired, Length, NumberRange, Optional

from ..forms import PlajuForm
from ..i18n import lazy_gettext as _l
from . import ikm

COMMENT_MAX = 1000


def _blank(choices):
    return [SelectChoice("", _l("Prefer not to say")), *(SelectChoice(value, label) for value, label in choices)]


class SurveyForm(PlajuForm):
    comment = TextAreaField(_l("Comment or suggestion (optional)"), validators=[Optional(), Length(max=COMMENT_MAX)])
    age = IntegerField(_l("Age (years)"), validators=[Optional(), NumberRange(ikm.AGE_MIN, ikm.AGE_MAX)])
    sex = SelectField(_l("Sex"), choices=_blank(ikm.SEXES), default="")
    education = SelectField(_l("Education"), choices=_blank(ikm.EDUCATION), default="")
    occupation = SelectField(_l("Occupation"), choices=_blank(ikm.OCCUPATIONS), default="")

    def answers(self) -> list[int]:
        return [getattr(self, f"u{e.number}").data for e in ikm.ELEMENTS]

    def questions(self):
        return [(e, getattr(self, f"u{e.number}")) for e in ikm.ELEMENTS]


for _element in ikm.ELEMENTS:
    setattr(SurveyForm, f"u{_element.number}", RadioField(
        _element.question, coerce=int, validate_choice=False,
        choices=[SelectChoice(value, label) for value, label in enumerate(_element.answers, start=1)],
        validators=[InputRequired(_l("Choose one answer.")), AnyOf((1, 2, 3, 4), message=_l("Choose one answer."))]))
