from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, DateField, EmailField, PasswordField, SelectField, SelectMultipleField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from ..forms import PlajuForm
from .models import ROLES


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class UserForm(PlajuForm):
    username = StringField(_l("Username"), validators=[DataRequired(_l("Fill in the username.")), Length(max=40)])
    full_name = StringField(_l("Full name"), validators=[DataRequired(_l("Fill in the full name.")),
                                                         Length(max=120)])
    nip = StringField(_l("NIP (18 digits)"), validators=[Optional()])
    position = StringField(_l("Position"), validators=[Length(max=120)])
    email = EmailField(_l("E-mail"), validators=[Optional(), Length(max=120)])
    unit_id = SelectField(_l("Unit"), coerce=int)
    supervisor_id = SelectField(_l("Direct supervisor"), coerce=int)
    roles = MultiCheckboxField(_l("Roles"), choices=[SelectChoice(code, label) for code, label in ROLES.items()])
    active = BooleanField(_l("Account active"), default=True)
    password = PasswordField(_l("Password (first or new)"), validators=[
        Optional(), Length(min=10, message=_l("The password must be at least 10 characters long."))])


class DelegationForm(PlajuForm):
    principal_id = SelectField(_l("Official"), coerce=int)
    delegate_id = SelectField(_l("Stand-in"), coerce=int)
    kind = SelectField(_l("Kind"), choices=[SelectChoice("plh", _l("Plh (official briefly away)")),
                                            SelectChoice("plt", _l("Plt (post vacant)"))])
    starts_on = DateField(_l("From"), validators=[DataRequired(_l("Fill in the start date."))])
    ends_on = DateField(_l("Until"), validators=[DataRequired(_l("Fill in the end date."))])
    note = StringField(_l("Basis (e.g. number of the Camat's letter)"), validators=[Length(max=200)])
