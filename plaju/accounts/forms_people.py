from flask import request
from wtforms import DateField, EmailField, HiddenField, PasswordField, SelectField, SelectMultipleField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from ..forms import PlajuForm
from ..i18n import lazy_gettext as _l
from ..once import OnceForm
from .models import ROLES


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class UserForm(PlajuForm):
    """The whole account: a POST must carry every field (password aside, empty = keep), so a form posted
    with fields missing is refused instead of being taken as "set to empty" (e.g. deactivating)."""
    # POSTed name -> the field that shows the error; the roles checkboxes send nothing when none is
    # ticked, so the form carries a marker that says the roles were part of it
    ALWAYS_SENT = {"username": "username", "full_name": "full_name", "nip": "nip", "position": "position",
                   "email": "email", "unit_id": "unit_id", "supervisor_id": "supervisor_id", "active": "active",
                   "roles_shown": "roles"}

    username = StringField(_l("Username"), validators=[DataRequired(_l("Fill in the username.")), Length(max=40)])
    full_name = StringField(_l("Full name"), validators=[DataRequired(_l("Fill in the full name.")),
                                                         Length(max=120)])
    nip = StringField(_l("NIP or NI PPPK (18 digits)"), validators=[Optional()],
                      render_kw={"inputmode": "numeric", "autocomplete": "off"})  # a phone shows digits
    position = StringField(_l("Position"), validators=[Length(max=120)])
    email = EmailField(_l("E-mail"), validators=[Optional(), Length(max=120)])
    unit_id = SelectField(_l("Unit"), coerce=int)
    supervisor_id = SelectField(_l("Direct supervisor"), coerce=int)
    roles = MultiCheckboxField(_l("Roles"), choices=[SelectChoice(code, label) for code, label in ROLES.items()])
    roles_shown = HiddenField(default="1")
    # an explicit choice, not a checkbox: "not ticked" and "not sent" must differ
    active = SelectField(_l("Account status"), coerce=int, default=1,
                         choices=[SelectChoice(1, _l("Active")), SelectChoice(0, _l("Disabled"))])
    password = PasswordField(_l("One-time password (first or reset)"), validators=[Optional()],
                             render_kw={"autocomplete": "new-password"})  # not HR's own: never filled in
    # the account as the form was opened (people.edit_stamp): a save from an older form is refused
    seen = HiddenField()

    def validate(self, extra_validators=None):
        valid = super().validate(extra_validators)
        for sent, shown in self.ALWAYS_SENT.items():
            if sent not in request.form:
                getattr(self, shown).errors.append(
                    _l("This field is missing from the form. Reload the page and try again."))
                valid = False
        return valid


class NewUserForm(UserForm, OnceForm):
    """The account form when it creates: posted twice, it still adds one account."""


class DelegationForm(OnceForm):
    # the choices offer what the rules allow the reader; anything else posted is refused (and audited) by
    # the service, not silently by the form
    principal_id = SelectField(_l("Official"), coerce=int, validate_choice=False)
    delegate_id = SelectField(_l("Stand-in"), coerce=int, validate_choice=False)
    kind = SelectField(_l("Kind"), choices=[SelectChoice("plh", _l("Plh (official briefly away)")),
                                            SelectChoice("plt", _l("Plt (post vacant)"))], validate_choice=False)
    starts_on = DateField(_l("From"), validators=[InputRequired(_l("Fill in the start date."))])
    ends_on = DateField(_l("Until"), validators=[InputRequired(_l("Fill in the end date."))])
    order_number = StringField(_l("Surat perintah number"), validators=[
        DataRequired(_l("Fill in the number of the surat perintah.")), Length(max=100)])
    order_date = DateField(_l("Surat perintah date"), validators=[
        InputRequired(_l("Fill in the date of the surat perintah."))])
    note = StringField(_l("Note"), validators=[Length(max=200)])
